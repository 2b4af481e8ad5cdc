package httpapi

import (
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
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
