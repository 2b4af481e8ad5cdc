package httpapi_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/testserver"
	"github.com/cremasco/atlante/internal/viewer"
)

// cspDirective returns the directive of a Content-Security-Policy that
// starts with name.
func cspDirective(csp, name string) string {
	for _, d := range strings.Split(csp, "; ") {
		if strings.HasPrefix(d, name+" ") {
			return d
		}
	}
	return ""
}

// TestViewerConfig checks /viewer/config.json and the page's policy: no
// basemap and no outside host by default; a configured basemap is
// announced, and its origin (only) allowed.
func TestViewerConfig(t *testing.T) {
	t.Run("default, over the demo", func(t *testing.T) {
		s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "coverage"}})
		res, body := get(t, s.URL+"/viewer/config.json", 200)
		checkMediaType(t, res, "application/json")
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["basemap"] != nil || got["demo"] != true {
			t.Errorf("config.json = %s, want {\"basemap\": null, \"demo\": true}", body)
		}
		page, _ := get(t, s.URL+"/", 200, "Accept", "text/html")
		csp := page.Header.Get("Content-Security-Policy")
		for _, d := range []string{"img-src 'self' data: blob:", "connect-src 'self'"} {
			if !slices.Contains(strings.Split(csp, "; "), d) {
				t.Errorf("Content-Security-Policy %q lacks %q: with no basemap the page reaches no other host", csp, d)
			}
		}
		get(t, s.URL+"/viewer/config.json?x=1", 400)
	})

	t.Run("a raster basemap, no demo", func(t *testing.T) {
		b, err := viewer.ParseBasemap("https://tiles.example.org/osm/{z}/{x}/{y}.png", "© Example")
		if err != nil {
			t.Fatal(err)
		}
		s := testserver.Start(t, testserver.Options{NoDemo: true, Basemap: b})
		_, body := get(t, s.URL+"/viewer/config.json", 200)
		var got struct {
			Basemap *viewer.Basemap `json:"basemap"`
			Demo    *bool           `json:"demo"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Basemap == nil || *got.Basemap != *b || got.Demo == nil || *got.Demo {
			t.Errorf("config.json = %s, want the raster basemap and demo false", body)
		}
		page, _ := get(t, s.URL+"/", 200, "Accept", "text/html")
		csp := page.Header.Get("Content-Security-Policy")
		for _, name := range []string{"img-src", "connect-src"} {
			if d := cspDirective(csp, name); !strings.HasSuffix(d, " https://tiles.example.org") {
				t.Errorf("Content-Security-Policy %s = %q, want the basemap's origin allowed", name, d)
			}
		}
		if strings.Count(csp, "https://") != 2 {
			t.Errorf("Content-Security-Policy %q allows more than the basemap's origin", csp)
		}
	})
}

// TestAttribution checks that layers are credited for what they hold:
// the demo's made-up data as demo data, credited to nobody else; its real
// ISTAT boundaries to ISTAT; real data to its sources.
func TestAttribution(t *testing.T) {
	attribution := func(t *testing.T, s *testserver.Server, id string) string {
		t.Helper()
		var c struct {
			Attribution string `json:"attribution"`
		}
		getJSON(t, s.URL+"/collections/"+id, "application/json", &c)
		var tj struct {
			Attribution string `json:"attribution"`
		}
		getJSON(t, s.URL+"/tiles/"+id+".json", "application/json", &tj)
		if tj.Attribution != c.Attribution {
			t.Errorf("%s: TileJSON attribution %q, collection's %q", id, tj.Attribution, c.Attribution)
		}
		return c.Attribution
	}
	t.Run("demo", func(t *testing.T) {
		s := testserver.Start(t, testserver.Options{})
		if got := attribution(t, s, "comuni"); got != comuni.AttributionShipped || !strings.Contains(got, "ISTAT") || !strings.Contains(got, "CC BY 4.0") {
			t.Errorf("comuni credited %q, want ISTAT's CC BY 4.0 credit %q", got, comuni.AttributionShipped)
		}
		for _, l := range s.Catalog.Layers() {
			if l.ID == "comuni" {
				continue
			}
			got := attribution(t, s, l.ID)
			if !strings.Contains(got, "dati dimostrativi") {
				t.Errorf("%s credited %q, want it to say dati dimostrativi", l.ID, got)
			}
			for _, other := range []string{"ANNCSU", "Infratel", "PNRR", "operatori"} {
				if strings.Contains(got, other) {
					t.Errorf("%s credited %q: the demo's made-up data credited to %s", l.ID, got, other)
				}
			}
		}
	})
	t.Run("real data", func(t *testing.T) {
		s := testserver.Start(t, testserver.Options{NoDemo: true})
		if got := attribution(t, s, "comuni"); got != comuni.Attribution {
			t.Errorf("comuni credited %q, want %q", got, comuni.Attribution)
		}
		if got := attribution(t, s, "civici"); got != coverage.AttributionCivici {
			t.Errorf("civici credited %q, want %q", got, coverage.AttributionCivici)
		}
		if got := attribution(t, s, "streets"); got != coverage.AttributionStreets {
			t.Errorf("streets credited %q, want %q", got, coverage.AttributionStreets)
		}
	})
}
