package features

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/internal/store/storetest"
)

// deinterleave is interleave's inverse.
func deinterleave(k int64) (x, y uint32) {
	for i := range keyBits {
		x |= uint32(k>>(2*i)&1) << i
		y |= uint32(k>>(2*i+1)&1) << i
	}
	return x, y
}

// testBoxes returns lon/lat boxes of every size from a point to half the
// world, most around the Cremasco, some on the edges of the world.
func testBoxes(r *rand.Rand, n int) []orb.Bound {
	boxes := []orb.Bound{
		{Min: orb.Point{9.6785, 45.355}, Max: orb.Point{9.70, 45.37}}, // issue 12's dense box
		{Min: orb.Point{9.69, 45.36}, Max: orb.Point{9.69, 45.36}},    // a point
		{Min: orb.Point{9.60, 45.36}, Max: orb.Point{9.70, 45.36}},    // a line
		{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}},
		{Min: orb.Point{179.9, 89.9}, Max: orb.Point{180, 90}},
		{Min: orb.Point{-180, -90}, Max: orb.Point{-179.99, -89.99}},
		{Min: orb.Point{0, 0}, Max: orb.Point{0.001, 0.001}}, // across the middle of the key grid
	}
	for len(boxes) < n {
		size := math.Pow(10, -6+7*r.Float64()) // 1e-6° to 10°
		lon, lat := 9.4+0.6*r.Float64(), 45.2+0.35*r.Float64()
		if r.IntN(5) == 0 {
			lon, lat = -180+360*r.Float64(), -90+180*r.Float64()
		}
		w, h := size*r.Float64(), size*r.Float64()
		boxes = append(boxes, orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{min(lon+w, 180), min(lat+h, 90)}})
	}
	return boxes
}

func TestKeyRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2026))
	for _, b := range testBoxes(r, 2000) {
		for _, budget := range []int{4, keyRangeBudget} {
			ranges := keyRanges(b, budget)
			if len(ranges) == 0 || len(ranges) > budget {
				t.Fatalf("keyRanges(%v, %d): %d ranges", b, budget, len(ranges))
			}
			for i, k := range ranges {
				if k.lo >= k.hi || i > 0 && ranges[i-1].hi > k.lo {
					t.Fatalf("keyRanges(%v, %d): range %d %+v after %+v: not in order, or empty", b, budget, i, k, ranges[max(i-1, 0)])
				}
			}
			in := func(key int64) (keyRange, bool) {
				for _, k := range ranges {
					if key >= k.lo && key < k.hi {
						return k, true
					}
				}
				return keyRange{}, false
			}
			// Every point of the box, its corners and edges included.
			points := []orb.Point{b.Min, b.Max, {b.Min[0], b.Max[1]}, {b.Max[0], b.Min[1]}}
			for range 50 {
				points = append(points, orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])})
			}
			for _, p := range points {
				if _, ok := in(pageKey(p[0], p[1])); !ok {
					t.Fatalf("keyRanges(%v, %d): the key of %v is in no range", b, budget, p)
				}
			}
			// Every point whose key is in a range that is not on the edge
			// lies in the box.
			for _, k := range ranges {
				if k.edge {
					continue
				}
				for range 20 {
					x, y := deinterleave(k.lo + r.Int64N(k.hi-k.lo))
					p := orb.Point{(float64(x)+r.Float64())/(1<<keyBits)*360 - 180, (float64(y)+r.Float64())/(1<<keyBits)*180 - 90}
					if got, _ := in(pageKey(p[0], p[1])); got == k && !b.Contains(p) {
						t.Fatalf("keyRanges(%v, %d): %v has its key in %+v, not on the edge, but lies outside the box", b, budget, p, k)
					}
				}
			}
		}
	}
}

// TestPageKeyMatchesSQL: Go's page key is SQL's page_key (migration
// 00080), for random points, the edges of the world, and the lines
// between two steps of the key grid.
func TestPageKeyMatchesSQL(t *testing.T) {
	db := storetest.NewDB(t)
	r := rand.New(rand.NewPCG(3, 12))
	var lons, lats []float64
	add := func(lon, lat float64) { lons, lats = append(lons, lon), append(lats, lat) }
	for _, b := range testBoxes(r, 500) {
		add(b.Min[0], b.Min[1])
		add(b.Max[0], b.Max[1])
	}
	for range 2000 {
		step := float64(r.IntN(1 << keyBits))
		add(step/(1<<keyBits)*360-180, step/(1<<keyBits)*180-90)
		add(math.Nextafter(step/(1<<keyBits)*360-180, -200), math.Nextafter(step/(1<<keyBits)*180-90, -100))
	}
	add(-180, -90)
	add(180, 90)
	rows, err := db.Read.Query(context.Background(), `SELECT page_key(lon, lat) FROM unnest($1::float8[], $2::float8[]) AS p(lon, lat)`, lons, lats)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var k int64
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		if want := pageKey(lons[i], lats[i]); k != want {
			t.Errorf("page_key(%v, %v) = %d in SQL, %d in Go", lons[i], lats[i], k, want)
		}
	}
	if err := rows.Err(); err != nil || i != len(lons) {
		t.Fatalf("%d keys of %d: %v", i, len(lons), err)
	}

	// Whatever the search_path: pg_restore computes the generated column
	// with an empty one.
	ctx := context.Background()
	conn, err := db.Write.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var k int64
	if _, err := conn.Exec(ctx, "SET search_path = pg_catalog"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT public.page_key(9.69, 45.36)").Scan(&k); err != nil || k != pageKey(9.69, 45.36) {
		t.Errorf("page_key with search_path pg_catalog = %d, %v; want %d", k, err, pageKey(9.69, 45.36))
	}
	if _, err := conn.Exec(ctx, "RESET search_path"); err != nil {
		t.Fatal(err)
	}
}

// TestKeyRangesInside: most keys of a box (3/4) fall in ranges inside it (which
// counts read from the index alone), also for a box whose sides lie on
// the lines of the key grid (0°), where whole quadrants touch its edge.
func TestKeyRangesInside(t *testing.T) {
	for _, b := range []orb.Bound{
		{Min: orb.Point{0, 0}, Max: orb.Point{90, 45}},
		{Min: orb.Point{9.4544, 45.2321}, Max: orb.Point{9.9114, 45.5045}}, // the Cremasco
		{Min: orb.Point{9.6785, 45.355}, Max: orb.Point{9.70, 45.37}},      // issue 12's dense box
	} {
		var inside, all float64
		for _, r := range keyRanges(b, keyRangeBudget) {
			all += float64(r.hi - r.lo)
			if !r.edge {
				inside += float64(r.hi - r.lo)
			}
		}
		if share := inside / all; share < 0.75 {
			t.Errorf("keyRanges(%v): %.2f of the keys in ranges inside the box, want at least 0.75", b, share)
		}
	}
}
