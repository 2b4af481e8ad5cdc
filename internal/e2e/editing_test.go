package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestEditing drives the viewer's editing screens in headless Chromium as
// their users would, over the real server and database with the demo's
// comuni, civil-protection plans and energy communities, and checks after
// each step what the service stored, not only what the page shows:
//
//   - on a 390×844 phone, with touch only, an editor places, saves and
//     deletes a strategic building;
//   - an editor of Crema signs in with a token (kept for the tab only),
//     draws a risk scenario with real pointer clicks on the map, fills the
//     form generated from the layer's schema and saves it; reshapes it by
//     dragging a corner; edits its title while someone else changes its
//     severity through the API, meets the 412, sees what changed, reloads
//     and saves both; places, moves and deletes a building and an
//     emergency area; keeps the crisis unit; submits the plan, and finds
//     the scenario frozen;
//   - a validator, in another tab (not signed in there), validates the plan;
//   - a private reader sees the crisis unit, with no way to edit it, and a
//     forced attempt is refused with 403, shown in Italian; opened again,
//     the crisis unit comes from the service, not the browser's cache;
//   - the editor creates an energy community, adds a member site with a
//     click on the map, and sees the eligibility change; changes the
//     community, meets a 412 shown field by field, reloads and saves;
//     removes the site and sees the eligibility change back.
func TestEditing(t *testing.T) {
	chromium := findChromium(t)
	srv := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection", "energy"}})
	requireViewerBuilt(t, srv.URL)
	proxy := newRecordingProxy(t, srv.URL)
	browser, _ := openBrowser(t, chromium, proxy.URL)
	store := auth.NewStore(srv.DB.Write)
	token := func(name string, role auth.Role) string {
		secret, _, err := store.CreateToken(context.Background(), name, role, []string{crema})
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	e := &editRun{
		viewerRun: &viewerRun{srv: srv, proxy: proxy, msgs: loadMessages(t, srv.URL), browser: browser, noConfig: !hasViewerConfig(t, srv.URL)},
		editor:    token("Ufficio tecnico, Comune di Crema", auth.Editor),
		validator: token("Protezione civile, Crema", auth.Validator),
		reader:    token("Prefettura di Cremona", auth.PrivateReader),
	}
	// The page's policy allows no inline code or style and no eval; the
	// drawing library must work under it (violations are also caught in
	// the page, see signInHere and clean).
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Header.Set("Accept", "text/html")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("the map's Content-Security-Policy is %q, want script-src and style-src 'self' without unsafe-*", csp)
	}
	e.inside = e.pointInside(t, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(ST_Buffer(ST_Transform(geom, 32632), -800)), 4326) p
		FROM comuni WHERE istat_code = $1) x`, crema)

	t.Run("editor on a phone", e.phoneFlow)
	t.Run("editor", e.editorFlow)
	t.Run("validator", e.validatorFlow)
	t.Run("private reader", e.readerFlow)
	t.Run("energy community", e.energyFlow)
}

const crema = "019035"

type editRun struct {
	*viewerRun
	editor, validator, reader string
	inside                    [2]float64 // a point well inside Crema
	scenario                  string     // the id of the scenario the editor drew
}

func (e *editRun) pointInside(t *testing.T, q string, args ...any) [2]float64 {
	t.Helper()
	var p [2]float64
	if err := e.srv.DB.Read.QueryRow(context.Background(), q, args...).Scan(&p[0], &p[1]); err != nil {
		t.Fatal(err)
	}
	return p
}

// api sends a request to the server with a token and decodes a JSON answer into v (when not nil).
func (e *editRun) api(t *testing.T, method, path, token string, body any, v any, header ...string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil && len(b) > 0 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %s: %v: %.300s", method, path, res.Status, err, b)
		}
	}
	return res
}

type storedFeature struct {
	ID         json.Number    `json:"id"`
	Properties map[string]any `json:"properties"`
	Geometry   struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

type storedPlan struct {
	Status           string `json:"status"`
	Version          int    `json:"version"`
	ValidatedVersion *int   `json:"validated_version"`
	History          []struct {
		To    string `json:"to"`
		Role  string `json:"role"`
		Actor string `json:"actor"`
	} `json:"history"`
}

// signIn opens the map in a new tab and signs in with secret; it checks
// that the tab keeps the token for itself only.
func (e *editRun) signIn(t *testing.T, secret, roleKey string) (context.Context, *pageLog) {
	t.Helper()
	ctx, pl := e.open(t, "/?lang=it", 1280, 800)
	e.signInHere(t, ctx, secret, roleKey)
	return ctx, pl
}

// signInOnPhone is signIn at 390×844 with touch, from the layer drawer.
func (e *editRun) signInOnPhone(t *testing.T, secret, roleKey string) (context.Context, *pageLog) {
	t.Helper()
	ctx, pl := e.open(t, "/?lang=it", 390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
	do(ctx, t, chromedp.Click(chromedp.ID("menu-toggle")))
	e.signInHere(t, ctx, secret, roleKey)
	return ctx, pl
}

func (e *editRun) signInHere(t *testing.T, ctx context.Context, secret, roleKey string) {
	t.Helper()
	eval[bool](ctx, t, `(window.cspViolations = [], document.addEventListener('securitypolicyviolation',
		(e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI)), true)`)
	if got := eval[bool](ctx, t, `!!document.querySelector('#panel-edit form.signin')`); !got {
		t.Fatal("a new tab is signed in already: the token must stay in the tab that signed in")
	}
	do(ctx, t, chromedp.SendKeys(chromedp.ID("signin-token"), secret), chromedp.Click(chromedp.CSS(".signin-submit")))
	role := waitUntil[string](ctx, t, stepTimeout, "signed in", `document.querySelector('#panel-edit .account-role')?.textContent`)
	if want := e.text(t, roleKey, "it"); role != want {
		t.Errorf("signed in as %q, want the role %q", role, want)
	}
	where := eval[map[string]any](ctx, t, `({
		session: sessionStorage.getItem('atlante.token'),
		local: Object.keys(localStorage).map((k) => localStorage.getItem(k)).join(' '),
		url: location.href,
		comuni: document.querySelector('.account-comuni').textContent,
	})`)
	if where["session"] != secret {
		t.Errorf("sessionStorage holds %v, want the token (kept for the tab)", where["session"])
	}
	if strings.Contains(fmt.Sprint(where["local"]), secret) || strings.Contains(fmt.Sprint(where["url"]), secret) {
		t.Errorf("the token leaked into localStorage or the address: %v", where)
	}
	if !strings.Contains(fmt.Sprint(where["comuni"]), "Crema (019035)") {
		t.Errorf("the panel lists comuni %q, want Crema (019035)", where["comuni"])
	}
}

// waitUntil polls js like poll; on a timeout it keeps a screenshot and
// the text of the sheet, so that a failure shows what the page said.
func waitUntil[T any](ctx context.Context, t *testing.T, timeout time.Duration, what, js string) T {
	t.Helper()
	v, err := tryPoll[T](ctx, timeout, js)
	if err != nil {
		name := strings.NewReplacer(" ", "-", ",", "", "/", "-").Replace(what) + ".failed.png"
		saveScreenshot(ctx, t, name)
		sheet := eval[string](ctx, t, `document.getElementById('stats').innerText`)
		t.Fatalf("%s: %v; the sheet reads:\n%s", what, err, sheet)
	}
	return v
}

// cleanPage fails the test with the problems the page and the server
// met, Content-Security-Policy violations included.
func (e *editRun) cleanPage(t *testing.T, ctx context.Context, pl *pageLog) {
	t.Helper()
	if v := eval[[]string](ctx, t, `window.cspViolations`); len(v) > 0 {
		t.Errorf("the page broke its Content-Security-Policy: %v", v)
	}
	e.clean(t, pl)
}

// goTo moves the map to a place and waits until it is drawn.
func goTo(ctx context.Context, t *testing.T, c [2]float64, zoom float64) {
	t.Helper()
	eval[bool](ctx, t, fmt.Sprintf(`(window.atlanteMap.jumpTo({center: [%g, %g], zoom: %g}), true)`, c[0], c[1], zoom))
	waitIdle(ctx, t)
}

// clickAt clicks the map at a lon/lat with a real pointer: a move, a press, a release.
func clickAt(ctx context.Context, t *testing.T, c [2]float64) {
	t.Helper()
	p := project(ctx, t, c)
	do(ctx, t,
		chromedp.MouseEvent(chromedp.MouseMoved, p.X, p.Y),
		chromedp.MouseClickXY(p.X, p.Y))
	time.Sleep(120 * time.Millisecond) // two clicks in a row must not make a double click
}

// dragOn drags the pointer on the map from one lon/lat to another, in steps.
func dragOn(ctx context.Context, t *testing.T, from, to [2]float64) {
	t.Helper()
	a, b := project(ctx, t, from), project(ctx, t, to)
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, a.X, a.Y),
		chromedp.MouseEvent(chromedp.MousePressed, a.X, a.Y, chromedp.ButtonLeft, held, chromedp.ClickCount(1)),
	}
	for i := 1; i <= 10; i++ {
		f := float64(i) / 10
		actions = append(actions, chromedp.MouseEvent(chromedp.MouseMoved, a.X+(b.X-a.X)*f, a.Y+(b.Y-a.Y)*f, chromedp.ButtonLeft, held))
	}
	actions = append(actions, chromedp.MouseEvent(chromedp.MouseReleased, b.X, b.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	do(ctx, t, actions...)
}

// held marks the left button as held during a move (PointerEvent.buttons).
func held(p *input.DispatchMouseEventParams) { p.Buttons = 1 }

// setField sets a field of the editor's form.
func setField(ctx context.Context, t *testing.T, form, name, value string) {
	t.Helper()
	sel := fmt.Sprintf(`%s [name=%s]`, form, name)
	ok := eval[bool](ctx, t, fmt.Sprintf(`(() => {
		const f = document.querySelector(%s);
		if (!f) return false;
		f.value = %s;
		f.dispatchEvent(new Event('input', {bubbles: true}));
		f.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, jsString(sel), jsString(value)))
	if !ok {
		t.Fatalf("no field %s", sel)
	}
}

func (e *editRun) editorFlow(t *testing.T) {
	ctx, pl := e.signIn(t, e.editor, "role.editor")
	saveScreenshot(ctx, t, "editing-signed-in.png")
	e.noEnglish(t, ctx, "the signed-in panel")
	may := eval[[]string](ctx, t, `Array.from(document.querySelectorAll('.account-may li')).map((l) => l.dataset.action)`)
	if strings.Join(may, ",") != "write,read-private,submit,reopen" {
		t.Errorf("the panel says the editor may %v, want write, read-private, submit, reopen", may)
	}
	creatable := eval[[]string](ctx, t, `Array.from(document.querySelectorAll('[data-create]')).map((b) => b.dataset.create)`)
	for _, want := range []string{"scenarios", "emergency-areas", "emergency-area-points", "strategic-buildings", "energy-sites"} {
		if !strings.Contains(strings.Join(creatable, " "), want) {
			t.Errorf("the editor is not offered to add to %s (offered: %v)", want, creatable)
		}
	}

	// Draw a scenario with the pointer: four corners, then the first again.
	c := e.inside
	goTo(ctx, t, c, 16)
	do(ctx, t, chromedp.Click(chromedp.CSS(`[data-create=scenarios]`)))
	waitUntil[bool](ctx, t, loadTimeout, "the editor opens with the drawing library", `!!document.querySelector('#stats[data-view=edit] .editor') && !!window.terraDraw`)
	corners := [][2]float64{{c[0] - 0.0015, c[1] - 0.001}, {c[0] + 0.0015, c[1] - 0.001}, {c[0] + 0.0015, c[1] + 0.001}, {c[0] - 0.0015, c[1] + 0.001}}
	for _, k := range corners {
		clickAt(ctx, t, k)
	}
	clickAt(ctx, t, corners[0])
	waitUntil[bool](ctx, t, stepTimeout, "the drawn area is finished and can be saved", `!document.querySelector('.edit-save').disabled`)
	form := ".edit-form"
	hazards := eval[[]string](ctx, t, `Array.from(document.querySelectorAll('.edit-form [name=hazard] option')).map((o) => o.textContent)`)
	if !strings.Contains(strings.Join(hazards, "|"), e.text(t, "cp.hazard.idraulico", "it")) {
		t.Errorf("the hazard list of the form = %q, want the hazards of the schema by their Italian names", hazards)
	}
	if v := eval[string](ctx, t, `document.querySelector('.edit-form [name=istat_code]').value`); v != crema {
		t.Errorf("the comune of the new scenario = %q, want %s (the token's)", v, crema)
	}
	setField(ctx, t, form, "title", "Esondazione della roggia Cresmiero")
	setField(ctx, t, form, "hazard", "idraulico")
	setField(ctx, t, form, "severity", "2")
	saveScreenshot(ctx, t, "editing-drawn.png")
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	id := waitUntil[string](ctx, t, stepTimeout, "the scenario is saved", `document.querySelector('.edit-saved') && document.querySelector('.editor').dataset.feature`)
	e.scenario = id
	var f storedFeature
	if res := e.api(t, http.MethodGet, "/collections/scenarios/items/"+id, "", nil, &f); res.StatusCode != http.StatusOK {
		t.Fatalf("the saved scenario %s: %s", id, res.Status)
	}
	if f.Properties["title"] != "Esondazione della roggia Cresmiero" || f.Properties["hazard"] != "idraulico" ||
		f.Properties["severity"] != float64(2) || f.Properties["istat_code"] != crema {
		t.Errorf("stored properties = %v", f.Properties)
	}
	ring := firstRing(t, f)
	for _, k := range corners {
		if !ringHas(ring, k, 0.0001) {
			t.Errorf("the stored ring %v lacks the clicked corner %v", ring, k)
		}
	}
	if len(ring) != 5 {
		t.Errorf("the stored ring has %d positions, want the 4 clicked corners closed", len(ring))
	}

	// Reshape: drag a corner outwards with the pointer, save.
	moved := [2]float64{corners[2][0] + 0.0006, corners[2][1] + 0.0004}
	dragOn(ctx, t, corners[2], moved)
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	waitUntil[bool](ctx, t, stepTimeout, "the reshaped scenario is saved", `!!document.querySelector('.edit-saved')`)
	e.api(t, http.MethodGet, "/collections/scenarios/items/"+id, "", nil, &f)
	ring = firstRing(t, f)
	if !ringHas(ring, moved, 0.0001) || ringHas(ring, corners[2], 0.0001) {
		t.Errorf("after dragging corner %v to %v the stored ring is %v", corners[2], moved, ring)
	}

	// Someone else changes the severity while the title is being edited.
	setField(ctx, t, form, "title", "Esondazione del Cresmiero, zona nord")
	res := e.api(t, http.MethodGet, "/collections/scenarios/items/"+id, "", nil, nil)
	res = e.api(t, http.MethodPatch, "/collections/scenarios/items/"+id, e.editor, map[string]any{"properties": map[string]any{"severity": 4}}, nil,
		"If-Match", res.Header.Get("ETag"), "Content-Type", "application/merge-patch+json")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the concurrent change: %s", res.Status)
	}
	path := "/collections/scenarios/items/" + id
	e.proxy.expect(http.StatusPreconditionFailed, path)
	pl.expect("412", path)
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	diff := waitUntil[map[string]string](ctx, t, stepTimeout, "the 412 shows what changed", `(() => {
		const c = document.querySelector('.edit-conflict');
		if (!c) return false;
		return Object.fromEntries(Array.from(c.querySelectorAll('tr[data-property]')).map((r) => [r.dataset.property, r.dataset.changedBy + ': ' + Array.from(r.cells).map((x) => x.textContent).join(' | ')]));
	})()`)
	saveScreenshot(ctx, t, "editing-conflict.png")
	e.noEnglish(t, ctx, "the conflict view")
	if !strings.HasPrefix(diff["severity"], "them:") || !strings.Contains(diff["severity"], e.text(t, "cp.severity.4", "it")) {
		t.Errorf("the conflict shows severity as %q, want changed by someone else, to 4", diff["severity"])
	}
	if !strings.HasPrefix(diff["title"], "you:") || !strings.Contains(diff["title"], "zona nord") {
		t.Errorf("the conflict shows title as %q, want changed by you", diff["title"])
	}
	e.api(t, http.MethodGet, path, "", nil, &f)
	if f.Properties["title"] != "Esondazione della roggia Cresmiero" {
		t.Errorf("after the 412 the stored title is %v: the stale save went through", f.Properties["title"])
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-reload")))
	vals := waitUntil[map[string]string](ctx, t, stepTimeout, "the form reloads", `document.querySelector('.edit-reloaded') && {
		severity: document.querySelector('.edit-form [name=severity]').value,
		title: document.querySelector('.edit-form [name=title]').value}`)
	if vals["severity"] != "4" || vals["title"] != "Esondazione del Cresmiero, zona nord" {
		t.Errorf("after reloading the form holds %v, want severity 4 (theirs) and the new title (mine)", vals)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	waitUntil[bool](ctx, t, stepTimeout, "saved after the reload", `!!document.querySelector('.edit-saved')`)
	e.api(t, http.MethodGet, path, "", nil, &f)
	if f.Properties["title"] != "Esondazione del Cresmiero, zona nord" || f.Properties["severity"] != float64(4) {
		t.Errorf("stored after the reload: %v, want both changes", f.Properties)
	}

	// A strategic building: placed with a click, moved by dragging it, deleted.
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-close")))
	spot := [2]float64{c[0] + 0.0025, c[1] - 0.0015}
	do(ctx, t, chromedp.Click(chromedp.CSS(`[data-create=strategic-buildings]`)))
	waitUntil[bool](ctx, t, stepTimeout, "the building editor", `!!document.querySelector('.editor[data-layer="strategic-buildings"]')`)
	clickAt(ctx, t, spot)
	waitUntil[bool](ctx, t, stepTimeout, "the building is placed", `!document.querySelector('.edit-save').disabled`)
	setField(ctx, t, form, "name", "Palestra comunale")
	setField(ctx, t, form, "kind", "scuola")
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	bid := waitUntil[string](ctx, t, stepTimeout, "the building is saved", `document.querySelector('.edit-saved') && document.querySelector('.editor').dataset.feature`)
	var b storedFeature
	e.api(t, http.MethodGet, "/collections/strategic-buildings/items/"+bid, "", nil, &b)
	var pt [2]float64
	if err := json.Unmarshal(b.Geometry.Coordinates, &pt); err != nil || !near(pt, spot, 0.0001) || b.Properties["kind"] != "scuola" {
		t.Errorf("stored building: %s %s %v, want a point at %v, a school", b.Geometry.Type, b.Geometry.Coordinates, b.Properties, spot)
	}
	there := [2]float64{spot[0] + 0.0008, spot[1] + 0.0005}
	dragOn(ctx, t, spot, there)
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	waitUntil[bool](ctx, t, stepTimeout, "the moved building is saved", `!!document.querySelector('.edit-saved')`)
	e.api(t, http.MethodGet, "/collections/strategic-buildings/items/"+bid, "", nil, &b)
	if err := json.Unmarshal(b.Geometry.Coordinates, &pt); err != nil || !near(pt, there, 0.0001) {
		t.Errorf("after dragging the building to %v it is stored at %s", there, b.Geometry.Coordinates)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-delete")))
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-delete-confirm")))
	waitUntil[bool](ctx, t, stepTimeout, "the building is deleted", `!!document.querySelector('.edit-deleted')`)
	if res := e.api(t, http.MethodGet, "/collections/strategic-buildings/items/"+bid, "", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("after deleting, GET the building: %s, want 404", res.Status)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-close")))

	// An emergency area drawn as a polygon: its kind from the schema's
	// enum, moved whole by dragging it, then deleted.
	ac := [2]float64{c[0] - 0.004, c[1] + 0.002}
	goTo(ctx, t, ac, 16)
	do(ctx, t, chromedp.Click(chromedp.CSS(`[data-create=emergency-areas]`)))
	waitUntil[bool](ctx, t, stepTimeout, "the area editor", `!!document.querySelector('.editor[data-layer="emergency-areas"]')`)
	areaCorners := [][2]float64{{ac[0] - 0.001, ac[1] - 0.0007}, {ac[0] + 0.001, ac[1] - 0.0007}, {ac[0] + 0.001, ac[1] + 0.0007}, {ac[0] - 0.001, ac[1] + 0.0007}}
	for _, k := range areaCorners {
		clickAt(ctx, t, k)
	}
	clickAt(ctx, t, areaCorners[0])
	waitUntil[bool](ctx, t, stepTimeout, "the area is drawn", `!document.querySelector('.edit-save').disabled`)
	kinds := eval[[]string](ctx, t, `Array.from(document.querySelectorAll('.edit-form [name=kind] option')).filter((o) => o.value).map((o) => o.value + '=' + o.textContent)`)
	if want := "attesa=" + e.text(t, "cp.area.attesa", "it"); len(kinds) != 3 || kinds[0] != want {
		t.Errorf("the area's kinds in the form = %q, want the schema's three, first %q", kinds, want)
	}
	setField(ctx, t, form, "name", "Parcheggio del cimitero")
	setField(ctx, t, form, "kind", "ammassamento")
	setField(ctx, t, form, "capacity", "250")
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	aid := waitUntil[string](ctx, t, stepTimeout, "the area is saved", `document.querySelector('.edit-saved') && document.querySelector('.editor').dataset.feature`)
	var a storedFeature
	e.api(t, http.MethodGet, "/collections/emergency-areas/items/"+aid, "", nil, &a)
	if a.Properties["kind"] != "ammassamento" || a.Properties["capacity"] != float64(250) || a.Properties["istat_code"] != crema {
		t.Errorf("stored area properties = %v", a.Properties)
	}
	shift := [2]float64{0.0006, 0.0004}
	dragOn(ctx, t, ac, [2]float64{ac[0] + shift[0], ac[1] + shift[1]})
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	waitUntil[bool](ctx, t, stepTimeout, "the moved area is saved", `!!document.querySelector('.edit-saved')`)
	e.api(t, http.MethodGet, "/collections/emergency-areas/items/"+aid, "", nil, &a)
	ring = firstRing(t, a)
	for _, k := range areaCorners {
		if to := [2]float64{k[0] + shift[0], k[1] + shift[1]}; !ringHas(ring, to, 0.0001) {
			t.Errorf("after dragging the area by %v its stored ring %v lacks corner %v moved to %v", shift, ring, k, to)
		}
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-delete")))
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-delete-confirm")))
	waitUntil[bool](ctx, t, stepTimeout, "the area is deleted", `!!document.querySelector('.edit-deleted')`)
	if res := e.api(t, http.MethodGet, "/collections/emergency-areas/items/"+aid, "", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("after deleting, GET the area: %s, want 404", res.Status)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-close")))
	goTo(ctx, t, c, 16)

	// The crisis unit: the editor adds a member, then removes it.
	var unit struct {
		Members []crisisMember `json:"members"`
	}
	e.api(t, http.MethodGet, "/civil-protection/plans/"+crema+"/crisis-unit", e.editor, nil, &unit)
	do(ctx, t, chromedp.Click(chromedp.CSS(".account-crisis")))
	waitUntil[bool](ctx, t, stepTimeout, "the crisis unit, editable", `document.querySelector('.crisis-unit')?.dataset.editable === 'true' && !!document.querySelector('.crisis-add')`)
	roles := eval[[]string](ctx, t, `(document.querySelector('.crisis-add').click(), Array.from(document.querySelectorAll('.crisis-member-form [name=role] option')).map((o) => o.value).filter(Boolean))`)
	if strings.Join(roles, ",") != "sindaco,referente_operativo_comunale,tecnico_comunale,polizia_locale,volontariato,altro" {
		t.Errorf("the member form offers roles %v, want the schema's", roles)
	}
	setField(ctx, t, ".crisis-member-form", "role", "tecnico_comunale")
	setField(ctx, t, ".crisis-member-form", "name", "Geom. Ufficio lavori pubblici")
	setField(ctx, t, ".crisis-member-form", "phone", "+39 0373 894111")
	do(ctx, t, chromedp.Click(chromedp.CSS(".crisis-save")))
	waitUntil[bool](ctx, t, stepTimeout, "the member is listed", `Array.from(document.querySelectorAll('.crisis-table td[data-field=name]')).some((c) => c.textContent === 'Geom. Ufficio lavori pubblici')`)
	var after struct {
		Members []struct {
			crisisMember
			Role  string  `json:"role"`
			Phone *string `json:"phone"`
		} `json:"members"`
	}
	e.api(t, http.MethodGet, "/civil-protection/plans/"+crema+"/crisis-unit", e.editor, nil, &after)
	var added int64
	for _, m := range after.Members {
		if m.Name == "Geom. Ufficio lavori pubblici" && m.Role == "tecnico_comunale" && m.Phone != nil && *m.Phone == "+39 0373 894111" {
			added = m.ID
		}
	}
	if added == 0 || len(after.Members) != len(unit.Members)+1 {
		t.Fatalf("stored crisis unit after adding: %+v", after.Members)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-member="%d"] .crisis-remove`, added))))
	do(ctx, t, chromedp.Click(chromedp.CSS(".crisis-remove-confirm")))
	waitUntil[bool](ctx, t, stepTimeout, "the member is removed", fmt.Sprintf(`!!document.querySelector('.crisis-table') && !document.querySelector('tr[data-member="%d"]')`, added))
	e.api(t, http.MethodGet, "/civil-protection/plans/"+crema+"/crisis-unit", e.editor, nil, &after)
	if len(after.Members) != len(unit.Members) {
		t.Errorf("after removing, the crisis unit has %d members, want %d", len(after.Members), len(unit.Members))
	}
	do(ctx, t, chromedp.Click(chromedp.CSS("#stats .close")))

	// Submit the plan.
	do(ctx, t, chromedp.Click(chromedp.CSS(".account-plan")))
	steps := waitUntil[[]string](ctx, t, stepTimeout, "the plan panel", `document.querySelector('.plan-status-line') && Array.from(document.querySelectorAll('.plan-do')).map((b) => b.dataset.step)`)
	if strings.Join(steps, ",") != "submit" {
		t.Errorf("an editor with a draft plan is offered %v, want only submit", steps)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(`.plan-do[data-step=submit]`)))
	waitUntil[bool](ctx, t, stepTimeout, "the plan is submitted", `!!document.querySelector('.plan-status-line[data-status=submitted]') && !!document.querySelector('.plan-frozen')`)
	saveScreenshot(ctx, t, "editing-plan-submitted.png")
	e.noEnglish(t, ctx, "the plan panel")
	var plan storedPlan
	e.api(t, http.MethodGet, "/civil-protection/plans/"+crema, "", nil, &plan)
	if plan.Status != "submitted" || len(plan.History) == 0 || plan.History[len(plan.History)-1].Role != "editor" {
		t.Errorf("stored plan after submit: %+v", plan)
	}

	// The scenario is now frozen: its popup's "Modifica" opens it locked.
	center := [2]float64{c[0] - 0.0005, c[1]}
	goTo(ctx, t, center, 16)
	p := project(ctx, t, center)
	clickFeature(ctx, t, p.X, p.Y, "scenarios", id)
	waitUntil[bool](ctx, t, stepTimeout, "the popup offers Modifica", `!!document.querySelector('.maplibregl-popup .popup-actions .edit-open')`)
	do(ctx, t, chromedp.Click(chromedp.CSS(".maplibregl-popup .edit-open")))
	frozen := waitUntil[string](ctx, t, stepTimeout, "the scenario shows frozen", `document.querySelector('.editor[data-frozen=true]') && document.querySelector('.edit-save').disabled && document.querySelector('.edit-frozen').textContent`)
	if !strings.Contains(frozen, "Crema") || !strings.Contains(frozen, "congelato") {
		t.Errorf("the frozen note reads %q", frozen)
	}
	saveScreenshot(ctx, t, "editing-frozen.png")
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-close")))
	e.cleanPage(t, ctx, pl)
}

// phoneFlow places a strategic building on a 390×844 phone with touch
// only: the tool opened from the drawer, the point placed with a tap, the
// form saved with taps; the editor's sheet and the map fit the screen.
func (e *editRun) phoneFlow(t *testing.T) {
	ctx, pl := e.signInOnPhone(t, e.editor, "role.editor")
	spot := [2]float64{e.inside[0] - 0.001, e.inside[1] + 0.0012}
	goTo(ctx, t, [2]float64{e.inside[0] - 0.001, e.inside[1]}, 16)
	tap := func(sel string) {
		t.Helper()
		p := eval[screenPoint](ctx, t, fmt.Sprintf(`(() => { const e = document.querySelector(%s);
			e.scrollIntoView({block: 'center'});
			const r = e.getBoundingClientRect();
			return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, jsString(sel)))
		do(ctx, t, chromedp.TapXY(p.X, p.Y))
	}
	tap(`[data-create=strategic-buildings]`)
	waitUntil[bool](ctx, t, stepTimeout, "the building editor on the phone", `!!document.querySelector('.editor[data-layer="strategic-buildings"]') && !!window.terraDraw`)
	if open := eval[string](ctx, t, `document.getElementById('panel').dataset.open`); open == "true" {
		t.Errorf("the layer drawer stays open over the map while a building is placed")
	}
	p := project(ctx, t, spot)
	sheetTop := eval[float64](ctx, t, `document.getElementById('stats').getBoundingClientRect().top`)
	if p.Y <= 0 || p.Y >= sheetTop {
		t.Fatalf("the spot to tap (y %.0f) is not in the map above the sheet (top %.0f)", p.Y, sheetTop)
	}
	do(ctx, t, chromedp.TapXY(p.X, p.Y))
	waitUntil[bool](ctx, t, stepTimeout, "the building is placed by a tap", `!document.querySelector('.edit-save').disabled`)
	setField(ctx, t, ".edit-form", "name", "Centro operativo comunale")
	setField(ctx, t, ".edit-form", "kind", "sede_protezione_civile")
	tap(".edit-save")
	bid := waitUntil[string](ctx, t, stepTimeout, "the building is saved by a tap", `document.querySelector('.edit-saved') && document.querySelector('.editor').dataset.feature`)
	saveScreenshot(ctx, t, "editing-phone-building.png")
	fit := eval[map[string]float64](ctx, t, `(() => { const r = document.getElementById('stats').getBoundingClientRect();
		return {left: r.left, right: r.right, bottom: r.bottom, scroll: document.documentElement.scrollWidth}; })()`)
	if fit["left"] < 0 || fit["right"] > 390.5 || fit["bottom"] > 844.5 || fit["scroll"] > 390 {
		t.Errorf("on a 390×844 phone the editor's sheet %v does not fit", fit)
	}
	var b storedFeature
	e.api(t, http.MethodGet, "/collections/strategic-buildings/items/"+bid, "", nil, &b)
	var pt [2]float64
	if err := json.Unmarshal(b.Geometry.Coordinates, &pt); err != nil || !near(pt, spot, 0.0001) || b.Properties["kind"] != "sede_protezione_civile" {
		t.Errorf("stored building: %s %v, want a point at %v (the tap), a civil-protection base", b.Geometry.Coordinates, b.Properties, spot)
	}
	tap(".edit-delete")
	tap(".edit-delete-confirm")
	waitUntil[bool](ctx, t, stepTimeout, "the building is deleted by taps", `!!document.querySelector('.edit-deleted')`)
	e.cleanPage(t, ctx, pl)
}

func (e *editRun) validatorFlow(t *testing.T) {
	if e.scenario == "" {
		t.Fatal("the editor's steps failed")
	}
	ctx, pl := e.signIn(t, e.validator, "role.validator")
	if n := eval[int](ctx, t, `document.querySelectorAll('[data-create]').length`); n != 0 {
		t.Errorf("a validator is offered to add to %d layers, want none", n)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".account-plan")))
	steps := waitUntil[[]string](ctx, t, stepTimeout, "the plan panel", `document.querySelector('.plan-status-line') && Array.from(document.querySelectorAll('.plan-do')).map((b) => b.dataset.step)`)
	if strings.Join(steps, ",") != "validate,return" {
		t.Errorf("a validator with a submitted plan is offered %v, want validate and return", steps)
	}
	actors := eval[string](ctx, t, `Array.from(document.querySelectorAll('.plan-actor')).map((a) => a.textContent).join(' | ')`)
	if !strings.Contains(actors, "Ufficio tecnico, Comune di Crema") {
		t.Errorf("the validator sees the history's actors %q, want the editor who submitted", actors)
	}
	// Returning needs a reason: without one the page asks for it and sends nothing.
	do(ctx, t, chromedp.Click(chromedp.CSS(`.plan-do[data-step=return]`)))
	asked := waitUntil[string](ctx, t, stepTimeout, "the reason is asked for", `document.querySelector('.plan-result .problem')?.textContent`)
	if asked != e.text(t, "plan.reason.missing", "it") {
		t.Errorf("returning without a reason says %q", asked)
	}
	var still storedPlan
	e.api(t, http.MethodGet, "/civil-protection/plans/"+crema, "", nil, &still)
	if still.Status != "submitted" {
		t.Errorf("after a return without a reason the plan is %s, want still submitted", still.Status)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(`.plan-do[data-step=validate]`)))
	waitUntil[bool](ctx, t, stepTimeout, "the plan is validated", `!!document.querySelector('.plan-status-line[data-status=validated]')`)
	saveScreenshot(ctx, t, "editing-plan-validated.png")
	var plan storedPlan
	e.api(t, http.MethodGet, "/civil-protection/plans/"+crema, "", nil, &plan)
	if plan.Status != "validated" || plan.ValidatedVersion == nil || *plan.ValidatedVersion != plan.Version ||
		plan.History[len(plan.History)-1].Role != "validator" {
		t.Errorf("stored plan after validation: %+v", plan)
	}
	if steps := eval[[]string](ctx, t, `Array.from(document.querySelectorAll('.plan-do')).map((b) => b.dataset.step)`); strings.Join(steps, ",") != "reopen" {
		t.Errorf("a validated plan offers %v, want reopen", steps)
	}
	e.cleanPage(t, ctx, pl)
}

type crisisMember struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (e *editRun) readerFlow(t *testing.T) {
	// On a phone: the sign-in in the drawer, the crisis unit in a bottom sheet.
	ctx, pl := e.signInOnPhone(t, e.reader, "role.private-reader")
	if n := eval[int](ctx, t, `document.querySelectorAll('[data-create]').length`); n != 0 {
		t.Errorf("a private reader is offered to add to %d layers, want none", n)
	}
	var unit struct {
		Members []crisisMember `json:"members"`
	}
	if res := e.api(t, http.MethodGet, "/civil-protection/plans/"+crema+"/crisis-unit", e.reader, nil, &unit); res.StatusCode != http.StatusOK || len(unit.Members) == 0 {
		t.Fatalf("the crisis unit of Crema: %s, %d members; the demo has some", res.Status, len(unit.Members))
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".account-crisis")))
	names := waitUntil[[]string](ctx, t, stepTimeout, "the crisis unit's table", `document.querySelector('.crisis-table') && Array.from(document.querySelectorAll('.crisis-table tr[data-member] td[data-field=name]')).map((c) => c.textContent)`)
	if len(names) != len(unit.Members) {
		t.Errorf("the table shows %d members, the service has %d", len(names), len(unit.Members))
	}
	fit := eval[map[string]float64](ctx, t, `(() => { const r = document.getElementById('stats').getBoundingClientRect();
		return {left: r.left, right: r.right, bottom: r.bottom, scroll: document.documentElement.scrollWidth,
			drawer: document.getElementById('panel').dataset.open === 'true' ? 1 : 0}; })()`)
	if fit["left"] < 0 || fit["right"] > 390.5 || fit["bottom"] > 844.5 || fit["scroll"] > 390 || fit["drawer"] != 0 {
		t.Errorf("on a 390×844 phone the crisis unit's sheet %v does not fit, or the drawer stays over it", fit)
	}
	controls := eval[int](ctx, t, `document.querySelectorAll('.crisis-add, .crisis-edit, .crisis-remove').length`)
	if controls != 0 || !eval[bool](ctx, t, `!!document.querySelector('.crisis-readonly')`) {
		t.Errorf("a private reader sees %d edit controls (want none) or no read-only note", controls)
	}
	saveScreenshot(ctx, t, "editing-crisis-unit.png")

	// A forced attempt: the form opened from the console, saved: 403, shown.
	path := "/civil-protection/plans/" + crema + "/crisis-unit"
	e.proxy.expect(http.StatusForbidden, path)
	pl.expect("403", path)
	eval[bool](ctx, t, `(window.atlanteEditing.crisis.show('019035', {force: true}), true)`)
	waitUntil[bool](ctx, t, stepTimeout, "the forced form", `!!document.querySelector('.crisis-add')`)
	do(ctx, t, chromedp.Click(chromedp.CSS(".crisis-add")))
	waitUntil[bool](ctx, t, stepTimeout, "the member form", `!!document.querySelector('.crisis-member-form')`)
	setField(ctx, t, ".crisis-member-form", "role", "volontariato")
	setField(ctx, t, ".crisis-member-form", "name", "Gruppo comunale di volontariato")
	do(ctx, t, chromedp.Click(chromedp.CSS(".crisis-save")))
	shown := waitUntil[string](ctx, t, stepTimeout, "the 403 is shown", `document.querySelector('.edit-problem[data-status="403"]')?.textContent`)
	if !strings.Contains(shown, e.text(t, "problem.status.403", "it")) {
		t.Errorf("the refusal reads %q, want the Italian explanation", shown)
	}
	saveScreenshot(ctx, t, "editing-crisis-403.png")
	e.noEnglish(t, ctx, "the crisis unit and its refusal")
	var after struct {
		Members []crisisMember `json:"members"`
	}
	e.api(t, http.MethodGet, path, e.reader, nil, &after)
	if len(after.Members) != len(unit.Members) {
		t.Errorf("after the refused attempt the crisis unit has %d members, want %d", len(after.Members), len(unit.Members))
	}
	// Closing the view leaves no personal data in the page.
	do(ctx, t, chromedp.Click(chromedp.CSS("#stats .close")))
	text := eval[string](ctx, t, `document.body.innerText`)
	for _, m := range unit.Members {
		if strings.Contains(text, m.Name) {
			t.Errorf("after closing the crisis unit the page still shows %q", m.Name)
		}
	}
	// Opened again, it comes from the service again: the browser keeps no
	// copy (a response from its cache would have a transferSize of 0).
	do(ctx, t, chromedp.Click(chromedp.ID("menu-toggle")))
	do(ctx, t, chromedp.Click(chromedp.CSS(".account-crisis")))
	waitUntil[bool](ctx, t, stepTimeout, "the crisis unit again", `!!document.querySelector('.crisis-table')`)
	sizes := eval[[]float64](ctx, t, `performance.getEntriesByType('resource')
		.filter((e) => new URL(e.name).pathname === '/civil-protection/plans/019035/crisis-unit').map((e) => e.transferSize)`)
	if len(sizes) < 2 || slices.Contains(sizes, 0) {
		t.Errorf("the crisis unit's fetches had transfer sizes %v: want each from the service (> 0), twice at least", sizes)
	}
	e.cleanPage(t, ctx, pl)
}

func (e *editRun) energyFlow(t *testing.T) {
	ctx, pl := e.signIn(t, e.editor, "role.editor")
	site := e.pointInside(t, `SELECT ST_X(p), ST_Y(p) FROM (
		SELECT ST_Transform(ST_PointOnSurface(ST_Buffer(ST_Transform(ST_Intersection(c.geom, z.geom), 32632), -150)), 4326) p
		FROM comuni c JOIN cer_zones z ON ST_Intersects(c.geom, z.geom)
		WHERE c.istat_code = $1 ORDER BY ST_Area(ST_Intersection(c.geom, z.geom)) DESC LIMIT 1) x`, crema)
	do(ctx, t, chromedp.Click(chromedp.CSS(".account-communities")))
	waitUntil[bool](ctx, t, stepTimeout, "the communities of Crema", `!!document.querySelector('.community-new')`)
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-new")))
	waitUntil[bool](ctx, t, stepTimeout, "the new community form", `!!document.querySelector('.community-editor [name=name]')`)
	setField(ctx, t, ".community-editor", "name", "CER Crema Porta Ombriano")
	setField(ctx, t, ".community-editor", "referent", "Comune di Crema")
	checked := eval[[]string](ctx, t, `Array.from(document.querySelectorAll('.community-comuni input:checked')).map((b) => b.value)`)
	if strings.Join(checked, ",") != crema {
		t.Errorf("the new community's comuni = %v, want %s", checked, crema)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-save")))
	id := waitUntil[string](ctx, t, stepTimeout, "the community is created", `document.querySelector('.community-eligibility .eligibility') && document.querySelector('.community-editor[data-community]')?.dataset.community`)
	if got := eval[string](ctx, t, `document.querySelector('.community-eligibility .eligibility').dataset.eligible`); got != "false" {
		t.Errorf("a community without members shows eligible = %s", got)
	}
	var detail struct {
		Community struct {
			Name   string   `json:"name"`
			Status string   `json:"status"`
			Comuni []string `json:"comuni"`
		} `json:"community"`
	}
	e.api(t, http.MethodGet, "/energy/communities/"+id, "", nil, &detail)
	if detail.Community.Name != "CER Crema Porta Ombriano" || detail.Community.Status != "proposed" || strings.Join(detail.Community.Comuni, ",") != crema {
		t.Errorf("stored community: %+v", detail.Community)
	}

	// Add a member site with a click on the map, inside a zone.
	goTo(ctx, t, site, 16)
	do(ctx, t, chromedp.Click(chromedp.CSS(".site-add")))
	waitUntil[bool](ctx, t, stepTimeout, "the site editor", `!!document.querySelector('#stats[data-view=edit] .editor[data-layer="energy-sites"]')`)
	if v := eval[string](ctx, t, `document.querySelector('.edit-form [name=community_id]').value`); v != id {
		t.Errorf("the new site's community = %q, want %s", v, id)
	}
	clickAt(ctx, t, site)
	waitUntil[bool](ctx, t, stepTimeout, "the point is placed", `!document.querySelector('.edit-save').disabled`)
	setField(ctx, t, ".edit-form", "name", "Scuola primaria di via Braguti")
	setField(ctx, t, ".edit-form", "kind", "prosumer")
	setField(ctx, t, ".edit-form", "category", "school")
	setField(ctx, t, ".edit-form", "pv_kw", "60")
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-save")))
	waitUntil[bool](ctx, t, stepTimeout, "back to the community, eligible", `document.querySelector('.community-eligibility .eligibility')?.dataset.eligible === 'true' && document.querySelectorAll('.community-site-list li').length === 1`)
	saveScreenshot(ctx, t, "editing-community.png")
	e.noEnglish(t, ctx, "the community")
	var elig struct {
		Eligible bool `json:"eligible"`
		Members  []struct {
			Name string  `json:"name"`
			PVKW float64 `json:"pv_kw"`
		} `json:"members"`
	}
	e.api(t, http.MethodGet, "/energy/communities/"+id+"/eligibility", "", nil, &elig)
	if !elig.Eligible || len(elig.Members) != 1 || elig.Members[0].Name != "Scuola primaria di via Braguti" || elig.Members[0].PVKW != 60 {
		t.Errorf("stored eligibility after adding the site: %+v", elig)
	}

	// The community's own form: its status changed and saved.
	setField(ctx, t, ".community-details", "status", "constituting")
	eval[bool](ctx, t, `(document.querySelector('.community-editor').dataset.before = 'save', true)`) // the view is built again after a save
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-details .community-save")))
	waitUntil[bool](ctx, t, stepTimeout, "the community is saved", `!!document.querySelector('.community-editor:not([data-before]) .edit-saved') && document.querySelector('.community-details [name=status]').value === 'constituting'`)
	e.api(t, http.MethodGet, "/energy/communities/"+id, "", nil, &detail)
	if detail.Community.Status != "constituting" || detail.Community.Name != "CER Crema Porta Ombriano" {
		t.Errorf("stored community after changing its status: %+v", detail.Community)
	}

	// Someone else changes the status while the referent is being edited:
	// the 412 shows both changes, the reload keeps the person's.
	setField(ctx, t, ".community-details", "referent", "Ufficio energia, Comune di Crema")
	cpath := "/energy/communities/" + id
	got := e.api(t, http.MethodGet, cpath, "", nil, nil)
	if got = e.api(t, http.MethodPatch, cpath, e.editor, map[string]any{"status": "constituted"}, nil,
		"If-Match", got.Header.Get("ETag"), "Content-Type", "application/merge-patch+json"); got.StatusCode != http.StatusOK {
		t.Fatalf("the concurrent change of the community: %s", got.Status)
	}
	e.proxy.expect(http.StatusPreconditionFailed, cpath)
	pl.expect("412", cpath)
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-details .community-save")))
	cdiff := waitUntil[map[string]string](ctx, t, stepTimeout, "the community's 412 shows what changed", `(() => {
		const c = document.querySelector('.community-editor .edit-conflict');
		if (!c) return false;
		return Object.fromEntries(Array.from(c.querySelectorAll('tr[data-property]')).map((r) => [r.dataset.property, r.dataset.changedBy + ': ' + Array.from(r.cells).map((x) => x.textContent).join(' | ')]));
	})()`)
	e.noEnglish(t, ctx, "the community's conflict")
	if !strings.HasPrefix(cdiff["status"], "them:") || !strings.Contains(cdiff["status"], e.text(t, "energy.status.constituted", "it")) {
		t.Errorf("the community's conflict shows status as %q, want changed by someone else, to constituted", cdiff["status"])
	}
	if !strings.HasPrefix(cdiff["referent"], "you:") || !strings.Contains(cdiff["referent"], "Ufficio energia") || len(cdiff) != 2 {
		t.Errorf("the community's conflict = %v, want referent changed by you and nothing but status and referent", cdiff)
	}
	if e.api(t, http.MethodGet, cpath, "", nil, &detail); detail.Community.Status != "constituted" {
		t.Errorf("after the 412 the stored community is %+v: the stale save went through", detail.Community)
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-editor .edit-reload")))
	cvals := waitUntil[map[string]string](ctx, t, stepTimeout, "the community reloads", `document.querySelector('.community-editor .edit-reloaded') && {
		status: document.querySelector('.community-details [name=status]').value,
		referent: document.querySelector('.community-details [name=referent]').value}`)
	if cvals["status"] != "constituted" || cvals["referent"] != "Ufficio energia, Comune di Crema" {
		t.Errorf("after reloading the community's form holds %v, want status constituted (theirs) and the new referent (mine)", cvals)
	}
	eval[bool](ctx, t, `(document.querySelector('.community-editor').dataset.before = 'save', true)`)
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-details .community-save")))
	waitUntil[bool](ctx, t, stepTimeout, "the community is saved after the reload", `!!document.querySelector('.community-editor:not([data-before]) .edit-saved')`)
	var referent struct {
		Community struct {
			Status   string `json:"status"`
			Referent string `json:"referent"`
		} `json:"community"`
	}
	if e.api(t, http.MethodGet, cpath, "", nil, &referent); referent.Community.Status != "constituted" || referent.Community.Referent != "Ufficio energia, Comune di Crema" {
		t.Errorf("stored community after the reload: %+v, want both changes", referent.Community)
	}

	// The site removed from its editor: back to the community, no longer eligible.
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-site-list .site-edit")))
	waitUntil[bool](ctx, t, stepTimeout, "the site's editor", `!!document.querySelector('#stats[data-view=edit] .editor[data-layer="energy-sites"] .edit-delete:not([hidden])')`)
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-delete")))
	do(ctx, t, chromedp.Click(chromedp.CSS(".edit-delete-confirm")))
	waitUntil[bool](ctx, t, stepTimeout, "back to the community, not eligible", `document.querySelector('.community-eligibility .eligibility')?.dataset.eligible === 'false' && !!document.querySelector('.community-site-list') && document.querySelectorAll('.community-site-list li').length === 0`)
	e.api(t, http.MethodGet, "/energy/communities/"+id+"/eligibility", "", nil, &elig)
	if elig.Eligible || len(elig.Members) != 0 {
		t.Errorf("stored eligibility after removing the site: %+v", elig)
	}

	// Without sites the community can be deleted, once confirmed.
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-delete")))
	if e.api(t, http.MethodGet, cpath, "", nil, nil).StatusCode != http.StatusOK {
		t.Errorf("the community is gone before the deletion was confirmed")
	}
	do(ctx, t, chromedp.Click(chromedp.CSS(".community-delete-confirm")))
	waitUntil[bool](ctx, t, stepTimeout, "back to the list, without the community", fmt.Sprintf(`!!document.querySelector('#stats[data-view=communities] .communities') && !document.querySelector('li[data-community="%s"]')`, id))
	if res := e.api(t, http.MethodGet, cpath, "", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("after deleting, GET the community: %s, want 404", res.Status)
	}

	// Signing out forgets the token and closes the screens that needed it.
	do(ctx, t, chromedp.Click(chromedp.CSS(".account-signout")))
	out := waitUntil[map[string]any](ctx, t, stepTimeout, "signed out", `document.querySelector('#panel-edit form.signin') && {
		token: sessionStorage.getItem('atlante.token'), sheet: document.getElementById('stats').hidden}`)
	if out["token"] != nil || out["sheet"] != true {
		t.Errorf("after signing out: %v, want no token and the community's sheet closed", out)
	}
	e.cleanPage(t, ctx, pl)
}

// firstRing returns the exterior ring of a stored (Multi)Polygon's first part.
func firstRing(t *testing.T, f storedFeature) [][2]float64 {
	t.Helper()
	switch f.Geometry.Type {
	case "MultiPolygon":
		var c [][][][2]float64
		if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil || len(c) == 0 {
			t.Fatalf("stored geometry: %v", err)
		}
		return c[0][0]
	case "Polygon":
		var c [][][2]float64
		if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil || len(c) == 0 {
			t.Fatalf("stored geometry: %v", err)
		}
		return c[0]
	}
	t.Fatalf("stored geometry is a %s", f.Geometry.Type)
	return nil
}

func ringHas(ring [][2]float64, p [2]float64, tol float64) bool {
	for _, q := range ring {
		if near(p, q, tol) {
			return true
		}
	}
	return false
}
