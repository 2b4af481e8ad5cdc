package importer

import (
	"math"

	"github.com/paulmach/orb"
)

// assemblePolygon turns the rings of a Shapefile polygon record into a
// MultiPolygon. The Shapefile specification (ESRI White Paper, 1998, p. 8)
// draws outer rings clockwise and holes counter-clockwise, in any order
// within the record. Each hole goes to the smallest outer ring that
// contains it; a "hole" that no outer ring contains is taken as an outer
// ring drawn the wrong way round, as GDAL does. The result follows RFC 7946
// §3.1.6: exterior rings counter-clockwise, holes clockwise. Validity is not
// checked here (geo/repair does it).
func assemblePolygon(rings []orb.Ring) orb.MultiPolygon {
	type outer struct {
		ring  orb.Ring
		area  float64
		bound orb.Bound
		holes []orb.Ring
	}
	var outers []*outer
	var holes []orb.Ring
	for _, r := range rings {
		if a := ringArea(r); a > 0 {
			holes = append(holes, r) // counter-clockwise
		} else {
			outers = append(outers, &outer{ring: r, area: math.Abs(a), bound: r.Bound()})
		}
	}
	for _, h := range holes {
		var best *outer
		hb := h.Bound()
		for _, o := range outers {
			if !o.bound.Contains(hb.Min) || !o.bound.Contains(hb.Max) {
				continue
			}
			if !ringHolds(o.ring, h) {
				continue
			}
			if best == nil || o.area < best.area {
				best = o
			}
		}
		if best == nil {
			outers = append(outers, &outer{ring: h, area: ringArea(h), bound: hb})
			continue
		}
		best.holes = append(best.holes, h)
	}
	mp := make(orb.MultiPolygon, 0, len(outers))
	for _, o := range outers {
		p := make(orb.Polygon, 0, 1+len(o.holes))
		p = append(p, oriented(o.ring, true))
		for _, h := range o.holes {
			p = append(p, oriented(h, false))
		}
		mp = append(mp, p)
	}
	return mp
}

// ringHolds reports whether the first vertex of h that is not on o's
// boundary lies inside o; a ring lying entirely on o's boundary counts as
// inside.
func ringHolds(o, h orb.Ring) bool {
	for _, p := range h {
		switch pointInRing(o, p) {
		case inside:
			return true
		case outside:
			return false
		}
	}
	return true
}

type placement int

const (
	outside placement = iota
	inside
	onBoundary
)

// pointInRing locates p against ring r by ray casting, with points on an
// edge reported as onBoundary.
func pointInRing(r orb.Ring, p orb.Point) placement {
	n := len(r)
	if n < 3 {
		return outside
	}
	in := false
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := r[j], r[i]
		if onSegment(a, b, p) {
			return onBoundary
		}
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if p[0] < x {
				in = !in
			}
		}
	}
	if in {
		return inside
	}
	return outside
}

func onSegment(a, b, p orb.Point) bool {
	cross := (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
	if cross != 0 {
		return false
	}
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// ringArea is the signed shoelace area of r, positive when counter-clockwise.
// Coordinates are taken relative to the first point, which keeps precision
// with large UTM values. An unclosed ring is treated as closed.
func ringArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := r[0][0], r[0][1]
	s := 0.0
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s / 2
}

// oriented returns r counter-clockwise (ccw) or clockwise, reversing a copy
// when needed.
func oriented(r orb.Ring, ccw bool) orb.Ring {
	if a := ringArea(r); a == 0 || (a > 0) == ccw {
		return r
	}
	c := make(orb.Ring, len(r))
	for i, p := range r {
		c[len(r)-1-i] = p
	}
	return c
}
