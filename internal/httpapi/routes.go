package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every endpoint of the service.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	// GetHead: HEAD is answered by the GET handler (RFC 9110 §9.3.2); GDAL's
	// /vsicurl/ and HTTP caches ask HEAD first.
	r.Use(middleware.RequestID, s.accessLog, s.recoverer, budget(s.cfg.RequestTimeout), middleware.GetHead, s.authenticate,
		// gzip for text and tiles: MapLibre's 1 MB script, GeoJSON pages and
		// MVT all shrink 3-5 times.
		middleware.Compress(5, "text/html", "text/css", "text/javascript", "application/javascript", "text/csv",
			"application/json", "application/geo+json", "application/problem+json", "application/vnd.oai.openapi+json", mediaMVT, "image/svg+xml"))
	r.NotFound(notFound)
	r.MethodNotAllowed(methodNotAllowed)

	// Operations.
	r.Get("/healthz", s.handleHealth)
	r.Get("/readyz", s.handle(s.handleReady))
	r.Handle("/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))

	// OGC API – Features, Part 1.
	r.Get("/", s.handle(s.handleLanding))
	r.Get("/conformance", s.handle(s.handleConformance))
	r.Get("/api", s.handle(s.handleOpenAPI))
	r.Get("/collections", s.handle(s.handleCollections))
	r.Get("/collections/{collectionId}", s.handle(s.handleCollection))
	r.Get("/collections/{collectionId}/items", s.handle(s.handleItems))
	r.Get("/collections/{collectionId}/items/{featureId}", s.handle(s.handleItem))

	// OGC API – Features, Part 4: writes to editable layers, with a token.
	w := r.With(s.heavy(limitWrites))
	w.Post("/collections/{collectionId}/items", s.handle(s.handleCreateItem))
	w.Put("/collections/{collectionId}/items/{featureId}", s.handle(s.handleReplaceItem))
	w.Patch("/collections/{collectionId}/items/{featureId}", s.handle(s.handleUpdateItem))
	w.Delete("/collections/{collectionId}/items/{featureId}", s.handle(s.handleDeleteItem))

	// Vector tiles and TileJSON; the OGC API – Tiles path is an alias
	// (note its tileRow/tileCol order: z/y/x).
	r.Get("/tiles/{layer}.json", s.handle(s.handleTileJSON))
	r.Get("/tiles/{layer}/{z}/{x}/{y}.mvt", s.handle(s.handleTile))
	r.Get("/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{y}/{x}", s.handle(s.handleTile))

	// Domain endpoints.
	if s.coverage != nil {
		s.coverageRoutes(r)
	}
	if s.civilProtection != nil {
		s.civilProtectionRoutes(r)
	}
	if s.energy != nil {
		s.energyRoutes(r)
	}

	// The browser map's own files (the page itself is served at "/").
	if s.viewer != nil {
		r.Handle("/viewer/*", http.StripPrefix("/viewer", s.viewer))
	}
	return r
}
