// Package httpapi is Atlante's HTTP face: the chi router, middleware,
// problem+json errors, the OGC API – Features and vector-tile endpoints over
// the catalog, the OpenAPI document, health and metrics. Handlers parse,
// call a service and render; they build no SQL.
package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/tiles"
	"github.com/cremasco/atlante/internal/viewer"
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
	// CORSOrigins may read cross-origin: ["*"] any origin, a list of
	// origins (see ParseCORSOrigins), or none when empty.
	CORSOrigins []string
	// FrameAncestors is the CSP frame-ancestors source list: who may frame
	// Atlante's pages; default 'self'.
	FrameAncestors string
	// Viewer is what the map page reads at /viewer/config.json; the
	// Content-Security-Policy lets the page reach its basemap's origin,
	// and no other outside Atlante.
	Viewer viewer.Config
	// PrivateMetrics leaves /metrics off this handler: the caller serves
	// Server.Metrics on a listener of its own.
	PrivateMetrics bool
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
	versions *store.Versions
	coverage *coverage.Store
	auth     *auth.Store
	writer   *features.Writer
	reads    *store.Reads // readiness: where public reads go
	draining atomic.Bool  // set by Drain
	viewer   http.Handler
	metrics  *metrics
	router   chi.Router // for the OpenAPI document, which lists what is routed
	build    string     // identifies the build in entity tags (buildTag)
	cors     *corsPolicy
	csp      string // Content-Security-Policy of every response
	limiters map[string]*limiter
	pages    *pageSet // the HTML pages of the OGC resources

	civilProtection *civilprotection.Store
	energy          *energy.Store
}

// Deps are the services the HTTP layer calls.
type Deps struct {
	Logger   *slog.Logger
	Catalog  *catalog.Catalog
	Features *features.Service
	Tiles    *tiles.Service
	Versions *store.Versions // data versions, for entity tags
	Coverage *coverage.Store
	Auth     *auth.Store              // tokens; nil means no caller is ever authenticated
	Writer   *features.Writer         // writes to editable layers; nil makes every layer read-only
	Reads    *store.Reads             // the primary, the replica and where public reads go (readiness)
	Pools    map[string]*pgxpool.Pool // by role ("write", "read"), for metrics
	Viewer   http.Handler             // serves the browser map's files; nil disables it

	CivilProtection *civilprotection.Store // plans, crisis units, exposure; nil disables their endpoints
	Energy          *energy.Store          // energy communities, eligibility, figures; nil disables their endpoints
}

// New returns the service's HTTP handler.
func New(cfg Config, d Deps) *Server {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = time.Minute
	}
	if cfg.TileMaxAge <= 0 {
		cfg.TileMaxAge = time.Minute
	}
	if cfg.FrameAncestors == "" {
		cfg.FrameAncestors = "'self'"
	}
	s := &Server{
		cfg: cfg, logger: d.Logger, catalog: d.Catalog, features: d.Features, tiles: d.Tiles, versions: d.Versions, coverage: d.Coverage,
		auth: d.Auth, writer: d.Writer, civilProtection: d.CivilProtection, energy: d.Energy,
		reads: d.Reads, viewer: d.Viewer, metrics: newMetrics(d.Pools, d.Tiles), build: buildTag(cfg.Version), limiters: map[string]*limiter{},
		cors: newCORSPolicy(cfg.CORSOrigins), csp: contentSecurityPolicy(cfg.Viewer.Basemap.Origin(), cfg.FrameAncestors),
	}
	s.metrics.watchReads(d.Reads)
	if s.viewer != nil {
		s.viewer = fileErrors(s.viewer)
	}
	s.router = s.routes()
	return s
}

// ServeHTTP serves the service's routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Metrics serves the Prometheus metrics, for a listener of their own (see
// Config.PrivateMetrics).
func (s *Server) Metrics() http.Handler { return s.metrics.handler() }

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
