package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestOGCCore checks the OGC API – Features Part 1 core resources: the
// landing page, conformance, the OpenAPI document and the collections.
func TestOGCCore(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})

	t.Run("landing", func(t *testing.T) {
		var lp struct {
			Title string `json:"title"`
			Links []link `json:"links"`
		}
		getJSON(t, s.URL+"/", "application/json", &lp)
		if lp.Title == "" {
			t.Errorf("landing page title is empty")
		}
		// Requirement 2 of OGC 17-069r4 (/req/core/root-success): links to
		// the API definition, conformance and the collections, plus self.
		tests := []struct{ rel, path, mediaType string }{
			{"self", "/", "application/json"},
			{"service-desc", "/api", "application/vnd.oai.openapi+json;version=3.0"},
			{"conformance", "/conformance", "application/json"},
			{"data", "/collections", "application/json"},
		}
		for _, tt := range tests {
			href := rel(lp.Links, tt.rel)
			if href != s.URL+tt.path {
				t.Errorf("link rel=%s: got %q, want %q", tt.rel, href, s.URL+tt.path)
				continue
			}
			res, _ := get(t, href, http.StatusOK)
			checkMediaType(t, res, tt.mediaType)
		}
	})

	t.Run("conformance", func(t *testing.T) {
		var c struct {
			ConformsTo []string `json:"conformsTo"`
		}
		getJSON(t, s.URL+"/conformance", "application/json", &c)
		for _, want := range []string{
			"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
			"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
			"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
		} {
			if !slices.Contains(c.ConformsTo, want) {
				t.Errorf("conformsTo = %v, want it to contain %s", c.ConformsTo, want)
			}
		}
	})

	t.Run("openapi", func(t *testing.T) {
		var doc struct {
			OpenAPI string `json:"openapi"`
			Paths   map[string]struct {
				Get struct {
					Parameters []struct {
						Name   string         `json:"name"`
						In     string         `json:"in"`
						Schema map[string]any `json:"schema"`
					} `json:"parameters"`
					Responses map[string]any `json:"responses"`
				} `json:"get"`
			} `json:"paths"`
		}
		getJSON(t, s.URL+"/api", "application/vnd.oai.openapi+json;version=3.0", &doc)
		if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
			t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
		}
		for _, p := range []string{"/", "/conformance", "/api", "/collections", "/collections/comuni", "/collections/comuni/items", "/collections/comuni/items/{featureId}"} {
			if _, ok := doc.Paths[p]; !ok {
				t.Errorf("paths has no %s", p)
			}
		}
		params := map[string]map[string]any{}
		for _, p := range doc.Paths["/collections/comuni/items"].Get.Parameters {
			if p.In != "query" {
				t.Errorf("items parameter %s is in %q, want query", p.Name, p.In)
			}
			params[p.Name] = p.Schema
		}
		limit, ok := params["limit"]
		if !ok {
			t.Fatalf("items parameters %v have no limit", params)
		}
		// GDAL and QGIS read the maximum to choose their page size.
		if got, _ := limit["maximum"].(float64); got != features.MaxLimit {
			t.Errorf("limit maximum = %v, want %d", limit["maximum"], features.MaxLimit)
		}
		if got, _ := limit["default"].(float64); got != features.DefaultLimit {
			t.Errorf("limit default = %v, want %d", limit["default"], features.DefaultLimit)
		}
		l, _ := s.Catalog.Layer("comuni")
		want := append([]string{"bbox", "limit", "offset"}, l.PropertyNames()...)
		for _, name := range want {
			if _, ok := params[name]; !ok {
				t.Errorf("items parameters have no %s", name)
			}
		}
		if got := params["consortium"]["type"]; got != "boolean" {
			t.Errorf("consortium schema type = %v, want boolean", got)
		}
		if got := params["area_km2"]["type"]; got != "number" {
			t.Errorf("area_km2 schema type = %v, want number", got)
		}
	})

	t.Run("collections", func(t *testing.T) {
		var cs struct {
			Collections []collection `json:"collections"`
			Links       []link       `json:"links"`
		}
		getJSON(t, s.URL+"/collections", "application/json", &cs)
		var ids []string
		for _, c := range cs.Collections {
			ids = append(ids, c.ID)
		}
		if !slices.Contains(ids, "comuni") {
			t.Errorf("collections = %v, want comuni among them", ids)
		}
		if got := rel(cs.Links, "self"); got != s.URL+"/collections" {
			t.Errorf("collections self link = %q, want %q", got, s.URL+"/collections")
		}
	})

	t.Run("collection", func(t *testing.T) {
		var c collection
		getJSON(t, s.URL+"/collections/comuni", "application/json", &c)
		if c.ID != "comuni" || c.Title == "" {
			t.Errorf("collection id, title = %q, %q, want comuni and a title", c.ID, c.Title)
		}
		if got, want := rel(c.Links, "self"), s.URL+"/collections/comuni"; got != want {
			t.Errorf("self link = %q, want %q", got, want)
		}
		if got, want := rel(c.Links, "items"), s.URL+"/collections/comuni/items"; got != want {
			t.Errorf("items link = %q, want %q", got, want)
		}
		if len(c.Extent.Spatial.BBox) != 1 || len(c.Extent.Spatial.BBox[0]) != 4 {
			t.Fatalf("extent bbox = %v, want one box of 4 numbers", c.Extent.Spatial.BBox)
		}
		bb := c.Extent.Spatial.BBox[0]
		got := orb.Bound{Min: orb.Point{bb[0], bb[1]}, Max: orb.Point{bb[2], bb[3]}}
		if !cremasco.Contains(got.Min) || !cremasco.Contains(got.Max) || got.Min[0] >= got.Max[0] || got.Min[1] >= got.Max[1] {
			t.Errorf("extent bbox = %v, want a box inside the Cremasco %v", bb, cremasco)
		}
		// Independently: the bound of every feature served (GeoJSON has
		// 7 decimals, so allow a little more than 1e-7).
		want := boundOf(allComuni(t, s))
		const eps = 2e-7
		for i, v := range []float64{want.Min[0], want.Min[1], want.Max[0], want.Max[1]} {
			if math.Abs(bb[i]-v) > eps {
				t.Errorf("extent bbox = %v, want the bound of the features %v", bb, want)
				break
			}
		}
	})
}

type collection struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Links  []link `json:"links"`
	Extent struct {
		Spatial struct {
			BBox [][]float64 `json:"bbox"`
			CRS  string      `json:"crs"`
		} `json:"spatial"`
	} `json:"extent"`
}

func boundOf(fs []*geojson.Feature) orb.Bound {
	b := fs[0].Geometry.Bound()
	for _, f := range fs[1:] {
		b = b.Union(f.Geometry.Bound())
	}
	return b
}

// TestItems checks the items endpoint: the default page, paging by links,
// the bbox and property filters, one item, and the GeoJSON it writes.
func TestItems(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	all := allComuni(t, s)

	t.Run("default_page", func(t *testing.T) {
		p := items(t, s.URL+"/collections/comuni/items")
		if p.Type != "FeatureCollection" {
			t.Errorf("type = %q, want FeatureCollection", p.Type)
		}
		if len(p.Features) != features.DefaultLimit || p.NumberReturned != features.DefaultLimit {
			t.Errorf("features, numberReturned = %d, %d, want %d (the default limit)", len(p.Features), p.NumberReturned, features.DefaultLimit)
		}
		if p.NumberMatched != 48 {
			t.Errorf("numberMatched = %d, want 48", p.NumberMatched)
		}
		if p.TimeStamp == "" {
			t.Errorf("timeStamp missing")
		}
		if got := rel(p.Links, "self"); !strings.HasPrefix(got, s.URL+"/collections/comuni/items") {
			t.Errorf("self link = %q", got)
		}
		if got := rel(p.Links, "prev"); got != "" {
			t.Errorf("first page has a prev link %q", got)
		}
	})

	t.Run("paging", func(t *testing.T) {
		// Forward by next links: every feature exactly once.
		seen := map[string]int{}
		var pages []string
		for u := s.URL + "/collections/comuni/items?limit=7"; u != ""; {
			if len(pages) > 10 {
				t.Fatalf("more than 10 pages of 7 for 48 features: %v", pages)
			}
			pages = append(pages, u)
			p := items(t, u)
			if p.NumberMatched != 48 {
				t.Errorf("%s: numberMatched = %d, want 48", u, p.NumberMatched)
			}
			if p.NumberReturned != len(p.Features) {
				t.Errorf("%s: numberReturned = %d, want %d (the features in the page)", u, p.NumberReturned, len(p.Features))
			}
			if want := min(7, 48-7*(len(pages)-1)); len(p.Features) != want {
				t.Errorf("page %d: got %d features, want %d", len(pages), len(p.Features), want)
			}
			for _, id := range ids(p.Features) {
				seen[id]++
			}
			u = rel(p.Links, "next")
		}
		if len(pages) != 7 {
			t.Errorf("walked %d pages, want 7", len(pages))
		}
		for _, id := range ids(all) {
			if seen[id] != 1 {
				t.Errorf("feature %s seen %d times, want once", id, seen[id])
			}
		}
		if len(seen) != 48 {
			t.Errorf("saw %d distinct features, want 48", len(seen))
		}
		// Next links page by cursor: no offset, no prev (where the page
		// starts is not known).
		for _, u := range pages[1:] {
			if q := mustQuery(t, u); q.Get("cursor") == "" || q.Has("offset") {
				t.Errorf("next link %s: want a cursor and no offset", u)
			}
			if prev := rel(items(t, u).Links, "prev"); prev != "" {
				t.Errorf("page %s after a cursor has a prev link %s", u, prev)
			}
		}
		// Back by prev links from the last page by offset to the first.
		back := 1
		for u := s.URL + "/collections/comuni/items?limit=7&offset=42"; ; back++ {
			p := items(t, u)
			prev := rel(p.Links, "prev")
			if prev == "" {
				if q := mustQuery(t, u); q.Get("offset") != "" && q.Get("offset") != "0" {
					t.Errorf("page %s has no prev link", u)
				}
				break
			}
			if back > 10 {
				t.Fatalf("more than 10 prev pages")
			}
			u = prev
		}
		if back != 7 {
			t.Errorf("walked back %d pages, want 7", back)
		}
	})

	t.Run("bad_cursor", func(t *testing.T) {
		for _, c := range []string{"garbage!", "MDo0Mg", "MDowMTkwMzU=", "MTowMTkwMzU"} {
			res, err := http.Get(s.URL + "/collections/comuni/items?cursor=" + url.QueryEscape(c))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if c == "MDo0Mg" { // "0:42": a well-formed cursor before every istat code
				if res.StatusCode != http.StatusOK {
					t.Errorf("cursor=%s: status %d, want 200", c, res.StatusCode)
				}
				continue
			}
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(problemDetail(t, b), "cursor") {
				t.Errorf("cursor=%s: %d %s %s, want a 400 problem naming cursor", c, res.StatusCode, res.Header.Get("Content-Type"), b)
			}
		}
	})

	t.Run("offset_past_end", func(t *testing.T) {
		p := items(t, s.URL+"/collections/comuni/items?offset=100")
		if len(p.Features) != 0 || p.NumberReturned != 0 || p.NumberMatched != 48 {
			t.Errorf("features, numberReturned, numberMatched = %d, %d, %d, want 0, 0, 48", len(p.Features), p.NumberReturned, p.NumberMatched)
		}
		if got := rel(p.Links, "next"); got != "" {
			t.Errorf("next link past the end: %q", got)
		}
	})

	t.Run("bbox", func(t *testing.T) {
		c := centroidOf(t, all, crema)
		tests := []struct {
			name string
			box  orb.Bound
		}{
			{"everything", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}},
			{"nothing", orb.Bound{Min: orb.Point{10.1, 46}, Max: orb.Point{10.2, 46.1}}},
			{"around_crema", orb.Bound{Min: orb.Point{c[0] - 0.01, c[1] - 0.01}, Max: orb.Point{c[0] + 0.01, c[1] + 0.01}}},
			{"point_in_crema", orb.Bound{Min: c, Max: c}},
			{"meridian_through_crema", orb.Bound{Min: orb.Point{c[0], 45.2}, Max: orb.Point{c[0], 45.5}}},
			{"parallel_through_crema", orb.Bound{Min: orb.Point{9.4, c[1]}, Max: orb.Point{9.95, c[1]}}},
			{"west_half", orb.Bound{Min: orb.Point{9.3, 45.1}, Max: orb.Point{9.6512345, 45.6}}},
			{"thin_band", orb.Bound{Min: orb.Point{9.4, 45.3512345}, Max: orb.Point{9.95, 45.3587654}}},
			{"south_east", orb.Bound{Min: orb.Point{9.7234567, 45.2}, Max: orb.Point{9.95, 45.3123456}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var want []string
				for _, f := range all {
					if intersects(f.Geometry, tt.box) {
						want = append(want, f.ID.(string))
					}
				}
				u := s.URL + "/collections/comuni/items?limit=1000&bbox=" + url.QueryEscape(fmt.Sprintf("%v,%v,%v,%v", tt.box.Min[0], tt.box.Min[1], tt.box.Max[0], tt.box.Max[1]))
				p := items(t, u)
				got := ids(p.Features)
				sort.Strings(got)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Errorf("bbox %v: got %v, want %v", tt.box, got, want)
				}
				if p.NumberMatched != len(want) {
					t.Errorf("bbox %v: numberMatched = %d, want %d", tt.box, p.NumberMatched, len(want))
				}
			})
		}
		// The next link keeps the filter.
		p := items(t, s.URL+"/collections/comuni/items?limit=2&bbox=9.3,45.1,9.6512345,45.6")
		next := mustQuery(t, rel(p.Links, "next"))
		if next.Get("bbox") != "9.3,45.1,9.6512345,45.6" || next.Get("cursor") == "" || next.Has("offset") {
			t.Errorf("next link query = %v, want the same bbox and a cursor", next)
		}
	})

	t.Run("property_filters", func(t *testing.T) {
		tests := []struct {
			query string
			want  int
		}{
			{"name=Crema", 1},
			{"istat_code=" + crema, 1},
			{"name=Nowhere", 0},
			{"consortium=true", 48},
			{"consortium=false", 0},
			{"consortium=1", 48}, // GDAL sends booleans as integers
			{"consortium=0", 0},
			{"synthetic=false&province_code=019", 48}, // the demo's boundaries are ISTAT's
			{"synthetic=true", 0},
			{"name=Crema&consortium=true", 1},
			{"name=Crema&consortium=false", 0},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				p := items(t, s.URL+"/collections/comuni/items?limit=100&"+tt.query)
				if len(p.Features) != tt.want || p.NumberMatched != tt.want {
					t.Errorf("?%s: features, numberMatched = %d, %d, want %d", tt.query, len(p.Features), p.NumberMatched, tt.want)
				}
			})
		}
		p := items(t, s.URL+"/collections/comuni/items?name=Crema")
		if got := ids(p.Features); !slices.Equal(got, []string{crema}) {
			t.Errorf("?name=Crema: ids = %v, want [%s]", got, crema)
		}
		// A number filter matches the exact value served.
		area := p.Features[0].Properties["area_km2"].(float64)
		p = items(t, s.URL+"/collections/comuni/items?area_km2="+fmt.Sprint(area))
		if got := ids(p.Features); !slices.Equal(got, []string{crema}) {
			t.Errorf("?area_km2=%v: ids = %v, want [%s]", area, got, crema)
		}
	})

	t.Run("item", func(t *testing.T) {
		res, body := get(t, s.URL+"/collections/comuni/items/"+crema, http.StatusOK)
		checkMediaType(t, res, "application/geo+json")
		f, err := geojson.UnmarshalFeature(body)
		if err != nil {
			t.Fatalf("decode feature: %v", err)
		}
		var withLinks struct {
			Links []link `json:"links"`
		}
		if err := json.Unmarshal(body, &withLinks); err != nil {
			t.Fatal(err)
		}
		if f.ID != crema || f.Properties["name"] != "Crema" || f.Properties["istat_code"] != crema {
			t.Errorf("item: id %v, name %v, istat_code %v, want %s, Crema, %s", f.ID, f.Properties["name"], f.Properties["istat_code"], crema, crema)
		}
		if _, ok := f.Geometry.(orb.MultiPolygon); !ok {
			t.Errorf("geometry is %T, want MultiPolygon", f.Geometry)
		}
		if got, want := rel(withLinks.Links, "self"), s.URL+"/collections/comuni/items/"+crema; got != want {
			t.Errorf("self link = %q, want %q", got, want)
		}
		if got, want := rel(withLinks.Links, "collection"), s.URL+"/collections/comuni"; got != want {
			t.Errorf("collection link = %q, want %q", got, want)
		}
		// The same feature as in the collection.
		for _, g := range all {
			if g.ID == crema && !orb.Equal(g.Geometry, f.Geometry) {
				t.Errorf("item geometry differs from the one in items")
			}
		}
	})

	t.Run("rfc7946", func(t *testing.T) {
		for _, f := range all {
			mp, ok := f.Geometry.(orb.MultiPolygon)
			if !ok {
				t.Errorf("%v: geometry is %T, want MultiPolygon", f.ID, f.Geometry)
				continue
			}
			// §3.1.1: longitude first. The Cremasco is at 9..10 E, 45..46 N;
			// swapped axes would put it in the Horn of Africa.
			for _, p := range mp {
				for i, r := range p {
					for _, pt := range r {
						if pt[0] < 9 || pt[0] > 10 || pt[1] < 45 || pt[1] > 46 {
							t.Fatalf("%v: coordinate %v is not lon,lat in the Cremasco", f.ID, pt)
						}
					}
					// §3.1.6: exterior rings counterclockwise, holes clockwise.
					want := orb.CCW
					if i > 0 {
						want = orb.CW
					}
					if got := r.Orientation(); got != want {
						t.Errorf("%v: ring %d orientation = %v, want %v (RFC 7946 §3.1.6 right-hand rule)", f.ID, i, got, want)
					}
				}
			}
		}
	})
}

func mustQuery(tb testing.TB, u string) url.Values {
	tb.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		tb.Fatalf("link %q: %v", u, err)
	}
	return pu.Query()
}

// centroidOf returns a point inside the feature with the given id.
func centroidOf(tb testing.TB, fs []*geojson.Feature, id string) orb.Point {
	tb.Helper()
	for _, f := range fs {
		if f.ID == id {
			c, _ := planar.CentroidArea(f.Geometry)
			if !planar.MultiPolygonContains(f.Geometry.(orb.MultiPolygon), c) {
				tb.Fatalf("centroid of %s is outside it", id)
			}
			return c
		}
	}
	tb.Fatalf("no feature %s", id)
	return orb.Point{}
}

// intersects reports whether the (multi)polygon g intersects the closed box
// b, by plain planar geometry: a vertex inside the box, a box corner inside
// the polygon, or an edge crossing a box side.
func intersects(g orb.Geometry, b orb.Bound) bool {
	mp, ok := g.(orb.MultiPolygon)
	if !ok {
		panic(fmt.Sprintf("intersects: %T", g))
	}
	if !mp.Bound().Intersects(b) {
		return false
	}
	corners := []orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}}
	for _, c := range corners {
		if planar.MultiPolygonContains(mp, c) {
			return true
		}
	}
	for _, p := range mp {
		for _, r := range p {
			for i, pt := range r {
				if b.Contains(pt) {
					return true
				}
				if i == 0 {
					continue
				}
				for j := range corners {
					if segmentsCross(r[i-1], pt, corners[j], corners[(j+1)%4]) {
						return true
					}
				}
			}
		}
	}
	return false
}

// segmentsCross reports whether segments ab and cd share a point.
func segmentsCross(a, b, c, d orb.Point) bool {
	cross := func(o, p, q orb.Point) float64 { return (p[0]-o[0])*(q[1]-o[1]) - (p[1]-o[1])*(q[0]-o[0]) }
	d1, d2 := cross(c, d, a), cross(c, d, b)
	d3, d4 := cross(a, b, c), cross(a, b, d)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	on := func(p, q, r orb.Point) bool { // r on segment pq, given collinear
		return math.Min(p[0], q[0]) <= r[0] && r[0] <= math.Max(p[0], q[0]) && math.Min(p[1], q[1]) <= r[1] && r[1] <= math.Max(p[1], q[1])
	}
	return (d1 == 0 && on(c, d, a)) || (d2 == 0 && on(c, d, b)) || (d3 == 0 && on(a, b, c)) || (d4 == 0 && on(a, b, d))
}
