// Package testserver starts the whole Atlante HTTP stack over a fresh test
// database (see storetest) for HTTP, GIS-client and browser tests: the same
// router, services and catalog as `atlante serve`, on a real port.
package testserver

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/httpapi"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
	"github.com/cremasco/atlante/internal/tiles"
	"github.com/cremasco/atlante/internal/viewer"
)

// Options adjust the server.
type Options struct {
	NoDemo   bool          // start with empty layers
	Timeout  time.Duration // request timeout; default 30s
	CacheMB  int           // tile cache size; default 0 (off), so tests see the database
	LogLevel slog.Level    // default: warnings only
}

// Server is a running test server.
type Server struct {
	URL      string
	DB       *store.DB
	Catalog  *catalog.Catalog
	Versions *store.Versions
}

// Layers returns the layers of every domain, as cmd/atlante registers them.
func Layers() []catalog.Layer {
	return comuni.Layers()
}

// Start builds the stack over a fresh database, loads the demo unless told
// not to, and serves it until the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	ctx := context.Background()
	db := storetest.NewDB(tb)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: max(opts.LogLevel, slog.LevelWarn)}))
	if opts.LogLevel != 0 {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: opts.LogLevel}))
	}
	if !opts.NoDemo {
		if err := demo.Load(ctx, db.Write, logger); err != nil {
			tb.Fatalf("testserver: demo: %v", err)
		}
	}
	cat, err := catalog.New(Layers()...)
	if err != nil {
		tb.Fatal(err)
	}
	if err := cat.Check(ctx, db.Write); err != nil {
		tb.Fatal(err)
	}
	versions, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		tb.Fatal(err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	h := httpapi.New(httpapi.Config{RequestTimeout: opts.Timeout, Version: "test"}, httpapi.Deps{
		Logger:   logger,
		Catalog:  cat,
		Features: features.New(db.Read, versions),
		Tiles:    tiles.New(cat, db.Read, versions, int64(opts.CacheMB)<<20),
		Pool:     db.Read,
		Viewer:   viewer.Handler(),
	})
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &Server{URL: srv.URL, DB: db, Catalog: cat, Versions: versions}
}
