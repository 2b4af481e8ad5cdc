package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/testserver"
)

// browserBudget bounds everything TestViewer does in the browser.
const browserBudget = 110 * time.Second

// TestViewer opens the map in headless Chromium over the real server and
// database with the demo loaded, and checks what a person would see: the
// comuni drawn and named, the catalog's layers listed, the demo notice, the
// attribution, a popup for Crema, the basemap refusing politely when
// offline; then fibre coverage: the address search and a civic number's
// offers, the groups of civic numbers, the choropleth, the statistics of a
// drawn area (the same count as the server's for the same polygon), the
// service's reason for a self-intersecting one, and those of a comune; then
// civil protection: scenarios drawn once switched on, a scenario's exposure
// (the server's count), a validated plan's date; energy communities: the
// demo community that breaks both rules, from its footprint and from its
// 1.5 MW plant, and "Which zone?" on Crema; and no errors on the way but
// the one 422 the bow-tie asks for.
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
		// Every public layer, in the catalog's order within its theme; only
		// the comuni, the civic numbers and the network are on, so that the
		// map stays readable with a dozen layers.
		themes := map[string]string{
			"comuni": "Boundaries",
			"civici": "Fibre coverage", "network": "Fibre coverage", "coverage-comuni": "Fibre coverage",
			"scenarios": "Civil protection", "emergency-areas": "Civil protection",
			"strategic-buildings": "Civil protection", "plan-status": "Civil protection",
			"energy-zones": "Energy communities", "energy-communities": "Energy communities", "energy-sites": "Energy communities",
		}
		order := []string{"Boundaries", "Fibre coverage", "Civil protection", "Energy communities", "Other layers"}
		var want []listedLayer
		for _, l := range srv.Catalog.Layers() {
			if l.Access != catalog.Public {
				continue
			}
			theme, ok := themes[l.ID]
			if !ok {
				theme = "Other layers"
			}
			on := l.ID == "comuni" || l.ID == "civici" || l.ID == "network"
			want = append(want, listedLayer{ID: l.ID, Title: l.Title, Checked: on, Theme: theme, Legend: l.ID != "comuni"})
		}
		slices.SortStableFunc(want, func(a, b listedLayer) int {
			return slices.Index(order, a.Theme) - slices.Index(order, b.Theme)
		})
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
		// The civic numbers and the network, on at first, may cover the
		// centre (real boundaries put Bagnolo's streets there): the comune
		// is the one feature left under it while they are off.
		const toggleCoverage = `for (const id of ['civici', 'network']) document.getElementById('layer-' + id).click()`
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](toggleCoverage)); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](toggleCoverage)); err != nil {
				t.Fatal(err)
			}
		}()
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

	// The coverage domain: search, civic numbers, choropleth, statistics.
	home, err := chromedp.Run(ctx, chromedp.Evaluate[camera](cameraJS))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("search suggests addresses from the server", func(t *testing.T) {
		var want searchAnswer
		getJSON(t, srv.URL+"/coverage/search?"+url.Values{"q": {"via roma"}, "limit": {"8"}}.Encode(), &want)
		if len(want.Results) == 0 {
			t.Fatal(`the server finds nothing for "via roma": is the coverage demo loaded?`)
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("search"), "via roma")); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[comboboxState](`(`+comboboxJS+`).options.length > 0 && `+comboboxJS,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			t.Fatalf("no suggestions for %q: %v", "via roma", err)
		}
		var labels []string
		for _, r := range want.Results {
			labels = append(labels, r.Label)
		}
		if !slices.Equal(got.Options, labels) || got.Expanded != "true" || got.Role != "combobox" {
			t.Errorf("suggestions %q (aria-expanded %s, role %s), want the server's %q, expanded, in a combobox", got.Options, got.Expanded, got.Role, labels)
		}
	})

	t.Run("choosing a street fits its extent", func(t *testing.T) {
		var found struct {
			Results []struct {
				Kind  string     `json:"kind"`
				Label string     `json:"label"`
				BBox  [4]float64 `json:"bbox"`
			} `json:"results"`
		}
		getJSON(t, srv.URL+"/coverage/search?"+url.Values{"q": {"via roma"}, "limit": {"8"}}.Encode(), &found)
		if len(found.Results) == 0 || found.Results[0].Kind != "street" || found.Results[0].BBox == [4]float64{} {
			t.Fatalf(`the server's first suggestion for "via roma" is not a street with a bbox: %+v`, found.Results)
		}
		// The list of the previous test is open: the first suggestion, with the keyboard.
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		b := found.Results[0].BBox
		got, err := chromedp.Run(ctx, chromedp.Poll[[]float64](fmt.Sprintf(`(() => {
			const m = window.atlanteMap;
			if (m.isMoving() || m.getZoom() < 14) return false;
			const b = m.getBounds();
			return b.getWest() <= %[1]g && b.getSouth() <= %[2]g && b.getEast() >= %[3]g && b.getNorth() >= %[4]g
				&& [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), m.getZoom()];
		})()`, b[0], b[1], b[2], b[3]), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(8*time.Second)))
		if err != nil {
			t.Fatalf("after choosing %q the map does not show its extent %v: %v", found.Results[0].Label, b, err)
		}
		// Fitted, not just centred: the extent fills most of the view's
		// width or height (the view has padding for the layer panel).
		if fill := max((b[2]-b[0])/(got[2]-got[0]), (b[3]-b[1])/(got[3]-got[1])); fill < 0.7 {
			t.Errorf("the street's extent %v fills %.0f %% of the view %v, want it fitted", b, 100*fill, got[:4])
		}
	})

	var civico civicoAnswer
	t.Run("choosing a civic number shows its offers", func(t *testing.T) {
		const query, label = "via roma 1, crema", "Via Roma 1, Crema"
		var found searchAnswer
		getJSON(t, srv.URL+"/coverage/search?"+url.Values{"q": {query}, "limit": {"8"}}.Encode(), &found)
		i := slices.IndexFunc(found.Results, func(r searchResult) bool { return r.Label == label && r.Kind == "civico" })
		if i < 0 {
			t.Fatalf("the server does not suggest %q for %q: %+v", label, query, found.Results)
		}
		getJSON(t, fmt.Sprintf("%s/coverage/civici/%d", srv.URL, found.Results[i].ID), &civico)

		if err := chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`),
			chromedp.SendKeys(chromedp.ID("search"), query),
		); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[comboboxState](`(() => { const s = `+comboboxJS+`; return s.options.includes(`+jsString(label)+`) && s; })()`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			t.Fatalf("%q is not suggested for %q: %v", label, query, err)
		}
		// Down to the suggestion with the keyboard, then Enter.
		for range slices.Index(got.Options, label) + 1 {
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown)); err != nil {
				t.Fatal(err)
			}
		}
		got, err = chromedp.Run(ctx, chromedp.Evaluate[comboboxState](comboboxJS))
		if err != nil {
			t.Fatal(err)
		}
		if got.Active != label {
			t.Fatalf("after the arrow keys the active option (aria-activedescendant) is %q, want %q", got.Active, label)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		p, err := chromedp.Run(ctx, chromedp.Poll[offersPopup](offersPopupJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("no popup with an offers table after choosing %q: %v", label, err)
		}
		if p.Title != label || p.Rows != len(civico.Offers) {
			t.Errorf("popup %q with %d offers, want %q with the server's %d", p.Title, p.Rows, label, len(civico.Offers))
		}
		if got, err := chromedp.Run(ctx, chromedp.Evaluate[comboboxState](comboboxJS)); err != nil || got.Expanded != "false" {
			t.Errorf("after choosing, aria-expanded = %q (err %v), want false", got.Expanded, err)
		}
	})

	waitIdle(ctx, t)
	saveScreenshot(ctx, t, "viewer-search.png")

	t.Run("click on a civic number shows its offers", func(t *testing.T) {
		if civico.ID == 0 {
			t.Skip("no civic number was found by the search")
		}
		p, err := chromedp.Run(ctx, chromedp.Evaluate[screenPoint](fmt.Sprintf(civicoPointJS, civico.Lon, civico.Lat)))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`document.querySelector('.maplibregl-popup-close-button')?.click()`),
			chromedp.MouseClickXY(p.X, p.Y),
		); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[offersPopup](offersPopupJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("no popup with offers after a click on civic number %d at (%.0f, %.0f), which hits %v: %v", civico.ID, p.X, p.Y, p.Hit, err)
		}
		if want := "Via Roma 1, Crema"; got.Title != want || got.Rows != len(civico.Offers) {
			t.Errorf("popup %q with %d offers, want %q with %d", got.Title, got.Rows, want, len(civico.Offers))
		}
	})

	t.Run("click on a group of civic numbers shows its counts", func(t *testing.T) {
		if err := chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`document.querySelector('.maplibregl-popup-close-button')?.click()`),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.atlanteMap.jumpTo({center: [%g, %g], zoom: %g})`, home.Lon, home.Lat, home.Zoom)),
		); err != nil {
			t.Fatal(err)
		}
		waitIdle(ctx, t)
		c, err := chromedp.Run(ctx, chromedp.Evaluate[cellPoint](cellPointJS))
		if err != nil || c.N == 0 {
			t.Fatalf("no group of civic numbers on top anywhere on the map (err %v)", err)
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(c.X, c.Y)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
			const p = document.querySelector('.maplibregl-popup-content .cell-popup');
			return p ? p.querySelector('h2').textContent + ' | ' + p.querySelector('button').textContent : false;
		})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			t.Fatalf("no popup after a click on a group of %d civic numbers: %v", c.N, err)
		}
		if !strings.HasPrefix(strings.ReplaceAll(got, ",", ""), fmt.Sprintf("%d civic number", c.N)) || !strings.Contains(got, "Zoom in") {
			t.Errorf("popup %q, want the group's %d civic numbers and a button to zoom in", got, c.N)
		}
	})

	t.Run("choropleth toggle", func(t *testing.T) {
		if err := chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`document.querySelector('.maplibregl-popup-close-button')?.click()`),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.atlanteMap.jumpTo({center: [%g, %g], zoom: %g})`, home.Lon, home.Lat, home.Zoom)),
		); err != nil {
			t.Fatal(err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](choroplethJS))
		if err != nil || n != 0 {
			t.Fatalf("before the toggle, %d choropleth features are drawn (err %v), want none: it is off by default", n, err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("layer-coverage-comuni"))); err != nil {
			t.Fatal(err)
		}
		n, err = chromedp.Run(ctx, chromedp.Poll[int](`(`+choroplethJS+`) >= 40 && `+choroplethJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("the choropleth draws no comuni after the toggle: %v", err)
		}
		waitIdle(ctx, t)
		saveScreenshot(ctx, t, "viewer-choropleth.png")
		paint, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const s = document.getElementById('choropleth-metric');
			s.value = 'pct_100';
			s.dispatchEvent(new Event('change'));
			return JSON.stringify(window.atlanteMap.getPaintProperty('coverage-comuni-fill', 'fill-color'));
		})()`))
		if err != nil || !strings.Contains(paint, "pct_100") {
			t.Errorf("after choosing ≥ 100 Mbit/s the fill colour is %s (err %v), want it from pct_100", paint, err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("layer-coverage-comuni"))); err != nil {
			t.Fatal(err)
		}
	})

	// The drawing tests work on a view of Crema, clear of the layer panel.
	crema := cremaBound(t, srv.URL)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`void window.atlanteMap.fitBounds([[%g, %g], [%g, %g]], {padding: {top: 90, bottom: 60, left: 320, right: 420}, animate: false})`,
		crema.Min[0], crema.Min[1], crema.Max[0], crema.Max[1]))); err != nil {
		t.Fatal(err)
	}
	waitIdle(ctx, t)
	w, s, e, n := crema.Min[0], crema.Min[1], crema.Max[0], crema.Max[1]
	mid := (s + n) / 2

	t.Run("statistics of a drawn area", func(t *testing.T) {
		// A pentagon around Crema, finished with Enter.
		corners := [][2]float64{{w, s}, {e, s}, {e + (e-w)/6, mid}, {e, n}, {w, n}}
		drawPolygon(ctx, t, corners, false)
		got, err := chromedp.Run(ctx, chromedp.Poll[statsState](statsJS+` && (`+statsJS+`).civici !== '' && `+statsJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
		if err != nil {
			t.Fatalf("no statistics after drawing an area: %v", err)
		}
		body := proxy.lastBody("/coverage/stats")
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
		// The same polygon, asked by the test itself.
		res, err := http.Post(srv.URL+"/coverage/stats", "application/geo+json", bytes.NewReader(body))
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
		// The CSV comes from the server: the area is posted again.
		before := proxy.served("/coverage/stats")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#stats .stats-actions .button"))); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.querySelector('#stats .stats-actions .button').disabled`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatal(err)
		}
		if n := proxy.served("/coverage/stats"); n != before+1 || !bytes.Equal(proxy.lastBody("/coverage/stats"), body) {
			t.Errorf("Download CSV posted %d areas to /coverage/stats (same polygon: %v), want the drawn one once", n-before, bytes.Equal(proxy.lastBody("/coverage/stats"), body))
		}
	})

	saveScreenshot(ctx, t, "viewer-stats.png")

	t.Run("a bow-tie area shows the service's reason", func(t *testing.T) {
		proxy.expect(http.StatusUnprocessableEntity, "/coverage/stats")
		pl.expect("status of 422", "/coverage/stats")
		// Its edges cross; finished with a double click on the last corner.
		drawPolygon(ctx, t, [][2]float64{{w, s}, {e, n}, {e, s}, {w, n}}, true)
		text, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const p = document.querySelector('#stats [role=alert]'); return p ? p.innerText : false; })()`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("no problem shown for a self-intersecting area: %v", err)
		}
		if !strings.Contains(text, "self-intersection") || !strings.Contains(text, "cannot be counted") {
			t.Errorf("problem shown %q, want the 422's detail naming the self-intersection", text)
		}
	})

	saveScreenshot(ctx, t, "viewer-stats-422.png")

	t.Run("Escape cancels a drawing", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#stats .close"))); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tool-draw"))); err != nil {
			t.Fatal(err)
		}
		for _, c := range [][2]float64{{w, s}, {e, n}} {
			p := project(ctx, t, c)
			if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
				t.Fatal(err)
			}
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
			const m = window.atlanteMap;
			const drawn = m.queryRenderedFeatures({layers: ['atlante-draw-fill', 'atlante-draw-line', 'atlante-draw-corner']}).length;
			const b = document.getElementById('tool-draw');
			return drawn === 0 && !m.isMoving() ? b.getAttribute('aria-pressed') + ' ' + document.getElementById('tool-hint').hidden : false;
		})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil || got != "false true" {
			t.Errorf("after Escape: draw button pressed and hint hidden = %q (err %v), want %q and nothing drawn", got, err, "false true")
		}
	})

	t.Run("statistics of the comune under the cursor", func(t *testing.T) {
		var want struct {
			Civici int `json:"civici"`
		}
		getJSON(t, srv.URL+"/coverage/stats?comune=019035", &want)
		p, err := chromedp.Run(ctx, chromedp.Evaluate[screenPoint](cremaPointJS))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tool-pick")), chromedp.MouseClickXY(p.X, p.Y)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[statsState](statsJS+` && (`+statsJS+`).civici !== '' && `+statsJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("no statistics after clicking Crema in comune mode: %v", err)
		}
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
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("layer-"+id))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := chromedp.Do(ctx, closeAll); err != nil {
		t.Fatal(err)
	}

	t.Run("scenarios drawn once switched on", func(t *testing.T) {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](scenariosJS))
		if err != nil || n != 0 {
			t.Fatalf("before the toggle, %d scenarios are drawn (err %v), want none: they are off by default", n, err)
		}
		toggle(t, "scenarios")
		n, err = chromedp.Run(ctx, chromedp.Poll[int](`(`+scenariosJS+`) > 0 && `+scenariosJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("no scenario is drawn after the toggle: %v", err)
		}
		legend, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('li[data-layer-id=scenarios] .legend:not([hidden]) li').length`))
		if err != nil || legend < 10 {
			t.Errorf("the scenarios' legend shows %d lines (err %v), want the 10 hazards and more", legend, err)
		}
	})

	t.Run("exposure of a scenario is the server's", func(t *testing.T) {
		waitIdle(ctx, t)
		p := findTop(ctx, t, `(f) => f.layer.id === 'scenarios-fill' && f.properties.severity >= 3`)
		if p.ID == "" {
			t.Fatal("no flood scenario drawn on top anywhere around Crema")
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.maplibregl-popup .scenario-popup .exposure-button')`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatalf("no scenario popup with an Exposure button after a click on scenario %s: %v", p.ID, err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".maplibregl-popup .exposure-button"))); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[exposureState](exposureJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("no exposure in the panel for scenario %s: %v\n%s", p.ID, err, pl.report())
		}
		var want struct {
			Civici struct {
				Count    int               `json:"count"`
				ByStreet []json.RawMessage `json:"by_street"`
			} `json:"civici"`
			Buildings []json.RawMessage `json:"strategic_buildings"`
			Inside    []json.RawMessage `json:"emergency_areas_inside"`
			Nearest   []json.RawMessage `json:"nearest_usable_areas"`
		}
		getJSON(t, srv.URL+"/civil-protection/scenarios/"+p.ID+"/exposure", &want)
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
		if got.Bars == 0 || !strings.Contains(got.Compare, "addresses") || !strings.Contains(got.Compare, "persons") {
			t.Errorf("the panel has %d street bars and compares %q; want a chart and addresses beside persons", got.Bars, got.Compare)
		}
		if got.Focus != "stats-title" || got.Popups != 0 {
			t.Errorf("after Exposure: focus on %q, %d popups; want the focus on the panel and the popup closed", got.Focus, got.Popups)
		}
		// The map shows the scenario and the areas the panel lists.
		hl, err := chromedp.Run(ctx, chromedp.Poll[int](`(() => { const m = window.atlanteMap;
			return !m.isMoving() && m.getLayer('atlante-exposure-marker') && m.queryRenderedFeatures({layers: ['atlante-exposure-scenario', 'atlante-exposure-marker']}).length; })()`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil || hl == 0 {
			t.Errorf("the exposure is not highlighted on the map (%d features drawn, err %v)", hl, err)
		}
		waitIdle(ctx, t)
		saveScreenshot(ctx, t, "viewer-exposure.png")
		if err := chromedp.Do(ctx, closeAll); err != nil {
			t.Fatal(err)
		}
		if left, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!window.atlanteMap.getLayer('atlante-exposure-civici')`)); err != nil || left {
			t.Errorf("the exposed civic numbers are still highlighted after closing the panel (err %v)", err)
		}
		toggle(t, "scenarios")
	})

	t.Run("plan status says since when a plan is validated", func(t *testing.T) {
		var plans struct {
			Plans []struct {
				ISTAT       string    `json:"istat_code"`
				Name        string    `json:"name"`
				ValidatedAt time.Time `json:"validated_at"`
			} `json:"plans"`
		}
		getJSON(t, srv.URL+"/civil-protection/plans?status=validated", &plans)
		if len(plans.Plans) == 0 {
			t.Fatal("the demo has no validated plan")
		}
		plan := plans.Plans[0]
		toggle(t, "plan-status")
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.atlanteMap.jumpTo({center: [%g, %g], zoom: %g})`, home.Lon, home.Lat, home.Zoom))); err != nil {
			t.Fatal(err)
		}
		waitIdle(ctx, t)
		p := findTop(ctx, t, fmt.Sprintf(`(f) => f.layer.id === 'plan-status-fill' && f.properties.istat_code === %s`, jsString(plan.ISTAT)))
		if p.ID == "" {
			t.Fatalf("the plan status of %s (%s) is not drawn on top anywhere", plan.Name, plan.ISTAT)
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[planState](`(() => {
			const p = document.querySelector('.maplibregl-popup .plan-popup');
			const time = p && p.querySelector('.plan-validated time');
			return time ? {title: p.querySelector('h2').textContent, text: p.querySelector('.plan-validated').textContent, datetime: time.dateTime} : false;
		})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			t.Fatalf("no plan popup with a validation date after a click on %s: %v", plan.Name, err)
		}
		at, err := time.Parse(time.RFC3339, got.Datetime)
		rome, lerr := time.LoadLocation("Europe/Rome")
		if lerr != nil {
			rome = time.UTC
		}
		day := plan.ValidatedAt.In(rome).Format("2 January 2006")
		if got.Title != plan.Name || err != nil || !at.Equal(plan.ValidatedAt) ||
			!strings.HasPrefix(got.Text, "Validated since "+day) {
			t.Errorf("popup %q says %q (datetime %s); want %s validated since %s (%s)", got.Title, got.Text, got.Datetime, plan.Name, day, plan.ValidatedAt)
		}
		saveScreenshot(ctx, t, "viewer-plan-status.png")
		if err := chromedp.Do(ctx, closeAll); err != nil {
			t.Fatal(err)
		}
		toggle(t, "plan-status")
	})

	t.Run("a community breaking both rules says why", func(t *testing.T) {
		const name = "CER Serio Nord (demo)"
		var list struct {
			Communities []communityRef `json:"communities"`
		}
		getJSON(t, srv.URL+"/energy/communities", &list)
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
		getJSON(t, fmt.Sprintf("%s/energy/communities/%d/eligibility", srv.URL, id), &elig)
		var codes []string
		for _, r := range elig.Reasons {
			codes = append(codes, r.Code)
		}
		slices.Sort(codes)
		if elig.Eligible || !slices.Equal(codes, []string{"plant_over_1mw", "several_zones"}) {
			t.Fatalf("the server says %s is eligible %v for %v: the demo should break both rules", name, elig.Eligible, codes)
		}
		res, err := http.Get(fmt.Sprintf("%s/collections/energy-communities/items/%d", srv.URL, id))
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
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`void window.atlanteMap.fitBounds([[%g, %g], [%g, %g]], {padding: {top: 90, bottom: 60, left: 320, right: 420}, animate: false})`,
			b.Min[0], b.Min[1], b.Max[0], b.Max[1]))); err != nil {
			t.Fatal(err)
		}
		toggle(t, "energy-communities", "energy-sites")
		waitIdle(ctx, t)

		check := func(t *testing.T, what, pred, popup string) {
			t.Helper()
			p := findTop(ctx, t, pred)
			if p.ID == "" {
				t.Fatalf("%s of %s is not drawn on top anywhere", what, name)
			}
			if err := chromedp.Do(ctx, closeAll, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
				t.Fatal(err)
			}
			got, err := chromedp.Run(ctx, chromedp.Poll[eligibilityState](fmt.Sprintf(eligibilityJS, popup),
				chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil {
				t.Fatalf("no eligibility in the popup of %s: %v", what, err)
			}
			slices.Sort(got.Reasons)
			if got.Title == "" || got.Eligible != "false" || !strings.Contains(got.Verdict, "Not eligible") || !slices.Equal(got.Reasons, codes) {
				t.Errorf("popup of %s %q: eligible %s, %q, reasons %v; want not eligible for the server's %v", what, got.Title, got.Eligible, got.Verdict, got.Reasons, codes)
			}
			if !strings.Contains(got.Text, "1 MW") || !strings.Contains(got.Text, "primary substations") {
				t.Errorf("the reasons %q do not name the plant over 1 MW and the substations", got.Text)
			}
		}
		check(t, "the footprint", fmt.Sprintf(`(f) => f.layer.id === 'energy-communities-fill' && f.id === %d`, id), "community-popup")
		saveScreenshot(ctx, t, "viewer-community.png")
		check(t, "the plant over 1 MW", fmt.Sprintf(`(f) => f.layer.id === 'energy-sites-circle' && f.properties.community_id === %d && f.properties.over_1mw === true`, id), "site-popup")
		if err := chromedp.Do(ctx, closeAll); err != nil {
			t.Fatal(err)
		}
		toggle(t, "energy-communities", "energy-sites")
	})

	t.Run("which zone is Crema in", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`void window.atlanteMap.fitBounds([[%g, %g], [%g, %g]], {padding: {top: 90, bottom: 60, left: 320, right: 420}, animate: false})`,
			w, s, e, n))); err != nil {
			t.Fatal(err)
		}
		waitIdle(ctx, t)
		p, err := chromedp.Run(ctx, chromedp.Evaluate[screenPoint](cremaPointJS))
		if err != nil || !slices.Contains(p.Hit, "019035") {
			t.Fatalf("Crema's label point hits %v (err %v)", p.Hit, err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tool-zone"))); err != nil {
			t.Fatal(err)
		}
		on, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('tool-zone').getAttribute('aria-pressed') + ' ' + document.getElementById('layer-energy-zones').checked`))
		if err != nil || on != "true true" {
			t.Errorf("after the tool's button: pressed, zones shown = %q (err %v), want %q", on, err, "true true")
		}
		waitIdle(ctx, t)
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Poll[zoneState](`(() => {
			const p = document.querySelector('.maplibregl-popup .zone-popup[data-zone-code]');
			return p ? {code: p.dataset.zoneCode, heading: p.querySelector('h2').textContent,
				communities: Array.from(p.querySelectorAll('tr[data-community]')).map((r) => r.dataset.community),
				pressed: document.getElementById('tool-zone').getAttribute('aria-pressed')} : false;
		})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			t.Fatalf("no zone popup after a click on Crema with Which zone?: %v\n%s", err, pl.report())
		}
		q := proxy.lastQuery("/energy/zones/at")
		var want struct {
			Lon, Lat float64
			Zone     struct {
				Code string `json:"code"`
			} `json:"zone"`
			Comune struct {
				ISTAT string `json:"istat_code"`
			} `json:"comune"`
			Communities []struct {
				ID int64 `json:"id"`
			} `json:"communities"`
		}
		getJSON(t, srv.URL+"/energy/zones/at?"+q, &want)
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

		// With the keyboard: the tool, then Enter on the map for its centre;
		// Enter again on the popup's close button gives the focus back.
		if err := chromedp.Do(ctx, closeAll, chromedp.Click(chromedp.ID("tool-zone")),
			chromedp.Focus(chromedp.CSS("canvas.maplibregl-canvas")), chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		kbd, err := chromedp.Run(ctx, chromedp.Poll[keyboardState](`document.querySelector('.zone-popup[data-zone-code]') && `+keyboardJS,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil || kbd.Focus != "maplibregl-popup-close-button" || !strings.HasPrefix(kbd.Title, "Zone ") {
			t.Errorf("after Which zone? and Enter: popup %q, focus on %q (err %v); want a zone, the focus on its close button", kbd.Title, kbd.Focus, err)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		if kbd, err = chromedp.Run(ctx, chromedp.Evaluate[keyboardState](keyboardJS)); err != nil || kbd.Popups != 0 || kbd.Focus != "maplibregl-canvas" {
			t.Errorf("after Enter on the close button: %d popups, focus on %q (err %v); want none, the focus back on the map", kbd.Popups, kbd.Focus, err)
		}
	})

	// The small screen shows the statistics of Crema again, as a bottom sheet.
	if p, err := chromedp.Run(ctx, chromedp.Evaluate[screenPoint](cremaPointJS)); err == nil {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.ID("tool-pick")), chromedp.MouseClickXY(p.X, p.Y))
		if err == nil {
			_, err = chromedp.Run(ctx, chromedp.Poll[statsState](statsJS,
				chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		}
		if err != nil {
			t.Errorf("the statistics of Crema did not open again: %v", err)
		}
	}

	t.Run("small screen", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 760)); err != nil {
			t.Fatal(err)
		}
		waitIdle(ctx, t)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const out = [];
			for (const sel of ['#search', '#tool-draw', '#tool-pick', '#tool-zone', '#stats']) {
				const r = document.querySelector(sel).getBoundingClientRect();
				if (r.width === 0 || r.left < 0 || r.right > window.innerWidth + 0.5 || r.bottom > window.innerHeight + 0.5) out.push(sel + ' ' + JSON.stringify(r));
			}
			return out;
		})()`))
		if err != nil || len(got) > 0 {
			t.Errorf("on a 390 px wide screen these do not fit (err %v): %v", err, got)
		}
		saveScreenshot(ctx, t, "viewer-phone.png")
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
	const idleJS = `(() => { const m = window.atlanteMap; return m.loaded() && m.areTilesLoaded() && !m.isMoving(); })()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](idleJS,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("the map did not settle: %v", err)
	}
}

type searchResult struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
	ID    int64  `json:"id"`
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

type offersPopup struct {
	Title string `json:"title"`
	Rows  int    `json:"rows"`
}

// offersPopupJS reads the open popup once it shows a table of offers.
const offersPopupJS = `(() => {
	const p = document.querySelector('.maplibregl-popup-content');
	const t = p && p.querySelector('table.offers');
	return t ? {title: p.querySelector('h2').textContent, rows: t.tBodies[0].rows.length} : false;
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
// feature of a collection (what a click opens) passes pred, a JS function.
func findTop(ctx context.Context, t *testing.T, pred string) topPoint {
	t.Helper()
	p, err := chromedp.Run(ctx, chromedp.Evaluate[topPoint](`((pred) => {
		const m = window.atlanteMap;
		const r = m.getCanvas().getBoundingClientRect();
		const panel = document.querySelector('.panel').getBoundingClientRect();
		for (let y = 60; y < r.height - 60; y += 10) {
			for (let x = panel.right - r.left + 20; x < r.width - 80; x += 10) {
				const [f] = m.queryRenderedFeatures([x, y]).filter((f) => f.layer.metadata && f.layer.metadata['atlante:collection']);
				if (f && pred(f)) return {x: r.left + x, y: r.top + y, id: String(f.id)};
			}
		}
		return {x: 0, y: 0, id: ''};
	})(`+pred+`)`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

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

// choroplethJS counts the comuni the choropleth draws.
const choroplethJS = `new Set(window.atlanteMap.queryRenderedFeatures({layers: ['coverage-comuni-fill']}).map((f) => f.properties.istat_code)).size`

type cellPoint struct {
	X, Y float64
	N    int
}

// cellPointJS finds a group of civic numbers (a cell of the civici tiles)
// drawn on top of everything else, clear of the layer panel.
const cellPointJS = `(() => {
	const m = window.atlanteMap;
	const r = m.getCanvas().getBoundingClientRect();
	const panel = document.querySelector('.panel').getBoundingClientRect();
	for (const f of m.queryRenderedFeatures({layers: ['civici-cells']})) {
		const p = m.project(f.geometry.coordinates);
		if (p.x < panel.right - r.left + 20 || p.x > r.width - 80 || p.y < 40 || p.y > r.height - 40) continue;
		const [top] = m.queryRenderedFeatures(p);
		if (top && top.layer.id === 'civici-cells' && top.properties.n === f.properties.n && f.properties.n > 1) {
			return {x: r.left + p.x, y: r.top + p.y, n: f.properties.n};
		}
	}
	return {x: 0, y: 0, n: 0};
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

// project returns where a lon/lat is on the screen.
func project(ctx context.Context, t *testing.T, c [2]float64) screenPoint {
	t.Helper()
	p, err := chromedp.Run(ctx, chromedp.Evaluate[screenPoint](fmt.Sprintf(civicoPointJS, c[0], c[1])))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// drawPolygon draws an area with the draw tool, clicking its corners, and
// finishes it with a double click on the last corner or with Enter.
func drawPolygon(ctx context.Context, t *testing.T, corners [][2]float64, doubleClick bool) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tool-draw"))); err != nil {
		t.Fatal(err)
	}
	for _, c := range corners {
		p := project(ctx, t, c)
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
			t.Fatal(err)
		}
	}
	finish := chromedp.KeyEvent(kb.Enter)
	if doubleClick {
		p := project(ctx, t, corners[len(corners)-1])
		finish = chromedp.MouseClickXY(p.X, p.Y, chromedp.ClickCount(2))
	}
	if err := chromedp.Do(ctx, finish); err != nil {
		t.Fatal(err)
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
	ok       map[string]int    // successful responses by path
	bodies   map[string][]byte // the last body posted to each path
	queries  map[string]string // the query of the last request to each path
	expected []expectation     // error answers the test asks for
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
	p := &recordingProxy{ok: map[string]int{}, bodies: map[string][]byte{}, queries: map[string]string{}}
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
		p.mu.Unlock()
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
	expected []expectation
	problems []string
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
		i := slices.IndexFunc(pl.expected, func(x expectation) bool {
			return strings.Contains(e.Text, x.text) && strings.Contains(e.URL, x.path)
		})
		if i >= 0 {
			pl.expected = slices.Delete(pl.expected, i, i+1)
			return
		}
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
