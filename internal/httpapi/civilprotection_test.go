package httpapi_test

import (
	"bytes"
	"context"
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
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/testserver"
)

// agnadello is the "other comune" of the role tests: a draft plan in the
// demo, outside the demo tokens' scope (Crema).
const agnadello = "019002"

// cpEnv is the civil-protection test environment: one server with the full
// demo, the demo tokens, and every response body seen, so that the end of
// the test can look for personal data where it must never be.
type cpEnv struct {
	s      *testserver.Server
	tokens map[string]string // role (or role@comune) -> secret

	mu        sync.Mutex
	responses []cpResponse
}

// cpResponse is one response seen by the test.
type cpResponse struct {
	method, path string
	request      string // the request's own text (URL and body): echoing it is no leak
	status       int
	body         []byte
	// private: an authorised read or write of the crisis unit, whose body
	// may hold personal data.
	private bool
}

// call sends a request with an optional bearer token and JSON body (a
// string or anything to marshal) and records the response.
func (e *cpEnv) call(tb testing.TB, method, path, token string, body any, header ...string) (*http.Response, []byte) {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.s.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
		if strings.HasPrefix(path, "/collections/") {
			req.Header.Set("Content-Type", "application/geo+json")
		}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	e.mu.Lock()
	reqText, _ := url.PathUnescape(strings.ReplaceAll(path, "+", "%20")) // + is a space in a query
	if j, ok := body.(string); ok {
		reqText += j
	}
	e.responses = append(e.responses, cpResponse{method, path, reqText, res.StatusCode, b,
		strings.Contains(path, "/crisis-unit") && res.StatusCode < 300})
	e.mu.Unlock()
	return res, b
}

// expect calls and checks the status.
func (e *cpEnv) expect(tb testing.TB, want int, method, path, token string, body any, header ...string) (*http.Response, []byte) {
	tb.Helper()
	res, b := e.call(tb, method, path, token, body, header...)
	if res.StatusCode != want {
		tb.Fatalf("%s %s = %d, want %d; body: %.600s", method, path, res.StatusCode, want, b)
	}
	return res, b
}

// problemDetail returns the detail of a problem+json body.
func problemDetail(tb testing.TB, b []byte) string {
	tb.Helper()
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Field, Reason string
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		tb.Fatalf("not a problem: %v: %s", err, b)
	}
	return p.Detail
}

func (e *cpEnv) exec(tb testing.TB, sql string, args ...any) {
	tb.Helper()
	if _, err := e.s.DB.Write.Exec(context.Background(), sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

func (e *cpEnv) queryInt(tb testing.TB, sql string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := e.s.DB.Write.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return n
}

// setPlan puts a plan in a status directly (test set-up, not a transition).
func (e *cpEnv) setPlan(tb testing.TB, code, status string) {
	tb.Helper()
	e.exec(tb, `UPDATE cp_plans SET status = $2 WHERE istat_code = $1`, code, status)
}

// fixtureScenario adds a small scenario inside the comune (its plan must be
// open) and returns its id.
func (e *cpEnv) fixtureScenario(tb testing.TB, code string) int64 {
	tb.Helper()
	return e.queryInt(tb, `INSERT INTO cp_scenarios (istat_code, hazard, title, severity, geom)
		SELECT istat_code, 'altro', 'test fixture', 1, ST_Multi(ST_Buffer(ST_PointOnSurface(geom)::geography, 40, 'quad_segs=2')::geometry)
		FROM comuni WHERE istat_code = $1 RETURNING id`, code)
}

// insideComune is a small GeoJSON polygon inside the comune.
func (e *cpEnv) insideComune(tb testing.TB, code string) json.RawMessage {
	tb.Helper()
	var g string
	if err := e.s.DB.Write.QueryRow(context.Background(), `SELECT ST_AsGeoJSON(ST_Buffer(ST_PointOnSurface(geom)::geography, 60, 'quad_segs=2')::geometry)
		FROM comuni WHERE istat_code = $1`, code).Scan(&g); err != nil {
		tb.Fatal(err)
	}
	return json.RawMessage(g)
}

func scenarioFeature(code string, geom json.RawMessage) map[string]any {
	return map[string]any{"type": "Feature", "geometry": geom, "properties": map[string]any{
		"istat_code": code, "hazard": "altro", "title": "role test", "severity": 1}}
}

// TestCivilProtection runs the civil-protection HTTP tests on one server
// with the full demo (loading it takes most of the time).
func TestCivilProtection(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	e := &cpEnv{s: s, tokens: map[string]string{}}
	toks, err := demo.CreateTokens(ctx, s.DB.Write)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		e.tokens[string(tk.Role)] = tk.Secret
	}
	// The personal data of the demo: what must never leak.
	var pii []string
	rows, err := s.DB.Read.Query(ctx, `SELECT name, phone, email FROM cp_crisis_unit ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, p, m string
		if err := rows.Scan(&n, &p, &m); err != nil {
			t.Fatal(err)
		}
		pii = append(pii, n, p, m)
	}
	if len(pii) < 3*48*3 {
		t.Fatalf("the demo has %d crisis-unit values, want at least %d", len(pii), 3*48*3)
	}

	// In order: the first ones read the demo as loaded.
	t.Run("Layers", func(t *testing.T) { testCPLayers(t, e) })
	t.Run("PlanHistoryVisibility", func(t *testing.T) { testCPHistoryVisibility(t, e) })
	t.Run("DemoTokens", func(t *testing.T) { testCPDemoTokens(t, e) })
	t.Run("Role", func(t *testing.T) { testCPRoles(t, e) })
	t.Run("PlanLifecycle", func(t *testing.T) { testCPLifecycle(t, e) })
	t.Run("IfMatch", func(t *testing.T) { testCPIfMatch(t, e) })
	t.Run("RoundTrip", func(t *testing.T) { testCPRoundTrip(t, e) })
	t.Run("Datetime", func(t *testing.T) { testCPDatetime(t, e) })
	t.Run("InvalidGeometry", func(t *testing.T) { testCPInvalidGeometry(t, e) })
	t.Run("CrisisUnit", func(t *testing.T) { pii = append(pii, testCPCrisisUnit(t, e)...) })
	t.Run("Audit", func(t *testing.T) { testCPAudit(t, e) })
	t.Run("Exposure", func(t *testing.T) { testCPExposure(t, e) })
	t.Run("PrivateDataAbsent", func(t *testing.T) { testCPPrivateAbsent(t, e, pii) })
	// Last: every response of every subtest above.
	t.Run("NoPersonalDataInResponses", func(t *testing.T) {
		e.mu.Lock()
		defer e.mu.Unlock()
		private := 0
		for _, r := range e.responses {
			if r.private {
				private++
				continue
			}
			for _, v := range pii {
				if bytes.Contains(r.body, []byte(v)) && !strings.Contains(r.request, v) {
					t.Errorf("%s %s (%d) contains personal data %q: %.300s", r.method, r.path, r.status, v, r.body)
				}
			}
		}
		if len(e.responses)-private < 200 || private < 5 {
			t.Errorf("checked %d responses (%d private skipped): the subtests did not run?", len(e.responses), private)
		}
	})
}

func testCPLayers(t *testing.T, e *cpEnv) {
	var cols struct {
		Collections []struct {
			ID           string `json:"id"`
			GeometryType string `json:"geometryType"`
		} `json:"collections"`
	}
	_, b := e.expect(t, 200, "GET", "/collections", "", nil)
	if err := json.Unmarshal(b, &cols); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cols.Collections {
		ids = append(ids, c.ID)
		if strings.Contains(c.ID, "crisis") {
			t.Errorf("collection %s is listed", c.ID)
		}
	}
	for _, want := range []string{"scenarios", "emergency-areas", "emergency-area-points", "strategic-buildings", "plan-status"} {
		if !slices.Contains(ids, want) {
			t.Errorf("/collections lacks %s (has %v)", want, ids)
		}
	}
	for _, p := range []string{"/collections/crisis-unit", "/collections/crisis-unit/items", "/collections/cp_crisis_unit/items", "/tiles/crisis-unit/12/2170/1468.mvt"} {
		e.expect(t, 404, "GET", p, e.tokens["admin"], nil)
	}

	// Which comuni have a validated plan, and since when.
	var page itemsPage
	_, b = e.expect(t, 200, "GET", "/collections/plan-status/items?has_validated_plan=true&limit=100", "", nil)
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range page.Features {
		got = append(got, f.ID.(string))
		if f.ID == crema && (f.Properties["status"] != "draft" || f.Properties["version"] != 2.0 ||
			f.Properties["validated_version"] != 1.0 || !strings.HasPrefix(f.Properties["validated_at"].(string), "2025-02-20T11:30:00")) {
			t.Errorf("plan-status of Crema = %v, want a draft of version 2 with version 1 validated on 2025-02-20", f.Properties)
		}
	}
	sort.Strings(got)
	if want := []string{crema, "019072", "019094"}; !slices.Equal(got, want) {
		t.Errorf("comuni with a validated plan = %v, want %v", got, want)
	}
	var plans struct {
		Plans []struct {
			ISTATCode, Name, Status string
			Version                 int
		} `json:"plans"`
	}
	_, b = e.expect(t, 200, "GET", "/civil-protection/plans", "", nil)
	if err := json.Unmarshal(b, &plans); err != nil {
		t.Fatal(err)
	}
	status := map[string]int{}
	for _, p := range plans.Plans {
		status[p.Status]++
	}
	if len(plans.Plans) != 48 || status["submitted"] != 1 || status["validated"] != 2 || status["returned"] != 1 || status["draft"] != 44 {
		t.Errorf("plans: %d, by status %v; want 48 with 1 submitted, 2 validated, 1 returned, 44 drafts", len(plans.Plans), status)
	}
	_, b = e.expect(t, 200, "GET", "/civil-protection/plans?status=returned", "", nil)
	if !strings.Contains(string(b), `"019079"`) || strings.Count(string(b), "istat_code") != 1 {
		t.Errorf("?status=returned = %s, want Ricengo only", b)
	}
	e.expect(t, 400, "GET", "/civil-protection/plans?status=lost", "", nil)

	// Editable layers answer GET with the row version as ETag.
	id := e.queryInt(t, `SELECT min(id) FROM cp_scenarios WHERE istat_code = $1`, crema)
	res, _ := e.expect(t, 200, "GET", fmt.Sprintf("/collections/scenarios/items/%d", id), "", nil)
	if res.Header.Get("ETag") != `"1"` {
		t.Errorf("ETag of a demo scenario = %q, want \"1\"", res.Header.Get("ETag"))
	}
}

// planBody is the JSON of a plan.
type planBody struct {
	ISTATCode        string  `json:"istat_code"`
	Status           string  `json:"status"`
	Version          int     `json:"version"`
	ValidatedAt      *string `json:"validated_at"`
	ValidatedVersion *int    `json:"validated_version"`
	HasValidatedPlan bool    `json:"has_validated_plan"`
	Counts           struct {
		Scenarios int `json:"scenarios"`
	} `json:"counts"`
	History []map[string]any `json:"history"`
}

func (e *cpEnv) plan(tb testing.TB, code, token string) planBody {
	tb.Helper()
	_, b := e.expect(tb, 200, "GET", "/civil-protection/plans/"+code, token, nil)
	var p planBody
	if err := json.Unmarshal(b, &p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// testCPHistoryVisibility: roles and times are public, actors and reasons
// only for callers who may read the comune's private data.
func testCPHistoryVisibility(t *testing.T, e *cpEnv) {
	for _, tt := range []struct {
		name, token string
		private     bool
	}{
		{"anonymous", "", false},
		{"private-reader of Crema", e.tokens["private-reader"], true},
		{"admin", e.tokens["admin"], true},
	} {
		p := e.plan(t, crema, tt.token)
		if len(p.History) != 3 {
			t.Fatalf("%s: Crema's history has %d entries, want 3", tt.name, len(p.History))
		}
		last := p.History[2]
		if last["from"] != "validated" || last["to"] != "draft" || last["role"] != "editor" || last["version"] != 2.0 || last["at"] != "2025-09-01T09:00:00Z" {
			t.Errorf("%s: last entry = %v", tt.name, last)
		}
		_, hasActor := last["actor"]
		_, hasReason := last["reason"]
		if hasActor != tt.private || hasReason != tt.private {
			t.Errorf("%s: actor shown %v, reason shown %v; want %v", tt.name, hasActor, hasReason, tt.private)
		}
	}
	// A token of another comune sees the public history only.
	secret, _, err := auth.NewStore(e.s.DB.Write).CreateToken(context.Background(), "validator of Agnadello", auth.Validator, []string{agnadello})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["validator@"+agnadello] = secret
	p := e.plan(t, crema, secret)
	if _, ok := p.History[0]["actor"]; ok {
		t.Errorf("a token of another comune sees Crema's actors: %v", p.History[0])
	}
	e.expect(t, 404, "GET", "/civil-protection/plans/999999", "", nil)
	e.expect(t, 404, "GET", "/civil-protection/plans/crema", "", nil)
}

func testCPDemoTokens(t *testing.T, e *cpEnv) {
	if len(e.tokens) < 4 {
		t.Fatalf("demo tokens: %v", e.tokens)
	}
	toks, err := demo.CreateTokens(context.Background(), e.s.DB.Write)
	if err != nil {
		t.Fatal(err)
	}
	// The tokens of the earlier run are revoked.
	e.expect(t, 401, "GET", "/civil-protection/plans/"+crema+"/crisis-unit", e.tokens["editor"], nil)
	for _, tk := range toks {
		e.tokens[string(tk.Role)] = tk.Secret
		if tk.Role != auth.Admin && !slices.Equal(tk.Comuni, []string{crema}) {
			t.Errorf("demo %s token acts on %v, want Crema", tk.Role, tk.Comuni)
		}
	}
	e.expect(t, 200, "GET", "/civil-protection/plans/"+crema+"/crisis-unit", e.tokens["editor"], nil)
	var out bytes.Buffer
	if err := demo.WriteTokens(&out, toks); err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if !strings.Contains(out.String(), tk.Secret) || !strings.Contains(out.String(), string(tk.Role)) {
			t.Errorf("WriteTokens does not print the %s token:\n%s", tk.Role, out.String())
		}
	}
	if n := e.queryInt(t, `SELECT count(*) FROM api_tokens WHERE name LIKE 'demo token: %' AND revoked_at IS NULL`); n != 4 {
		t.Errorf("%d active demo tokens, want 4", n)
	}
}

// The actions of the role table, in its column order.
var cpActions = []string{"read-layer", "create", "update", "delete", "crisis-read", "crisis-write", "submit", "validate", "return", "reopen"}

// cpAct takes one action on comune code with token and returns the status.
func (e *cpEnv) act(tb testing.TB, action, code, token string) int {
	tb.Helper()
	var res *http.Response
	switch action {
	case "read-layer":
		res, _ = e.call(tb, "GET", "/collections/scenarios/items?limit=2&istat_code="+code, token, nil)
	case "create":
		e.setPlan(tb, code, "draft")
		res, _ = e.call(tb, "POST", "/collections/scenarios/items", token, scenarioFeature(code, e.insideComune(tb, code)))
	case "update":
		e.setPlan(tb, code, "draft")
		id := e.fixtureScenario(tb, code)
		res, _ = e.call(tb, "PATCH", fmt.Sprintf("/collections/scenarios/items/%d", id), token, map[string]any{"properties": map[string]any{"title": "changed"}})
	case "delete":
		e.setPlan(tb, code, "draft")
		id := e.fixtureScenario(tb, code)
		res, _ = e.call(tb, "DELETE", fmt.Sprintf("/collections/scenarios/items/%d", id), token, nil)
	case "crisis-read":
		res, _ = e.call(tb, "GET", "/civil-protection/plans/"+code+"/crisis-unit", token, nil)
	case "crisis-write":
		e.setPlan(tb, code, "draft")
		res, _ = e.call(tb, "POST", "/civil-protection/plans/"+code+"/crisis-unit", token,
			map[string]any{"role": "volontariato", "name": "Volontario Prova " + code, "phone": "+39 000 777 0001"})
	case "submit":
		e.setPlan(tb, code, "draft")
		res, _ = e.call(tb, "POST", "/civil-protection/plans/"+code+"/submit", token, nil)
	case "validate":
		e.setPlan(tb, code, "submitted")
		res, _ = e.call(tb, "POST", "/civil-protection/plans/"+code+"/validate", token, nil)
	case "return":
		e.setPlan(tb, code, "submitted")
		res, _ = e.call(tb, "POST", "/civil-protection/plans/"+code+"/return", token, map[string]any{"reason": "role test"})
	case "reopen":
		e.setPlan(tb, code, "validated")
		res, _ = e.call(tb, "POST", "/civil-protection/plans/"+code+"/reopen", token, nil)
	default:
		tb.Fatalf("unknown action %s", action)
	}
	return res.StatusCode
}

// testCPRoles is the role x scope x action table: every role, on its own
// comune (Crema, the demo tokens' scope) and on another (Agnadello).
func testCPRoles(t *testing.T, e *cpEnv) {
	const ok, created, gone, unauth, forbid = 200, 201, 204, 401, 403
	tests := []struct {
		role, scope string
		want        [10]int // in cpActions order
	}{
		{"anonymous", "own", [10]int{ok, unauth, unauth, unauth, unauth, unauth, unauth, unauth, unauth, unauth}},
		{"anonymous", "other", [10]int{ok, unauth, unauth, unauth, unauth, unauth, unauth, unauth, unauth, unauth}},
		{"admin", "own", [10]int{ok, created, ok, gone, ok, created, ok, ok, ok, ok}},
		{"admin", "other", [10]int{ok, created, ok, gone, ok, created, ok, ok, ok, ok}},
		{"editor", "own", [10]int{ok, created, ok, gone, ok, created, ok, forbid, forbid, ok}},
		{"editor", "other", [10]int{ok, forbid, forbid, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
		{"validator", "own", [10]int{ok, forbid, forbid, forbid, ok, forbid, ok, ok, ok, ok}},
		{"validator", "other", [10]int{ok, forbid, forbid, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
		{"private-reader", "own", [10]int{ok, forbid, forbid, forbid, ok, forbid, forbid, forbid, forbid, forbid}},
		{"private-reader", "other", [10]int{ok, forbid, forbid, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	}
	for _, tt := range tests {
		code := crema
		if tt.scope == "other" {
			code = agnadello
		}
		for i, action := range cpActions {
			t.Run(tt.role+"/"+tt.scope+"/"+action, func(t *testing.T) {
				if got := e.act(t, action, code, e.tokens[tt.role]); got != tt.want[i] {
					t.Errorf("%s on %s comune: %s = %d, want %d", tt.role, tt.scope, action, got, tt.want[i])
				}
			})
		}
	}
	// Back to the demo's states.
	e.setPlan(t, crema, "draft")
	e.setPlan(t, agnadello, "draft")
}

func testCPLifecycle(t *testing.T, e *cpEnv) {
	const code = "019012" // Capergnanica: a draft in the demo
	store := auth.NewStore(e.s.DB.Write)
	editor, _, err := store.CreateToken(context.Background(), "ufficio tecnico Capergnanica", auth.Editor, []string{code})
	if err != nil {
		t.Fatal(err)
	}
	validator, _, err := store.CreateToken(context.Background(), "responsabile protezione civile Capergnanica", auth.Validator, []string{code})
	if err != nil {
		t.Fatal(err)
	}
	scenario := e.fixtureScenario(t, code)
	item := fmt.Sprintf("/collections/scenarios/items/%d", scenario)
	base := "/civil-protection/plans/" + code
	transition := func(t *testing.T, want int, name, token string, body any) planBody {
		t.Helper()
		_, b := e.expect(t, want, "POST", base+"/"+name, token, body)
		var p planBody
		if want == 200 {
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	conflict := func(t *testing.T, name, token string, body any, detail string) {
		t.Helper()
		_, b := e.expect(t, 409, "POST", base+"/"+name, token, body)
		if got := problemDetail(t, b); got != detail {
			t.Errorf("%s: detail = %q, want %q", name, got, detail)
		}
	}
	frozen := func(t *testing.T, status, until string) {
		t.Helper()
		want := "the civil-protection plan of comune " + code + " is " + status + ": it cannot change until it is " + until
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{"PATCH", item, map[string]any{"properties": map[string]any{"title": "frozen?"}}},
			{"DELETE", item, nil},
			{"POST", "/collections/scenarios/items", scenarioFeature(code, e.insideComune(t, code))},
			{"POST", base + "/crisis-unit", map[string]any{"role": "altro", "name": "Persona Prova"}},
		} {
			_, b := e.expect(t, 409, r.method, r.path, editor, r.body)
			if got := problemDetail(t, b); got != want {
				t.Errorf("%s %s on a %s plan: detail = %q, want %q", r.method, r.path, status, got, want)
			}
		}
	}

	p := e.plan(t, code, "")
	if p.Status != "draft" || p.Version != 1 || len(p.History) != 0 || p.Counts.Scenarios == 0 {
		t.Fatalf("Capergnanica's plan = %+v, want a draft of version 1 without history", p)
	}
	conflict(t, "validate", validator, nil, "plan 019012 is a draft; only submit is possible")
	conflict(t, "reopen", editor, nil, "plan 019012 is a draft; only submit is possible")
	e.expect(t, 400, "POST", base+"/return", validator, map[string]any{"reason": "  "})
	e.expect(t, 400, "POST", base+"/submit", editor, `{"reason": 3}`)
	e.expect(t, 400, "POST", base+"/submit", editor, `not json`)

	p = transition(t, 200, "submit", editor, nil)
	if p.Status != "submitted" {
		t.Errorf("after submit: %s", p.Status)
	}
	conflict(t, "submit", editor, nil, "plan 019012 is submitted; only validate or return is possible")
	frozen(t, "submitted", "validated or returned")

	p = transition(t, 200, "return", validator, map[string]any{"reason": "manca la capacità dell'area di accoglienza"})
	if p.Status != "returned" {
		t.Errorf("after return: %s", p.Status)
	}
	conflict(t, "validate", validator, nil, "plan 019012 was returned; only submit is possible")
	e.expect(t, 200, "PATCH", item, editor, map[string]any{"properties": map[string]any{"title": "corretto"}})

	transition(t, 200, "submit", validator, nil)
	p = transition(t, 200, "validate", validator, nil)
	if p.Status != "validated" || p.ValidatedAt == nil || p.ValidatedVersion == nil || *p.ValidatedVersion != 1 || !p.HasValidatedPlan {
		t.Errorf("after validate: %+v", p)
	}
	conflict(t, "submit", editor, nil, "plan 019012 is validated; only reopen is possible")
	conflict(t, "return", validator, map[string]any{"reason": "x"}, "plan 019012 is validated; only reopen is possible")
	frozen(t, "validated", "reopened as a new version")

	p = transition(t, 200, "reopen", editor, map[string]any{"reason": "aggiornamento"})
	if p.Status != "draft" || p.Version != 2 || p.ValidatedVersion == nil || *p.ValidatedVersion != 1 || !p.HasValidatedPlan {
		t.Errorf("after reopen: %+v, want a draft of version 2 keeping version 1 validated", p)
	}
	e.expect(t, 200, "PATCH", item, editor, map[string]any{"properties": map[string]any{"severity": 2}})

	// The history, as the public and as the comune's validator see it.
	pub, priv := e.plan(t, code, ""), e.plan(t, code, validator)
	var steps []string
	for i, h := range pub.History {
		steps = append(steps, fmt.Sprintf("%v>%v v%v by %v", h["from"], h["to"], h["version"], h["role"]))
		if _, ok := h["actor"]; ok {
			t.Errorf("the public history shows an actor: %v", h)
		}
		if priv.History[i]["actor"] == nil {
			t.Errorf("the validator does not see the actor: %v", priv.History[i])
		}
	}
	want := []string{"draft>submitted v1 by editor", "submitted>returned v1 by validator", "returned>submitted v1 by validator",
		"submitted>validated v1 by validator", "validated>draft v2 by editor"}
	if !slices.Equal(steps, want) {
		t.Errorf("history = %v, want %v", steps, want)
	}
	if priv.History[1]["reason"] != "manca la capacità dell'area di accoglienza" || priv.History[1]["actor"] != "responsabile protezione civile Capergnanica" {
		t.Errorf("the validator's view of the return: %v", priv.History[1])
	}
	// One audit row per transition, with the plan before and after.
	if n := e.queryInt(t, `SELECT count(*) FROM audit_log WHERE action = 'transition' AND collection = 'plans' AND object_id = $1
		AND before->>'status' IS NOT NULL AND after->>'status' IS NOT NULL AND istat_code = $1`, code); n != 5 {
		t.Errorf("%d transition audit rows, want 5", n)
	}
	if n := e.queryInt(t, `SELECT count(*) FROM audit_log WHERE action = 'transition' AND object_id = $1
		AND before->>'status' = 'submitted' AND after->>'status' = 'returned' AND reason LIKE 'manca%'`, code); n != 1 {
		t.Errorf("the return's audit row is missing or wrong")
	}
	// The public layer follows.
	if err := e.s.Versions.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, b := e.expect(t, 200, "GET", "/collections/plan-status/items/"+code, "", nil)
	var f geojson.Feature
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Properties["status"] != "draft" || f.Properties["version"] != 2.0 || f.Properties["has_validated_plan"] != true {
		t.Errorf("plan-status of %s = %v", code, f.Properties)
	}
	// Unknown comuni and callers.
	e.expect(t, 401, "POST", "/civil-protection/plans/999999/submit", "", nil)
	e.expect(t, 401, "POST", base+"/submit", "", nil)
	e.expect(t, 401, "POST", base+"/submit", "atl_notavalidtoken", nil)
	e.expect(t, 403, "POST", "/civil-protection/plans/999999/submit", editor, nil)
	e.expect(t, 404, "POST", "/civil-protection/plans/999999/submit", e.tokens["admin"], nil)
	e.expect(t, 404, "POST", base+"/archive", e.tokens["admin"], nil)
}

func testCPIfMatch(t *testing.T, e *cpEnv) {
	editor := e.tokens["editor"]
	id := e.fixtureScenario(t, crema)
	item := fmt.Sprintf("/collections/scenarios/items/%d", id)
	res, _ := e.expect(t, 200, "GET", item, "", nil)
	tag := res.Header.Get("ETag")
	res, _ = e.expect(t, 200, "PATCH", item, editor, map[string]any{"properties": map[string]any{"title": "first"}}, "If-Match", tag)
	newTag := res.Header.Get("ETag")
	if newTag == tag || newTag == "" {
		t.Errorf("ETag after a change = %q, was %q", newTag, tag)
	}
	_, b := e.expect(t, 412, "PATCH", item, editor, map[string]any{"properties": map[string]any{"title": "second"}}, "If-Match", tag)
	if !strings.Contains(problemDetail(t, b), newTag) {
		t.Errorf("412 detail does not give the current ETag %s: %s", newTag, b)
	}
	e.expect(t, 412, "DELETE", item, editor, nil, "If-Match", tag)
	e.expect(t, 204, "DELETE", item, editor, nil, "If-Match", newTag)

	// The same for a crisis-unit member.
	_, b = e.expect(t, 201, "POST", "/civil-protection/plans/"+crema+"/crisis-unit", editor,
		map[string]any{"role": "altro", "name": "Persona Etag", "email": "etag@example.invalid"})
	var m struct{ ID int64 }
	json.Unmarshal(b, &m)
	path := fmt.Sprintf("/civil-protection/plans/%s/crisis-unit/%d", crema, m.ID)
	res, _ = e.expect(t, 200, "GET", path, e.tokens["private-reader"], nil)
	tag = res.Header.Get("ETag")
	res, _ = e.expect(t, 200, "PATCH", path, editor, map[string]any{"phone": "+39 000 123 4567"}, "If-Match", tag)
	e.expect(t, 412, "PUT", path, editor, map[string]any{"role": "altro", "name": "Persona Etag"}, "If-Match", tag)
	e.expect(t, 412, "DELETE", path, editor, nil, "If-Match", tag)
	e.expect(t, 204, "DELETE", path, editor, nil, "If-Match", res.Header.Get("ETag"))
}

// testCPRoundTrip puts back a feature as it was read, with one value
// changed and its ETag, the way GIS clients edit (OGC API – Features Part
// 4): the read-only properties it carries (id, synthetic, updated_at) are
// accepted when unchanged, and a changed one is refused by name.
func testCPRoundTrip(t *testing.T, e *cpEnv) {
	editor := e.tokens["editor"]
	id := e.fixtureScenario(t, crema)
	item := fmt.Sprintf("/collections/scenarios/items/%d", id)
	read := func() (map[string]any, string) {
		res, b := e.expect(t, 200, "GET", item, "", nil)
		var f map[string]any
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		delete(f, "links")
		return f, res.Header.Get("ETag")
	}
	f, tag := read()
	props := f["properties"].(map[string]any)
	for _, p := range []string{"id", "synthetic", "updated_at"} {
		if _, ok := props[p]; !ok {
			t.Fatalf("feature as read has no %s: %v", p, props)
		}
	}
	props["title"] = "round trip"
	propsOf := func(b []byte) map[string]any {
		var f struct{ Properties map[string]any }
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		return f.Properties
	}
	res, b := e.expect(t, 200, "PUT", item, editor, f, "If-Match", tag)
	if propsOf(b)["title"] != "round trip" || res.Header.Get("ETag") == tag {
		t.Errorf("PUT of the feature as read: %s (ETag %s, was %s)", b, res.Header.Get("ETag"), tag)
	}

	// A merge patch that repeats read-only values, as read.
	f, tag = read()
	props = f["properties"].(map[string]any)
	_, b = e.expect(t, 200, "PATCH", item, editor, map[string]any{"properties": map[string]any{
		"severity": 3, "id": props["id"], "synthetic": props["synthetic"], "updated_at": props["updated_at"]}}, "If-Match", tag)
	if propsOf(b)["severity"] != 3.0 {
		t.Errorf("PATCH with unchanged read-only values: %s", b)
	}

	// A read-only value that differs: 400 naming it, and nothing changes.
	f, tag = read()
	for _, tt := range []struct {
		name  string
		value any
	}{
		{"synthetic", !f["properties"].(map[string]any)["synthetic"].(bool)},
		{"updated_at", "2020-01-01T00:00:00Z"},
		{"id", float64(id + 1)},
	} {
		g, _ := read()
		g["properties"].(map[string]any)[tt.name] = tt.value
		g["properties"].(map[string]any)["title"] = "must not be written"
		_, b := e.expect(t, 400, "PUT", item, editor, g, "If-Match", tag)
		// A changed id names the feature the path does not: the body id check
		// answers before the read-only comparison.
		want := "differs from the stored value"
		if tt.name == "id" {
			want = "the path names feature"
		}
		if d := problemDetail(t, b); !strings.HasPrefix(d, tt.name+": ") || !strings.Contains(d, want) {
			t.Errorf("PUT with %s changed: detail %q, want it named", tt.name, d)
		}
		_, b = e.expect(t, 400, "PATCH", item, editor, map[string]any{"properties": map[string]any{tt.name: tt.value}}, "If-Match", tag)
		if d := problemDetail(t, b); !strings.HasPrefix(d, tt.name+": ") {
			t.Errorf("PATCH with %s changed: detail %q, want it named", tt.name, d)
		}
	}
	if after, afterTag := read(); afterTag != tag || after["properties"].(map[string]any)["title"] != "round trip" {
		t.Errorf("a refused change changed the feature: ETag %s (was %s), %v", afterTag, tag, after["properties"])
	}
	// A new feature has no stored values to repeat.
	g := scenarioFeature(crema, e.insideComune(t, crema))
	g["properties"].(map[string]any)["synthetic"] = false
	_, b = e.expect(t, 400, "POST", "/collections/scenarios/items", editor, g)
	if d := problemDetail(t, b); !strings.HasPrefix(d, "synthetic: is set by the server") {
		t.Errorf("POST with a read-only property: detail %q", d)
	}
}

// testCPDatetime selects scenarios by their last change, as GDAL does
// for -where "updated_at > '…'" (datetime=…/..).
func testCPDatetime(t *testing.T, e *cpEnv) {
	// Ten scenarios of a comune with an open plan changed in 2025; the
	// row and plan triggers would stamp now() or refuse.
	e.exec(t, `ALTER TABLE cp_scenarios DISABLE TRIGGER cp_scenarios_row_version, DISABLE TRIGGER cp_scenarios_plan_open`)
	e.exec(t, `UPDATE cp_scenarios SET updated_at = '2025-06-01T12:00:00Z' WHERE id IN (SELECT id FROM cp_scenarios ORDER BY id LIMIT 10)`)
	e.exec(t, `ALTER TABLE cp_scenarios ENABLE TRIGGER cp_scenarios_row_version, ENABLE TRIGGER cp_scenarios_plan_open`)
	var total int
	if err := e.s.DB.Read.QueryRow(context.Background(), `SELECT count(*) FROM cp_scenarios`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		datetime string
		want     int
	}{
		{"2026-01-01T00:00:00Z/..", total - 10},
		{"../2026-01-01T00:00:00Z", 10},
		{"2025-06-01", 10},
		{"2025-06-01T12:00:00Z", 10},
		{"2025-06-01T12:00:01Z/2025-12-31T00:00:00Z", 0},
		{"../..", total},
	}
	for _, tt := range tests {
		q := url.Values{"datetime": {tt.datetime}, "limit": {"1000"}}
		p := items(t, e.s.URL+"/collections/scenarios/items?"+q.Encode())
		if len(p.Features) != tt.want || p.NumberMatched != tt.want {
			t.Errorf("datetime=%s: %d features, numberMatched %d; want %d", tt.datetime, len(p.Features), p.NumberMatched, tt.want)
		}
		for _, f := range p.Features {
			at, err := time.Parse(time.RFC3339Nano, f.Properties["updated_at"].(string))
			in, _ := features.ParseDatetime(tt.datetime)
			if err != nil || (in.Start != nil && at.Before(*in.Start)) || (in.End != nil && at.After(*in.End)) {
				t.Errorf("datetime=%s: feature %v updated at %v (%v)", tt.datetime, f.ID, at, err)
			}
		}
	}
	// Paging keeps the selection.
	p := items(t, e.s.URL+"/collections/scenarios/items?limit=4&datetime=2026-01-01T00:00:00Z/..")
	if next := mustQuery(t, rel(p.Links, "next")); next.Get("datetime") != "2026-01-01T00:00:00Z/.." || next.Get("cursor") == "" {
		t.Errorf("next link query = %v, want the datetime and a cursor", next)
	}
}

func testCPInvalidGeometry(t *testing.T, e *cpEnv) {
	editor := e.tokens["editor"]
	bowTie := json.RawMessage(`{"type":"Polygon","coordinates":[[[9.68,45.36],[9.69,45.37],[9.69,45.36],[9.68,45.37],[9.68,45.36]]]}`)
	_, b := e.expect(t, 422, "POST", "/collections/scenarios/items", editor, scenarioFeature(crema, bowTie))
	if d := problemDetail(t, b); !strings.Contains(d, "self-intersection") || !strings.Contains(d, "automatic repair would change the area") {
		t.Errorf("422 detail = %q, want the reason", d)
	}
	if !strings.Contains(string(b), `"field":"geometry"`) {
		t.Errorf("422 body names no field: %s", b)
	}
	line := json.RawMessage(`{"type":"LineString","coordinates":[[9.68,45.36],[9.69,45.37]]}`)
	_, b = e.expect(t, 422, "POST", "/collections/emergency-areas/items", editor, map[string]any{"type": "Feature", "geometry": line,
		"properties": map[string]any{"istat_code": crema, "kind": "attesa", "name": "x", "capacity": 10}})
	if d := problemDetail(t, b); !strings.Contains(d, "LineString is not accepted") {
		t.Errorf("422 detail = %q", d)
	}
	// A point area is fine in the points layer, a polygon one in the
	// polygons layer; each refuses the other type (one type per layer).
	point := json.RawMessage(`{"type":"Point","coordinates":[9.6855,45.3654]}`)
	area := map[string]any{"istat_code": crema, "kind": "attesa", "name": "Piazza Duomo (test)", "capacity": 250}
	_, b = e.expect(t, 422, "POST", "/collections/emergency-areas/items", editor, map[string]any{"type": "Feature", "geometry": point, "properties": area})
	if d := problemDetail(t, b); !strings.Contains(d, "a Point is not accepted here; use MultiPolygon") {
		t.Errorf("422 detail = %q", d)
	}
	_, b = e.expect(t, 201, "POST", "/collections/emergency-area-points/items", editor, map[string]any{"type": "Feature", "geometry": point, "properties": area})
	var created struct {
		ID       int64 `json:"id"`
		Geometry struct{ Type string }
	}
	if err := json.Unmarshal(b, &created); err != nil || created.Geometry.Type != "Point" {
		t.Fatalf("created point area: %v %s", err, b)
	}
	polygon := json.RawMessage(`{"type":"Polygon","coordinates":[[[9.685,45.365],[9.686,45.365],[9.686,45.366],[9.685,45.365]]]}`)
	e.expect(t, 422, "POST", "/collections/emergency-area-points/items", editor, map[string]any{"type": "Feature", "geometry": polygon, "properties": area})
	_, b = e.expect(t, 201, "POST", "/collections/emergency-areas/items", editor, map[string]any{"type": "Feature", "geometry": polygon, "properties": area})
	if !strings.Contains(string(b), `"type":"MultiPolygon"`) {
		t.Errorf("created polygon area is not stored as a MultiPolygon: %s", b)
	}
	// Each layer sees only its own areas: the point is not a feature of
	// the polygons, to read, change or delete.
	pointPath := fmt.Sprintf("/items/%d", created.ID)
	e.expect(t, 200, "GET", "/collections/emergency-area-points"+pointPath, "", nil)
	e.expect(t, 404, "GET", "/collections/emergency-areas"+pointPath, "", nil)
	e.expect(t, 404, "PATCH", "/collections/emergency-areas"+pointPath, editor, map[string]any{"properties": map[string]any{"capacity": 1}})
	e.expect(t, 404, "PUT", "/collections/emergency-areas"+pointPath, editor, map[string]any{"type": "Feature", "geometry": polygon, "properties": area})
	e.expect(t, 404, "DELETE", "/collections/emergency-areas"+pointPath, editor, nil)
	e.expect(t, 200, "GET", "/collections/emergency-area-points"+pointPath, "", nil)
	_, b = e.expect(t, 400, "POST", "/collections/scenarios/items", editor, map[string]any{"type": "Feature", "geometry": e.insideComune(t, crema),
		"properties": map[string]any{"istat_code": crema, "hazard": "meteorite", "title": "x", "severity": 1}})
	if d := problemDetail(t, b); !strings.Contains(d, "hazard") {
		t.Errorf("400 detail = %q", d)
	}
}

// testCPCrisisUnit checks the crisis-unit endpoints and returns the
// personal data it created.
func testCPCrisisUnit(t *testing.T, e *cpEnv) []string {
	editor, reader := e.tokens["editor"], e.tokens["private-reader"]
	base := "/civil-protection/plans/" + crema + "/crisis-unit"
	memberOf := func(code string) int64 {
		return e.queryInt(t, `SELECT min(id) FROM cp_crisis_unit WHERE istat_code = $1`, code)
	}
	cremaMember, otherMember := memberOf(crema), memberOf(agnadello)

	// Anonymous: 401, the same answer whether the comune or member exists.
	var details []string
	for _, p := range []string{base, fmt.Sprintf("%s/%d", base, cremaMember), base + "/99999999",
		"/civil-protection/plans/999999/crisis-unit", "/civil-protection/plans/999999/crisis-unit/1", "/civil-protection/plans/x/crisis-unit/x"} {
		_, b := e.expect(t, 401, "GET", p, "", nil)
		details = append(details, problemDetail(t, b))
		if strings.HasSuffix(p, "/crisis-unit") {
			_, b = e.expect(t, 401, "POST", p, "", map[string]any{"role": "altro", "name": "x"})
		} else {
			_, b = e.expect(t, 401, "DELETE", p, "", nil)
			e.expect(t, 401, "PATCH", p, "", map[string]any{"name": "x"})
			e.expect(t, 401, "PUT", p, "", map[string]any{"name": "x"})
		}
		details = append(details, problemDetail(t, b))
	}
	for _, d := range details[1:] {
		if d != details[0] {
			t.Errorf("anonymous answers differ: %q vs %q", d, details[0])
		}
	}

	// Another comune: 403, whether or not the member exists.
	other := "/civil-protection/plans/" + agnadello + "/crisis-unit"
	e.expect(t, 403, "GET", other, reader, nil)
	e.expect(t, 403, "GET", fmt.Sprintf("%s/%d", other, otherMember), reader, nil)
	e.expect(t, 403, "GET", other+"/99999999", reader, nil)
	e.expect(t, 403, "PATCH", fmt.Sprintf("%s/%d", other, otherMember), editor, map[string]any{"name": "x"})
	// A member of another comune through one's own: not found.
	e.expect(t, 404, "GET", fmt.Sprintf("%s/%d", base, otherMember), reader, nil)
	e.expect(t, 404, "DELETE", fmt.Sprintf("%s/%d", base, otherMember), editor, nil)
	e.expect(t, 404, "GET", base+"/99999999", reader, nil)
	e.expect(t, 404, "GET", base+"/abc", reader, nil)
	e.expect(t, 404, "GET", "/civil-protection/plans/999999/crisis-unit", e.tokens["admin"], nil)

	// Reading.
	res, b := e.expect(t, 200, "GET", base, reader, nil)
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || !strings.Contains(cc, "private") {
		t.Errorf("Cache-Control of the crisis unit = %q", cc)
	}
	var unit struct {
		Members []struct {
			ID         int64
			Role, Name string
		} `json:"members"`
	}
	if err := json.Unmarshal(b, &unit); err != nil {
		t.Fatal(err)
	}
	// The demo's five, then those the role table added.
	if len(unit.Members) < 5 || unit.Members[0].Role != "sindaco" || unit.Members[0].Name != "Referente Demo 019035-1" ||
		unit.Members[4].Name != "Referente Demo 019035-5" {
		t.Errorf("Crema's crisis unit: %+v", unit.Members)
	}

	// Writing: values are validated, and never quoted back.
	secrets := []string{"Mario Bianchi Riservato", "mario.bianchi.riservato@", "+39 333 1234567 riservato", "Riservatissimo"}
	for _, tt := range []struct {
		body  string
		field string
	}{
		{`{"role":"sindaco","name":"Mario Bianchi Riservato","email":"Mario Bianchi Riservato <mario.bianchi.riservato@example.invalid>"}`, "email"},
		{`{"role":"sindaco","name":"Mario Bianchi Riservato","phone":"+39 333 1234567 riservato"}`, "phone"},
		{`{"role":"capo","name":"Mario Bianchi Riservato"}`, "role"},
		{`{"name":"Mario Bianchi Riservato"}`, "role"},
		{`{"role":"sindaco","name":"Mario Bianchi Riservato","Riservatissimo":"mario.bianchi.riservato@example.invalid"}`, "field"},
		{`{"role":"sindaco","name":["Mario Bianchi Riservato"]}`, "name"},
		{`{"role":"sindaco","name":"Mario Bianchi Riservato","istat_code":"019002"}`, "istat_code"},
	} {
		_, b := e.expect(t, 400, "POST", base, editor, tt.body)
		var p struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		json.Unmarshal(b, &p)
		if len(p.Errors) != 1 || p.Errors[0].Field != tt.field {
			t.Errorf("POST %s: errors = %s, want field %s", tt.body, b, tt.field)
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("POST %s: the error quotes %q: %s", tt.body, s, b)
			}
		}
	}
	e.expect(t, 400, "POST", base, editor, `[1, 2]`)
	e.expect(t, 400, "POST", base, editor, ``)

	res, b = e.expect(t, 201, "POST", base, editor, map[string]any{"role": "tecnico_comunale", "name": "Tecnico Prova Crema",
		"phone": "+39 000 555 1234", "email": "tecnico.prova@example.invalid"})
	var m struct {
		ID           int64
		Name         string
		Phone, Email *string
		Version      int
	}
	json.Unmarshal(b, &m)
	loc := res.Header.Get("Location")
	if loc != fmt.Sprintf("%s/%d", base, m.ID) || res.Header.Get("ETag") != `"1"` {
		t.Errorf("Location %q, ETag %q", loc, res.Header.Get("ETag"))
	}
	_, b = e.expect(t, 200, "PATCH", loc, editor, `{"phone": null}`, "Content-Type", "application/merge-patch+json")
	json.Unmarshal(b, &m)
	if m.Phone != nil || m.Email == nil || m.Version != 2 {
		t.Errorf("after PATCH phone null: %+v", m)
	}
	_, b = e.expect(t, 200, "PUT", loc, editor, map[string]any{"role": "tecnico_comunale", "name": "Tecnico Prova Crema 2"})
	json.Unmarshal(b, &m)
	if m.Email != nil || m.Name != "Tecnico Prova Crema 2" {
		t.Errorf("after PUT without email: %+v", m)
	}
	e.expect(t, 403, "PATCH", loc, reader, map[string]any{"name": "x"})
	e.expect(t, 403, "DELETE", loc, e.tokens["validator"], nil)
	e.expect(t, 204, "DELETE", loc, editor, nil)
	e.expect(t, 404, "GET", loc, reader, nil)
	return []string{"Tecnico Prova Crema", "+39 000 555 1234", "tecnico.prova@example.invalid", "Persona Etag", "etag@example.invalid",
		"Persona Prova", "Volontario Prova", "+39 000 777 0001", "+39 000 123 4567"}
}

func testCPAudit(t *testing.T, e *cpEnv) {
	editor := e.tokens["editor"]
	_, b := e.expect(t, 201, "POST", "/collections/strategic-buildings/items", editor, map[string]any{"type": "Feature",
		"geometry":   json.RawMessage(`{"type":"Point","coordinates":[9.6855,45.3654]}`),
		"properties": map[string]any{"istat_code": crema, "kind": "altro", "name": "Audit test"}})
	var f struct{ ID float64 }
	json.Unmarshal(b, &f)
	item := fmt.Sprintf("/collections/strategic-buildings/items/%d", int64(f.ID))
	e.expect(t, 200, "PATCH", item, editor, map[string]any{"properties": map[string]any{"name": "Audit test 2"}})
	e.expect(t, 204, "DELETE", item, editor, nil)
	id := strconv.FormatInt(int64(f.ID), 10)
	check := func(collection, id string, want []string) {
		t.Helper()
		rows, err := e.s.DB.Write.Query(context.Background(), `SELECT action, coalesce(before->>'name', '-'), coalesce(after->>'name', '-'), actor
			FROM audit_log WHERE collection = $1 AND object_id = $2 ORDER BY id`, collection, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var a, bf, af, actor string
			rows.Scan(&a, &bf, &af, &actor)
			got = append(got, a+": "+bf+" -> "+af+" by "+actor)
		}
		if !slices.Equal(got, want) {
			t.Errorf("audit of %s %s = %q, want %q", collection, id, got, want)
		}
	}
	by := " by demo token: editor for Crema (019035)"
	check("strategic-buildings", id, []string{"create: - -> Audit test" + by, "update: Audit test -> Audit test 2" + by, "delete: Audit test 2 -> -" + by})

	// The crisis unit's audit keeps the member before and after (the audit
	// log is not public; see package civilprotection).
	_, b = e.expect(t, 201, "POST", "/civil-protection/plans/"+crema+"/crisis-unit", editor, map[string]any{"role": "altro", "name": "Persona Audit"})
	var m struct{ ID int64 }
	json.Unmarshal(b, &m)
	path := fmt.Sprintf("/civil-protection/plans/%s/crisis-unit/%d", crema, m.ID)
	e.expect(t, 200, "PATCH", path, editor, map[string]any{"name": "Persona Audit 2"})
	e.expect(t, 204, "DELETE", path, editor, nil)
	check("crisis-unit", strconv.FormatInt(m.ID, 10), []string{"create: - -> Persona Audit" + by, "update: Persona Audit -> Persona Audit 2" + by,
		"delete: Persona Audit 2 -> -" + by})
	// Scenarios written by the role table left their audit rows too.
	if n := e.queryInt(t, `SELECT count(*) FROM audit_log WHERE collection = 'scenarios' AND action = 'create' AND after IS NOT NULL`); n < 3 {
		t.Errorf("%d scenario create audit rows, want at least 3 (admin twice, editor)", n)
	}
}

// cpExposure is the JSON of an exposure.
type cpExposure struct {
	Scenario struct {
		ID        int64  `json:"id"`
		ISTATCode string `json:"istat_code"`
		Hazard    string `json:"hazard"`
	} `json:"scenario"`
	Civici struct {
		Count    int `json:"count"`
		ByStreet []struct {
			ISTATCode string `json:"istat_code"`
			Street    string `json:"street"`
			Civici    int    `json:"civici"`
		} `json:"by_street"`
	} `json:"civici"`
	StrategicBuildings []struct {
		Collection string `json:"collection"`
		ID         int64  `json:"id"`
	} `json:"strategic_buildings"`
	AreasInside []struct {
		Collection string `json:"collection"`
		ID         int64  `json:"id"`
	} `json:"emergency_areas_inside"`
	NearestAreas []struct {
		Collection         string  `json:"collection"`
		ID                 int64   `json:"id"`
		ISTATCode          string  `json:"istat_code"`
		Kind               string  `json:"kind"`
		Capacity           int     `json:"capacity"`
		DistanceM          float64 `json:"distance_m"`
		CumulativeCapacity int     `json:"cumulative_capacity"`
	} `json:"nearest_usable_areas"`
	Capacity struct {
		ExposedCivici         int    `json:"exposed_civici"`
		UsableCapacityPersons int    `json:"usable_capacity_persons"`
		Note                  string `json:"note"`
	} `json:"capacity"`
}

// cpCivico is a civic number read straight from the table.
type cpCivico struct {
	comune, street string
	p              orb.Point
}

// cpPolygonal returns the polygons of a GeoJSON geometry (nil for a point).
func cpPolygonal(g orb.Geometry) orb.MultiPolygon {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

// cpIntersects reports whether geometry g (a point or polygons) meets the
// scenario, independently of PostGIS.
func cpIntersects(scenario orb.MultiPolygon, g orb.Geometry) bool {
	if p, ok := g.(orb.Point); ok {
		return planar.MultiPolygonContains(scenario, p)
	}
	mp := cpPolygonal(g)
	for _, poly := range mp {
		for _, ring := range poly {
			for _, p := range ring {
				if planar.MultiPolygonContains(scenario, p) {
					return true
				}
			}
		}
	}
	for _, sp := range scenario {
		for _, ring := range sp {
			for _, p := range ring {
				if planar.MultiPolygonContains(mp, p) {
					return true
				}
			}
		}
	}
	for _, sp := range scenario {
		for _, sr := range sp {
			for _, poly := range mp {
				for _, r := range poly {
					for i := 1; i < len(sr); i++ {
						for j := 1; j < len(r); j++ {
							if segmentsCross(sr[i-1], sr[i], r[j-1], r[j]) {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

// cpMetresTo is the approximate distance in metres from p to the scenario's
// boundary (local equirectangular projection; enough at a few km).
func cpMetresTo(scenario orb.MultiPolygon, p orb.Point) float64 {
	kx := 111320 * math.Cos(p[1]*math.Pi/180)
	best := math.Inf(1)
	for _, poly := range scenario {
		for _, r := range poly {
			for i := 1; i < len(r); i++ {
				a := orb.Point{(r[i-1][0] - p[0]) * kx, (r[i-1][1] - p[1]) * 111320}
				b := orb.Point{(r[i][0] - p[0]) * kx, (r[i][1] - p[1]) * 111320}
				best = math.Min(best, planar.DistanceFromSegment(a, b, orb.Point{}))
			}
		}
	}
	return best
}

func testCPExposure(t *testing.T, e *cpEnv) {
	ctx := context.Background()
	// The civic numbers, with the street names the search shows.
	rows, err := e.s.DB.Read.Query(ctx, `SELECT v.istat_code, coalesce(s.street, v.street), ST_X(v.geom), ST_Y(v.geom)
		FROM civici v LEFT JOIN coverage_streets s USING (istat_code, street_key)`)
	if err != nil {
		t.Fatal(err)
	}
	var civici []cpCivico
	for rows.Next() {
		var c cpCivico
		if err := rows.Scan(&c.comune, &c.street, &c.p[0], &c.p[1]); err != nil {
			t.Fatal(err)
		}
		civici = append(civici, c)
	}
	if len(civici) < 50000 {
		t.Fatalf("%d civic numbers: the coverage demo is missing", len(civici))
	}
	buildings := items(t, e.s.URL+"/collections/strategic-buildings/items?limit=1000").Features
	// The areas are two layers, one geometry type each; the exposure names
	// the layer of each area it lists.
	areaLayer := map[int64]string{}
	var areas []*geojson.Feature
	for _, layer := range []string{"emergency-areas", "emergency-area-points"} {
		fs := items(t, e.s.URL+"/collections/"+layer+"/items?limit=1000").Features
		for _, f := range fs {
			areaLayer[int64(f.ID.(float64))] = layer
		}
		areas = append(areas, fs...)
	}

	var scenarios []int64
	for _, q := range []string{
		`SELECT id FROM cp_scenarios WHERE istat_code = '019035' AND title LIKE '%Serio%P2%'`,
		`SELECT id FROM cp_scenarios WHERE istat_code = '019035' AND hazard = 'industriale'`,
		`SELECT id FROM cp_scenarios WHERE istat_code = '019035' AND hazard = 'ondate_calore'`,
		`SELECT min(id) FROM cp_scenarios WHERE istat_code = '019102' AND title LIKE '%Adda%P3%'`,
		`SELECT min(id) FROM cp_scenarios WHERE istat_code = '019097' AND hazard = 'idraulico'`,
	} {
		scenarios = append(scenarios, e.queryInt(t, q))
	}
	for _, id := range scenarios {
		t.Run(strconv.FormatInt(id, 10), func(t *testing.T) {
			var x cpExposure
			_, b := e.expect(t, 200, "GET", fmt.Sprintf("/civil-protection/scenarios/%d/exposure?limit=100", id), "", nil)
			if err := json.Unmarshal(b, &x); err != nil {
				t.Fatal(err)
			}
			_, b = e.expect(t, 200, "GET", fmt.Sprintf("/collections/scenarios/items/%d", id), "", nil)
			f, err := geojson.UnmarshalFeature(b)
			if err != nil {
				t.Fatal(err)
			}
			sc := cpPolygonal(f.Geometry)
			code := f.Properties["istat_code"].(string)

			// Civic numbers: total and per street.
			want := map[string]int{}
			total := 0
			for _, c := range civici {
				if planar.MultiPolygonContains(sc, c.p) {
					want[c.comune+"|"+c.street]++
					total++
				}
			}
			got := map[string]int{}
			for _, s := range x.Civici.ByStreet {
				got[s.ISTATCode+"|"+s.Street] += s.Civici
			}
			if x.Civici.Count != total || x.Capacity.ExposedCivici != total {
				t.Errorf("exposed civici = %d (capacity report %d), independent count %d", x.Civici.Count, x.Capacity.ExposedCivici, total)
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("street %s: %d exposed, independent count %d", k, got[k], n)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d streets exposed, independent count %d", len(got), len(want))
			}
			t.Logf("scenario %d (%s, %s): %d civici on %d streets, %d buildings, %d areas inside, %d usable nearby",
				id, code, x.Scenario.Hazard, total, len(want), len(x.StrategicBuildings), len(x.AreasInside), len(x.NearestAreas))

			// Buildings and areas inside.
			ids := func(fs []*geojson.Feature, keep func(*geojson.Feature) bool) []int64 {
				var out []int64
				for _, f := range fs {
					if keep(f) {
						out = append(out, int64(f.ID.(float64)))
					}
				}
				slices.Sort(out)
				return out
			}
			wantB := ids(buildings, func(f *geojson.Feature) bool { return cpIntersects(sc, f.Geometry) })
			var gotB []int64
			for _, b := range x.StrategicBuildings {
				gotB = append(gotB, b.ID)
				if b.Collection != "strategic-buildings" {
					t.Errorf("building %d: collection %q, want strategic-buildings", b.ID, b.Collection)
				}
			}
			slices.Sort(gotB)
			if !slices.Equal(gotB, wantB) {
				t.Errorf("buildings inside = %v, independent %v", gotB, wantB)
			}
			inside := ids(areas, func(f *geojson.Feature) bool { return cpIntersects(sc, f.Geometry) })
			var gotA []int64
			for _, a := range x.AreasInside {
				gotA = append(gotA, a.ID)
				if a.Collection != areaLayer[a.ID] {
					t.Errorf("area inside %d: collection %q, but it is served by %q", a.ID, a.Collection, areaLayer[a.ID])
				}
			}
			slices.Sort(gotA)
			if !slices.Equal(gotA, inside) {
				t.Errorf("areas inside = %v, independent %v", gotA, inside)
			}

			// The nearest usable areas: waiting or shelter, outside, of the
			// comune or within 5 km, nearest first, capacities added up.
			listed := map[int64]bool{}
			sum, last := 0, -1.0
			for _, a := range x.NearestAreas {
				listed[a.ID] = true
				if a.Collection != areaLayer[a.ID] {
					t.Errorf("nearest area %d: collection %q, but it is served by %q", a.ID, a.Collection, areaLayer[a.ID])
				}
				sum += a.Capacity
				if a.CumulativeCapacity != sum || a.DistanceM < last || (a.Kind != "attesa" && a.Kind != "accoglienza") || slices.Contains(inside, a.ID) {
					t.Errorf("nearest area %+v (running total %d, previous distance %.1f)", a, sum, last)
				}
				last = a.DistanceM
			}
			if x.Capacity.UsableCapacityPersons != sum || !strings.Contains(x.Capacity.Note, "addresses") {
				t.Errorf("capacity = %+v, want %d persons and the note", x.Capacity, sum)
			}
			if len(x.NearestAreas) < 100 {
				for _, f := range areas {
					kind := f.Properties["kind"]
					aid := int64(f.ID.(float64))
					if (kind != "attesa" && kind != "accoglienza") || slices.Contains(inside, aid) {
						continue
					}
					var d float64
					if p, ok := f.Geometry.(orb.Point); ok {
						d = cpMetresTo(sc, p)
					} else {
						d = math.Inf(1)
						for _, p := range cpPolygonal(f.Geometry)[0][0] {
							d = math.Min(d, cpMetresTo(sc, p))
						}
					}
					near := f.Properties["istat_code"] == code || d < 4950
					far := f.Properties["istat_code"] != code && d > 5200
					if near && !listed[aid] {
						t.Errorf("usable area %d (%v, %s, %.0f m) is not listed", aid, kind, f.Properties["istat_code"], d)
					}
					if far && listed[aid] {
						t.Errorf("area %d of another comune %.0f m away is listed", aid, d)
					}
				}
			}
		})
	}
	// At least one scenario must have exposed something of each kind, or
	// the comparisons above prove little.
	var civ, bld, ins, near int
	for _, id := range scenarios {
		var x cpExposure
		_, b := e.expect(t, 200, "GET", fmt.Sprintf("/civil-protection/scenarios/%d/exposure", id), "", nil)
		json.Unmarshal(b, &x)
		civ, bld, ins, near = civ+x.Civici.Count, bld+len(x.StrategicBuildings), ins+len(x.AreasInside), near+len(x.NearestAreas)
		if len(x.NearestAreas) > 10 {
			t.Errorf("default limit: %d nearest areas", len(x.NearestAreas))
		}
	}
	if civ == 0 || bld == 0 || ins == 0 || near == 0 {
		t.Errorf("the chosen scenarios expose %d civici, %d buildings, %d areas inside, %d near: pick others", civ, bld, ins, near)
	}
	e.expect(t, 404, "GET", "/civil-protection/scenarios/99999999/exposure", "", nil)
	e.expect(t, 404, "GET", "/civil-protection/scenarios/abc/exposure", "", nil)
	e.expect(t, 400, "GET", fmt.Sprintf("/civil-protection/scenarios/%d/exposure?limit=0", scenarios[0]), "", nil)
	e.expect(t, 400, "GET", fmt.Sprintf("/civil-protection/scenarios/%d/exposure?nope=1", scenarios[0]), "", nil)
}

// testCPPrivateAbsent looks for the crisis unit's personal data in every
// public answer: layers, tiles (decoded), search, and (at the end of the
// test) every error body.
func testCPPrivateAbsent(t *testing.T, e *cpEnv, pii []string) {
	var cols struct {
		Collections []struct {
			ID string `json:"id"`
		} `json:"collections"`
	}
	_, b := e.expect(t, 200, "GET", "/collections", "", nil)
	json.Unmarshal(b, &cols)
	centre := orb.Point{9.683, 45.366} // Crema
	for _, c := range cols.Collections {
		if c.ID != "civici" {
			e.expect(t, 200, "GET", "/collections/"+c.ID+"/items?limit=1000", "", nil)
		}
		e.expect(t, 200, "GET", "/collections/"+c.ID, "", nil)
		e.expect(t, 200, "GET", "/tiles/"+c.ID+".json", "", nil)
		for _, z := range []maptile.Zoom{10, 12, 14} {
			tile := maptile.At(centre, z)
			res, b := e.call(t, "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", c.ID, tile.Z, tile.X, tile.Y), "", nil)
			if res.StatusCode == 404 {
				continue // outside the layer's zooms
			}
			if res.StatusCode != 200 {
				t.Fatalf("tile %s %v: %d", c.ID, tile, res.StatusCode)
			}
			layers, err := mvt.Unmarshal(b)
			if err != nil {
				t.Fatalf("tile %s %v: %v", c.ID, tile, err)
			}
			for _, l := range layers {
				for _, f := range l.Features {
					for k, v := range f.Properties {
						s := fmt.Sprint(v)
						for _, p := range pii {
							if strings.Contains(s, p) {
								t.Errorf("tile %s %v: property %s = %q holds personal data", c.ID, tile, k, s)
							}
						}
					}
				}
			}
		}
	}
	for _, q := range []string{"Referente Demo", "Referente Demo 019035-1", "referente.019035.1@example.invalid", "+39 000 019035 01", "Volontario Prova"} {
		_, b := e.expect(t, 200, "GET", "/coverage/search?q="+url.QueryEscape(q), "", nil)
		var r struct {
			Results []any `json:"results"`
		}
		json.Unmarshal(b, &r)
		if len(r.Results) != 0 {
			t.Errorf("search %q found %d results: %s", q, len(r.Results), b)
		}
	}
	// The API description documents the token-only crisis-unit endpoints,
	// but no collection of them and none of their data.
	_, b = e.expect(t, 200, "GET", "/api", "", nil)
	if bytes.Contains(b, []byte("/collections/crisis")) || bytes.Contains(b, []byte("Referente Demo")) || bytes.Contains(b, []byte("example.invalid")) {
		t.Errorf("the OpenAPI document exposes the crisis unit as a collection or its data")
	}
	if !bytes.Contains(b, []byte("/civil-protection/plans/{istat}/crisis-unit")) {
		t.Errorf("the OpenAPI document does not document the crisis-unit endpoint")
	}
}
