package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/testserver"
)

// browserBudget bounds everything TestViewer does in the browser.
const browserBudget = 60 * time.Second

// TestViewer opens the map in headless Chromium over the real server and
// database with the demo loaded, and checks what a person would see: the
// comuni drawn and named, the catalog's layers listed, the demo notice, the
// attribution, a popup for Crema, the basemap refusing politely when
// offline, and no errors on the way.
func TestViewer(t *testing.T) {
	chromium := findChromium(t)
	srv := testserver.Start(t, testserver.Options{})
	requireViewerBuilt(t, srv.URL)
	proxy := newRecordingProxy(t, srv.URL)

	ctx, pl := openBrowser(t, chromium, proxy.URL)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(proxy.URL+"/")); err != nil {
		t.Fatalf("navigate to %s/: %v", proxy.URL, err)
	}
	state, err := chromedp.Run(ctx, chromedp.Poll[string](readyJS,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil || state != "ready" {
		t.Fatalf("the map did not finish loading the comuni (state %q, err %v); problems:\n%s\n%s", state, err, pl.report(), proxy.report())
	}

	saveScreenshot(ctx, t, "viewer.png")

	t.Run("comuni rendered with labels", func(t *testing.T) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[renderedState](renderedJS))
		if err != nil {
			t.Fatal(err)
		}
		if name := got.Comuni["019035"]; name != "Crema" {
			t.Errorf("rendered comune 019035 = %q, want Crema (rendered: %d comuni)", name, len(got.Comuni))
		}
		if len(got.Comuni) < 40 {
			t.Errorf("rendered %d comuni, want the 48 of the demo, or nearly all", len(got.Comuni))
		}
		if !slices.Contains(got.Labels, "Crema") {
			t.Errorf("placed labels %v do not include Crema", got.Labels)
		}
		if n := proxy.served("/tiles/comuni/"); n == 0 {
			t.Error("no vector tile of the comuni was served")
		}
	})

	t.Run("layer list from the catalog", func(t *testing.T) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]listedLayer](layerListJS))
		if err != nil {
			t.Fatal(err)
		}
		var want []listedLayer
		for _, l := range srv.Catalog.Layers() {
			if l.Access == catalog.Public {
				want = append(want, listedLayer{ID: l.ID, Title: l.Title, Checked: true})
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("layer list = %+v, want %+v", got, want)
		}
	})

	t.Run("demo notice and attribution", func(t *testing.T) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[noticeState](noticeJS))
		if err != nil {
			t.Fatal(err)
		}
		const wantNotice = "Demo data — synthetic boundaries, real names and ISTAT codes"
		if !got.NoticeVisible || got.Notice != wantNotice {
			t.Errorf("demo notice: visible %v, text %q; want visible %q", got.NoticeVisible, got.Notice, wantNotice)
		}
		l, _ := srv.Catalog.Layer("comuni")
		if !strings.Contains(got.Attribution, l.Attribution) {
			t.Errorf("attribution %q does not include the comuni's %q", got.Attribution, l.Attribution)
		}
	})

	t.Run("click on Crema shows its popup", func(t *testing.T) {
		p, err := chromedp.Run(ctx, chromedp.Evaluate[screenPoint](cremaPointJS))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(p.Hit, "019035") {
			t.Fatalf("Crema's label point (%.0f, %.0f) hits comuni %v, want 019035", p.X, p.Y, p.Hit)
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
			t.Fatal(err)
		}
		// The popup first shows the tile's properties, then the whole
		// feature from the items endpoint (area_km2 is not in the tiles).
		text, err := chromedp.Run(ctx, chromedp.Poll[string](popupJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("no popup with the whole feature after a click on Crema: %v", err)
		}
		for _, want := range []string{"Crema", "019035", "area km2"} {
			if !strings.Contains(text, want) {
				t.Errorf("popup text %q does not contain %q", text, want)
			}
		}
	})

	saveScreenshot(ctx, t, "viewer-popup.png")

	t.Run("Enter on the map opens and closes a popup", func(t *testing.T) {
		want, err := chromedp.Run(ctx, chromedp.Evaluate[string](centreNameJS))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`document.querySelector('.maplibregl-popup-close-button')?.click()`),
			chromedp.Focus(chromedp.CSS("canvas.maplibregl-canvas")),
			chromedp.KeyEvent(kb.Enter),
		); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[keyboardState](`(`+keyboardJS+`).popups > 0 && `+keyboardJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			t.Fatalf("no popup after Enter: %v", err)
		}
		if got.Title != want || got.Focus != "maplibregl-popup-close-button" {
			t.Errorf("after Enter: popup %q with the focus on %q; want %q with the focus on its close button", got.Title, got.Focus, want)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		got, err = chromedp.Run(ctx, chromedp.Evaluate[keyboardState](keyboardJS))
		if err != nil {
			t.Fatal(err)
		}
		if got.Popups != 0 || got.Focus != "maplibregl-canvas" {
			t.Errorf("after Enter on the close button: %d popups, focus on %q; want none, focus back on the map", got.Popups, got.Focus)
		}
	})

	t.Run("basemap unreachable offline", func(t *testing.T) {
		// The browser resolves no host but the test server's, so the probe
		// fails at once and nothing leaves the machine.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("basemap-toggle"))); err != nil {
			t.Fatal(err)
		}
		note, err := chromedp.Run(ctx, chromedp.Poll[string](basemapJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("the basemap toggle did not give up: %v", err)
		}
		if !strings.Contains(note, "cannot be reached") {
			t.Errorf("basemap note = %q, want it to say OpenStreetMap cannot be reached", note)
		}
	})

	if problems := pl.report(); problems != "" {
		t.Errorf("the page reported problems:\n%s", problems)
	}
	if problems := proxy.report(); problems != "" {
		t.Errorf("the server answered the browser with errors:\n%s", problems)
	}
}

// readyJS is "ready" once the map has drawn comuni and placed their labels,
// the error text if the page gave up, and false until then.
const readyJS = `(() => {
	const status = document.getElementById('status');
	if (status && !status.hidden) return 'error: ' + status.textContent;
	const m = window.atlanteMap;
	if (!m || document.body.dataset.state !== 'ready') return false;
	if (!m.loaded() || !m.areTilesLoaded() || m.isMoving()) return false;
	if (m.queryRenderedFeatures({layers: ['comuni-fill']}).length === 0) return false;
	if (m.queryRenderedFeatures({layers: ['comuni-label']}).length === 0) return false;
	return 'ready';
})()`

type renderedState struct {
	Comuni map[string]string `json:"comuni"` // istat_code -> name
	Labels []string          `json:"labels"`
}

const renderedJS = `(() => {
	const m = window.atlanteMap;
	const comuni = {};
	for (const f of m.queryRenderedFeatures({layers: ['comuni-fill']})) comuni[f.properties.istat_code] = f.properties.name;
	const labels = m.queryRenderedFeatures({layers: ['comuni-label']}).map((f) => f.properties.name);
	return {comuni, labels};
})()`

type listedLayer struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Checked bool   `json:"checked"`
}

const layerListJS = `Array.from(document.querySelectorAll('#layer-list li')).map((li) => ({
	id: li.dataset.layerId,
	title: li.querySelector('.layer-title').textContent,
	checked: li.querySelector('input[type=checkbox]').checked,
}))`

type noticeState struct {
	Notice        string `json:"notice"`
	NoticeVisible bool   `json:"noticeVisible"`
	Attribution   string `json:"attribution"`
}

const noticeJS = `(() => {
	const n = document.getElementById('demo-notice');
	const r = n.getBoundingClientRect();
	const a = document.querySelector('.maplibregl-ctrl-attrib-inner');
	return {
		notice: n.textContent.trim(),
		noticeVisible: !n.hidden && r.width > 0 && r.height > 0 && getComputedStyle(n).visibility === 'visible',
		attribution: a ? a.textContent : '',
	};
})()`

type screenPoint struct {
	X, Y float64
	Hit  []string // istat codes of the comuni drawn there
}

// cremaPointJS finds Crema's label point on the screen.
const cremaPointJS = `(() => {
	const m = window.atlanteMap;
	const f = m.querySourceFeatures('comuni-labels').find((f) => f.properties.istat_code === '019035');
	if (!f) return {x: 0, y: 0, hit: []};
	const p = m.project(f.geometry.coordinates);
	const r = m.getCanvas().getBoundingClientRect();
	const hit = m.queryRenderedFeatures(p, {layers: ['comuni-fill']}).map((f) => f.properties.istat_code);
	return {x: r.left + p.x, y: r.top + p.y, hit};
})()`

const popupJS = `(() => {
	const p = document.querySelector('.maplibregl-popup-content');
	return p && p.textContent.includes('area km2') ? p.innerText : false;
})()`

// centreNameJS names the comune at the centre of the map.
const centreNameJS = `(() => {
	const m = window.atlanteMap;
	const [f] = m.queryRenderedFeatures(m.project(m.getCenter()), {layers: ['comuni-fill']});
	return f ? f.properties.name : '';
})()`

type keyboardState struct {
	Popups int    `json:"popups"`
	Title  string `json:"title"`
	Focus  string `json:"focus"` // class of the focused element
}

const keyboardJS = `(() => {
	const h = document.querySelector('.maplibregl-popup h2');
	return {
		popups: document.querySelectorAll('.maplibregl-popup').length,
		title: h ? h.textContent : '',
		focus: String(document.activeElement?.classList[0] ?? ''),
	};
})()`

const basemapJS = `(() => {
	const toggle = document.getElementById('basemap-toggle');
	const note = document.getElementById('basemap-note');
	return !toggle.checked && !toggle.disabled && !note.hidden && !note.textContent.endsWith('…') ? note.textContent : false;
})()`

// saveScreenshot saves what the page shows now in the test's artifact
// directory: go test -artifacts -outputdir DIR keeps it.
func saveScreenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// recordingProxy sits between the browser and the test server and records
// every answer that was an error, whichever thread of the page asked.
type recordingProxy struct {
	URL string

	mu       sync.Mutex
	ok       map[string]int // successful responses by path
	problems []string
}

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{ok: map[string]int{}}
	// The Host header passes through, so the server's links point at the proxy.
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(res *http.Response) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if res.StatusCode >= 400 {
			p.problems = append(p.problems, fmt.Sprintf("HTTP %d for %s", res.StatusCode, res.Request.URL.RequestURI()))
		} else {
			p.ok[res.Request.URL.Path]++
		}
		return nil
	}
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		w.WriteHeader(http.StatusBadGateway)
		if errors.Is(err, context.Canceled) {
			return // MapLibre aborts the tiles it no longer needs
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.problems = append(p.problems, fmt.Sprintf("%s: %v", r.URL.RequestURI(), err))
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// served counts the successful responses to paths with the given prefix.
func (p *recordingProxy) served(prefix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for path, c := range p.ok {
		if strings.HasPrefix(path, prefix) {
			n += c
		}
	}
	return n
}

func (p *recordingProxy) report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.problems, "\n")
}

// findChromium returns the path of the Chromium binary.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("chromium not found (looked for chromium, chromium-browser, google-chrome on PATH): run make test, which installs it")
	return ""
}

// requireViewerBuilt fails when MapLibre GL JS was not copied into the
// embedded files, which `make viewer` does.
func requireViewerBuilt(t *testing.T, base string) {
	t.Helper()
	res, err := http.Get(base + "/viewer/vendor/maplibre-gl.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /viewer/vendor/maplibre-gl.js: %s: MapLibre GL JS is not embedded; run make viewer (or make test)", res.Status)
	}
}

// openBrowser starts headless Chromium for the test and records what goes
// wrong in the page.
func openBrowser(t *testing.T, chromium, serverURL string) (context.Context, *pageLog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	t.Cleanup(cancel)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.Flag("disable-gpu", true),
		// WebGL for MapLibre without a GPU: ANGLE over SwiftShader, which
		// Chromium only allows for WebGL when told to.
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		// The map must work offline: no host resolves but the test server's.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)

	pl := &pageLog{server: serverURL, urls: map[network.RequestID]string{}}
	if err := chromedp.Listen(bctx, pl.record); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return bctx, pl
}

// pageLog collects console errors, uncaught exceptions and requests to the
// test server that failed in the browser. Requests of the page's workers
// (MapLibre fetches tiles in one) are reported on the workers' own targets,
// so the recording proxy checks those answers.
type pageLog struct {
	server string

	mu       sync.Mutex
	urls     map[network.RequestID]string
	problems []string
}

// record is called by chromedp for every event of the page; it must be quick.
func (pl *pageLog) record(ev any) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, remoteText(a))
			}
			pl.problems = append(pl.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		pl.problems = append(pl.problems, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, text))
	case *log.EventEntryAdded:
		// Network entries about other hosts are the offline basemap probe,
		// which the browser logs whatever the page does.
		e := ev.Entry
		if e.Level == log.EntryLevelError && (e.Source != log.EntrySourceNetwork || strings.HasPrefix(e.URL, pl.server)) {
			pl.problems = append(pl.problems, fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL))
		}
	case *network.EventRequestWillBeSent:
		pl.urls[ev.RequestID] = ev.Request.URL
	case *network.EventLoadingFailed:
		// MapLibre cancels the requests of tiles it no longer needs.
		if u := pl.urls[ev.RequestID]; strings.HasPrefix(u, pl.server) && !ev.Canceled {
			pl.problems = append(pl.problems, fmt.Sprintf("request failed: %s: %s", u, ev.ErrorText))
		}
	}
}

func remoteText(o *runtime.RemoteObject) string {
	switch {
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return strings.Trim(string(o.Value), `"`)
	}
	return string(o.Type)
}

// report returns the problems seen so far, one a line.
func (pl *pageLog) report() string {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return strings.Join(pl.problems, "\n")
}
