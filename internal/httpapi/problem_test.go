package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/testserver"
)

// TestProblems checks every client error the API gives: its status, the
// RFC 9457 problem+json body (compared with testdata/problem_*.golden.json
// after dropping the per-request requestId) and that no internals leak.
func TestProblems(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	const itemsPath = "/collections/comuni/items"
	tests := []struct {
		name   string
		method string // GET when empty
		path   string
		status int
		detail []string // substrings the detail must contain
	}{
		// Unknown things.
		{name: "unknown_collection", path: "/collections/nope", status: 404, detail: []string{`"nope"`, "comuni"}},
		{name: "unknown_collection_items", path: "/collections/nope/items", status: 404, detail: []string{"comuni"}},
		{name: "unknown_feature", path: itemsPath + "/999999", status: 404, detail: []string{"999999"}},
		{name: "unknown_feature_nul", path: itemsPath + "/%00", status: 400, detail: []string{"U+0000"}},
		{name: "unknown_path", path: "/nope", status: 404, detail: []string{"/nope"}},
		{name: "unknown_tile_layer", path: "/tiles/nope/1/0/0.mvt", status: 404, detail: []string{"comuni"}},
		{name: "unknown_tilejson", path: "/tiles/nope.json", status: 404, detail: []string{"comuni"}},

		// bbox.
		{name: "bbox_count", path: itemsPath + "?bbox=9,45,10", status: 400, detail: []string{"bbox", "got 3"}},
		{name: "bbox_not_number", path: itemsPath + "?bbox=9,45,ten,46", status: 400, detail: []string{"bbox", "ten"}},
		{name: "bbox_min_gt_max_lon", path: itemsPath + "?bbox=10,45,9,46", status: 400, detail: []string{"bbox", "minx"}},
		{name: "bbox_min_gt_max_lat", path: itemsPath + "?bbox=9,46,10,45", status: 400, detail: []string{"bbox", "miny"}},
		{name: "bbox_lon_range", path: itemsPath + "?bbox=-181,45,10,46", status: 400, detail: []string{"bbox", "longitude"}},
		{name: "bbox_lat_range", path: itemsPath + "?bbox=9,45,10,91", status: 400, detail: []string{"bbox", "latitude"}},

		// Paging.
		{name: "limit_zero", path: itemsPath + "?limit=0", status: 400, detail: []string{"limit", "10000"}},
		{name: "limit_negative", path: itemsPath + "?limit=-5", status: 400, detail: []string{"limit", "positive", "10000"}},
		{name: "limit_not_number", path: itemsPath + "?limit=x", status: 400, detail: []string{"limit"}},
		{name: "offset_negative", path: itemsPath + "?offset=-1", status: 400, detail: []string{"offset"}},
		{name: "offset_not_number", path: itemsPath + "?offset=x", status: 400, detail: []string{"offset"}},
		{name: "limit_twice", path: itemsPath + "?limit=1&limit=2", status: 400, detail: []string{"limit", "once"}},

		// Filters.
		{name: "unknown_property", path: itemsPath + "?colour=red", status: 400,
			detail: []string{"colour", "istat_code", "name", "province_code", "cadastral_code", "consortium", "area_km2", "source", "synthetic"}},
		{name: "bad_boolean", path: itemsPath + "?consortium=maybe", status: 400, detail: []string{"consortium", "maybe"}},
		{name: "bad_number", path: itemsPath + "?area_km2=big", status: 400, detail: []string{"area_km2", "big"}},
		{name: "string_nul", path: itemsPath + "?name=Cre%00ma", status: 400, detail: []string{"name"}},
		{name: "string_not_utf8", path: itemsPath + "?name=%ff%fe", status: 400, detail: []string{"name"}},
		{name: "unsupported_crs", path: itemsPath + "?crs=EPSG:25832", status: 400,
			detail: []string{"crs", "EPSG:25832 is not served", "CRS84, EPSG:4326, EPSG:4258, EPSG:3857, EPSG:32632, EPSG:6707, EPSG:7791, EPSG:3003"}},
		{name: "unsupported_bbox_crs", path: itemsPath + "?bbox=1,2,3,4&bbox-crs=urn:ogc:def:crs:EPSG::2000", status: 400,
			detail: []string{"bbox-crs", "EPSG:2000 is not served", "CRS84, EPSG:4326"}},
		{name: "item_unsupported_crs", path: itemsPath + "/" + crema + "?crs=EPSG:3004", status: 400,
			detail: []string{"crs", "EPSG:3004 is not served", "EPSG:3003"}},
		{name: "datetime_malformed", path: itemsPath + "?datetime=2026-31-01", status: 400, detail: []string{"datetime", "2026-31-01", "not a date in the calendar"}},
		{name: "datetime_backwards", path: itemsPath + "?datetime=2026-02-01/2026-01-01", status: 400, detail: []string{"datetime", "start", "after the end"}},
		{name: "item_unknown_parameter", path: itemsPath + "/" + crema + "?limit=1", status: 400, detail: []string{"limit"}},

		// CQL2 filters (Part 3): where, and what was expected.
		{name: "filter_unknown_property", path: itemsPath + "?filter=" + url.QueryEscape("colour = 'red'"), status: 400,
			detail: []string{"filter", "at 1:1", "colour", "queryables", "istat_code", "geometry"}},
		{name: "filter_wrong_type", path: itemsPath + "?filter=" + url.QueryEscape("name = 'Crema' AND area_km2 > 'big'"), status: 400,
			detail: []string{"filter", "at 1:29", "area_km2", "a number", "a string"}},
		{name: "filter_malformed", path: itemsPath + "?filter=" + url.QueryEscape("name = "), status: 400, detail: []string{"filter", "at 1:8", "expected"}},
		{name: "filter_malformed_json", path: itemsPath + "?filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op": "like", "args": [{"property": "name"}, 5]}`),
			status: 400, detail: []string{"filter", "#/args/1", "pattern of LIKE"}},
		{name: "filter_unknown_function", path: itemsPath + "?filter=" + url.QueryEscape("upper(name) = 'CREMA'"), status: 400,
			detail: []string{"filter", "at 1:1", "unknown function 'upper'"}},
		{name: "filter_invalid_geometry", path: itemsPath + "?filter=" + url.QueryEscape("S_INTERSECTS(geometry, POLYGON((9.6 45.3, 9.7 45.4, 9.7 45.3, 9.6 45.4, 9.6 45.3)))"),
			status: 400, detail: []string{"filter", "at 1:24", "self-intersection"}},
		{name: "filter_division_by_zero", path: itemsPath + "?filter=" + url.QueryEscape("area_km2 / 0 > 1"), status: 400,
			detail: []string{"filter", "division by zero"}},
		{name: "filter_lang_unknown", path: itemsPath + "?filter=name%3D'Crema'&filter-lang=ecql", status: 400, detail: []string{"filter-lang", "ecql", "cql2-text"}},
		{name: "filter_crs_unsupported", path: itemsPath + "?filter=name%3D'Crema'&filter-crs=EPSG:25832", status: 400, detail: []string{"filter-crs", "EPSG:25832 is not served", "CRS84"}},

		// Formats.
		{name: "bad_f_landing", path: "/?f=xml", status: 400, detail: []string{"xml"}},
		{name: "bad_f_conformance", path: "/conformance?f=xml", status: 400, detail: []string{"xml"}},
		{name: "bad_f_collections", path: "/collections?f=xml", status: 400, detail: []string{"xml"}},
		{name: "bad_f_items", path: itemsPath + "?f=xml", status: 400, detail: []string{"xml", "json, geojson or html"}},
		{name: "bad_f_item", path: itemsPath + "/" + crema + "?f=xml", status: 400, detail: []string{"xml", "json, geojson or html"}},
		// Resources that are JSON only name their one format.
		{name: "html_tile_matrix_sets", path: "/tileMatrixSets?f=html", status: 400, detail: []string{"html", "use json"}},
		{name: "html_tileset", path: "/collections/comuni/tiles/WebMercatorQuad?f=html", status: 400, detail: []string{"html", "use json"}},
		{name: "html_geojson_schema", path: "/collections/comuni/schema/geojson?f=html", status: 400, detail: []string{"html", "use json"}},
		{name: "bad_f_api", path: "/api?f=yaml", status: 400, detail: []string{"yaml"}},

		// Tiles.
		{name: "tile_z_not_number", path: "/tiles/comuni/a/0/0.mvt", status: 400, detail: []string{"z"}},
		{name: "tile_x_not_number", path: "/tiles/comuni/3/a/0.mvt", status: 400, detail: []string{"x"}},
		{name: "tile_y_not_number", path: "/tiles/comuni/3/0/a.mvt", status: 400, detail: []string{"y"}},
		{name: "tile_x_outside_zoom", path: "/tiles/comuni/3/8/0.mvt", status: 400, detail: []string{"x", "0..7"}},
		{name: "tile_y_outside_zoom", path: "/tiles/comuni/3/0/8.mvt", status: 400, detail: []string{"y", "0..7"}},
		{name: "tile_z_too_large", path: "/tiles/comuni/25/0/0.mvt", status: 400, detail: []string{"z", "24"}},
		{name: "tile_leading_zero", path: "/tiles/comuni/03/0/0.mvt", status: 400, detail: []string{"z"}},
		{name: "tile_zoom_outside_layer", path: "/tiles/comuni/17/0/0.mvt", status: 404, detail: []string{"0 to 16", "17"}},
		{name: "ogc_tile_y_outside_zoom", path: "/collections/comuni/tiles/WebMercatorQuad/3/8/0", status: 400, detail: []string{"y"}},

		// Methods.
		{name: "method_post", method: http.MethodPost, path: "/collections", status: 405, detail: []string{"POST"}},
		{name: "method_delete_item", method: http.MethodDelete, path: itemsPath + "/" + crema, status: 405, detail: []string{"DELETE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			res, body := do(t, method, s.URL+tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("%s %s: status = %d, want %d; body: %s", method, tt.path, res.StatusCode, tt.status, body)
			}
			checkMediaType(t, res, "application/problem+json")
			checkNoLeak(t, body)
			if got := res.Header.Get("ETag"); got != "" {
				t.Errorf("ETag = %q on an error, want none", got)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if tt.status == http.StatusMethodNotAllowed {
				if allow := res.Header.Get("Allow"); allow != "GET, HEAD, OPTIONS" {
					t.Errorf("Allow = %q, want GET, HEAD, OPTIONS (RFC 9110 §15.5.6)", allow)
				}
			}
			var p map[string]any
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("problem body: %v: %s", err, body)
			}
			for _, k := range []string{"type", "title", "detail", "instance"} {
				if v, _ := p[k].(string); v == "" {
					t.Errorf("problem member %q = %v, want a non-empty string", k, p[k])
				}
			}
			if got, _ := p["status"].(float64); int(got) != tt.status {
				t.Errorf("problem status = %v, want %d", p["status"], tt.status)
			}
			if got, _ := p["requestId"].(string); got == "" {
				t.Errorf("problem requestId missing; it ties a report to the logs")
			}
			detail, _ := p["detail"].(string)
			for _, d := range tt.detail {
				if !strings.Contains(detail, d) {
					t.Errorf("detail = %q, want it to mention %q", detail, d)
				}
			}
			delete(p, "requestId")
			checkGoldenJSON(t, "problem_"+tt.name+".golden.json", p)
		})
	}
}
