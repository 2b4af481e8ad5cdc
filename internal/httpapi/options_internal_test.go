package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/energy"
)

// TestEveryWriteRouteHasATokenRule keeps OPTIONS truthful: a route that is
// not a plain public read must say in tokenRules what a token needs for
// it, or be listed in publicWrites, and every rule must name a routed
// endpoint.
func TestEveryWriteRouteHasATokenRule(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{catalog: cat, coverage: &coverage.Store{}, civilProtection: &civilprotection.Store{}, energy: &energy.Store{}, metrics: newMetrics(nil, nil)}
	s.router = s.routes()
	routed := map[string]bool{}
	chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + route
		routed[key] = true
		if method == http.MethodGet || method == http.MethodHead {
			return nil
		}
		if _, ok := tokenRules[key]; !ok && !slices.Contains(publicWrites, key) {
			t.Errorf("%s has no entry in tokenRules (nor in publicWrites): OPTIONS would offer it to every token", key)
		}
		return nil
	})
	for key := range tokenRules {
		if !routed[key] {
			t.Errorf("tokenRules has %q but the router serves no such endpoint", key)
		}
	}
	for _, key := range publicWrites {
		if !routed[key] {
			t.Errorf("publicWrites has %q but the router serves no such endpoint", key)
		}
	}
}
