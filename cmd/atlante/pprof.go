package main

import (
	"net/http"
	"net/http/pprof"
)

// handleProfiler serves Go's profiler (net/http/pprof) on mux, a private
// listener's (--pprof-addr): CPU and heap profiles, goroutines, traces.
// Importing net/http/pprof also registers it on http.DefaultServeMux,
// which Atlante never serves, so the public listener does not have it.
func handleProfiler(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index) // and every named profile: heap, goroutine, allocs, ...
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
