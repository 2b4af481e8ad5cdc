package features

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// The page order of a point layer with a page key (catalog.Layer.PageKey)
// is (page key, id), the page key being the Morton (Z-order) code of the
// point's longitude and latitude, each cut into 2^24 steps (1.7 m by 1.2 m
// at 45° N): SQL function page_key of migration 00080. Every aligned
// square of that grid is one range of keys, so a bbox is covered by a few
// ranges (keyRanges), and a page inside the box reads the index on
// (page_key, id) from where the previous page stopped, range after range:
// it costs what it returns, not what the box holds (issue 12: 10 of the
// 43,000 civic numbers of a box read 43,000 and sorted them).

// keyBits is the number of bits of each coordinate in a page key.
const keyBits = 24

// keyRangeBudget bounds the ranges of one bbox: more ranges hug the box
// closer (fewer points read outside it), each costs an index descent.
const keyRangeBudget = 256

// keyCell returns the grid step of a longitude and a latitude, as
// page_key computes it (the same float64 operations in the same order).
func keyCell(lon, lat float64) (x, y uint32) {
	step := func(v, lo, span float64) uint32 {
		f := math.Floor((v - lo) / span * (1 << keyBits))
		switch {
		case f >= 1<<keyBits || f != f: // NaN too, as least(greatest(NaN, …)) in SQL
			return 1<<keyBits - 1
		case f < 0:
			return 0
		}
		return uint32(f)
	}
	return step(lon, -180, 360), step(lat, -90, 180)
}

// interleave returns the Morton code of grid step (x, y): the bits of x
// at even positions, those of y at odd ones.
func interleave(x, y uint32) int64 {
	spread := func(v uint64) uint64 {
		v = (v | v<<16) & 0x0000FFFF0000FFFF
		v = (v | v<<8) & 0x00FF00FF00FF00FF
		v = (v | v<<4) & 0x0F0F0F0F0F0F0F0F
		v = (v | v<<2) & 0x3333333333333333
		v = (v | v<<1) & 0x5555555555555555
		return v
	}
	return int64(spread(uint64(x)) | spread(uint64(y))<<1)
}

// pageKey is the page key of a point (Go's twin of SQL page_key, tested
// against it).
func pageKey(lon, lat float64) int64 { return interleave(keyCell(lon, lat)) }

// keyRange is the page keys from lo up to hi, hi excluded. Edge is false
// when every point whose key is in the range lies inside the box the range
// was made for, so that counting them needs no test of their position.
type keyRange struct {
	lo, hi int64
	edge   bool
}

// keyRanges returns ranges of page keys, in order and disjoint, that hold
// the key of every point of b (a lon/lat box, minimum ≤ maximum), at most
// budget of them. It descends the quadtree of the key grid from the whole
// world, keeping the squares inside b and splitting those across its
// edge, level by level, while the squares fit the budget; the squares
// across the edge left at the end are taken whole, as edge ranges (the
// page query tests their points against the box).
func keyRanges(b orb.Bound, budget int) []keyRange {
	x0, y0 := keyCell(b.Min[0], b.Min[1])
	x1, y1 := keyCell(b.Max[0], b.Max[1])
	// Squares are kept within one step more on every side, so that no
	// rounding of a point on the box's edge can leave it out; and they
	// are inside (not edge) only within one step less: a point whose
	// step lies strictly between those of the box's sides lies inside it
	// (keyCell is monotonic).
	type rect struct{ x0, y0, x1, y1 int64 }
	outer := rect{int64(x0) - 1, int64(y0) - 1, int64(x1) + 1, int64(y1) + 1}
	inner := rect{int64(x0) + 1, int64(y0) + 1, int64(x1) - 1, int64(y1) - 1}
	type square struct {
		x, y, side int64 // lower-left step, side in steps
	}
	within := func(s square, r rect) bool {
		return s.x >= r.x0 && s.x+s.side-1 <= r.x1 && s.y >= r.y0 && s.y+s.side-1 <= r.y1
	}
	// split returns the quarters of s inside the box and those across its
	// edge (or on the band of steps next to it), dropping those outside.
	split := func(s square) (inside, across []square) {
		half := s.side / 2
		for _, d := range [4][2]int64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
			c := square{s.x + d[0]*half, s.y + d[1]*half, half}
			switch {
			case c.x > outer.x1 || c.x+half-1 < outer.x0 || c.y > outer.y1 || c.y+half-1 < outer.y0:
			case within(c, inner):
				inside = append(inside, c)
			default:
				across = append(across, c)
			}
		}
		return inside, across
	}
	var done []square
	across := []square{{0, 0, 1 << keyBits}}
	for len(across) > 0 && across[0].side > 1 {
		var inside, next []square
		for _, s := range across {
			in, ac := split(s)
			inside, next = append(inside, in...), append(next, ac...)
		}
		if len(done)+len(inside)+len(next) <= budget {
			done, across = append(done, inside...), next
			continue
		}
		// The whole level does not fit: split the squares that still do,
		// one by one, and keep the others whole.
		var kept []square
		for i, s := range across {
			in, ac := split(s)
			if len(done)+len(kept)+len(in)+len(ac)+len(across)-i-1 > budget {
				kept = append(kept, across[i:]...)
				break
			}
			done, kept = append(done, in...), append(kept, ac...)
		}
		across = kept
		break
	}
	done = append(done, across...)

	ranges := make([]keyRange, 0, len(done))
	for _, s := range done {
		lo := interleave(uint32(s.x), uint32(s.y))
		ranges = append(ranges, keyRange{lo, lo + s.side*s.side, !within(s, inner)})
	}
	slices.SortFunc(ranges, func(a, b keyRange) int { return cmp.Compare(a.lo, b.lo) })
	merged := ranges[:0]
	for _, r := range ranges {
		if n := len(merged); n > 0 && merged[n-1].hi == r.lo && merged[n-1].edge == r.edge {
			merged[n-1].hi = r.hi
			continue
		}
		merged = append(merged, r)
	}
	return merged
}
