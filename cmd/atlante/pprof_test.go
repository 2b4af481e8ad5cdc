package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/store/storetest"
)

// TestServePprofPrivate runs `atlante serve --pprof-addr` (sharing its
// address with --metrics-addr) and checks that the profiler answers there
// and nowhere on the public listener, and that the private listener serves
// nothing of the public API.
func TestServePprofPrivate(t *testing.T) {
	dbURL := storetest.NewURL(t)
	public, private := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"atlante", "--database-url", dbURL, "--log-format", "text", "--log-level", "warn",
			"serve", "--addr", public, "--pprof-addr", private, "--metrics-addr", private, "--tile-prebuild-mb", "0"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("serve did not stop within a minute of its context")
		}
	})

	client := &http.Client{Timeout: 30 * time.Second}
	get := func(u string) (int, []byte) {
		t.Helper()
		res, err := client.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		return res.StatusCode, b
	}
	for begin := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if res, err := client.Get("http://" + public + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-served:
			t.Fatalf("serve ended before answering: %v", err)
		default:
		}
		if time.Since(begin) > 2*time.Minute {
			t.Fatal("serve did not answer /healthz within 2 minutes")
		}
	}

	t.Run("private", func(t *testing.T) {
		if code, body := get("http://" + private + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(string(body), "goroutine") {
			t.Errorf("GET /debug/pprof/ on --pprof-addr = %d %.200q, want 200 with the profile list", code, body)
		}
		if code, body := get("http://" + private + "/debug/pprof/cmdline"); code != http.StatusOK || !strings.Contains(string(body), "atlante") {
			t.Errorf("GET /debug/pprof/cmdline = %d %q, want 200 with the command line", code, body)
		}
		// A CPU profile is gzipped protobuf.
		if code, body := get("http://" + private + "/debug/pprof/profile?seconds=1"); code != http.StatusOK || !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
			t.Errorf("GET /debug/pprof/profile?seconds=1 = %d %.60q, want 200 with a gzipped profile", code, body)
		}
		if code, body := get("http://" + private + "/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(string(body), "heap profile") {
			t.Errorf("GET /debug/pprof/heap?debug=1 = %d %.60q, want 200 with the heap profile", code, body)
		}
		if code, body := get("http://" + private + "/metrics"); code != http.StatusOK || !strings.Contains(string(body), "atlante_db_pool_total_connections") {
			t.Errorf("GET /metrics on the shared private address = %d, want 200 with the metrics", code)
		}
		if code, _ := get("http://" + private + "/collections"); code != http.StatusNotFound {
			t.Errorf("GET /collections on the private address = %d, want 404: the API is public only", code)
		}
	})
	t.Run("public", func(t *testing.T) {
		for _, p := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/profile?seconds=1", "/debug/pprof/heap", "/metrics"} {
			if code, body := get("http://" + public + p); code != http.StatusNotFound {
				t.Errorf("GET %s on --addr = %d %.100q, want 404", p, code, body)
			}
		}
		if code, _ := get("http://" + public + "/collections"); code != http.StatusOK {
			t.Errorf("GET /collections on --addr = %d, want 200", code)
		}
	})
}
