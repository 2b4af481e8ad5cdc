package coverage_test

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// TestWithDemo loads the demo once and runs the read-only tests on it.
func TestWithDemo(t *testing.T) {
	db := storetest.NewDB(t)
	if err := demo.Load(context.Background(), db.Write, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	s := coverage.NewStore(db.Write)
	for _, tt := range []struct {
		name string
		f    func(*testing.T, *coverage.Store, *store.DB)
	}{
		{"StatsAgainstIndependentCount", testStatsAgainstIndependentCount},
		{"StatsNetworkKm", testStatsNetworkKm},
		{"StatsQuadtreeMatchesFlat", testStatsQuadtreeMatchesFlat},
		{"StatsUnknownComune", testStatsUnknownComune},
		{"DemoFacts", testDemoFacts},
		{"NearestAndAddress", testNearestAndAddress},
		{"Search", testSearch},
		{"PreRenderedZ14Tiles", testPreRenderedZ14Tiles},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, s, db) })
	}
}

// civico is one civic number with its offers, read straight from the
// tables, for independent counting.
type civico struct {
	id     int64
	comune string
	p      orb.Point
	offers []coverage.Offer
}

func readAll(t *testing.T, db *store.DB) []civico {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Read.Query(ctx, `SELECT id, istat_code, ST_X(geom), ST_Y(geom) FROM civici ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var cs []civico
	idx := map[int64]int{}
	for rows.Next() {
		var c civico
		if err := rows.Scan(&c.id, &c.comune, &c.p[0], &c.p[1]); err != nil {
			t.Fatal(err)
		}
		idx[c.id] = len(cs)
		cs = append(cs, c)
	}
	rows, err = db.Read.Query(ctx, `SELECT civico_id, programme, technology, max_down_mbps, status FROM coverage_offers`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var o coverage.Offer
		if err := rows.Scan(&id, &o.Programme, &o.Technology, &o.MaxDownMbps, &o.Status); err != nil {
			t.Fatal(err)
		}
		cs[idx[id]].offers = append(cs[idx[id]].offers, o)
	}
	return cs
}

// best ranks offers as the package documents, written independently.
func best(os []coverage.Offer) *coverage.Offer {
	if len(os) == 0 {
		return nil
	}
	rank := func(o coverage.Offer) int {
		switch o.Status {
		case "active", "connectable":
			return 3
		case "in_works":
			return 2
		}
		return 1
	}
	techRank := map[string]int{"FTTH": 0, "FTTC": 1, "FWA": 2, "other": 3}
	b := os[0]
	for _, o := range os[1:] {
		switch {
		case rank(o) != rank(b):
			if rank(o) > rank(b) {
				b = o
			}
		case o.MaxDownMbps != b.MaxDownMbps:
			if o.MaxDownMbps > b.MaxDownMbps {
				b = o
			}
		case (o.Status == "active") != (b.Status == "active"):
			if o.Status == "active" {
				b = o
			}
		case techRank[o.Technology] < techRank[b.Technology]:
			b = o
		}
	}
	return &b
}

func count(cs []civico, in func(civico) bool) coverage.Counts {
	var c coverage.Counts
	for _, v := range cs {
		if !in(v) {
			continue
		}
		c.Civici++
		b := best(v.offers)
		status, tech := "none", "none"
		if b != nil {
			status, tech = b.Status, b.Technology
		}
		switch status {
		case "active":
			c.Status.Active++
		case "connectable":
			c.Status.Connectable++
		case "in_works":
			c.Status.InWorks++
		case "planned":
			c.Status.Planned++
		default:
			c.Status.None++
		}
		switch tech {
		case "FTTH":
			c.Technology.FTTH++
		case "FTTC":
			c.Technology.FTTC++
		case "FWA":
			c.Technology.FWA++
		case "other":
			c.Technology.Other++
		default:
			c.Technology.None++
		}
		progs := map[string]bool{}
		for _, o := range v.offers {
			progs[o.Programme] = true
		}
		if progs["aree_bianche"] {
			c.Programme.AreeBianche++
		}
		if progs["aree_grigie"] {
			c.Programme.AreeGrigie++
		}
		if progs["commercial"] {
			c.Programme.Commercial++
		}
		switch {
		case b == nil || (b.Status != "active" && b.Status != "connectable"):
			c.Speed.None++
		case b.MaxDownMbps >= 1000:
			c.Speed.From1000++
		case b.MaxDownMbps >= 300:
			c.Speed.From300++
		case b.MaxDownMbps >= 100:
			c.Speed.From100++
		case b.MaxDownMbps >= 30:
			c.Speed.From30++
		default:
			c.Speed.Below30++
		}
	}
	return c
}

func testStatsAgainstIndependentCount(t *testing.T, s *coverage.Store, db *store.DB) {
	ctx := context.Background()
	all := readAll(t, db)
	if len(all) < 50000 {
		t.Fatalf("demo has %d civic numbers, want about 60,000", len(all))
	}
	// An irregular polygon around Crema's centre that cuts through streets,
	// so both whole cells and edge cells are involved.
	poly := orb.Polygon{{{9.655, 45.345}, {9.71, 45.35}, {9.72, 45.372}, {9.69, 45.39}, {9.672, 45.37}, {9.65, 45.375}, {9.655, 45.345}}}
	box := orb.Bound{Min: orb.Point{9.60, 45.30}, Max: orb.Point{9.75, 45.42}}
	tests := []struct {
		name string
		area coverage.Area
		in   func(civico) bool
	}{
		{"comune Crema", coverage.Area{Comune: "019035"}, func(c civico) bool { return c.comune == "019035" }},
		{"bbox", coverage.Area{BBox: &box}, func(c civico) bool { return box.Contains(c.p) }},
		{"polygon", coverage.Area{Polygon: poly}, func(c civico) bool { return planar.PolygonContains(poly, c.p) }},
		{"multipolygon", coverage.Area{Polygon: orb.MultiPolygon{poly, orb.Polygon{{{9.55, 45.43}, {9.58, 45.43}, {9.58, 45.46}, {9.55, 45.46}, {9.55, 45.43}}}}},
			func(c civico) bool {
				return planar.PolygonContains(poly, c.p) || (c.p[0] >= 9.55 && c.p[0] <= 9.58 && c.p[1] >= 45.43 && c.p[1] <= 45.46)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Stats(ctx, tt.area, true)
			if err != nil {
				t.Fatal(err)
			}
			want := count(all, tt.in)
			got.NetworkKm, want.NetworkKm = 0, 0
			if got.Counts != want {
				t.Errorf("Stats(%s) =\n %+v\nwant (counted in Go)\n %+v", tt.name, got.Counts, want)
			}
			if want.Civici == 0 {
				t.Errorf("the area holds no civic numbers: the test proves nothing")
			}
			var sum int
			for _, c := range got.Comuni {
				sum += c.Civici
			}
			if sum != got.Civici {
				t.Errorf("per-comune civici add up to %d, total is %d", sum, got.Civici)
			}
		})
	}
}

func testStatsNetworkKm(t *testing.T, s *coverage.Store, db *store.DB) {
	ctx := context.Background()
	var total float64
	if err := db.Read.QueryRow(ctx, `SELECT sum(length_m) / 1000 FROM network_routes`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	// A box around the whole province holds the whole network.
	box := orb.Bound{Min: orb.Point{9.3, 45.0}, Max: orb.Point{10.6, 45.6}}
	st, err := s.Stats(ctx, coverage.Area{BBox: &box}, false)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(st.NetworkKm-total) > 0.01*total {
		t.Errorf("network in the province box = %.1f km, want the whole network %.1f km", st.NetworkKm, total)
	}
	if total < 340 || total > 380 {
		t.Errorf("demo network = %.1f km, want about 360 km", total)
	}
}

func testStatsUnknownComune(t *testing.T, s *coverage.Store, db *store.DB) {
	_, err := s.Stats(context.Background(), coverage.Area{Comune: "099999"}, false)
	if err == nil {
		t.Fatal("Stats(unknown comune) succeeded, want not found")
	}
}

func testDemoFacts(t *testing.T, s *coverage.Store, db *store.DB) {
	ctx := context.Background()
	var bianche, biancheComuni, grigie, grigieComuni int
	if err := db.Read.QueryRow(ctx, `SELECT
		count(DISTINCT o.civico_id) FILTER (WHERE programme = 'aree_bianche'),
		count(DISTINCT c.istat_code) FILTER (WHERE programme = 'aree_bianche'),
		count(DISTINCT o.civico_id) FILTER (WHERE programme = 'aree_grigie'),
		count(DISTINCT c.istat_code) FILTER (WHERE programme = 'aree_grigie')
		FROM coverage_offers o JOIN civici c ON c.id = o.civico_id`).Scan(&bianche, &biancheComuni, &grigie, &grigieComuni); err != nil {
		t.Fatal(err)
	}
	if biancheComuni != 40 || bianche < 32000 || bianche > 36000 {
		t.Errorf("aree bianche: %d civic numbers in %d comuni, want ~34,000 in 40", bianche, biancheComuni)
	}
	if grigieComuni != 20 || grigie < 6500 || grigie > 8500 {
		t.Errorf("aree grigie: %d civic numbers in %d comuni, want ~7,500 in 20", grigie, grigieComuni)
	}
}

func testNearestAndAddress(t *testing.T, s *coverage.Store, db *store.DB) {
	ctx := context.Background()
	var id int64
	var lon, lat float64
	var street string
	var number int
	if err := db.Read.QueryRow(ctx, `SELECT id, ST_X(geom), ST_Y(geom), street, number FROM civici
		WHERE istat_code = '019035' AND suffix = '' AND number IS NOT NULL ORDER BY id LIMIT 1 OFFSET 100`).Scan(&id, &lon, &lat, &street, &number); err != nil {
		t.Fatal(err)
	}
	v, err := s.Nearest(ctx, lon+0.00001, lat, 50)
	if err != nil {
		t.Fatal(err)
	}
	if v.ID != id || v.Distance == nil || *v.Distance > 2 {
		t.Errorf("Nearest(next to civico %d) = %d at %v m, want %d within 2 m", id, v.ID, v.Distance, id)
	}
	if _, err := s.Nearest(ctx, 12.5, 41.9, 100); err == nil {
		t.Error("Nearest(Rome, 100 m) found a civic number of the Cremasco")
	}
	for _, typed := range []string{street, "  " + street + " ", mangle(street)} {
		a, err := s.FindByAddress(ctx, coverage.Address{Comune: "019035", Street: typed, Number: &number})
		if err != nil {
			t.Errorf("FindByAddress(%q %d) = %v", typed, number, err)
			continue
		}
		if a.Street != street || a.Number == nil || *a.Number != number {
			t.Errorf("FindByAddress(%q %d) = %s %v, want %s %d", typed, number, a.Street, a.Number, street, number)
		}
		if a.Offers == nil {
			t.Errorf("FindByAddress(%q) returned no offers list", typed)
		}
	}
	missing := 99999
	if _, err := s.FindByAddress(ctx, coverage.Address{Comune: "019035", Street: street, Number: &missing}); err == nil {
		t.Errorf("FindByAddress(%s %d) found a civic number that does not exist", street, missing)
	}
}

// mangle writes a street as people type it: lower case, "V." for Via,
// no accents.
func mangle(s string) string {
	k := coverage.StreetKey(s)
	if len(k) > 4 && k[:4] == "VIA " {
		return "v. " + lower(k[4:])
	}
	return lower(k)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func testSearch(t *testing.T, s *coverage.Store, db *store.DB) {
	ctx := context.Background()
	res, err := s.Search(ctx, "via rom", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 || coverage.StreetKey(res[0].Street) != "VIA ROMA" {
		t.Fatalf("Search(via rom) = %+v, want Via Roma first", res)
	}
	res, err = s.Search(ctx, "garibaldi 3, crema", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 {
		t.Fatal("Search(garibaldi 3, crema) found nothing")
	}
	for _, r := range res {
		if r.Kind != "civico" || r.Comune != "Crema" || r.Number == nil || *r.Number != 3 {
			t.Errorf("Search(garibaldi 3, crema) gave %+v, want civic numbers 3 in Crema", r)
		}
	}
	if res, _ := s.Search(ctx, "x", "", 10); len(res) != 0 {
		t.Errorf("Search(one letter) = %d results, want none", len(res))
	}
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	n := func(i int) *int { return &i }
	tests := []struct {
		q      string
		words  string
		number *int
		suffix string
		text   string
	}{
		{"via roma", "VIA ROMA", nil, "", ""},
		{"via roma 12", "VIA ROMA", n(12), "", "12"},
		{"via roma 12a", "VIA ROMA", n(12), "A", "12a"},
		{"via roma 12/B, Crema", "VIA ROMA CREMA", n(12), "B", "12/B"},
		{"via roma 17/A crema", "VIA ROMA CREMA", n(17), "A", "17/A"},
		{"via roma 17 / a crema", "VIA ROMA CREMA", n(17), "A", "17 / a"},
		{"via roma 12 A crema", "VIA ROMA CREMA", n(12), "A", "12 A"},
		{"via roma 12 a, crema", "VIA ROMA CREMA", n(12), "A", "12 a"},
		{"via roma 12 bis", "VIA ROMA", n(12), "BIS", "12 bis"},
		{"via roma 12bis crema", "VIA ROMA CREMA", n(12), "BIS", "12bis"},
		{"via roma 12-b", "VIA ROMA", n(12), "B", "12-b"},
		{"Via Roma, 12 Crema", "VIA ROMA CREMA", n(12), "", "12"},
		{"via roma 12 crema", "VIA ROMA CREMA", n(12), "", "12"},
		{"roma 12 crema", "ROMA CREMA", n(12), "", "12"},
		{"12 via roma crema", "VIA ROMA CREMA", n(12), "", "12"},
		{"12 v. roma", "VIA ROMA", n(12), "", "12"},
		{"crema, v. roma 3", "CREMA VIA ROMA", n(3), "", "3"},
		{"via XX settembre, crema", "VIA XX SETTEMBRE CREMA", nil, "", ""},
		{"via IV novembre 4", "VIA IV NOVEMBRE", n(4), "", "4"},
		{"via 4 novembre 12, crema", "VIA 4 NOVEMBRE CREMA", n(12), "", "12"},
		{"piazza 25 aprile", "PIAZZA 25 APRILE", nil, "", ""},
		{"via roma 12, 26013 crema", "VIA ROMA CREMA", n(12), "", "12"},
		{"26013 crema", "CREMA", n(26013), "", "26013"},
		{"p.zza garibaldi 3a", "PIAZZA GARIBALDI", n(3), "A", "3a"},
		{"c.so italia 1", "CORSO ITALIA", n(1), "", "1"},
		{"s. bernardino", "S BERNARDINO", nil, "", ""},
		{"ripalta cremasca", "RIPALTA CREMASCA", nil, "", ""},
		{"sp415 km 3", "SP415 KM", n(3), "", "3"},
		{"via roma 123456", "VIA ROMA 123456", nil, "", ""},
		{"via roma 12abcdefgh", "VIA ROMA 12ABCDEFGH", nil, "", ""},
		{"via garibaldi n. 77, izano", "VIA GARIBALDI IZANO", n(77), "", "77"},
		{"via garibaldi nr 77", "VIA GARIBALDI", n(77), "", "77"},
		{"via garibaldi civico 7/b", "VIA GARIBALDI", n(7), "B", "7/b"},
		{"via n. sauro 3", "VIA N SAURO", n(3), "", "3"},
		{"VIA DEI MILLE 42 - CREMA", "VIA DEI MILLE CREMA", n(42), "", "42"},
		{"via dei mille 42-a crema", "VIA DEI MILLE CREMA", n(42), "A", "42-a"},
		{"via dei mille 42crema", "VIA DEI MILLE 42CREMA", nil, "", ""},
		{"", "", nil, "", ""},
	}
	for _, tt := range tests {
		got := coverage.ParseQuery(tt.q)
		if w := strings.Join(got.Words, " "); w != tt.words || !slices.Equal(ptr(got.Number), ptr(tt.number)) ||
			got.Suffix != tt.suffix || got.NumberText != tt.text {
			t.Errorf("ParseQuery(%q) = %q %v %q %q, want %q %v %q %q", tt.q, w, ptr(got.Number), got.Suffix, got.NumberText,
				tt.words, ptr(tt.number), tt.suffix, tt.text)
		}
	}
}

func ptr(p *int) []int {
	if p == nil {
		return nil
	}
	return []int{*p}
}

// testPreRenderedZ14Tiles checks the zoom-14 civici tiles that every load
// renders in advance (civici_tiles_z14): one for every tile holding a civic
// number, each the tile civici_tile_render builds on request, and the one
// civici_tile serves.
func testPreRenderedZ14Tiles(t *testing.T, _ *coverage.Store, db *store.DB) {
	ctx := context.Background()
	rows, err := db.Read.Query(ctx, `SELECT x, y, mvt = civici_tile_render(14, x, y), mvt = civici_tile(14, x, y), length(mvt) FROM civici_tiles_z14`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[maptile.Tile]bool{}
	for rows.Next() {
		var x, y uint32
		var same, served bool
		var n int
		if err := rows.Scan(&x, &y, &same, &served, &n); err != nil {
			t.Fatal(err)
		}
		tl := maptile.New(x, y, 14)
		stored[tl] = true
		if !same || !served || n == 0 {
			t.Errorf("pre-rendered tile %v (%d bytes): equals the rendered one %v, served by civici_tile %v; want both", tl, n, same, served)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, c := range readAll(t, db) {
		if tl := maptile.At(c.p, 14); !stored[tl] {
			missing++
			stored[tl] = true // count each tile once
		}
	}
	if missing > 0 || len(stored) == 0 {
		t.Errorf("%d z14 tiles with civic numbers are not pre-rendered (of %d stored)", missing, len(stored))
	}
}
