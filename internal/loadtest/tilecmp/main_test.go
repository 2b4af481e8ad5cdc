package main

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

// tile encodes features (in tile units) as one MVT layer "civici".
func tile(t *testing.T, fs ...*geojson.Feature) []byte {
	t.Helper()
	fc := geojson.NewFeatureCollection()
	fc.Features = fs
	data, err := mvt.Marshal(mvt.Layers{mvt.NewLayer("civici", fc)})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func point(id int, x, y float64, status string) *geojson.Feature {
	f := geojson.NewFeature(orb.Point{x, y})
	f.ID = id
	f.Properties = geojson.Properties{"status": status}
	return f
}

func square(code string, x0 float64) *geojson.Feature {
	f := geojson.NewFeature(orb.Polygon{{{x0, 0}, {x0 + 100, 0}, {x0 + 100, 100}, {x0, 100}, {x0, 0}}})
	f.Properties = geojson.Properties{"code": code}
	return f
}

func TestCompare(t *testing.T) {
	base := tile(t, point(1, 10, 10, "active"), point(2, 20, 20, "planned"), square("Z1", 0))
	tests := []struct {
		name string
		b    []byte
		want string // in the error; "" for equivalent
	}{
		{"another order", tile(t, square("Z1", 0), point(2, 20, 20, "planned"), point(1, 10, 10, "active")), ""},
		{"a point moved by a unit", tile(t, point(1, 11, 10, "active"), point(2, 20, 20, "planned"), square("Z1", 0)), ""},
		{"a point moved by two units", tile(t, point(1, 12, 10, "active"), point(2, 20, 20, "planned"), square("Z1", 0)),
			"feature 1: vertex 0"},
		{"a property changed", tile(t, point(1, 10, 10, "connectable"), point(2, 20, 20, "planned"), square("Z1", 0)),
			"property status"},
		{"a feature missing", tile(t, point(1, 10, 10, "active"), square("Z1", 0)), "3 features, 2"},
		{"another feature", tile(t, point(1, 10, 10, "active"), point(3, 20, 20, "planned"), square("Z1", 0)), "only in A"},
		{"a polygon moved", tile(t, point(1, 10, 10, "active"), point(2, 20, 20, "planned"), square("Z1", 5)), "feature Z1: vertex 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compare(base, tt.b)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("compare = %v, want equivalent", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("compare = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
