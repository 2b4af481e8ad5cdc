package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes lists every endpoint of the service.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	// Security headers and CORS come first so that every answer, errors
	// included, carries them; malformed paths and queries are refused
	// before any handler runs; options answers OPTIONS once the caller is
	// known. GetHead: HEAD is answered by the GET handler (RFC 9110
	// §9.3.2); GDAL's /vsicurl/ and HTTP caches ask HEAD first.
	r.Use(middleware.RequestID, s.accessLog, s.recoverer, securityHeaders(s.csp), s.cors.handler, checkRequest, bodyDeadline,
		budget(s.cfg.RequestTimeout), middleware.GetHead, s.authenticate, s.options,
		// gzip for text and tiles: MapLibre's 1 MB script, GeoJSON pages and
		// MVT all shrink 3-5 times.
		compress(5, "text/html", "text/css", "text/javascript", "application/javascript", "text/csv",
			"application/json", "application/geo+json", "application/problem+json", "application/vnd.oai.openapi+json", mediaMVT, "image/svg+xml"))
	r.NotFound(NotFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	// Operations.
	r.Get("/healthz", s.handleHealth)
	r.Get("/readyz", s.handleReady)
	if !s.cfg.PrivateMetrics {
		r.Get("/metrics", s.metrics.handler().ServeHTTP)
	}

	// OGC API – Features, Part 1.
	r.Get("/", s.handle(s.handleLanding))
	r.Get("/conformance", s.handle(s.handleConformance))
	r.Get("/api", s.handle(s.handleOpenAPI))
	r.Get("/collections", s.handle(s.handleCollections))
	r.Get("/collections/{collectionId}", s.handle(s.handleCollection))
	r.Get("/collections/{collectionId}/items", s.handle(s.handleItems))
	r.Get("/collections/{collectionId}/items/{featureId}", s.handle(s.handleItem))
	// Parts 3 and 5: what a collection's features hold and what a filter may name.
	r.Get("/collections/{collectionId}/schema", s.handle(s.handleSchema))
	r.Get("/collections/{collectionId}/schema/geojson", s.handle(s.handleGeoJSONSchema))
	r.Get("/collections/{collectionId}/queryables", s.handle(s.handleQueryables))

	// OGC API – Features, Part 4: writes to editable layers, with a token.
	w := r.With(s.heavy(limitWrites))
	w.Post("/collections/{collectionId}/items", s.handle(s.handleCreateItem))
	w.Put("/collections/{collectionId}/items/{featureId}", s.handle(s.handleReplaceItem))
	w.Patch("/collections/{collectionId}/items/{featureId}", s.handle(s.handleUpdateItem))
	w.Delete("/collections/{collectionId}/items/{featureId}", s.handle(s.handleDeleteItem))

	// Who a token is and what it may do (the map's sign-in).
	r.Get("/auth/whoami", s.handle(s.handleWhoAmI))

	// Vector tiles and TileJSON.
	r.Get("/tiles/{layer}.json", s.handle(s.handleTileJSON))
	r.Get("/tiles/{layer}/{z}/{x}/{y}.mvt", s.handle(s.handleTile))

	// OGC API – Tiles: the tile matrix set, each collection's tilesets and
	// the same tiles (note the tileRow/tileCol order: z/y/x).
	r.Get("/tileMatrixSets", s.handle(s.handleTileMatrixSets))
	r.Get("/tileMatrixSets/{tileMatrixSetId}", s.handle(s.handleTileMatrixSet))
	r.Get("/collections/{collectionId}/tiles", s.handle(s.handleTilesets))
	r.Get("/collections/{collectionId}/tiles/{tileMatrixSetId}", s.handle(s.handleTileset))
	r.Get("/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", s.handle(s.handleTile))

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

	// The scripts and styles of the OGC resources' pages.
	s.pages = newPageSet(http.HandlerFunc(NotFound))
	r.Get("/assets/*", http.StripPrefix("/assets", fileErrors(s.pages.assets)).ServeHTTP)

	// The browser map's own files (the page itself is served at "/").
	if s.viewer != nil {
		r.Get("/viewer/config.json", s.handle(s.handleViewerConfig))
		r.Get("/viewer/*", http.StripPrefix("/viewer", s.viewer).ServeHTTP)
	}
	return r
}
