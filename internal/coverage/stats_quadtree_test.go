package coverage_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"

	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// testStatsQuadtreeMatchesFlat compares Stats (the quadtree of cells and the
// network pieces) with StatsFlat (every 200 m cell tested, the network
// clipped and cut per request, as before) and with a count in Go, on
// random polygons over the demo: stars from a few hundred metres to the
// whole Cremasco, with holes, in several parts, boxes, unions of comuni
// (whose edges run along the comuni the network pieces are cut by), and a
// circle over 8,192 vertices (cut with ST_Subdivide for the network).
func testStatsQuadtreeMatchesFlat(t *testing.T, s *coverage.Store, db *store.DB) {
	all := readAll(t, db)
	for _, a := range randomAreas(t, db, all, 40) {
		t.Run(a.name, func(t *testing.T) {
			compareStats(t, s, a.area, all, a.in)
		})
	}
}

// compareStats checks Stats against StatsFlat for one area: the counts
// exactly, the network within floating-point rounding, the same comuni;
// and the counts against the count in Go when in is given.
func compareStats(t *testing.T, s *coverage.Store, a coverage.Area, all []civico, in func(civico) bool) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Stats(ctx, a, true)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.StatsFlat(ctx, a, true)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKm(got.NetworkKm, want.NetworkKm) {
		t.Errorf("network_km = %.12f, flat %.12f", got.NetworkKm, want.NetworkKm)
	}
	gc, wc := got.Counts, want.Counts
	gc.NetworkKm, wc.NetworkKm = 0, 0
	if gc != wc {
		t.Errorf("counts =\n %+v\nflat\n %+v", gc, wc)
	}
	// A comune the flat path lists with nothing in it is a route that
	// touches it at a point: the pieces do not list those.
	wantComuni := slices.DeleteFunc(slices.Clone(want.Comuni), func(c coverage.ComuneStats) bool {
		return c.Civici == 0 && c.NetworkKm < 1e-9
	})
	if len(got.Comuni) != len(wantComuni) {
		t.Errorf("comuni %v, flat %v", codes(got.Comuni), codes(want.Comuni))
	} else {
		for i, g := range got.Comuni {
			w := wantComuni[i]
			if !sameKm(g.NetworkKm, w.NetworkKm) {
				t.Errorf("comune %s: network_km = %.12f, flat %.12f", g.ISTATCode, g.NetworkKm, w.NetworkKm)
			}
			g.NetworkKm, w.NetworkKm = 0, 0
			if g != w {
				t.Errorf("comune %s =\n %+v\nflat\n %+v", g.ISTATCode, g, w)
			}
		}
	}
	if in != nil {
		gc := count(all, in)
		gc.NetworkKm = 0
		if gc != wc {
			t.Errorf("flat counts =\n %+v\ncounted in Go\n %+v", wc, gc)
		}
	}
}

// sameKm: lengths summed in another order differ in the last bits.
func sameKm(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func codes(cs []coverage.ComuneStats) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s(%d, %.3f km) ", c.ISTATCode, c.Civici, c.NetworkKm)
	}
	return b.String()
}

type testArea struct {
	name string
	area coverage.Area
	in   func(civico) bool // nil: not counted in Go
}

// randomAreas draws n random areas around civic numbers of all, plus
// unions of comuni and a detailed circle.
func randomAreas(t *testing.T, db *store.DB, all []civico, n int) []testArea {
	t.Helper()
	ctx := context.Background()
	var ext orb.Bound
	if err := db.Read.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom) AS e FROM comuni) x`).Scan(&ext.Min[0], &ext.Min[1], &ext.Max[0], &ext.Max[1]); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(12, 2026))
	center := func() orb.Point { return all[rng.IntN(len(all))].p }
	// radius from 300 m to 30 km, evenly on a log scale, in degrees of latitude
	radius := func() float64 { return 0.0027 * math.Pow(100, rng.Float64()) }
	var areas []testArea
	for i := range n {
		var a testArea
		switch i % 4 {
		case 0:
			p := star(rng, center(), radius(), 3+rng.IntN(40), 0)
			a = testArea{"star", coverage.Area{Polygon: p}, inPolygon(p)}
		case 1:
			r := radius()
			p := star(rng, center(), r, 5+rng.IntN(40), r*0.2)
			a = testArea{"star_with_hole", coverage.Area{Polygon: p}, inPolygon(p)}
		case 2:
			c := center()
			r := radius()
			// two stars side by side, apart
			mp := orb.MultiPolygon{star(rng, c, r, 3+rng.IntN(20), 0), star(rng, orb.Point{c[0] + 3*r, c[1]}, r, 3+rng.IntN(20), 0)}
			a = testArea{"two_stars", coverage.Area{Polygon: mp}, func(v civico) bool { return planar.MultiPolygonContains(mp, v.p) }}
		case 3:
			c := center()
			r := radius()
			b := orb.Bound{Min: orb.Point{c[0] - r, c[1] - r/2}, Max: orb.Point{c[0] + r, c[1] + r/2}}
			a = testArea{"bbox", coverage.Area{BBox: &b}, func(v civico) bool { return b.Contains(v.p) }}
		}
		a.name = fmt.Sprintf("%02d_%s", i, a.name)
		areas = append(areas, a)
	}
	// Unions of comuni, exact and rounded to 7 decimals as a client sends
	// them: the whole Cremasco, and Crema with its neighbours.
	for _, u := range []struct{ name, where string }{
		{"all_comuni", "true"},
		{"crema_and_neighbours", "ST_Intersects(geom, (SELECT geom FROM comuni WHERE istat_code = '019035'))"},
	} {
		for _, digits := range []int{15, 7} {
			var b []byte
			if err := db.Read.QueryRow(ctx, `SELECT ST_AsBinary(ST_GeomFromGeoJSON(ST_AsGeoJSON(ST_Union(geom), $1)))
				FROM comuni WHERE `+u.where, digits).Scan(&b); err != nil {
				t.Fatal(err)
			}
			g, err := wkb.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			areas = append(areas, testArea{fmt.Sprintf("%s_%d_digits", u.name, digits), coverage.Area{Polygon: g}, nil})
		}
	}
	// Over 8,192 vertices: the network is clipped to pieces of it. (Not
	// counted in Go: 60,000 points by 10,000 edges take a minute.)
	c := orb.Point{(ext.Min[0] + ext.Max[0]) / 2, (ext.Min[1] + ext.Max[1]) / 2}
	ring := make(orb.Ring, 0, 10001)
	for i := range 10000 {
		a := 2 * math.Pi * float64(i) / 10000
		ring = append(ring, orb.Point{c[0] + 0.08*math.Cos(a)/math.Cos(c[1]*math.Pi/180), c[1] + 0.08*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	areas = append(areas, testArea{"circle_10000_vertices", coverage.Area{Polygon: orb.Polygon{ring}}, nil})
	return areas
}

// star is a polygon of n vertices at random angles around c, each at a
// random distance between half of r and r (degrees of latitude; longitude
// scaled); with hole > 0, a hole of that radius around c.
func star(rng *rand.Rand, c orb.Point, r float64, n int, hole float64) orb.Polygon {
	k := math.Cos(c[1] * math.Pi / 180)
	angles := make([]float64, n)
	for i := range angles {
		angles[i] = rng.Float64() * 2 * math.Pi
	}
	slices.Sort(angles)
	ring := make(orb.Ring, 0, n+1)
	for _, a := range angles {
		d := r * (0.5 + rng.Float64()/2)
		ring = append(ring, orb.Point{c[0] + d*math.Cos(a)/k, c[1] + d*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	p := orb.Polygon{ring}
	if hole > 0 {
		h := make(orb.Ring, 0, 9)
		for i := 8; i >= 0; i-- { // clockwise
			a := 2 * math.Pi * float64(i%8) / 8
			h = append(h, orb.Point{c[0] + hole*math.Cos(a)/k, c[1] + hole*math.Sin(a)})
		}
		p = append(p, h)
	}
	return p
}

func inPolygon(p orb.Polygon) func(civico) bool {
	return func(v civico) bool { return planar.PolygonContains(p, v.p) }
}

// TestStatsNetworkPiecesFollowEdits changes routes and comuni the ways
// the importers and psql do (insert, update, delete, truncate) and checks
// that the network of an area still matches the flat path, which reads
// the tables themselves.
func TestStatsNetworkPiecesFollowEdits(t *testing.T) {
	db := storetest.NewDB(t)
	ctx := context.Background()
	if err := demo.Load(ctx, db.Write, slog.New(slog.DiscardHandler), "comuni", "coverage"); err != nil {
		t.Fatal(err)
	}
	s := coverage.NewStore(db.Write)
	exec := func(sql string) {
		t.Helper()
		if _, err := db.Write.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	crema := star(rand.New(rand.NewPCG(1, 2)), orb.Point{9.69, 45.36}, 0.04, 12, 0)
	whole := orb.Bound{Min: orb.Point{9.3, 45.0}, Max: orb.Point{10.6, 45.6}}
	check := func(step string) {
		t.Helper()
		for _, a := range []coverage.Area{{Polygon: crema}, {BBox: &whole}} {
			got, err := s.Stats(ctx, a, true)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.StatsFlat(ctx, a, true)
			if err != nil {
				t.Fatal(err)
			}
			if !sameKm(got.NetworkKm, want.NetworkKm) {
				t.Errorf("after %s: network_km = %.9f, flat %.9f", step, got.NetworkKm, want.NetworkKm)
			}
			if want.NetworkKm == 0 && step != "truncating the routes" {
				t.Errorf("after %s: no network in the area: the check proves nothing", step)
			}
			for _, w := range want.Comuni {
				i := slices.IndexFunc(got.Comuni, func(g coverage.ComuneStats) bool { return g.ISTATCode == w.ISTATCode })
				switch {
				case i < 0 && w.NetworkKm > 1e-9:
					t.Errorf("after %s: comune %s (%.3f km in the flat path) missing", step, w.ISTATCode, w.NetworkKm)
				case i >= 0 && !sameKm(got.Comuni[i].NetworkKm, w.NetworkKm):
					t.Errorf("after %s: comune %s network_km = %.9f, flat %.9f", step, w.ISTATCode, got.Comuni[i].NetworkKm, w.NetworkKm)
				}
			}
		}
	}
	check("the demo load")
	exec(`INSERT INTO network_routes (programme, operator, status, name, source, geom)
		VALUES ('commercial', 'Test', 'active', 'across Crema', 'test', ST_GeomFromText('MULTILINESTRING((9.60 45.36, 9.78 45.37, 9.78 45.30))', 4326))`)
	check("inserting a route")
	exec(`UPDATE network_routes SET geom = ST_GeomFromText('MULTILINESTRING((9.62 45.33, 9.75 45.40))', 4326) WHERE name = 'across Crema'`)
	check("moving a route")
	exec(`UPDATE comuni SET geom = ST_Multi(ST_Buffer(geom, 0.01)) WHERE istat_code = '019035'`)
	check("growing Crema")
	exec(`DELETE FROM network_routes WHERE name = 'across Crema'`)
	check("deleting a route")
	exec(`UPDATE comuni SET istat_code = '019999' WHERE istat_code = '019035'`)
	check("renumbering a comune")
	exec(`DELETE FROM comuni WHERE istat_code = '019999'`)
	check("deleting a comune")
	exec(`TRUNCATE network_routes`)
	check("truncating the routes")
}
