// Package testserver starts the whole Atlante HTTP stack over a fresh test
// database (see storetest) for HTTP, GIS-client and browser tests: the same
// wiring as `atlante serve` (package app), on a real port.
package testserver

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/app"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/httpapi"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
	"github.com/cremasco/atlante/internal/viewer"
)

// Options adjust the server.
type Options struct {
	NoDemo  bool          // start with empty layers
	Demo    []string      // demo steps to load (see demo.Steps); nil loads all
	Timeout time.Duration // request timeout; default 30s
	CacheMB int           // tile cache size; default 0 (off), so tests see the database
	Verbose bool          // log every request (default: warnings only)
	Logger  *slog.Logger  // where the server logs; default stderr (see Verbose)

	// ReadTimeout bounds reading a request, body included; default that
	// of `atlante serve` (see httpapi.DefaultTimeouts).
	ReadTimeout time.Duration
	// CORSOrigins as --cors-origins; nil means "*", the default of serve.
	CORSOrigins []string
	// PrivateMetrics leaves /metrics off the server (Server.Metrics serves it).
	PrivateMetrics bool
	// HeavyRequests is the serve flag of that name; 0 means its default.
	HeavyRequests int
	// Basemap as --basemap; nil for none, the default of serve.
	Basemap *viewer.Basemap
}

// Server is a running test server.
type Server struct {
	URL      string
	Metrics  http.Handler // the Prometheus metrics
	DB       *store.DB
	Catalog  *catalog.Catalog
	Versions *store.Versions
}

// Start builds the stack over a fresh database, loads the demo unless told
// not to, and serves it until the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	ctx := context.Background()
	db := storetest.NewDB(tb)
	level := slog.LevelWarn
	if opts.Verbose {
		level = slog.LevelInfo
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	if !opts.NoDemo {
		if err := demo.Load(ctx, db.Write, logger, opts.Demo...); err != nil {
			tb.Fatalf("testserver: demo: %v", err)
		}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.CORSOrigins == nil {
		opts.CORSOrigins = []string{"*"}
	}
	svc, err := app.New(ctx, db, app.Config{
		HTTP: httpapi.Config{RequestTimeout: opts.Timeout, Version: "test",
			CORSOrigins: opts.CORSOrigins, PrivateMetrics: opts.PrivateMetrics, HeavyRequests: opts.HeavyRequests, Viewer: viewer.Config{Basemap: opts.Basemap}},
		TileCacheMB: opts.CacheMB,
		Logger:      logger,
	})
	if err != nil {
		tb.Fatalf("testserver: %v", err)
	}
	// The same http.Server settings and listener as serve.
	timeouts := httpapi.DefaultTimeouts(opts.Timeout)
	if opts.ReadTimeout > 0 {
		timeouts.Read = opts.ReadTimeout
		timeouts.ReadHeader = min(timeouts.ReadHeader, opts.ReadTimeout)
	}
	srv := httptest.NewUnstartedServer(svc.Handler)
	srv.Config = httpapi.NewHTTPServer(svc.Handler, timeouts, slog.NewLogLogger(logger.Handler(), slog.LevelWarn))
	srv.Listener = httpapi.Listener(srv.Listener)
	srv.Start()
	tb.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Metrics: svc.Metrics, DB: db, Catalog: svc.Catalog, Versions: svc.Versions}
}
