package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// logFields collects attributes that handlers add to the request's one
// access log line.
type logFields struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

type logFieldsKey struct{}

// annotate adds attributes to the request's access log line.
func annotate(r *http.Request, attrs ...slog.Attr) {
	if lf, ok := r.Context().Value(logFieldsKey{}).(*logFields); ok {
		lf.mu.Lock()
		lf.attrs = append(lf.attrs, attrs...)
		lf.mu.Unlock()
	}
}

// accessLog writes one line per request with status, duration, bytes, the
// request id and whatever the handler annotated, and records metrics.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lf := &logFields{}
		r = r.WithContext(context.WithValue(r.Context(), logFieldsKey{}, lf))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		// Logged in a defer: a response aborted mid-stream unwinds through
		// here as panic(http.ErrAbortHandler), and its line (with the error
		// the handler annotated) must not be lost.
		completed := false
		defer func() { s.logRequest(r, ww, lf, start, !completed) }()
		next.ServeHTTP(ww, r)
		completed = true
	})
}

// logRequest writes the access line and records the request's metrics.
func (s *Server) logRequest(r *http.Request, ww middleware.WrapResponseWriter, lf *logFields, start time.Time, aborted bool) {
	status := ww.Status()
	if status == 0 {
		status = http.StatusOK
	}
	d := time.Since(start)
	route := routePattern(r)
	if route == "" {
		route = "unmatched"
	}
	s.metrics.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Observe(d.Seconds())
	level := slog.LevelInfo
	if status >= 500 && status != statusClientClosed {
		level = slog.LevelError
	}
	if aborted && !errors.Is(r.Context().Err(), context.Canceled) {
		level = slog.LevelError // a truncated response that the client did not cause
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		// Never the Authorization header, and no credential sent in the
		// URL (see redactQuery).
		slog.String("path", redactPath(r.URL.Path)),
		slog.String("query", redactQuery(r.URL.RawQuery)),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int("bytes", ww.BytesWritten()),
		slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.String("remote", r.RemoteAddr),
	}
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	lf.mu.Lock()
	attrs = append(attrs, lf.attrs...)
	lf.mu.Unlock()
	s.logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// recoverer turns a panic into a 500 problem (or, when the response had
// already started, an aborted connection) and logs the stack once.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec) // net/http aborts the connection quietly
			}
			annotate(r, slog.String("panic", fmt.Sprint(rec)), slog.String("stack", string(debug.Stack())))
			writeError(w, r, errors.New("panic"))
		}()
		next.ServeHTTP(w, r)
	})
}

// budget bounds the time a request may take; queries inherit the deadline
// and a client that goes away cancels them through the same context.
func budget(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
