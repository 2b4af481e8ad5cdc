package geo_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
)

func TestCheckGeoJSON(t *testing.T) {
	const sq = `[[[9.68,45.36],[9.69,45.36],[9.69,45.37],[9.68,45.36]]]`
	tests := []struct {
		in   string
		want string // in the error; "" for none
	}{
		{`{"type":"Polygon","coordinates":` + sq + `}`, ""},
		{`{"type":"Point","coordinates":[9.68,45.36,120.5]}`, ""},
		{`{"type":"Point","coordinates":[-9.68e0,-4.536E+1]}`, ""},
		{`{"type":"MultiPolygon","coordinates":[` + sq + `,` + sq + `]}`, ""},
		{`{"type":"Polygon","coordinates":[]}`, ""},
		{`{"type":"Feature","properties":{"a":[null,1]},"geometry":{"type":"Polygon","coordinates":` + sq + `}}`, ""},
		{`{"type":"Feature","properties":{},"geometry":null}`, ""},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]}`, ""},
		{`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`, ""},
		{`[1,2]`, ""}, // not an object: orb's decoder refuses it
		{`{"type":"Polygon","coordinates":[[[9.68,45.36],null,[9.69,45.37],[9.68,45.36]]]}`, "coordinates hold null where an array of positions belongs"},
		{`{"type":"Polygon","coordinates":[[[9.68,45.36],[],[9.69,45.37],[9.68,45.36]]]}`, "a position with 0 numbers (position 2)"},
		{`{"type":"Polygon","coordinates":[[[9.68,45.36],[9.69],[9.69,45.37],[9.68,45.36]]]}`, "a position with 1 numbers (position 2)"},
		{`{"type":"Polygon","coordinates":[[[9.68,null],[9.69,45.36],[9.69,45.37],[9.68,45.36]]]}`, "hold null in a position (position 1)"},
		{`{"type":"Polygon","coordinates":[[["9.68","45.36"]]]}`, "a string in a position"},
		{`{"type":"Polygon","coordinates":[[[[9.68,45.36]]]]}`, "deeper than positions"},
		{`{"type":"Polygon","coordinates":[[9.68,45.36]]}`, "a number where an array belongs"},
		{`{"type":"Point","coordinates":[]}`, "a position with 0 numbers"},
		{`{"type":"Point","coordinates":5}`, "are a number"},
		{`{"type":"Point","coordinates":[true,1]}`, "a boolean"},
		{`{"type":"LineString","coordinates":[{"x":1}]}`, "an object"},
		{`{"type":"GeometryCollection","geometries":[null]}`, "member 1 of the GeometryCollection is null"},
		{`{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1]}]}]}`, "the Point's coordinates"},
		{`{"type":"FeatureCollection","features":[null]}`, "member 1 of the FeatureCollection is null"},
		{`{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[1,2],[3]]}}`, "position 2"},
	}
	for _, tt := range tests {
		err := geo.CheckGeoJSON([]byte(tt.in))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckGeoJSON(%s) = %v, want nil", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckGeoJSON(%s) = %v, want an error saying %q", tt.in, err, tt.want)
		case err != nil:
			var ge *geo.Error
			if !errors.As(err, &ge) || ge.Field != "geometry" {
				t.Errorf("CheckGeoJSON(%s) = %#v, want a *geo.Error on geometry", tt.in, err)
			}
		}
	}
}

// FuzzCheckGeoJSON: CheckGeoJSON never panics, and what it accepts orb
// decodes into positions that are all there: no position of a geometry it
// accepts reads as the zero it would be for null or [].
func FuzzCheckGeoJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[9.68,45.36],[9.69,45.36],[9.69,45.37],[9.68,45.36]]]}`,
		`{"type":"Point","coordinates":[]}`, `{"type":"GeometryCollection","geometries":[null]}`,
		`{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[1,2],[3]]}}`,
		`{"type":"LineString","coordinates":[[1,2],null]}`, `{"type":"FeatureCollection","features":[null]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		if geo.CheckGeoJSON(b) != nil {
			return
		}
		// Accepted: orb must not panic on it (a null collection member
		// made it panic) whatever it says about the rest.
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("orb panics on %s, which CheckGeoJSON accepted: %v", b, r)
			}
		}()
		var probe struct{ Type string }
		if json.Unmarshal(b, &probe) != nil {
			return
		}
		switch probe.Type {
		case "Feature":
			geojson.UnmarshalFeature(b)
		case "FeatureCollection":
			geojson.UnmarshalFeatureCollection(b)
		default:
			geojson.UnmarshalGeometry(b)
		}
	})
}
