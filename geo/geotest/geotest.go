// Package geotest makes adversarial geometries for tests and benchmarks of
// the checks on incoming geometries (geo.Limits, geo/repair): each is the
// most work one request can ask under one limit. Coordinates are in a small
// box around Crema (lon 9.6–9.7, lat 45.3–45.4), like a real area, and
// every function is deterministic.
package geotest

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// closed returns ps as a closed ring.
func closed(ps []orb.Point) orb.Ring {
	r := make(orb.Ring, 0, len(ps)+1)
	return append(append(r, ps...), ps[0])
}

// RandomPolygon is the polygon of issue 8: n vertices (the last closing
// the ring) at random, crossing itself about n²/10 times.
func RandomPolygon(n int, seed uint64) orb.Polygon {
	rng := rand.New(rand.NewPCG(seed, 1))
	ps := make([]orb.Point, n-1)
	for i := range ps {
		ps[i] = orb.Point{9.6 + rng.Float64()*0.1, 45.3 + rng.Float64()*0.1}
	}
	return orb.Polygon{closed(ps)}
}

// Accordion is a valid polygon of at most n vertices whose long parallel
// edges all overlap in x and in y: GEOS's edge search compares every pair.
func Accordion(n int) orb.Polygon {
	m := (n - 3) / 2
	eps := 0.01 / float64(m)
	var ps []orb.Point
	for i := range m {
		y := 45.3 + float64(i)*eps
		ps = append(ps, orb.Point{9.6, y}, orb.Point{9.61, y + 0.01 + eps/2})
	}
	return orb.Polygon{closed(append(ps, orb.Point{9.61, 45.33}, orb.Point{9.59, 45.33}))}
}

// Comb is a valid polygon of about n vertices: teeth long horizontal teeth
// on a vertical spine. Its edges overlap everywhere in x and hardly in y.
func Comb(teeth, n int) orb.Polygon {
	per := max(n/(2*teeth), 1)
	h := 0.1 / float64(teeth)
	var ps []orb.Point
	for i := range teeth {
		y := 45.3 + float64(i)*h
		ps = append(ps, line(orb.Point{9.605, y}, orb.Point{9.7, y}, per)...)
		ps = append(ps, orb.Point{9.7, y + h/2})
		ps = append(ps, line(orb.Point{9.7, y + h/2}, orb.Point{9.605, y + h/2}, per)...)
	}
	return orb.Polygon{closed(append(ps, orb.Point{9.605, 45.4}, orb.Point{9.6, 45.4}, orb.Point{9.6, 45.3}))}
}

// Spiral is a valid square spiral of about n vertices, walls one unit
// apart: the monotone runs of its edges are nested L shapes whose extents
// all overlap, so GEOS's edge search compares every pair (20,000
// vertices: 2.7 s in IsValid).
func Spiral(n int) orb.Polygon {
	k := n / 2
	dirs := [4][2]float64{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	x, y, l := 0.0, 0.0, 1.0
	out := make([]orb.Point, 0, k)
	for i := range k {
		d := dirs[i%4]
		x, y = x+d[0]*l*2, y+d[1]*l*2
		out = append(out, orb.Point{x, y})
		if i%2 == 1 {
			l++
		}
	}
	sign := func(v float64) float64 {
		if v < 0 {
			return -1
		}
		return 1
	}
	ps := append([]orb.Point{}, out...)
	for i := len(out) - 1; i >= 0; i-- {
		p := out[i]
		ps = append(ps, orb.Point{p[0] + 0.5*sign(p[0]), p[1] + 0.5*sign(p[1])})
	}
	// scale into the box around Crema
	scale := 0.1 / (4 * float64(k/4+2))
	for i := range ps {
		ps[i] = orb.Point{9.65 + ps[i][0]*scale, 45.35 + ps[i][1]*scale}
	}
	return orb.Polygon{closed(ps)}
}

// Spikes is a square whose top edge carries (n-5)/3 zero-width spikes,
// each out and back along one line: invalid, and GEOS MakeValid takes time
// quadratic in the number of spikes (3,333 spikes: 4.6 s).
func Spikes(n int) orb.Polygon {
	k := (n - 5) / 3
	ps := []orb.Point{{9.6, 45.3}, {9.7, 45.3}, {9.7, 45.35}}
	for i := k - 1; i >= 0; i-- {
		x := 9.6 + 0.1*(float64(i)+0.5)/float64(k)
		ps = append(ps, orb.Point{x, 45.35}, orb.Point{x, 45.36}, orb.Point{x, 45.35})
	}
	return orb.Polygon{closed(append(ps, orb.Point{9.6, 45.35}))}
}

// Circle is a ring of n+1 vertices (n distinct) around c, of radius r
// degrees.
func Circle(c orb.Point, r float64, n int, clockwise bool) orb.Ring {
	ps := make([]orb.Point, n)
	for i := range ps {
		a := 2 * math.Pi * float64(i) / float64(n)
		if clockwise {
			a = -a
		}
		ps[i] = orb.Point{c[0] + r*math.Cos(a), c[1] + r*math.Sin(a)}
	}
	return closed(ps)
}

// Square is the ring of the box from (x, y) of side d, counter-clockwise.
func Square(x, y, d float64) orb.Ring {
	return orb.Ring{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}
}

// cells places k things on a square grid over the box: the centre of the
// i-th and the cell size.
func cells(k int) (func(i int) orb.Point, float64) {
	s := int(math.Ceil(math.Sqrt(float64(k))))
	cell := 0.1 / float64(s+1)
	return func(i int) orb.Point {
		return orb.Point{9.6 + cell*float64(i%s+1), 45.3 + cell*float64(i/s+1)}
	}, cell
}

// Holes is a square with h round holes of v vertices each on a grid,
// every other one overlapping the one before (two crossings each) until
// crossings are spent: invalid, and MakeValid unions the holes.
func Holes(h, v, crossings int) orb.Polygon {
	at, cell := cells(h)
	p := orb.Polygon{Square(9.6, 45.3, 0.1)}
	for i := range h {
		c := at(i)
		if i%2 == 1 && crossings >= 2 {
			c[0] -= cell * 0.7
			crossings -= 2
		}
		p = append(p, Circle(c, cell*0.4, v-1, true))
	}
	return p
}

// Parts is a MultiPolygon of k round parts of v vertices, overlapping in
// pairs like Holes: MakeValid unions them.
func Parts(k, v, crossings int) orb.MultiPolygon {
	at, cell := cells(k)
	var mp orb.MultiPolygon
	for i := range k {
		c := at(i)
		if i%2 == 1 && crossings >= 2 {
			c[0] -= cell * 0.7
			crossings -= 2
		}
		mp = append(mp, orb.Polygon{Circle(c, cell*0.4, v-1, false)})
	}
	return mp
}

// Rings is a valid MultiPolygon of parts polygons holding rings rings in
// all (each polygon a shell and its share of small holes), about
// vertices vertices.
func Rings(parts, rings, vertices int) orb.MultiPolygon {
	per := rings / parts
	v := vertices/rings - 1
	at, cell := cells(parts)
	var mp orb.MultiPolygon
	for i := range parts {
		c := at(i)
		p := orb.Polygon{Circle(c, cell*0.45, v, false)}
		for j := 1; j < per; j++ {
			a := 2 * math.Pi * float64(j) / float64(per)
			p = append(p, Circle(orb.Point{c[0] + cell*0.15*math.Cos(a), c[1] + cell*0.15*math.Sin(a)}, cell*0.03, v, true))
		}
		mp = append(mp, p)
	}
	return mp
}

// Grid is a comb of h horizontal teeth laid over a comb of v vertical
// ones, each tooth drawn with many collinear vertices so that the polygon
// has about n: about h·v·4 crossings spread over all its length.
func Grid(h, v, n int) orb.Polygon {
	per := max((n/(h+v))/4, 1)
	var ps []orb.Point
	for i := range h {
		y := 45.3 + 0.1*float64(i)/float64(h)
		w := 0.03 / float64(h)
		ps = append(ps, line(orb.Point{9.6, y}, orb.Point{9.7, y}, per)...)
		ps = append(ps, line(orb.Point{9.7, y}, orb.Point{9.7, y + w}, per)...)
		ps = append(ps, line(orb.Point{9.7, y + w}, orb.Point{9.6, y + w}, per)...)
		ps = append(ps, line(orb.Point{9.6, y + w}, orb.Point{9.6, y + 0.1/float64(h)}, per)...)
	}
	for i := v - 1; i >= 0; i-- {
		x := 9.6 + 0.1*(float64(i)+0.5)/float64(v)
		w := 0.03 / float64(v)
		ps = append(ps, line(orb.Point{x + w, 45.41}, orb.Point{x + w, 45.29}, per)...)
		ps = append(ps, line(orb.Point{x + w, 45.29}, orb.Point{x, 45.29}, per)...)
		ps = append(ps, line(orb.Point{x, 45.29}, orb.Point{x, 45.41}, per)...)
		ps = append(ps, line(orb.Point{x, 45.41}, orb.Point{x - 0.1/float64(v) + w, 45.41}, per)...)
	}
	return orb.Polygon{closed(ps)}
}

// Nested is a GeometryCollection nesting depth collections, each holding
// a small polygon beside the next level.
func Nested(depth int) orb.Geometry {
	g := orb.Geometry(orb.Polygon{Square(9.6, 45.3, 0.01)})
	for range depth {
		g = orb.Collection{g, orb.Polygon{Square(9.65, 45.35, 0.01)}}
	}
	return g
}

// Wiggle returns ring r with every edge replaced by n/len(r) vertices
// displaced sideways by a smooth, small wave: a generalised boundary made
// to look like a detailed one (ISTAT's non-generalised boundaries follow
// field edges and river banks at a few metres).
func Wiggle(r orb.Ring, n int) orb.Ring {
	per := max(n/len(r), 1)
	var ps []orb.Point
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		for j := range per {
			t := float64(j) / float64(per)
			off := 0.02 * math.Sin(t*math.Pi) * math.Sin(float64(j)*0.7)
			ps = append(ps, orb.Point{a[0] + t*dx - off*dy, a[1] + t*dy + off*dx})
		}
	}
	return closed(ps)
}

// line is per points from a towards b, b excluded.
func line(a, b orb.Point, per int) []orb.Point {
	ps := make([]orb.Point, per)
	for i := range ps {
		t := float64(i) / float64(per)
		ps[i] = orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	}
	return ps
}
