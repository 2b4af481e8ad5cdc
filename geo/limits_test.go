package geo_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/geotest"
)

// small are limits small enough to reach in a table.
var small = geo.Limits{Vertices: 20, Rings: 3, Parts: 2, Holes: 1, Depth: 2, Crossings: 2, Overlaps: 1000}

var limitTests = []struct {
	name  string
	g     orb.Geometry
	limit string // "" when within the limits
	msg   string
}{
	{"square", orb.Polygon{geotest.Square(0, 0, 1)}, "", ""},
	{"point", orb.Point{1, 2}, "", ""},
	{"20 vertices", orb.LineString(make([]orb.Point, 20)), "", ""},
	{"21 vertices", orb.LineString(make([]orb.Point, 21)), "vertices", "the LineString has 21 vertices; at most 20 are accepted"},
	{"multipoint counts vertices", orb.MultiPoint(make([]orb.Point, 21)), "vertices", "the MultiPoint has 21 vertices; at most 20 are accepted"},
	{"one hole", orb.Polygon{geotest.Square(0, 0, 3), geotest.Square(1, 1, 1)}, "", ""},
	{"two holes", orb.Polygon{geotest.Square(0, 0, 3), geotest.Square(1, 1, 0.5), geotest.Square(2, 2, 0.5)}, "holes",
		"a polygon of the Polygon has 2 holes; at most 1 are accepted"},
	{"two parts", orb.MultiPolygon{{geotest.Square(0, 0, 1)}, {geotest.Square(2, 0, 1)}}, "", ""},
	{"three parts", orb.MultiPolygon{{geotest.Square(0, 0, 1)}, {geotest.Square(2, 0, 1)}, {geotest.Square(4, 0, 1)}}, "parts",
		"the MultiPolygon has 3 parts; at most 2 are accepted"},
	{"three lines", orb.MultiLineString{{{0, 0}, {1, 1}}, {{0, 0}, {1, 1}}, {{0, 0}, {1, 1}}}, "parts",
		"the MultiLineString has 3 parts; at most 2 are accepted"},
	{"four rings", orb.MultiPolygon{{geotest.Square(0, 0, 3), geotest.Square(1, 1, 1)}, {geotest.Square(4, 0, 3), geotest.Square(5, 1, 1)}}, "rings",
		"the MultiPolygon has 4 rings; at most 3 are accepted"},
	{"depth 2", orb.Collection{orb.Collection{orb.Point{1, 1}}}, "", ""},
	{"depth 3", orb.Collection{orb.Collection{orb.Collection{orb.Point{1, 1}}}}, "depth",
		"the GeometryCollection nests GeometryCollections 3 deep; at most 2 are accepted"},
	{"collection members are parts", orb.Collection{orb.Point{1, 1}, orb.Point{1, 1}, orb.Point{1, 1}}, "parts",
		"the GeometryCollection has 3 parts; at most 2 are accepted"},
	{"vertices over collections", orb.Collection{orb.LineString(make([]orb.Point, 11)), orb.LineString(make([]orb.Point, 10))}, "vertices",
		"the GeometryCollection has 21 vertices; at most 20 are accepted"},
	{"nil", nil, "", ""},
}

func TestLimitsCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range limitTests {
		t.Run(tt.name, func(t *testing.T) {
			err := small.Check(tt.g)
			if tt.limit == "" {
				if err != nil {
					t.Fatalf("Check(%v) = %v, want nil", tt.g, err)
				}
				return
			}
			var le *geo.LimitError
			if !errors.As(err, &le) {
				t.Fatalf("Check(%v) = %v, want a *geo.LimitError", tt.g, err)
			}
			if le.Limit != tt.limit || le.Msg != tt.msg || le.Count <= le.Max {
				t.Fatalf("Check(%v) = %+v, want limit %q, message %q and count > max", tt.g, le, tt.limit, tt.msg)
			}
		})
	}
}

// TestCheckDefaultVertices is the message of the issue, at the real limit.
func TestCheckDefaultVertices(t *testing.T) {
	t.Parallel()
	g := orb.Polygon{geotest.Circle(orb.Point{9.65, 45.35}, 0.01, 60_213, false)}
	err := geo.DefaultLimits.Check(g)
	if err == nil || err.Error() != "the Polygon has 60,214 vertices; at most 50,000 are accepted" {
		t.Fatalf("DefaultLimits.Check(60,214 vertices) = %v", err)
	}
}

func TestCheckCrossings(t *testing.T) {
	t.Parallel()
	bowTie := orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}
	tests := []struct {
		name  string
		l     geo.Limits
		mp    orb.MultiPolygon
		limit string
		where string // part of the message
	}{
		{"square", small, orb.MultiPolygon{{geotest.Square(0, 0, 1)}}, "", ""},
		{"bow-tie: one crossing", geo.Limits{Crossings: 1}, orb.MultiPolygon{bowTie}, "", ""},
		{"bow-tie over a limit of 0 crossings is no limit", geo.Limits{}, orb.MultiPolygon{bowTie}, "", ""},
		{"two bow-ties", geo.Limits{Crossings: 1}, orb.MultiPolygon{bowTie, {{{20, 0}, {30, 10}, {30, 0}, {20, 10}, {20, 0}}}}, "crossings", "(one is at (5 5))"},
		{"overlapping parts", geo.Limits{Crossings: 1},
			orb.MultiPolygon{{geotest.Square(0, 0, 2)}, {geotest.Square(1, 1, 2)}}, "crossings", "crosses or touches itself at more than 1 points"},
		{"hole touching its shell at a vertex", geo.Limits{Crossings: 1},
			orb.MultiPolygon{{geotest.Square(0, 0, 4), {{0, 0}, {1, 2}, {2, 1}, {0, 0}}}}, "", ""},
		{"hole touching its shell twice", geo.Limits{Crossings: 1},
			orb.MultiPolygon{{geotest.Square(0, 0, 4), {{0, 1}, {2, 4}, {2, 1}, {0, 1}}}}, "crossings", ""},
		{"neighbours sharing a border are no crossings", geo.Limits{Crossings: 1},
			orb.MultiPolygon{{geotest.Square(0, 0, 1)}, {geotest.Square(1, 0, 1)}, {geotest.Square(0, 1, 1)}}, "", ""},
		{"random 2,000 vertices", geo.DefaultLimits, orb.MultiPolygon{geotest.RandomPolygon(2000, 7)}, "crossings", "more than 1,000 points"},
		{"spikes touch at their bases", geo.Limits{Crossings: 10}, orb.MultiPolygon{geotest.Spikes(3*11 + 5)}, "crossings", ""},
		{"ten spikes", geo.Limits{Crossings: 10}, orb.MultiPolygon{geotest.Spikes(3*10 + 5)}, "", ""},
		{"accordion", geo.Limits{Overlaps: 10_000}, orb.MultiPolygon{geotest.Accordion(1000)}, "overlaps", "folds over itself"},
		{"spiral", geo.Limits{Overlaps: 10_000}, orb.MultiPolygon{geotest.Spiral(1000)}, "overlaps", "folds over itself"},
		{"small spiral", geo.Limits{Overlaps: 10_000}, orb.MultiPolygon{geotest.Spiral(50)}, "", ""},
		{"comb passes along y", geo.Limits{Overlaps: 10_000}, orb.MultiPolygon{geotest.Comb(200, 2000)}, "", ""},
		{"repeated points are no crossings", geo.Limits{Crossings: 1},
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.l.CheckCrossings(tt.mp)
			if tt.limit == "" {
				if err != nil {
					t.Fatalf("CheckCrossings = %v, want nil", err)
				}
				return
			}
			var le *geo.LimitError
			if !errors.As(err, &le) || le.Limit != tt.limit || !strings.Contains(le.Msg, tt.where) {
				t.Fatalf("CheckCrossings = %v, want a %s limit error containing %q", err, tt.limit, tt.where)
			}
		})
	}
}

// TestRealBoundaries: the ISTAT boundaries of the province of Cremona, and
// the largest of them made as detailed as the limits allow, pass.
func TestRealBoundaries(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../shared/data/cremona-comuni.geojson")
	if err != nil {
		t.Fatalf("reading the reference data: %v", err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	var largest orb.Ring
	var all orb.MultiPolygon
	for _, f := range fc.Features {
		name := f.Properties.MustString("name", "?")
		if err := geo.DefaultLimits.Check(f.Geometry); err != nil {
			t.Errorf("%s: Check = %v", name, err)
		}
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if p, isPoly := f.Geometry.(orb.Polygon); isPoly {
			mp, ok = orb.MultiPolygon{p}, true
		}
		if !ok {
			t.Fatalf("%s is a %s", name, f.Geometry.GeoJSONType())
		}
		if err := geo.DefaultLimits.CheckCrossings(mp); err != nil {
			t.Errorf("%s: CheckCrossings = %v", name, err)
		}
		all = append(all, mp...)
		for _, p := range mp {
			if len(p[0]) > len(largest) {
				largest = p[0]
			}
		}
	}
	// All the comuni as one MultiPolygon (a client asking for several at
	// once): their shared borders are no crossings.
	if err := geo.DefaultLimits.CheckCrossings(all); err != nil {
		t.Errorf("the 113 comuni as one MultiPolygon: CheckCrossings = %v", err)
	}
	detailed := orb.MultiPolygon{{geotest.Wiggle(largest, geo.DefaultLimits.Vertices-1000)}}
	if err := geo.DefaultLimits.Check(detailed); err != nil {
		t.Fatalf("the largest boundary with %d vertices: Check = %v", len(detailed[0][0]), err)
	}
	if err := geo.DefaultLimits.CheckCrossings(detailed); err != nil {
		t.Fatalf("the largest boundary with %d vertices: CheckCrossings = %v", len(detailed[0][0]), err)
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for in, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 60214: "60,214", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := geo.Thousands(in); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLimits feeds the limit checks arbitrary geometries (decoded from
// WKB): no panic, either nil or a *LimitError whose count is past its
// maximum, and the same answer twice.
func FuzzLimits(f *testing.F) {
	for _, tt := range limitTests {
		if tt.g != nil {
			f.Add(wkb.MustMarshal(tt.g))
		}
	}
	f.Add(wkb.MustMarshal(geotest.Spikes(40)))
	f.Add(wkb.MustMarshal(orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return
		}
		check := func(what string, err error) {
			if err == nil {
				return
			}
			var le *geo.LimitError
			if !errors.As(err, &le) || le.Count <= le.Max || le.Msg == "" {
				t.Fatalf("%s(%v) = %#v, want nil or a *geo.LimitError past its maximum", what, g, err)
			}
		}
		err1, err2 := small.Check(g), small.Check(g)
		check("Check", err1)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("Check(%v) answered %v, then %v", g, err1, err2)
		}
		var mp orb.MultiPolygon
		switch g := g.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		default:
			return
		}
		check("CheckCrossings", small.CheckCrossings(mp))
	})
}
