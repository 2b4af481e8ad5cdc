package energy_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// demoDB is a fresh database with the demo comuni and energy communities.
func demoDB(tb testing.TB) (*store.DB, *energy.Store) {
	tb.Helper()
	db := storetest.NewDB(tb)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := demo.Load(context.Background(), db.Write, logger, "comuni", "energy"); err != nil {
		tb.Fatalf("demo: %v", err)
	}
	return db, energy.NewStore(db.Write, db.Read, nil)
}

// communityByName finds a demo community.
func communityByName(tb testing.TB, st *energy.Store, name string) energy.Community {
	tb.Helper()
	cs, err := st.FindCommunities(context.Background(), energy.CommunityFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	tb.Fatalf("no community %q among %d", name, len(cs))
	return energy.Community{}
}

func reasonCodes(rs []energy.Reason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

func TestEnergyEvaluate(t *testing.T) {
	a, b := "AC001E00001", "AC001E00002"
	zones := map[string]energy.Zone{a: {Code: a, Name: "A"}, b: {Code: b, Name: "B"}}
	m := func(id int64, zone *string, kw float64) energy.Member {
		return energy.Member{ID: id, Name: "site", Kind: "prosumer", PVKW: kw, ZoneCode: zone}
	}
	tests := []struct {
		name    string
		members []energy.Member
		want    []string
	}{
		{"eligible", []energy.Member{m(1, &a, 10), m(2, &a, 0)}, nil},
		{"exactly 1 MW is allowed", []energy.Member{m(1, &a, 1000)}, nil},
		{"no members", nil, []string{energy.ReasonNoMembers}},
		{"two zones", []energy.Member{m(1, &a, 10), m(2, &b, 10)}, []string{energy.ReasonSeveralZones}},
		{"over 1 MW", []energy.Member{m(1, &a, 1000.5)}, []string{energy.ReasonOverLimit}},
		{"outside", []energy.Member{m(1, &a, 10), m(2, nil, 10)}, []string{energy.ReasonOutside}},
		{"everything", []energy.Member{m(1, &a, 1500), m(2, &b, 10), m(3, nil, 0)},
			[]string{energy.ReasonOutside, energy.ReasonSeveralZones, energy.ReasonOverLimit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reasonCodes(energy.Evaluate(tt.members, zones))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
	rs := energy.Evaluate([]energy.Member{m(1, &a, 1500), m(2, &b, 10), m(3, &a, 0)}, zones)
	if len(rs[0].Zones) != 2 || !slices.Equal(rs[0].Zones[0].Members, []int64{1, 3}) || rs[0].Zones[1].Code != b {
		t.Errorf("several zones: zones = %+v, want A: 1, 3 and B: 2", rs[0].Zones)
	}
	if !slices.Equal(rs[1].Members, []int64{1}) {
		t.Errorf("over 1 MW: members = %v, want [1]", rs[1].Members)
	}
}

// TestEnergyDemo checks the demo's communities against the rules, the
// eligibility view against Evaluate, and the figures against sums done
// here from the table.
func TestEnergyDemo(t *testing.T) {
	db, st := demoDB(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		reasons []string
	}{
		{"CER Ex Olivetti Crema (demo)", nil},
		{"CER Serio Nord (demo)", []string{energy.ReasonSeveralZones, energy.ReasonOverLimit}},
		{"CER Pandino (demo)", nil},
		{"CER Castelleone (demo)", []string{energy.ReasonNoMembers}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := communityByName(t, st, tt.name)
			e, err := st.Eligibility(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := reasonCodes(e.Reasons); !slices.Equal(got, tt.reasons) {
				t.Errorf("Eligibility(%s) reasons = %v, want %v", tt.name, got, tt.reasons)
			}
			if e.Eligible != (len(tt.reasons) == 0) || c.Eligible != e.Eligible {
				t.Errorf("eligible = %v (list: %v), want %v", e.Eligible, c.Eligible, len(tt.reasons) == 0)
			}
			var view bool
			if err := db.Read.QueryRow(ctx, `SELECT eligible FROM cer_community_eligibility WHERE community_id = $1`, c.ID).Scan(&view); err != nil {
				t.Fatal(err)
			}
			if view != e.Eligible {
				t.Errorf("cer_community_eligibility.eligible = %v, Eligibility = %v", view, e.Eligible)
			}
			checkFigures(t, db, c)
		})
	}
	serio := communityByName(t, st, "CER Serio Nord (demo)")
	e, _ := st.Eligibility(ctx, serio.ID)
	if z := e.Reasons[0].Zones; len(z) != 2 || z[0].Code != "AC999E00001" || z[1].Code != "AC999E00004" {
		t.Errorf("Serio Nord zones = %+v, want Crema Nord and Sergnano", z)
	}
	if over := e.Reasons[1].Members; len(over) != 1 || e.Members[0].ID != over[0] || e.Members[0].PVKW != 1500 {
		t.Errorf("Serio Nord over 1 MW = %v, want the 1500 kW plant", over)
	}
	olivetti := communityByName(t, st, "CER Ex Olivetti Crema (demo)")
	if olivetti.ZoneCode == nil || *olivetti.ZoneCode != "AC999E00001" {
		t.Errorf("Ex Olivetti zone = %v, want AC999E00001", olivetti.ZoneCode)
	}

	// Every point of the demo's comuni is in exactly one zone, but for
	// the borders: the zones tile the Cremasco.
	var gap, overlap float64
	if err := db.Read.QueryRow(ctx, `
		WITH a AS (SELECT ST_Union(geom) AS g FROM comuni WHERE consortium), z AS (SELECT ST_Union(geom) AS g FROM cer_zones)
		SELECT ST_Area(ST_Difference(a.g, z.g)::geography),
		       (SELECT coalesce(sum(ST_Area(ST_Intersection(x.geom, y.geom)::geography)), 0) FROM cer_zones x JOIN cer_zones y ON x.code < y.code AND ST_Intersects(x.geom, y.geom))
		FROM a, z`).Scan(&gap, &overlap); err != nil {
		t.Fatal(err)
	}
	if gap > 1000 || overlap > 1000 {
		t.Errorf("zones leave %.0f m² of the Cremasco uncovered and overlap by %.0f m², want about 0", gap, overlap)
	}
}

// checkFigures recomputes a community's figures from cer_sites.
func checkFigures(t *testing.T, db *store.DB, c energy.Community) {
	t.Helper()
	rows, err := db.Read.Query(context.Background(), `SELECT kind, pv_kw, consumption_kwh FROM cer_sites WHERE community_id = $1`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var kw, cons float64
	kinds := map[string]int{}
	for rows.Next() {
		var kind string
		var p, q float64
		if err := rows.Scan(&kind, &p, &q); err != nil {
			t.Fatal(err)
		}
		n++
		kinds[kind]++
		kw += p
		cons += q
	}
	prod := kw * 1250
	shared := 0.5 * math.Min(prod, cons)
	f := c.Figures
	if f.Members != n || f.ByKind["producer"] != kinds["producer"] || f.ByKind["consumer"] != kinds["consumer"] || f.ByKind["prosumer"] != kinds["prosumer"] {
		t.Errorf("%s: members %d %v, want %d %v", c.Name, f.Members, f.ByKind, n, kinds)
	}
	for _, v := range []struct {
		what      string
		got, want float64
	}{{"installed_kw", f.InstalledKW, kw}, {"production", f.ProductionKWh, prod}, {"consumption", f.ConsumptionKWh, cons}, {"shared", f.SharedKWh, shared}} {
		if math.Abs(v.got-v.want) > 0.001 {
			t.Errorf("%s: %s = %g, want %g", c.Name, v.what, v.got, v.want)
		}
	}
}

// squareZones loads two zones that share the edge lon = 9.69, around
// Crema: west (AC001E00001) and east (AC001E00002), replacing the demo's.
func squareZones(t *testing.T, st *energy.Store) {
	t.Helper()
	square := func(x0, x1 float64) orb.Polygon {
		return orb.Polygon{{{x0, 45.34}, {x1, 45.34}, {x1, 45.38}, {x0, 45.38}, {x0, 45.34}}}
	}
	_, err := st.LoadZones(context.Background(), []energy.ZoneRow{
		{Code: "AC001E00002", Name: "East", Geom: square(9.69, 9.72)},
		{Code: "AC001E00001", Name: "West", Geom: square(9.66, 9.69)},
	}, energy.LoadOptions{Replace: true, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEnergyBorder(t *testing.T) {
	db, st := demoDB(t)
	ctx := context.Background()
	squareZones(t, st)
	// A point exactly on the shared edge belongs to the zone whose code
	// comes first.
	a, err := st.ZoneAt(ctx, 9.69, 45.36)
	if err != nil {
		t.Fatal(err)
	}
	if a.Zone.Code != "AC001E00001" || !slices.Equal(a.BorderZones, []string{"AC001E00001", "AC001E00002"}) {
		t.Errorf("ZoneAt(border) = %s, border %v; want AC001E00001, both", a.Zone.Code, a.BorderZones)
	}
	// The shared corner too.
	if a, err := st.ZoneAt(ctx, 9.69, 45.38); err != nil || a.Zone.Code != "AC001E00001" || len(a.BorderZones) != 2 {
		t.Errorf("ZoneAt(corner) = %+v, %v; want AC001E00001 on the border", a, err)
	}
	if a, err := st.ZoneAt(ctx, 9.70, 45.36); err != nil || a.Zone.Code != "AC001E00002" || a.BorderZones != nil {
		t.Errorf("ZoneAt(east) = %+v, %v; want AC001E00002 alone", a, err)
	}
	if _, err := st.ZoneAt(ctx, 9.19, 45.46); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("ZoneAt(Milan) = %v, want not found", err)
	}

	// Crema and its northern neighbours, so that the point just north of
	// the squares is in one of the community's comuni.
	comuni := []string{"019011", "019035", "019037", "019072"}
	newCommunity := func(name string) int64 {
		c, err := st.ImportCommunity(ctx, energy.CommunityInput{Name: ptr(name), Status: ptr("proposed"), Comuni: &comuni}, energy.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	border := energy.SiteRow{Ref: "border", Kind: "prosumer", Category: "company", Name: "On the border", PVKW: 50, Point: orb.Point{9.69, 45.36}}
	west := energy.SiteRow{Ref: "west", Kind: "consumer", Category: "household", Name: "West", ConsumptionKWh: 3000, Point: orb.Point{9.685, 45.365}}
	east := energy.SiteRow{Ref: "east", Kind: "consumer", Category: "household", Name: "East", ConsumptionKWh: 3000, Point: orb.Point{9.695, 45.365}}
	outside := energy.SiteRow{Ref: "outside", Kind: "consumer", Category: "household", Name: "North", ConsumptionKWh: 3000, Point: orb.Point{9.69, 45.383}}
	if _, err := st.ZoneAt(ctx, outside.Point[0], outside.Point[1]); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("ZoneAt(north of the squares) = %v, want not found", err)
	}
	tests := []struct {
		name  string
		sites []energy.SiteRow
		want  []string
	}{
		{"border with west", []energy.SiteRow{border, west}, nil},
		{"border with east", []energy.SiteRow{border, east}, []string{energy.ReasonSeveralZones}},
		{"border with one outside every zone", []energy.SiteRow{border, outside}, []string{energy.ReasonOutside}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := newCommunity(tt.name)
			if _, err := st.LoadSites(ctx, id, tt.sites, energy.LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			e, err := st.Eligibility(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := reasonCodes(e.Reasons); !slices.Equal(got, tt.want) {
				t.Errorf("reasons = %v, want %v", got, tt.want)
			}
			var view bool
			var viewZone *string
			if err := db.Read.QueryRow(ctx, `SELECT eligible, zone_code FROM cer_community_eligibility WHERE community_id = $1`, id).Scan(&view, &viewZone); err != nil {
				t.Fatal(err)
			}
			if view != e.Eligible || (viewZone == nil) != (e.Zone == nil) {
				t.Errorf("view: eligible %v, zone %v; Eligibility: %v, %v", view, viewZone, e.Eligible, e.Zone)
			}
			if m := e.Members[0]; m.ZoneCode == nil || *m.ZoneCode != "AC001E00001" || len(m.BorderZones) != 2 {
				t.Errorf("border member: zone %v, border %v; want AC001E00001 and both", m.ZoneCode, m.BorderZones)
			}
		})
	}
}

// TestEnergyLoadSitesAtomic: one bad row fails the load, names the row and
// the field, and changes nothing.
func TestEnergyLoadSitesAtomic(t *testing.T) {
	db, st := demoDB(t)
	ctx := context.Background()
	c := communityByName(t, st, "CER Pandino (demo)")
	count := func() (sites, audit int) {
		if err := db.Read.QueryRow(ctx, `SELECT (SELECT count(*) FROM cer_sites), (SELECT count(*) FROM audit_log)`).Scan(&sites, &audit); err != nil {
			t.Fatal(err)
		}
		return
	}
	s0, a0 := count()
	good := energy.SiteRow{Ref: "line 2", Kind: "consumer", Category: "household", Name: "Household", ConsumptionKWh: 2500, Point: orb.Point{9.5385, 45.4105}}
	tests := []struct {
		name  string
		bad   energy.SiteRow
		field string
		kind  apperr.Kind // Invalid when zero
	}{
		{"negative kW", energy.SiteRow{Ref: "line 3", Kind: "prosumer", Category: "company", Name: "X", PVKW: -5, Point: orb.Point{9.5385, 45.4105}}, "pv_kw", 0},
		{"unknown kind", energy.SiteRow{Ref: "line 3", Kind: "seller", Category: "company", Name: "X", Point: orb.Point{9.5385, 45.4105}}, "kind", 0},
		{"comune not the community's", energy.SiteRow{Ref: "line 3", Kind: "consumer", Category: "household", Name: "Crema", Point: orb.Point{9.6905, 45.3555}}, "istat_code", 0},
		{"point not in the given comune", energy.SiteRow{Ref: "line 3", Kind: "consumer", Category: "household", Name: "X", ISTATCode: "019067", Point: orb.Point{9.6905, 45.3555}}, "geometry", apperr.Unprocessable},
		{"control character in the name", energy.SiteRow{Ref: "line 3", Kind: "consumer", Category: "household", Name: "Casa\x00Rossi", Point: orb.Point{9.5385, 45.4105}}, "name", 0},
		{"outside every comune", energy.SiteRow{Ref: "line 3", Kind: "consumer", Category: "household", Name: "Milan", Point: orb.Point{9.19, 45.46}}, "istat_code", 0},
		{"phone number in the name", energy.SiteRow{Ref: "line 3", Kind: "consumer", Category: "household", Name: "Rossi 0373 123456", Point: orb.Point{9.5385, 45.4105}}, "name", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.LoadSites(ctx, c.ID, []energy.SiteRow{good, tt.bad}, energy.LoadOptions{File: "sites.csv", Replace: true})
			want := tt.kind
			if want == 0 {
				want = apperr.Invalid
			}
			if apperr.KindOf(err) != want {
				t.Fatalf("LoadSites = %v, want %v", err, want)
			}
			if f := apperr.Fields(err); len(f) != 1 || f[0].Field != tt.field {
				t.Errorf("LoadSites fields = %v, want %s", f, tt.field)
			}
			if msg := apperr.Message(err); len(msg) < 20 || msg[:len("sites.csv: line 3: ")] != "sites.csv: line 3: " {
				t.Errorf("message %q does not start with the file and the row", msg)
			}
			if s, a := count(); s != s0 || a != a0 {
				t.Errorf("after a failed load: %d sites, %d audit rows; want %d, %d", s, a, s0, a0)
			}
		})
	}
	if _, err := st.LoadSites(ctx, 999999, []energy.SiteRow{good}, energy.LoadOptions{}); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("LoadSites(unknown community) = %v, want not found", err)
	}
	sum, err := st.LoadSites(ctx, c.ID, []energy.SiteRow{good}, energy.LoadOptions{Replace: true})
	if err != nil || sum.Inserted != 1 || sum.Deleted != 3 {
		t.Errorf("LoadSites(replace) = %+v, %v; want 1 inserted, 3 deleted", sum, err)
	}
}

func TestEnergyCommunityScope(t *testing.T) {
	_, st := demoDB(t)
	ctx := context.Background()
	crema := &auth.Principal{TokenID: 0, Name: "crema", Role: auth.Editor, Comuni: []string{"019035"}}
	both := &auth.Principal{Name: "both", Role: auth.Editor, Comuni: []string{"019035", "019005"}}
	reader := &auth.Principal{Name: "reader", Role: auth.PrivateReader, Comuni: []string{"019035"}}
	in := energy.CommunityInput{Name: ptr("CER Crema Bagnolo"), Status: ptr("proposed"), Comuni: &[]string{"019005", "019035"}}
	if _, err := st.CreateCommunity(ctx, nil, in); apperr.KindOf(err) != apperr.Unauthorized {
		t.Errorf("CreateCommunity(anonymous) = %v, want unauthorized", err)
	}
	if _, err := st.CreateCommunity(ctx, crema, in); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("CreateCommunity(Crema token, Crema+Bagnolo) = %v, want forbidden", err)
	}
	if _, err := st.CreateCommunity(ctx, reader, energy.CommunityInput{Name: ptr("X"), Status: ptr("proposed"), Comuni: &[]string{"019035"}}); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("CreateCommunity(private reader) = %v, want forbidden", err)
	}
	c, err := st.CreateCommunity(ctx, both, in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Comuni, []string{"019005", "019035"}) || c.Eligible || c.Version != 1 {
		t.Errorf("created %+v", c)
	}
	if _, err := st.UpdateCommunity(ctx, crema, c.ID, energy.CommunityInput{Status: ptr("constituting")}, ""); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("UpdateCommunity(Crema token) = %v, want forbidden", err)
	}
	if _, err := st.UpdateCommunity(ctx, both, c.ID, energy.CommunityInput{Status: ptr("constituting")}, `"7"`); apperr.KindOf(err) != apperr.Precondition {
		t.Errorf("UpdateCommunity(stale ETag) = %v, want precondition failed", err)
	}
	c2, err := st.UpdateCommunity(ctx, both, c.ID, energy.CommunityInput{Status: ptr("constituting"), Comuni: &[]string{"019035"}}, c.ETag())
	if err != nil || c2.Status != "constituting" || c2.Version != 2 || !slices.Equal(c2.Comuni, []string{"019035"}) {
		t.Errorf("UpdateCommunity = %+v, %v", c2, err)
	}
	// Now only Crema: the Crema token may act.
	if _, err := st.UpdateCommunity(ctx, crema, c.ID, energy.CommunityInput{Comuni: &[]string{"019035", "019099"}}, ""); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("UpdateCommunity(adding a comune out of scope) = %v, want forbidden", err)
	}
	if _, err := st.UpdateCommunity(ctx, crema, c.ID, energy.CommunityInput{Referent: ptr("info@example.org")}, ""); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("UpdateCommunity(e-mail as referent) = %v, want invalid", err)
	}
	if _, err := st.UpdateCommunity(ctx, crema, c.ID, energy.CommunityInput{Status: ptr("dissolved")}, ""); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("UpdateCommunity(unknown status) = %v, want invalid", err)
	}
	olivetti := communityByName(t, st, "CER Ex Olivetti Crema (demo)")
	if _, err := st.UpdateCommunity(ctx, crema, c.ID, energy.CommunityInput{Name: ptr(olivetti.Name)}, ""); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("UpdateCommunity(taken name) = %v, want conflict", err)
	}
	if err := st.DeleteCommunity(ctx, crema, olivetti.ID, ""); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("DeleteCommunity(with members) = %v, want conflict", err)
	}
	if err := st.DeleteCommunity(ctx, crema, c.ID, ""); err != nil {
		t.Errorf("DeleteCommunity = %v", err)
	}
	if _, err := st.FindCommunity(ctx, c.ID); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("FindCommunity(deleted) = %v, want not found", err)
	}
}

// TestEnergyLoadZonesText: a zone's name and distributor are plain text
// (package plaintext): a control character fails the load naming the row
// and the field, and changes nothing (a NUL byte was a database error).
func TestEnergyLoadZonesText(t *testing.T) {
	db, st := demoDB(t)
	ctx := context.Background()
	square := orb.Polygon{{{9.66, 45.34}, {9.69, 45.34}, {9.69, 45.38}, {9.66, 45.38}, {9.66, 45.34}}}
	var before int
	if err := db.Read.QueryRow(ctx, `SELECT count(*) FROM cer_zones`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		zone  energy.ZoneRow
		field string
	}{
		{energy.ZoneRow{Ref: "features[0]", Code: "AC001E00001", Name: "Zona\x00Nord", Geom: square}, "name"},
		{energy.ZoneRow{Ref: "features[0]", Code: "AC001E00001", Name: "Zona Nord", Distributor: "e-distribuzione\x1b", Geom: square}, "distributor"},
	} {
		_, err := st.LoadZones(ctx, []energy.ZoneRow{tt.zone}, energy.LoadOptions{File: "zones.geojson"})
		if apperr.KindOf(err) != apperr.Invalid {
			t.Fatalf("LoadZones(%q, %q) = %v, want invalid", tt.zone.Name, tt.zone.Distributor, err)
		}
		if f := apperr.Fields(err); len(f) != 1 || f[0].Field != tt.field || !strings.Contains(apperr.Message(err), "zones.geojson: features[0]: "+tt.field+": holds the control character") {
			t.Errorf("LoadZones: %q, fields %v; want the file, the row and %s", apperr.Message(err), f, tt.field)
		}
	}
	var after int
	if err := db.Read.QueryRow(ctx, `SELECT count(*) FROM cer_zones`).Scan(&after); err != nil || after != before {
		t.Errorf("zones after failed loads: %d (%v), want %d", after, err, before)
	}
}
