package e2e

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cremasco/atlante/internal/testserver"
)

// TestPages opens the HTML page of a collection's items in headless
// Chromium, as a person following a link would: the small map draws the
// page's features over the comuni's outlines, the table holds the same
// features as the JSON page, "next" leads to the next page, a feature's
// link to its own page with its map; and no request fails, nothing is
// logged as an error and the Content-Security-Policy blocks nothing.
func TestPages(t *testing.T) {
	chromium := findChromium(t)
	srv := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection"}})
	requireViewerBuilt(t, srv.URL)
	proxy := newRecordingProxy(t, srv.URL)
	ctx, pl := openBrowser(t, chromium, proxy.URL)

	// Every page records what the policy blocks.
	const watchCSP = `window.__csp = []; document.addEventListener('securitypolicyviolation',
		(e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchCSP}); err != nil {
		t.Fatal(err)
	}

	const first = "/collections/scenarios/items?limit=4"
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(proxy.URL+first)); err != nil {
		t.Fatalf("navigate to %s: %v", first, err)
	}
	got := waitPage(ctx, t, pl, proxy)
	saveScreenshot(ctx, t, "pages-items.png")
	var want struct {
		Features []struct {
			ID any `json:"id"`
		} `json:"features"`
		NumberMatched int `json:"numberMatched"`
	}
	getJSON(t, srv.URL+first+"&f=json", &want)
	if !slices.Equal(got.Rows, pageIDs(want.Features)) {
		t.Errorf("table rows %v, want the JSON page's %v", got.Rows, pageIDs(want.Features))
	}
	if got.Drawn == 0 || !got.Canvas {
		t.Errorf("the map drew %d features (canvas %v), want the page's scenarios", got.Drawn, got.Canvas)
	}
	if got.Context == 0 {
		t.Errorf("the map drew no comune outline under the features")
	}
	if got.Width > 390 {
		t.Errorf("the page is %d px wide on a 390 px phone, want no sideways scrolling", got.Width)
	}

	// Next.
	if err := chromedp.Do(ctx, chromedp.Click(`nav.pager a[rel="next"]`, chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, `location.search.includes('cursor=')`, "next to lead to the page after a cursor")
	next := waitPage(ctx, t, pl, proxy)
	getJSON(t, srv.URL+first+"&offset=4&f=json", &want)
	if !slices.Equal(next.Rows, pageIDs(want.Features)) || len(next.Rows) == 0 {
		t.Errorf("next page rows %v, want %v", next.Rows, pageIDs(want.Features))
	}
	if u, _ := url.Parse(next.URL); u.Query().Get("limit") != "4" {
		t.Errorf("next page %s lost the limit", next.URL)
	}

	// A feature's page.
	if err := chromedp.Do(ctx, chromedp.Click(`table.features tbody tr th a`, chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	waitLocation(ctx, t, `location.pathname.endsWith('/items/`+next.Rows[0]+`')`, "the first row's link to open its feature")
	item := waitPage(ctx, t, pl, proxy)
	saveScreenshot(ctx, t, "pages-item.png")
	if item.Drawn == 0 {
		t.Errorf("the feature's map drew nothing")
	}
	if !strings.Contains(item.Title, next.Rows[0]) {
		t.Errorf("feature page title %q does not name %s", item.Title, next.Rows[0])
	}

	if r := pl.report() + proxy.report(); r != "" {
		t.Errorf("problems in the browser:\n%s", r)
	}
}

// pageState is what a data page shows once its map is drawn.
type pageState struct {
	State   string   `json:"state"`
	Rows    []string `json:"rows"`
	Drawn   int      `json:"drawn"`
	Context int      `json:"context"`
	Canvas  bool     `json:"canvas"`
	Width   int      `json:"width"`
	Title   string   `json:"title"`
	URL     string   `json:"url"`
	CSP     []string `json:"csp"`
}

const pageStateJS = `(() => {
  const el = document.getElementById('map');
  const m = window.atlantePageMap;
  const layers = ['features-fill', 'features-line', 'features-point'].filter((id) => m && m.getLayer(id));
  return {
    state: el ? (el.dataset.state || '') : 'no map',
    rows: Array.from(document.querySelectorAll('table.features tbody tr')).map((tr) => tr.dataset.id),
    drawn: m && layers.length ? m.queryRenderedFeatures({layers}).length : 0,
    context: m && m.getLayer('context-line') ? m.queryRenderedFeatures({layers: ['context-line']}).length : 0,
    canvas: !!document.querySelector('#map canvas.maplibregl-canvas'),
    width: document.documentElement.scrollWidth,
    title: document.querySelector('h1') ? document.querySelector('h1').textContent : '',
    url: location.href,
    csp: window.__csp || [],
  };
})()`

// waitLocation waits until cond holds in the page that a click opened;
// while the old page goes, evaluating fails, and is tried again.
func waitLocation(ctx context.Context, t *testing.T, cond, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s (%s): %v", what, cond, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPage waits until the page's map is drawn and returns what it shows.
func waitPage(ctx context.Context, t *testing.T, pl *pageLog, proxy *recordingProxy) pageState {
	t.Helper()
	state, err := chromedp.Run(ctx, chromedp.Poll[string](`(document.getElementById('map') || {dataset: {}}).dataset.state || ''`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil || state != "ready" {
		t.Fatalf("the page's map did not get ready (state %q, err %v); problems:\n%s\n%s", state, err, pl.report(), proxy.report())
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](pageStateJS))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.CSP) > 0 {
		t.Errorf("%s: the Content-Security-Policy blocked %v", got.URL, got.CSP)
	}
	return got
}

// pageIDs returns the ids of a page's features as text.
func pageIDs(fs []struct {
	ID any `json:"id"`
}) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		switch id := f.ID.(type) {
		case string:
			out[i] = id
		case float64:
			out[i] = strconv.FormatFloat(id, 'f', -1, 64)
		}
	}
	return out
}
