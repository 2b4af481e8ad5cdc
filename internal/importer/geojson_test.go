package importer

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
)

// readAll reads every feature of a GeoJSON text.
func readAll(tb testing.TB, text string, opts OpenOptions) ([]Feature, geo.SRID, error) {
	tb.Helper()
	r := NewGeoJSONReader(strings.NewReader(text), "t.geojson", opts)
	var fs []Feature
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return fs, r.SRID(), nil
		}
		if err != nil {
			return fs, r.SRID(), err
		}
		fs = append(fs, f)
	}
}

const square = `[[[0,0],[1,0],[1,1],[0,1],[0,0]]]`

func TestGeoJSONReader(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		opts     OpenOptions
		wantN    int
		wantSRID geo.SRID
		check    func(t *testing.T, fs []Feature)
	}{
		{
			name:     "feature collection in CRS84",
			in:       `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"pro_com_t":"019035","name":"Crema"},"geometry":{"type":"Polygon","coordinates":` + square + `}}]}`,
			wantN:    1,
			wantSRID: geo.WGS84,
			check: func(t *testing.T, fs []Feature) {
				if got, _, _ := fs[0].Properties.Text("PRO_COM_T"); got != "019035" {
					t.Errorf("Text(PRO_COM_T) = %q, want 019035", got)
				}
				want := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}
				if !reflect.DeepEqual(fs[0].Geometry, want) {
					t.Errorf("geometry = %v, want %v", fs[0].Geometry, want)
				}
				if fs[0].Ref() != "features[0]" {
					t.Errorf("Ref = %q, want features[0]", fs[0].Ref())
				}
			},
		},
		{
			name:     "crs member after the features (GeoJSON 2008)",
			in:       `{"type":"FeatureCollection","features":[],"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32632"}}}`,
			wantSRID: geo.UTM32N,
		},
		{
			name:     "crs of the EPSG form",
			in:       `{"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":3003}},"features":[]}`,
			wantSRID: 3003,
		},
		{
			name:     "override beats the crs member, even an unknown one",
			in:       `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:x:nonsense"}},"features":[]}`,
			opts:     OpenOptions{CRS: 25832},
			wantSRID: 25832,
		},
		{
			name:     "null crs is CRS84",
			in:       `{"type":"FeatureCollection","crs":null,"features":null}`,
			wantSRID: geo.WGS84,
		},
		{
			name:     "single feature with numeric id, numbers and null geometry",
			in:       "\ufeff" + `{"type":"Feature","id":7,"geometry":null,"properties":{"PRO_COM":19035,"COD_PROV":19.0,"x":[1,2]}}`,
			wantN:    1,
			wantSRID: geo.WGS84,
			check: func(t *testing.T, fs []Feature) {
				f := fs[0]
				if f.ID != "7" || f.Geometry != nil {
					t.Errorf("ID, Geometry = %q, %v; want 7, nil", f.ID, f.Geometry)
				}
				if got, _, _ := f.Properties.Text("pro_com"); got != "19035" {
					t.Errorf("Text(pro_com) = %q, want 19035", got)
				}
				if got, _, _ := f.Properties.Text("cod_prov"); got != "19" {
					t.Errorf("Text(cod_prov) = %q, want 19", got)
				}
				if got := f.Properties["x"]; got != "[1,2]" {
					t.Errorf("x = %v, want its JSON text", got)
				}
			},
		},
		{
			name:     "newline-delimited features, Z dropped, multipolygon and collection",
			in:       `{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[` + square + `]}}` + "\n" + `{"type":"Feature","properties":null,"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}}` + "\n",
			wantN:    2,
			wantSRID: geo.WGS84,
			check: func(t *testing.T, fs []Feature) {
				if _, ok := fs[0].Geometry.(orb.MultiPolygon); !ok {
					t.Errorf("geometry 0 is %T, want MultiPolygon", fs[0].Geometry)
				}
				want := orb.Collection{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}}
				if !reflect.DeepEqual(fs[1].Geometry, want) {
					t.Errorf("geometry 1 = %v, want %v", fs[1].Geometry, want)
				}
				if fs[1].Line != 2 || fs[1].Column != 1 {
					t.Errorf("feature 1 at %d:%d, want 2:1", fs[1].Line, fs[1].Column)
				}
			},
		},
		{
			name:     "GeoJSON text sequence (RFC 8142)",
			in:       "\x1e" + `{"type":"Feature","properties":{},"geometry":null}` + "\n\x1e" + `{"type":"Feature","properties":{},"geometry":null}` + "\n",
			wantN:    2,
			wantSRID: geo.WGS84,
		},
		{
			name:     "line and column of each feature",
			in:       "{\n\"type\": \"FeatureCollection\",\n\"features\": [\n  {\"type\":\"Feature\",\"properties\":{},\"geometry\":null},\n   {\"type\":\"Feature\",\"properties\":{},\"geometry\":null}\n]\n}\n",
			wantN:    2,
			wantSRID: geo.WGS84,
			check: func(t *testing.T, fs []Feature) {
				if fs[0].Line != 4 || fs[0].Column != 3 || fs[1].Line != 5 || fs[1].Column != 4 {
					t.Errorf("features at %d:%d and %d:%d, want 4:3 and 5:4", fs[0].Line, fs[0].Column, fs[1].Line, fs[1].Column)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, srid, err := readAll(t, tt.in, tt.opts)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(fs) != tt.wantN || srid != tt.wantSRID {
				t.Fatalf("read %d features in %s, want %d in %s", len(fs), srid, tt.wantN, tt.wantSRID)
			}
			if tt.check != nil {
				tt.check(t, fs)
			}
		})
	}
}

func TestGeoJSONReaderErrors(t *testing.T) {
	feature := func(geom string) string {
		return `{"type":"Feature","properties":{},"geometry":` + geom + `}`
	}
	tests := []struct {
		name string
		in   string
		want string // in the message
	}{
		{"empty", "  \n", "t.geojson:1:1: the file is empty"},
		{"not an object", "[1,2]", "t.geojson:1:1: want a GeoJSON object"},
		{"syntax error", "{\"type\":\"FeatureCollection\",\n\"features\":[\n{\"type\":}]}", "t.geojson:3:9: malformed JSON in features[0]: invalid character '}'"},
		{"truncated", "{\"type\":\"FeatureCollection\",\"features\":[\n" + feature("null") + ",\n{\"type\":\"Feat", "t.geojson:3:14: unexpected end of file in features[1] (the file is truncated)"},
		{"truncated between features", "{\"type\":\"FeatureCollection\",\"features\":[\n" + feature("null") + ",", "unexpected end of file"},
		{"trailing garbage", `{"type":"FeatureCollection","features":[]} ]`, "t.geojson:1:44: malformed JSON"},
		{"bare geometry", `{"type":"Polygon","coordinates":` + square + `}`, `type: "Polygon" is not supported here`},
		{"features not an array", `{"type":"FeatureCollection","features":{}}`, "features: want an array of Features"},
		{"feature not an object", `{"type":"FeatureCollection","features":[3]}`, "features[0]: want a Feature object, found a number"},
		{"feature without type", `{"type":"FeatureCollection","features":[{"properties":{}}]}`, `features[0]: type: missing; want "Feature"`},
		{"properties not an object", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":"x"}]}`, "properties: want an object or null"},
		{"short position", `{"type":"FeatureCollection","features":[` + feature(`{"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]}`) + `]}`, "geometry: coordinates[0][1]: a position has 1 numbers, want x and y"},
		{"coordinates of the wrong shape", `{"type":"FeatureCollection","features":[` + feature(`{"type":"Polygon","coordinates":[[0,0],[1,1]]}`) + `]}`, "geometry: coordinates: want an array of arrays of positions for a Polygon"},
		{"unknown geometry type", `{"type":"FeatureCollection","features":[` + feature(`{"type":"Circle","coordinates":[0,0]}`) + `]}`, `geometry: type: "Circle" is not a GeoJSON geometry type`},
		{"unknown crs", "{\"type\":\"FeatureCollection\",\n\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:FOO::1\"}},\"features\":[]}", "t.geojson:2:7: crs: unknown CRS"},
		{"crs out of range", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:9999999"}},"features":[]}`, "crs: unknown CRS: EPSG code 9999999 is outside"},
		{"crs link", `{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"x"}},"features":[]}`, `crs: CRS of type "link" is not supported`},
		{"id of the wrong type", `{"type":"FeatureCollection","features":[{"type":"Feature","id":{},"properties":{}}]}`, "features[0]: id: want a string or a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.in, OpenOptions{})
			if err == nil {
				t.Fatalf("read %q: no error, want %q", tt.in, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("read: error %q, want it to contain %q", err, tt.want)
			}
			if k := apperr.KindOf(err); k != apperr.Invalid {
				t.Errorf("read: kind %v, want invalid", k)
			}
		})
	}
}

func TestPropertiesText(t *testing.T) {
	p := Properties{"COD_PROV": json.Number("19.000"), "Name": " Crema ", "flag": true, "big": json.Number("1e30"), "nil": nil}
	tests := []struct {
		keys   []string
		want   string
		wantOK bool
	}{
		{[]string{"cod_prov"}, "19", true},
		{[]string{"province_code", "COD_PROV"}, "19", true},
		{[]string{"name"}, "Crema", true},
		{[]string{"flag"}, "true", true},
		{[]string{"big"}, "1e30", true},
		{[]string{"nil"}, "", false},
		{[]string{"missing"}, "", false},
	}
	for _, tt := range tests {
		got, _, ok := p.Text(tt.keys...)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Text(%v) = %q, %v; want %q, %v", tt.keys, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestLineTracker(t *testing.T) {
	text := "ab\ncd\n\nefg"
	lt := &lineTracker{r: strings.NewReader(text), lastNL: -1}
	if _, err := io.ReadAll(lt); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		off        int64
		line, col  int
		releasedAt int64
	}{
		{0, 1, 1, 0}, {1, 1, 2, 0}, {3, 2, 1, 0}, {4, 2, 2, 0}, {6, 3, 1, 0}, {7, 4, 1, 0}, {9, 4, 3, 0},
		{7, 4, 1, 5}, {9, 4, 3, 7}, {10, 4, 4, 8},
	}
	for _, tt := range tests {
		lt.release(tt.releasedAt)
		if l, c := lt.position(tt.off); l != tt.line || c != tt.col {
			t.Errorf("position(%d) after release(%d) = %d:%d, want %d:%d", tt.off, tt.releasedAt, l, c, tt.line, tt.col)
		}
	}
}
