package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/geotest"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/testserver"
)

// area7 is g as a GeoJSON geometry with 7 decimals (1 cm), as a client
// would send it.
func area7(tb testing.TB, g orb.Geometry) []byte {
	tb.Helper()
	b, err := json.Marshal(geojson.NewGeometry(orb.Round(orb.Clone(g), 1e7)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sendWithin sends a request that must be answered within d: an answer
// that takes longer fails the test instead of hanging it. Only a loose
// bound against a hang, never a timing assertion.
func sendWithin(tb testing.TB, d time.Duration, method, url string, body []byte, header ...string) (*http.Response, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/geo+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if errors.Is(err, context.DeadlineExceeded) {
		tb.Fatalf("%s %s (%d bytes): no answer within %s", method, url, len(body), d)
	}
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

// checkLimitProblem checks a 422 problem+json that names the limit.
func checkLimitProblem(tb testing.TB, res *http.Response, body []byte, field, limit, want string) {
	tb.Helper()
	if res.StatusCode != http.StatusUnprocessableEntity {
		tb.Fatalf("%s %s: status = %d, want 422; body: %.500s", res.Request.Method, res.Request.URL, res.StatusCode, body)
	}
	checkMediaType(tb, res, "application/problem+json")
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		tb.Fatalf("problem: %v: %s", err, body)
	}
	if !strings.Contains(p.Detail, want) {
		tb.Errorf("detail = %q, want it to contain %q", p.Detail, want)
	}
	if len(p.Errors) != 1 || p.Errors[0].Field != field || !strings.HasPrefix(p.Errors[0].Reason, limit+": ") {
		tb.Errorf("errors = %+v, want one for %s naming the limit %s", p.Errors, field, limit)
	}
}

// TestGeometryLimits: geometries from outside are bounded before any GEOS
// work. The random self-intersecting polygon of issue 8 took 28 s and
// 1.2 GB (2,000 vertices) or never answered (10,000+); every limit is
// named with the count, through the area statistics and Part 4 writes;
// real boundaries still pass.
func TestGeometryLimits(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection"}})
	stats := s.URL + "/coverage/stats"
	editor, _, err := auth.NewStore(s.DB.Write).CreateToken(context.Background(), "ufficio tecnico Crema (limits)", auth.Editor, []string{crema})
	if err != nil {
		t.Fatal(err)
	}
	scenario := func(g orb.Geometry) []byte {
		return mustJSON(t, map[string]any{"type": "Feature", "geometry": json.RawMessage(area7(t, g)), "properties": map[string]any{
			"istat_code": crema, "hazard": "altro", "title": "limits test", "severity": 1}})
	}
	post := func(body []byte) (*http.Response, []byte) {
		return sendWithin(t, 20*time.Second, http.MethodPost, s.URL+"/collections/scenarios/items", body, "Authorization", "Bearer "+editor)
	}

	for _, n := range []int{2000, 20_000} {
		t.Run("random polygon of "+geo.Thousands(n)+" vertices", func(t *testing.T) {
			g := geotest.RandomPolygon(n, uint64(n))
			res, body := sendWithin(t, 10*time.Second, http.MethodPost, stats, area7(t, g))
			checkLimitProblem(t, res, body, "area", "crossings", "crosses or touches itself at more than 1,000 points")
			res, body = post(scenario(g))
			checkLimitProblem(t, res, body, "geometry", "crossings", "crosses or touches itself at more than 1,000 points")
		})
	}
	t.Run("accordion", func(t *testing.T) {
		res, body := sendWithin(t, 10*time.Second, http.MethodPost, stats, area7(t, geotest.Accordion(3000)))
		checkLimitProblem(t, res, body, "area", "overlaps", "folds over itself too much to be checked")
	})
	for _, tt := range geotest.OverLimits() {
		t.Run("over the "+tt.Name+" limit", func(t *testing.T) {
			body := area7(t, tt.G)
			if tt.Name == "depth" { // an area is polygonal: the collection comes as a Feature's geometry
				body = mustJSON(t, map[string]any{"type": "Feature", "properties": nil, "geometry": json.RawMessage(body)})
			}
			res, b := sendWithin(t, 10*time.Second, http.MethodPost, stats, body)
			checkLimitProblem(t, res, b, "area", tt.Name, "area: "+tt.Want)
			res, b = post(scenario(tt.G))
			checkLimitProblem(t, res, b, "geometry", tt.Name, "geometry: "+tt.Want)
		})
	}

	// Real boundaries: every comune of the province, and the largest made
	// as detailed as the limits allow, are areas like any other.
	data, err := os.ReadFile("../../../shared/data/cremona-comuni.geojson")
	if err != nil {
		t.Fatalf("reading the reference data: %v", err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatal(err)
	}
	var largest orb.Ring
	var all orb.MultiPolygon
	for _, f := range fc.Features {
		res, body := sendWithin(t, 10*time.Second, http.MethodPost, stats, area7(t, f.Geometry))
		if res.StatusCode != http.StatusOK {
			t.Errorf("POST /coverage/stats with %s: status %d; %.300s", f.Properties.MustString("name", "?"), res.StatusCode, body)
		}
		var mp orb.MultiPolygon
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		}
		all = append(all, mp...)
		for _, p := range mp {
			if len(p[0]) > len(largest) {
				largest = p[0]
			}
		}
	}
	// The whole province as one MultiPolygon of its comuni: the shared
	// borders are repaired (the parts united), not refused.
	res, body := sendWithin(t, 20*time.Second, http.MethodPost, stats, area7(t, all))
	if res.StatusCode != http.StatusOK {
		t.Errorf("POST /coverage/stats with the 113 comuni as one MultiPolygon: status %d; %.300s", res.StatusCode, body)
	}
	detailed := orb.Polygon{geotest.Wiggle(largest, geo.DefaultLimits.Vertices-1000)}
	res, body = sendWithin(t, 20*time.Second, http.MethodPost, stats, area7(t, detailed))
	if res.StatusCode != http.StatusOK {
		t.Errorf("POST /coverage/stats with the largest boundary at %d vertices: status %d; %.300s", len(detailed[0]), res.StatusCode, body)
	}
}

// TestHeavyRequestsLimit: with one slot for area statistics, a request
// that holds it (its body still coming) makes the next one 503 with
// Retry-After at once, never a queue; other endpoints are not affected,
// and the slot is free again when the first request ends.
func TestHeavyRequestsLimit(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}, HeavyRequests: 1})
	stats := s.URL + "/coverage/stats"
	area := area7(t, orb.Polygon{geotest.Square(9.68, 45.35, 0.01)})

	pr, pw := io.Pipe()
	held := make(chan int, 1)
	go func() {
		req, err := http.NewRequest(http.MethodPost, stats, pr)
		if err != nil {
			held <- 0
			return
		}
		req.Header.Set("Content-Type", "application/geo+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			held <- 0
			return
		}
		res.Body.Close()
		held <- res.StatusCode
	}()
	if _, err := pw.Write(area[:10]); err != nil { // the handler holds the slot, reading the rest
		t.Fatal(err)
	}

	// The holder reaches its slot within moments; try until refused.
	var res *http.Response
	var body []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, body = sendWithin(t, 10*time.Second, http.MethodPost, stats, area)
		if res.StatusCode != http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second POST /coverage/stats while the only slot is held: status %d, want 503; %.300s", res.StatusCode, body)
	}
	checkMediaType(t, res, "application/problem+json")
	if ra := res.Header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After = %q, want 2", ra)
	}
	if !bytes.Contains(body, []byte("at most 1 at once")) {
		t.Errorf("problem = %s, want it to say how many run at once", body)
	}
	get(t, stats+"?comune="+crema, http.StatusOK) // a GET of the statistics needs no slot

	if _, err := pw.Write(area[10:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if code := <-held; code != http.StatusOK {
		t.Fatalf("the request holding the slot: status %d, want 200", code)
	}
	res, body = sendWithin(t, 10*time.Second, http.MethodPost, stats, area)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /coverage/stats after the slot was freed: status %d, want 200; %.300s", res.StatusCode, body)
	}
}
