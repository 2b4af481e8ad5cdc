package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/testserver"
)

// crossOriginJS runs in a page of another origin: what a MapLibre or
// OpenLayers map of a comune's own site does with Atlante, read and write.
const crossOriginJS = `(async (base, token) => {
  const out = {};
  const attempt = async (name, f) => {
    try { out[name] = await f(); } catch (e) { out[name] = {error: String(e)}; }
  };
  await attempt('items', async () => {
    const r = await fetch(base + '/collections/comuni/items?limit=2');
    return {status: r.status, n: (await r.json()).numberReturned};
  });
  await attempt('tilejson', async () => {
    const r = await fetch(base + '/tiles/comuni.json');
    return {status: r.status, n: (await r.json()).tiles.length};
  });
  await attempt('tile', async () => {
    const r = await fetch(base + '/tiles/comuni/10/539/367.mvt');
    return {status: r.status, n: (await r.arrayBuffer()).byteLength, etag: r.headers.get('ETag') || ''};
  });
  await attempt('scenario', async () => {
    const list = await (await fetch(base + '/collections/scenarios/items?istat_code=019035&limit=1')).json();
    const id = list.features[0].id;
    const r = await fetch(base + '/collections/scenarios/items/' + id);
    const etag = r.headers.get('ETag') || '';
    // A PATCH with a token: the browser sends a preflight first.
    const w = await fetch(base + '/collections/scenarios/items/' + id, {
      method: 'PATCH',
      headers: {'Authorization': 'Bearer ' + token, 'If-Match': etag, 'Content-Type': 'application/merge-patch+json'},
      body: JSON.stringify({properties: {severity: 3}}),
    });
    return {status: w.status, etag: etag, n: (w.headers.get('ETag') || '') !== '' && w.headers.get('ETag') !== etag ? 1 : 0};
  });
  await attempt('metrics', async () => {
    const r = await fetch(base + '/metrics');
    return {status: r.status};
  });
  return out;
})`

type fetchResult struct {
	Status int    `json:"status"`
	N      int    `json:"n"`
	ETag   string `json:"etag"`
	Error  string `json:"error"`
}

// TestCrossOriginBrowser loads a page of another origin in headless
// Chromium and has it read Atlante's features, TileJSON and tiles and
// PATCH a feature with a token, through the browser's real CORS checks
// (the PATCH's preflight included); /metrics stays unreadable; with a list
// of origins that does not include the page's, nothing is readable.
func TestCrossOriginBrowser(t *testing.T) {
	chromium := findChromium(t)
	srv := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection"}})
	editor, _, err := auth.NewStore(srv.DB.Write).CreateToken(context.Background(), "cross-origin editor", auth.Editor, []string{"019035"})
	if err != nil {
		t.Fatal(err)
	}
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>a comune's own map page</title><p>another origin</p>")
	}))
	t.Cleanup(page.Close)

	run := func(t *testing.T, base string) map[string]fetchResult {
		t.Helper()
		ctx, _ := openBrowser(t, chromium, page.URL)
		if err := chromedp.Do(ctx, chromedp.Navigate(page.URL+"/")); err != nil {
			t.Fatalf("navigate to %s: %v", page.URL, err)
		}
		args, _ := json.Marshal([]string{base, editor})
		js := crossOriginJS + "(..." + string(args) + ")"
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		got, err := chromedp.Run(rctx, chromedp.Evaluate[map[string]fetchResult](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("cross-origin script: %v", err)
		}
		return got
	}

	t.Run("any origin", func(t *testing.T) {
		got := run(t, srv.URL)
		for _, name := range []string{"items", "tilejson", "tile"} {
			if r := got[name]; r.Status != http.StatusOK || r.N == 0 {
				t.Errorf("%s from another origin: %+v, want 200 and content", name, r)
			}
		}
		if r := got["tile"]; r.ETag == "" {
			t.Errorf("tile: the page cannot read the ETag (Access-Control-Expose-Headers): %+v", r)
		}
		if r := got["scenario"]; r.Status != http.StatusOK || r.ETag == "" || r.N != 1 {
			t.Errorf("PATCH from another origin with a token: %+v, want 200 with the old and a new ETag readable", r)
		}
		if r := got["metrics"]; r.Error == "" {
			t.Errorf("/metrics was readable from another origin: %+v", r)
		}
	})

	t.Run("a list without the page's origin", func(t *testing.T) {
		only := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}, CORSOrigins: []string{"https://www.comune.crema.cr.it"}})
		got := run(t, only.URL)
		for _, name := range []string{"items", "tilejson", "tile"} {
			if r := got[name]; r.Error == "" {
				t.Errorf("%s was readable from an origin not in the list: %+v", name, r)
			}
		}
	})
}
