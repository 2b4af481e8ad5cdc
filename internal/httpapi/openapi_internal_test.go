package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/energy"
)

// TestOpenAPIListsEveryRoute keeps the OpenAPI document whole: every
// domain endpoint the router serves has a summary, and every summary names
// a routed endpoint.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{catalog: cat, coverage: &coverage.Store{}, civilProtection: &civilprotection.Store{}, energy: &energy.Store{}, metrics: newMetrics(nil, nil)}
	s.router = s.routes()
	if u := s.undocumented(); len(u) > 0 {
		t.Errorf("routes without an entry in domainDocs: %s", strings.Join(u, "; "))
	}
	paths := s.openAPI("http://x")["paths"].(obj)
	for key := range domainDocs {
		method, route, _ := strings.Cut(key, " ")
		p, ok := paths[route].(obj)
		if !ok || p[strings.ToLower(method)] == nil {
			t.Errorf("domainDocs has %q but the router serves no such endpoint", key)
		}
	}
}

// TestOpenAPIDocumentsLayerRoutes checks that every GET route of the
// generic resources (landing page, collections, tiles, tile matrix sets)
// is a path of the OpenAPI document for a real layer, with its parameters
// named as routed.
func TestOpenAPIDocumentsLayerRoutes(t *testing.T) {
	cat, err := catalog.New(comuni.Layers()...)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{catalog: cat, metrics: newMetrics(nil, nil)}
	s.router = s.routes()
	paths := s.openAPI("http://x")["paths"].(obj)
	n := 0
	chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method != http.MethodGet || route == "/metrics" || strings.HasPrefix(route, "/viewer") || strings.HasPrefix(route, "/assets") {
			return nil
		}
		path := strings.NewReplacer("{collectionId}", "comuni", "{layer}", "comuni").Replace(route)
		p, ok := paths[path].(obj)
		if !ok || p["get"] == nil {
			t.Errorf("GET %s is routed but the OpenAPI document has no GET %s", route, path)
			return nil
		}
		n++
		params, _ := p["get"].(obj)["parameters"].([]obj)
		for _, part := range strings.Split(path, "/") {
			name, isParam := strings.CutPrefix(part, "{")
			if name, _, _ = strings.Cut(name, "}"); !isParam {
				continue
			}
			found := false
			for _, q := range params {
				found = found || (q["in"] == "path" && q["name"] == name)
			}
			if !found {
				t.Errorf("GET %s: no path parameter %s in the OpenAPI document", path, name)
			}
		}
		return nil
	})
	if n < 12 {
		t.Errorf("checked %d routes, want the dozen generic ones", n)
	}
}
