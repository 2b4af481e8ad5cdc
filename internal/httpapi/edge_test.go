package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/testserver"
)

// problemBody is the part of a problem+json body the edge tests read.
type problemBody struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// edgeProblem fails unless the response is a problem+json with status want,
// and returns the problem.
func edgeProblem(tb testing.TB, what string, res *http.Response, body []byte, want int) problemBody {
	tb.Helper()
	var p problemBody
	if res.StatusCode != want {
		tb.Fatalf("%s: status = %d, want %d; body: %.300s", what, res.StatusCode, want, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("%s: Content-Type = %q, want application/problem+json; body: %.300s", what, ct, body)
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Status != want || p.Detail == "" {
		tb.Fatalf("%s: problem body %s (%v): want status %d and a detail", what, body, err, want)
	}
	return p
}

// rawRequest writes request bytes on a new connection and returns what the
// server answers until it closes the connection (or within).
func rawRequest(tb testing.TB, base, request string, within time.Duration) (*http.Response, []byte) {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(within))
	if _, err := io.WriteString(c, request); err != nil {
		tb.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		tb.Fatalf("%q: no HTTP response: %v", request, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%q: read body: %v", request, err)
	}
	return res, body
}

// TestMalformedRequestParts checks that every endpoint family refuses a
// query or path it cannot read as sent with a 400 problem naming the
// parameter, instead of ignoring it (an unfiltered page answered 200).
func TestMalformedRequestParts(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "energy"}})
	endpoints := []string{
		"/", "/conformance", "/api", "/collections", "/collections/comuni", "/collections/comuni/items",
		"/collections/comuni/items/019035", "/tiles/comuni.json", "/tiles/comuni/10/539/367.mvt",
		"/coverage/stats", "/coverage/search", "/coverage/nearest", "/civil-protection/plans",
		"/energy/communities", "/energy/zones/at", "/healthz", "/metrics", "/viewer/js/main.js",
	}
	queries := []struct{ query, field, says string }{
		{"bbox=9;45;10;46", "bbox", "';' does not separate"},
		{"f=%", "f", "percent-escape"},
		{"limit=10&q=%zz", "q", "percent-escape"},
		{"name=Crema%00", "name", "U+0000"},
		{"q=%c0%ae", "q", "UTF-8"},
	}
	for _, e := range endpoints {
		for _, q := range queries {
			u := s.URL + e + "?" + q.query
			res, body := do(t, http.MethodGet, u)
			p := edgeProblem(t, "GET "+u, res, body, http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != q.field || !strings.Contains(p.Detail, q.says) {
				t.Errorf("GET %s: problem %+v, want field %q and a detail saying %q", u, p, q.field, q.says)
			}
		}
	}

	t.Run("the bbox example of the issue is no longer an unfiltered page", func(t *testing.T) {
		res, body := do(t, http.MethodGet, s.URL+"/collections/comuni/items?bbox=9;45;10;46")
		edgeProblem(t, "bbox with semicolons", res, body, http.StatusBadRequest)
	})

	t.Run("invalid UTF-8 in the path", func(t *testing.T) {
		for _, p := range []string{"/viewer/%c0%ae%c0%ae/x", "/collections/%ff/items", "/collections/comuni%00/items"} {
			res, body := do(t, http.MethodGet, s.URL+p)
			edgeProblem(t, "GET "+p, res, body, http.StatusBadRequest)
		}
	})

	// net/http refuses these itself, before any handler; the listener
	// turns its text/plain answer into a problem.
	t.Run("escapes net/http refuses", func(t *testing.T) {
		for _, tt := range []struct{ req, says string }{
			{"GET /% HTTP/1.1\r\nHost: x\r\n\r\n", "percent-encoded"},
			{"GET /collections/%zz HTTP/1.1\r\nHost: x\r\n\r\n", "percent-encoded"},
			{"GET /collections/comuni/items HTTP/1.1\r\n\r\n", "missing required Host header"},
			{"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "header"},
		} {
			res, body := rawRequest(t, s.URL, tt.req, 10*time.Second)
			p := edgeProblem(t, fmt.Sprintf("%q", tt.req), res, body, http.StatusBadRequest)
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%q: no nosniff", tt.req)
			}
			if !strings.Contains(p.Detail, tt.says) {
				t.Errorf("%q: detail %q does not say %q", tt.req, p.Detail, tt.says)
			}
		}
	})

	t.Run("well-formed queries still work", func(t *testing.T) {
		p := items(t, s.URL+"/collections/comuni/items?bbox=9.6,45.3,9.8,45.4&limit=100")
		if p.NumberMatched == 0 || p.NumberMatched >= 48 {
			t.Errorf("bbox filter matched %d comuni, want some but not all 48", p.NumberMatched)
		}
	})
}

// TestUnfinishedBody checks that a request whose body stops arriving gets
// 408 problem+json when the server's read timeout passes, not the
// nonstandard 499.
func TestUnfinishedBody(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}, ReadTimeout: time.Second})
	editor, _, err := auth.NewStore(s.DB.Write).CreateToken(context.Background(), "slow editor", auth.Editor, []string{crema})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/coverage/stats", "/collections/scenarios/items"} {
		// 8 of the 100 bytes announced, and then nothing.
		req := "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n" +
			"Authorization: Bearer " + editor + "\r\n\r\n" + `{"type":`
		start := time.Now()
		res, body := rawRequest(t, s.URL, req, 15*time.Second)
		edgeProblem(t, "POST "+path+" with an unfinished body", res, body, http.StatusRequestTimeout)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("POST %s: answered after %s, want about the 1 s read timeout", path, d)
		}
	}
}

// TestViewerFiles checks that the viewer serves files only: no directory
// listing, and its misses are problems (or a page for a browser).
func TestViewerFiles(t *testing.T) {
	s := testserver.Start(t, testserver.Options{NoDemo: true})
	requireViewer(t, s)
	for _, p := range []string{"/viewer/js/", "/viewer/vendor/", "/viewer/js", "/viewer/nope.js", "/viewer/js/nope.js"} {
		res, body := do(t, http.MethodGet, s.URL+p)
		pb := edgeProblem(t, "GET "+p, res, body, http.StatusNotFound)
		if !strings.Contains(pb.Detail, p) {
			t.Errorf("GET %s: detail %q does not name the path", p, pb.Detail)
		}
		res, body = do(t, http.MethodGet, s.URL+p, "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
			!bytes.Contains(body, []byte("Not found")) || bytes.Contains(body, []byte("<a href=\"main.js\">")) {
			t.Errorf("GET %s as a browser: %d %s %.200s, want a 404 page", p, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	for _, p := range []string{"/viewer/", "/viewer/js/main.js", "/viewer/vendor/maplibre-gl.js", "/viewer/app.css"} {
		get(t, s.URL+p, http.StatusOK)
	}
}

func requireViewer(tb testing.TB, s *testserver.Server) {
	tb.Helper()
	res, _ := do(tb, http.MethodGet, s.URL+"/viewer/vendor/maplibre-gl.js")
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("MapLibre GL JS is not embedded (%s); run make viewer (or make test)", res.Status)
	}
}

// syncBuffer is a log sink the server writes from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsNotLogged checks the access log and the problem's instance for
// tokens sent in the URL and in the Authorization header.
func TestSecretsNotLogged(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}, Logger: logger})
	valid, _, err := auth.NewStore(s.DB.Write).CreateToken(context.Background(), "logged editor", auth.Editor, []string{crema})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"atl_inthequery0001", "atl_intheheader0002", "hunter2-password", "k-api-key-0003", valid}
	requests := []struct {
		path   string
		header []string
	}{
		{"/collections/comuni/items?access_token=atl_inthequery0001&limit=1", nil},
		{"/collections/comuni/items?limit=1", []string{"Authorization", "Bearer atl_intheheader0002"}},
		{"/collections/comuni/items?limit=1&password=hunter2-password&api_key=k-api-key-0003", nil},
		{"/collections/comuni/items?bbox=9;45&token=" + valid, nil},
		{"/collections/scenarios/items?limit=1", []string{"Authorization", "Bearer " + valid}},
	}
	for _, r := range requests {
		_, body := do(t, http.MethodGet, s.URL+r.path, r.header...)
		for _, sec := range secrets {
			if bytes.Contains(body, []byte(sec)) {
				t.Errorf("GET %s: the answer echoes the secret %q: %.300s", r.path, sec, body)
			}
		}
	}
	waitFor(t, 5*time.Second, "the access lines", func() bool { return strings.Count(logs.String(), `"msg":"request"`) >= len(requests) })
	out := logs.String()
	for _, sec := range append(secrets, "Bearer", "Authorization") {
		if strings.Contains(out, sec) {
			t.Errorf("the log contains %q:\n%s", sec, out)
		}
	}
	if !strings.Contains(out, `access_token=[REDACTED]&limit=1`) {
		t.Errorf("the log does not show the redacted query access_token=[REDACTED]&limit=1:\n%s", out)
	}
}

// TestSecurityHeaders checks nosniff and Referrer-Policy everywhere, and
// the Content-Security-Policy of pages.
func TestSecurityHeaders(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	requireViewer(t, s)
	paths := []struct {
		path, accept string
		page         bool
	}{
		{"/", "text/html", true},
		{"/?f=html", "", true},
		{"/viewer/favicon.svg", "", true},
		{"/nothing-here", "text/html", true},
		{"/", "", false},
		{"/collections/comuni/items?limit=1", "", false},
		{"/tiles/comuni/10/539/367.mvt", "", false},
		{"/tiles/comuni.json", "", false},
		{"/collections/nope", "", false},
		{"/viewer/js/main.js", "", false},
		{"/healthz", "", false},
	}
	for _, p := range paths {
		var header []string
		if p.accept != "" {
			header = []string{"Accept", p.accept}
		}
		res, _ := do(t, http.MethodGet, s.URL+p.path, header...)
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", p.path, got)
		}
		if got := res.Header.Get("Referrer-Policy"); got != "strict-origin-when-cross-origin" {
			t.Errorf("GET %s: Referrer-Policy = %q", p.path, got)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !p.page {
			if csp != "" {
				t.Errorf("GET %s (%s): a Content-Security-Policy on a non-document", p.path, res.Header.Get("Content-Type"))
			}
			continue
		}
		for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "worker-src 'self' blob:",
			"img-src 'self' data: blob:", "connect-src 'self'", // no basemap is configured (TestViewerConfig has one)
			"object-src 'none'", "frame-ancestors 'self'"} {
			if !slices.Contains(strings.Split(csp, "; "), d) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", p.path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
			t.Errorf("GET %s: Content-Security-Policy %q allows unsafe sources or any host", p.path, csp)
		}
	}
}

// TestCORS checks the default (any origin, no credentials, no Vary) and a
// configured list (the matching origin echoed, Vary: Origin), and a
// preflight as a browser sends it.
func TestCORS(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	const origin = "https://mappe.comune.example"
	public := []string{"/collections/comuni/items?limit=1", "/tiles/comuni/10/539/367.mvt", "/tiles/comuni.json", "/api",
		"/conformance", "/collections", "/coverage/search?q=via", "/coverage/stats?comune=019035", "/collections/nope"}
	for _, p := range public {
		res, _ := do(t, http.MethodGet, s.URL+p, "Origin", origin)
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("GET %s from %s: Access-Control-Allow-Origin = %q, want *", p, origin, got)
		}
		if got := res.Header.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("GET %s: Access-Control-Allow-Credentials = %q with *", p, got)
		}
		expose := res.Header.Get("Access-Control-Expose-Headers")
		for _, h := range []string{"ETag", "Location", "Content-Crs", "Link"} {
			if !strings.Contains(expose, h) {
				t.Errorf("GET %s: Access-Control-Expose-Headers %q lacks %s", p, expose, h)
			}
		}
		if slices.ContainsFunc(res.Header.Values("Vary"), func(v string) bool { return strings.Contains(v, "Origin") }) {
			t.Errorf("GET %s: Vary %q names Origin though every origin gets the same answer", p, res.Header.Values("Vary"))
		}
	}
	t.Run("not for the operator's metrics", func(t *testing.T) {
		res, _ := do(t, http.MethodGet, s.URL+"/metrics", "Origin", origin)
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET /metrics: Access-Control-Allow-Origin = %q, want none", got)
		}
	})
	t.Run("preflight", func(t *testing.T) {
		res, body := do(t, http.MethodOptions, s.URL+"/collections/scenarios/items/1", "Origin", origin,
			"Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization,content-type,if-match")
		if res.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Fatalf("preflight: %d %s, want 204 with no body", res.StatusCode, body)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":  "*",
			"Access-Control-Allow-Methods": "GET, HEAD, PUT, PATCH, DELETE, OPTIONS",
			"Access-Control-Max-Age":       "3600",
		}
		for h, v := range want {
			if got := res.Header.Get(h); got != v {
				t.Errorf("preflight: %s = %q, want %q", h, got, v)
			}
		}
		allowHeaders := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"authorization", "if-match", "if-none-match", "content-type"} {
			if !strings.Contains(allowHeaders, h) {
				t.Errorf("preflight: Access-Control-Allow-Headers %q lacks %s", allowHeaders, h)
			}
		}
	})

	list := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}, CORSOrigins: []string{origin, "http://localhost:3000"}})
	t.Run("a list echoes the matching origin", func(t *testing.T) {
		for _, p := range []string{"/collections/comuni/items?limit=1", "/tiles/comuni/10/539/367.mvt", "/"} {
			res, _ := do(t, http.MethodGet, list.URL+p, "Origin", origin, "Accept-Encoding", "gzip")
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != origin {
				t.Errorf("GET %s from %s: Access-Control-Allow-Origin = %q, want the origin", p, origin, got)
			}
			if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "Origin") {
				t.Errorf("GET %s: Vary %q lacks Origin", p, vary)
			}
			res, _ = do(t, http.MethodGet, list.URL+p, "Origin", "https://evil.example")
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("GET %s from another origin: Access-Control-Allow-Origin = %q, want none", p, got)
			}
			if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "Origin") {
				t.Errorf("GET %s from another origin: Vary %q lacks Origin", p, vary)
			}
		}
	})
}

// TestOptions checks OPTIONS on every kind of resource: the methods of
// the resource, per layer (read-only layers never offer writes) and per
// token; and the Allow of a 405.
func TestOptions(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection", "energy"}})
	store := auth.NewStore(s.DB.Write)
	token := func(role auth.Role, comuni ...string) string {
		secret, _, err := store.CreateToken(context.Background(), "options "+string(role)+" "+strings.Join(comuni, ","), role, comuni)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	editor := token(auth.Editor, crema)
	reader := token(auth.PrivateReader, crema)
	validator := token(auth.Validator, crema)
	admin := token(auth.Admin)

	const (
		read  = "GET, HEAD, OPTIONS"
		items = "GET, HEAD, POST, OPTIONS"
		item  = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
	)
	tests := []struct {
		path, token, want string
	}{
		{"/", "", read},
		{"/collections", "", read},
		{"/collections/comuni", "", read},
		{"/collections/comuni/items", "", read},
		{"/collections/comuni/items/019035", "", read},
		{"/collections/civici/items", "", read},
		{"/collections/civici/items/1", "", read},
		{"/collections/plan-status/items", admin, read},
		{"/tiles/comuni.json", "", read},
		{"/tiles/scenarios/10/544/367.mvt", "", read},
		{"/collections/scenarios/items", "", items},
		{"/collections/scenarios/items/1", "", item},
		{"/collections/scenarios/items", editor, items},
		{"/collections/scenarios/items/1", editor, item},
		{"/collections/scenarios/items/1", admin, item},
		{"/collections/scenarios/items", reader, read},
		{"/collections/scenarios/items/1", validator, read},
		{"/collections/energy-sites/items", editor, items},
		{"/coverage/stats", "", items},
		{"/civil-protection/plans/019035/crisis-unit", "", items},
		{"/civil-protection/plans/019035/crisis-unit", reader, read},
		{"/civil-protection/plans/019035/crisis-unit", editor, items},
		{"/civil-protection/plans/019072/crisis-unit", editor, "OPTIONS"},
		{"/civil-protection/plans/019035/crisis-unit/1", editor, item},
		{"/civil-protection/plans/019035/submit", validator, "POST, OPTIONS"},
		{"/civil-protection/plans/019035/validate", validator, "POST, OPTIONS"},
		{"/civil-protection/plans/019035/validate", editor, "OPTIONS"},
		{"/civil-protection/plans/019072/validate", validator, "OPTIONS"},
		{"/energy/communities", "", items},
		{"/energy/communities", reader, read},
		{"/energy/communities/1", editor, "GET, HEAD, PATCH, DELETE, OPTIONS"},
		{"/energy/communities/1", validator, read},
	}
	for _, tt := range tests {
		var header []string
		if tt.token != "" {
			header = []string{"Authorization", "Bearer " + tt.token}
		}
		res, body := do(t, http.MethodOptions, s.URL+tt.path, header...)
		if res.StatusCode != http.StatusNoContent {
			t.Errorf("OPTIONS %s: %d %s, want 204", tt.path, res.StatusCode, body)
			continue
		}
		if got := res.Header.Get("Allow"); got != tt.want {
			t.Errorf("OPTIONS %s (token %v): Allow = %q, want %q", tt.path, tt.token != "", got, tt.want)
		}
	}
	for _, p := range []string{"/collections/nope/items", "/nothing", "/tiles/nope.json"} {
		res, body := do(t, http.MethodOptions, s.URL+p)
		edgeProblem(t, "OPTIONS "+p, res, body, http.StatusNotFound)
	}

	t.Run("405 offers what the resource has", func(t *testing.T) {
		for _, tt := range []struct{ method, path, want string }{
			{http.MethodPut, "/collections/comuni/items", read},
			{http.MethodPost, "/collections/comuni/items", read},
			{http.MethodDelete, "/collections/civici/items/1", read},
			{http.MethodPut, "/collections/scenarios/items", items},
			{http.MethodPost, "/collections/scenarios/items/1", item},
			{http.MethodDelete, "/tiles/comuni.json", read},
		} {
			res, body := do(t, tt.method, s.URL+tt.path, "Authorization", "Bearer "+admin)
			edgeProblem(t, tt.method+" "+tt.path, res, body, http.StatusMethodNotAllowed)
			if got := res.Header.Get("Allow"); got != tt.want {
				t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.path, got, tt.want)
			}
		}
	})
}

// metricValue returns the value of the sample whose line starts with
// prefix (a name and, if any, the start of its labels), or "" if absent.
func metricValue(metrics, prefix string) string {
	for line := range strings.SplitSeq(metrics, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line[strings.LastIndexByte(line, ' ')+1:]
		}
	}
	return ""
}

// TestMetricsFamilies checks that /metrics carries the Go runtime, the
// process, both pools, the tile cache and request durations by route
// pattern, with values that follow the requests made.
func TestMetricsFamilies(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}, CacheMB: 8})
	requireViewer(t, s)
	tile := s.URL + "/tiles/comuni/10/539/367.mvt"
	get(t, tile, http.StatusOK)
	get(t, tile, http.StatusOK)
	get(t, tile, http.StatusOK)
	get(t, s.URL+"/collections/comuni/items?limit=2", http.StatusOK)
	get(t, s.URL+"/viewer/js/main.js", http.StatusOK)
	do(t, http.MethodOptions, s.URL+"/collections/comuni/items")
	do(t, http.MethodGet, s.URL+"/collections/comuni/items?f=%")
	do(t, http.MethodGet, s.URL+"/no/such/thing")
	_, body := get(t, s.URL+"/metrics", http.StatusOK)
	m := string(body)

	positive := []string{
		"go_goroutines ",
		"go_memstats_heap_alloc_bytes ",
		"process_resident_memory_bytes ",
		"process_open_fds ",
		`atlante_db_pool_total_connections{pool="read"}`,
		`atlante_db_pool_total_connections{pool="write"}`,
		`atlante_db_pool_max_connections{pool="read"}`,
		`atlante_db_pool_acquires_total{pool="read"}`,
		`atlante_db_pool_acquire_duration_seconds_total{pool="read"}`,
		"atlante_tile_cache_hits_total ",
		"atlante_tile_cache_misses_total ",
		"atlante_tile_cache_entries ",
		"atlante_tile_cache_bytes ",
		"atlante_tile_cache_max_bytes ",
		`atlante_http_request_duration_seconds_count{method="GET",route="/tiles/{layer}/{z}/{x}/{y}.mvt",status="200"}`,
		`atlante_http_request_duration_seconds_count{method="GET",route="/collections/{collectionId}/items",status="200"}`,
		`atlante_http_request_duration_seconds_count{method="GET",route="/viewer/*",status="200"}`,
		`atlante_http_request_duration_seconds_count{method="OPTIONS",route="/collections/{collectionId}/items",status="204"}`,
		`atlante_http_request_duration_seconds_count{method="GET",route="/collections/{collectionId}/items",status="400"}`,
		`atlante_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}`,
	}
	for _, name := range positive {
		v := metricValue(m, name)
		if v == "" || v == "0" || strings.HasPrefix(v, "-") {
			t.Errorf("metric %s = %q, want a positive value", name, v)
		}
	}
	// Three requests for one tile: built once, then found twice.
	if got := metricValue(m, "atlante_tile_cache_hits_total "); got != "2" {
		t.Errorf("atlante_tile_cache_hits_total = %s, want 2", got)
	}
	if got := metricValue(m, "atlante_tile_cache_misses_total "); got != "1" {
		t.Errorf("atlante_tile_cache_misses_total = %s, want 1", got)
	}
	if got := metricValue(m, "atlante_tile_cache_max_bytes "); got != "8.388608e+06" {
		t.Errorf("atlante_tile_cache_max_bytes = %s, want 8 MB", got)
	}
	if got := metricValue(m, "atlante_tile_cache_evictions_total "); got != "0" {
		t.Errorf("atlante_tile_cache_evictions_total = %q, want 0", got)
	}

	t.Run("on a listener of its own", func(t *testing.T) {
		p := testserver.Start(t, testserver.Options{NoDemo: true, PrivateMetrics: true})
		res, body := do(t, http.MethodGet, p.URL+"/metrics")
		edgeProblem(t, "GET /metrics when private", res, body, http.StatusNotFound)
		rec := &recorder{header: http.Header{}}
		req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
		p.Metrics.ServeHTTP(rec, req)
		if !strings.Contains(rec.body.String(), "atlante_db_pool_total_connections") {
			t.Errorf("the private metrics handler does not serve the pool metrics")
		}
	})
}

// recorder is a minimal http.ResponseWriter for a handler called directly.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
