package repair

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// FuzzCheck feeds Check arbitrary geometries (decoded from WKB) and asserts:
// no panic escapes, an error is an *Error, and an accepted geometry is finite
// and passes again unchanged. GEOS may still fail on absurd coordinates
// (subnormal floats next to 1e6 ones: testdata/fuzz/FuzzCheck/0a05cf79b037907f
// makes MakeValid throw "Segment vertex does not intersect ring"); Check turns
// that into an *Error, which is the promise under test.
func FuzzCheck(f *testing.F) {
	seeds := []orb.Geometry{
		orb.Polygon{square(0, 0, 10, 10)},
		orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}},
		orb.Polygon{{{0, 0}, {10, 0}, {10, 5}, {15, 5}, {10, 5}, {10, 10}, {0, 10}, {0, 0}}},
		orb.Polygon{{{0, 0}, {10, 0}, {5, 5}, {10, 10}, {0, 10}, {5, 5}, {0, 0}}},
		orb.Polygon{square(0, 0, 10, 10), {{0, 0}, {5, 2}, {5, 5}, {0, 5}, {0, 0}}},
		orb.MultiPolygon{{square(0, 0, 10, 10)}, {square(9.999, 0, 20, 10)}},
		orb.MultiPolygon{{square(0, 0, 10, 10)}, {square(5, 0, 20, 10)}},
		orb.LineString{{0, 0}, {1, 1}},
		orb.MultiPoint{{1, 1}},
		orb.Collection{orb.Point{1, 2}, orb.Polygon{square(0, 0, 1, 1)}},
	}
	for _, g := range seeds {
		f.Add(wkb.MustMarshal(g))
	}
	c := NewChecker()
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return
		}
		res, err := c.Check(g)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%v) error is %T, want *repair.Error", g, err)
			}
			return
		}
		if !finite(res.Geometry) {
			t.Fatalf("Check(%v) = %v, has non-finite coordinates", g, res.Geometry)
		}
		again, err := c.Check(res.Geometry)
		if err != nil || again.Repaired {
			t.Fatalf("Check(Check(%v).Geometry = %v) = %+v, %v, want unchanged", g, res.Geometry, again, err)
		}
	})
}

func finite(g orb.Geometry) bool {
	ok := true
	var walk func(orb.Geometry)
	walk = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Point:
			ok = ok && !math.IsNaN(g[0]) && !math.IsNaN(g[1]) && !math.IsInf(g[0], 0) && !math.IsInf(g[1], 0)
		case orb.MultiPoint:
			for _, p := range g {
				walk(p)
			}
		case orb.LineString:
			walk(orb.MultiPoint(g))
		case orb.Ring:
			walk(orb.MultiPoint(g))
		case orb.MultiLineString:
			for _, l := range g {
				walk(l)
			}
		case orb.Polygon:
			for _, r := range g {
				walk(r)
			}
		case orb.MultiPolygon:
			for _, p := range g {
				walk(p)
			}
		case orb.Collection:
			for _, m := range g {
				walk(m)
			}
		}
	}
	walk(g)
	return ok
}
