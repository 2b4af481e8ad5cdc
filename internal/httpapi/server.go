// Package httpapi is Atlante's HTTP face: the chi router, middleware,
// problem+json errors, the OGC API – Features and vector-tile endpoints over
// the catalog, the OpenAPI document, health and metrics. Handlers parse,
// call a service and render; they build no SQL.
package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/tiles"
)

// Config holds what the HTTP layer needs to know about its deployment.
type Config struct {
	// BaseURL is the public URL of the service, used in links; empty means
	// derive it from each request's Host.
	BaseURL string
	// RequestTimeout bounds every request; queries inherit it.
	RequestTimeout time.Duration
	// TileMaxAge is the Cache-Control max-age of tiles and TileJSON.
	TileMaxAge time.Duration
	// Version is the build version shown on the landing page.
	Version string
	// HeavyRequests is how many requests of each expensive kind (area
	// statistics, feature writes, exposure) run at once; 0 means
	// DefaultHeavyRequests. See limit.go.
	HeavyRequests int
}

// Server carries the dependencies of the handlers.
type Server struct {
	cfg      Config
	logger   *slog.Logger
	catalog  *catalog.Catalog
	features *features.Service
	tiles    *tiles.Service
	coverage *coverage.Store
	auth     *auth.Store
	writer   *features.Writer
	pool     *pgxpool.Pool // readiness
	viewer   http.Handler
	metrics  *metrics
	router   chi.Router // for the OpenAPI document, which lists what is routed
	limiters map[string]*limiter

	civilProtection *civilprotection.Store
	energy          *energy.Store
}

// Deps are the services the HTTP layer calls.
type Deps struct {
	Logger   *slog.Logger
	Catalog  *catalog.Catalog
	Features *features.Service
	Tiles    *tiles.Service
	Coverage *coverage.Store
	Auth     *auth.Store      // tokens; nil means no caller is ever authenticated
	Writer   *features.Writer // writes to editable layers; nil makes every layer read-only
	Pool     *pgxpool.Pool
	Viewer   http.Handler // serves the browser map's files; nil disables it

	CivilProtection *civilprotection.Store // plans, crisis units, exposure; nil disables their endpoints
	Energy          *energy.Store          // energy communities, eligibility, figures; nil disables their endpoints
}

// New returns the service's HTTP handler.
func New(cfg Config, d Deps) http.Handler {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = time.Minute
	}
	if cfg.TileMaxAge <= 0 {
		cfg.TileMaxAge = time.Minute
	}
	s := &Server{
		cfg: cfg, logger: d.Logger, catalog: d.Catalog, features: d.Features, tiles: d.Tiles, coverage: d.Coverage,
		auth: d.Auth, writer: d.Writer, civilProtection: d.CivilProtection, energy: d.Energy,
		pool: d.Pool, viewer: d.Viewer, metrics: newMetrics(), limiters: map[string]*limiter{},
	}
	s.router = s.routes()
	return s.router
}

// handlerFunc is a handler that returns its error; handle renders it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	}
}

// baseURL is the public URL prefix of links, without a trailing slash.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// layer returns the public layer named by the {collectionId} or {layer} URL
// parameter.
func (s *Server) layer(id string) (*catalog.Layer, error) {
	l, ok := s.catalog.Layer(id)
	if !ok || l.Access != catalog.Public {
		return nil, errNoCollection(id, s.publicIDs())
	}
	return l, nil
}

func (s *Server) publicLayers() []*catalog.Layer {
	var ls []*catalog.Layer
	for _, l := range s.catalog.Layers() {
		if l.Access == catalog.Public {
			ls = append(ls, l)
		}
	}
	return ls
}

func (s *Server) publicIDs() []string {
	var ids []string
	for _, l := range s.publicLayers() {
		ids = append(ids, l.ID)
	}
	return ids
}
