package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	atlantegeo "github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/testserver"
)

// cremaCentre is the densest spot of the demo's civic numbers.
var cremaCentre = orb.Point{9.6855, 45.3654}

// covOffer is one coverage offer read straight from coverage_offers.
type covOffer struct {
	programme, operator, technology, status string
	mbps                                    int
}

// covCivico is one civic number read straight from the tables, for counts
// that share no SQL with the service.
type covCivico struct {
	id             int64
	comune, street string
	number         *int
	suffix         string
	p              orb.Point
	offers         []covOffer
}

// covData is the whole demo register, read once per test.
type covData struct {
	civici []covCivico
	byID   map[int64]*covCivico
	names  map[string]string // ISTAT code -> comune name
}

// readCoverage reads civici, coverage_offers and the comuni names with the
// test's own database handle.
func readCoverage(tb testing.TB, s *testserver.Server) *covData {
	tb.Helper()
	ctx := context.Background()
	d := &covData{byID: map[int64]*covCivico{}, names: map[string]string{}}
	rows, err := s.DB.Read.Query(ctx, `SELECT id, istat_code, street, number, suffix, ST_X(geom), ST_Y(geom) FROM civici ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var c covCivico
		if err := rows.Scan(&c.id, &c.comune, &c.street, &c.number, &c.suffix, &c.p[0], &c.p[1]); err != nil {
			tb.Fatal(err)
		}
		d.civici = append(d.civici, c)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	for i := range d.civici {
		d.byID[d.civici[i].id] = &d.civici[i]
	}
	rows, err = s.DB.Read.Query(ctx, `SELECT civico_id, programme, operator, technology, max_down_mbps, status FROM coverage_offers`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var o covOffer
		if err := rows.Scan(&id, &o.programme, &o.operator, &o.technology, &o.mbps, &o.status); err != nil {
			tb.Fatal(err)
		}
		c, ok := d.byID[id]
		if !ok {
			tb.Fatalf("offer of unknown civico %d", id)
		}
		c.offers = append(c.offers, o)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	rows, err = s.DB.Read.Query(ctx, `SELECT istat_code, name FROM comuni`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var code, name string
		if err := rows.Scan(&code, &name); err != nil {
			tb.Fatal(err)
		}
		d.names[code] = name
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(d.civici) < 50000 || len(d.names) != 48 {
		tb.Fatalf("demo has %d civic numbers in %d comuni, want about 60,000 in 48", len(d.civici), len(d.names))
	}
	return d
}

// offerBetter reports whether a ranks before b as coverage.go's package
// documentation says: available (connectable or active) before in works
// before planned; then the higher speed; then active before connectable;
// then FTTH, FTTC, FWA, other.
func offerBetter(a, b covOffer) bool {
	avail := func(o covOffer) int {
		switch o.status {
		case "active", "connectable":
			return 3
		case "in_works":
			return 2
		}
		return 1
	}
	tech := map[string]int{"FTTH": 0, "FTTC": 1, "FWA": 2, "other": 3}
	switch {
	case avail(a) != avail(b):
		return avail(a) > avail(b)
	case a.mbps != b.mbps:
		return a.mbps > b.mbps
	case (a.status == "active") != (b.status == "active"):
		return a.status == "active"
	}
	return tech[a.technology] < tech[b.technology]
}

// bestOffer returns the best of os, or nil when there is none.
func bestOffer(os []covOffer) *covOffer {
	if len(os) == 0 {
		return nil
	}
	b := os[0]
	for _, o := range os[1:] {
		if offerBetter(o, b) {
			b = o
		}
	}
	return &b
}

// countCivici counts the civic numbers for which in holds, by the JSON
// names of the statistics ("status.active", "speed_mbps.gte_1000", ...).
func countCivici(cs []covCivico, in func(*covCivico) bool) map[string]int {
	m := map[string]int{}
	// Every counter is present, even at zero.
	for _, k := range statsKeys {
		m[k] = 0
	}
	for i := range cs {
		c := &cs[i]
		if !in(c) {
			continue
		}
		m["civici"]++
		b := bestOffer(c.offers)
		if b == nil {
			m["status.none"]++
			m["technology.none"]++
		} else {
			m["status."+b.status]++
			m["technology."+b.technology]++
		}
		progs := map[string]bool{}
		for _, o := range c.offers {
			progs[o.programme] = true
		}
		for p := range progs {
			m["programme."+p]++
		}
		switch {
		case b == nil || (b.status != "active" && b.status != "connectable"):
			m["speed_mbps.none"]++
		case b.mbps >= 1000:
			m["speed_mbps.gte_1000"]++
		case b.mbps >= 300:
			m["speed_mbps.gte_300_lt_1000"]++
		case b.mbps >= 100:
			m["speed_mbps.gte_100_lt_300"]++
		case b.mbps >= 30:
			m["speed_mbps.gte_30_lt_100"]++
		default:
			m["speed_mbps.lt_30"]++
		}
	}
	return m
}

// statsKeys are the counters of a statistics answer, flattened.
var statsKeys = []string{"civici",
	"status.active", "status.connectable", "status.in_works", "status.planned", "status.none",
	"technology.FTTH", "technology.FTTC", "technology.FWA", "technology.other", "technology.none",
	"programme.aree_bianche", "programme.aree_grigie", "programme.commercial",
	"speed_mbps.gte_1000", "speed_mbps.gte_300_lt_1000", "speed_mbps.gte_100_lt_300", "speed_mbps.gte_30_lt_100",
	"speed_mbps.lt_30", "speed_mbps.none"}

// statsJSON is a statistics answer as the client sees it.
type statsJSON struct {
	counts    map[string]int // flattened counters, statsKeys
	networkKm float64
	comuni    []comuneStatsJSON
	raw       map[string]any
}

type comuneStatsJSON struct {
	code, name string
	counts     map[string]int
	networkKm  float64
}

// flattenCounts turns the counters of a decoded statistics object into
// statsKeys, failing on anything missing or not an integer.
func flattenCounts(tb testing.TB, obj map[string]any) (map[string]int, float64) {
	tb.Helper()
	out := map[string]int{}
	for _, k := range statsKeys {
		var v any = obj
		for _, part := range strings.Split(k, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				tb.Fatalf("statistics: %s is missing in %v", k, obj)
			}
			v = m[part]
		}
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < 0 {
			tb.Fatalf("statistics: %s = %v, want a count", k, v)
		}
		out[k] = int(f)
	}
	km, ok := obj["network_km"].(float64)
	if !ok || km < 0 {
		tb.Fatalf("statistics: network_km = %v, want a number of km", obj["network_km"])
	}
	return out, km
}

func decodeStats(tb testing.TB, body []byte) statsJSON {
	tb.Helper()
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		tb.Fatalf("statistics: %v: %.300s", err, body)
	}
	st := statsJSON{raw: raw}
	st.counts, st.networkKm = flattenCounts(tb, raw)
	if cs, ok := raw["comuni"]; ok {
		list, ok := cs.([]any)
		if !ok {
			tb.Fatalf("statistics: comuni = %v, want a list", cs)
		}
		for _, c := range list {
			obj, _ := c.(map[string]any)
			var cj comuneStatsJSON
			cj.code, _ = obj["istat_code"].(string)
			cj.name, _ = obj["name"].(string)
			cj.counts, cj.networkKm = flattenCounts(tb, obj)
			st.comuni = append(st.comuni, cj)
		}
	}
	return st
}

// diffCounts lists the counters that differ, "key: got X, want Y".
func diffCounts(got, want map[string]int) []string {
	var out []string
	for _, k := range statsKeys {
		if got[k] != want[k] {
			out = append(out, fmt.Sprintf("%s: got %d, want %d", k, got[k], want[k]))
		}
	}
	return out
}

// send sends a request with a body and returns the response with its body
// read; header holds pairs of name, value.
func send(tb testing.TB, method, url string, body []byte, header ...string) (*http.Response, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	req.Header.Set("Content-Type", "application/geo+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return res, b
}

// mustJSON marshals v or fails.
func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// goLeaks are Go internals a JSON decoder error would show.
var goLeaks = []string{"Go value", "Go struct", "orb.", "json.RawMessage"}

// checkProblem checks an error response as TestProblems does: status,
// problem+json, no caching, the RFC 9457 members, the detail's substrings,
// no internals, and the body against testdata/<golden> (without requestId).
func checkProblem(tb testing.TB, res *http.Response, body []byte, status int, detail []string, golden string) {
	tb.Helper()
	if res.StatusCode != status {
		tb.Fatalf("%s %s: status = %d, want %d; body: %.500s", res.Request.Method, res.Request.URL, res.StatusCode, status, body)
	}
	checkMediaType(tb, res, "application/problem+json")
	checkNoLeak(tb, body)
	for _, l := range goLeaks {
		if bytes.Contains(body, []byte(l)) {
			tb.Errorf("body contains %q, which a client must never see: %s", l, body)
		}
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		tb.Errorf("Cache-Control = %q, want no-store", got)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		tb.Fatalf("problem body: %v: %s", err, body)
	}
	for _, k := range []string{"type", "title", "detail", "instance", "requestId"} {
		if v, _ := p[k].(string); v == "" {
			tb.Errorf("problem member %q = %v, want a non-empty string", k, p[k])
		}
	}
	if got, _ := p["status"].(float64); int(got) != status {
		tb.Errorf("problem status = %v, want %d", p["status"], status)
	}
	d, _ := p["detail"].(string)
	for _, want := range detail {
		if !strings.Contains(d, want) {
			tb.Errorf("detail = %q, want it to mention %q", d, want)
		}
	}
	delete(p, "requestId")
	checkGoldenJSON(tb, golden, p)
}

// Areas used by the statistics tests: they cut through Crema's streets, so
// both the cells an area covers and the civic numbers of its edge cells
// count.
var (
	// cremaPoly is clockwise (RFC 7946 wants counter-clockwise, but a
	// server must accept both).
	cremaPoly = orb.Polygon{{{9.655, 45.345}, {9.65, 45.375}, {9.672, 45.37}, {9.69, 45.39}, {9.72, 45.372}, {9.71, 45.35}, {9.655, 45.345}}}
	// northPoly lies in other comuni, north-west of Crema.
	northPoly = orb.Polygon{{{9.55, 45.43}, {9.58, 45.43}, {9.58, 45.46}, {9.55, 45.46}, {9.55, 45.43}}}
	// holedPoly is a box around Crema's centre with a hole in it.
	holedPoly = orb.Polygon{
		{{9.66, 45.35}, {9.71, 45.35}, {9.71, 45.385}, {9.66, 45.385}, {9.66, 45.35}},
		{{9.68, 45.36}, {9.68, 45.372}, {9.693, 45.372}, {9.693, 45.36}, {9.68, 45.36}},
	}
	// spikeRing is a box with a zero-width spike on its top edge: invalid
	// (the ring touches itself), repaired without changing the area.
	spikeRing = orb.Ring{{9.67, 45.355}, {9.70, 45.355}, {9.70, 45.375}, {9.685, 45.375}, {9.685, 45.38}, {9.685, 45.375}, {9.67, 45.375}, {9.67, 45.355}}
	spikeFree = orb.Polygon{{{9.67, 45.355}, {9.70, 45.355}, {9.70, 45.375}, {9.67, 45.375}, {9.67, 45.355}}}
	// statsBox spans Crema and several comuni around it.
	statsBox = orb.Bound{Min: orb.Point{9.60, 45.30}, Max: orb.Point{9.75, 45.42}}
)

func inPoly(p orb.Polygon) func(*covCivico) bool {
	return func(c *covCivico) bool { return planar.PolygonContains(p, c.p) }
}

// TestCoverageStats checks /coverage/stats over the full demo against
// counts made in Go from the tables: by comune, bbox and every accepted
// form of posted area; the per-comune split; CSV; the network length.
func TestCoverageStats(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	data := readCoverage(t, s)
	feature := geojson.NewFeature(holedPoly)
	feature.Properties["name"] = "Crema centre without its core"
	fc := geojson.NewFeatureCollection().Append(geojson.NewFeature(northPoly))
	multi := orb.MultiPolygon{cremaPoly, northPoly}

	tests := []struct {
		name     string
		query    string // after /coverage/stats?
		body     any    // POSTed as JSON when not nil
		in       func(*covCivico) bool
		repaired bool // the answer says the area was repaired
	}{
		{name: "comune", query: "comune=" + crema, in: func(c *covCivico) bool { return c.comune == crema }},
		{name: "comune_unpadded", query: "comune=19035", in: func(c *covCivico) bool { return c.comune == crema }},
		{name: "bbox", query: "bbox=9.6,45.3,9.75,45.42", in: func(c *covCivico) bool { return statsBox.Contains(c.p) }},
		{name: "polygon", body: geojson.NewGeometry(cremaPoly), in: inPoly(cremaPoly)},
		{name: "multipolygon", body: geojson.NewGeometry(multi), in: func(c *covCivico) bool { return planar.MultiPolygonContains(multi, c.p) }},
		{name: "feature_with_hole", body: feature, in: inPoly(holedPoly)},
		{name: "feature_collection", body: fc, in: inPoly(northPoly)},
		{name: "spike_repaired", body: geojson.NewGeometry(orb.Polygon{spikeRing}), in: inPoly(spikeFree), repaired: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := s.URL + "/coverage/stats?" + tt.query
			var res *http.Response
			var body []byte
			if tt.body != nil {
				res, body = send(t, http.MethodPost, u, mustJSON(t, tt.body))
			} else {
				res, body = do(t, http.MethodGet, u)
			}
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: status = %d, want 200; body: %.500s", res.Request.Method, u, res.StatusCode, body)
			}
			checkMediaType(t, res, "application/json")
			note := res.Header.Get("Atlante-Geometry-Repaired")
			switch {
			case tt.repaired && !strings.Contains(note, "45.375"):
				t.Errorf("Atlante-Geometry-Repaired = %q, want a note naming where the spike was (9.685 45.375)", note)
			case !tt.repaired && note != "":
				t.Errorf("Atlante-Geometry-Repaired = %q on a valid area, want none", note)
			}
			got := decodeStats(t, body)
			want := countCivici(data.civici, tt.in)
			if want["civici"] == 0 {
				t.Fatalf("the area holds no civic numbers: the test proves nothing")
			}
			if d := diffCounts(got.counts, want); len(d) > 0 {
				t.Errorf("statistics differ from the count in Go:\n%s", strings.Join(d, "\n"))
			}
			if _, ok := got.raw["comuni"]; ok {
				t.Errorf("comuni present without by=comune")
			}
		})
	}

	// The same area in every CRS served, as ?crs= (the CRS's axis order)
	// and as a GeoJSON 2008 crs member (x, y): the same statistics.
	t.Run("crs", func(t *testing.T) {
		_, body := send(t, http.MethodPost, s.URL+"/coverage/stats", mustJSON(t, geojson.NewGeometry(holedPoly)))
		want := decodeStats(t, body)
		if want.counts["civici"] == 0 {
			t.Fatalf("the area holds no civic numbers: the test proves nothing")
		}
		for _, c := range atlantegeo.SupportedCRSs() {
			var g string
			if err := s.DB.Read.QueryRow(context.Background(), `SELECT ST_AsGeoJSON(ST_Transform(ST_GeomFromGeoJSON($1), $2::int), 9, 0)`,
				string(mustJSON(t, geojson.NewGeometry(holedPoly))), int(c.SRID)).Scan(&g); err != nil {
				t.Fatal(err)
			}
			xy, err := geojson.UnmarshalGeometry([]byte(g))
			if err != nil {
				t.Fatal(err)
			}
			ordered := orb.Clone(xy.Geometry()).(orb.Polygon)
			if c.NorthFirst {
				for _, r := range ordered {
					for i, p := range r {
						r[i] = orb.Point{p[1], p[0]}
					}
				}
			}
			member := map[string]any{"type": "Polygon", "coordinates": xy.Coordinates,
				"crs": map[string]any{"type": "name", "properties": map[string]any{"name": "urn:ogc:def:crs:EPSG::" + strconv.Itoa(int(c.SRID))}}}
			for name, req := range map[string]struct {
				query string
				body  any
			}{
				"param":  {"?crs=" + url.QueryEscape(c.URI()), geojson.NewGeometry(ordered)},
				"member": {"", member},
			} {
				res, body := send(t, http.MethodPost, s.URL+"/coverage/stats"+req.query, mustJSON(t, req.body))
				if res.StatusCode != http.StatusOK {
					t.Errorf("%s as %s: status %d: %.300s", c, name, res.StatusCode, body)
					continue
				}
				got := decodeStats(t, body)
				// A centimetre of network: EPSG:3003's Helmert there and
				// back moves the area's vertices by a millimetre or two.
				if d := diffCounts(got.counts, want.counts); len(d) > 0 || math.Abs(got.networkKm-want.networkKm) > 1e-5 {
					t.Errorf("%s as %s: statistics differ from CRS84 (km %v, want %v):\n%s", c, name, got.networkKm, want.networkKm, strings.Join(d, "\n"))
				}
			}
		}
	})

	t.Run("by_comune", func(t *testing.T) {
		_, body := get(t, s.URL+"/coverage/stats?bbox=9.6,45.3,9.75,45.42&by=comune", http.StatusOK)
		got := decodeStats(t, body)
		if len(got.comuni) < 3 {
			t.Fatalf("by=comune gave %d comuni, want the several the box touches", len(got.comuni))
		}
		sum := map[string]int{}
		var km float64
		for i, c := range got.comuni {
			if i > 0 && got.comuni[i-1].code >= c.code {
				t.Errorf("comuni out of order: %s before %s", got.comuni[i-1].code, c.code)
			}
			if name := data.names[c.code]; c.name != name || name == "" {
				t.Errorf("comune %s: name = %q, want %q", c.code, c.name, name)
			}
			want := countCivici(data.civici, func(v *covCivico) bool { return v.comune == c.code && statsBox.Contains(v.p) })
			if d := diffCounts(c.counts, want); len(d) > 0 {
				t.Errorf("comune %s (%s) differs from the count in Go:\n%s", c.code, c.name, strings.Join(d, "\n"))
			}
			for k, v := range c.counts {
				sum[k] += v
			}
			km += c.networkKm
		}
		if d := diffCounts(sum, got.counts); len(d) > 0 {
			t.Errorf("per-comune counters do not add up to the total:\n%s", strings.Join(d, "\n"))
		}
		// The total also counts the network in the box outside every
		// comune (real boundaries leave the box's corner to Lodi's comuni).
		var outside float64
		if err := s.DB.Read.QueryRow(context.Background(), `SELECT coalesce(sum(ST_Length(ST_Intersection(r.geom,
			ST_Difference(ST_MakeEnvelope(9.6, 45.3, 9.75, 45.42, 4326), (SELECT ST_Union(geom) FROM comuni)))::geography)), 0) / 1000
			FROM network_routes r`).Scan(&outside); err != nil {
			t.Fatal(err)
		}
		if math.Abs(km+outside-got.networkKm) > 1e-3 {
			t.Errorf("per-comune network_km adds up to %.6f, and %.6f km lie outside every comune; want the total %.6f", km, outside, got.networkKm)
		}
		// Every comune that has civic numbers in the box is listed.
		var codes []string
		for _, c := range got.comuni {
			codes = append(codes, c.code)
		}
		for _, v := range data.civici {
			if statsBox.Contains(v.p) && !slices.Contains(codes, v.comune) {
				t.Fatalf("comune %s has civic number %d in the box but is not listed in %v", v.comune, v.id, codes)
			}
		}

		// One comune split by comune is itself.
		_, body = get(t, s.URL+"/coverage/stats?comune="+crema+"&by=comune", http.StatusOK)
		one := decodeStats(t, body)
		if len(one.comuni) != 1 || one.comuni[0].code != crema || one.comuni[0].name != "Crema" {
			t.Fatalf("comune=%s&by=comune: comuni = %+v, want only Crema", crema, one.comuni)
		}
		if d := diffCounts(one.comuni[0].counts, one.counts); len(d) > 0 {
			t.Errorf("Crema's row differs from the total:\n%s", strings.Join(d, "\n"))
		}
	})

	t.Run("csv", func(t *testing.T) {
		const q = "/coverage/stats?bbox=9.6,45.3,9.75,45.42&by=comune"
		_, body := get(t, s.URL+q, http.StatusOK)
		js := decodeStats(t, body)
		for _, how := range []struct {
			name   string
			url    string
			header []string
		}{
			{"f=csv", s.URL + q + "&f=csv", nil},
			{"Accept", s.URL + q, []string{"Accept", "text/csv"}},
		} {
			t.Run(how.name, func(t *testing.T) {
				res, body := get(t, how.url, http.StatusOK, how.header...)
				checkMediaType(t, res, "text/csv")
				recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
				if err != nil {
					t.Fatalf("CSV: %v", err)
				}
				if len(recs) != len(js.comuni)+2 {
					t.Fatalf("CSV has %d rows, want header + %d comuni + total", len(recs), len(js.comuni))
				}
				header := recs[0]
				if header[0] != "istat_code" || header[1] != "name" || header[len(header)-1] != "network_km" {
					t.Fatalf("CSV header = %v, want istat_code, name, counters..., network_km", header)
				}
				for i, rec := range recs[1:] {
					var wantCode, wantName string
					var want map[string]int
					var wantKm float64
					if i < len(js.comuni) {
						c := js.comuni[i]
						wantCode, wantName, want, wantKm = c.code, c.name, c.counts, c.networkKm
					} else {
						wantCode, wantName, want, wantKm = "", "total", js.counts, js.networkKm
					}
					if rec[0] != wantCode || rec[1] != wantName {
						t.Errorf("CSV row %d: %s %q, want %s %q", i+1, rec[0], rec[1], wantCode, wantName)
					}
					got := csvCounts(t, header, rec)
					if d := diffCounts(got, want); len(d) > 0 {
						t.Errorf("CSV row %d (%s) differs from the JSON:\n%s", i+1, rec[1], strings.Join(d, "\n"))
					}
					km, err := strconv.ParseFloat(rec[len(rec)-1], 64)
					if err != nil || math.Abs(km-wantKm) > 0.0005 {
						t.Errorf("CSV row %d: network_km = %q, want %.3f", i+1, rec[len(rec)-1], wantKm)
					}
				}
			})
		}
	})

	t.Run("network_km", func(t *testing.T) {
		total := networkLength(t, s)
		if total < 340 || total > 380 {
			t.Errorf("demo network = %.1f km, want about 360", total)
		}
		var st map[string]any
		getJSON(t, s.URL+"/coverage/stats?bbox="+bboxParam(cremasco), "application/json", &st)
		if got, _ := st["network_km"].(float64); math.Abs(got-total) > 0.001*total {
			t.Errorf("network_km of a box around everything = %.3f, want the sum of length_m %.3f", got, total)
		}
	})

	// Last: it adds a route.
	t.Run("network_leaving_the_comuni", func(t *testing.T) {
		// A route from Crema's centre eastwards, past the last comune of
		// the Cremasco: the part outside every comune is network too.
		before := networkLength(t, s)
		addRoute(t, s, orb.LineString{{9.70, 45.36}, {10.05, 45.36}})
		total := networkLength(t, s)
		if total-before < 20 {
			t.Fatalf("the added route is %.1f km, want about 27", total-before)
		}
		box := orb.Bound{Min: orb.Point{9.3, 45.1}, Max: orb.Point{10.2, 45.6}}
		var st map[string]any
		getJSON(t, s.URL+"/coverage/stats?bbox="+bboxParam(box), "application/json", &st)
		if got, _ := st["network_km"].(float64); math.Abs(got-total) > 0.001*total {
			t.Errorf("network_km of a box around everything = %.3f, want the sum of length_m %.3f", got, total)
		}
	})
}

// networkLength returns the sum of length_m of every route, in km.
func networkLength(tb testing.TB, s *testserver.Server) float64 {
	tb.Helper()
	var km float64
	if err := s.DB.Read.QueryRow(context.Background(), `SELECT sum(length_m) / 1000 FROM network_routes`).Scan(&km); err != nil {
		tb.Fatal(err)
	}
	return km
}

// addRoute inserts a network route and removes it when the test ends.
func addRoute(tb testing.TB, s *testserver.Server, l orb.LineString) {
	tb.Helper()
	ctx := context.Background()
	var id int64
	if err := s.DB.Write.QueryRow(ctx, `INSERT INTO network_routes (programme, operator, status, name, source, synthetic, geom)
		VALUES ('commercial', 'Test', 'active', 'test route', 'test', true, ST_Multi(ST_GeomFromGeoJSON($1)))
		RETURNING id`, string(mustJSON(tb, geojson.NewGeometry(l)))).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := s.DB.Write.Exec(context.Background(), `DELETE FROM network_routes WHERE id = $1`, id); err != nil {
			tb.Error(err)
		}
	})
}

func bboxParam(b orb.Bound) string {
	return fmt.Sprintf("%g,%g,%g,%g", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
}

// csvCounts reads the counters of a CSV row by its header: status_active
// is status.active, tech_ is technology., prog_ programme., speed_
// speed_mbps.
func csvCounts(tb testing.TB, header, rec []string) map[string]int {
	tb.Helper()
	if len(rec) != len(header) {
		tb.Fatalf("CSV row has %d fields, header %d", len(rec), len(header))
	}
	names := strings.NewReplacer("status_", "status.", "tech_", "technology.", "prog_", "programme.", "speed_", "speed_mbps.")
	out := map[string]int{}
	for i, h := range header {
		if h == "istat_code" || h == "name" || h == "network_km" {
			continue
		}
		n, err := strconv.Atoi(rec[i])
		if err != nil {
			tb.Fatalf("CSV %s = %q, want an integer", h, rec[i])
		}
		out[names.Replace(h)] = n
	}
	if len(out) != len(statsKeys) {
		tb.Fatalf("CSV has %d counters, want %d (%v)", len(out), len(statsKeys), header)
	}
	return out
}

// TestCoverageProblems checks every client error of the coverage
// endpoints that needs no civic numbers: status, problem+json and the
// golden body testdata/problem_coverage_*.golden.json.
func TestCoverageProblems(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	poly := string(mustJSON(t, geojson.NewGeometry(cremaPoly)))
	bowTie := `{"type":"Polygon","coordinates":[[[9.66,45.35],[9.70,45.39],[9.70,45.35],[9.66,45.39],[9.66,45.35]]]}`
	// Crema's centre in UTM 32N metres (EPSG:32632).
	utm := `{"type":"Polygon","coordinates":[[[553000,5023000],[556000,5023000],[556000,5026000],[553000,5026000],[553000,5023000]]]}`
	big := append([]byte(`{"type":"Polygon","coordinates":[[`), bytes.Repeat([]byte("[9.68,45.36],"), (4<<20)/13+1)...)
	big = append(big, []byte(`[9.68,45.36]]]}`)...)
	tests := []struct {
		name   string
		method string // GET when empty
		path   string
		body   string
		status int
		detail []string
	}{
		// Statistics: the area.
		{name: "stats_no_area", path: "/coverage/stats", status: 400, detail: []string{"exactly one area", "comune", "bbox", "POST"}},
		{name: "stats_two_areas", path: "/coverage/stats?comune=019035&bbox=9.6,45.3,9.7,45.4", status: 400, detail: []string{"exactly one area"}},
		{name: "stats_post_and_comune", method: http.MethodPost, path: "/coverage/stats?comune=019035", body: poly, status: 400, detail: []string{"exactly one area"}},
		{name: "stats_bad_comune", path: "/coverage/stats?comune=abc", status: 400, detail: []string{"comune", `"abc"`, "6 digits"}},
		{name: "stats_unknown_comune", path: "/coverage/stats?comune=099999", status: 404, detail: []string{"099999"}},
		{name: "stats_bad_bbox", path: "/coverage/stats?bbox=9,45,10", status: 400, detail: []string{"bbox", "got 3"}},
		{name: "stats_bbox_lat_range", path: "/coverage/stats?bbox=9,45,10,91", status: 400, detail: []string{"bbox", "latitude"}},
		{name: "stats_bad_by", path: "/coverage/stats?comune=019035&by=foo", status: 400, detail: []string{"by", `"foo"`, "by=comune"}},
		{name: "stats_bad_f", path: "/coverage/stats?comune=019035&f=xml", status: 400, detail: []string{"f", `"xml"`, "csv"}},
		{name: "stats_unknown_parameter", path: "/coverage/stats?comune=019035&colour=red", status: 400, detail: []string{"colour", "comune", "bbox", "by", "f"}},
		{name: "stats_parameter_twice", path: "/coverage/stats?comune=019035&comune=019036", status: 400, detail: []string{"comune", "once"}},

		// Statistics: the posted area.
		{name: "stats_post_not_json", method: http.MethodPost, path: "/coverage/stats", body: "hello", status: 400, detail: []string{"not JSON"}},
		{name: "stats_post_empty", method: http.MethodPost, path: "/coverage/stats", body: "", status: 400, detail: []string{"not JSON"}},
		{name: "stats_post_json_array", method: http.MethodPost, path: "/coverage/stats", body: `[1, 2]`, status: 400, detail: []string{"GeoJSON object"}},
		{name: "stats_post_type_not_string", method: http.MethodPost, path: "/coverage/stats", body: `{"type": 5}`, status: 400, detail: []string{"type"}},
		{name: "stats_post_no_type", method: http.MethodPost, path: "/coverage/stats", body: `{"coordinates": []}`, status: 400, detail: []string{"type"}},
		{name: "stats_post_bad_coordinates", method: http.MethodPost, path: "/coverage/stats", body: `{"type":"Polygon","coordinates":[[["a","b"]]]}`, status: 400, detail: []string{"Polygon"}},
		{name: "stats_post_crs", method: http.MethodPost, path: "/coverage/stats",
			body:   `{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:32632"}},"coordinates":[[[9.6,45.3],[9.7,45.3],[9.7,45.4],[9.6,45.3]]]}`,
			status: 422, detail: []string{"outside the area of EPSG:32632", "WGS 84 / UTM zone 32N"}},
		{name: "stats_post_crs_unserved", method: http.MethodPost, path: "/coverage/stats",
			body:   `{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:25832"}},"coordinates":[[[553000,5023000],[556000,5023000],[556000,5026000],[553000,5023000]]]}`,
			status: 400, detail: []string{"crs member", "EPSG:25832 is not served", "EPSG:6707"}},
		{name: "stats_post_crs_twice", method: http.MethodPost, path: "/coverage/stats?crs=EPSG:32632", body: strings.Replace(utm, `"Polygon",`,
			`"Polygon","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32632"}},`, 1), status: 400, detail: []string{"crs", "once"}},
		{name: "stats_post_crs_param_unserved", method: http.MethodPost, path: "/coverage/stats?crs=EPSG:3004", body: utm,
			status: 400, detail: []string{"crs", "EPSG:3004 is not served"}},
		{name: "stats_post_6707_easting_first", method: http.MethodPost, path: "/coverage/stats?crs=EPSG:6707", body: utm,
			status: 422, detail: []string{"outside the area of EPSG:6707", "(N-E)"}},
		{name: "stats_post_point", method: http.MethodPost, path: "/coverage/stats", body: `{"type":"Point","coordinates":[9.68,45.36]}`, status: 422, detail: []string{"Polygon or MultiPolygon", "Point"}},
		{name: "stats_post_feature_point", method: http.MethodPost, path: "/coverage/stats",
			body: `{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[9.68,45.36]}}`, status: 422, detail: []string{"Polygon or MultiPolygon", "Point"}},
		{name: "stats_post_feature_no_geometry", method: http.MethodPost, path: "/coverage/stats", body: `{"type":"Feature","properties":{},"geometry":null}`, status: 400, detail: []string{"no geometry"}},
		{name: "stats_post_two_features", method: http.MethodPost, path: "/coverage/stats",
			body:   `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":` + poly + `},{"type":"Feature","properties":{},"geometry":` + poly + `}]}`,
			status: 400, detail: []string{"exactly one feature", "2"}},
		{name: "stats_post_bow_tie", method: http.MethodPost, path: "/coverage/stats", body: bowTie, status: 422, detail: []string{"self-intersection", "(9.68 45.37)"}},
		{name: "stats_post_utm", method: http.MethodPost, path: "/coverage/stats", body: utm, status: 422, detail: []string{"CRS84", "longitude"}},
		{name: "stats_post_too_large", method: http.MethodPost, path: "/coverage/stats", body: string(big), status: 413, detail: []string{"4 MB"}},

		// Lookup parameters.
		{name: "search_no_q", path: "/coverage/search", status: 400, detail: []string{"q"}},
		{name: "search_blank_q", path: "/coverage/search?q=%20%20", status: 400, detail: []string{"q"}},
		{name: "search_q_too_long", path: "/coverage/search?q=" + strings.Repeat("a", 201), status: 400, detail: []string{"q", "200"}},
		{name: "search_limit_zero", path: "/coverage/search?q=via+roma&limit=0", status: 400, detail: []string{"limit", "1..50"}},
		{name: "search_limit_too_large", path: "/coverage/search?q=via+roma&limit=51", status: 400, detail: []string{"limit", "1..50"}},
		{name: "search_bad_comune", path: "/coverage/search?q=via+roma&comune=crema", status: 400, detail: []string{"comune"}},
		{name: "address_no_comune", path: "/coverage/address?street=via+roma&number=1", status: 400, detail: []string{"comune"}},
		{name: "address_no_street", path: "/coverage/address?comune=019035&number=1", status: 400, detail: []string{"street"}},
		{name: "address_bad_number", path: "/coverage/address?comune=019035&street=via+roma&number=1a", status: 400, detail: []string{"number", `"1a"`}},
		{name: "nearest_bad_lon", path: "/coverage/nearest?lon=181&lat=45.36", status: 400, detail: []string{"lon", "-180..180"}},
		{name: "nearest_lon_not_number", path: "/coverage/nearest?lon=east&lat=45.36", status: 400, detail: []string{"lon", `"east"`}},
		{name: "nearest_no_lat", path: "/coverage/nearest?lon=9.68", status: 400, detail: []string{"lat"}},
		{name: "nearest_bad_lat", path: "/coverage/nearest?lon=9.68&lat=-91", status: 400, detail: []string{"lat", "-90..90"}},
		{name: "nearest_lat_nan", path: "/coverage/nearest?lon=9.68&lat=NaN", status: 400, detail: []string{"lat"}},
		{name: "nearest_negative_radius", path: "/coverage/nearest?lon=9.68&lat=45.36&radius=-1", status: 400, detail: []string{"radius", "0..5000"}},
		{name: "nearest_radius_too_large", path: "/coverage/nearest?lon=9.68&lat=45.36&radius=5001", status: 400, detail: []string{"radius", "0..5000"}},
		{name: "civico_not_number", path: "/coverage/civici/abc", status: 404, detail: []string{`"abc"`}},
		{name: "civico_unknown", path: "/coverage/civici/999999999", status: 404, detail: []string{"999999999"}},
		{name: "civico_unknown_parameter", path: "/coverage/civici/1?f=csv", status: 400, detail: []string{"f", "takes none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			var res *http.Response
			var body []byte
			if method == http.MethodGet {
				res, body = do(t, method, s.URL+tt.path)
			} else {
				res, body = send(t, method, s.URL+tt.path, []byte(tt.body))
			}
			checkProblem(t, res, body, tt.status, tt.detail, "problem_coverage_"+tt.name+".golden.json")
		})
	}
}

// civicoJSON is a civic number as /coverage/address, /nearest and
// /civici/{id} give it.
type civicoJSON struct {
	ID         int64    `json:"id"`
	ISTATCode  string   `json:"istat_code"`
	Comune     string   `json:"comune"`
	Street     string   `json:"street"`
	Number     *int     `json:"number"`
	Suffix     string   `json:"suffix"`
	Lon        float64  `json:"lon"`
	Lat        float64  `json:"lat"`
	BestStatus *string  `json:"best_status"`
	BestTech   *string  `json:"best_technology"`
	BestMbps   *int     `json:"best_down_mbps"`
	Distance   *float64 `json:"distance_m"`
	Offers     []struct {
		Programme  string `json:"programme"`
		Operator   string `json:"operator"`
		Technology string `json:"technology"`
		Mbps       int    `json:"max_down_mbps"`
		Status     string `json:"status"`
	} `json:"offers"`
}

// checkCivico compares a civic number of the API with the tables: place,
// address, offers (all of them, best first) and the best offer.
func checkCivico(tb testing.TB, data *covData, got civicoJSON) {
	tb.Helper()
	c, ok := data.byID[got.ID]
	if !ok {
		tb.Fatalf("civico %d is not in the civici table", got.ID)
	}
	if got.ISTATCode != c.comune || got.Comune != data.names[c.comune] || got.Street != c.street ||
		derefInt(got.Number) != derefInt(c.number) || got.Suffix != c.suffix {
		tb.Errorf("civico %d: %s %q %q %d %q, want %s %q %q %d %q", got.ID, got.ISTATCode, got.Comune, got.Street, derefInt(got.Number), got.Suffix,
			c.comune, data.names[c.comune], c.street, derefInt(c.number), c.suffix)
	}
	if math.Abs(got.Lon-c.p[0]) > 1e-9 || math.Abs(got.Lat-c.p[1]) > 1e-9 {
		tb.Errorf("civico %d at %v,%v, want %v", got.ID, got.Lon, got.Lat, c.p)
	}
	if len(got.Offers) != len(c.offers) {
		tb.Fatalf("civico %d has %d offers, want the %d of coverage_offers", got.ID, len(got.Offers), len(c.offers))
	}
	offers := make([]covOffer, len(got.Offers))
	for i, o := range got.Offers {
		offers[i] = covOffer{programme: o.Programme, operator: o.Operator, technology: o.Technology, status: o.Status, mbps: o.Mbps}
		if i > 0 && offerBetter(offers[i], offers[i-1]) {
			tb.Errorf("civico %d: offer %d %+v ranks before offer %d %+v: offers are not best first", got.ID, i+1, offers[i], i, offers[i-1])
		}
	}
	b := bestOffer(c.offers)
	if b == nil {
		if got.BestStatus != nil || got.BestTech != nil || got.BestMbps != nil {
			tb.Errorf("civico %d has no offers but a best offer %v %v %v", got.ID, got.BestStatus, got.BestTech, got.BestMbps)
		}
		return
	}
	gotBest := fmt.Sprintf("%s %s %d", deref(got.BestStatus), deref(got.BestTech), derefInt(got.BestMbps))
	if want := fmt.Sprintf("%s %s %d", b.status, b.technology, b.mbps); gotBest != want {
		tb.Errorf("civico %d: best offer %s, want %s", got.ID, gotBest, want)
	}
	if first := fmt.Sprintf("%s %s %d", offers[0].status, offers[0].technology, offers[0].mbps); first != gotBest {
		tb.Errorf("civico %d: first offer %s, want the best one %s", got.ID, first, gotBest)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func derefInt(n *int) int {
	if n == nil {
		return -1
	}
	return *n
}

// nearestInGo returns the civic number nearest to p on the sphere and its
// distance in metres.
func nearestInGo(data *covData, p orb.Point) (*covCivico, float64) {
	var best *covCivico
	d := math.Inf(1)
	for i := range data.civici {
		if dd := geo.DistanceHaversine(p, data.civici[i].p); dd < d {
			best, d = &data.civici[i], dd
		}
	}
	return best, d
}

// searchJSON is a /coverage/search answer.
type searchJSON struct {
	Query   string `json:"query"`
	Results []struct {
		Kind      string  `json:"kind"`
		Label     string  `json:"label"`
		ISTATCode string  `json:"istat_code"`
		Comune    string  `json:"comune"`
		Street    string  `json:"street"`
		Civici    int     `json:"civici"`
		ID        int64   `json:"id"`
		Number    *int    `json:"number"`
		Suffix    string  `json:"suffix"`
		Lon       float64 `json:"lon"`
		Lat       float64 `json:"lat"`
	} `json:"results"`
}

// TestCoverageLookup checks search, address lookup, the nearest civic
// number and /coverage/civici/{id} against the tables.
func TestCoverageLookup(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	data := readCoverage(t, s)
	ctx := context.Background()

	t.Run("search_street", func(t *testing.T) {
		var r searchJSON
		res := getJSON(t, s.URL+"/coverage/search?q=via+roma", "application/json", &r)
		if len(r.Results) == 0 || len(r.Results) > 10 {
			t.Fatalf("search(via roma): got %d results, want 1..10 (the default limit)", len(r.Results))
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
			t.Errorf("Cache-Control = %q, want a max-age", cc)
		}
		for i, sg := range r.Results {
			if sg.Kind != "street" || sg.Label != sg.Street+", "+sg.Comune || sg.Comune != data.names[sg.ISTATCode] {
				t.Errorf("result %d = %+v, want a street labelled \"street, comune\"", i, sg)
			}
			n := 0
			for _, c := range data.civici {
				if c.comune == sg.ISTATCode && coverage.StreetKey(c.street) == coverage.StreetKey(sg.Street) {
					n++
				}
			}
			if sg.Civici != n {
				t.Errorf("result %d (%s): civici = %d, want %d", i, sg.Label, sg.Civici, n)
			}
		}
		if k := coverage.StreetKey(r.Results[0].Street); k != "VIA ROMA" {
			t.Errorf("first result %q, want Via Roma", r.Results[0].Street)
		}

		getJSON(t, s.URL+"/coverage/search?q=via+roma&comune="+crema+"&limit=3", "application/json", &r)
		if len(r.Results) == 0 || len(r.Results) > 3 {
			t.Fatalf("search(via roma, comune=%s, limit=3): got %d results, want 1..3", crema, len(r.Results))
		}
		for i, sg := range r.Results {
			if sg.ISTATCode != crema {
				t.Errorf("result %d in comune %s, want only %s", i, sg.ISTATCode, crema)
			}
		}
	})

	t.Run("search_civico", func(t *testing.T) {
		var r searchJSON
		getJSON(t, s.URL+"/coverage/search?q="+url.QueryEscape("via roma 1, crema"), "application/json", &r)
		if len(r.Results) == 0 {
			t.Fatal("search(via roma 1, crema) found nothing")
		}
		for i, sg := range r.Results {
			c, ok := data.byID[sg.ID]
			if sg.Kind != "civico" || sg.ISTATCode != crema || sg.Comune != "Crema" || sg.Number == nil || *sg.Number != 1 || !ok {
				t.Errorf("result %d = %+v, want a civic number 1 in Crema", i, sg)
				continue
			}
			if c.comune != crema || c.number == nil || *c.number != 1 || c.street != sg.Street || c.suffix != sg.Suffix {
				t.Errorf("result %d: %s %v%s in %s, the table says %s %v%s in %s", i, sg.Street, *sg.Number, sg.Suffix, sg.ISTATCode,
					c.street, c.number, c.suffix, c.comune)
			}
		}
		// Every Via Roma 1 of Crema comes first.
		var want []int64
		for _, c := range data.civici {
			if c.comune == crema && c.street == "Via Roma" && c.number != nil && *c.number == 1 {
				want = append(want, c.id)
			}
		}
		var got []int64
		for _, sg := range r.Results[:min(len(want), len(r.Results))] {
			got = append(got, sg.ID)
		}
		slices.Sort(got)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("first results %v, want Crema's Via Roma 1 %v", got, want)
		}
	})

	t.Run("search_one_letter", func(t *testing.T) {
		_, body := get(t, s.URL+"/coverage/search?q=x", http.StatusOK)
		var r map[string]any
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if res, ok := r["results"].([]any); !ok || len(res) != 0 {
			t.Errorf("search(x): results = %v, want []", r["results"])
		}
	})

	// A civic number on Via Libertà, the demo's street with an accent.
	var libCivico *covCivico
	for i, c := range data.civici {
		if c.street == "Via Libertà" && c.suffix == "" && c.number != nil && len(c.offers) > 1 && (libCivico == nil || c.comune == crema && libCivico.comune != crema) {
			libCivico = &data.civici[i]
		}
	}
	if libCivico == nil {
		t.Fatal("the demo has no civic number on Via Libertà with two offers")
	}

	t.Run("address", func(t *testing.T) {
		tests := []struct{ name, street string }{
			{"exact", "Via Libertà"},
			{"lower_case", "via libertà"},
			{"upper_no_accent", "VIA LIBERTA"},
			{"v_dot", "V. Libertà"},
			{"v_dot_no_accent_no_space", "v.liberta"},
			{"spaces", "  via   liberta  "},
			{"without_via", "liberta"},
			{"apostrophe_accent", "Via Liberta'"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := fmt.Sprintf("%s/coverage/address?comune=%s&street=%s&number=%d", s.URL, libCivico.comune, url.QueryEscape(tt.street), *libCivico.number)
				var v civicoJSON
				getJSON(t, u, "application/json", &v)
				if v.ID != libCivico.id {
					t.Fatalf("address(%q %d) = civico %d (%s %v), want %d", tt.street, *libCivico.number, v.ID, v.Street, v.Number, libCivico.id)
				}
				checkCivico(t, data, v)
			})
		}
	})

	t.Run("address_unknown_number", func(t *testing.T) {
		u := fmt.Sprintf("%s/coverage/address?comune=%s&street=%s&number=9999", s.URL, libCivico.comune, url.QueryEscape("via liberta"))
		res, body := do(t, http.MethodGet, u)
		// The detail names the street and the comune as people know them.
		checkProblem(t, res, body, http.StatusNotFound, []string{"Via Libertà", data.names[libCivico.comune], "9999"},
			"problem_coverage_address_unknown_number.golden.json")
	})

	t.Run("address_unknown_street", func(t *testing.T) {
		res, body := do(t, http.MethodGet, s.URL+"/coverage/address?comune="+crema+"&street=Via+Inesistente+Qwerty&number=1")
		checkProblem(t, res, body, http.StatusNotFound, []string{"Via Inesistente Qwerty"}, "problem_coverage_address_unknown_street.golden.json")
	})

	t.Run("nearest", func(t *testing.T) {
		// About 2 m east of a civic number.
		p := orb.Point{libCivico.p[0] + 0.00003, libCivico.p[1]}
		want, d := nearestInGo(data, p)
		var v civicoJSON
		getJSON(t, fmt.Sprintf("%s/coverage/nearest?lon=%v&lat=%v", s.URL, p[0], p[1]), "application/json", &v)
		if v.ID != want.id {
			t.Fatalf("nearest(%v) = civico %d, want %d (%.2f m away)", p, v.ID, want.id, d)
		}
		if v.Distance == nil || math.Abs(*v.Distance-d) > 0.1+0.005*d {
			t.Errorf("nearest(%v): distance_m = %v, want %.1f", p, v.Distance, d)
		}
		checkCivico(t, data, v)
	})

	t.Run("nearest_radius", func(t *testing.T) {
		// A point in the fields, a few hundred metres from any address.
		var p orb.Point
		var d float64
		for x := 9.60; x < 9.80 && (d < 200 || d > 2000); x += 0.005 {
			p = orb.Point{x, 45.32}
			_, d = nearestInGo(data, p)
		}
		if d < 200 || d > 2000 {
			t.Fatal("found no point 200..2000 m from the nearest civic number")
		}
		u := fmt.Sprintf("%s/coverage/nearest?lon=%v&lat=%v", s.URL, p[0], p[1])
		res, body := do(t, http.MethodGet, u)
		if res.StatusCode != http.StatusNotFound || !bytes.Contains(body, []byte("nearest is")) {
			t.Errorf("nearest(%v) with the default radius of 100 m: status %d %s, want 404 saying how far the nearest is", p, res.StatusCode, body)
		}
		get(t, fmt.Sprintf("%s&radius=%d", u, int(d*0.9)), http.StatusNotFound)
		var v civicoJSON
		getJSON(t, fmt.Sprintf("%s&radius=%d", u, int(d*1.1)+1), "application/json", &v)
		if v.Distance == nil || math.Abs(*v.Distance-d) > 0.1+0.005*d {
			t.Errorf("nearest(%v): distance_m = %v, want %.1f", p, v.Distance, d)
		}
	})

	t.Run("nearest_far_away", func(t *testing.T) {
		// Rome.
		res, body := do(t, http.MethodGet, s.URL+"/coverage/nearest?lon=12.5&lat=41.9&radius=5000")
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("nearest(Rome): status %d, want 404; body %s", res.StatusCode, body)
		}
		checkMediaType(t, res, "application/problem+json")
		// The poles have no finite Web Mercator coordinates: still a 404, never a 500.
		for _, lat := range []string{"90", "-90"} {
			res, body := do(t, http.MethodGet, s.URL+"/coverage/nearest?lon=9.68&lat="+lat)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("nearest(9.68, %s): status %d, want 404; body %s", lat, res.StatusCode, body)
			}
		}
	})

	t.Run("civico", func(t *testing.T) {
		var v civicoJSON
		getJSON(t, fmt.Sprintf("%s/coverage/civici/%d", s.URL, libCivico.id), "application/json", &v)
		checkCivico(t, data, v)
		// One without offers, one with a single offer.
		for _, n := range []int{0, 1} {
			for _, c := range data.civici {
				if len(c.offers) == n {
					var v civicoJSON
					getJSON(t, fmt.Sprintf("%s/coverage/civici/%d", s.URL, c.id), "application/json", &v)
					checkCivico(t, data, v)
					break
				}
			}
		}
		for _, id := range []string{"0", "-1", "abc", "99999999999999999999"} {
			get(t, s.URL+"/coverage/civici/"+id, http.StatusNotFound)
		}
	})

	// Last: it changes the data.
	t.Run("offers_tie_order", func(t *testing.T) {
		// Two available offers at the same speed: the active one is better
		// than the connectable one, whatever their programmes are called.
		var id int64
		var mbps int
		var tech string
		if err := s.DB.Read.QueryRow(ctx, `SELECT o.civico_id, o.max_down_mbps, o.technology FROM coverage_offers o
			WHERE o.programme = 'aree_bianche' AND o.status = 'connectable'
			  AND NOT EXISTS (SELECT 1 FROM coverage_offers x WHERE x.civico_id = o.civico_id AND x.id <> o.id)
			ORDER BY o.civico_id LIMIT 1`).Scan(&id, &mbps, &tech); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.Write.Exec(ctx, `INSERT INTO coverage_offers (civico_id, programme, operator, technology, max_down_mbps, status, source)
			VALUES ($1, 'commercial', 'Test', $2, $3, 'active', 'test')`, id, tech, mbps); err != nil {
			t.Fatal(err)
		}
		if err := coverage.NewStore(s.DB.Write).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		data := readCoverage(t, s)
		var v civicoJSON
		getJSON(t, fmt.Sprintf("%s/coverage/civici/%d", s.URL, id), "application/json", &v)
		checkCivico(t, data, v)
		if v.BestStatus == nil || *v.BestStatus != "active" {
			t.Errorf("civico %d: best_status = %v, want active", id, deref(v.BestStatus))
		}
	})
}

// tileCount is what a civici tile holds inside its own extent (the buffer
// excluded): civic numbers (cells add up their n). MVT coordinates are
// rounded to whole units, so a feature on the extent's edge may come from
// either side: lo counts only features strictly inside, hi also those on
// the edge.
type tileCount struct {
	cells  bool
	lo, hi int
	ids    map[int64]orb.Point // point tiles: feature id -> tile position
}

func countTile(tb testing.TB, l *mvt.Layer) tileCount {
	tb.Helper()
	var tc tileCount
	ext := float64(l.Extent)
	for i, f := range l.Features {
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			tb.Fatalf("feature %d is a %s, want a Point", i, f.Geometry.GeoJSONType())
		}
		n := 1
		if v, ok := f.Properties["n"]; ok {
			tc.cells = true
			fn, ok := v.(float64)
			if !ok || fn < 1 || fn != math.Trunc(fn) {
				tb.Fatalf("cell %d: n = %v (%T), want a positive integer", i, v, v)
			}
			n = int(fn)
		} else {
			if tc.cells {
				tb.Fatalf("feature %d is a point in a tile of cells", i)
			}
			id, ok := f.ID.(float64)
			if !ok || id < 1 || id != math.Trunc(id) {
				tb.Fatalf("feature %d: id = %v, want a civico id", i, f.ID)
			}
			if tc.ids == nil {
				tc.ids = map[int64]orb.Point{}
			}
			if _, dup := tc.ids[int64(id)]; dup {
				tb.Errorf("civico %d twice in the tile", int64(id))
			}
			tc.ids[int64(id)] = p
		}
		if p[0] > 0 && p[0] < ext && p[1] > 0 && p[1] < ext {
			tc.lo += n
		}
		if p[0] >= 0 && p[0] <= ext && p[1] >= 0 && p[1] <= ext {
			tc.hi += n
		}
	}
	return tc
}

// TestCoverageLayers checks the civici tiles (no civic number dropped at
// any zoom, sizes, the point properties) and the coverage collections.
func TestCoverageLayers(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	data := readCoverage(t, s)

	// The densest tile of each zoom, found in Go.
	densest := func(z maptile.Zoom) (maptile.Tile, int) {
		n := map[maptile.Tile]int{}
		for _, c := range data.civici {
			n[maptile.At(c.p, z)]++
		}
		var best maptile.Tile
		for tl, c := range n {
			if c > n[best] || c == n[best] && (tl.X < best.X || tl.X == best.X && tl.Y < best.Y) {
				best = tl
			}
		}
		return best, n[best]
	}
	inTile := func(tl maptile.Tile) map[int64]bool {
		out := map[int64]bool{}
		for _, c := range data.civici {
			if maptile.At(c.p, tl.Z) == tl {
				out[c.id] = true
			}
		}
		return out
	}

	// The densest tile of each zoom (cells up to 12, points from 14 in the
	// demo), and every tile with civic numbers at zooms 8 and 10, so that
	// the whole register is counted twice.
	var check []maptile.Tile
	for _, z := range []maptile.Zoom{10, 12, 14, 15, 17} {
		tile, _ := densest(z)
		if z <= 14 && !tile.Bound().Contains(cremaCentre) {
			t.Errorf("the densest tile at z%d, %v, does not hold Crema's centre %v", z, tile, cremaCentre)
		}
		check = append(check, tile)
	}
	for _, z := range []maptile.Zoom{8, 10} {
		var ts []maptile.Tile
		for _, c := range data.civici {
			if tile := maptile.At(c.p, z); !slices.Contains(ts, tile) && !slices.Contains(check, tile) {
				ts = append(ts, tile)
			}
		}
		check = append(check, ts...)
	}
	total := 0
	for _, tile := range check {
		want := inTile(tile)
		n := len(want)
		if tile.Z == 8 {
			total += n
		}
		t.Run(fmt.Sprintf("%d_%d_%d", tile.Z, tile.X, tile.Y), func(t *testing.T) {
			checkCiviciTile(t, s, tile, want)
		})
	}
	if total != len(data.civici) {
		t.Errorf("the zoom 8 tiles hold %d civic numbers, want all %d", total, len(data.civici))
	}

	t.Run("z17_points", func(t *testing.T) {
		tile, _ := densest(17)
		_, body := get(t, s.URL+tilePath("civici", tile), http.StatusOK)
		ls := decodeTile(t, body, tile)
		if len(ls) != 1 || len(ls[0].Features) == 0 {
			t.Fatalf("tile %v: layers %v, want civici with features", tile, layerNames(ls))
		}
		withAll := 0
		for i, f := range ls[0].Features {
			for k := range f.Properties {
				if k != "status" && k != "technology" && k != "mbps" {
					t.Errorf("feature %d: property %q, want only status, technology, mbps", i, k)
				}
			}
			if len(f.Properties) == 3 {
				withAll++
			}
			if i >= 5 {
				continue
			}
			// Its id resolves to the same civic number.
			id, _ := f.ID.(float64)
			var v civicoJSON
			getJSON(t, fmt.Sprintf("%s/coverage/civici/%d", s.URL, int64(id)), "application/json", &v)
			if got, want := fmt.Sprint(f.Properties["status"], " ", f.Properties["technology"], " ", f.Properties["mbps"]),
				fmt.Sprint(deref(v.BestStatus), " ", deref(v.BestTech), " ", derefInt(v.BestMbps)); v.BestStatus != nil && got != want {
				t.Errorf("civico %d: tile says %s, /coverage/civici says %s", v.ID, got, want)
			}
			p := f.Geometry.(orb.Point)
			if eps := 360 / math.Exp2(float64(tile.Z)) / 4096; math.Abs(p[0]-v.Lon) > eps || math.Abs(p[1]-v.Lat) > eps {
				t.Errorf("civico %d: in the tile at %v, /coverage/civici says %v,%v", v.ID, p, v.Lon, v.Lat)
			}
		}
		if withAll == 0 {
			t.Errorf("no feature of tile %v has status, technology and mbps", tile)
		}
	})

	t.Run("collections", func(t *testing.T) {
		var cs struct {
			Collections []struct {
				ID string `json:"id"`
			} `json:"collections"`
		}
		getJSON(t, s.URL+"/collections", "application/json", &cs)
		var got []string
		for _, c := range cs.Collections {
			got = append(got, c.ID)
		}
		for _, want := range []string{"civici", "network", "coverage-comuni"} {
			if !slices.Contains(got, want) {
				t.Errorf("collections = %v, want %s among them", got, want)
			}
		}
	})

	t.Run("civici_items_filter", func(t *testing.T) {
		p := items(t, s.URL+"/collections/civici/items?best_status=connectable&limit=5")
		if len(p.Features) != 5 || p.NumberReturned != 5 {
			t.Fatalf("got %d features (numberReturned %d), want 5", len(p.Features), p.NumberReturned)
		}
		want := 0
		for _, c := range data.civici {
			if b := bestOffer(c.offers); b != nil && b.status == "connectable" {
				want++
			}
		}
		if p.NumberMatched != want {
			t.Errorf("numberMatched = %d, want %d", p.NumberMatched, want)
		}
		for _, f := range p.Features {
			id, _ := f.ID.(float64)
			c, ok := data.byID[int64(id)]
			if !ok || f.Properties["best_status"] != "connectable" {
				t.Errorf("feature %v: best_status %v, want connectable", f.ID, f.Properties["best_status"])
				continue
			}
			if b := bestOffer(c.offers); b == nil || b.status != "connectable" {
				t.Errorf("civico %d: best offer %+v, want a connectable one", c.id, b)
			}
			if pt, ok := f.Geometry.(orb.Point); !ok || math.Abs(pt[0]-c.p[0]) > 1e-6 || math.Abs(pt[1]-c.p[1]) > 1e-6 {
				t.Errorf("civico %d at %v, want %v", c.id, f.Geometry, c.p)
			}
		}
	})

	t.Run("coverage_comuni", func(t *testing.T) {
		p := items(t, s.URL+"/collections/coverage-comuni/items?limit=100")
		if len(p.Features) != 48 || p.NumberMatched != 48 {
			t.Fatalf("got %d features (numberMatched %d), want the 48 comuni", len(p.Features), p.NumberMatched)
		}
		type tally struct{ n, n1000 int }
		per := map[string]*tally{}
		for _, c := range data.civici {
			tl := per[c.comune]
			if tl == nil {
				tl = &tally{}
				per[c.comune] = tl
			}
			tl.n++
			if b := bestOffer(c.offers); b != nil && (b.status == "connectable" || b.status == "active") && b.mbps >= 1000 {
				tl.n1000++
			}
		}
		var checked []string
		for _, f := range p.Features {
			code, _ := f.ID.(string)
			tl := per[code]
			if tl == nil {
				t.Errorf("coverage-comuni has %v, which has no civic numbers", f.ID)
				continue
			}
			if got, _ := f.Properties["civici"].(float64); int(got) != tl.n {
				t.Errorf("%s: civici = %v, want %d", code, f.Properties["civici"], tl.n)
			}
			want := math.Round(1000*float64(tl.n1000)/float64(tl.n)) / 10
			if got, _ := f.Properties["pct_1000"].(float64); math.Abs(got-want) > 0.05+1e-9 {
				t.Errorf("%s: pct_1000 = %v, want %.1f (%d of %d)", code, f.Properties["pct_1000"], want, tl.n1000, tl.n)
			}
			if f.Properties["name"] != data.names[code] {
				t.Errorf("%s: name = %v, want %q", code, f.Properties["name"], data.names[code])
			}
			checked = append(checked, code)
		}
		sort.Strings(checked)
		if !slices.Contains(checked, crema) {
			t.Errorf("coverage-comuni has no Crema: %v", checked)
		}
	})

	// Last: it adds civic numbers.
	t.Run("dense_tiles", func(t *testing.T) {
		// 9,000 more civic numbers in one zoom 16 tile of Crema's centre:
		// the tiles of zooms 14 to 16 over it hold more than 8,000, so
		// they are cells of zoom 14, and none may be lost.
		ctx := context.Background()
		t16 := maptile.At(cremaCentre, 16)
		b := t16.Bound()
		if _, err := s.DB.Write.Exec(ctx, `
			INSERT INTO civici (istat_code, street, street_key, number, source, synthetic, geom)
			SELECT '019035', 'Via Densa', 'VIA DENSA', g, 'test', true,
			       ST_SetSRID(ST_MakePoint($1::float8 + ($3::float8 - $1::float8) * u, $2::float8 + ($4::float8 - $2::float8) * v), 4326)
			-- a fixed, evenly spread sequence (R2) rather than random()
			FROM generate_series(1, 9000) g,
			     LATERAL (SELECT (g * 0.7548776662466927) % 1 AS u, (g * 0.5698402909980532) % 1 AS v) r`, b.Min[0], b.Min[1], b.Max[0], b.Max[1]); err != nil {
			t.Fatal(err)
		}
		if err := coverage.NewStore(s.DB.Write).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Versions.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		data := readCoverage(t, s)
		for _, z := range []maptile.Zoom{12, 14, 15, 16, 17, 18} {
			tile := maptile.At(cremaCentre, z)
			if z > 16 {
				// A tile in the dense one's corner: points again, with
				// dense neighbours in the buffer.
				tile = maptile.At(orb.Point{b.Min[0] + 1e-9, b.Min[1] + 1e-9}, z)
			}
			want := map[int64]bool{}
			for _, c := range data.civici {
				if maptile.At(c.p, z) == tile {
					want[c.id] = true
				}
			}
			t.Run(fmt.Sprintf("%d_%d_%d", tile.Z, tile.X, tile.Y), func(t *testing.T) {
				tc := checkCiviciTile(t, s, tile, want)
				if z >= 14 && z <= 16 && !tc.cells {
					t.Errorf("tile %v with %d civic numbers has points, want cells", tile, len(want))
				}
			})
		}
	})
}

// checkCiviciTile fetches a civici tile and checks that it decodes, is
// small enough and drops none of the civic numbers want (the ids in the
// tile's bounds, counted in Go): cells must add up to them, points must be
// them, with those of other tiles only in the buffer.
func checkCiviciTile(tb testing.TB, s *testserver.Server, tile maptile.Tile, want map[int64]bool) tileCount {
	tb.Helper()
	n := len(want)
	res, body := get(tb, s.URL+tilePath("civici", tile), http.StatusOK)
	checkMediaType(tb, res, "application/vnd.mapbox-vector-tile")
	if len(body) >= 500<<10 {
		tb.Errorf("tile %v is %d KB, want < 500 KB", tile, len(body)>>10)
	}
	ls, err := mvt.Unmarshal(body)
	if err != nil {
		tb.Fatalf("decode tile %v: %v", tile, err)
	}
	if len(ls) != 1 || ls[0].Name != "civici" || ls[0].Extent != 4096 {
		tb.Fatalf("tile %v: layers %v, want one layer civici with extent 4096", tile, layerNames(ls))
	}
	tc := countTile(tb, ls[0])
	kind := "points"
	if tc.cells {
		kind = "cells"
	}
	tb.Logf("tile %v: %d civic numbers, %d features (%s) holding %d..%d inside the extent, %d KB",
		tile, n, len(ls[0].Features), kind, tc.lo, tc.hi, len(body)>>10)
	if n < tc.lo || n > tc.hi {
		tb.Errorf("tile %v: its %s inside the extent hold %d..%d civic numbers, want the %d the civici table has there", tile, kind, tc.lo, tc.hi, n)
	}
	if tile.Z < 14 && !tc.cells {
		tb.Errorf("tile %v has points, want cells below zoom 14", tile)
	}
	if tc.cells {
		return tc
	}
	for id := range want {
		if _, ok := tc.ids[id]; !ok {
			tb.Errorf("tile %v: civico %d is missing", tile, id)
		}
	}
	for id, p := range tc.ids {
		if !want[id] && p[0] > 0 && p[0] < 4096 && p[1] > 0 && p[1] < 4096 {
			tb.Errorf("tile %v: civico %d of another tile inside the extent at %v", tile, id, p)
		}
	}
	return tc
}

func layerNames(ls mvt.Layers) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}
