package httpapi_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestCRSPart2 checks OGC API – Features Part 2 over HTTP: the
// conformance class, the CRS lists of /collections and of a collection,
// storageCrs, Content-Crs on items and item in every CRS, links that keep
// crs and bbox-crs, coordinates of the demo's comuni equal to PostGIS's
// ST_Transform within a centimetre, and the OpenAPI parameters.
func TestCRSPart2(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	var uris []string
	for _, c := range geo.SupportedCRSs() {
		uris = append(uris, c.URI())
	}
	wantURIs := []string{
		"http://www.opengis.net/def/crs/OGC/1.3/CRS84",
		"http://www.opengis.net/def/crs/EPSG/0/4326",
		"http://www.opengis.net/def/crs/EPSG/0/4258",
		"http://www.opengis.net/def/crs/EPSG/0/3857",
		"http://www.opengis.net/def/crs/EPSG/0/32632",
		"http://www.opengis.net/def/crs/EPSG/0/6707",
		"http://www.opengis.net/def/crs/EPSG/0/7791",
		"http://www.opengis.net/def/crs/EPSG/0/3003",
	}
	if !slices.Equal(uris, wantURIs) {
		t.Fatalf("supported CRSs %v, want %v", uris, wantURIs)
	}

	t.Run("conformance", func(t *testing.T) {
		var c struct {
			ConformsTo []string `json:"conformsTo"`
		}
		getJSON(t, s.URL+"/conformance", "application/json", &c)
		if !slices.Contains(c.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs") {
			t.Errorf("conformsTo = %v, want the Part 2 crs class", c.ConformsTo)
		}
	})

	t.Run("collections", func(t *testing.T) {
		var cs struct {
			CRS         []string `json:"crs"`
			Collections []struct {
				ID         string   `json:"id"`
				CRS        []string `json:"crs"`
				StorageCRS string   `json:"storageCrs"`
			} `json:"collections"`
		}
		getJSON(t, s.URL+"/collections", "application/json", &cs)
		if !slices.Equal(cs.CRS, wantURIs) {
			t.Errorf("/collections crs = %v, want %v", cs.CRS, wantURIs)
		}
		for _, c := range cs.Collections {
			if !slices.Equal(c.CRS, []string{"#/crs"}) || c.StorageCRS != wantURIs[0] {
				t.Errorf("collection %s: crs %v, storageCrs %q; want [#/crs] and CRS84", c.ID, c.CRS, c.StorageCRS)
			}
		}
		var one struct {
			CRS        []string `json:"crs"`
			StorageCRS string   `json:"storageCrs"`
		}
		getJSON(t, s.URL+"/collections/comuni", "application/json", &one)
		if !slices.Equal(one.CRS, wantURIs) || one.StorageCRS != wantURIs[0] {
			t.Errorf("/collections/comuni: crs %v, storageCrs %q; want the whole list and CRS84", one.CRS, one.StorageCRS)
		}
	})

	t.Run("content-crs", func(t *testing.T) {
		base := s.URL + "/collections/comuni/items"
		for _, tt := range []struct{ query, want string }{
			{"", wantURIs[0]},
			{"?crs=CRS84", wantURIs[0]},
			{"?crs=EPSG:4326", wantURIs[1]},
			{"?crs=" + url.QueryEscape(wantURIs[5]), wantURIs[5]},
			{"?crs=urn:ogc:def:crs:EPSG::3003", wantURIs[7]},
		} {
			for _, u := range []string{base + tt.query, base + "/019035" + tt.query} {
				res, _ := get(t, u, http.StatusOK)
				if got := res.Header.Get("Content-Crs"); got != "<"+tt.want+">" {
					t.Errorf("GET %s: Content-Crs %q, want <%s>", u, got, tt.want)
				}
				checkMediaType(t, res, "application/geo+json")
			}
		}
		// Errors say nothing of a CRS.
		res, _ := get(t, base+"?crs=EPSG:2000", http.StatusBadRequest)
		if got := res.Header.Get("Content-Crs"); got != "" {
			t.Errorf("a refused crs has Content-Crs %q", got)
		}
	})

	t.Run("coordinates", func(t *testing.T) {
		for _, c := range geo.SupportedCRSs() {
			u := s.URL + "/collections/comuni/items?limit=100&crs=" + url.QueryEscape(c.URI())
			var fc struct {
				Features []struct {
					ID       string `json:"id"`
					Geometry struct {
						Coordinates [][][][2]float64 `json:"coordinates"`
					} `json:"geometry"`
				} `json:"features"`
				Links []link `json:"links"`
			}
			getJSON(t, u, "application/geo+json", &fc)
			if len(fc.Features) == 0 {
				t.Fatalf("%s: no comuni", c)
			}
			tol := 0.01
			if c.Geographic {
				tol = 1e-7
			}
			for _, f := range fc.Features {
				// The first vertex of the outer ring, as PostGIS puts it.
				var x, y float64
				if err := s.DB.Read.QueryRow(context.Background(), `
					SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(ST_Transform(ST_ForcePolygonCCW(geom), $2::int), 1)), 1) p
					FROM comuni WHERE istat_code = $1) v`, f.ID, int(c.SRID)).Scan(&x, &y); err != nil {
					t.Fatal(err)
				}
				p := f.Geometry.Coordinates[0][0][0]
				if c.NorthFirst {
					p = [2]float64{p[1], p[0]}
				}
				if math.Abs(p[0]-x) > tol || math.Abs(p[1]-y) > tol {
					t.Errorf("%s comune %s: first vertex %v (x, y), ST_Transform gives %v, %v", c, f.ID, p, x, y)
				}
			}
			if self := rel(fc.Links, "self"); !c.IsCRS84() && !strings.Contains(self, "crs="+url.QueryEscape(c.URI())) {
				t.Errorf("%s: self link %s lost the crs", c, self)
			}
		}
	})

	t.Run("bbox-crs", func(t *testing.T) {
		// Crema's bbox in EPSG:6707 (northing first) selects what its bbox
		// in CRS84 selects; the next link keeps both parameters.
		var n0, e0, n1, e1 float64
		if err := s.DB.Read.QueryRow(context.Background(), `
			SELECT ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) FROM (SELECT ST_Transform(geom, 6707) b FROM comuni WHERE istat_code = '019035') x`,
		).Scan(&n0, &e0, &n1, &e1); err != nil {
			t.Fatal(err)
		}
		box := strings.Join([]string{ftoa(n0), ftoa(e0), ftoa(n1), ftoa(e1)}, ",")
		u := s.URL + "/collections/comuni/items?limit=2&bbox-crs=" + url.QueryEscape(wantURIs[5]) + "&bbox=" + box
		page := items(t, u)
		if page.NumberMatched < 3 || page.NumberReturned != 2 {
			t.Fatalf("bbox in EPSG:6707 around Crema: %d matched, %d returned; want Crema and its neighbours", page.NumberMatched, page.NumberReturned)
		}
		next := rel(page.Links, "next")
		if !strings.Contains(next, "bbox-crs="+url.QueryEscape(wantURIs[5])) || !strings.Contains(next, "bbox="+url.QueryEscape(box)) {
			t.Errorf("next link %s lost the bbox or its CRS (bbox=%s)", next, box)
		}
		var all []string
		for u := s.URL + "/collections/comuni/items?limit=2&bbox-crs=" + url.QueryEscape(wantURIs[5]) + "&bbox=" + box; u != ""; {
			p := items(t, u)
			all = append(all, ids(p.Features)...)
			u = rel(p.Links, "next")
		}
		var want []string
		rows, err := s.DB.Read.Query(context.Background(), `SELECT istat_code FROM comuni
			WHERE ST_Intersects(ST_Transform(geom, 6707), ST_MakeEnvelope($1, $2, $3, $4, 6707)) ORDER BY istat_code`, e0, n0, e1, n1)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			want = append(want, c)
		}
		if !slices.Equal(all, want) || int(page.NumberMatched) != len(want) {
			t.Errorf("bbox in EPSG:6707 pages %v (matched %d), PostGIS %v", all, page.NumberMatched, want)
		}
	})

	t.Run("openapi", func(t *testing.T) {
		var doc struct {
			Paths map[string]struct {
				Get struct {
					Parameters []struct {
						Name   string `json:"name"`
						Schema struct {
							Enum []string `json:"enum"`
						} `json:"schema"`
					} `json:"parameters"`
				} `json:"get"`
			} `json:"paths"`
		}
		getJSON(t, s.URL+"/api", "application/vnd.oai.openapi+json;version=3.0", &doc)
		for path, want := range map[string][]string{
			"/collections/comuni/items":             {"crs", "bbox-crs", "filter-crs"},
			"/collections/comuni/items/{featureId}": {"crs"},
		} {
			found := map[string]bool{}
			for _, p := range doc.Paths[path].Get.Parameters {
				if slices.Contains(want, p.Name) {
					found[p.Name] = true
					if !slices.Equal(p.Schema.Enum, wantURIs) {
						t.Errorf("%s %s: enum %v, want %v", path, p.Name, p.Schema.Enum, wantURIs)
					}
				}
			}
			if len(found) != len(want) {
				t.Errorf("%s documents %v of %v", path, found, want)
			}
		}
	})
}

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
