package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser tests have no total budget: a loaded machine (other tests,
// other engineers) slows every step, and a fixed budget for the whole run
// fails for that alone. Each step is bounded instead, generously; a step
// that waits for the page returns as soon as the page is there.
const (
	loadTimeout = 90 * time.Second // a page, with its tiles and labels
	stepTimeout = 45 * time.Second // one action or one answer
)

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

// browserOption adds a command-line flag to Chromium.
type browserOption = chromedp.ExecAllocatorOption

// withoutWebGL starts Chromium with WebGL and the other 3D APIs off, as on
// a locked-down PC.
var withoutWebGL = []browserOption{
	chromedp.Flag("disable-webgl", true),
	chromedp.Flag("disable-3d-apis", true),
	chromedp.Flag("use-angle", "disabled"),
}

// openBrowser starts headless Chromium for the test (in Italian, as the
// offices' browsers are) and returns its first tab, with a record of what
// goes wrong in the page. The browser lives until the test ends; it has no
// deadline of its own (see stepTimeout).
func openBrowser(t *testing.T, chromium, serverURL string, extra ...browserOption) (context.Context, *pageLog) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
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
		chromedp.Flag("lang", "it-IT"),
		chromedp.Flag("accept-lang", "it-IT,it"),
		// The map must work offline: no host resolves but the test server's.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)

	pl := &pageLog{server: serverURL, urls: map[network.RequestID]string{}}
	if err := chromedp.Listen(bctx, pl.record); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	// Start the browser now, on a context without a deadline: a browser
	// started by a step's context would die with the step.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return bctx, pl
}

// newTab opens another tab in the browser of ctx, with its own record of problems.
func newTab(t *testing.T, browser context.Context, serverURL string) (context.Context, *pageLog) {
	t.Helper()
	tctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	pl := &pageLog{server: serverURL, urls: map[network.RequestID]string{}}
	if err := chromedp.Listen(tctx, pl.record); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tctx); err != nil {
		t.Fatalf("new tab: %v", err)
	}
	return tctx, pl
}

// do runs actions, bounded by stepTimeout.
func do(ctx context.Context, t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates js once, bounded by stepTimeout.
func eval[T any](ctx context.Context, t *testing.T, js string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.80q…: %v", js, err)
	}
	return v
}

// poll waits until js is truthy (at most timeout) and returns its value; it
// fails the test with what when it never is.
func poll[T any](ctx context.Context, t *testing.T, timeout time.Duration, what, js string) T {
	t.Helper()
	v, err := tryPoll[T](ctx, timeout, js)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// tryPoll is poll that returns the error instead of failing.
func tryPoll[T any](ctx context.Context, timeout time.Duration, js string) (T, error) {
	sctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	return chromedp.Run(sctx, chromedp.Poll[T](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
}

// acceptLanguage makes the tab's browser speak lang (navigator.languages and
// the Accept-Language header), keeping its user agent.
func acceptLanguage(lang string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		ua, err := chromedp.Evaluate[string](`navigator.userAgent`)(ctx, tg)
		if err != nil {
			return err
		}
		_, err = cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: lang})
		return err
	})
}

// saveScreenshot saves what the page shows now in the test's artifact
// directory: a temporary directory, or DIR with go test -artifacts
// -outputdir DIR. Never in the repository.
func saveScreenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// getJSON decodes the answer of a GET to the test server.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// recordingProxy sits between the browser and the test server and records
// every answer that was an error, whichever thread of the page asked. It
// can also answer a path itself (serve), as a server configured otherwise
// would.
type recordingProxy struct {
	URL string

	mu       sync.Mutex
	ok       map[string]int          // successful responses by path
	bodies   map[string][]byte       // the last body posted to each path
	queries  map[string]string       // the query of the last request to each path
	own      map[string]http.Handler // paths the proxy answers itself, by prefix
	expected []expectation           // error answers the test asks for
	problems []string
}

// expectation is an error a test provokes on purpose: a status on a path,
// or a browser log text about a URL containing path.
type expectation struct {
	status int
	text   string
	path   string
}

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{ok: map[string]int{}, bodies: map[string][]byte{}, queries: map[string]string{}, own: map[string]http.Handler{}}
	// The Host header passes through, so the server's links point at the proxy.
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(res *http.Response) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if res.StatusCode >= 400 {
			i := slices.IndexFunc(p.expected, func(e expectation) bool {
				return e.status == res.StatusCode && e.path == res.Request.URL.Path
			})
			if i >= 0 {
				p.expected = slices.Delete(p.expected, i, i+1)
				return nil
			}
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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.queries[r.URL.Path] = r.URL.RawQuery
		var own http.Handler
		for prefix, h := range p.own {
			if strings.HasPrefix(r.URL.Path, prefix) {
				own = h
			}
		}
		p.mu.Unlock()
		if own != nil {
			own.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			p.mu.Lock()
			p.bodies[r.URL.Path] = body
			p.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// serve makes the proxy answer the paths starting with prefix itself, until
// the test ends.
func (p *recordingProxy) serve(t *testing.T, prefix string, h http.Handler) {
	p.mu.Lock()
	p.own[prefix] = h
	p.mu.Unlock()
	t.Cleanup(func() {
		p.mu.Lock()
		delete(p.own, prefix)
		p.mu.Unlock()
	})
}

// lastBody returns the body last posted to path.
func (p *recordingProxy) lastBody(path string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bodies[path]
}

// lastQuery returns the query string of the last request to path.
func (p *recordingProxy) lastQuery(path string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queries[path]
}

// expect lets one answer with status on path through as not a problem.
func (p *recordingProxy) expect(status int, path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expected = append(p.expected, expectation{status: status, path: path})
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

// report returns the problems seen so far, one a line, and forgets them.
func (p *recordingProxy) report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := strings.Join(p.problems, "\n")
	p.problems = nil
	return s
}

// pageLog collects console errors, uncaught exceptions and requests to the
// test server that failed in the browser. Requests of the page's workers
// (MapLibre fetches tiles in one) are reported on the workers' own targets,
// so the recording proxy checks those answers.
type pageLog struct {
	server string

	mu       sync.Mutex
	urls     map[network.RequestID]string
	expected []expectation
	allowed  []string // paths whose network failures a test provokes, as many as happen
	problems []string
	warnings []string
}

// allow lets every network failure of URLs containing path through: the
// tiles of a basemap that a test makes unreachable.
func (pl *pageLog) allow(path string) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.allowed = append(pl.allowed, path)
}

func (pl *pageLog) isAllowed(u string) bool {
	return slices.ContainsFunc(pl.allowed, func(p string) bool { return strings.Contains(u, p) })
}

// expect lets one browser log entry containing text, about a URL
// containing path, through as not a problem: the browser logs the error
// answers a test provokes.
func (pl *pageLog) expect(text, path string) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.expected = append(pl.expected, expectation{text: text, path: path})
}

// record is called by chromedp for every event of the page; it must be quick.
func (pl *pageLog) record(ev any) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, remoteText(a))
		}
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			pl.problems = append(pl.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		case runtime.ConsoleAPICalledTypeWarning:
			pl.warnings = append(pl.warnings, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		pl.problems = append(pl.problems, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, text))
	case *log.EventEntryAdded:
		// Network entries about other hosts are an unreachable basemap,
		// which the browser logs whatever the page does.
		e := ev.Entry
		i := slices.IndexFunc(pl.expected, func(x expectation) bool {
			return strings.Contains(e.Text, x.text) && strings.Contains(e.URL, x.path)
		})
		if i >= 0 {
			pl.expected = slices.Delete(pl.expected, i, i+1)
			return
		}
		if e.Level == log.EntryLevelError && (e.Source != log.EntrySourceNetwork || strings.HasPrefix(e.URL, pl.server)) && !pl.isAllowed(e.URL) {
			pl.problems = append(pl.problems, fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL))
		}
	case *network.EventRequestWillBeSent:
		pl.urls[ev.RequestID] = ev.Request.URL
	case *network.EventLoadingFailed:
		// MapLibre cancels the requests of tiles it no longer needs.
		if u := pl.urls[ev.RequestID]; strings.HasPrefix(u, pl.server) && !ev.Canceled && !pl.isAllowed(u) {
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

// warned returns the console warnings containing text.
func (pl *pageLog) warned(text string) []string {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	var out []string
	for _, w := range pl.warnings {
		if strings.Contains(w, text) {
			out = append(out, w)
		}
	}
	return out
}
