package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/internal/testserver"
)

// update rewrites the golden files in testdata instead of comparing with
// them: go test ./internal/httpapi/ -run TestX -update, then review the diff.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// cremasco is a generous box around the 48 comuni of the Cremasco (they
// span about 9.45..9.91 E, 45.23..45.49 N).
var cremasco = orb.Bound{Min: orb.Point{9.3, 45.1}, Max: orb.Point{10.0, 45.6}}

// crema is the ISTAT code of Crema.
const crema = "019035"

// do sends a request with an optional header (pairs of name, value) and
// returns the response with its body read.
func do(tb testing.TB, method, url string, header ...string) (*http.Response, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return res, body
}

// get fetches url and fails the test unless the status is want.
func get(tb testing.TB, url string, want int, header ...string) (*http.Response, []byte) {
	tb.Helper()
	res, body := do(tb, http.MethodGet, url, header...)
	if res.StatusCode != want {
		tb.Fatalf("GET %s: status = %d, want %d; body: %.500s", url, res.StatusCode, want, body)
	}
	return res, body
}

// getJSON fetches url, checks status 200 and the media type, and decodes
// the body into v.
func getJSON(tb testing.TB, url, mediaType string, v any) *http.Response {
	tb.Helper()
	res, body := get(tb, url, http.StatusOK)
	checkMediaType(tb, res, mediaType)
	if err := json.Unmarshal(body, v); err != nil {
		tb.Fatalf("GET %s: decode %s: %v; body: %.500s", url, mediaType, err, body)
	}
	return res
}

// checkMediaType compares the Content-Type's media type (and parameters,
// when want has any) with want.
func checkMediaType(tb testing.TB, res *http.Response, want string) {
	tb.Helper()
	got := res.Header.Get("Content-Type")
	gt, gp, err := mime.ParseMediaType(got)
	if err != nil {
		tb.Fatalf("%s: Content-Type %q: %v", res.Request.URL, got, err)
	}
	wt, wp, _ := mime.ParseMediaType(want)
	if gt != wt || (len(wp) > 0 && !reflect.DeepEqual(gp, wp)) {
		tb.Fatalf("%s: Content-Type = %q, want %q", res.Request.URL, got, want)
	}
}

// items fetches a page of features of a collection.
func items(tb testing.TB, url string) *itemsPage {
	tb.Helper()
	var p itemsPage
	getJSON(tb, url, "application/geo+json", &p)
	return &p
}

// itemsPage is an OGC API – Features items response.
type itemsPage struct {
	Type           string             `json:"type"`
	Features       []*geojson.Feature `json:"features"`
	NumberMatched  int                `json:"numberMatched"`
	NumberReturned int                `json:"numberReturned"`
	TimeStamp      string             `json:"timeStamp"`
	Links          []link             `json:"links"`
}

type link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Templated bool   `json:"templated"`
}

// rel returns the href of the first link with the given relation, or "".
func rel(links []link, relation string) string {
	for _, l := range links {
		if l.Rel == relation {
			return l.Href
		}
	}
	return ""
}

// ids returns the feature ids of fs in order.
func ids(fs []*geojson.Feature) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		s, _ := f.ID.(string)
		out[i] = s
	}
	return out
}

// allComuni returns every feature of the comuni collection in one page.
func allComuni(tb testing.TB, s *testserver.Server) []*geojson.Feature {
	tb.Helper()
	p := items(tb, s.URL+"/collections/comuni/items?limit=1000")
	if len(p.Features) != 48 {
		tb.Fatalf("comuni: got %d features, want the 48 of the demo", len(p.Features))
	}
	return p.Features
}

// checkGoldenJSON compares got with testdata/name as decoded JSON, or
// rewrites the file with -update.
func checkGoldenJSON(tb testing.TB, name string, got any) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("golden file: %v (run with -update to create it, then review it)", err)
	}
	var want any
	if err := json.Unmarshal(b, &want); err != nil {
		tb.Fatalf("golden file %s: %v", path, err)
	}
	// Round-trip got so that both sides have the same Go types.
	gb, err := json.Marshal(got)
	if err != nil {
		tb.Fatal(err)
	}
	var norm any
	if err := json.Unmarshal(gb, &norm); err != nil {
		tb.Fatal(err)
	}
	if !reflect.DeepEqual(norm, want) {
		pretty, _ := json.MarshalIndent(norm, "", "  ")
		tb.Errorf("got\n%s\nwant (%s)\n%s", pretty, path, bytes.TrimSpace(b))
	}
}

// leaks lists what must never reach a client: SQL, driver names, Go
// stack traces and file positions.
var leaks = []string{"SELECT ", " FROM ", "SQLSTATE", "pgx", "pgconn", "postgres", "goroutine ", "panic", ".go:", "runtime/", "ERROR:"}

// checkNoLeak fails when body contains internals.
func checkNoLeak(tb testing.TB, body []byte) {
	tb.Helper()
	for _, l := range leaks {
		if bytes.Contains(body, []byte(l)) {
			tb.Errorf("body contains %q, which a client must never see: %s", l, body)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
