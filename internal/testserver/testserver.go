// Package testserver starts the whole Atlante HTTP stack over a fresh test
// database (see storetest) for HTTP, GIS-client and browser tests: the same
// wiring as `atlante serve` (package app), on a real port.
package testserver

import (
	"context"
	"log/slog"
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
)

// Options adjust the server.
type Options struct {
	NoDemo  bool          // start with empty layers
	Demo    []string      // demo steps to load (see demo.Steps); nil loads all
	Timeout time.Duration // request timeout; default 30s
	CacheMB int           // tile cache size; default 0 (off), so tests see the database
	Verbose bool          // log every request (default: warnings only)
	// HeavyRequests is the serve flag of that name; 0 means its default.
	HeavyRequests int
}

// Server is a running test server.
type Server struct {
	URL      string
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
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if !opts.NoDemo {
		if err := demo.Load(ctx, db.Write, logger, opts.Demo...); err != nil {
			tb.Fatalf("testserver: demo: %v", err)
		}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	svc, err := app.New(ctx, db, app.Config{
		HTTP:        httpapi.Config{RequestTimeout: opts.Timeout, Version: "test", HeavyRequests: opts.HeavyRequests},
		TileCacheMB: opts.CacheMB,
		Logger:      logger,
	})
	if err != nil {
		tb.Fatalf("testserver: %v", err)
	}
	srv := httptest.NewServer(svc.Handler)
	tb.Cleanup(srv.Close)
	return &Server{URL: srv.URL, DB: db, Catalog: svc.Catalog, Versions: svc.Versions}
}
