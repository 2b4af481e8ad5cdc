// Package viewer serves Atlante's browser map: an HTML page, small ES
// modules (static/js, no build step), MapLibre GL JS and Terra Draw, all
// embedded in the binary so the map works offline.
//
// MapLibre GL JS comes from the npm registry, pinned by package.json and
// package-lock.json here; `make viewer` copies it into static/vendor, which
// is not in git. The page builds its layers from the catalog (/collections)
// and its vector tiles' TileJSON, so a new layer needs no change here unless
// it wants a style of its own (layerStyles in static/js/styles.js) — and
// its names: every text the page shows comes from one translation table,
// static/js/messages.js (Italian first, English on request; i18n.js), the
// catalog's layers and properties included (properties.js). The tests of
// this package fail on a text that bypasses the table.
//
// The page's parts: the layer panel (panel.js; a drawer on phones), popups
// (popup.js: a list when a click hits several features, grouped by layer),
// the attribution (attribution.js: each layer credited, synthetic ones as
// demo data), the optional basemap of /viewer/config.json (basemap.js),
// the street context (streets.js), the sheet beside the map for views that
// need room (sheet.js: statistics, exposure; the editing screens plug in
// there and in the panel's sections). The coverage tools use the endpoints
// under /coverage: the address search (search.js), civic numbers' offers
// and cells (coverage.js), the choropleth (choropleth.js), the statistics
// of a drawn area or a comune (draw.js, tools.js, stats.js, with bar charts
// as inline SVG in chart.js). Civil protection (civilprotection.js) styles
// the scenarios by hazard and severity, the emergency areas, strategic
// buildings and plan status, and shows a scenario's exposure in the sheet
// (exposure.js); energy communities (energy.js) colour each
// primary-substation zone, show their eligibility in their popups
// (eligibility.js) and "Which zone?" the zone of a point (zones.js).
// Without WebGL the page is a list view (listview.js): search, an
// address's offers, a comune's statistics. Markers and hatches are drawn
// in the browser (images.js), so no sprite is fetched.
//
// Editing, for the people who own the data (editing.js): sign-in with a
// token kept for the tab (session.js, /auth/whoami), features drawn and
// reshaped with Terra Draw (drawing.js; vendored from npm like MapLibre
// and loaded only when someone edits) and edited with forms generated
// from the collections' schemas (schemaform.js, editor.js; the 412
// conflict view, conflict.js, also serves the communities), the plan's
// workflow (planpanel.js), the crisis unit (crisisunit.js), energy
// communities and their sites (communities.js); the service's refusals
// in words for people (problems.js).
//
// Labels need no glyph files: the style has no glyphs URL, so MapLibre draws
// their text with the browser's fonts.
package viewer

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// Handler serves the viewer's files; "/" is the map page. Embedded files
// have no modification time, so each gets an ETag from its content and
// browsers revalidate (RFC 9110 §8.8.3) instead of downloading MapLibre
// again on every visit. Only files are served: a directory or an unknown
// name goes to notFound (http.NotFound when nil), never to a listing.
func Handler(notFound http.Handler) http.Handler {
	if notFound == nil {
		notFound = http.HandlerFunc(http.NotFound)
	}
	sub, _ := fs.Sub(static, "static") // the directory is embedded: cannot fail
	etags := contentETags(sub)
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		etag, ok := etags[name]
		if !ok {
			notFound.ServeHTTP(w, r)
			return
		}
		// http.FileServer answers If-None-Match from this header.
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// contentETags returns a strong ETag for each file, from its SHA-256.
func contentETags(fsys fs.FS) map[string]string {
	etags := map[string]string{}
	// The callback returns no error, so neither does WalkDir: a file that
	// cannot be read gets no ETag and is served as it is.
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := fs.ReadFile(fsys, name); err == nil {
			sum := sha256.Sum256(b)
			etags[name] = `"` + hex.EncodeToString(sum[:8]) + `"`
		}
		return nil
	})
	return etags
}
