package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestViewer opens the map in headless Chromium over the real server and
// database with the demo loaded, and checks what a person would see. The
// subtests share the server and a browser, each in a tab of its own, and
// bound each of their steps (see stepTimeout) rather than the whole run:
//
//   - desktop: the Italian page, as the offices use it: the comuni, the
//     layer list, the attribution, popups with labels for people, the
//     address search, civic numbers and their cells, the choropleth,
//     statistics of a drawn area and of a comune, scenarios and their
//     exposure, plans, energy communities, "Which zone?"; and no English
//     anywhere on the way;
//   - click list: several features under a click, grouped by layer;
//   - zones: the primary-substation zones, each in its own colour;
//   - catalog: every layer and property of the catalog named in Italian;
//   - english, language: the English page, the switch, the browser's language;
//   - phone: 390×844: no horizontal overflow, most of the screen is map,
//     the drawer, popups and statistics as bottom sheets;
//   - basemap: a configured basemap, and one that cannot be reached;
//   - no WebGL: the message and the list view.
func TestViewer(t *testing.T) {
	chromium := findChromium(t)
	srv := testserver.Start(t, testserver.Options{})
	requireViewerBuilt(t, srv.URL)
	proxy := newRecordingProxy(t, srv.URL)
	msgs := loadMessages(t, srv.URL)
	browser, _ := openBrowser(t, chromium, proxy.URL)
	v := &viewerRun{srv: srv, proxy: proxy, msgs: msgs, browser: browser, noConfig: !hasViewerConfig(t, srv.URL)}

	t.Run("desktop", v.desktop)
	t.Run("click list", v.clickList)
	t.Run("zones", v.zones)
	t.Run("catalog in both languages", v.catalogNames)
	t.Run("english", v.english)
	t.Run("phone", v.phone)
	t.Run("search answers of the contract", v.searchContract)
	t.Run("basemap", v.basemap)
	t.Run("language", v.language)
	t.Run("no WebGL", func(t *testing.T) {
		ctx, pl := openBrowser(t, chromium, proxy.URL, withoutWebGL...)
		v.noWebGL(t, ctx, pl)
	})
}

// viewerRun is what the subtests of TestViewer share.
type viewerRun struct {
	srv      *testserver.Server
	proxy    *recordingProxy
	msgs     map[string]map[string]json.RawMessage
	browser  context.Context
	noConfig bool // the server has no /viewer/config.json yet: the page meets a 404 it copes with
}

// hasViewerConfig reports whether the server serves /viewer/config.json.
func hasViewerConfig(t *testing.T, base string) bool {
	t.Helper()
	res, err := http.Get(base + "/viewer/config.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// text returns the message key in lang (its "other" form when plural).
func (v *viewerRun) text(t *testing.T, key, lang string) string {
	t.Helper()
	raw, ok := v.msgs[key][lang]
	if !ok {
		t.Fatalf("messages.js has no %s text for %q", lang, key)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var p map[string]string
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("messages.js %q %s: %v", key, lang, err)
	}
	return p["other"]
}

// open loads path in a new tab of the given size and waits until the map
// is ready (or the list view is, without WebGL).
func (v *viewerRun) open(t *testing.T, path string, width, height int64, opts ...chromedp.EmulateViewportOption) (context.Context, *pageLog) {
	t.Helper()
	ctx, pl := newTab(t, v.browser, v.proxy.URL)
	v.navigate(t, ctx, pl, path, width, height, opts...)
	return ctx, pl
}

func (v *viewerRun) navigate(t *testing.T, ctx context.Context, pl *pageLog, path string, width, height int64, opts ...chromedp.EmulateViewportOption) {
	t.Helper()
	v.expectNoConfig(pl)
	do(ctx, t, chromedp.EmulateViewport(width, height, opts...), chromedp.Navigate(v.proxy.URL+path))
	v.waitReady(t, ctx, pl)
}

// expectNoConfig lets the 404 of /viewer/config.json through while the
// server has none: the page treats it as "no basemap".
func (v *viewerRun) expectNoConfig(pl *pageLog) {
	if v.noConfig {
		v.proxy.expect(http.StatusNotFound, "/viewer/config.json")
		pl.expect("status of 404", "/viewer/config.json")
	}
}

func (v *viewerRun) waitReady(t *testing.T, ctx context.Context, pl *pageLog) {
	t.Helper()
	state, err := tryPoll[string](ctx, loadTimeout, readyJS)
	if err != nil || state != "ready" {
		t.Fatalf("the map did not finish loading (state %q, err %v); problems:\n%s\n%s", state, err, pl.report(), v.proxy.report())
	}
}

// clean fails the test with the problems the page and the server met.
func (v *viewerRun) clean(t *testing.T, pl *pageLog) {
	t.Helper()
	if problems := pl.report(); problems != "" {
		t.Errorf("the page reported problems:\n%s", problems)
	}
	if problems := v.proxy.report(); problems != "" {
		t.Errorf("the server answered the browser with errors:\n%s", problems)
	}
}

// loadMessages reads the viewer's translation table as the browser gets it.
func loadMessages(t *testing.T, base string) map[string]map[string]json.RawMessage {
	t.Helper()
	res, err := http.Get(base + "/viewer/js/messages.js")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "export const messages = ")
	j := strings.LastIndex(s, "};")
	if i < 0 || j < i {
		t.Fatalf("/viewer/js/messages.js is not the translation table")
	}
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s[i+len("export const messages = "):j+1]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// themeOf is the group of the layer panel each layer of the catalog goes in (styles.js).
var themeOf = map[string]string{
	"comuni": "territory", "streets": "territory",
	"civici": "coverage", "network": "coverage", "coverage-comuni": "coverage",
	"scenarios": "civilprotection", "emergency-areas": "civilprotection", "emergency-area-points": "civilprotection",
	"strategic-buildings": "civilprotection", "plan-status": "civilprotection",
	"energy-zones": "energy", "energy-communities": "energy", "energy-sites": "energy",
}

// onByDefault are the layers the map starts with; the others are a click away.
var onByDefault = map[string]bool{"comuni": true, "streets": true, "civici": true, "network": true}

func (v *viewerRun) desktop(t *testing.T) {
	ctx, pl := v.open(t, "/?lang=it", 1280, 800)
	saveScreenshot(ctx, t, "viewer.png")
	v.noEnglish(t, ctx, "the map as it opens")

	t.Run("comuni rendered with labels", func(t *testing.T) {
		got := eval[renderedState](ctx, t, renderedJS)
		if name := got.Comuni["019035"]; name != "Crema" {
			t.Errorf("rendered comune 019035 = %q, want Crema (rendered: %d comuni)", name, len(got.Comuni))
		}
		if len(got.Comuni) < 40 {
			t.Errorf("rendered %d comuni, want the 48 of the demo, or nearly all", len(got.Comuni))
		}
		if !slices.Contains(got.Labels, "Crema") {
			t.Errorf("placed labels %v do not include Crema", got.Labels)
		}
		if n := v.proxy.served("/tiles/comuni/"); n == 0 {
			t.Error("no vector tile of the comuni was served")
		}
	})

	t.Run("layer list from the catalog, in Italian", func(t *testing.T) {
		got := eval[[]listedLayer](ctx, t, layerListJS)
		order := []string{"territory", "coverage", "civilprotection", "energy", "other"}
		var want []listedLayer
		for _, l := range v.srv.Catalog.Layers() {
			if l.Access != catalog.Public {
				continue
			}
			theme, ok := themeOf[l.ID]
			if !ok {
				theme = "other"
			}
			want = append(want, listedLayer{
				ID: l.ID, Title: v.text(t, "layer."+l.ID+".title", "it"), Checked: onByDefault[l.ID],
				Theme: v.text(t, "theme."+theme, "it"), Legend: l.ID != "comuni" && l.ID != "streets",
			})
		}
		slices.SortStableFunc(want, func(a, b listedLayer) int {
			return slices.Index(order, themeKey(v, t, a.Theme)) - slices.Index(order, themeKey(v, t, b.Theme))
		})
		if !slices.Equal(got, want) {
			t.Errorf("layer list = %+v, want %+v", got, want)
		}
	})

	t.Run("attribution: truthful, once each, clear of the panel and the scale", func(t *testing.T) {
		want := v.expectedCredits(t, "it", func(id string) bool { return onByDefault[id] })
		got := poll[attributionState](ctx, t, stepTimeout, "attribution", attributionJS)
		if !slices.Equal(sorted(got.Credits), sorted(want)) {
			t.Errorf("attribution %q, want %q", got.Credits, want)
		}
		if got.Overlaps != "" {
			t.Errorf("attribution: %s", got.Overlaps)
		}
		if !got.Open {
			t.Error("attribution folded on a wide screen, want it open")
		}
		notice := eval[noticeState](ctx, t, noticeJS)
		demo := v.anyDemo(t)
		if notice.Visible != demo || (demo && notice.Text != v.text(t, "demo.notice", "it")) {
			t.Errorf("demo notice visible %v %q; want visible %v with %q", notice.Visible, notice.Text, demo, v.text(t, "demo.notice", "it"))
		}
	})

	t.Run("click on Crema: the comune's popup, named for people", func(t *testing.T) {
		p := eval[screenPoint](ctx, t, cremaPointJS)
		if !slices.Contains(p.Hit, "019035") {
			t.Fatalf("Crema's label point (%.0f, %.0f) hits comuni %v, want 019035", p.X, p.Y, p.Hit)
		}
		clickFeature(ctx, t, p.X, p.Y, "comuni", "019035")
		got := poll[propertiesPopup](ctx, t, stepTimeout, "no popup with the whole comune after a click on Crema", propertiesPopupJS(v.text(t, "prop.area_km2", "it")))
		if got.Title != "Crema" {
			t.Errorf("popup title %q, want Crema", got.Title)
		}
		want := map[string]*regexp.Regexp{
			v.text(t, "prop.istat_code", "it"):    regexp.MustCompile(`^019035$`),
			v.text(t, "prop.area_km2", "it"):      regexp.MustCompile(`^\d+(,\d+)? km²$`),
			v.text(t, "prop.consortium", "it"):    regexp.MustCompile(`^sì$`),
			v.text(t, "prop.province_code", "it"): regexp.MustCompile(`^019$`),
		}
		for label, re := range want {
			if val, ok := got.Rows[label]; !ok || !re.MatchString(val) {
				t.Errorf("popup row %q = %q, want %v (rows %v)", label, val, re, got.Rows)
			}
		}
		for label := range got.Rows {
			if strings.Contains(label, "_") || label == "area km2" || label == "synthetic" {
				t.Errorf("popup row %q is a field name, not a label", label)
			}
		}
		v.noEnglish(t, ctx, "the popup of Crema")
	})

	saveScreenshot(ctx, t, "viewer-popup.png")

	t.Run("Enter on the map opens and closes a popup", func(t *testing.T) {
		do(ctx, t,
			chromedp.Evaluate[chromedp.Void](closePopupJS),
			chromedp.Focus(chromedp.CSS("canvas.maplibregl-canvas")),
			chromedp.KeyEvent(kb.Enter),
		)
		got := poll[keyboardState](ctx, t, stepTimeout, "no popup after Enter", `(`+keyboardJS+`).popups > 0 && `+keyboardJS)
		if got.Title == "" || got.Focus != "maplibregl-popup-close-button" {
			t.Errorf("after Enter: popup %q with the focus on %q; want a popup with the focus on its close button", got.Title, got.Focus)
		}
		do(ctx, t, chromedp.KeyEvent(kb.Enter))
		got = eval[keyboardState](ctx, t, keyboardJS)
		if got.Popups != 0 || got.Focus != "maplibregl-canvas" {
			t.Errorf("after Enter on the close button: %d popups, focus on %q; want none, focus back on the map", got.Popups, got.Focus)
		}
	})

	home := eval[camera](ctx, t, cameraJS)

	t.Run("search suggests addresses from the server", func(t *testing.T) {
		var want searchAnswer
		getJSON(t, v.srv.URL+"/coverage/search?"+url.Values{"q": {"via roma"}, "limit": {"8"}}.Encode(), &want)
		if len(want.Results) == 0 {
			t.Fatal(`the server finds nothing for "via roma": is the coverage demo loaded?`)
		}
		do(ctx, t, chromedp.SendKeys(chromedp.ID("search"), "via roma"))
		got := poll[comboboxState](ctx, t, stepTimeout, `no suggestions for "via roma"`, `(`+comboboxJS+`).options.length > 0 && `+comboboxJS)
		var labels []string
		for _, r := range want.Results {
			labels = append(labels, r.Label)
		}
		if !slices.Equal(got.Options, labels) || got.Expanded != "true" || got.Role != "combobox" {
			t.Errorf("suggestions %q (aria-expanded %s, role %s), want the server's %q, expanded, in a combobox", got.Options, got.Expanded, got.Role, labels)
		}
	})

	t.Run("choosing a street fits its extent and rings its civic numbers", func(t *testing.T) {
		var found searchAnswer
		getJSON(t, v.srv.URL+"/coverage/search?"+url.Values{"q": {"via roma"}, "limit": {"8"}}.Encode(), &found)
		if len(found.Results) == 0 || found.Results[0].Kind != "street" || found.Results[0].BBox == [4]float64{} {
			t.Fatalf(`the server's first suggestion for "via roma" is not a street with a bbox: %+v`, found.Results)
		}
		r := found.Results[0]
		// The list of the previous test is open: the first suggestion, with the keyboard.
		do(ctx, t, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
		b := r.BBox
		got := poll[[]float64](ctx, t, stepTimeout, fmt.Sprintf("after choosing %q the map does not show its extent %v", r.Label, b), fmt.Sprintf(`(() => {
			const m = window.atlanteMap;
			if (m.isMoving() || m.getZoom() < 14) return false;
			const b = m.getBounds();
			return b.getWest() <= %[1]g && b.getSouth() <= %[2]g && b.getEast() >= %[3]g && b.getNorth() >= %[4]g
				&& [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), m.getZoom()];
		})()`, b[0], b[1], b[2], b[3]))
		// Fitted, not just centred: the extent fills most of the view's
		// width or height (the view has padding for the layer panel).
		if fill := max((b[2]-b[0])/(got[2]-got[0]), (b[3]-b[1])/(got[3]-got[1])); fill < 0.7 {
			t.Errorf("the street's extent %v fills %.0f %% of the view %v, want it fitted", b, 100*fill, got[:4])
		}
		var items struct {
			NumberMatched int `json:"numberMatched"`
		}
		getJSON(t, v.srv.URL+"/collections/civici/items?"+url.Values{"istat_code": {r.ISTAT}, "street": {r.Street}, "limit": {"1"}}.Encode(), &items)
		ringed := poll[int](ctx, t, stepTimeout, "the chosen street's civic numbers are not ringed", streetRingJS)
		if ringed != items.NumberMatched || ringed == 0 {
			t.Errorf("%d civic numbers ringed for %q, the server has %d", ringed, r.Label, items.NumberMatched)
		}
		// Close up, the streets layer names the streets along them and
		// highlights the chosen one; without it the map does without.
		do(ctx, t, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.atlanteMap.jumpTo({center: [%g, %g], zoom: 17})`, (b[0]+b[2])/2, (b[1]+b[3])/2)))
		waitIdle(ctx, t)
		st := eval[streetsState](ctx, t, streetsJS)
		if _, ok := v.srv.Catalog.Layer("streets"); ok {
			// A name along a line is placed only where it fits, so the
			// chosen street must be drawn and some street named.
			if !slices.Contains(st.Lines, r.Street) || len(st.Labels) == 0 || slices.Contains(st.Labels, "") || !strings.Contains(st.Highlight, r.Street) {
				t.Errorf("streets at zoom 17: lines %q, labels %q, highlight filter %s; want %q drawn and highlighted, and streets named", st.Lines, st.Labels, st.Highlight, r.Street)
			}
		} else if st.Source || st.Highlight != "" {
			t.Errorf("no streets layer in the catalog, yet the map has a streets source (%v) or highlight (%s)", st.Source, st.Highlight)
		}
		// Symbols are placed a few frames after the map is idle, later still
		// on a loaded machine: wait for them rather than look once.
		poll[int](ctx, t, stepTimeout, "at zoom 17 the chosen street's civic numbers are not numbered",
			`window.atlanteMap.queryRenderedFeatures({layers: ['atlante-street-numbers']}).length`)
		saveScreenshot(ctx, t, "viewer-street.png")
	})

	var civico civicoAnswer
	t.Run("choosing a civic number shows its offers", func(t *testing.T) {
		const query, label = "via roma 1, crema", "Via Roma 1, Crema"
		var found searchAnswer
		getJSON(t, v.srv.URL+"/coverage/search?"+url.Values{"q": {query}, "limit": {"8"}}.Encode(), &found)
		i := slices.IndexFunc(found.Results, func(r searchResult) bool { return r.Label == label && r.Kind == "civico" })
		if i < 0 {
			t.Fatalf("the server does not suggest %q for %q: %+v", label, query, found.Results)
		}
		getJSON(t, fmt.Sprintf("%s/coverage/civici/%d", v.srv.URL, found.Results[i].ID), &civico)
		do(ctx, t,
			chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`),
			chromedp.SendKeys(chromedp.ID("search"), query),
		)
		got := poll[comboboxState](ctx, t, stepTimeout, fmt.Sprintf("%q is not suggested for %q", label, query),
			`(() => { const s = `+comboboxJS+`; return s.options.includes(`+jsString(label)+`) && s; })()`)
		// Down to the suggestion with the keyboard, then Enter.
		for range slices.Index(got.Options, label) + 1 {
			do(ctx, t, chromedp.KeyEvent(kb.ArrowDown))
		}
		if got = eval[comboboxState](ctx, t, comboboxJS); got.Active != label {
			t.Fatalf("after the arrow keys the active option (aria-activedescendant) is %q, want %q", got.Active, label)
		}
		do(ctx, t, chromedp.KeyEvent(kb.Enter))
		p := poll[offersPopup](ctx, t, stepTimeout, "no popup with an offers table after choosing "+label, offersPopupJS)
		if p.Title != label || p.Rows != len(civico.Offers) {
			t.Errorf("popup %q with %d offers, want %q with the server's %d", p.Title, p.Rows, label, len(civico.Offers))
		}
		wantHeads := []string{}
		for _, k := range []string{"programme", "operator", "technology", "mbps", "status", "date"} {
			wantHeads = append(wantHeads, v.text(t, "civici.offers."+k, "it"))
		}
		if !slices.Equal(p.Heads, wantHeads) {
			t.Errorf("offers table headings %q, want %q", p.Heads, wantHeads)
		}
		if got := eval[comboboxState](ctx, t, comboboxJS); got.Expanded != "false" {
			t.Errorf("after choosing, aria-expanded = %q, want false", got.Expanded)
		}
	})

	waitIdle(ctx, t)
	saveScreenshot(ctx, t, "viewer-search.png")
	v.noEnglish(t, ctx, "a civic number's offers")

	t.Run("click on a civic number shows its offers", func(t *testing.T) {
		if civico.ID == 0 {
			t.Skip("no civic number was found by the search")
		}
		p := eval[screenPoint](ctx, t, fmt.Sprintf(civicoPointJS, civico.Lon, civico.Lat))
		do(ctx, t, chromedp.Evaluate[chromedp.Void](closePopupJS))
		clickFeature(ctx, t, p.X, p.Y, "civici", fmt.Sprint(civico.ID))
		got := poll[offersPopup](ctx, t, stepTimeout, fmt.Sprintf("no popup with offers after a click on civic number %d (hits %v)", civico.ID, p.Hit), offersPopupJS)
		if want := "Via Roma 1, Crema"; got.Title != want || got.Rows != len(civico.Offers) {
			t.Errorf("popup %q with %d offers, want %q with %d", got.Title, got.Rows, want, len(civico.Offers))
		}
	})

	t.Run("a small group of civic numbers lists its addresses", func(t *testing.T) {
		do(ctx, t, chromedp.Evaluate[chromedp.Void](closePopupJS),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.atlanteMap.jumpTo({center: [%g, %g], zoom: 12.5})`, civico.Lon, civico.Lat)))
		waitIdle(ctx, t)
		c := eval[cellPoint](ctx, t, fmt.Sprintf(cellPointJS, 2, 12))
		if c.N == 0 {
			t.Fatal("no group of 2 to 12 civic numbers on top anywhere around Crema at zoom 12.5")
		}
		clickFeature(ctx, t, c.X, c.Y, "civici", "")
		got := poll[cellState](ctx, t, stepTimeout, fmt.Sprintf("no addresses in the popup of a group of %d civic numbers", c.N), cellJS)
		if got.N != c.N || got.Addresses != c.N || got.Zoom {
			t.Errorf("group popup: %d civic numbers, %d addresses listed, zoom button %v; want %d addresses and no zoom button", got.N, got.Addresses, got.Zoom, c.N)
		}
		saveScreenshot(ctx, t, "viewer-cell.png")
		// An address of the list opens its popup with the offers.
		do(ctx, t, chromedp.Click(chromedp.CSS(".cell-addresses .link-button")))
		poll[offersPopup](ctx, t, stepTimeout, "no offers after choosing an address of the group", offersPopupJS)
	})

	t.Run("a big group of civic numbers offers to zoom in", func(t *testing.T) {
		do(ctx, t, chromedp.Evaluate[chromedp.Void](closePopupJS),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.atlanteMap.jumpTo({center: [%g, %g], zoom: %g})`, home.Lon, home.Lat, home.Zoom)))
		waitIdle(ctx, t)
		c := eval[cellPoint](ctx, t, fmt.Sprintf(cellPointJS, 13, 1000000000))
		if c.N == 0 {
			t.Fatal("no group of more than 12 civic numbers on top anywhere on the map")
		}
		clickFeature(ctx, t, c.X, c.Y, "civici", "")
		got := poll[cellState](ctx, t, stepTimeout, "no popup for a big group", `(() => { const s = `+cellJS+`; return s && s.zoom && s; })()`)
		if got.N != c.N || got.Addresses != 0 {
			t.Errorf("group popup: %d civic numbers, %d addresses; want %d and a zoom button", got.N, got.Addresses, c.N)
		}
	})

	t.Run("choropleth toggle", func(t *testing.T) {
		do(ctx, t, chromedp.Evaluate[chromedp.Void](closePopupJS))
		if n := eval[int](ctx, t, choroplethJS); n != 0 {
			t.Fatalf("before the toggle, %d choropleth features are drawn, want none: it is off by default", n)
		}
		do(ctx, t, chromedp.Click(chromedp.ID("layer-coverage-comuni")))
		poll[int](ctx, t, stepTimeout, "the choropleth draws no comuni after the toggle", `(`+choroplethJS+`) >= 40 && `+choroplethJS)
		waitIdle(ctx, t)
		saveScreenshot(ctx, t, "viewer-choropleth.png")
		paint := eval[string](ctx, t, `(() => {
			const s = document.getElementById('choropleth-metric');
			s.value = 'pct_100';
			s.dispatchEvent(new Event('change'));
			return JSON.stringify(window.atlanteMap.getPaintProperty('coverage-comuni-fill', 'fill-color'));
		})()`)
		if !strings.Contains(paint, "pct_100") {
			t.Errorf("after choosing ≥ 100 Mbit/s the fill colour is %s, want it from pct_100", paint)
		}
		v.noEnglish(t, ctx, "the choropleth's legend")
		do(ctx, t, chromedp.Click(chromedp.ID("layer-coverage-comuni")))
	})

	// The drawing tests work on a view of Crema, clear of the layer panel.
	crema := cremaBound(t, v.srv.URL)
	fitCrema := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`void window.atlanteMap.fitBounds([[%g, %g], [%g, %g]], {padding: {top: 90, bottom: 60, left: 320, right: 420}, animate: false})`,
		crema.Min[0], crema.Min[1], crema.Max[0], crema.Max[1]))
	do(ctx, t, fitCrema)
	waitIdle(ctx, t)
	w, s, e, n := crema.Min[0], crema.Min[1], crema.Max[0], crema.Max[1]
	mid := (s + n) / 2

	t.Run("statistics of a drawn area", func(t *testing.T) {
		// A pentagon around Crema, finished with the Finish button a touch screen uses.
		corners := [][2]float64{{w, s}, {e, s}, {e + (e-w)/6, mid}, {e, n}, {w, n}}
		drawPolygon(ctx, t, corners, "button")
		got := poll[statsState](ctx, t, stepTimeout, "no statistics after drawing an area", statsJS+` && (`+statsJS+`).civici !== '' && `+statsJS)
		body := v.proxy.lastBody("/coverage/stats")
		var posted struct {
			Type        string         `json:"type"`
			Coordinates [][][2]float64 `json:"coordinates"`
		}
		if err := json.Unmarshal(body, &posted); err != nil || posted.Type != "Polygon" || len(posted.Coordinates) != 1 {
			t.Fatalf("the page posted %s (%v), want a GeoJSON Polygon", body, err)
		}
		ring := posted.Coordinates[0]
		if len(ring) != len(corners)+1 || ring[0] != ring[len(ring)-1] {
			t.Fatalf("posted ring %v, want the %d corners drawn, closed", ring, len(corners))
		}
		for _, c := range corners {
			if !slices.ContainsFunc(ring, func(p [2]float64) bool { return near(p, c, 2e-4) }) {
				t.Errorf("corner %v drawn, not in the posted ring %v", c, ring)
			}
		}
		res, err := http.Post(v.srv.URL+"/coverage/stats", "application/geo+json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var want struct {
			Civici int `json:"civici"`
		}
		if err := json.NewDecoder(res.Body).Decode(&want); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("POST /coverage/stats: %s, %v", res.Status, err)
		}
		if want.Civici < 1000 {
			t.Errorf("the server counts %d civic numbers around Crema, want thousands", want.Civici)
		}
		if got.Civici != fmt.Sprint(want.Civici) {
			t.Errorf("the panel shows %s civic numbers, the server counts %d for the same polygon", got.Civici, want.Civici)
		}
		if got.Charts < 2 || got.Bars < 10 {
			t.Errorf("the panel has %d chart SVGs with %d bars, want the status and speed charts", got.Charts, got.Bars)
		}
		if !got.CSV || got.Comuni < 2 {
			t.Fatalf("the panel has CSV download %v and %d comuni rows, want a download and the comuni around Crema", got.CSV, got.Comuni)
		}
		v.noEnglish(t, ctx, "the statistics of a drawn area")
		// The CSV comes from the server: the area is posted again.
		before := v.proxy.served("/coverage/stats")
		do(ctx, t, chromedp.Click(chromedp.CSS("#stats .stats-actions .button")))
		poll[bool](ctx, t, stepTimeout, "the CSV button stays busy", `!document.querySelector('#stats .stats-actions .button').disabled`)
		if n := v.proxy.served("/coverage/stats"); n != before+1 || !bytes.Equal(v.proxy.lastBody("/coverage/stats"), body) {
			t.Errorf("Download CSV posted %d areas to /coverage/stats, want the drawn one once", n-before)
		}
	})

	saveScreenshot(ctx, t, "viewer-stats.png")

	t.Run("a bow-tie area shows the service's reason", func(t *testing.T) {
		v.proxy.expect(http.StatusUnprocessableEntity, "/coverage/stats")
		pl.expect("status of 422", "/coverage/stats")
		// Its edges cross; finished with a double click on the last corner.
		drawPolygon(ctx, t, [][2]float64{{w, s}, {e, n}, {e, s}, {w, n}}, "double click")
		text := poll[string](ctx, t, stepTimeout, "no problem shown for a self-intersecting area",
			`(() => { const p = document.querySelector('#stats [role=alert]'); return p ? p.innerText : false; })()`)
		if !strings.Contains(text, "self-intersection") || !strings.Contains(text, v.text(t, "stats.refused", "it")) {
			t.Errorf("problem shown %q, want the 422's detail naming the self-intersection under %q", text, v.text(t, "stats.refused", "it"))
		}
	})

	saveScreenshot(ctx, t, "viewer-stats-422.png")

	t.Run("Escape cancels a drawing", func(t *testing.T) {
		do(ctx, t, chromedp.Click(chromedp.CSS("#stats .close")), chromedp.Click(chromedp.ID("tool-draw")))
		for _, c := range [][2]float64{{w, s}, {e, n}} {
			p := project(ctx, t, c)
			do(ctx, t, chromedp.MouseClickXY(p.X, p.Y))
		}
		do(ctx, t, chromedp.KeyEvent(kb.Escape))
		got, err := tryPoll[string](ctx, stepTimeout, `(() => {
			const m = window.atlanteMap;
			const drawn = m.queryRenderedFeatures({layers: ['atlante-draw-fill', 'atlante-draw-line', 'atlante-draw-corner']}).length;
			const b = document.getElementById('tool-draw');
			return drawn === 0 && !m.isMoving() ? b.getAttribute('aria-pressed') + ' ' + document.getElementById('tool-hint').hidden : false;
		})()`)
		if err != nil || got != "false true" {
			t.Errorf("after Escape: draw button pressed and hint hidden = %q (err %v), want %q and nothing drawn", got, err, "false true")
		}
	})

	t.Run("statistics of the comune under the cursor", func(t *testing.T) {
		var want struct {
			Civici int `json:"civici"`
		}
		getJSON(t, v.srv.URL+"/coverage/stats?comune=019035", &want)
		p := eval[screenPoint](ctx, t, cremaPointJS)
		do(ctx, t, chromedp.Click(chromedp.ID("tool-pick")), chromedp.MouseClickXY(p.X, p.Y))
		got := poll[statsState](ctx, t, stepTimeout, "no statistics after clicking Crema in comune mode", statsJS+` && (`+statsJS+`).civici !== '' && `+statsJS)
		if !strings.Contains(got.Title, "Crema") || got.Civici != fmt.Sprint(want.Civici) || got.Popups != 0 {
			t.Errorf("panel %q shows %s civic numbers and %d popups, want Crema's %d and no popup", got.Title, got.Civici, got.Popups, want.Civici)
		}
	})

	saveScreenshot(ctx, t, "viewer-stats-comune.png")

	// Civil protection and energy communities: their layers start off.
	closeAll := chromedp.Evaluate[chromedp.Void](`(() => {
		document.querySelector('.maplibregl-popup-close-button')?.click();
		if (!document.getElementById('stats').hidden) document.querySelector('#stats .close').click();
	})()`)
	toggle := func(t *testing.T, ids ...string) {
		t.Helper()
		for _, id := range ids {
			do(ctx, t, chromedp.Click(chromedp.ID("layer-"+id)))
		}
	}
	do(ctx, t, closeAll)

	t.Run("scenarios drawn once switched on", func(t *testing.T) {
		if n := eval[int](ctx, t, scenariosJS); n != 0 {
			t.Fatalf("before the toggle, %d scenarios are drawn, want none: they are off by default", n)
		}
		toggle(t, "scenarios")
		poll[int](ctx, t, stepTimeout, "no scenario is drawn after the toggle", `(`+scenariosJS+`) > 0 && `+scenariosJS)
		if legend := eval[int](ctx, t, `document.querySelectorAll('li[data-layer-id=scenarios] .legend:not([hidden]) li').length`); legend < 10 {
			t.Errorf("the scenarios' legend shows %d lines, want the 10 hazards and more", legend)
		}
		v.noEnglish(t, ctx, "the scenarios' legend")
	})

	t.Run("exposure of a scenario is the server's", func(t *testing.T) {
		waitIdle(ctx, t)
		p := findTop(ctx, t, `(f) => f.layer.id === 'scenarios-fill' && f.properties.severity >= 3`)
		if p.ID == "" {
			t.Fatal("no flood scenario drawn on top anywhere around Crema")
		}
		clickFeature(ctx, t, p.X, p.Y, "scenarios", p.ID)
		poll[bool](ctx, t, stepTimeout, "no scenario popup with an Exposure button after a click on scenario "+p.ID,
			`!!document.querySelector('.maplibregl-popup .scenario-popup .exposure-button')`)
		do(ctx, t, chromedp.Click(chromedp.CSS(".maplibregl-popup .exposure-button")))
		got := poll[exposureState](ctx, t, stepTimeout, "no exposure in the panel for scenario "+p.ID, exposureJS)
		var want struct {
			Civici struct {
				Count    int               `json:"count"`
				ByStreet []json.RawMessage `json:"by_street"`
			} `json:"civici"`
			Buildings []json.RawMessage `json:"strategic_buildings"`
			Inside    []json.RawMessage `json:"emergency_areas_inside"`
			Nearest   []json.RawMessage `json:"nearest_usable_areas"`
		}
		getJSON(t, v.srv.URL+"/civil-protection/scenarios/"+p.ID+"/exposure", &want)
		if want.Civici.Count == 0 {
			t.Errorf("the server counts no civic number in scenario %s: pick one with some", p.ID)
		}
		if got.Scenario != p.ID || got.Civici != fmt.Sprint(want.Civici.Count) {
			t.Errorf("the panel shows scenario %s with %s civic numbers; clicked scenario %s, which the server says has %d",
				got.Scenario, got.Civici, p.ID, want.Civici.Count)
		}
		if got.Nearest != len(want.Nearest) || got.Inside != len(want.Inside) || got.Buildings != len(want.Buildings) {
			t.Errorf("the panel lists %d nearest usable areas, %d areas inside, %d buildings; the server %d, %d, %d",
				got.Nearest, got.Inside, got.Buildings, len(want.Nearest), len(want.Inside), len(want.Buildings))
		}
		if got.Bars == 0 || !strings.Contains(got.Compare, "indirizzi") || !strings.Contains(got.Compare, "persone") {
			t.Errorf("the panel has %d street bars and compares %q; want a chart and indirizzi beside persone", got.Bars, got.Compare)
		}
		if got.Focus != "stats-title" || got.Popups != 0 {
			t.Errorf("after Exposure: focus on %q, %d popups; want the focus on the panel and the popup closed", got.Focus, got.Popups)
		}
		poll[int](ctx, t, stepTimeout, "the exposure is not highlighted on the map", `(() => { const m = window.atlanteMap;
			return !m.isMoving() && m.getLayer('atlante-exposure-marker') && m.queryRenderedFeatures({layers: ['atlante-exposure-scenario', 'atlante-exposure-marker']}).length; })()`)
		waitIdle(ctx, t)
		saveScreenshot(ctx, t, "viewer-exposure.png")
		v.noEnglish(t, ctx, "the exposure of a scenario")
		do(ctx, t, closeAll)
		if eval[bool](ctx, t, `!!window.atlanteMap.getLayer('atlante-exposure-civici')`) {
			t.Error("the exposed civic numbers are still highlighted after closing the panel")
		}
		toggle(t, "scenarios")
	})

	t.Run("plan status says since when a plan is validated", func(t *testing.T) {
		var plans struct {
			Plans []struct {
				ISTAT       string    `json:"istat_code"`
				Name        string    `json:"name"`
				ValidatedAt time.Time `json:"validated_at"`
				Version     int       `json:"validated_version"`
			} `json:"plans"`
		}
		getJSON(t, v.srv.URL+"/civil-protection/plans?status=validated", &plans)
		if len(plans.Plans) == 0 {
			t.Fatal("the demo has no validated plan")
		}
		plan := plans.Plans[0]
		toggle(t, "plan-status")
		do(ctx, t, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.atlanteMap.jumpTo({center: [%g, %g], zoom: %g})`, home.Lon, home.Lat, home.Zoom)))
		waitIdle(ctx, t)
		p := findTop(ctx, t, fmt.Sprintf(`(f) => f.layer.id === 'plan-status-fill' && f.properties.istat_code === %s`, jsString(plan.ISTAT)))
		if p.ID == "" {
			t.Fatalf("the plan status of %s (%s) is not drawn on top anywhere", plan.Name, plan.ISTAT)
		}
		clickFeature(ctx, t, p.X, p.Y, "plan-status", plan.ISTAT)
		got := poll[planState](ctx, t, stepTimeout, "no plan popup with a validation date after a click on "+plan.Name, `(() => {
			const p = document.querySelector('.maplibregl-popup .plan-popup');
			const time = p && p.querySelector('.plan-validated time');
			return time ? {title: p.querySelector('h2').textContent, text: p.querySelector('.plan-validated').textContent, datetime: time.dateTime} : false;
		})()`)
		at, err := time.Parse(time.RFC3339, got.Datetime)
		want := fmt.Sprintf("Validato dal %s", italianDay(plan.ValidatedAt))
		if got.Title != plan.Name || err != nil || !at.Equal(plan.ValidatedAt) || !strings.HasPrefix(got.Text, want) {
			t.Errorf("popup %q says %q (datetime %s); want %s: %q… (%s)", got.Title, got.Text, got.Datetime, plan.Name, want, plan.ValidatedAt)
		}
		saveScreenshot(ctx, t, "viewer-plan-status.png")
		v.noEnglish(t, ctx, "a plan's popup")
		do(ctx, t, closeAll)
		toggle(t, "plan-status")
	})

	t.Run("a community breaking both rules says why", func(t *testing.T) {
		const name = "CER Serio Nord (demo)"
		var list struct {
			Communities []communityRef `json:"communities"`
		}
		getJSON(t, v.srv.URL+"/energy/communities", &list)
		i := slices.IndexFunc(list.Communities, func(c communityRef) bool { return c.Name == name })
		if i < 0 {
			t.Fatalf("no %q in the demo", name)
		}
		id := list.Communities[i].ID
		var elig struct {
			Eligible bool `json:"eligible"`
			Reasons  []struct {
				Code string `json:"code"`
			} `json:"reasons"`
		}
		getJSON(t, fmt.Sprintf("%s/energy/communities/%d/eligibility", v.srv.URL, id), &elig)
		var codes []string
		for _, r := range elig.Reasons {
			codes = append(codes, r.Code)
		}
		slices.Sort(codes)
		if elig.Eligible || !slices.Equal(codes, []string{"plant_over_1mw", "several_zones"}) {
			t.Fatalf("the server says %s is eligible %v for %v: the demo should break both rules", name, elig.Eligible, codes)
		}
		res, err := http.Get(fmt.Sprintf("%s/collections/energy-communities/items/%d", v.srv.URL, id))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		f, ferr := geojson.UnmarshalFeature(body)
		if err != nil || ferr != nil || f.Geometry == nil {
			t.Fatalf("GET the footprint of %s: %s: %v %v", name, res.Status, err, ferr)
		}
		b := f.Geometry.Bound()
		do(ctx, t, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`void window.atlanteMap.fitBounds([[%g, %g], [%g, %g]], {padding: {top: 90, bottom: 60, left: 320, right: 420}, animate: false})`,
			b.Min[0], b.Min[1], b.Max[0], b.Max[1])))
		toggle(t, "energy-communities", "energy-sites")
		waitIdle(ctx, t)

		check := func(t *testing.T, what, pred, collection, popup string) {
			t.Helper()
			p := findTop(ctx, t, pred)
			if p.ID == "" {
				t.Fatalf("%s of %s is not drawn on top anywhere", what, name)
			}
			do(ctx, t, closeAll)
			clickFeature(ctx, t, p.X, p.Y, collection, p.ID)
			got := poll[eligibilityState](ctx, t, stepTimeout, "no eligibility in the popup of "+what, fmt.Sprintf(eligibilityJS, popup))
			slices.Sort(got.Reasons)
			if got.Title == "" || got.Eligible != "false" || !strings.Contains(got.Verdict, "Non ammissibile") || !slices.Equal(got.Reasons, codes) {
				t.Errorf("popup of %s %q: eligible %s, %q, reasons %v; want not eligible for the server's %v", what, got.Title, got.Eligible, got.Verdict, got.Reasons, codes)
			}
			if !strings.Contains(got.Text, "1 MW") || !strings.Contains(got.Text, "cabine primarie") {
				t.Errorf("the reasons %q do not name the plant over 1 MW and the primary substations", got.Text)
			}
		}
		check(t, "the footprint", fmt.Sprintf(`(f) => f.layer.id === 'energy-communities-fill' && f.id === %d`, id), "energy-communities", "community-popup")
		saveScreenshot(ctx, t, "viewer-community.png")
		v.noEnglish(t, ctx, "a community's eligibility")
		check(t, "the plant over 1 MW", fmt.Sprintf(`(f) => f.layer.id === 'energy-sites-circle' && f.properties.community_id === %d && f.properties.over_1mw === true`, id), "energy-sites", "site-popup")
		do(ctx, t, closeAll)
		toggle(t, "energy-communities", "energy-sites")
	})

	t.Run("which zone is Crema in", func(t *testing.T) {
		do(ctx, t, fitCrema)
		waitIdle(ctx, t)
		p := eval[screenPoint](ctx, t, cremaPointJS)
		if !slices.Contains(p.Hit, "019035") {
			t.Fatalf("Crema's label point hits %v", p.Hit)
		}
		do(ctx, t, chromedp.Click(chromedp.ID("tool-zone")))
		if on := eval[string](ctx, t, `document.getElementById('tool-zone').getAttribute('aria-pressed') + ' ' + document.getElementById('layer-energy-zones').checked`); on != "true true" {
			t.Errorf("after the tool's button: pressed, zones shown = %q, want %q", on, "true true")
		}
		waitIdle(ctx, t)
		do(ctx, t, chromedp.MouseClickXY(p.X, p.Y))
		got := poll[zoneState](ctx, t, stepTimeout, "no zone popup after a click on Crema with Which zone?", `(() => {
			const p = document.querySelector('.maplibregl-popup .zone-popup[data-zone-code]');
			return p ? {code: p.dataset.zoneCode, heading: p.querySelector('h2').textContent,
				communities: Array.from(p.querySelectorAll('tr[data-community]')).map((r) => r.dataset.community),
				pressed: document.getElementById('tool-zone').getAttribute('aria-pressed')} : false;
		})()`)
		q := v.proxy.lastQuery("/energy/zones/at")
		var want struct {
			Zone struct {
				Code string `json:"code"`
			} `json:"zone"`
			Comune struct {
				ISTAT string `json:"istat_code"`
			} `json:"comune"`
			Communities []struct {
				ID int64 `json:"id"`
			} `json:"communities"`
		}
		getJSON(t, v.srv.URL+"/energy/zones/at?"+q, &want)
		var ids []string
		for _, c := range want.Communities {
			ids = append(ids, fmt.Sprint(c.ID))
		}
		if want.Comune.ISTAT != "019035" || want.Zone.Code == "" {
			t.Errorf("the page asked for %s, which the server places in comune %q, zone %q; want a point of Crema", q, want.Comune.ISTAT, want.Zone.Code)
		}
		if got.Code != want.Zone.Code || !strings.Contains(got.Heading, want.Zone.Code) || !slices.Equal(got.Communities, ids) {
			t.Errorf("popup: zone %s (%q) with communities %v; the server: %s with %v", got.Code, got.Heading, got.Communities, want.Zone.Code, ids)
		}
		if got.Pressed != "false" {
			t.Errorf("the tool is still on after the lookup (aria-pressed %s)", got.Pressed)
		}
		waitIdle(ctx, t)
		saveScreenshot(ctx, t, "viewer-zone.png")
		v.noEnglish(t, ctx, "Which zone?")

		// With the keyboard: the tool, then Enter on the map for its centre;
		// Enter again on the popup's close button gives the focus back.
		do(ctx, t, closeAll, chromedp.Click(chromedp.ID("tool-zone")),
			chromedp.Focus(chromedp.CSS("canvas.maplibregl-canvas")), chromedp.KeyEvent(kb.Enter))
		kbd, err := tryPoll[keyboardState](ctx, stepTimeout, `document.querySelector('.zone-popup[data-zone-code]') && `+keyboardJS)
		if heading := v.text(t, "zone.heading", "it") + " "; err != nil || kbd.Focus != "maplibregl-popup-close-button" || !strings.HasPrefix(kbd.Title, heading) {
			t.Errorf("after Which zone? and Enter: popup %q, focus on %q (err %v); want a zone (%q…), the focus on its close button", kbd.Title, kbd.Focus, err, heading)
		}
		do(ctx, t, chromedp.KeyEvent(kb.Enter))
		if kbd = eval[keyboardState](ctx, t, keyboardJS); kbd.Popups != 0 || kbd.Focus != "maplibregl-canvas" {
			t.Errorf("after Enter on the close button: %d popups, focus on %q; want none, the focus back on the map", kbd.Popups, kbd.Focus)
		}
	})

	t.Run("every legend in Italian", func(t *testing.T) {
		// All layers on: every legend shows; then back as they were.
		do(ctx, t, closeAll, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#layer-list input[type=checkbox]').forEach((c) => { if (!c.checked) { c.dataset.wasOff = '1'; c.click(); } })`))
		waitIdle(ctx, t)
		saveScreenshot(ctx, t, "viewer-all-layers.png")
		v.noEnglish(t, ctx, "every legend")
		want := v.expectedCredits(t, "it", func(string) bool { return true })
		if got := poll[attributionState](ctx, t, stepTimeout, "attribution", attributionJS); !slices.Equal(sorted(got.Credits), sorted(want)) {
			t.Errorf("with every layer on, attribution %q, want %q", got.Credits, want)
		}
		do(ctx, t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#layer-list input[data-was-off]').forEach((c) => { delete c.dataset.wasOff; c.click(); })`))
	})

	v.clean(t, pl)
}

// clickList: a click on several features lists them by layer; a choice
// opens its popup, with a way back; hiding the layer closes the popup.
func (v *viewerRun) clickList(t *testing.T) {
	ctx, pl := v.open(t, "/?lang=it", 1280, 800)
	crema := cremaBound(t, v.srv.URL)
	do(ctx, t, chromedp.Click(chromedp.ID("layer-scenarios")), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`void window.atlanteMap.fitBounds([[%g, %g], [%g, %g]], {padding: {top: 90, bottom: 60, left: 320, right: 420}, animate: false})`,
		crema.Min[0], crema.Min[1], crema.Max[0], crema.Max[1])))
	waitIdle(ctx, t)
	p := eval[overlapPoint](ctx, t, overlapPointJS)
	if p.N < 2 {
		t.Fatal("no point around Crema where two scenarios overlap (a flood band inside a wider one, or in the heat scenario)")
	}
	do(ctx, t, chromedp.MouseClickXY(p.X, p.Y))
	list := poll[pickState](ctx, t, stepTimeout, "no list after a click on overlapping scenarios", pickJS)
	if list.Groups["scenarios"] < p.N {
		t.Errorf("the list shows %d scenarios under %q, the map %d there (groups %v)", list.Groups["scenarios"], list.Headings, p.N, list.Groups)
	}
	if !slices.Contains(list.Headings, v.text(t, "layer.scenarios.title", "it")) {
		t.Errorf("list headings %q, want the layer %q", list.Headings, v.text(t, "layer.scenarios.title", "it"))
	}
	if list.Title != strings.ReplaceAll(v.text(t, "pick.title", "it"), "{n}", fmt.Sprint(list.Items)) {
		t.Errorf("list title %q for %d items", list.Title, list.Items)
	}
	saveScreenshot(ctx, t, "viewer-click-list.png")
	v.noEnglish(t, ctx, "the click list")

	// The second scenario of the list, then back to the list.
	do(ctx, t, chromedp.Click(chromedp.CSS(`.pick-list section[data-collection=scenarios] li:nth-child(2) .pick-item`)))
	poll[bool](ctx, t, stepTimeout, "no scenario popup after choosing it in the list", `!!document.querySelector('.maplibregl-popup .scenario-popup .exposure-button') && !!document.querySelector('.maplibregl-popup .popup-back')`)
	do(ctx, t, chromedp.Click(chromedp.CSS(".maplibregl-popup .popup-back")))
	if back := poll[pickState](ctx, t, stepTimeout, "the way back does not lead to the list", pickJS); back.Items != list.Items {
		t.Errorf("back to a list of %d items, want the %d of before", back.Items, list.Items)
	}

	// Hiding the scenarios closes what is about them.
	do(ctx, t, chromedp.Click(chromedp.ID("layer-scenarios")))
	if n := eval[int](ctx, t, `document.querySelectorAll('.maplibregl-popup').length`); n != 0 {
		t.Errorf("%d popups open after hiding the scenarios, want none", n)
	}
	v.clean(t, pl)
}

// zones: each primary-substation zone in its own colour, under the data,
// labelled with its code, listed in the legend.
func (v *viewerRun) zones(t *testing.T) {
	ctx, pl := v.open(t, "/?lang=it", 1280, 800)
	var zones struct {
		Features []struct {
			Properties struct {
				Code string `json:"code"`
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"features"`
	}
	getJSON(t, v.srv.URL+"/collections/energy-zones/items?limit=1000", &zones)
	if len(zones.Features) < 2 {
		t.Fatalf("the demo has %d zones, want several", len(zones.Features))
	}
	do(ctx, t, chromedp.Click(chromedp.ID("layer-energy-zones")))
	waitIdle(ctx, t)
	got := poll[zonesState](ctx, t, stepTimeout, "the zones are not coloured", zonesJS)
	var codes []string
	for _, f := range zones.Features {
		codes = append(codes, f.Properties.Code)
	}
	slices.Sort(codes)
	if !slices.Equal(sorted(got.Legend), codes) {
		t.Errorf("the legend lists zones %v, the server has %v", got.Legend, codes)
	}
	colours := map[string]bool{}
	for _, code := range codes {
		c := got.Colours[code]
		if c == "" {
			t.Errorf("zone %s has no colour of its own (fill %v)", code, got.Colours)
		}
		colours[c] = true
		if got.Swatches[code] != c {
			t.Errorf("zone %s: legend swatch %q, fill %q", code, got.Swatches[code], c)
		}
	}
	if len(colours) != len(codes) {
		t.Errorf("%d zones in %d colours, want one each: %v", len(codes), len(colours), got.Colours)
	}
	if got.FillOrder >= got.CiviciOrder || got.FillOrder < 0 {
		t.Errorf("the zones' fill is drawn at %d, the civic numbers at %d: want the zones under the data", got.FillOrder, got.CiviciOrder)
	}
	if len(got.Labels) == 0 || !slices.ContainsFunc(got.Labels, func(l string) bool { return slices.Contains(codes, l) }) {
		t.Errorf("zone labels %v, want the zones' codes", got.Labels)
	}
	saveScreenshot(ctx, t, "viewer-zones.png")
	v.clean(t, pl)
}

// catalogNames: every layer of the catalog, its properties and their
// values have a name in both languages (properties.js warns and shows the
// catalog's words otherwise).
func (v *viewerRun) catalogNames(t *testing.T) {
	for _, lang := range []string{"it", "en"} {
		t.Run(lang, func(t *testing.T) {
			ctx, pl := v.open(t, "/?lang="+lang, 1024, 700)
			type probe struct {
				Layer, Property string
				Values          []string
			}
			var probes []probe
			for _, l := range v.srv.Catalog.Layers() {
				if l.Access != catalog.Public {
					continue
				}
				probes = append(probes, probe{Layer: l.ID})
				for _, p := range l.Properties {
					probes = append(probes, probe{Layer: l.ID, Property: p.Name, Values: p.Enum})
				}
				for name := range l.TileFields {
					probes = append(probes, probe{Layer: l.ID, Property: name})
				}
			}
			b, err := json.Marshal(probes)
			if err != nil {
				t.Fatal(err)
			}
			got := eval[[]string](ctx, t, `(async (probes) => {
				const m = await import('/viewer/js/properties.js');
				const out = [];
				for (const p of probes) {
					if (!p.Property) { out.push(m.layerTitle({id: p.Layer, title: '?'})); continue; }
					out.push(m.propertyLabel(p.Layer, p.Property));
					for (const v of p.Values ?? []) out.push(m.propertyValue(p.Layer, p.Property, v));
				}
				return out;
			})(`+string(b)+`)`)
			if w := pl.warned("no translation"); len(w) > 0 {
				t.Errorf("names missing from messages.js (%s):\n%s", lang, strings.Join(w, "\n"))
			}
			if len(got) < len(probes) || slices.Contains(got, "?") {
				t.Errorf("%d names for %d probes, or a layer without a title: %q", len(got), len(probes), got)
			}
			v.clean(t, pl)
		})
	}
}

// english: the page on request in English, with English popups and no Italian left over.
func (v *viewerRun) english(t *testing.T) {
	ctx, pl := v.open(t, "/?lang=en", 1280, 800)
	got := eval[langState](ctx, t, langJS)
	if got.Lang != "en" || got.Panel != v.text(t, "panel.title", "en") || got.Placeholder != v.text(t, "search.placeholder", "en") {
		t.Errorf("English page: lang %q, panel %q, placeholder %q", got.Lang, got.Panel, got.Placeholder)
	}
	p := eval[screenPoint](ctx, t, cremaPointJS)
	clickFeature(ctx, t, p.X, p.Y, "comuni", "019035")
	pop := poll[propertiesPopup](ctx, t, stepTimeout, "no popup of Crema in English", propertiesPopupJS(v.text(t, "prop.area_km2", "en")))
	if val := pop.Rows[v.text(t, "prop.area_km2", "en")]; !regexp.MustCompile(`^\d+(\.\d+)? km²$`).MatchString(val) {
		t.Errorf("English popup: area %q, want a number with a decimal point and km² (rows %v)", val, pop.Rows)
	}
	saveScreenshot(ctx, t, "viewer-english.png")
	if leaks := eval[[]string](ctx, t, fmt.Sprintf(leakJS, "en", "it", "[]")); len(leaks) > 0 {
		t.Errorf("Italian texts on the English page: %q", leaks)
	}
	v.clean(t, pl)
}

// language: the browser's language, the switch, and the choice remembered.
func (v *viewerRun) language(t *testing.T) {
	ctx, pl := newTab(t, v.browser, v.proxy.URL)
	do(ctx, t, acceptLanguage("en-GB,en"))
	v.navigate(t, ctx, pl, "/", 1280, 800)
	do(ctx, t, chromedp.Evaluate[chromedp.Void](`localStorage.removeItem('atlante.lang')`))
	v.expectNoConfig(pl)
	do(ctx, t, chromedp.Reload())
	v.waitReady(t, ctx, pl)
	if got := eval[langState](ctx, t, langJS); got.Lang != "en" || got.Panel != v.text(t, "panel.title", "en") {
		t.Errorf("with an English browser and no choice made: lang %q, panel %q; want English", got.Lang, got.Panel)
	}
	// The switch: Italian, remembered without ?lang.
	v.expectNoConfig(pl)
	do(ctx, t, chromedp.Click(chromedp.CSS(`.lang-switch [data-lang=it]`)))
	// The page reloads: a poll may meet the old page going away, so retry.
	for deadline := time.Now().Add(loadTimeout); ; {
		if ok, err := tryPoll[bool](ctx, 5*time.Second, `document.documentElement.lang === 'it'`); err == nil && ok {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the page does not reload in Italian after the IT button: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	v.waitReady(t, ctx, pl)
	if got := eval[langState](ctx, t, langJS); got.Lang != "it" || got.Pressed != "it" {
		t.Errorf("after the IT button: lang %q, pressed %q; want it", got.Lang, got.Pressed)
	}
	v.navigate(t, ctx, pl, "/", 1280, 800)
	if got := eval[langState](ctx, t, langJS); got.Lang != "it" || got.Panel != v.text(t, "panel.title", "it") {
		t.Errorf("an English browser that chose Italian, back on /: lang %q, panel %q; want Italian, remembered", got.Lang, got.Panel)
	}
	v.clean(t, pl)
}

// phone: 390×844, touch.
func (v *viewerRun) phone(t *testing.T) {
	ctx, pl := v.open(t, "/?lang=it", 390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
	saveScreenshot(ctx, t, "viewer-phone.png")
	got := eval[phoneState](ctx, t, phoneJS)
	t.Logf("390×844: header %.0f px, the map %.0f %% of the screen", got.Header, 100*got.MapShare)
	if got.Overflow > 0 {
		t.Errorf("the page is %d px wider than the 390 px screen", got.Overflow)
	}
	if got.MapShare < 0.70 {
		t.Errorf("the map covers %.0f %% of the screen, want at least 70 %% (header %.0f px)", 100*got.MapShare, got.Header)
	}
	if len(got.Outside) > 0 {
		t.Errorf("on a 390 px screen these do not fit or are too small to touch: %v", got.Outside)
	}
	if got.PanelShown || got.AttributionOpen || got.AttributionHeight > 36 {
		t.Errorf("on a phone the layer drawer is shown %v, the attribution open %v (%.0f px high); want both folded", got.PanelShown, got.AttributionOpen, got.AttributionHeight)
	}
	v.noEnglish(t, ctx, "the phone layout")

	t.Run("the layer drawer", func(t *testing.T) {
		do(ctx, t, chromedp.Click(chromedp.ID("menu-toggle")))
		d := poll[drawerState](ctx, t, stepTimeout, "the drawer does not open", drawerJS)
		if !d.Open || d.Left < 0 || d.Right > 390 || d.Height < 600 || !d.Backdrop {
			t.Errorf("drawer %+v, want open, within the screen, full height, over a backdrop", d)
		}
		saveScreenshot(ctx, t, "viewer-phone-drawer.png")
		do(ctx, t, chromedp.Click(chromedp.ID("layer-network")))
		if on := eval[string](ctx, t, `window.atlanteMap.getLayoutProperty('network-line', 'visibility')`); on != "none" {
			t.Errorf("the network is %q after unticking it in the drawer", on)
		}
		do(ctx, t, chromedp.Click(chromedp.ID("layer-network")), chromedp.Click(chromedp.ID("panel-close")))
		if d := eval[drawerState](ctx, t, drawerJS); d.Open || d.Backdrop {
			t.Errorf("after closing, drawer %+v", d)
		}
	})

	for _, width := range []int64{390, 360} {
		t.Run(fmt.Sprintf("a civic number's popup fits %d px", width), func(t *testing.T) {
			do(ctx, t, chromedp.EmulateViewport(width, 740, chromedp.EmulateMobile, chromedp.EmulateTouch),
				chromedp.Evaluate[chromedp.Void](closePopupJS),
				chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`),
				chromedp.SendKeys(chromedp.ID("search"), "via roma 1, crema"))
			poll[bool](ctx, t, stepTimeout, "no suggestion on the phone", `(`+comboboxJS+`).options.includes('Via Roma 1, Crema')`)
			do(ctx, t, chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll('#search-list [role=option]')).find((o) => o.querySelector('.option-label').textContent === 'Via Roma 1, Crema').click()`))
			poll[offersPopup](ctx, t, stepTimeout, "no offers on the phone", offersPopupJS)
			fit := eval[fitState](ctx, t, fmt.Sprintf(popupFitJS, width))
			if len(fit.Outside) > 0 || fit.Left < 0 || fit.Right > float64(width)+0.5 || fit.Bottom > 740.5 {
				t.Errorf("the popup (%.0f–%.0f, bottom %.0f) does not fit %d px: %v", fit.Left, fit.Right, fit.Bottom, width, fit.Outside)
			}
			saveScreenshot(ctx, t, fmt.Sprintf("viewer-phone-popup-%d.png", width))
		})
	}

	t.Run("statistics as a bottom sheet", func(t *testing.T) {
		do(ctx, t, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Evaluate[chromedp.Void](closePopupJS))
		crema := cremaBound(t, v.srv.URL)
		do(ctx, t, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.atlanteMap.fitBounds([[%g, %g], [%g, %g]], {animate: false})`,
			crema.Min[0], crema.Min[1], crema.Max[0], crema.Max[1])))
		waitIdle(ctx, t)
		p := eval[screenPoint](ctx, t, cremaPointJS)
		do(ctx, t, chromedp.Click(chromedp.ID("tool-pick")), chromedp.MouseClickXY(p.X, p.Y))
		poll[statsState](ctx, t, stepTimeout, "no statistics on the phone", statsJS+` && (`+statsJS+`).civici !== '' && `+statsJS)
		fit := eval[fitState](ctx, t, `(() => { const r = document.getElementById('stats').getBoundingClientRect();
			return {left: r.left, right: r.right, bottom: r.bottom, outside: r.width > innerWidth + 0.5 || r.height > innerHeight * 0.6 ? ['stats ' + JSON.stringify(r)] : []}; })()`)
		if len(fit.Outside) > 0 || fit.Left < 0 || fit.Right > 390.5 || fit.Bottom > 844.5 {
			t.Errorf("the statistics sheet does not fit the phone: %+v", fit)
		}
		saveScreenshot(ctx, t, "viewer-phone-stats.png")
	})
	v.clean(t, pl)
}

// searchContract: the answers of /coverage/search the page must handle —
// a comune (fly to it), and a street without the number typed (say the
// range of numbers, offer the nearest) — given by the proxy in the shape
// the search API promises, with a real civic number as the nearest.
func (v *viewerRun) searchContract(t *testing.T) {
	var found searchAnswer
	getJSON(t, v.srv.URL+"/coverage/search?"+url.Values{"q": {"via roma 1, crema"}, "limit": {"8"}}.Encode(), &found)
	i := slices.IndexFunc(found.Results, func(r searchResult) bool { return r.Kind == "civico" && r.Label == "Via Roma 1, Crema" })
	if i < 0 {
		t.Fatalf("the server does not find Via Roma 1, Crema: %+v", found.Results)
	}
	nearest := found.Results[i]
	var civico civicoAnswer
	getJSON(t, fmt.Sprintf("%s/coverage/civici/%d", v.srv.URL, nearest.ID), &civico)
	crema := cremaBound(t, v.srv.URL)
	answer := map[string]any{
		"query": "via roma 999 crema",
		"results": []map[string]any{
			{"kind": "street", "label": "Via Roma, Crema", "istat_code": "019035", "comune": "Crema", "street": "Via Roma",
				"civici": 80, "lon": nearest.Lon, "lat": nearest.Lat, "bbox": []float64{nearest.Lon - 0.004, nearest.Lat - 0.002, nearest.Lon + 0.004, nearest.Lat + 0.002},
				"missing_number": "999", "number_range": []int{1, 80},
				"nearest": map[string]any{"kind": "civico", "label": "Via Roma 1, Crema", "istat_code": "019035", "comune": "Crema",
					"street": "Via Roma", "id": nearest.ID, "number": 1, "lon": nearest.Lon, "lat": nearest.Lat}},
			{"kind": "comune", "label": "Crema", "istat_code": "019035", "comune": "Crema", "civici": 6000,
				"lon": (crema.Min[0] + crema.Max[0]) / 2, "lat": (crema.Min[1] + crema.Max[1]) / 2,
				"bbox": []float64{crema.Min[0], crema.Min[1], crema.Max[0], crema.Max[1]}},
		},
	}
	body, err := json.Marshal(answer)
	if err != nil {
		t.Fatal(err)
	}
	v.proxy.serve(t, "/coverage/search", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	ctx, pl := v.open(t, "/?lang=it", 1280, 800)
	do(ctx, t, chromedp.SendKeys(chromedp.ID("search"), "via roma 999 crema"))
	got := poll[comboboxDetails](ctx, t, stepTimeout, "no suggestions", `(() => { const o = Array.from(document.querySelectorAll('#search-list [role=option]'));
		return o.length === 2 && {kinds: o.map((x) => x.dataset.kind), details: o.map((x) => x.querySelector('.option-detail').textContent)}; })()`)
	if !slices.Equal(got.Kinds, []string{"street", "comune"}) || !strings.Contains(got.Details[0], "999") || !strings.Contains(got.Details[0], "80") || !strings.Contains(got.Details[1], "comune") {
		t.Errorf("suggestions %v with details %q; want the street saying 999 is not there (1 to 80), then the comune", got.Kinds, got.Details)
	}

	// The comune: the map flies to it.
	do(ctx, t, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	poll[bool](ctx, t, stepTimeout, "the map does not fly to Crema", fmt.Sprintf(`(() => { const m = window.atlanteMap; if (m.isMoving()) return false;
		const b = m.getBounds(); return b.getWest() <= %g && b.getEast() >= %g && b.getSouth() <= %g && b.getNorth() >= %g && m.getZoom() <= 13.01; })()`,
		crema.Min[0], crema.Max[0], crema.Min[1], crema.Max[1]))

	// The street: the range and the nearest, which opens its offers.
	do(ctx, t, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`),
		chromedp.SendKeys(chromedp.ID("search"), "via roma 999 crema"))
	poll[bool](ctx, t, stepTimeout, "no suggestions again", `document.querySelectorAll('#search-list [role=option]').length === 2`)
	do(ctx, t, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	msg := poll[string](ctx, t, stepTimeout, "no word on the missing number", `(() => { const m = document.getElementById('search-message'); return !m.hidden && m.querySelector('.nearest-button') && m.textContent; })()`)
	want := strings.NewReplacer("{number}", "999", "{street}", "Via Roma, Crema", "{from}", "1", "{to}", "80").Replace(v.text(t, "search.missing", "it"))
	if !strings.Contains(msg, want) {
		t.Errorf("message %q, want %q and the nearest", msg, want)
	}
	saveScreenshot(ctx, t, "viewer-search-missing.png")
	do(ctx, t, chromedp.Click(chromedp.CSS("#search-message .nearest-button")))
	p := poll[offersPopup](ctx, t, stepTimeout, "no offers of the nearest civic number", offersPopupJS)
	if p.Title != "Via Roma 1, Crema" || p.Rows != len(civico.Offers) {
		t.Errorf("popup %q with %d offers, want the nearest, Via Roma 1, Crema, with %d", p.Title, p.Rows, len(civico.Offers))
	}
	v.clean(t, pl)
}

// basemap: a basemap configured on the server shows under the data, with
// its attribution, and can be switched off; one that cannot be reached is
// switched off with a note.
func (v *viewerRun) basemap(t *testing.T) {
	tile := pngTile(t)
	config := func(u string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"basemap": {"type": "raster", "url": %s, "attribution": "© Sfondo di prova"}, "demo": true}`, jsString(u))
		})
	}
	t.Run("configured", func(t *testing.T) {
		v.proxy.serve(t, "/viewer/config.json", config(v.proxy.URL+"/test-basemap/{z}/{x}/{y}.png"))
		v.proxy.serve(t, "/test-basemap/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Write(tile)
		}))
		noConfig := v.noConfig
		v.noConfig = false
		defer func() { v.noConfig = noConfig }()
		ctx, pl := v.open(t, "/?lang=it", 1024, 700)
		got := poll[basemapState](ctx, t, stepTimeout, "the configured basemap is not shown", `(() => { const s = `+basemapJS+`; return s.layer && s; })()`)
		if !got.Shown || !got.Checked || !got.Below || !slices.Contains(got.Credits, "© Sfondo di prova") {
			t.Errorf("basemap %+v; want its switch shown and on, its layer under the data, its attribution", got)
		}
		do(ctx, t, chromedp.Click(chromedp.ID("basemap-toggle")))
		got = poll[basemapState](ctx, t, stepTimeout, "the basemap does not go", `(() => { const s = `+basemapJS+`; return !s.layer && s; })()`)
		if slices.Contains(got.Credits, "© Sfondo di prova") {
			t.Errorf("the basemap's attribution stays after switching it off: %q", got.Credits)
		}
		v.clean(t, pl)
	})
	t.Run("unreachable", func(t *testing.T) {
		v.proxy.serve(t, "/viewer/config.json", config(v.proxy.URL+"/test-basemap-down/{z}/{x}/{y}.png"))
		v.proxy.serve(t, "/test-basemap-down/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}))
		noConfig := v.noConfig
		v.noConfig = false
		defer func() { v.noConfig = noConfig }()
		ctx, pl := newTab(t, v.browser, v.proxy.URL)
		pl.allow("/test-basemap-down/")
		v.navigate(t, ctx, pl, "/?lang=it", 1024, 700)
		got := poll[basemapState](ctx, t, stepTimeout, "the unreachable basemap is not switched off", `(() => { const s = `+basemapJS+`; return !s.checked && s.note && s; })()`)
		if got.Layer || got.Note != v.text(t, "basemap.unavailable", "it") {
			t.Errorf("unreachable basemap: %+v; want it off with the note %q", got, v.text(t, "basemap.unavailable", "it"))
		}
		v.clean(t, pl)
	})
}

// noWebGL: a plain message and a list view that searches, shows an
// address's offers and a comune's statistics.
func (v *viewerRun) noWebGL(t *testing.T, ctx context.Context, pl *pageLog) {
	v.expectNoConfig(pl)
	do(ctx, t, chromedp.EmulateViewport(1024, 768), chromedp.Navigate(v.proxy.URL+"/?lang=it"))
	state, err := tryPoll[string](ctx, loadTimeout, `document.body.dataset.state || (document.getElementById('status').hidden ? false : 'error')`)
	if err != nil || state != "list" {
		t.Fatalf("without WebGL the page is in state %q (err %v), want the list view; problems:\n%s", state, err, pl.report())
	}
	got := poll[listState](ctx, t, stepTimeout, "the list view has no comuni to choose from", `(() => { const s = `+listViewJS+`; return s.comuni > 0 && s; })()`)
	if !got.Shown || got.MapShown || got.Message != v.text(t, "nowebgl.message", "it") || got.Comuni < 40 {
		t.Errorf("list view %+v; want it shown with its message, the map hidden, the comuni to choose from", got)
	}
	saveScreenshot(ctx, t, "viewer-nowebgl.png")

	var civico civicoAnswer
	var found searchAnswer
	getJSON(t, v.srv.URL+"/coverage/search?"+url.Values{"q": {"via roma 1, crema"}, "limit": {"8"}}.Encode(), &found)
	i := slices.IndexFunc(found.Results, func(r searchResult) bool { return r.Kind == "civico" && r.Label == "Via Roma 1, Crema" })
	if i < 0 {
		t.Fatalf("the server does not find Via Roma 1, Crema: %+v", found.Results)
	}
	getJSON(t, fmt.Sprintf("%s/coverage/civici/%d", v.srv.URL, found.Results[i].ID), &civico)
	do(ctx, t, chromedp.SendKeys(chromedp.ID("search"), "via roma 1, crema"))
	poll[bool](ctx, t, stepTimeout, "no suggestions without WebGL", `(`+comboboxJS+`).options.includes('Via Roma 1, Crema')`)
	do(ctx, t, chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll('#search-list [role=option]')).find((o) => o.querySelector('.option-label').textContent === 'Via Roma 1, Crema').click()`))
	offers := poll[int](ctx, t, stepTimeout, "no offers in the list view", `(() => { const t = document.querySelector('#listview-result table.offers'); return t && t.tBodies[0].rows.length; })()`)
	if offers != len(civico.Offers) {
		t.Errorf("the list view shows %d offers, the server %d", offers, len(civico.Offers))
	}
	saveScreenshot(ctx, t, "viewer-nowebgl-address.png")

	var stats struct {
		Civici int `json:"civici"`
	}
	getJSON(t, v.srv.URL+"/coverage/stats?comune=019035", &stats)
	do(ctx, t, chromedp.SetValue(chromedp.ID("listview-comune"), "019035"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('listview-comune').dispatchEvent(new Event('change'))`))
	n := poll[string](ctx, t, stepTimeout, "no statistics of Crema in the list view", `(() => { const c = document.querySelector('#listview-result [data-civici]'); return c && c.dataset.civici; })()`)
	if n != fmt.Sprint(stats.Civici) {
		t.Errorf("the list view counts %s civic numbers in Crema, the server %d", n, stats.Civici)
	}
	saveScreenshot(ctx, t, "viewer-nowebgl-stats.png")
	v.noEnglish(t, ctx, "the list view")
	v.clean(t, pl)
}

// expectedCredits is what the attribution must say in lang for the layers
// on: the catalog's attribution of real data, "demo data" for synthetic
// layers (as their first feature says), then MapLibre's.
func (v *viewerRun) expectedCredits(t *testing.T, lang string, on func(string) bool) []string {
	t.Helper()
	derived := map[string]string{"coverage-comuni": "civici", "plan-status": "scenarios"}
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, l := range v.srv.Catalog.Layers() {
		if l.Access != catalog.Public || !on(l.ID) {
			continue
		}
		from := l.ID
		if d, ok := derived[l.ID]; ok {
			from = d
		}
		if v.isDemo(t, from) {
			add(strings.ReplaceAll(v.text(t, "attrib.demo", lang), "{layer}", v.text(t, "layer."+l.ID+".title", lang)))
		} else {
			add(l.Attribution)
		}
	}
	add(v.text(t, "attrib.maplibre", lang))
	return out
}

// isDemo reports whether the first feature of a layer is synthetic.
func (v *viewerRun) isDemo(t *testing.T, id string) bool {
	t.Helper()
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	getJSON(t, v.srv.URL+"/collections/"+id+"/items?limit=1", &fc)
	return len(fc.Features) > 0 && fc.Features[0].Properties["synthetic"] == true
}

func (v *viewerRun) anyDemo(t *testing.T) bool {
	for _, l := range v.srv.Catalog.Layers() {
		if l.Access == catalog.Public && v.isDemo(t, l.ID) {
			return true
		}
	}
	return false
}

// noEnglish fails when the Italian page shows a text that only the English
// table has, a raw key of the table, or a catalog title in English.
func (v *viewerRun) noEnglish(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	var titles []string
	for _, l := range v.srv.Catalog.Layers() {
		if l.Access == catalog.Public && l.Title != v.text(t, "layer."+l.ID+".title", "it") {
			titles = append(titles, l.Title)
		}
	}
	b, _ := json.Marshal(titles) // strings always marshal
	if leaks := eval[[]string](ctx, t, fmt.Sprintf(leakJS, "it", "en", b)); len(leaks) > 0 {
		t.Errorf("English or raw keys on the Italian page (%s): %q", where, leaks)
	}
}

// italianDay writes the day of an instant in Italy as Intl does for it-IT: "2 gennaio 2026".
func italianDay(at time.Time) string {
	months := []string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		rome = time.UTC
	}
	d := at.In(rome)
	return fmt.Sprintf("%d %s %d", d.Day(), months[d.Month()-1], d.Year())
}

func themeKey(v *viewerRun, t *testing.T, title string) string {
	for _, k := range []string{"territory", "coverage", "civilprotection", "energy", "other"} {
		if v.text(t, "theme."+k, "it") == title {
			return k
		}
	}
	return title
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// clickFeature clicks a point of the map and gets to the popup of the
// feature of collection (with id, when given): directly, from the list of
// what is there, or from "Also here" under another feature's popup.
func clickFeature(ctx context.Context, t *testing.T, x, y float64, collection, id string) {
	t.Helper()
	do(ctx, t, chromedp.MouseClickXY(x, y))
	sel := fmt.Sprintf(`[data-collection=%s]`, jsString(collection))
	if id != "" {
		sel += fmt.Sprintf(`[data-feature=%s]`, jsString(id))
	}
	what := poll[string](ctx, t, stepTimeout, fmt.Sprintf("no popup after a click at (%.0f, %.0f)", x, y), `(() => {
		const p = document.querySelector('.maplibregl-popup');
		if (!p) return false;
		const b = p.querySelector('.pick-item`+sel+`, .also-here button`+sel+`');
		if (b) { b.click(); return 'chosen'; }
		return 'direct';
	})()`)
	t.Logf("click at (%.0f, %.0f): %s", x, y, what)
}

// pngTile is a 256×256 grey PNG, a basemap tile.
func pngTile(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = 0xd8
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// --- what the tests read from the page ---

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

const closePopupJS = `document.querySelector('.maplibregl-popup-close-button')?.click()`

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
	Theme   string `json:"theme"`  // the legend of its group
	Legend  bool   `json:"legend"` // it has a legend (shown while it is on)
}

const layerListJS = `Array.from(document.querySelectorAll('#layer-list li[data-layer-id]')).map((li) => ({
	id: li.dataset.layerId,
	title: li.querySelector('.layer-title').textContent,
	checked: li.querySelector('input[type=checkbox]').checked,
	theme: li.closest('fieldset').querySelector('legend').textContent,
	legend: !!li.querySelector('.legend'),
}))`

type noticeState struct {
	Text    string `json:"text"`
	Visible bool   `json:"visible"`
}

const noticeJS = `(() => {
	const n = document.getElementById('demo-notice');
	const r = n.getBoundingClientRect();
	return {text: n.querySelector('.long').textContent.trim(), visible: !n.hidden && r.width > 0 && r.height > 0};
})()`

type attributionState struct {
	Credits  []string `json:"credits"`
	Open     bool     `json:"open"`
	Overlaps string   `json:"overlaps"` // what it covers or is clipped by, if anything
}

// attributionJS reads the attribution once its demo check is done, and
// checks its place: inside the map, clear of the scale bar and the layer
// panel, nothing cut off.
const attributionJS = `(() => {
	if (document.body.dataset.state !== 'ready') return false;
	const a = document.querySelector('.atlante-attrib');
	if (!a) return false;
	const box = (e) => e.getBoundingClientRect();
	const meet = (p, q) => p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom;
	const r = box(a);
	const map = box(document.getElementById('map'));
	const problems = [];
	if (r.left < map.left || r.right > map.right + 0.5 || r.bottom > map.bottom + 0.5 || r.top < map.top) problems.push('outside the map ' + JSON.stringify(r));
	const scale = document.querySelector('.maplibregl-ctrl-scale');
	if (scale && meet(r, box(scale))) problems.push('over the scale bar');
	const panel = document.getElementById('panel');
	if (!panel.hidden && getComputedStyle(panel).display !== 'none' && meet(r, box(panel))) problems.push('under or over the layer panel');
	const list = a.querySelector('.attrib-list');
	if (a.querySelector('details').open && (list.scrollWidth > list.clientWidth + 1 || list.scrollHeight > list.clientHeight + 1)) problems.push('cut off');
	return {credits: Array.from(a.querySelectorAll('.attrib-list li')).map((li) => li.textContent), open: a.querySelector('details').open, overlaps: problems.join('; ')};
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

type propertiesPopup struct {
	Title string            `json:"title"`
	Rows  map[string]string `json:"rows"`
}

// propertiesPopupJS reads the open popup's table once it has a row labelled
// with its argument (a property only the whole feature has).
func propertiesPopupJS(label string) string {
	return `(() => {
	const p = document.querySelector('.maplibregl-popup-content .feature-popup');
	if (!p) return false;
	const rows = {};
	for (const tr of p.querySelectorAll('table.properties tr')) rows[tr.querySelector('th').textContent] = tr.querySelector('td').textContent;
	return ` + jsString(label) + ` in rows ? {title: p.querySelector('h2').textContent, rows} : false;
})()`
}

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

type camera struct {
	Lon, Lat, Zoom float64
}

const cameraJS = `(() => {
	const m = window.atlanteMap;
	const c = m.getCenter();
	return {lon: c.lng, lat: c.lat, zoom: m.getZoom()};
})()`

// waitIdle waits until the map has stopped and drawn every tile it needs.
func waitIdle(ctx context.Context, t *testing.T) {
	t.Helper()
	poll[bool](ctx, t, stepTimeout, "the map did not settle", `(() => { const m = window.atlanteMap; return m.loaded() && m.areTilesLoaded() && !m.isMoving(); })()`)
}

type searchResult struct {
	Kind   string     `json:"kind"`
	Label  string     `json:"label"`
	ID     int64      `json:"id"`
	ISTAT  string     `json:"istat_code"`
	Street string     `json:"street"`
	BBox   [4]float64 `json:"bbox"`
	Lon    float64    `json:"lon"`
	Lat    float64    `json:"lat"`
}

type searchAnswer struct {
	Results []searchResult `json:"results"`
}

type civicoAnswer struct {
	ID     int64             `json:"id"`
	Lon    float64           `json:"lon"`
	Lat    float64           `json:"lat"`
	Offers []json.RawMessage `json:"offers"`
}

type comboboxState struct {
	Role     string   `json:"role"`
	Expanded string   `json:"expanded"`
	Options  []string `json:"options"` // labels of the listed options
	Active   string   `json:"active"`  // label of the aria-activedescendant
}

const comboboxJS = `(() => {
	const s = document.getElementById('search');
	const list = document.getElementById(s.getAttribute('aria-controls'));
	const options = list.hidden ? [] : Array.from(list.querySelectorAll('[role=option]'));
	const id = s.getAttribute('aria-activedescendant');
	const active = id ? document.getElementById(id) : null;
	const label = (o) => o.querySelector('.option-label').textContent;
	return {
		role: s.getAttribute('role'),
		expanded: s.getAttribute('aria-expanded'),
		options: options.map(label),
		active: active ? label(active) : '',
	};
})()`

// streetRingJS counts the civic numbers ringed for the chosen street.
const streetRingJS = `(async () => {
	const s = window.atlanteMap.getSource('atlante-street');
	if (!s) return false;
	const d = await s.getData();
	return d.features.length || false;
})()`

type streetsState struct {
	Source    bool     `json:"source"`
	Labels    []string `json:"labels"`    // street names placed in view
	Lines     []string `json:"lines"`     // streets drawn in view
	Highlight string   `json:"highlight"` // the highlight's filter
}

const streetsJS = `(() => {
	const m = window.atlanteMap;
	const h = m.getLayer('atlante-street-line');
	return {source: !!m.getSource('streets'),
		labels: m.getLayer('streets-label') ? m.queryRenderedFeatures({layers: ['streets-label']}).map((f) => f.properties.street) : [],
		lines: m.getLayer('streets-line') ? m.queryRenderedFeatures({layers: ['streets-line']}).map((f) => f.properties.street) : [],
		highlight: h ? JSON.stringify(m.getFilter('atlante-street-line')) : ''};
})()`

type comboboxDetails struct {
	Kinds   []string `json:"kinds"`
	Details []string `json:"details"`
}

type offersPopup struct {
	Title string   `json:"title"`
	Rows  int      `json:"rows"`
	Heads []string `json:"heads"`
}

// offersPopupJS reads the open popup once it shows a table of offers.
const offersPopupJS = `(() => {
	const p = document.querySelector('.maplibregl-popup-content');
	const t = p && p.querySelector('table.offers');
	return t ? {title: p.querySelector('h2').textContent, rows: t.tBodies[0].rows.length,
		heads: Array.from(t.tHead.rows[0].cells).map((c) => c.textContent)} : false;
})()`

// civicoPointJS finds a lon/lat (format arguments) on the screen, and the
// civic numbers drawn there.
const civicoPointJS = `(() => {
	const m = window.atlanteMap;
	const p = m.project([%g, %g]);
	const r = m.getCanvas().getBoundingClientRect();
	const hit = m.queryRenderedFeatures(p, {layers: ['civici-points']}).map((f) => String(f.id));
	return {x: r.left + p.x, y: r.top + p.y, hit};
})()`

// scenariosJS counts the scenarios drawn.
const scenariosJS = `new Set(window.atlanteMap.queryRenderedFeatures({layers: ['scenarios-fill']}).map((f) => f.id)).size`

type topPoint struct {
	X, Y float64
	ID   string // the feature's id
}

// findTop finds a point of the map, clear of the panels, where the topmost
// feature of a collection passes pred, a JS function.
func findTop(ctx context.Context, t *testing.T, pred string) topPoint {
	t.Helper()
	return eval[topPoint](ctx, t, `((pred) => {
		const m = window.atlanteMap;
		const r = m.getCanvas().getBoundingClientRect();
		const panel = document.getElementById('panel').getBoundingClientRect();
		for (let y = 60; y < r.height - 60; y += 10) {
			for (let x = panel.right - r.left + 20; x < r.width - 80; x += 10) {
				const [f] = m.queryRenderedFeatures([x, y]).filter((f) => f.layer.metadata && f.layer.metadata['atlante:collection']);
				if (f && pred(f)) return {x: r.left + x, y: r.top + y, id: String(f.id)};
			}
		}
		return {x: 0, y: 0, id: ''};
	})(`+pred+`)`)
}

type overlapPoint struct {
	X, Y float64
	N    int // scenarios there
}

// overlapPointJS finds a point, clear of the panels, where the most
// scenarios overlap (and no other feature but the comune and cells).
const overlapPointJS = `(() => {
	const m = window.atlanteMap;
	const r = m.getCanvas().getBoundingClientRect();
	const panel = document.getElementById('panel').getBoundingClientRect();
	let best = {x: 0, y: 0, n: 0};
	for (let y = 80; y < r.height - 80; y += 12) {
		for (let x = panel.right - r.left + 30; x < r.width - 100; x += 12) {
			const ids = new Set(m.queryRenderedFeatures([[x - 6, y - 6], [x + 6, y + 6]], {layers: ['scenarios-fill']}).map((f) => f.id));
			if (ids.size > best.n) best = {x: r.left + x, y: r.top + y, n: ids.size};
		}
	}
	return best;
})()`

type pickState struct {
	Title    string         `json:"title"`
	Items    int            `json:"items"`
	Headings []string       `json:"headings"`
	Groups   map[string]int `json:"groups"` // items by collection
}

const pickJS = `(() => {
	const p = document.querySelector('.maplibregl-popup .pick-list');
	if (!p) return false;
	const groups = {};
	for (const s of p.querySelectorAll('section[data-collection]')) groups[s.dataset.collection] = s.querySelectorAll('.pick-item').length;
	return {title: p.querySelector('h2').textContent, items: p.querySelectorAll('.pick-item').length,
		headings: Array.from(p.querySelectorAll('h3')).map((h) => h.textContent), groups};
})()`

type exposureState struct {
	Scenario  string `json:"scenario"`
	Civici    string `json:"civici"`
	Bars      int    `json:"bars"`
	Buildings int    `json:"buildings"`
	Inside    int    `json:"inside"`
	Nearest   int    `json:"nearest"`
	Compare   string `json:"compare"`
	Focus     string `json:"focus"`
	Popups    int    `json:"popups"`
}

// exposureJS reads the exposure in the panel once it is loaded.
const exposureJS = `(() => {
	const p = document.getElementById('stats');
	const x = p.querySelector('.exposure');
	if (p.hidden || p.getAttribute('aria-busy') || !x) return false;
	return {
		scenario: x.dataset.scenarioId,
		civici: x.querySelector('[data-civici]').dataset.civici,
		bars: x.querySelectorAll('svg.chart rect[fill]').length,
		buildings: x.querySelectorAll('.exposure-buildings li').length,
		inside: x.querySelectorAll('.exposure-inside li').length,
		nearest: x.querySelectorAll('table.exposure-areas tbody tr').length,
		compare: x.querySelector('.exposure-compare').textContent,
		focus: document.activeElement.id,
		popups: document.querySelectorAll('.maplibregl-popup').length,
	};
})()`

type planState struct {
	Title    string `json:"title"`
	Text     string `json:"text"`
	Datetime string `json:"datetime"`
}

type communityRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type eligibilityState struct {
	Title    string   `json:"title"`
	Eligible string   `json:"eligible"`
	Verdict  string   `json:"verdict"`
	Reasons  []string `json:"reasons"`
	Text     string   `json:"text"`
}

// eligibilityJS reads the eligibility in a popup of the given class (format argument).
const eligibilityJS = `(() => {
	const p = document.querySelector('.maplibregl-popup .%s');
	const e = p && p.querySelector('.eligibility');
	return e ? {
		title: p.querySelector('h2').textContent,
		eligible: e.dataset.eligible,
		verdict: e.querySelector('.verdict').textContent,
		reasons: Array.from(e.querySelectorAll('[data-reason]')).map((r) => r.dataset.reason),
		text: e.textContent,
	} : false;
})()`

type zoneState struct {
	Code        string   `json:"code"`
	Heading     string   `json:"heading"`
	Communities []string `json:"communities"`
	Pressed     string   `json:"pressed"`
}

type zonesState struct {
	Colours     map[string]string `json:"colours"`  // fill colour by zone code
	Swatches    map[string]string `json:"swatches"` // legend colour by zone code
	Legend      []string          `json:"legend"`
	Labels      []string          `json:"labels"`
	FillOrder   int               `json:"fillOrder"`
	CiviciOrder int               `json:"civiciOrder"`
}

// zonesJS reads the zones' colours from the fill's match expression, the
// legend, the labels placed, and where the fill is in the drawing order.
const zonesJS = `(() => {
	const m = window.atlanteMap;
	const fill = m.getPaintProperty('energy-zones-fill', 'fill-color');
	if (!Array.isArray(fill) || fill[0] !== 'match') return false;
	const colours = {};
	for (let i = 2; i + 1 < fill.length; i += 2) colours[fill[i]] = fill[i + 1];
	const items = Array.from(document.querySelectorAll('li[data-layer-id=energy-zones] .legend li[data-zone]'));
	if (items.length === 0) return false;
	const swatches = {};
	for (const li of items) swatches[li.dataset.zone] = li.querySelector('.swatch').style.getPropertyValue('--swatch');
	const order = m.getStyle().layers.map((l) => l.id);
	return {colours, swatches, legend: items.map((li) => li.dataset.zone),
		labels: m.queryRenderedFeatures({layers: ['energy-zones-label']}).map((f) => f.properties.code),
		fillOrder: order.indexOf('energy-zones-fill'), civiciOrder: order.indexOf('civici-cells')};
})()`

// choroplethJS counts the comuni the choropleth draws.
const choroplethJS = `new Set(window.atlanteMap.queryRenderedFeatures({layers: ['coverage-comuni-fill']}).map((f) => f.properties.istat_code)).size`

type cellPoint struct {
	X, Y float64
	N    int
}

// cellPointJS finds a group of civic numbers (a cell of the civici tiles)
// of %d to %d civic numbers, clear of the layer panel, with no other civic
// number or group at its centre.
const cellPointJS = `(() => {
	const m = window.atlanteMap;
	const r = m.getCanvas().getBoundingClientRect();
	const panel = document.getElementById('panel').getBoundingClientRect();
	for (const f of m.queryRenderedFeatures({layers: ['civici-cells']})) {
		const n = f.properties.n;
		if (n < %d || n > %d) continue;
		const p = m.project(f.geometry.coordinates);
		if (p.x < panel.right - r.left + 20 || p.x > r.width - 80 || p.y < 40 || p.y > r.height - 40) continue;
		// The click takes the nearest point within a few pixels: this one.
		const near = m.queryRenderedFeatures([[p.x - 2, p.y - 2], [p.x + 2, p.y + 2]], {layers: ['civici-cells', 'civici-points']});
		if (near.length === 1) return {x: r.left + p.x, y: r.top + p.y, n};
	}
	return {x: 0, y: 0, n: 0};
})()`

type cellState struct {
	N         int  `json:"n"`
	Addresses int  `json:"addresses"`
	Zoom      bool `json:"zoom"`
}

const cellJS = `(() => {
	const p = document.querySelector('.maplibregl-popup-content .cell-popup');
	if (!p || p.querySelector('.hint')) return false;
	return {n: Number(p.querySelector('h2').textContent.replace(/\D/g, '')),
		addresses: p.querySelectorAll('.cell-addresses li').length, zoom: !!p.querySelector('.cell-zoom')};
})()`

type statsState struct {
	Title  string `json:"title"`
	Civici string `json:"civici"`
	Charts int    `json:"charts"`
	Bars   int    `json:"bars"`
	CSV    bool   `json:"csv"`
	Comuni int    `json:"comuni"` // rows of the per-comune table
	Popups int    `json:"popups"`
}

// statsJS reads the statistics panel, or is false while it is hidden or busy.
const statsJS = `(() => {
	const p = document.getElementById('stats');
	if (p.hidden || p.getAttribute('aria-busy')) return false;
	const c = p.querySelector('[data-civici]');
	return {
		title: document.getElementById('stats-title').textContent,
		civici: c ? c.dataset.civici : '',
		charts: p.querySelectorAll('svg.chart').length,
		bars: p.querySelectorAll('svg.chart rect[fill]').length,
		csv: !!p.querySelector('.stats-actions .button'),
		comuni: p.querySelectorAll('table.stats-comuni tbody tr').length,
		popups: document.querySelectorAll('.maplibregl-popup').length,
	};
})()`

type langState struct {
	Lang        string `json:"lang"`
	Panel       string `json:"panel"`
	Placeholder string `json:"placeholder"`
	Pressed     string `json:"pressed"`
}

const langJS = `({
	lang: document.documentElement.lang,
	panel: document.getElementById('panel-toggle').textContent,
	placeholder: document.getElementById('search').placeholder,
	pressed: document.querySelector('.lang-switch [aria-pressed=true]')?.dataset.lang ?? '',
})`

// leakJS lists the visible texts of the page (format arguments: its
// language, the other language, and a JSON list of more texts that must
// not show) that are texts of the other language only, or raw keys.
const leakJS = `(async (mine, other, banned) => {
	const { messages } = await import('/viewer/js/messages.js');
	const forms = (x) => (typeof x === 'string' ? [x] : Object.values(x));
	const esc = (s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
	// A text of the other language that is also a text of this one (Area,
	// Comune, Demo) is no leak.
	const own = new Set(Object.values(messages).flatMap((v) => forms(v[mine])));
	const patterns = [];
	for (const v of Object.values(messages)) {
		for (const s of forms(v[other])) {
			if (own.has(s) || s.replace(/\{\w+\}/g, '').trim().length < 4) continue;
			patterns.push(new RegExp('^' + s.split(/\{\w+\}/).map(esc).join('.*') + '$'));
		}
	}
	for (const s of banned) patterns.push(new RegExp('^' + esc(s) + '$'));
	const texts = [];
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	while (walker.nextNode()) {
		const n = walker.currentNode;
		const e = n.parentElement;
		const s = n.textContent.trim();
		if (!s || !e || e.closest('noscript, script, style, .rule-source') || !e.checkVisibility()) continue;
		texts.push(s);
	}
	for (const e of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
		if (!e.checkVisibility()) continue;
		for (const a of ['title', 'aria-label', 'placeholder']) if (e.getAttribute(a)) texts.push(e.getAttribute(a).trim());
	}
	const leaks = new Set();
	for (const s of texts) {
		if (messages[s]) leaks.add('key: ' + s);
		else if (patterns.some((r) => r.test(s))) leaks.add(s);
	}
	return [...leaks];
})(%q, %q, %s)`

type phoneState struct {
	Overflow          int      `json:"overflow"`
	MapShare          float64  `json:"mapShare"`
	Header            float64  `json:"header"`
	Outside           []string `json:"outside"`
	PanelShown        bool     `json:"panelShown"`
	AttributionOpen   bool     `json:"attributionOpen"`
	AttributionHeight float64  `json:"attributionHeight"`
}

// phoneJS measures the phone layout: overflow, the map's share of the
// screen, the controls that do not fit or are too small to touch.
const phoneJS = `(() => {
	const W = innerWidth, H = innerHeight;
	const overflow = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - W;
	const map = document.getElementById('map').getBoundingClientRect();
	const visible = Math.max(0, Math.min(map.right, W) - Math.max(map.left, 0)) * Math.max(0, Math.min(map.bottom, H) - Math.max(map.top, 0));
	const outside = [];
	for (const sel of ['#search', '#menu-toggle', '#tool-draw', '#tool-pick', '#tool-zone', '.lang-switch [data-lang=it]', '.lang-switch [data-lang=en]', '.maplibregl-ctrl-zoom-in', '.atlante-attrib summary']) {
		const e = document.querySelector(sel);
		if (!e) { outside.push(sel + ' missing'); continue; }
		const r = e.getBoundingClientRect();
		if (r.width === 0 || r.left < 0 || r.right > W + 0.5 || r.bottom > H + 0.5 || r.top < 0) outside.push(sel + ' ' + JSON.stringify(r));
		else if (r.height < 28 || r.width < 28) outside.push(sel + ' too small to touch: ' + Math.round(r.width) + '×' + Math.round(r.height));
	}
	const panel = document.getElementById('panel');
	const a = document.querySelector('.atlante-attrib');
	return {overflow, mapShare: visible / (W * H), header: document.querySelector('.bar').getBoundingClientRect().height, outside,
		panelShown: panel.checkVisibility(), attributionOpen: a.querySelector('details').open, attributionHeight: a.getBoundingClientRect().height};
})()`

type drawerState struct {
	Open     bool    `json:"open"`
	Left     float64 `json:"left"`
	Right    float64 `json:"right"`
	Height   float64 `json:"height"`
	Backdrop bool    `json:"backdrop"`
}

const drawerJS = `(() => {
	const p = document.getElementById('panel');
	const r = p.getBoundingClientRect();
	return {open: p.checkVisibility() && r.width > 0, left: r.left, right: r.right, height: r.height,
		backdrop: document.getElementById('backdrop').checkVisibility()};
})()`

type fitState struct {
	Left    float64  `json:"left"`
	Right   float64  `json:"right"`
	Bottom  float64  `json:"bottom"`
	Outside []string `json:"outside"`
}

// popupFitJS checks that the open popup and everything in it fit a screen
// %d px wide.
const popupFitJS = `(() => {
	const W = %d;
	const p = document.querySelector('.maplibregl-popup');
	const c = p.querySelector('.maplibregl-popup-content');
	const r = p.getBoundingClientRect();
	const outside = [];
	if (c.scrollWidth > c.clientWidth + 1) outside.push('content scrolls sideways: ' + c.scrollWidth + ' > ' + c.clientWidth);
	for (const e of c.querySelectorAll('th, td, h2, p, button')) {
		if (!e.checkVisibility()) continue;
		const q = e.getBoundingClientRect();
		if (q.right > W + 0.5 || q.left < -0.5) outside.push(e.tagName + ' ' + e.textContent.slice(0, 30) + ' ' + Math.round(q.left) + '–' + Math.round(q.right));
	}
	return {left: r.left, right: r.right, bottom: r.bottom, outside};
})()`

type basemapState struct {
	Shown   bool     `json:"shown"`
	Checked bool     `json:"checked"`
	Layer   bool     `json:"layer"`
	Below   bool     `json:"below"` // under every data layer
	Note    string   `json:"note"`
	Credits []string `json:"credits"`
}

const basemapJS = `(() => {
	const m = window.atlanteMap;
	const box = document.getElementById('basemap');
	const toggle = document.getElementById('basemap-toggle');
	const note = document.getElementById('basemap-note');
	const ids = m.getStyle().layers.map((l) => l.id);
	return {shown: !box.hidden, checked: toggle.checked, layer: !!m.getLayer('basemap'),
		below: ids.indexOf('basemap') === 1, note: note.hidden ? '' : note.textContent,
		credits: Array.from(document.querySelectorAll('.atlante-attrib li')).map((li) => li.textContent)};
})()`

type listState struct {
	Shown    bool   `json:"shown"`
	MapShown bool   `json:"mapShown"`
	Message  string `json:"message"`
	Comuni   int    `json:"comuni"`
}

const listViewJS = `(() => {
	const l = document.getElementById('listview');
	return {shown: l.checkVisibility(), mapShown: document.getElementById('map').checkVisibility(),
		message: l.querySelector('.note').textContent, comuni: document.getElementById('listview-comune').options.length - 1};
})()`

// project returns where a lon/lat is on the screen.
func project(ctx context.Context, t *testing.T, c [2]float64) screenPoint {
	t.Helper()
	return eval[screenPoint](ctx, t, fmt.Sprintf(civicoPointJS, c[0], c[1]))
}

// drawPolygon draws an area with the draw tool, clicking its corners, and
// finishes it with the tool's Finish button, a double click on the last
// corner, or Enter.
func drawPolygon(ctx context.Context, t *testing.T, corners [][2]float64, finish string) {
	t.Helper()
	do(ctx, t, chromedp.Click(chromedp.ID("tool-draw")))
	for _, c := range corners {
		p := project(ctx, t, c)
		do(ctx, t, chromedp.MouseClickXY(p.X, p.Y))
	}
	switch finish {
	case "button":
		do(ctx, t, chromedp.Click(chromedp.CSS("#tool-hint .tool-finish")))
	case "double click":
		p := project(ctx, t, corners[len(corners)-1])
		do(ctx, t, chromedp.MouseClickXY(p.X, p.Y, chromedp.ClickCount(2)))
	default:
		do(ctx, t, chromedp.KeyEvent(kb.Enter))
	}
}

// cremaBound is the bounding box of Crema's boundary.
func cremaBound(t *testing.T, base string) orb.Bound {
	t.Helper()
	res, err := http.Get(base + "/collections/comuni/items/019035")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	f, err := geojson.UnmarshalFeature(body)
	if err != nil || f.Geometry == nil {
		t.Fatalf("GET /collections/comuni/items/019035: %s: %v", res.Status, err)
	}
	return f.Geometry.Bound()
}

func near(p, q [2]float64, tol float64) bool {
	return math.Abs(p[0]-q[0]) <= tol && math.Abs(p[1]-q[1]) <= tol
}
