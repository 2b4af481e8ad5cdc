package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/testserver"
)

// energyServer serves the demo comuni and energy communities.
func energyServer(t *testing.T) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Demo: []string{"comuni", "energy"}})
}

// energyToken creates a token and returns its secret.
func energyToken(t *testing.T, s *testserver.Server, role auth.Role, comuni ...string) string {
	t.Helper()
	secret, _, err := auth.NewStore(s.DB.Write).CreateToken(context.Background(), "energy test "+string(role)+" "+strings.Join(comuni, " "), role, comuni)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// energySend sends a request with a JSON body (nil for none) and headers
// (pairs of name, value), returning the response and its body.
func energySend(t *testing.T, method, url string, body any, header ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// expectStatus fails the test unless the response has the status; error
// bodies must be problem+json without internals.
func expectStatus(t *testing.T, what string, res *http.Response, body []byte, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s: status = %d, want %d; body: %.600s", what, res.StatusCode, want, body)
	}
	if want >= 400 {
		checkMediaType(t, res, "application/problem+json")
		checkNoLeak(t, body)
	}
}

type energyReason struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Members []int64 `json:"members"`
	Zones   []struct {
		Code    string  `json:"code"`
		Members []int64 `json:"members"`
	} `json:"zones"`
}

type energyFigures struct {
	Members        int            `json:"members"`
	ByKind         map[string]int `json:"members_by_kind"`
	InstalledKW    float64        `json:"installed_kw"`
	ProductionKWh  float64        `json:"production_kwh_year"`
	ConsumptionKWh float64        `json:"consumption_kwh_year"`
	SharedKWh      float64        `json:"shared_kwh_year"`
}

type energyCommunity struct {
	ID       int64          `json:"id"`
	Name     string         `json:"name"`
	Status   string         `json:"status"`
	Comuni   []string       `json:"comuni"`
	Eligible bool           `json:"eligible"`
	ZoneCode *string        `json:"zone_code"`
	Reasons  []energyReason `json:"reasons"`
	Figures  energyFigures  `json:"figures"`
	Version  int64          `json:"version"`
}

// energyCommunities lists the communities by name.
func energyCommunities(t *testing.T, s *testserver.Server) map[string]energyCommunity {
	t.Helper()
	var out struct {
		Communities []energyCommunity `json:"communities"`
	}
	getJSON(t, s.URL+"/energy/communities", "application/json", &out)
	m := map[string]energyCommunity{}
	for _, c := range out.Communities {
		m[c.Name] = c
	}
	if len(m) != 4 {
		t.Fatalf("demo communities: got %d, want 4", len(m))
	}
	return m
}

func TestEnergyEligibility(t *testing.T) {
	s := energyServer(t)
	cs := energyCommunities(t, s)
	tests := []struct {
		name    string
		reasons []string
		golden  string
	}{
		{"CER Ex Olivetti Crema (demo)", nil, "energy_eligibility_ex_olivetti.golden.json"},
		{"CER Serio Nord (demo)", []string{"several_zones", "plant_over_1mw"}, "energy_eligibility_serio_nord.golden.json"},
		{"CER Pandino (demo)", nil, ""},
		{"CER Castelleone (demo)", []string{"no_members"}, "energy_eligibility_empty.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cs[tt.name]
			var e struct {
				Eligible bool           `json:"eligible"`
				Reasons  []energyReason `json:"reasons"`
				Members  []struct {
					ID       int64   `json:"id"`
					ZoneCode *string `json:"zone_code"`
				} `json:"members"`
				Zone *struct {
					Code string `json:"code"`
				} `json:"zone"`
			}
			getJSON(t, fmt.Sprintf("%s/energy/communities/%d/eligibility", s.URL, c.ID), "application/json", &e)
			var codes []string
			for _, r := range e.Reasons {
				codes = append(codes, r.Code)
			}
			if !slices.Equal(codes, tt.reasons) || e.Eligible != (tt.reasons == nil) {
				t.Errorf("eligibility of %s = %v, %v; want reasons %v", tt.name, e.Eligible, codes, tt.reasons)
			}
			if c.Eligible != e.Eligible {
				t.Errorf("the list says eligible = %v, the eligibility %v", c.Eligible, e.Eligible)
			}
			if e.Eligible && (e.Zone == nil || len(e.Members) == 0) {
				t.Errorf("an eligible community names its zone and members: %+v", e)
			}
			if tt.golden != "" {
				_, body := get(t, fmt.Sprintf("%s/energy/communities/%d/eligibility", s.URL, c.ID), http.StatusOK)
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatal(err)
				}
				checkGoldenJSON(t, tt.golden, v)
			}
		})
	}
	serio := cs["CER Serio Nord (demo)"]
	if r := serio.Reasons; len(r) != 2 || len(r[0].Zones) != 2 || len(r[0].Members) != 4 || len(r[1].Members) != 1 {
		t.Errorf("Serio Nord reasons = %+v, want 4 members in 2 zones and 1 plant over 1 MW", r)
	}
}

func TestEnergyZoneAt(t *testing.T) {
	s := energyServer(t)
	cs := energyCommunities(t, s)
	type zoneAnswer struct {
		Zone struct {
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"zone"`
		Comune *struct {
			ISTATCode string `json:"istat_code"`
		} `json:"comune"`
		Communities []struct {
			ID            int64  `json:"id"`
			Name          string `json:"name"`
			Status        string `json:"status"`
			MembersInZone int    `json:"members_in_zone"`
			CouldJoin     bool   `json:"could_join"`
			ComuneListed  bool   `json:"comune_listed"`
		} `json:"communities"`
	}
	t.Run("via Bramante", func(t *testing.T) {
		var a zoneAnswer
		getJSON(t, s.URL+"/energy/zones/at?lon=9.6900&lat=45.3553", "application/json", &a)
		if a.Zone.Code != "AC999E00001" || a.Comune == nil || a.Comune.ISTATCode != crema {
			t.Fatalf("zone at via Bramante = %+v, want AC999E00001 in Crema", a)
		}
		got := map[string]bool{}
		for _, c := range a.Communities {
			got[c.Name] = c.CouldJoin
			if c.Status == "" {
				t.Errorf("community %s without status", c.Name)
			}
		}
		// Ex Olivetti is wholly in the zone; Serio Nord has two members
		// here and two under Sergnano.
		if len(got) != 2 || !got["CER Ex Olivetti Crema (demo)"] || got["CER Serio Nord (demo)"] {
			t.Errorf("communities at via Bramante (could join) = %v", got)
		}
	})
	t.Run("Castelleone", func(t *testing.T) {
		var a zoneAnswer
		getJSON(t, s.URL+"/energy/zones/at?lon=9.7722&lat=45.2916", "application/json", &a)
		if a.Zone.Code != "AC999E00006" || len(a.Communities) != 1 || a.Communities[0].ID != cs["CER Castelleone (demo)"].ID ||
			!a.Communities[0].CouldJoin || !a.Communities[0].ComuneListed {
			t.Errorf("zone at Castelleone = %+v, want AC999E00006 with the empty CER Castelleone", a)
		}
	})
	tests := []struct {
		name, query string
		status      int
		detail      string
	}{
		{"outside every zone", "lon=9.19&lat=45.46", 404, "outside every primary-substation zone"},
		{"latitude out of range", "lon=9.69&lat=91", 400, "lat"},
		{"longitude not a number", "lon=east&lat=45.36", 400, "lon"},
		{"no latitude", "lon=9.69", 400, "lat"},
		{"NaN", "lon=NaN&lat=45.36", 400, "lon"},
		{"unknown parameter", "lon=9.69&lat=45.36&radius=5", 400, "radius"},
		{"given twice", "lon=9.69&lon=9.7&lat=45.36", 400, "once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, http.MethodGet, s.URL+"/energy/zones/at?"+tt.query)
			expectStatus(t, tt.query, res, body, tt.status)
			if !strings.Contains(string(body), tt.detail) {
				t.Errorf("problem %s does not mention %q", body, tt.detail)
			}
		})
	}
	res, body := do(t, http.MethodGet, s.URL+"/energy/zones/at?lon=9.19&lat=45.46")
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	delete(p, "requestId")
	checkGoldenJSON(t, "energy_problem_zone_outside.golden.json", p)
	_ = res
}

func TestEnergyBadInput(t *testing.T) {
	s := energyServer(t)
	tests := []struct {
		name, path string
		status     int
	}{
		{"unknown community", "/energy/communities/999999", 404},
		{"community id not a number", "/energy/communities/abc", 404},
		{"community id zero", "/energy/communities/0", 404},
		{"eligibility of an unknown community", "/energy/communities/999999/eligibility", 404},
		{"eligibility with a parameter", "/energy/communities/1/eligibility?verbose=1", 400},
		{"unknown status filter", "/energy/communities?status=dissolved", 400},
		{"bad comune filter", "/energy/communities?comune=Crema", 400},
		{"figures of an unknown comune", "/energy/comuni/019999/figures", 404},
		{"figures of a bad code", "/energy/comuni/Crema/figures", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, http.MethodGet, s.URL+tt.path)
			expectStatus(t, tt.path, res, body, tt.status)
		})
	}
}

// energySite is a GeoJSON Feature for the energy-sites collection.
func energySite(community int64, kind, category string, pv any, istat string, lon, lat float64) map[string]any {
	props := map[string]any{"community_id": community, "kind": kind, "name": "Test site", "category": category, "istat_code": istat}
	if pv != nil {
		props["pv_kw"] = pv
	}
	return map[string]any{"type": "Feature", "properties": props,
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}}
}

// TestEnergyEditSites writes member sites through the generic OGC API –
// Features Part 4 endpoints with scoped tokens.
func TestEnergyEditSites(t *testing.T) {
	s := energyServer(t)
	cs := energyCommunities(t, s)
	olivetti := cs["CER Ex Olivetti Crema (demo)"].ID
	editor := "Bearer " + energyToken(t, s, auth.Editor, crema)
	bagnolo := "Bearer " + energyToken(t, s, auth.Editor, "019005")
	items := s.URL + "/collections/energy-sites/items"

	tests := []struct {
		name   string
		auth   string
		body   map[string]any
		status int
		detail string
	}{
		{"anonymous", "", energySite(olivetti, "consumer", "household", nil, crema, 9.6915, 45.3558), 401, "token"},
		{"out of scope", bagnolo, energySite(olivetti, "consumer", "household", nil, crema, 9.6915, 45.3558), 403, "019035"},
		{"negative kW", editor, energySite(olivetti, "prosumer", "company", -3, crema, 9.6915, 45.3558), 400, "pv_kw"},
		{"unknown kind", editor, energySite(olivetti, "seller", "company", 3, crema, 9.6915, 45.3558), 400, "kind"},
		{"unknown category", editor, energySite(olivetti, "consumer", "castle", nil, crema, 9.6915, 45.3558), 400, "category"},
		{"consumer with a plant", editor, energySite(olivetti, "consumer", "household", 3, crema, 9.6915, 45.3558), 400, "consumer"},
		{"point in another comune", editor, energySite(olivetti, "consumer", "household", nil, crema, 9.6133, 45.3651), 422, "lies 1.3 km outside comune 019035 (Crema); at most 50 m"},
		{"comune not the community's", bagnolo, energySite(olivetti, "consumer", "household", nil, "019005", 9.6133, 45.3651), 400, "community"},
		{"unknown community", editor, energySite(999999, "consumer", "household", nil, crema, 9.6915, 45.3558), 400, "community_id is not a known community"},
		{"a polygon", editor, map[string]any{"type": "Feature", "properties": energySite(olivetti, "consumer", "household", nil, crema, 0, 0)["properties"],
			"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{9.69, 45.35}, {9.70, 45.35}, {9.70, 45.36}, {9.69, 45.35}}}}}, 422, "Point"},
	}
	var before int
	countSites := func() int {
		var n int
		if err := s.DB.Read.QueryRow(context.Background(), `SELECT count(*) FROM cer_sites`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before = countSites()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.auth != "" {
				h = []string{"Authorization", tt.auth}
			}
			res, body := energySend(t, http.MethodPost, items, tt.body, h...)
			expectStatus(t, tt.name, res, body, tt.status)
			if !strings.Contains(string(body), tt.detail) {
				t.Errorf("problem %s does not mention %q", body, tt.detail)
			}
		})
	}
	if n := countSites(); n != before {
		t.Fatalf("refused writes changed the sites: %d, want %d", n, before)
	}

	// A good one, then a plant over 1 MW makes the community ineligible.
	res, body := energySend(t, http.MethodPost, items, energySite(olivetti, "prosumer", "company", 80, crema, 9.6915, 45.3558), "Authorization", editor)
	expectStatus(t, "create", res, body, http.StatusCreated)
	loc, etag := res.Header.Get("Location"), res.Header.Get("ETag")
	if !strings.HasPrefix(loc, items+"/") || etag != `"1"` {
		t.Fatalf("create: Location %q, ETag %q", loc, etag)
	}
	var f struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatal(err)
	}
	if f.Properties["zone_code"] != "AC999E00001" || f.Properties["community_eligible"] != true || f.Properties["istat_code"] != crema {
		t.Errorf("created site properties = %v", f.Properties)
	}
	res, body = energySend(t, http.MethodPatch, loc, map[string]any{"properties": map[string]any{"pv_kw": 1200}},
		"Authorization", editor, "If-Match", `"7"`)
	expectStatus(t, "stale If-Match", res, body, http.StatusPreconditionFailed)
	res, body = energySend(t, http.MethodPatch, loc, map[string]any{"properties": map[string]any{"pv_kw": 1200}},
		"Authorization", bagnolo)
	expectStatus(t, "patch out of scope", res, body, http.StatusForbidden)
	res, body = energySend(t, http.MethodPatch, loc, map[string]any{"properties": map[string]any{"pv_kw": 1200}},
		"Authorization", editor, "If-Match", etag)
	expectStatus(t, "patch", res, body, http.StatusOK)
	var e struct {
		Eligible bool           `json:"eligible"`
		Reasons  []energyReason `json:"reasons"`
	}
	getJSON(t, fmt.Sprintf("%s/energy/communities/%d/eligibility", s.URL, olivetti), "application/json", &e)
	id, _ := strconv.ParseInt(loc[strings.LastIndex(loc, "/")+1:], 10, 64)
	if e.Eligible || len(e.Reasons) != 1 || e.Reasons[0].Code != "plant_over_1mw" || !slices.Equal(e.Reasons[0].Members, []int64{id}) {
		t.Errorf("after the 1.2 MW patch: %+v, want plant_over_1mw for site %d", e, id)
	}
	var p itemsPage
	getJSON(t, items+"?community_id="+strconv.FormatInt(olivetti, 10)+"&limit=100", "application/geo+json", &p)
	for _, f := range p.Features {
		if f.Properties["community_eligible"] != false {
			t.Errorf("site %v: community_eligible = %v after the patch, want false", f.ID, f.Properties["community_eligible"])
		}
	}
	res, body = energySend(t, http.MethodDelete, loc, nil, "Authorization", bagnolo)
	expectStatus(t, "delete out of scope", res, body, http.StatusForbidden)
	res, body = energySend(t, http.MethodDelete, loc, nil, "Authorization", editor)
	expectStatus(t, "delete", res, body, http.StatusNoContent)
	var audits int
	if err := s.DB.Read.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE collection = 'energy-sites' AND object_id = $1`,
		strconv.FormatInt(id, 10)).Scan(&audits); err != nil || audits != 3 {
		t.Errorf("audit rows of the site = %d (%v), want 3 (create, update, delete)", audits, err)
	}
}

func TestEnergyCommunitiesAPI(t *testing.T) {
	s := energyServer(t)
	editor := "Bearer " + energyToken(t, s, auth.Editor, crema)
	both := "Bearer " + energyToken(t, s, auth.Editor, crema, "019005")
	base := s.URL + "/energy/communities"
	body := map[string]any{"name": "CER Crema Est", "status": "proposed", "referent": "Associazione Crema Est", "comuni": []string{crema}}

	res, b := energySend(t, http.MethodPost, base, body)
	expectStatus(t, "anonymous", res, b, http.StatusUnauthorized)
	res, b = energySend(t, http.MethodPost, base, map[string]any{"name": "CER Due", "status": "proposed", "comuni": []string{crema, "019005"}}, "Authorization", editor)
	expectStatus(t, "two comuni, one in scope", res, b, http.StatusForbidden)
	res, b = energySend(t, http.MethodPost, base, map[string]any{"name": "X", "status": "proposed", "comuni": []string{crema}, "pod": "IT001E1"}, "Authorization", editor)
	expectStatus(t, "unknown member", res, b, http.StatusBadRequest)
	res, b = energySend(t, http.MethodPost, base, map[string]any{"name": "X", "status": "proposed", "comuni": []string{crema}, "referent": "Mario Rossi 333 1234567"}, "Authorization", editor)
	expectStatus(t, "phone number as referent", res, b, http.StatusBadRequest)
	res, b = energySend(t, http.MethodPost, base, map[string]any{"name": "X", "status": "proposed", "comuni": []string{"019999"}}, "Authorization", "Bearer "+energyToken(t, s, auth.Admin))
	expectStatus(t, "unknown comune", res, b, http.StatusBadRequest)

	res, b = energySend(t, http.MethodPost, base, body, "Authorization", editor)
	expectStatus(t, "create", res, b, http.StatusCreated)
	var out struct {
		Community energyCommunity `json:"community"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	c := out.Community
	if c.Eligible || len(c.Reasons) != 1 || c.Reasons[0].Code != "no_members" || res.Header.Get("ETag") != `"1"` {
		t.Errorf("created community = %+v, ETag %s", c, res.Header.Get("ETag"))
	}
	url := fmt.Sprintf("%s/%d", base, c.ID)
	if loc := res.Header.Get("Location"); loc != url {
		t.Errorf("Location = %q, want %q", loc, url)
	}
	res, b = get(t, url, http.StatusOK)
	if res.Header.Get("ETag") != `"1"` || !strings.Contains(string(b), `"members":[]`) || !strings.Contains(string(b), `"yield_kwh_per_kw_year":1250`) {
		t.Errorf("GET %s: ETag %q, body %s", url, res.Header.Get("ETag"), b)
	}
	res, b = energySend(t, http.MethodPost, base, body, "Authorization", editor)
	expectStatus(t, "same name", res, b, http.StatusConflict)
	res, b = energySend(t, http.MethodPatch, url, map[string]any{"comuni": []string{crema, "019005"}}, "Authorization", editor)
	expectStatus(t, "add a comune out of scope", res, b, http.StatusForbidden)
	res, b = energySend(t, http.MethodPatch, url, map[string]any{"comuni": []string{crema, "019005"}, "status": "constituting"}, "Authorization", both, "If-Match", `"1"`)
	expectStatus(t, "add a comune", res, b, http.StatusOK)
	res, b = energySend(t, http.MethodPatch, url, map[string]any{"status": "operating"}, "Authorization", editor)
	expectStatus(t, "change with a token of one of two comuni", res, b, http.StatusForbidden)
	res, b = energySend(t, http.MethodDelete, url, nil, "Authorization", editor)
	expectStatus(t, "delete with a token of one of two comuni", res, b, http.StatusForbidden)
	res, b = energySend(t, http.MethodDelete, url, nil, "Authorization", both, "If-Match", `"1"`)
	expectStatus(t, "delete with a stale ETag", res, b, http.StatusPreconditionFailed)
	res, b = energySend(t, http.MethodDelete, url, nil, "Authorization", both, "If-Match", `"2"`)
	expectStatus(t, "delete", res, b, http.StatusNoContent)
	res, b = do(t, http.MethodGet, url)
	expectStatus(t, "deleted", res, b, http.StatusNotFound)
}

// TestEnergyFigures checks the figures of every community and of Crema
// against sums done here from the tables, with the documented constants
// (1,250 kWh/kWp, simultaneity 0.5).
func TestEnergyFigures(t *testing.T) {
	s := energyServer(t)
	ctx := context.Background()
	type site struct {
		community          int64
		kind, istat        string
		kw, cons, kwhShare float64
	}
	rows, err := s.DB.Read.Query(ctx, `SELECT community_id, kind, istat_code, pv_kw, consumption_kwh FROM cer_sites`)
	if err != nil {
		t.Fatal(err)
	}
	var sites []site
	for rows.Next() {
		var x site
		if err := rows.Scan(&x.community, &x.kind, &x.istat, &x.kw, &x.cons); err != nil {
			t.Fatal(err)
		}
		sites = append(sites, x)
	}
	type sums struct {
		n           int
		kinds       map[string]int
		kw, cons    float64
		prod, share float64
	}
	sum := func(keep func(site) bool) sums {
		out := sums{kinds: map[string]int{}}
		for _, x := range sites {
			if keep(x) {
				out.n++
				out.kinds[x.kind]++
				out.kw += x.kw
				out.cons += x.cons
			}
		}
		out.prod = out.kw * 1250
		out.share = 0.5 * math.Min(out.prod, out.cons)
		return out
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 0.002 }
	cs := energyCommunities(t, s)
	for name, c := range cs {
		want := sum(func(x site) bool { return x.community == c.ID })
		f := c.Figures
		if f.Members != want.n || f.ByKind["prosumer"] != want.kinds["prosumer"] || f.ByKind["consumer"] != want.kinds["consumer"] ||
			f.ByKind["producer"] != want.kinds["producer"] || !near(f.InstalledKW, want.kw) || !near(f.ProductionKWh, want.prod) ||
			!near(f.ConsumptionKWh, want.cons) || !near(f.SharedKWh, want.share) {
			t.Errorf("%s figures = %+v, want %+v", name, f, want)
		}
	}
	olivetti := cs["CER Ex Olivetti Crema (demo)"].Figures
	if olivetti.InstalledKW != 556 || olivetti.ProductionKWh != 695000 || olivetti.SharedKWh != 347500 {
		t.Errorf("Ex Olivetti: %g kW, %g kWh, shared %g; want 556 kW, 695,000 kWh, 347,500 kWh", olivetti.InstalledKW, olivetti.ProductionKWh, olivetti.SharedKWh)
	}

	var cf struct {
		Name        string        `json:"name"`
		Sites       energyFigures `json:"sites"`
		Communities []struct {
			Name            string `json:"name"`
			MembersInComune int    `json:"members_in_comune"`
		} `json:"communities"`
		Assumptions struct {
			Yield        float64 `json:"yield_kwh_per_kw_year"`
			Simultaneity float64 `json:"simultaneity"`
		} `json:"assumptions"`
	}
	getJSON(t, s.URL+"/energy/comuni/"+crema+"/figures", "application/json", &cf)
	want := sum(func(x site) bool { return x.istat == crema })
	// Crema's share of each community's shared energy: by consumption.
	var shared float64
	for _, c := range cs {
		all := sum(func(x site) bool { return x.community == c.ID })
		here := sum(func(x site) bool { return x.community == c.ID && x.istat == crema })
		if all.cons > 0 {
			shared += all.share * here.cons / all.cons
		}
	}
	if cf.Name != "Crema" || cf.Sites.Members != want.n || !near(cf.Sites.InstalledKW, want.kw) || !near(cf.Sites.ProductionKWh, want.prod) ||
		!near(cf.Sites.ConsumptionKWh, want.cons) || !near(cf.Sites.SharedKWh, shared) || cf.Assumptions.Yield != 1250 || cf.Assumptions.Simultaneity != 0.5 {
		t.Errorf("Crema figures = %+v, want %+v, shared %g", cf, want, shared)
	}
	if len(cf.Communities) != 1 || cf.Communities[0].MembersInComune != 7 {
		t.Errorf("Crema's communities = %+v, want Ex Olivetti with 7 members", cf.Communities)
	}
}

// TestEnergyLayers reads the three layers as features and tiles.
func TestEnergyLayers(t *testing.T) {
	s := energyServer(t)
	for _, tt := range []struct {
		layer, query string
		n            int
	}{
		{"energy-zones", "", 6},
		{"energy-communities", "", 3}, // the empty one has no footprint
		{"energy-sites", "", 14},
		{"energy-sites", "kind=consumer", 5},
		{"energy-sites", "over_1mw=true", 1},
		{"energy-sites", "community_eligible=false", 4},
	} {
		p := items(t, s.URL+"/collections/"+tt.layer+"/items?limit=100&"+tt.query)
		if len(p.Features) != tt.n {
			t.Errorf("%s?%s: %d features, want %d", tt.layer, tt.query, len(p.Features), tt.n)
		}
	}
	p := items(t, s.URL+"/collections/energy-zones/items?limit=100")
	var sites, kw float64
	for _, f := range p.Features {
		sites += f.Properties["sites"].(float64)
		kw += f.Properties["installed_kw"].(float64)
	}
	if sites != 14 || kw != 2386 {
		t.Errorf("zones hold %g sites and %g kW, want 14 and 2386", sites, kw)
	}
	// The tile over via Bramante holds the Ex Olivetti sites.
	tile := maptile.At(orb.Point{9.6905, 45.3555}, 13)
	_, body := get(t, s.URL+tilePath("energy-sites", tile), http.StatusOK)
	ls := decodeTile(t, body, tile)
	if len(ls) != 1 || ls[0].Name != "energy-sites" || len(ls[0].Features) < 7 {
		t.Fatalf("tile %v: %d layers, want energy-sites with the 7 sites of Ex Olivetti", tile, len(ls))
	}
	n := 0
	for _, f := range ls[0].Features {
		if f.Properties["community"] != "CER Ex Olivetti Crema (demo)" {
			continue
		}
		n++
		if f.Properties["community_eligible"] != true || f.Properties["zone_code"] != "AC999E00001" || f.Properties["kind"] == nil {
			t.Errorf("tile feature %v", f.Properties)
		}
	}
	if n != 7 {
		t.Errorf("tile %v holds %d Ex Olivetti sites, want 7", tile, n)
	}
	for _, l := range []string{"energy-zones", "energy-communities"} {
		_, body := get(t, s.URL+tilePath(l, maptile.At(orb.Point{9.6905, 45.3555}, 12)), http.StatusOK)
		if ls := decodeTile(t, body, maptile.At(orb.Point{9.6905, 45.3555}, 12)); len(ls) != 1 || len(ls[0].Features) == 0 {
			t.Errorf("%s tile over Crema is empty", l)
		}
	}
	get(t, s.URL+"/tiles/energy-sites.json", http.StatusOK)
	// Communities are not written through Part 4: they have no geometry
	// of their own.
	res, b := energySend(t, http.MethodPost, s.URL+"/collections/energy-communities/items", map[string]any{"type": "Feature"},
		"Authorization", "Bearer "+energyToken(t, s, auth.Admin))
	expectStatus(t, "post a community feature", res, b, http.StatusMethodNotAllowed)
}
