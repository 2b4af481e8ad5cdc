package geotest

import (
	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
)

// OverLimit is a geometry just over one of geo.DefaultLimits, with the
// words of the message that names the limit and the count.
type OverLimit struct {
	Name string // the limit, as geo names it: vertices, parts, rings, holes, depth
	G    orb.Geometry
	Want string
}

// OverLimits are a geometry just over each of geo.DefaultLimits, for the
// tests of every door that checks them (requests, writes, imports).
func OverLimits() []OverLimit {
	l := geo.DefaultLimits
	var parts, rings orb.MultiPolygon
	for i := range l.Parts + 1 {
		parts = append(parts, orb.Polygon{Square(9.6+float64(i)*1e-4, 45.3, 5e-5)})
	}
	for i := range l.Parts {
		p := orb.Polygon{Square(9.6+float64(i)*1e-4, 45.3, 9e-5)}
		for j := range l.Rings/l.Parts - 1 {
			p = append(p, triangle(9.6+float64(i)*1e-4+float64(j)*1e-5+1e-6, 45.3+1e-6, 5e-6))
		}
		rings = append(rings, p)
	}
	rings[0] = append(rings[0], triangle(9.6+1e-6, 45.3+5e-5, 1e-6)) // one ring too many
	return []OverLimit{
		{"vertices", orb.Polygon{Circle(orb.Point{9.65, 45.35}, 0.01, l.Vertices, false)},
			"the Polygon has 50,001 vertices; at most 50,000 are accepted"},
		{"parts", parts, "the MultiPolygon has 1,001 parts; at most 1,000 are accepted"},
		{"rings", rings, "the MultiPolygon has 10,001 rings; at most 10,000 are accepted"},
		{"holes", Holes(l.Holes+1, 5, 0), "a polygon of the Polygon has 1,001 holes; at most 1,000 are accepted"},
		{"depth", Nested(l.Depth + 1), "the GeometryCollection nests GeometryCollections 5 deep; at most 4 are accepted"},
	}
}

// triangle is a small closed triangle with its corner at (x, y).
func triangle(x, y, d float64) orb.Ring {
	return orb.Ring{{x, y}, {x, y + d}, {x + d, y}, {x, y}}
}
