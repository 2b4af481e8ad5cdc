package repair

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// square returns the counter-clockwise ring of the square [x0,x1]×[y0,y1].
func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func reversed(r orb.Ring) orb.Ring {
	c := r.Clone()
	c.Reverse()
	return c
}

// area is the planar area of a valid (Multi)Polygon.
func area(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Polygon:
		return intendedArea(orb.MultiPolygon{g})
	case orb.MultiPolygon:
		return intendedArea(g)
	}
	return math.NaN()
}

func TestCheckAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       orb.Geometry
		repaired bool
		note     string       // substring of Note when repaired
		want     orb.Geometry // nil: compare area only
		area     float64      // expected area of polygonal output; 0: not checked
	}{
		{name: "valid polygon", in: orb.Polygon{square(0, 0, 10, 10)}, want: orb.Polygon{square(0, 0, 10, 10)}},
		{name: "valid clockwise polygon left as is", in: orb.Polygon{reversed(square(0, 0, 10, 10))}, want: orb.Polygon{reversed(square(0, 0, 10, 10))}},
		{name: "valid polygon with hole", in: orb.Polygon{square(0, 0, 10, 10), reversed(square(2, 2, 4, 4))}, want: orb.Polygon{square(0, 0, 10, 10), reversed(square(2, 2, 4, 4))}},
		{name: "hole touching shell at one point is valid", in: orb.Polygon{square(0, 0, 10, 10), {{0, 0}, {5, 5}, {5, 2}, {0, 0}}}, want: orb.Polygon{square(0, 0, 10, 10), {{0, 0}, {5, 5}, {5, 2}, {0, 0}}}},
		{name: "duplicate consecutive point is valid", in: orb.Polygon{{{0, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}, want: orb.Polygon{{{0, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}},
		{name: "valid multipolygon", in: orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(2, 0, 3, 1)}}, want: orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(2, 0, 3, 1)}}},
		{name: "multipolygon parts touching at a point", in: orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(1, 1, 2, 2)}}, want: orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(1, 1, 2, 2)}}},
		{
			// OGC: parts of a MultiPolygon may touch only at points.
			name: "multipolygon parts sharing an edge merged", in: orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(1, 0, 2, 1)}},
			repaired: true, note: "self-intersection at (1 1) fixed; area unchanged", want: orb.MultiPolygon{{{{0, 1}, {0, 0}, {1, 0}, {2, 0}, {2, 1}, {1, 1}, {0, 1}}}},
		},
		{
			name: "unclosed ring closed", in: orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
			repaired: true, note: "closed 1 unclosed ring", want: orb.Polygon{square(0, 0, 10, 10)},
		},
		{
			name: "unclosed clockwise ring closed and oriented", in: orb.Polygon{{{0, 0}, {0, 10}, {10, 10}, {10, 0}}},
			repaired: true, note: "closed 1 unclosed ring", want: orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}},
		},
		{
			name: "unclosed triangle", in: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}}},
			repaired: true, note: "closed 1 unclosed ring", want: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
		},
		{
			name: "unclosed rings in multipolygon", in: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, {{{2, 0}, {3, 0}, {3, 1}, {2, 1}}}},
			repaired: true, note: "closed 2 unclosed rings", want: orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(2, 0, 3, 1)}},
		},
		{
			name: "spike", in: orb.Polygon{{{0, 0}, {10, 0}, {10, 5}, {15, 5}, {10, 5}, {10, 10}, {0, 10}, {0, 0}}},
			repaired: true, note: "self-intersection at (15 5) fixed; area unchanged", area: 100,
		},
		{
			name: "spike with a duplicate consecutive point", in: orb.Polygon{{{0, 0}, {10, 0}, {10, 0}, {10, 5}, {15, 5}, {10, 5}, {10, 10}, {0, 10}, {0, 0}}},
			repaired: true, note: "fixed; area unchanged", area: 100,
		},
		{
			name: "ring touching itself (figure eight)", in: orb.Polygon{{{0, 0}, {10, 0}, {5, 5}, {10, 10}, {0, 10}, {5, 5}, {0, 0}}},
			repaired: true, note: "ring self-intersection at (5 5) fixed; area unchanged; now a MultiPolygon of 2 parts", area: 50,
		},
		{
			name: "inverted hole (ring touching itself on the shell)", in: orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {7, 5}, {3, 5}, {5, 10}, {0, 10}, {0, 0}}},
			repaired: true, note: "ring self-intersection at (5 10) fixed", area: 90,
		},
		{
			name: "hole sharing an edge with its shell", in: orb.Polygon{square(0, 0, 10, 10), {{0, 0}, {5, 2}, {5, 5}, {0, 5}, {0, 0}}},
			repaired: true, note: "self-intersection at (0 5) fixed", area: 80,
		},
		{
			name: "tiny twist", in: orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0.0001, 10}, {0, 9.9999}, {0.0001, 9.9999}, {0, 10}, {0, 0}}},
			repaired: true, note: "fixed; area changed", area: 100,
		},
		{
			name: "multipolygon with a tiny overlap", in: orb.MultiPolygon{{square(0, 0, 10, 10)}, {square(9.999, 0, 20, 10)}},
			repaired: true, note: "self-intersection at (10 0) fixed; area changed 0.005%", area: 200,
		},
		{name: "point", in: orb.Point{9.6871, 45.3612}, want: orb.Point{9.6871, 45.3612}},
		{name: "multipoint with repeats", in: orb.MultiPoint{{1, 1}, {1, 1}}, want: orb.MultiPoint{{1, 1}, {1, 1}}},
		{name: "linestring", in: orb.LineString{{0, 0}, {0, 0}, {1, 1}}, want: orb.LineString{{0, 0}, {0, 0}, {1, 1}}},
		{name: "self-crossing linestring is fine", in: orb.LineString{{0, 0}, {1, 1}, {1, 0}, {0, 1}}, want: orb.LineString{{0, 0}, {1, 1}, {1, 0}, {0, 1}}},
		{name: "multilinestring", in: orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}, want: orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}},
		{name: "collection", in: orb.Collection{orb.Point{1, 2}, orb.Polygon{square(0, 0, 1, 1)}}, want: orb.Collection{orb.Point{1, 2}, orb.Polygon{square(0, 0, 1, 1)}}},
		{
			name: "collection with an unclosed polygon", in: orb.Collection{orb.Point{1, 2}, orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}},
			repaired: true, note: "member 2: closed 1 unclosed ring", want: orb.Collection{orb.Point{1, 2}, orb.Polygon{square(0, 0, 1, 1)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := orb.Clone(tt.in)
			got, err := NewChecker().Check(tt.in)
			if err != nil {
				t.Fatalf("Check(%v) error = %v, want success", tt.in, err)
			}
			if got.Repaired != tt.repaired {
				t.Errorf("Check(%v).Repaired = %v (note %q), want %v", tt.in, got.Repaired, got.Note, tt.repaired)
			}
			if tt.repaired && !strings.Contains(got.Note, tt.note) {
				t.Errorf("Check(%v).Note = %q, want it to contain %q", tt.in, got.Note, tt.note)
			}
			if !tt.repaired && got.Note != "" {
				t.Errorf("Check(%v).Note = %q, want empty", tt.in, got.Note)
			}
			if tt.want != nil && !orb.Equal(got.Geometry, tt.want) {
				t.Errorf("Check(%v).Geometry = %v, want %v", tt.in, got.Geometry, tt.want)
			}
			if tt.area != 0 {
				if a := area(got.Geometry); math.Abs(a-tt.area) > tt.area*DefaultMaxAreaChange {
					t.Errorf("area of Check(%v).Geometry = %v, want %v", tt.in, a, tt.area)
				}
			}
			if !orb.Equal(tt.in, before) {
				t.Errorf("Check modified its input: %v, was %v", tt.in, before)
			}
			if tt.repaired {
				assertRFC7946(t, got.Geometry)
				// A repaired geometry passes the check again unchanged.
				again, err := NewChecker().Check(got.Geometry)
				if err != nil || again.Repaired {
					t.Errorf("Check(Check(%v).Geometry) = %+v, %v, want unchanged", tt.in, again, err)
				}
			}
		})
	}
}

// assertRFC7946 checks the right-hand rule: shells counter-clockwise, holes
// clockwise.
func assertRFC7946(t testing.TB, g orb.Geometry) {
	t.Helper()
	var mp orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	case orb.Collection:
		for _, m := range g {
			assertRFC7946(t, m)
		}
		return
	default:
		return
	}
	for i, p := range mp {
		for j, r := range p {
			want := orb.CCW
			if j > 0 {
				want = orb.CW
			}
			if got := r.Orientation(); got != want {
				t.Errorf("polygon %d ring %d orientation = %v, want %v", i, j, got, want)
			}
		}
	}
}

func TestCheckRefuses(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		in     orb.Geometry
		reason string     // substring of Reason
		loc    *orb.Point // expected Location (within 1e-9), nil: must be nil
	}{
		{name: "nil", in: nil, reason: "geometry is missing"},
		{name: "empty polygon", in: orb.Polygon{}, reason: "empty Polygon"},
		{name: "nil polygon", in: orb.Polygon(nil), reason: "empty Polygon"},
		{name: "polygon with empty ring", in: orb.Polygon{{}}, reason: "exterior ring has 0 points, want at least 4"},
		{name: "empty hole", in: orb.Polygon{square(0, 0, 1, 1), {}}, reason: "hole 1 has 0 points, want at least 4"},
		{name: "empty multipolygon", in: orb.MultiPolygon{}, reason: "empty MultiPolygon"},
		{name: "multipolygon with empty member", in: orb.MultiPolygon{{square(0, 0, 1, 1)}, {}}, reason: "polygon 2: empty Polygon"},
		{name: "NaN coordinate", in: orb.Polygon{{{0, 0}, {10, 0}, {nan, 10}, {0, 0}}}, reason: "exterior ring: coordinate (NaN 10) is not a finite number"},
		{name: "Inf coordinate in hole", in: orb.Polygon{square(0, 0, 10, 10), {{1, 1}, {inf, 1}, {2, 2}, {1, 1}}}, reason: "hole 1: coordinate (+Inf 1) is not a finite number"},
		{name: "ring of 3 points", in: orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, reason: "exterior ring has 3 points, want at least 4"},
		{name: "unclosed ring of 2 points", in: orb.Polygon{{{0, 0}, {1, 0}}}, reason: "exterior ring has 3 points, want at least 4"},
		{name: "ring of 2 distinct points", in: orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {0, 0}}}, reason: "exterior ring has fewer than 3 distinct points"},
		{name: "ring of 1 point", in: orb.Polygon{{{1, 1}, {1, 1}, {1, 1}, {1, 1}}}, reason: "fewer than 3 distinct points"},
		{name: "zero-area ring", in: orb.Polygon{{{0, 0}, {1, 0}, {2, 0}, {0, 0}}}, reason: "at (1 0): automatic repair leaves no area, fix the geometry at the source", loc: &orb.Point{1, 0}},
		{
			name: "bow-tie", in: orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}},
			reason: "self-intersection at (5 5): automatic repair would change the area by 100%, fix the geometry at the source",
			loc:    &orb.Point{5, 5},
		},
		{
			name: "lopsided bow-tie", in: orb.Polygon{{{0, 0}, {10, 6}, {10, 0}, {0, 10}, {0, 0}}},
			reason: "self-intersection at (6.25 3.75): automatic repair would change the area by",
			loc:    &orb.Point{6.25, 3.75},
		},
		{
			name: "multipolygon with a large overlap", in: orb.MultiPolygon{{square(0, 0, 10, 10)}, {square(5, 0, 20, 10)}},
			reason: "self-intersection at (10 0): automatic repair would change the area by 20%", loc: &orb.Point{10, 0},
		},
		{
			name: "duplicate part", in: orb.MultiPolygon{{square(0, 0, 10, 10)}, {square(0, 0, 10, 10)}},
			reason: "self-intersection at (10 0): automatic repair would change the area by 50%", loc: &orb.Point{10, 0},
		},
		{
			name: "hole outside its shell", in: orb.Polygon{square(0, 0, 10, 10), {{20, 20}, {21, 20}, {21, 21}, {20, 20}}},
			reason: "hole lies outside shell at (20 20): automatic repair would change the area by", loc: &orb.Point{20, 20},
		},
		{name: "NaN point", in: orb.Point{nan, 1}, reason: "coordinate (NaN 1) is not a finite number"},
		{name: "empty multipoint", in: orb.MultiPoint{}, reason: "empty MultiPoint"},
		{name: "multipoint with Inf", in: orb.MultiPoint{{1, 1}, {1, -inf}}, reason: "point 2: coordinate (1 -Inf) is not a finite number"},
		{name: "empty linestring", in: orb.LineString{}, reason: "empty LineString"},
		{name: "one-point linestring", in: orb.LineString{{1, 1}}, reason: "LineString has fewer than 2 distinct points"},
		{name: "degenerate linestring", in: orb.LineString{{1, 1}, {1, 1}, {1, 1}}, reason: "LineString has fewer than 2 distinct points"},
		{name: "linestring with NaN", in: orb.LineString{{1, 1}, {nan, nan}}, reason: "coordinate (NaN NaN) is not a finite number"},
		{name: "empty multilinestring", in: orb.MultiLineString{}, reason: "empty MultiLineString"},
		{name: "multilinestring with a degenerate line", in: orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}}}, reason: "line 2: LineString has fewer than 2 distinct points"},
		{name: "empty collection", in: orb.Collection{}, reason: "empty GeometryCollection"},
		{name: "collection with a bow-tie", in: orb.Collection{orb.Point{1, 1}, orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}}, reason: "member 2: self-intersection at (5 5)", loc: &orb.Point{5, 5}},
		{name: "ring", in: square(0, 0, 1, 1), reason: "unsupported geometry type Ring"},
		{name: "bound", in: orb.Bound{Max: orb.Point{1, 1}}, reason: "unsupported geometry type Bound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewChecker().Check(tt.in)
			if err == nil {
				t.Fatalf("Check(%v) = %+v, want error containing %q", tt.in, got, tt.reason)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%v) error is %T, want *repair.Error", tt.in, err)
			}
			if !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("Check(%v) Reason = %q, want it to contain %q", tt.in, e.Reason, tt.reason)
			}
			if e.Error() != e.Reason {
				t.Errorf("Error() = %q, want Reason %q", e.Error(), e.Reason)
			}
			switch {
			case tt.loc == nil && e.Location != nil:
				t.Errorf("Check(%v) Location = %v, want nil", tt.in, *e.Location)
			case tt.loc != nil && e.Location == nil:
				t.Errorf("Check(%v) Location = nil, want %v", tt.in, *tt.loc)
			case tt.loc != nil && (math.Abs(e.Location[0]-tt.loc[0]) > 1e-9 || math.Abs(e.Location[1]-tt.loc[1]) > 1e-9):
				t.Errorf("Check(%v) Location = %v, want %v", tt.in, *e.Location, *tt.loc)
			}
		})
	}
}

func TestMaxAreaChange(t *testing.T) {
	t.Parallel()
	overlap := orb.MultiPolygon{{square(0, 0, 10, 10)}, {square(9.999, 0, 20, 10)}} // 0.005%
	spike := orb.Polygon{{{0, 0}, {10, 0}, {10, 5}, {15, 5}, {10, 5}, {10, 10}, {0, 10}, {0, 0}}}
	tests := []struct {
		max  float64
		in   orb.Geometry
		pass bool
	}{
		{0, spike, true}, // the area does not change at all
		{0, overlap, false},
		{0.00004, overlap, false},
		{0.00006, overlap, true},
		{DefaultMaxAreaChange, overlap, true},
		{math.NaN(), spike, false},
	}
	for _, tt := range tests {
		c := NewChecker()
		c.MaxAreaChange = tt.max
		_, err := c.Check(tt.in)
		if (err == nil) != tt.pass {
			t.Errorf("Check(%v) with MaxAreaChange %v: error = %v, want pass %v", tt.in, tt.max, err, tt.pass)
		}
	}
}

func TestRepairedOrientation(t *testing.T) {
	t.Parallel()
	// A clockwise shell with a spike and a counter-clockwise hole: invalid,
	// repaired, and the output follows the right-hand rule.
	shell := reversed(orb.Ring{{0, 0}, {10, 0}, {10, 5}, {15, 5}, {10, 5}, {10, 10}, {0, 10}, {0, 0}})
	hole := square(2, 2, 4, 4)
	in := orb.Polygon{shell, hole}
	got, err := NewChecker().Check(in)
	if err != nil {
		t.Fatalf("Check(%v) error = %v", in, err)
	}
	if !got.Repaired {
		t.Fatalf("Check(%v).Repaired = false, want true", in)
	}
	p, ok := got.Geometry.(orb.Polygon)
	if !ok || len(p) != 2 {
		t.Fatalf("Check(%v).Geometry = %v, want a Polygon with one hole", in, got.Geometry)
	}
	assertRFC7946(t, p)
	if a := area(p); a != 96 {
		t.Errorf("area = %v, want 96", a)
	}
}

func TestPolygonal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       orb.Geometry
		want     orb.MultiPolygon
		repaired bool
		reason   string
	}{
		{name: "polygon promoted", in: orb.Polygon{square(0, 0, 1, 1)}, want: orb.MultiPolygon{{square(0, 0, 1, 1)}}},
		{name: "multipolygon", in: orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(2, 0, 3, 1)}}, want: orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(2, 0, 3, 1)}}},
		{name: "unclosed polygon", in: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, want: orb.MultiPolygon{{square(0, 0, 1, 1)}}, repaired: true},
		{name: "figure eight split", in: orb.Polygon{{{0, 0}, {10, 0}, {5, 5}, {10, 10}, {0, 10}, {5, 5}, {0, 0}}}, repaired: true},
		{name: "linestring", in: orb.LineString{{0, 0}, {1, 1}}, reason: "expected Polygon or MultiPolygon, got LineString"},
		{name: "degenerate linestring", in: orb.LineString{{0, 0}}, reason: "expected Polygon or MultiPolygon, got LineString"},
		{name: "point", in: orb.Point{0, 0}, reason: "expected Polygon or MultiPolygon, got Point"},
		{name: "collection", in: orb.Collection{orb.Polygon{square(0, 0, 1, 1)}}, reason: "expected Polygon or MultiPolygon, got GeometryCollection"},
		{name: "ring", in: square(0, 0, 1, 1), reason: "expected Polygon or MultiPolygon, got Ring"},
		{name: "nil", in: nil, reason: "geometry is missing, expected Polygon or MultiPolygon"},
		{name: "bow-tie", in: orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}, reason: "self-intersection at (5 5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, res, err := NewChecker().Polygonal(tt.in)
			if tt.reason != "" {
				var e *Error
				if !errors.As(err, &e) || !strings.Contains(e.Reason, tt.reason) {
					t.Fatalf("Polygonal(%v) = %v, %v, want *Error containing %q", tt.in, got, err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Polygonal(%v) error = %v", tt.in, err)
			}
			if res.Repaired != tt.repaired {
				t.Errorf("Polygonal(%v) Repaired = %v, want %v", tt.in, res.Repaired, tt.repaired)
			}
			if tt.want != nil && !got.Equal(tt.want) {
				t.Errorf("Polygonal(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if len(got) == 0 {
				t.Errorf("Polygonal(%v) = empty MultiPolygon", tt.in)
			}
		})
	}
}

// TestCheckRecoversGEOSException: GEOS 3.11's MakeValid throws on this
// polygon (found by FuzzCheck: subnormal coordinates next to 1e6 ones);
// go-geos panics, and Check reports an *Error for this one geometry.
func TestCheckRecoversGEOSException(t *testing.T) {
	t.Parallel()
	in := orb.Polygon{
		{{1.398043286095289e-76, 1.207373746603704e-153}, {1.060912188235294e+06, 1.398043286095289e-76}, {1.398043286095289e-76, 1.060912188235294e+06}, {0, 1.060912188235294e+06}, {1.02255232468e-312, 9.005004792076203e-308}},
		{{9.005013280059367e-308, 9.005004792076203e-308}, {1.398043286095289e-76, 1.747554107619111e-77}, {1.398043286095289e-76, 1.398043286095289e-76}, {6.83032998126e-313, 16.188235294117646}, {9.005004792076203e-308, 1.398043286095289e-76}},
	}
	_, err := NewChecker().Check(in)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Check(%v) error = %v, want *Error", in, err)
	}
	// Whatever GEOS does with it, the geometry must be refused, not repaired.
	t.Logf("Check error: %v", err)
}

// TestCheckRecoversPanics drives a Checker without a GEOS context (the zero
// value, not made by NewChecker) so that GEOS access panics: Check must turn
// that into an *Error for the one geometry.
func TestCheckRecoversPanics(t *testing.T) {
	t.Parallel()
	var c Checker
	_, err := c.Check(orb.Polygon{square(0, 0, 1, 1)})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Reason, "the geometry engine failed") {
		t.Fatalf("Check with a broken engine error = %v, want *Error about the geometry engine", err)
	}
	// Non-polygonal geometries never reach GEOS.
	if _, err := c.Check(orb.Point{1, 2}); err != nil {
		t.Errorf("Check(point) with a broken engine error = %v, want nil", err)
	}
}

func TestParseReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		what string
		loc  *orb.Point
	}{
		{"Self-intersection[5 5]", "self-intersection", &orb.Point{5, 5}},
		{"Ring Self-intersection[9.6871 45.3612]", "ring self-intersection", &orb.Point{9.6871, 45.3612}},
		{"Hole lies outside shell[20 20 0]", "hole lies outside shell", &orb.Point{20, 20}},
		{"Too few points in geometry component[0 0]", "too few points in geometry component", &orb.Point{0, 0}},
		{"Self-intersection[nan 5]", "self-intersection", nil},
		{"Self-intersection[5]", "self-intersection", nil},
		{"Something odd", "something odd", nil},
		{"", "invalid geometry", nil},
	}
	for _, tt := range tests {
		what, loc := parseReason(tt.in)
		if what != tt.what || (loc == nil) != (tt.loc == nil) || (loc != nil && *loc != *tt.loc) {
			t.Errorf("parseReason(%q) = %q, %v, want %q, %v", tt.in, what, loc, tt.what, tt.loc)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	points := []struct {
		in   orb.Point
		want string
	}{
		{orb.Point{5, 5}, "(5 5)"},
		{orb.Point{9.687123456789, 45.3612}, "(9.687123457 45.3612)"},
		{orb.Point{556123.45, 5024567.89}, "(556123.45 5024567.89)"},
	}
	for _, tt := range points {
		if got := formatPoint(tt.in); got != tt.want {
			t.Errorf("formatPoint(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	percents := []struct {
		in   float64
		want string
	}{
		{1, "100%"},
		{0.2, "20%"},
		{0.00005, "0.005%"},
		{0.123456, "12.346%"},
		{1e-9, "less than 0.001%"},
	}
	for _, tt := range percents {
		if got := formatPercent(tt.in); got != tt.want {
			t.Errorf("formatPercent(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// cremonaComuni is the ISTAT 2023 boundaries of the 113 comuni of the
// province of Cremona (see ../../../shared/data/README.md).
const (
	cremonaComuni      = "../../../shared/data/cremona-comuni.geojson"
	cremonaComuniUTM32 = "../../../shared/data/cremona-comuni-32632.geojson"
)

func readFeatures(t testing.TB, path string) *geojson.FeatureCollection {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the reference data: %v", err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return fc
}

// TestCremonaComuni runs the checker over real ISTAT boundaries, in WGS84
// and in UTM 32N: all are valid (ST_IsValid agrees) and must pass unchanged.
func TestCremonaComuni(t *testing.T) {
	t.Parallel()
	for _, path := range []string{cremonaComuni, cremonaComuniUTM32} {
		fc := readFeatures(t, path)
		if len(fc.Features) != 113 {
			t.Fatalf("%s has %d features, want 113", path, len(fc.Features))
		}
		c := NewChecker()
		for _, f := range fc.Features {
			name := f.Properties.MustString("name", "?")
			before := orb.Clone(f.Geometry)
			mp, res, err := c.Polygonal(f.Geometry)
			if err != nil {
				t.Errorf("%s: Polygonal(%s) error = %v, want valid", path, name, err)
				continue
			}
			if res.Repaired || !orb.Equal(res.Geometry, before) || !orb.Equal(f.Geometry, before) {
				t.Errorf("%s: Polygonal(%s) = repaired %v (%q), want unchanged", path, name, res.Repaired, res.Note)
			}
			if len(mp) == 0 {
				t.Errorf("%s: Polygonal(%s) = empty MultiPolygon", path, name)
			}
		}
	}
}

func BenchmarkCheckComuni(b *testing.B) {
	fc := readFeatures(b, cremonaComuni)
	c := NewChecker()
	for b.Loop() {
		for _, f := range fc.Features {
			if _, err := c.Check(f.Geometry); err != nil {
				b.Fatal(err)
			}
		}
	}
}
