package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/hostile"
	"github.com/cremasco/atlante/internal/testserver"
)

// hostileBound is how long one corpus request may take, first byte to
// last: a bound against hangs and unbounded work on a loaded CI machine
// with the race detector, not a benchmark. The worst request at the
// geometry limits takes about a second there.
const hostileBound = 10 * time.Second

// hostileReadTimeout is the server's read timeout in the corpus run: the
// corpus's bodies that never finish get their 408 after it.
const hostileReadTimeout = 3 * time.Second

// TestHostile runs the adversarial suite over one server with the whole
// demo: first the mixed concurrent reads and writes (mixedConcurrent),
// then the hostile corpus (hostileCorpus), which changes some of the demo.
// The concurrency limit is above the 32 clients of the first; the read
// timeout is short, for the corpus's bodies that never finish.
func TestHostile(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s := testserver.Start(t, testserver.Options{ReadTimeout: hostileReadTimeout, CacheMB: 1, HeavyRequests: 64, Logger: logger})
	t.Run("MixedConcurrent", func(t *testing.T) { mixedConcurrent(t, s) })
	t.Run("Corpus", func(t *testing.T) { hostileCorpus(t, s, &logs) })
}

// hostileCorpus sends the hostile corpus (package hostile: malformed
// and absurd parameters on every endpoint family, broken paths, escapes
// and framing, wrong methods, bodies, tokens and preconditions, geometry
// bombs, slow and raw requests) to the whole stack over the demo, and
// checks every answer: the status the corpus wants, never 5xx, a 4xx as
// problem+json with status and detail, within hostileBound, nosniff, and
// no internals or token secrets in the body or the headers; and no token
// secret in the server's log.
func hostileCorpus(t *testing.T, s *testserver.Server, logs *syncBuffer) {
	specs, err := hostile.Corpus()
	if err != nil {
		t.Fatal(err)
	}
	vars := corpusVars(t, s)
	client, err := hostile.NewClient(s.URL, hostileBound, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	start := time.Now()
	results, err := hostile.Run(context.Background(), client, hostileReadTimeout+hostileBound+10*time.Second, specs, vars, secrets(vars))
	if err != nil {
		t.Fatal(err)
	}
	var classes [6]int
	closed, failed := 0, 0
	var slowest hostile.Result
	byTime := slices.Clone(results)
	slices.SortFunc(byTime, func(a, b hostile.Result) int { return int(b.Answer.Took - a.Answer.Took) })
	for _, res := range byTime[:10] {
		if !res.Request.Spec.Stall {
			t.Logf("slow: %s, line %d, %s (%d)", res.Answer.Took.Round(time.Millisecond), res.Request.Spec.Line, res.Request.Spec.Name, res.Answer.Status)
		}
	}
	for _, res := range results {
		a := res.Answer
		switch {
		case a.Closed:
			closed++
		case a.Status > 0:
			classes[a.Status/100]++
		}
		if a.Took > slowest.Answer.Took && !res.Request.Spec.Stall {
			slowest = res
		}
		if len(res.Bad) > 0 {
			failed++
			if failed <= 60 {
				t.Errorf("corpus line %d, %s %s: %s", res.Request.Spec.Line, res.Request.Method, res.Request.Spec.Name,
					strings.Join(res.Bad, "; "))
			}
		}
	}
	if failed > 60 {
		t.Errorf("… and %d more wrong answers", failed-60)
	}
	t.Logf("hostile corpus: %d requests (%d lines of corpus.jsonl) in %s: 2xx %d, 3xx %d, 4xx %d, 5xx %d, closed %d; "+
		"slowest %s (line %d, %s)", len(results), countLines(specs), time.Since(start).Round(time.Millisecond),
		classes[2], classes[3], classes[4], classes[5], closed, slowest.Answer.Took.Round(time.Millisecond),
		slowest.Request.Spec.Line, slowest.Request.Spec.Name)
	if classes[5] > 0 {
		t.Errorf("%d answers were 5xx; the corpus wants none", classes[5])
	}
	// The server is still whole, and told no secret to its log.
	res, body := do(t, http.MethodGet, s.URL+"/readyz")
	if res.StatusCode != http.StatusOK {
		t.Errorf("after the corpus, /readyz = %d %s", res.StatusCode, body)
	}
	out := logs.String()
	for name, secret := range vars {
		if strings.HasPrefix(secret, "atl_") && strings.Contains(out, secret) {
			i := strings.Index(out, secret)
			t.Errorf("the log shows the %s token: …%s…", name, out[max(0, i-400):min(len(out), i+100)])
		}
	}
}

// corpusVars makes the tokens the corpus names (and revokes one) and finds
// the demo features it writes to.
func corpusVars(t *testing.T, s *testserver.Server) map[string]string {
	t.Helper()
	ctx := context.Background()
	st := auth.NewStore(s.DB.Write)
	vars := map[string]string{}
	for _, tok := range []struct {
		name   string
		role   auth.Role
		comuni []string
	}{
		{"editor", auth.Editor, []string{crema}},
		{"other", auth.Editor, []string{bagnolo}},
		{"admin", auth.Admin, nil},
		{"reader", auth.PrivateReader, []string{crema}},
		{"validator", auth.Validator, []string{crema}},
		{"revoked", auth.Editor, []string{crema}},
	} {
		secret, info, err := st.CreateToken(ctx, "hostile corpus "+tok.name, tok.role, tok.comuni)
		if err != nil {
			t.Fatal(err)
		}
		vars[tok.name] = secret
		if tok.name == "revoked" {
			if err := st.RevokeToken(ctx, info.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := []struct{ name, sql string }{
		{"scenario", `SELECT min(id) FROM cp_scenarios WHERE istat_code = '019035'`},
		{"other_scenario", `SELECT min(id) FROM cp_scenarios WHERE istat_code = '019005'`},
		{"building", `SELECT min(id) FROM cp_buildings WHERE istat_code = '019035'`},
		{"area", `SELECT min(id) FROM cp_emergency_areas WHERE istat_code = '019035' AND GeometryType(geom) = 'MULTIPOLYGON'`},
		{"member", `SELECT min(id) FROM cp_crisis_unit WHERE istat_code = '019035'`},
		{"community", `SELECT min(id) FROM cer_communities WHERE '019035' = ANY (comuni)`},
		{"site", `SELECT min(id) FROM cer_sites WHERE istat_code = '019035'`},
		{"civico", `SELECT min(id) FROM civici WHERE istat_code = '019035'`},
	}
	for _, id := range ids {
		var v *int64
		if err := s.DB.Read.QueryRow(ctx, id.sql).Scan(&v); err != nil || v == nil {
			t.Fatalf("%s: %v (the demo should have one)", id.sql, err)
		}
		vars[id.name] = strconv.FormatInt(*v, 10)
	}
	return vars
}

func secrets(vars map[string]string) []string {
	var out []string
	for _, v := range vars {
		if strings.HasPrefix(v, "atl_") {
			out = append(out, v)
		}
	}
	return out
}

// countLines is the number of corpus lines the specs come from.
func countLines(specs []hostile.Spec) int {
	var lines []int
	for _, s := range specs {
		lines = append(lines, s.Line)
	}
	slices.Sort(lines)
	return len(slices.Compact(lines))
}
