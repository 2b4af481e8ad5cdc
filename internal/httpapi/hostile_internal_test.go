package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/hostile"
)

// TestHostileCorpusCoversEveryRoute keeps the hostile corpus whole: every
// method of every route the router serves gets at least one request of
// the corpus (TestHostileCorpus sends them), so a new endpoint cannot be
// added without hostile requests of its own.
func TestHostileCorpusCoversEveryRoute(t *testing.T) {
	specs, err := hostile.Corpus()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{catalog: cat, coverage: &coverage.Store{}, civilProtection: &civilprotection.Store{}, energy: &energy.Store{},
		viewer: http.NotFoundHandler(), metrics: newMetrics(nil, nil)}
	s.router = s.routes()
	routes := s.router.(chi.Routes)

	vars := map[string]string{}
	for _, name := range hostile.Placeholders(specs) {
		vars[name] = "1"
	}
	hit := map[string]int{}
	for _, spec := range specs {
		r, err := hostile.Resolve(spec, vars)
		if err != nil {
			t.Fatal(err)
		}
		method, target := r.Method, r.Path
		if r.Raw != nil {
			line, _, _ := strings.Cut(string(r.Raw), "\r\n")
			if f := strings.Fields(line); len(f) >= 2 {
				method, target = f[0], f[1]
			}
		}
		path, _, _ := strings.Cut(target, "?")
		if p, err := url.PathUnescape(path); err == nil {
			path = p
		}
		if method == http.MethodHead {
			method = http.MethodGet
		}
		if pattern := routes.Find(chi.NewRouteContext(), method, path); pattern != "" {
			hit[method+" "+pattern]++
		}
	}
	n := 0
	chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		if hit[method+" "+route] == 0 {
			t.Errorf("%s %s has no request in the hostile corpus (internal/hostile/corpus.jsonl)", method, route)
		}
		return nil
	})
	t.Logf("%d routes, %d with corpus requests", n, len(hit))
	if n < 40 {
		t.Errorf("only %d routes walked", n)
	}
}
