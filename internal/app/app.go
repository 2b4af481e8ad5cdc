// Package app wires Atlante together: the layers of every domain into one
// catalog, and the catalog, services and HTTP layer over one database. The
// command and the test server both build the service through here, so
// tests run exactly what `atlante serve` runs.
package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/httpapi"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/tiles"
	"github.com/cremasco/atlante/internal/viewer"
)

// Catalog gathers the layers of every domain, credited as their
// declarations say (for real data).
func Catalog() (*catalog.Catalog, error) { return catalogCredited(nil) }

// catalogCredited is Catalog with the attributions of credits (by layer
// id) instead of the declared ones: see demo.FindCredits.
func catalogCredited(credits map[string]string) (*catalog.Catalog, error) {
	var ls []catalog.Layer
	ls = append(ls, comuni.Layers()...)
	ls = append(ls, coverage.Layers()...)
	ls = append(ls, civilprotection.Layers()...)
	ls = append(ls, energy.Layers()...)
	for i := range ls {
		if a, ok := credits[ls[i].ID]; ok {
			ls[i].Attribution = a
		}
	}
	return catalog.New(ls...)
}

// Config is what the service needs beyond the database.
type Config struct {
	HTTP        httpapi.Config
	TileCacheMB int
	Logger      *slog.Logger
}

// Service is the assembled service.
type Service struct {
	Handler  http.Handler
	Metrics  http.Handler // the Prometheus metrics, also at /metrics unless HTTP.PrivateMetrics
	Catalog  *catalog.Catalog
	Versions *store.Versions
	// Tiles is the tile service; the caller runs its Prebuild.
	Tiles *tiles.Service
	Reads *store.Reads // run Reads.Monitor to follow the replica's health
	Drain func()       // /readyz answers 503 "draining" from then on
}

// New checks the catalog against the database and assembles the service.
// The caller runs Versions.Poll to keep caches fresh and Reads.Monitor to
// follow a read replica. Layers that hold the synthetic demo data at
// start-up are credited as such, and the viewer is told (demo.FindCredits).
func New(ctx context.Context, db *store.DB, cfg Config) (*Service, error) {
	credits, err := demo.FindCredits(ctx, db.Read)
	if err != nil {
		return nil, err
	}
	cfg.HTTP.Viewer.Demo = credits.Synthetic
	cat, err := catalogCredited(credits.Attribution)
	if err != nil {
		return nil, err
	}
	if err := cat.Check(ctx, db.Write); err != nil {
		return nil, err
	}
	versions, err := store.NewVersions(ctx, db.Reads)
	if err != nil {
		return nil, err
	}
	ts := tiles.New(cat, db.Reads, versions, int64(cfg.TileCacheMB)<<20)
	h := httpapi.New(cfg.HTTP, httpapi.Deps{
		Logger:   cfg.Logger,
		Catalog:  cat,
		Features: features.New(db.Reads, versions),
		Tiles:    ts,
		Versions: versions,
		Coverage: coverage.NewStore(db.Reads),
		Auth:     auth.NewStore(db.Write),
		Writer:   features.NewWriter(db.Write, versions),
		Reads:    db.Reads,
		Pools:    map[string]*pgxpool.Pool{"write": db.Write, "read": db.Read},
		Viewer:   viewer.Handler(http.HandlerFunc(httpapi.NotFound)),

		CivilProtection: civilprotection.NewStore(db.Write, db.Reads, versions),
		Energy:          energy.NewStore(db.Write, db.Reads, versions),
	})
	return &Service{Handler: h, Metrics: h.Metrics(), Catalog: cat, Versions: versions, Tiles: ts, Reads: db.Reads, Drain: h.Drain}, nil
}
