package geo

import (
	"slices"
	"strconv"

	"github.com/paulmach/orb"
)

// CheckCrossings returns a *LimitError when the rings of mp cross or touch
// one another at more than l.Crossings points, or when finding out would
// take more than l.Overlaps steps; nil otherwise. Rings must be closed.
//
// A crossing is a point where two edges that are not consecutive in one
// ring meet, other than a vertex of both (a proper crossing, an edge's
// vertex on another edge's interior, each end of an overlap between
// collinear edges), and every repetition of a vertex within a ring (a ring
// that touches itself at a vertex, the base of a spike). These are the
// nodes GEOS must build and sort out when it repairs the geometry
// (MakeValid): a random polygon of 2,000 vertices has about 400,000 and
// took 23 s and 930 MB, 3,333 zero-width spikes take 4.6 s. A valid
// polygon has none; small digitising errors have a few.
//
// The search works as GEOS's own (MCIndexNoder, used by IsValid and
// MakeValid): each ring is cut into monotone chains (runs of edges going
// the same way in x and in y, so that the extent of any run is the box of
// its two ends), and two chains whose extents overlap are compared by
// halving them while the halves' extents overlap, until single edges meet.
// Every such pair of chains and every halving step counts against
// l.Overlaps: GEOS looks at the same pairs (through its STR tree) and
// halves them the same way, so the budget bounds the work of its search
// too, which is quadratic in adversarial cases (an accordion of long
// parallel edges or a square spiral of 20,000 vertices: 3 to 5 s in
// IsValid alone). The pairs are found by sweeping the chains in order of
// their smallest x and comparing each with the chains whose x-range is
// still open; that costs one cheap comparison per pair sharing an x-range,
// of which scansPerOverlap·l.Overlaps are allowed. When a budget runs out
// the sweep runs again along y (a comb of long horizontal teeth shares
// x-ranges everywhere and y-ranges hardly at all); when both run out the
// geometry is refused as too intricate. In all, O(n log n + l.Overlaps).
func (l Limits) CheckCrossings(mp orb.MultiPolygon) error {
	s := newSweep(mp, l)
	if len(s.chains) < 2 {
		return s.err(mp)
	}
	if s.run(false) || s.crossingsOver() {
		return s.err(mp)
	}
	if s.run(true) || s.crossingsOver() {
		return s.err(mp)
	}
	return &LimitError{Limit: "overlaps", Count: l.Overlaps + 1, Max: l.Overlaps,
		Msg: "the " + typeName(asGeometry(mp)) + " folds over itself too much to be checked (its edges lie side by side more than " +
			Thousands(l.Overlaps) + " times, the most that is checked): simplify it or split it into smaller parts"}
}

// asGeometry returns a MultiPolygon of one polygon as that Polygon, for
// messages.
func asGeometry(mp orb.MultiPolygon) orb.Geometry {
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

// ring is a ring without repeated consecutive points; its edge k goes
// from pts[k] to pts[k+1].
type ring struct {
	pts []orb.Point
}

func (r *ring) edges() int { return len(r.pts) - 1 }

// chain is a monotone run of a ring's edges: from point from to point to.
type chain struct {
	ring     int32
	from, to int32
	minX     float64
	maxX     float64
	minY     float64
	maxY     float64
}

// sweep finds crossings, stopping past maxCrossings of them or
// maxOverlaps steps.
type sweep struct {
	rings        []ring
	chains       []chain
	repeats      int // repeated vertices, counted once for both sweeps
	repeatAt     *orb.Point
	maxCrossings int
	maxOverlaps  int
	order        []int32
	lo, hi       []float64 // each chain's extent along the sweep axis
	active       []int32
	steps        int
	crossings    int
	first        *orb.Point
}

func newSweep(mp orb.MultiPolygon, l Limits) *sweep {
	s := &sweep{maxCrossings: l.Crossings, maxOverlaps: l.Overlaps}
	var sorted []orb.Point // one ring's points, to find its repeated vertices
	for _, p := range mp {
		for _, r := range p {
			pts := make([]orb.Point, 0, len(r))
			for _, pt := range r {
				if len(pts) == 0 || pts[len(pts)-1] != pt {
					pts = append(pts, pt)
				}
			}
			if len(pts) < 2 {
				continue
			}
			sorted = append(sorted[:0], pts[:len(pts)-1]...) // the closing point repeats the first by design
			s.countRepeats(sorted)
			ri := int32(len(s.rings))
			s.rings = append(s.rings, ring{pts: pts})
			for from := 0; from < len(pts)-1; {
				q := quadrant(pts[from], pts[from+1])
				to := from + 1
				for to < len(pts)-1 && quadrant(pts[to], pts[to+1]) == q {
					to++
				}
				a, b := pts[from], pts[to]
				s.chains = append(s.chains, chain{ring: ri, from: int32(from), to: int32(to),
					minX: min(a[0], b[0]), maxX: max(a[0], b[0]), minY: min(a[1], b[1]), maxY: max(a[1], b[1])})
				from = to
			}
		}
	}
	return s
}

// countRepeats counts the vertices a ring visits more than once (ps, its
// points without the closing one, sorted in place): the bases of spikes,
// the knots of a ring touching itself. Only within a ring: two rings or
// parts sharing a vertex (neighbouring comuni sent as one MultiPolygon)
// cost GEOS nothing beyond their union.
func (s *sweep) countRepeats(ps []orb.Point) {
	slices.SortFunc(ps, func(a, b orb.Point) int {
		switch {
		case a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]):
			return -1
		case a == b:
			return 0
		}
		return 1
	})
	for i := 1; i < len(ps); i++ {
		if ps[i] == ps[i-1] {
			if s.repeats == 0 {
				p := ps[i]
				s.repeatAt = &p
			}
			s.repeats++
		}
	}
}

// quadrant is the direction of a → b, as GEOS's Quadrant: 0 for x and y
// growing (or staying), 1 for x falling and y growing, and so on; the edges
// of a chain share it, so the chain is monotone in x and in y.
func quadrant(a, b orb.Point) int {
	dx, dy := b[0]-a[0], b[1]-a[1]
	switch {
	case dx >= 0 && dy >= 0:
		return 0
	case dx < 0 && dy >= 0:
		return 1
	case dx < 0:
		return 2
	}
	return 3
}

func (s *sweep) total() int { return s.crossings + s.repeats }

func (s *sweep) crossingsOver() bool {
	return s.maxCrossings > 0 && s.total() > s.maxCrossings
}

// scansPerOverlap is how many pairs of chains that share only an x-range
// (or a y-range), one cheap comparison each, the sweep may look at per
// step of the Overlaps budget.
const scansPerOverlap = 16

// run sweeps along x (along y when alongY) and reports whether it
// finished, or stopped past maxCrossings; false means a budget ran out.
func (s *sweep) run(alongY bool) bool {
	s.crossings, s.first, s.steps = 0, nil, 0
	if s.crossingsOver() {
		return true
	}
	n := len(s.chains)
	if s.order == nil {
		s.order = make([]int32, n)
		s.lo = make([]float64, n)
		s.hi = make([]float64, n)
	}
	for i := range s.chains {
		c := &s.chains[i]
		s.order[i] = int32(i)
		if alongY {
			s.lo[i], s.hi[i] = c.minY, c.maxY
		} else {
			s.lo[i], s.hi[i] = c.minX, c.maxX
		}
	}
	slices.SortFunc(s.order, func(i, j int32) int {
		a, b := s.lo[i], s.lo[j]
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	maxScans := scansPerOverlap * s.maxOverlaps
	scans := 0
	s.active = s.active[:0]
	for _, i := range s.order {
		c := &s.chains[i]
		start := s.lo[i]
		kept := 0
		for _, j := range s.active {
			if s.hi[j] < start {
				continue // closed before c opens: drop it
			}
			s.active[kept] = j
			kept++
			scans++
			if s.maxOverlaps > 0 && scans > maxScans {
				return false
			}
			d := &s.chains[j]
			if c.minX > d.maxX || d.minX > c.maxX || c.minY > d.maxY || d.minY > c.maxY {
				continue
			}
			if !s.step() || !s.compare(c, c.from, c.to, d, d.from, d.to) {
				return false
			}
			if s.crossingsOver() {
				return true
			}
		}
		s.active = append(s.active[:kept], i)
	}
	return true
}

// step counts one step and reports whether the budget allows it.
func (s *sweep) step() bool {
	s.steps++
	return s.maxOverlaps <= 0 || s.steps <= s.maxOverlaps
}

// compare finds the crossings between points a0..a1 of chain a and b0..b1
// of chain b, halving both while their extents overlap, as GEOS's
// MonotoneChain::computeOverlaps does. It returns false when the step
// budget runs out, and stops early past maxCrossings.
func (s *sweep) compare(a *chain, a0, a1 int32, b *chain, b0, b1 int32) bool {
	ra, rb := &s.rings[a.ring], &s.rings[b.ring]
	if a1-a0 == 1 && b1-b0 == 1 {
		if a.ring == b.ring && consecutive(a0, b0, int32(ra.edges())) {
			return true
		}
		p, q, r, t := ra.pts[a0], ra.pts[a1], rb.pts[b0], rb.pts[b1]
		if n := meet(p, q, r, t); n > 0 {
			if s.first == nil {
				s.first = crossingPoint(p, q, r, t)
			}
			s.crossings += n
		}
		return true
	}
	if !boxesOverlap(ra.pts[a0], ra.pts[a1], rb.pts[b0], rb.pts[b1]) {
		return true
	}
	am, bm := (a0+a1)/2, (b0+b1)/2
	for _, x := range [2][2]int32{{a0, am}, {am, a1}} {
		if x[0] == x[1] {
			continue
		}
		for _, y := range [2][2]int32{{b0, bm}, {bm, b1}} {
			if y[0] == y[1] {
				continue
			}
			if !s.step() || !s.compare(a, x[0], x[1], b, y[0], y[1]) {
				return false
			}
			if s.crossingsOver() {
				return true
			}
		}
	}
	return true
}

// boxesOverlap reports whether the box of a and b overlaps the box of c
// and d.
func boxesOverlap(a, b, c, d orb.Point) bool {
	return max(a[0], b[0]) >= min(c[0], d[0]) && max(c[0], d[0]) >= min(a[0], b[0]) &&
		max(a[1], b[1]) >= min(c[1], d[1]) && max(c[1], d[1]) >= min(a[1], b[1])
}

// consecutive reports whether edges i and j of a ring of n edges follow
// each other.
func consecutive(i, j, n int32) bool {
	d := i - j
	return d == 1 || d == -1 || d == n-1 || d == 1-n
}

func (s *sweep) err(mp orb.MultiPolygon) error {
	if !s.crossingsOver() {
		return nil
	}
	at := s.first
	if at == nil {
		at = s.repeatAt
	}
	msg := "the " + typeName(asGeometry(mp)) + " crosses or touches itself at more than " + Thousands(s.maxCrossings) + " points"
	if at != nil {
		msg += " (one is at " + formatPoint(*at) + ")"
	}
	return &LimitError{Limit: "crossings", Count: s.total(), Max: s.maxCrossings, Location: at,
		Msg: msg + ": fix it at the source"}
}

// meet counts the points where segments ab and cd meet other than a vertex
// of both: 1 for a proper crossing, and one for each vertex of one segment
// lying inside the other (a T, or the ends of a collinear overlap).
func meet(a, b, c, d orb.Point) int {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		return 1
	}
	n := 0
	if o1 == 0 && inside(a, b, c) {
		n++
	}
	if o2 == 0 && inside(a, b, d) {
		n++
	}
	if o3 == 0 && inside(c, d, a) {
		n++
	}
	if o4 == 0 && inside(c, d, b) {
		n++
	}
	return n
}

// orient is the sign of the turn a → b → p: +1 left, -1 right, 0
// collinear (in floating point: a guard's estimate, not an exact
// predicate; GEOS decides validity exactly).
func orient(a, b, p orb.Point) int {
	v := (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// inside reports whether p, collinear with ab, lies strictly between a and b.
func inside(a, b, p orb.Point) bool {
	if p == a || p == b {
		return false
	}
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

// crossingPoint is where ab and cd meet, for pointing at it: the
// intersection of the two lines, or a vertex lying on the other segment.
func crossingPoint(a, b, c, d orb.Point) *orb.Point {
	den := (b[0]-a[0])*(d[1]-c[1]) - (b[1]-a[1])*(d[0]-c[0])
	if den != 0 {
		t := ((c[0]-a[0])*(d[1]-c[1]) - (c[1]-a[1])*(d[0]-c[0])) / den
		if t >= 0 && t <= 1 {
			return &orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
		}
	}
	for _, p := range []orb.Point{c, d} {
		if orient(a, b, p) == 0 && inside(a, b, p) {
			return &p
		}
	}
	for _, p := range []orb.Point{a, b} {
		if orient(c, d, p) == 0 && inside(c, d, p) {
			return &p
		}
	}
	return &orb.Point{c[0], c[1]}
}

// formatPoint formats p as "(x y)" with 10 significant digits, as
// geo/repair does.
func formatPoint(p orb.Point) string {
	return "(" + formatFloat(p[0]) + " " + formatFloat(p[1]) + ")"
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
