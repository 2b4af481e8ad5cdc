package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/testserver"
)

// bagnolo is Bagnolo Cremasco, Crema's western neighbour.
const bagnolo = "019005"

// writeServer serves the demo comuni, civil-protection plans and energy
// communities (no coverage: the write tests do not need it).
func writeServer(t *testing.T) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection", "energy"}})
}

// sqlJSON runs a query returning one JSON value and decodes it into v.
func sqlJSON(t *testing.T, s *testserver.Server, v any, sql string, args ...any) {
	t.Helper()
	var b []byte
	if err := s.DB.Write.QueryRow(context.Background(), sql, args...).Scan(&b); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// borderGeoms are GeoJSON geometries around the border between Crema and
// Bagnolo Cremasco: b is the point of Crema's boundary nearest to
// Bagnolo's interior point, and the others are measured from it along the
// outward direction (towards Bagnolo), so that a point d metres along
// lies d metres outside Crema.
type borderGeoms struct {
	InBagnolo json.RawMessage `json:"in_bagnolo"` // Bagnolo's interior point, kilometres from Crema
	InCrema   json.RawMessage `json:"in_crema"`   // 100 m inside Crema
	Out30     json.RawMessage `json:"out30"`      // 30 m outside: tolerated
	Out80     json.RawMessage `json:"out80"`      // 80 m outside: refused
	// Polygons from 100 m inside Crema across the border, as 20 m wide
	// strips: one reaching 30 m outside, one 500 m.
	Across30  json.RawMessage `json:"across30"`
	Across500 json.RawMessage `json:"across500"`
	// SquareBagnolo is a 100 m square in Bagnolo; HomeCrema and
	// SquareCrema are Crema's interior point and a square around it.
	SquareBagnolo json.RawMessage `json:"square_bagnolo"`
	HomeCrema     json.RawMessage `json:"home_crema"`
	SquareCrema   json.RawMessage `json:"square_crema"`
}

const borderGeomsSQL = `
WITH p AS (SELECT ST_PointOnSurface(geom) AS g FROM comuni WHERE istat_code = $2),
h AS (SELECT ST_PointOnSurface(geom) AS g FROM comuni WHERE istat_code = $1),
b AS (SELECT ST_ClosestPoint(c.geom, p.g) AS g, ST_Azimuth(ST_ClosestPoint(c.geom, p.g)::geography, p.g::geography) AS az
      FROM comuni c, p WHERE c.istat_code = $1),
at AS (SELECT b.az, ST_Project(b.g::geography, 100, b.az + pi())::geometry AS inside,
              ST_Project(b.g::geography, 30, b.az)::geometry AS out30, ST_Project(b.g::geography, 80, b.az)::geometry AS out80,
              ST_Project(b.g::geography, 20, b.az)::geometry AS out20, ST_Project(b.g::geography, 490, b.az)::geometry AS out490
       FROM b)
SELECT json_build_object(
	'in_bagnolo', ST_AsGeoJSON(p.g)::json,
	'in_crema', ST_AsGeoJSON(at.inside)::json,
	'out30', ST_AsGeoJSON(at.out30)::json,
	'out80', ST_AsGeoJSON(at.out80)::json,
	'across30', ST_AsGeoJSON(ST_Buffer(ST_MakeLine(at.inside, at.out20)::geography, 10, 'quad_segs=4')::geometry)::json,
	'across500', ST_AsGeoJSON(ST_Buffer(ST_MakeLine(at.inside, at.out490)::geography, 10, 'quad_segs=4')::geometry)::json,
	'square_bagnolo', ST_AsGeoJSON(ST_Envelope(ST_Buffer(p.g::geography, 50)::geometry))::json,
	'home_crema', ST_AsGeoJSON(h.g)::json,
	'square_crema', ST_AsGeoJSON(ST_Envelope(ST_Buffer(h.g::geography, 50)::geometry))::json)::text
FROM p, h, at`

// TestTerritoryRule: on every editable layer, POST, PUT and PATCH place a
// feature only in the comune its istat_code names, with 50 m of tolerance
// along the border; moving it into another comune is 403 by code (outside
// the token's scope) or 422 by geometry, naming the comune and the
// distance. A refused area never reaches another comune's exposure.
func TestTerritoryRule(t *testing.T) {
	s := writeServer(t)
	var g borderGeoms
	sqlJSON(t, s, &g, borderGeomsSQL, crema, bagnolo)
	editor := "Bearer " + energyToken(t, s, auth.Editor, crema)
	admin := "Bearer " + energyToken(t, s, auth.Admin)

	// A community of both comuni, for the energy sites.
	res, body := energySend(t, http.MethodPost, s.URL+"/energy/communities",
		map[string]any{"name": "CER di confine (test)", "status": "proposed", "comuni": []string{crema, bagnolo}}, "Authorization", admin)
	expectStatus(t, "create community", res, body, http.StatusCreated)
	var cc struct {
		Community struct{ ID int64 } `json:"community"`
	}
	if err := json.Unmarshal(body, &cc); err != nil {
		t.Fatal(err)
	}

	layers := []struct {
		id    string
		props func(code string) map[string]any
		point bool // takes points (else polygons)
	}{
		{"scenarios", func(code string) map[string]any {
			return map[string]any{"istat_code": code, "hazard": "altro", "title": "Prova di confine", "severity": 1}
		}, false},
		{"emergency-areas", func(code string) map[string]any {
			return map[string]any{"istat_code": code, "kind": "attesa", "name": "Area fuori comune (test)", "capacity": 500}
		}, false},
		{"emergency-area-points", func(code string) map[string]any {
			return map[string]any{"istat_code": code, "kind": "attesa", "name": "Punto di attesa fuori comune (test)", "capacity": 500}
		}, true},
		{"strategic-buildings", func(code string) map[string]any {
			return map[string]any{"istat_code": code, "kind": "scuola", "name": "Scuola fuori comune (test)"}
		}, true},
		{"energy-sites", func(code string) map[string]any {
			return map[string]any{"istat_code": code, "community_id": cc.Community.ID, "kind": "consumer", "category": "household", "name": "Casa di confine"}
		}, true},
	}
	feature := func(props map[string]any, geom json.RawMessage) map[string]any {
		return map[string]any{"type": "Feature", "properties": props, "geometry": geom}
	}
	for _, l := range layers {
		t.Run(l.id, func(t *testing.T) {
			items := s.URL + "/collections/" + l.id + "/items"
			home, farAway, tolerated, refused := g.HomeCrema, g.InBagnolo, g.Out30, g.Out80
			// The strip's far end is 500 m from the border point it starts
			// from, and may be a little nearer to a bend of the real border.
			refusedText := `lies 80 m outside comune 019035 \(Crema\); at most 50 m are tolerated along the border`
			if !l.point {
				home, farAway, tolerated, refused = g.SquareCrema, g.SquareBagnolo, g.Across30, g.Across500
				refusedText = `reaches (4[89][0-9]|500) m outside comune 019035 \(Crema\); at most 50 m are tolerated along the border`
			}
			count := func() int {
				var n int
				if err := s.DB.Read.QueryRow(context.Background(),
					`SELECT count(*) FROM audit_log WHERE collection = $1`, l.id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := count()

			// POST: labelled Crema, drawn in Bagnolo.
			res, body := energySend(t, http.MethodPost, items, feature(l.props(crema), farAway), "Authorization", editor)
			expectStatus(t, "POST in Bagnolo as Crema", res, body, http.StatusUnprocessableEntity)
			if d := problemDetail(t, body); !strings.Contains(d, "km outside comune 019035 (Crema); at most 50 m are tolerated along the border") {
				t.Errorf("POST in Bagnolo: detail %q does not name the comune, the distance and the tolerance", d)
			}
			res, body = energySend(t, http.MethodPost, items, feature(l.props(crema), refused), "Authorization", editor)
			expectStatus(t, "POST beyond the tolerance", res, body, http.StatusUnprocessableEntity)
			if d := problemDetail(t, body); !regexp.MustCompile("^geometry: " + refusedText + "$").MatchString(d) {
				t.Errorf("POST beyond the tolerance: detail %q, want %q", d, "geometry: "+refusedText)
			}
			if n := count(); n != before {
				t.Fatalf("refused writes wrote %d audit rows", n-before)
			}

			// Along the border: tolerated.
			res, body = energySend(t, http.MethodPost, items, feature(l.props(crema), tolerated), "Authorization", editor)
			expectStatus(t, "POST within the tolerance", res, body, http.StatusCreated)
			res, body = energySend(t, http.MethodPost, items, feature(l.props(crema), home), "Authorization", editor)
			expectStatus(t, "POST inside", res, body, http.StatusCreated)
			loc := res.Header.Get("Location")

			// PUT and PATCH into Bagnolo by geometry.
			res, body = energySend(t, http.MethodPut, loc, feature(l.props(crema), farAway), "Authorization", editor)
			expectStatus(t, "PUT into Bagnolo", res, body, http.StatusUnprocessableEntity)
			if d := problemDetail(t, body); !strings.Contains(d, "outside comune 019035 (Crema)") {
				t.Errorf("PUT into Bagnolo: detail %q", d)
			}
			res, body = energySend(t, http.MethodPatch, loc, map[string]any{"geometry": farAway}, "Authorization", editor)
			expectStatus(t, "PATCH into Bagnolo", res, body, http.StatusUnprocessableEntity)
			// By code: outside the token's scope, then with a token of both.
			res, body = energySend(t, http.MethodPatch, loc, map[string]any{"properties": map[string]any{"istat_code": bagnolo}}, "Authorization", editor)
			expectStatus(t, "PATCH the code to Bagnolo, Crema's token", res, body, http.StatusForbidden)
			res, body = energySend(t, http.MethodPatch, loc, map[string]any{"properties": map[string]any{"istat_code": bagnolo}}, "Authorization", admin)
			expectStatus(t, "PATCH the code to Bagnolo, admin", res, body, http.StatusUnprocessableEntity)
			if d := problemDetail(t, body); !strings.Contains(d, "outside comune 019005 (Bagnolo Cremasco)") {
				t.Errorf("PATCH the code to Bagnolo: detail %q does not name Bagnolo", d)
			}
			// Both together is a real move, and fine for a token of both.
			res, body = energySend(t, http.MethodPut, loc, feature(l.props(bagnolo), farAway), "Authorization", admin)
			expectStatus(t, "PUT code and geometry into Bagnolo, admin", res, body, http.StatusOK)
			if n := count(); n != before+3 {
				t.Errorf("audit rows: %d, want 3 (two creates and the move)", n-before)
			}
		})
	}

	// Bagnolo's exposure lists no area that Crema's editor tried to place
	// there: a shelter scenario around Bagnolo's interior point.
	res, body = energySend(t, http.MethodPost, s.URL+"/collections/scenarios/items",
		feature(map[string]any{"istat_code": bagnolo, "hazard": "industriale", "title": "Rilascio (test)", "severity": 3}, g.SquareBagnolo),
		"Authorization", admin)
	expectStatus(t, "a scenario in Bagnolo", res, body, http.StatusCreated)
	loc := res.Header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	// A Crema-labelled area 300 m from the scenario, in Bagnolo: refused.
	var near json.RawMessage
	sqlJSON(t, s, &near, `SELECT ST_AsGeoJSON(ST_Project(ST_PointOnSurface(geom)::geography, 300, 0)::geometry)::text FROM comuni WHERE istat_code = $1`, bagnolo)
	res, body = energySend(t, http.MethodPost, s.URL+"/collections/emergency-area-points/items",
		feature(map[string]any{"istat_code": crema, "kind": "accoglienza", "name": "Palestra fuori comune (test)", "capacity": 800}, near), "Authorization", editor)
	expectStatus(t, "an area in Bagnolo as Crema", res, body, http.StatusUnprocessableEntity)
	var e struct {
		Inside  []struct{ ISTATCode, Name string } `json:"emergency_areas_inside"`
		Nearest []struct {
			ID        int64  `json:"id"`
			ISTATCode string `json:"istat_code"`
			Name      string `json:"name"`
		} `json:"nearest_usable_areas"`
	}
	getJSON(t, s.URL+"/civil-protection/scenarios/"+id+"/exposure?limit=100", "application/json", &e)
	if len(e.Nearest) == 0 {
		t.Fatal("exposure: no nearest usable areas at all; the demo has some in Bagnolo")
	}
	for _, a := range e.Nearest {
		if a.Name == "Palestra fuori comune (test)" {
			t.Errorf("exposure of a Bagnolo scenario lists %q of comune %s", a.Name, a.ISTATCode)
		}
		var problem *string
		if err := s.DB.Read.QueryRow(context.Background(), `SELECT territory_problem(istat_code, geom) FROM cp_emergency_areas WHERE id = $1`,
			a.ID).Scan(&problem); err != nil || problem != nil {
			t.Errorf("exposure lists area %d (%s), which breaks the territory rule: %v %v", a.ID, a.ISTATCode, problem, err)
		}
	}
}

// TestTerritoryRuleDemo: the demo data itself obeys the rule.
func TestTerritoryRuleDemo(t *testing.T) {
	s := writeServer(t)
	var bad []string
	rows, err := s.DB.Read.Query(context.Background(), `
		SELECT 'scenario ' || id || ': ' || p FROM cp_scenarios, territory_problem(istat_code, geom) p WHERE p IS NOT NULL
		UNION ALL SELECT 'area ' || id || ': ' || p FROM cp_emergency_areas, territory_problem(istat_code, geom) p WHERE p IS NOT NULL
		UNION ALL SELECT 'building ' || id || ': ' || p FROM cp_buildings, territory_problem(istat_code, geom) p WHERE p IS NOT NULL
		UNION ALL SELECT 'site ' || id || ': ' || p FROM cer_sites, territory_problem(istat_code, geom) p WHERE p IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("demo rows outside their comune: %v", bad)
	}
	var n int
	if err := s.DB.Read.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM cp_scenarios) + (SELECT count(*) FROM cp_emergency_areas)
		+ (SELECT count(*) FROM cp_buildings) + (SELECT count(*) FROM cer_sites)`).Scan(&n); err != nil || n < 300 {
		t.Errorf("the demo has %d placed features (%v): not loaded?", n, err)
	}
}

// asyncResult is the answer to a request sent in the background.
type asyncResult struct {
	status int
	body   string
	err    error
}

// sendAsync sends a JSON request in a goroutine; the channel gets its
// answer. (t.Fatal may not be called outside the test's goroutine.)
func sendAsync(method, url string, body any, header ...string) <-chan asyncResult {
	ch := make(chan asyncResult, 1)
	go func() {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
		if err != nil {
			ch <- asyncResult{err: err}
			return
		}
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- asyncResult{err: err}
			return
		}
		defer res.Body.Close()
		var sb strings.Builder
		_, err = io.Copy(&sb, res.Body)
		ch <- asyncResult{status: res.StatusCode, body: sb.String(), err: err}
	}()
	return ch
}

// waitingBackends counts the backends of the test database that wait for
// a lock.
func waitingBackends(t *testing.T, s *testserver.Server) int {
	t.Helper()
	var n int
	if err := s.DB.Read.QueryRow(context.Background(), `SELECT count(DISTINCT l.pid) FROM pg_locks l
		JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// untilBlockedOrDone waits until n backends wait for a lock or the
// request has answered, and says whether it answered (the answer is then
// in *got).
func untilBlockedOrDone(t *testing.T, s *testserver.Server, n int, ch <-chan asyncResult, got *asyncResult, what string) bool {
	t.Helper()
	done := false
	waitFor(t, 20*time.Second, what, func() bool {
		select {
		case *got = <-ch:
			done = true
			return true
		default:
			return waitingBackends(t, s) >= n
		}
	})
	return done
}

// holdRow starts a transaction that locks the layer_versions row of table
// (bumped by a statement trigger at the end of every write to it), so that
// a write to that table stops there, after its row triggers ran; release
// commits it.
func holdRow(t *testing.T, s *testserver.Server, table string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.DB.Write.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM layer_versions WHERE table_name = $1 FOR UPDATE`, table); err != nil {
		t.Fatal(err)
	}
	var once bool
	release = func() {
		if !once {
			once = true
			if err := tx.Commit(ctx); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(release)
	return release
}

// TestFreezeUnderConcurrency forces the two interleavings of a write to a
// plan's data and its submission, on two real connections. The write and
// the transition serialise on the plan row: a transition waits for a
// write under way and then freezes the plan with it; a write that comes
// after a transition under way waits for it and gets 409.
func TestFreezeUnderConcurrency(t *testing.T) {
	s := writeServer(t)
	admin := "Bearer " + energyToken(t, s, auth.Admin)
	scenario := func(code string) string {
		var id int64
		if err := s.DB.Write.QueryRow(context.Background(), `INSERT INTO cp_scenarios (istat_code, hazard, title, severity, geom)
			SELECT istat_code, 'altro', 'concurrency fixture', 1, ST_Multi(ST_Buffer(ST_PointOnSurface(geom)::geography, 40, 'quad_segs=2')::geometry)
			FROM comuni WHERE istat_code = $1 RETURNING id`, code).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return s.URL + "/collections/scenarios/items/" + strconv.FormatInt(id, 10)
	}
	status := func(code string) string {
		var st string
		if err := s.DB.Read.QueryRow(context.Background(), `SELECT status FROM cp_plans WHERE istat_code = $1`, code).Scan(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	patch := map[string]any{"properties": map[string]any{"title": "changed while submitting"}}

	t.Run("WriteThenSubmit", func(t *testing.T) {
		item := scenario(crema)
		if st := status(crema); st != "draft" {
			t.Fatalf("Crema's plan is %s, want draft", st)
		}
		// The write runs its row triggers (the plan check), then stops.
		release := holdRow(t, s, "cp_scenarios")
		write := sendAsync(http.MethodPatch, item, patch, "Authorization", admin)
		var w, sub asyncResult
		if untilBlockedOrDone(t, s, 1, write, &w, "the write to wait") {
			t.Fatalf("the write answered while held: %d %s", w.status, w.body)
		}
		submit := sendAsync(http.MethodPost, s.URL+"/civil-protection/plans/"+crema+"/submit", nil, "Authorization", admin)
		if untilBlockedOrDone(t, s, 2, submit, &sub, "the submission to wait or answer") {
			t.Errorf("the submission answered (%d) while a write to the plan was under way; it must wait for it", sub.status)
		}
		release()
		if w = <-write; w.err != nil || w.status != http.StatusOK {
			t.Fatalf("write: %d %s %v, want 200", w.status, w.body, w.err)
		}
		if sub.status == 0 {
			sub = <-submit
		}
		if sub.err != nil || sub.status != http.StatusOK {
			t.Fatalf("submit: %d %s %v, want 200", sub.status, sub.body, sub.err)
		}
		// The write committed before the plan was frozen.
		var writeID, submitID int64
		if err := s.DB.Read.QueryRow(context.Background(), `SELECT
			(SELECT max(id) FROM audit_log WHERE collection = 'scenarios' AND action = 'update' AND istat_code = $1),
			(SELECT max(id) FROM audit_log WHERE collection = 'plans' AND action = 'transition' AND istat_code = $1)`, crema).Scan(&writeID, &submitID); err != nil {
			t.Fatal(err)
		}
		if writeID > submitID {
			t.Errorf("audit: the write (%d) came after the submission (%d)", writeID, submitID)
		}
	})

	t.Run("SubmitThenWrite", func(t *testing.T) {
		item := scenario(bagnolo)
		if st := status(bagnolo); st != "draft" {
			t.Fatalf("Bagnolo's plan is %s, want draft", st)
		}
		// The submission locks the plan and changes it, then stops.
		release := holdRow(t, s, "cp_plans")
		submit := sendAsync(http.MethodPost, s.URL+"/civil-protection/plans/"+bagnolo+"/submit", nil, "Authorization", admin)
		var w, sub asyncResult
		if untilBlockedOrDone(t, s, 1, submit, &sub, "the submission to wait") {
			t.Fatalf("the submission answered while held: %d %s", sub.status, sub.body)
		}
		write := sendAsync(http.MethodPatch, item, patch, "Authorization", admin)
		if untilBlockedOrDone(t, s, 2, write, &w, "the write to wait or answer") {
			t.Errorf("the write answered (%d) while the plan was being submitted; it must wait for the submission", w.status)
		}
		release()
		if sub = <-submit; sub.err != nil || sub.status != http.StatusOK {
			t.Fatalf("submit: %d %s %v, want 200", sub.status, sub.body, sub.err)
		}
		if w.status == 0 {
			w = <-write
		}
		if w.err != nil || w.status != http.StatusConflict || !strings.Contains(w.body, "plan of comune 019005 is submitted") {
			t.Fatalf("write after the submission: %d %s %v, want 409 naming the submitted plan", w.status, w.body, w.err)
		}
		var title string
		if err := s.DB.Read.QueryRow(context.Background(), `SELECT title FROM cp_scenarios WHERE id = $1`,
			item[strings.LastIndex(item, "/")+1:]).Scan(&title); err != nil || title != "concurrency fixture" {
			t.Errorf("the frozen plan's scenario is now %q (%v)", title, err)
		}
	})
}

// sendRaw sends body as it is (JSON that json.Marshal would not write:
// duplicate members) with a JSON Content-Type.
func sendRaw(t *testing.T, method, url, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
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

// TestMalformedWrites: every malformed write body is a 4xx problem+json
// naming what to fix, and changes nothing: control characters (the NUL
// byte answered 500), a body id contradicting the path (PUT …/items/29
// with id 30 updated 29), null for a required member (PATCH of a
// community with "comuni": null answered 200), unknown members, wrong
// types, integers out of their column's range (500), duplicate members.
func TestMalformedWrites(t *testing.T) {
	s := writeServer(t)
	ctx := context.Background()
	editor := "Bearer " + energyToken(t, s, auth.Editor, crema)
	admin := "Bearer " + energyToken(t, s, auth.Admin)
	var building, other, member, community, scenario int64
	if err := s.DB.Read.QueryRow(ctx, `SELECT (SELECT min(id) FROM cp_buildings WHERE istat_code = $1),
		(SELECT max(id) FROM cp_buildings WHERE istat_code = $1), (SELECT min(id) FROM cp_crisis_unit WHERE istat_code = $1),
		(SELECT min(id) FROM cer_communities WHERE $1 = ANY (comuni)), (SELECT min(id) FROM cp_scenarios WHERE istat_code = $1)`,
		crema).Scan(&building, &other, &member, &community, &scenario); err != nil {
		t.Fatal(err)
	}
	if building == other {
		t.Fatal("the demo has one building in Crema; want two")
	}
	buildings := s.URL + "/collections/strategic-buildings/items"
	item := fmt.Sprintf("%s/%d", buildings, building)
	var point string
	if err := s.DB.Read.QueryRow(ctx, `SELECT ST_AsGeoJSON(geom) FROM cp_buildings WHERE id = $1`, building).Scan(&point); err != nil {
		t.Fatal(err)
	}
	// A square of about 400 m in the middle of the demo's Crema.
	const square = `{"type":"Polygon","coordinates":[[[9.681,45.364],[9.685,45.364],[9.685,45.368],[9.681,45.368],[9.681,45.364]]]}`
	bld := func(props string) string {
		return `{"type":"Feature","properties":{"istat_code":"019035","kind":"scuola",` + props + `},"geometry":` + point + `}`
	}
	unit := s.URL + "/civil-protection/plans/" + crema + "/crisis-unit"
	communities := fmt.Sprintf("%s/energy/communities/%d", s.URL, community)
	snapshot := func() string {
		var v string
		if err := s.DB.Read.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_log)::text || '/' ||
			(SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM cp_buildings) || '/' ||
			(SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM cer_communities) || '/' ||
			(SELECT status FROM cp_plans WHERE istat_code = '019035')`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	tests := []struct {
		name, method, url, token, body string
		status                         int
		detail                         string // in the problem's detail
	}{
		// Part 4.
		{"NUL in a property", "POST", buildings, editor, bld(`"name":"Scuola\u0000Media"`), 400, "name: holds the control character U+0000 at character 7"},
		{"tab in a one-line property", "POST", buildings, editor, bld(`"name":"Scuola\tMedia"`), 400, "name: holds the control character U+0009"},
		{"escape in a multi-line property", "POST", s.URL + "/collections/scenarios/items", editor,
			`{"type":"Feature","properties":{"istat_code":"019035","hazard":"altro","title":"t","severity":1,"description":"a\u001b[2Jb"},"geometry":` + square + `}`,
			400, "description: holds the control character U+001B at character 2; only tab, line feed and carriage return are allowed"},
		{"integer beyond its column", "POST", s.URL + "/collections/emergency-area-points/items", editor,
			`{"type":"Feature","properties":{"istat_code":"019035","kind":"attesa","name":"n","capacity":1e12},"geometry":` + point + `}`,
			400, "capacity: want an integer from -2147483648 to 2147483647"},
		{"smallint beyond its column", "PATCH", fmt.Sprintf("%s/collections/scenarios/items/%d", s.URL, scenario), editor,
			`{"properties":{"severity":100000}}`, 400, "severity: want an integer from -32768 to 32767"},
		{"body id contradicts the path (PUT)", "PUT", item, editor, `{"id":` + strconv.FormatInt(other, 10) + `,` + bld(`"name":"x"`)[1:], 400,
			fmt.Sprintf("id: the body names feature %q but the path names feature %q", strconv.FormatInt(other, 10), strconv.FormatInt(building, 10))},
		{"id property contradicts the path (PUT)", "PUT", item, editor, bld(fmt.Sprintf(`"name":"x","id":%d`, other)), 400, "id: the body names feature"},
		{"body id contradicts the path (PATCH)", "PATCH", item, editor, fmt.Sprintf(`{"id":"%d","properties":{"name":"x"}}`, other), 400, "the path names feature"},
		{"body id not a string or number", "PATCH", item, editor, `{"id":{"a":1},"properties":{"name":"x"}}`, 400, "id: want a string or a number"},
		{"null for a required property", "PATCH", item, editor, `{"properties":{"name":null}}`, 400, "name: is required"},
		{"null for all properties", "PATCH", item, editor, `{"properties":null}`, 400, "properties: null would clear every property"},
		{"duplicate property", "PATCH", item, editor, `{"properties":{"name":"a","name":"b"}}`, 400, "name: given twice in one JSON object"},
		{"duplicate member", "PUT", item, editor, `{"type":"Feature","type":"Feature","properties":{}}`, 400, "type: given twice"},
		// Crisis unit.
		{"member: NUL in the name", "POST", unit, editor, `{"role":"altro","name":"Mario\u0000Rossi"}`, 400, "name: holds the control character U+0000"},
		{"member: duplicate member", "POST", unit, editor, `{"role":"altro","name":"Mario Rossi","name":"Anna Bianchi"}`, 400, "name: given twice"},
		{"member: null for a required member", "PATCH", fmt.Sprintf("%s/%d", unit, member), editor, `{"name":null}`, 400, "name: is required"},
		{"member: wrong type", "PATCH", fmt.Sprintf("%s/%d", unit, member), editor, `{"phone":393331234567}`, 400, "phone: want a string"},
		// Plan transitions.
		{"transition: NUL in the reason", "POST", s.URL + "/civil-protection/plans/019035/submit", editor, `{"reason":"pronto\u0000"}`, 400, "reason: holds the control character U+0000"},
		{"transition: unknown member", "POST", s.URL + "/civil-protection/plans/019035/submit", editor, `{"reasn":"pronto"}`, 400, "reasn: unknown member"},
		{"transition: wrong type", "POST", s.URL + "/civil-protection/plans/019035/submit", editor, `{"reason":42}`, 400, "reason: want a string"},
		{"transition: duplicate member", "POST", s.URL + "/civil-protection/plans/019035/submit", editor, `{"reason":"a","reason":"b"}`, 400, "reason: given twice"},
		// Energy communities.
		{"community: NUL in the name", "POST", s.URL + "/energy/communities", admin, `{"name":"CER\u0000","status":"proposed","comuni":["019035"]}`, 400, "name: holds the control character U+0000"},
		{"community: null comuni", "PATCH", communities, admin, `{"comuni":null}`, 400, "comuni: is required; send the list of ISTAT codes"},
		{"community: null name", "PATCH", communities, admin, `{"name":null}`, 400, "name: is required"},
		{"community: null status", "PATCH", communities, admin, `{"status":null}`, 400, "status: is required; one of"},
		{"community: comuni not a list", "PATCH", communities, admin, `{"comuni":"019035"}`, 400, "comuni: want a list of ISTAT codes"},
		{"community: a number for a name", "POST", s.URL + "/energy/communities", admin, `{"name":7,"status":"proposed","comuni":["019035"]}`, 400, "name: want a string"},
		{"community: unknown member", "PATCH", communities, admin, `{"members":[]}`, 400, "members: unknown member"},
		{"community: duplicate member", "PATCH", communities, admin, `{"status":"proposed","status":"operating"}`, 400, "status: given twice"},
	}
	before := snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := sendRaw(t, tt.method, tt.url, tt.body, "Authorization", tt.token)
			expectStatus(t, tt.name, res, body, tt.status)
			if d := problemDetail(t, body); !strings.Contains(d, tt.detail) {
				t.Errorf("detail %q does not contain %q", d, tt.detail)
			}
		})
	}
	// Writes take CRS84: a body declared in EPSG:3003 is refused, not
	// read as longitude and latitude.
	for _, crs := range []string{"<http://www.opengis.net/def/crs/EPSG/0/3003>", "<http://www.opengis.net/def/crs/EPSG/0/4326>", "EPSG:6707", "<nonsense>"} {
		res, body := sendRaw(t, "POST", buildings, bld(`"name":"Scuola in Gauss-Boaga"`), "Authorization", editor, "Content-Crs", crs)
		expectStatus(t, "POST with Content-Crs "+crs, res, body, http.StatusBadRequest)
		if d := problemDetail(t, body); !strings.Contains(d, "Content-Crs: writes take CRS84 coordinates (longitude, latitude) only") {
			t.Errorf("POST with Content-Crs %s: detail %q", crs, d)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("refused writes changed the database: %s -> %s", before, after)
	}

	// What is fine: the feature's own id, as a number or a string, in the
	// body and among the properties (a GET sent back with PUT); lines in a
	// multi-line property; null clearing a community's referent.
	res, body := sendRaw(t, "PUT", item, fmt.Sprintf(`{"id":%d,`, building)+bld(fmt.Sprintf(`"name":"Scuola \"Galmozzi\"","id":"%d"`, building))[1:],
		"Authorization", editor, "Content-Crs", "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>")
	expectStatus(t, "PUT with its own id", res, body, http.StatusOK)
	if got := res.Header.Get("Content-Crs"); got != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
		t.Errorf("PUT answered Content-Crs %q, want CRS84", got)
	}
	res, body = sendRaw(t, "POST", s.URL+"/collections/scenarios/items",
		`{"type":"Feature","properties":{"istat_code":"019035","hazard":"altro","title":"t","severity":1,"description":"prima riga\r\nseconda\triga"},`+
			`"geometry":`+square+`}`, "Authorization", editor)
	expectStatus(t, "a multi-line description", res, body, http.StatusCreated)
	res, body = sendRaw(t, "PATCH", communities, `{"referent":null}`, "Authorization", admin)
	expectStatus(t, "null referent", res, body, http.StatusOK)
	var c struct {
		Community struct {
			Referent string `json:"referent"`
		} `json:"community"`
	}
	if err := json.Unmarshal(body, &c); err != nil || c.Community.Referent != "" {
		t.Errorf("referent after null = %q (%v), want it cleared", c.Community.Referent, err)
	}
}
