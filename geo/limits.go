package geo

import (
	"strconv"

	"github.com/paulmach/orb"
)

// Limits bound the size and shape of a geometry that comes from outside (a
// request body, an imported feature) before any work that grows with it.
// GEOS cannot be interrupted once a call starts, and some of its algorithms
// grow with the square of the input in adversarial cases (a random polygon
// of n vertices crosses itself about n²/10 times, and MakeValid builds every
// crossing): these limits are what keeps the worst case of one geometry
// within a request's budget. A zero field means no limit.
//
// Check counts vertices, rings, parts, holes and nesting in one pass that
// allocates nothing; CheckCrossings bounds the crossings of a polygonal
// geometry, and the work needed to find them, without GEOS.
type Limits struct {
	// Vertices bounds the positions of the whole geometry, repeated
	// closing points included.
	Vertices int
	// Rings bounds the polygon rings of the whole geometry: exterior rings
	// and holes of every polygon.
	Rings int
	// Parts bounds the polygons of MultiPolygons, the lines of
	// MultiLineStrings and the members of GeometryCollections, at every
	// level. The points of a MultiPoint count only as vertices.
	Parts int
	// Holes bounds the holes (interior rings) of one polygon.
	Holes int
	// Depth bounds the nesting of GeometryCollections: a collection counts
	// 1, a collection inside it 2.
	Depth int
	// Crossings bounds the points where a polygonal geometry's edges cross
	// or touch one another away from their shared vertices (see
	// CheckCrossings). Each such point is a node that GEOS MakeValid must
	// build.
	Crossings int
	// Overlaps bounds the pairs of edges whose extents overlap along the
	// sweep axis that CheckCrossings may examine. It bounds the work of the
	// check and, with it, the work of GEOS's own edge intersection search
	// (see CheckCrossings).
	Overlaps int
}

// DefaultLimits are the limits Atlante applies to every geometry that
// comes from outside. They were chosen by measurement (internal/loadtest
// README, "Geometry limits"): a detailed ISTAT comune boundary has a few
// thousand vertices, one ring and a handful of parts, far inside them, and
// the worst geometry at the limits is checked, and repaired, in well under
// a second and 100 MB.
var DefaultLimits = Limits{
	Vertices:  50_000,
	Rings:     10_000,
	Parts:     1_000,
	Holes:     1_000,
	Depth:     4,
	Crossings: 1_000,
	Overlaps:  1_000_000,
}

// A LimitError says that a geometry exceeds one of its Limits. Limit names
// the limit ("vertices", "rings", "parts", "holes", "depth", "crossings",
// "overlaps"), Count is what the geometry has (for crossings and overlaps,
// where counting stops, Max+1) and Max what is accepted. Msg is the whole
// explanation, safe to show; Location is one of the crossings, for
// "crossings".
type LimitError struct {
	Limit    string
	Count    int
	Max      int
	Msg      string
	Location *orb.Point
}

// Error returns Msg.
func (e *LimitError) Error() string { return e.Msg }

// Check returns a *LimitError when g exceeds one of the counting limits
// (Vertices, Rings, Parts, Holes, Depth), nil otherwise. It runs in time
// linear in the size of g and allocates nothing when g is within them.
func (l Limits) Check(g orb.Geometry) error {
	var c counts
	c.walk(g, 0)
	what := "the " + typeName(g)
	switch {
	case l.Depth > 0 && c.depth > l.Depth:
		return &LimitError{Limit: "depth", Count: c.depth, Max: l.Depth,
			Msg: what + " nests GeometryCollections " + Thousands(c.depth) + " deep; at most " + Thousands(l.Depth) + " are accepted"}
	case l.Vertices > 0 && c.vertices > l.Vertices:
		return &LimitError{Limit: "vertices", Count: c.vertices, Max: l.Vertices,
			Msg: what + " has " + Thousands(c.vertices) + " vertices; at most " + Thousands(l.Vertices) + " are accepted"}
	case l.Parts > 0 && c.parts > l.Parts:
		return &LimitError{Limit: "parts", Count: c.parts, Max: l.Parts,
			Msg: what + " has " + Thousands(c.parts) + " parts; at most " + Thousands(l.Parts) + " are accepted"}
	case l.Rings > 0 && c.rings > l.Rings:
		return &LimitError{Limit: "rings", Count: c.rings, Max: l.Rings,
			Msg: what + " has " + Thousands(c.rings) + " rings; at most " + Thousands(l.Rings) + " are accepted"}
	case l.Holes > 0 && c.holes > l.Holes:
		return &LimitError{Limit: "holes", Count: c.holes, Max: l.Holes,
			Msg: "a polygon of " + what + " has " + Thousands(c.holes) + " holes; at most " + Thousands(l.Holes) + " are accepted"}
	}
	return nil
}

// counts are what Check measures; holes is the largest hole count of one
// polygon.
type counts struct {
	vertices, rings, parts, holes, depth int
}

func (c *counts) walk(g orb.Geometry, depth int) {
	switch g := g.(type) {
	case orb.Point:
		c.vertices++
	case orb.MultiPoint:
		c.vertices += len(g)
	case orb.LineString:
		c.vertices += len(g)
	case orb.Ring:
		c.vertices += len(g)
		c.rings++
	case orb.MultiLineString:
		c.parts += len(g)
		for _, l := range g {
			c.vertices += len(l)
		}
	case orb.Polygon:
		c.polygon(g)
	case orb.MultiPolygon:
		c.parts += len(g)
		for _, p := range g {
			c.polygon(p)
		}
	case orb.Collection:
		depth++
		c.depth = max(c.depth, depth)
		c.parts += len(g)
		for _, m := range g {
			c.walk(m, depth)
		}
	case orb.Bound:
		c.vertices += 4
	}
}

func (c *counts) polygon(p orb.Polygon) {
	c.rings += len(p)
	c.holes = max(c.holes, len(p)-1)
	for _, r := range p {
		c.vertices += len(r)
	}
}

// typeName names g's type as GeoJSON does.
func typeName(g orb.Geometry) string {
	switch g.(type) {
	case nil:
		return "geometry"
	case orb.Ring:
		return "Ring"
	case orb.Bound:
		return "Bound"
	}
	return g.GeoJSONType()
}

// Thousands formats n with a comma between groups of three digits, as the
// messages of this package do: 60214 → "60,214".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
