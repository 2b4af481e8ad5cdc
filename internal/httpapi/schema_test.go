package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/testserver"
)

// schemaDoc is the part of a JSON Schema these tests read.
type schemaDoc struct {
	Schema     string                    `json:"$schema"`
	ID         string                    `json:"$id"`
	Type       string                    `json:"type"`
	Properties map[string]map[string]any `json:"properties"`
	Required   []string                  `json:"required"`
	Additional *bool                     `json:"additionalProperties"`
}

// wantValueSchema checks the schema of one property against the catalog:
// its JSON type, the format of dates, the allowed values.
func wantValueSchema(tb testing.TB, where string, p catalog.Property, got map[string]any) {
	tb.Helper()
	wantType, wantFormat := string(p.Type), ""
	if p.Type == catalog.Date || p.Type == catalog.DateTime {
		wantType, wantFormat = "string", string(p.Type)
	}
	if got["type"] != wantType {
		tb.Errorf("%s: %s type = %v, want %s", where, p.Name, got["type"], wantType)
	}
	if f, _ := got["format"].(string); f != wantFormat {
		tb.Errorf("%s: %s format = %q, want %q", where, p.Name, f, wantFormat)
	}
	var enum []string
	for _, v := range anySlice(got["enum"]) {
		enum = append(enum, v.(string))
	}
	if !slices.Equal(enum, p.Enum) {
		tb.Errorf("%s: %s enum = %v, want %v", where, p.Name, enum, p.Enum)
	}
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestSchemas checks what a client learns about each collection before
// reading it: the conformance classes, the links, the Part 5 schema, the
// Part 3 queryables, the JSON Schema of the GeoJSON features (GDAL's
// describedBy) and the temporal extent, all against the catalog.
func TestSchemas(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection", "energy"}})

	var conf struct {
		ConformsTo []string `json:"conformsTo"`
	}
	getJSON(t, s.URL+"/conformance", "application/json", &conf)
	for _, c := range []string{"ogcapi-features-3/1.0/conf/queryables", "ogcapi-features-3/1.0/conf/queryables-query-parameters",
		"ogcapi-features-4/1.0/conf/create-replace-delete", "ogcapi-features-4/1.0/conf/update",
		"ogcapi-features-5/1.0/conf/schemas", "ogcapi-features-5/1.0/conf/returnables-and-receivables"} {
		if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/"+c) {
			t.Errorf("conformsTo lacks %s: %v", c, conf.ConformsTo)
		}
	}

	var cs struct {
		Collections []struct {
			collection
			GeometryType string `json:"geometryType"`
			Extent       struct {
				Temporal *struct {
					Interval [][]*string `json:"interval"`
					TRS      string      `json:"trs"`
				} `json:"temporal"`
			} `json:"extent"`
		} `json:"collections"`
	}
	getJSON(t, s.URL+"/collections", "application/json", &cs)
	if len(cs.Collections) != len(s.Catalog.Layers()) {
		t.Fatalf("%d collections, want the catalog's %d", len(cs.Collections), len(s.Catalog.Layers()))
	}
	for _, c := range cs.Collections {
		l, _ := s.Catalog.Layer(c.ID)
		t.Run(c.ID, func(t *testing.T) {
			href := s.URL + "/collections/" + c.ID
			for _, tt := range []struct{ rel, path string }{
				{"http://www.opengis.net/def/rel/ogc/1.0/schema", "/schema"},
				{"http://www.opengis.net/def/rel/ogc/1.0/queryables", "/queryables"},
				{"describedBy", "/schema/geojson"},
			} {
				var found bool
				for _, lk := range c.Links {
					if lk.Rel == tt.rel && lk.Href == href+tt.path && lk.Type == "application/schema+json" {
						found = true
					}
				}
				if !found {
					t.Errorf("no link rel=%s to %s%s (application/schema+json) in %v", tt.rel, href, tt.path, c.Links)
				}
			}

			// Part 5: the schema of the features.
			var sc schemaDoc
			getJSON(t, href+"/schema", "application/schema+json", &sc)
			if sc.Schema != "https://json-schema.org/draft/2020-12/schema" || sc.ID != href+"/schema" || sc.Type != "object" {
				t.Errorf("schema $schema, $id, type = %q, %q, %q", sc.Schema, sc.ID, sc.Type)
			}
			roles := map[string][]string{}
			var seqs []float64
			for name, p := range sc.Properties {
				if r, ok := p["x-ogc-role"].(string); ok {
					roles[r] = append(roles[r], name)
				}
				seq, ok := p["x-ogc-propertySeq"].(float64)
				if !ok || slices.Contains(seqs, seq) {
					t.Errorf("schema: %s x-ogc-propertySeq = %v, want a unique integer", name, p["x-ogc-propertySeq"])
				}
				seqs = append(seqs, seq)
			}
			if !slices.Equal(roles["id"], []string{l.IDColumn}) {
				t.Errorf("schema: x-ogc-role id on %v, want %s", roles["id"], l.IDColumn)
			}
			if g := sc.Properties["geometry"]; !slices.Equal(roles["primary-geometry"], []string{"geometry"}) ||
				g["format"] != "geometry-"+strings.ToLower(c.GeometryType) || g["type"] != nil {
				t.Errorf("schema: primary geometry %v %v, want format geometry-%s and no type", roles["primary-geometry"], g, strings.ToLower(c.GeometryType))
			}
			var wantInstant []string
			if l.Temporal != nil && l.Temporal.Instant != "" {
				wantInstant = []string{l.Temporal.Instant}
			}
			if !slices.Equal(roles["primary-instant"], wantInstant) {
				t.Errorf("schema: primary-instant on %v, want %v", roles["primary-instant"], wantInstant)
			}
			if len(sc.Properties) != len(l.FeatureProperties())+1 {
				t.Errorf("schema has %d properties, want the %d of the features and the geometry", len(sc.Properties), len(l.FeatureProperties()))
			}
			for _, p := range l.FeatureProperties() {
				got, ok := sc.Properties[p.Name]
				if !ok {
					t.Errorf("schema: no property %s", p.Name)
					continue
				}
				wantValueSchema(t, "schema", p, got)
				writable := l.Edit != nil && slices.Contains(l.Edit.Writable, p.Name)
				if ro, _ := got["readOnly"].(bool); ro == writable {
					t.Errorf("schema: %s readOnly = %v, writable = %v", p.Name, ro, writable)
				}
			}

			// Part 3: the queryables are the id, the geometry and the
			// properties: what a filter may name.
			var q schemaDoc
			res := getJSON(t, href+"/queryables", "application/schema+json", &q)
			if q.ID != href+"/queryables" || q.Type != "object" || q.Additional == nil || *q.Additional {
				t.Errorf("queryables $id, type, additionalProperties = %q, %q, %v", q.ID, q.Type, q.Additional)
			}
			if len(q.Properties) != len(l.FeatureProperties())+1 {
				t.Errorf("%d queryables, want the %d of the features and the geometry", len(q.Properties), len(l.FeatureProperties()))
			}
			for _, p := range l.FeatureProperties() {
				wantValueSchema(t, "queryables", p, q.Properties[p.Name])
			}
			if g := q.Properties["geometry"]; g["format"] != "geometry-"+strings.ToLower(c.GeometryType) || g["x-ogc-role"] != "primary-geometry" {
				t.Errorf("queryables: geometry %v, want format geometry-%s, role primary-geometry", g, strings.ToLower(c.GeometryType))
			}
			if role := q.Properties[l.IDColumn]["x-ogc-role"]; role != "id" {
				t.Errorf("queryables: %s x-ogc-role = %v, want id", l.IDColumn, role)
			}
			res, _ = get(t, href+"/items?limit=1", http.StatusOK)
			if link := res.Header.Get("Link"); !strings.Contains(link, "<"+href+"/queryables>") || !strings.Contains(link, `rel="http://www.opengis.net/def/rel/ogc/1.0/queryables"`) {
				t.Errorf("items Link header = %q, want the queryables", link)
			}

			// GDAL's describedBy: a GeoJSON feature whose properties
			// member lists the fields, one type each.
			var gj struct {
				schemaDoc
				Properties struct {
					Properties struct {
						Properties map[string]map[string]any `json:"properties"`
					} `json:"properties"`
				} `json:"properties"`
			}
			getJSON(t, href+"/schema/geojson", "application/schema+json", &gj)
			fields := gj.Properties.Properties.Properties
			for _, p := range l.FeatureProperties() {
				if p.Name == "id" {
					if _, ok := fields["id"]; ok {
						t.Errorf("geojson schema lists id: GDAL would add it twice")
					}
					continue
				}
				wantValueSchema(t, "geojson schema", p, fields[p.Name])
			}

			// The time the datetime parameter selects on.
			tmp := c.Extent.Temporal
			if (tmp != nil) != (l.Temporal != nil) {
				t.Fatalf("extent.temporal = %v, layer temporal %v", tmp, l.Temporal)
			}
			if tmp != nil {
				if tmp.TRS != "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian" || len(tmp.Interval) != 1 || len(tmp.Interval[0]) != 2 {
					t.Fatalf("extent.temporal = %+v", tmp)
				}
				for _, v := range tmp.Interval[0] {
					if v == nil {
						continue
					}
					if _, err := time.Parse(time.RFC3339Nano, *v); err != nil {
						t.Errorf("extent.temporal bound %q: %v", *v, err)
					}
				}
			}
		})
	}
}

// TestOpenAPIParts checks what the API definition says about the
// additions: datetime on every items path, the merge patch media type of
// PATCH, and the schema documents.
func TestOpenAPIParts(t *testing.T) {
	s := testserver.Start(t, testserver.Options{NoDemo: true})
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
			} `json:"parameters"`
			RequestBody struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	getJSON(t, s.URL+"/api", "application/vnd.oai.openapi+json;version=3.0", &doc)
	for _, l := range s.Catalog.Layers() {
		base := "/collections/" + l.ID
		var names []string
		for _, p := range doc.Paths[base+"/items"]["get"].Parameters {
			names = append(names, p.Name)
		}
		for _, want := range append([]string{"datetime", "filter", "filter-lang", "filter-crs"}, l.IDColumn) {
			if !slices.Contains(names, want) {
				t.Errorf("%s/items: parameters %v, want %s", base, names, want)
			}
		}
		for _, p := range []string{"/schema", "/schema/geojson", "/queryables"} {
			if _, ok := doc.Paths[base+p]["get"]; !ok {
				t.Errorf("no GET %s%s", base, p)
			}
		}
		patch, ok := doc.Paths[base+"/items/{featureId}"]["patch"]
		if ok != (l.Edit != nil) {
			t.Errorf("%s: PATCH documented %v, editable %v", base, ok, l.Edit != nil)
		}
		if _, merge := patch.RequestBody.Content["application/merge-patch+json"]; ok && !merge {
			t.Errorf("%s: PATCH body %v, want application/merge-patch+json", base, patch.RequestBody.Content)
		}
	}
}

// TestItemsLimitAboveMaximum asks for more than the maximum: the page
// holds the maximum at most and says so in its links.
func TestItemsLimitAboveMaximum(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	for _, limit := range []string{"10001", "99999999999999999999"} {
		p := items(t, s.URL+"/collections/comuni/items?limit="+limit)
		if p.NumberReturned != 48 || len(p.Features) != 48 {
			t.Errorf("limit=%s: %d features (numberReturned %d), want all 48", limit, len(p.Features), p.NumberReturned)
		}
		if got := mustQuery(t, rel(p.Links, "self")).Get("limit"); got != "10000" {
			t.Errorf("limit=%s: self link limit = %q, want 10000 (what was applied)", limit, got)
		}
	}
	var raw json.RawMessage
	getJSON(t, s.URL+"/collections/comuni/items?limit=10001&offset=40", "application/geo+json", &raw)
	if !strings.Contains(string(raw), `"numberReturned":8`) {
		t.Errorf("limit=10001&offset=40: want 8 returned: %.200s", raw)
	}
}
