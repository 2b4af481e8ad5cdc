package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/testserver"
)

// browserAccept is what Chromium sends when it navigates to a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"

// anchor is an <a> element of a page.
type anchor struct{ Href, Rel, Type, Text string }

var (
	anchorPattern = regexp.MustCompile(`(?s)<a\s([^>]*)>(.*?)</a>`)
	attrPattern   = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
	rowPattern    = regexp.MustCompile(`<tr data-id="([^"]*)">`)
	tagPattern    = regexp.MustCompile(`<[^>]*>`)
	// inlinePattern finds inline scripts and styles: a script element
	// without src, a style element, an event handler or style attribute,
	// a javascript: URL.
	inlinePattern = regexp.MustCompile(`(?i)<script(\s[^>]*)?>[^<]|<style|<[a-z][^>]*\s(on[a-z]+|style)=|javascript:`)
)

// anchors returns the <a> elements of an HTML page, attributes unescaped.
func anchors(body []byte) []anchor {
	var out []anchor
	for _, m := range anchorPattern.FindAllSubmatch(body, -1) {
		a := anchor{Text: strings.TrimSpace(html.UnescapeString(tagPattern.ReplaceAllString(string(m[2]), "")))}
		for _, at := range attrPattern.FindAllSubmatch(m[1], -1) {
			v := html.UnescapeString(string(at[2]))
			switch string(at[1]) {
			case "href":
				a.Href = v
			case "rel":
				a.Rel = v
			case "type":
				a.Type = v
			}
		}
		out = append(out, a)
	}
	return out
}

// anchorRel returns the first anchor with the relation and media type.
func anchorRel(tb testing.TB, page string, as []anchor, rel, mediaType string) anchor {
	tb.Helper()
	for _, a := range as {
		if a.Rel == rel && (mediaType == "" || a.Type == mediaType) {
			return a
		}
	}
	tb.Fatalf("%s: no <a rel=%q type=%q>", page, rel, mediaType)
	return anchor{}
}

// getPage fetches url as a browser and checks what every page carries.
func getPage(tb testing.TB, u string, header ...string) (*http.Response, []byte) {
	tb.Helper()
	res, body := get(tb, u, http.StatusOK, append([]string{"Accept", browserAccept}, header...)...)
	checkMediaType(tb, res, "text/html; charset=utf-8")
	vary := res.Header.Values("Vary")
	if len(vary) != 1 || !strings.Contains(vary[0], "Accept") || !strings.Contains(vary[0], "Accept-Language") {
		tb.Errorf("GET %s: Vary = %q, want one line naming Accept and Accept-Language", u, vary)
	}
	if res.Header.Get("Content-Security-Policy") == "" {
		tb.Errorf("GET %s: a page without Content-Security-Policy", u)
	}
	if !strings.HasPrefix(string(body), "<!doctype html>") {
		tb.Errorf("GET %s: not an HTML 5 document: %.100s", u, body)
	}
	// No inline script or style: the policy would block them.
	if m := inlinePattern.Find(body); m != nil {
		tb.Errorf("GET %s: the page holds %q, which the Content-Security-Policy forbids", u, m)
	}
	return res, body
}

// jsonLinks decodes the links member of a JSON document.
func jsonLinks(tb testing.TB, body []byte) []link {
	tb.Helper()
	var doc struct {
		Links []link `json:"links"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		tb.Fatalf("decode links: %v: %.300s", err, body)
	}
	return doc.Links
}

// TestPages opens every OGC resource as a browser does: a page in
// Italian, linked both ways with its JSON, holding every link of the JSON
// in an <a>.
func TestPages(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection"}})
	requireViewer(t, s)
	resources := []struct {
		name, path, jsonType string
	}{
		{"landing", "/?f=html", "application/json"},
		{"conformance", "/conformance", "application/json"},
		{"api", "/api", "application/vnd.oai.openapi+json;version=3.0"},
		{"collections", "/collections", "application/json"},
		{"collection", "/collections/comuni", "application/json"},
		{"items", "/collections/comuni/items?consortium=true&limit=5&offset=5", "application/geo+json"},
		{"item", "/collections/comuni/items/" + crema, "application/geo+json"},
		{"queryables", "/collections/comuni/queryables", "application/schema+json"},
		{"schema", "/collections/comuni/schema", "application/schema+json"},
		{"tilesets", "/collections/comuni/tiles", "application/json"},
	}
	for _, tt := range resources {
		t.Run(tt.name, func(t *testing.T) {
			_, body := getPage(t, s.URL+tt.path)
			if !strings.Contains(string(body), `<html lang="it">`) {
				t.Errorf("the page is not in Italian: %.200s", body)
			}
			as := anchors(body)
			self := anchorRel(t, tt.path, as, "self", "text/html")
			alt := anchorRel(t, tt.path, as, "alternate", tt.jsonType)
			// The JSON twin, and its way back to the page.
			res, jbody := get(t, alt.Href, http.StatusOK, "Accept", browserAccept)
			checkMediaType(t, res, tt.jsonType)
			if !slices.Contains(strings.Split(res.Header.Get("Vary"), ", "), "Accept") {
				t.Errorf("JSON %s: Vary = %q, want Accept", alt.Href, res.Header.Get("Vary"))
			}
			var back string
			switch tt.jsonType {
			case "application/schema+json", "application/vnd.oai.openapi+json;version=3.0":
				// Documents without a links member link their page in a header.
				back = strings.TrimPrefix(strings.Split(res.Header.Get("Link"), ">")[0], "<")
				if !strings.Contains(res.Header.Get("Link"), `rel="alternate"; type="text/html"`) {
					t.Errorf("JSON %s: Link = %q, want its page as alternate", alt.Href, res.Header.Get("Link"))
				}
			default:
				links := jsonLinks(t, jbody)
				for _, l := range links {
					if l.Rel == "alternate" && l.Type == "text/html" {
						back = l.Href
					}
				}
				// /req/html/content: every link of the JSON is an <a> on
				// the page (self is the page, the HTML alternate too).
				for _, l := range links {
					if l.Rel == "self" || (l.Rel == "alternate" && l.Type == "text/html") {
						continue
					}
					if !slices.ContainsFunc(as, func(a anchor) bool { return a.Href == l.Href || a.Href == withF(l.Href, "html") }) {
						t.Errorf("the JSON's link %s %s (%s) is not on the page", l.Rel, l.Href, l.Type)
					}
				}
			}
			if back == "" || !sameResource(back, self.Href) {
				t.Errorf("JSON %s links its page as %q, want the page %q", alt.Href, back, self.Href)
			}
		})
	}

	t.Run("conformance declares html", func(t *testing.T) {
		var c struct {
			ConformsTo []string `json:"conformsTo"`
		}
		getJSON(t, s.URL+"/conformance", "application/json", &c)
		if !slices.Contains(c.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html") {
			t.Errorf("conformsTo = %v, want the html class", c.ConformsTo)
		}
	})

	t.Run("the API documents f=html", func(t *testing.T) {
		var doc struct {
			Paths map[string]map[string]struct {
				Parameters []struct {
					Name   string `json:"name"`
					Schema struct {
						Enum []string `json:"enum"`
					} `json:"schema"`
				} `json:"parameters"`
				Responses map[string]struct {
					Content map[string]any `json:"content"`
				} `json:"responses"`
			} `json:"paths"`
		}
		getJSON(t, s.URL+"/api", "application/vnd.oai.openapi+json;version=3.0", &doc)
		for path, want := range map[string]bool{
			"/": true, "/conformance": true, "/api": true, "/collections": true, "/collections/comuni": true,
			"/collections/comuni/items": true, "/collections/comuni/items/{featureId}": true,
			"/collections/comuni/queryables": true, "/collections/comuni/schema": true, "/collections/comuni/tiles": true,
			"/tileMatrixSets": false, "/collections/comuni/schema/geojson": false, "/tiles/comuni.json": false,
		} {
			get := doc.Paths[path]["get"]
			i := slices.IndexFunc(get.Parameters, func(p struct {
				Name   string `json:"name"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			}) bool {
				return p.Name == "f"
			})
			html := i >= 0 && slices.Contains(get.Parameters[i].Schema.Enum, "html")
			_, page := get.Responses["200"].Content["text/html"]
			if html != want || page != want {
				t.Errorf("%s: f=html documented %v, text/html answer %v; want %v", path, html, page, want)
			}
		}
	})

	t.Run("the map stays at /", func(t *testing.T) {
		res, body := get(t, s.URL+"/", http.StatusOK, "Accept", browserAccept)
		if !strings.Contains(string(body), `<script type="module" src="/viewer/js/main.js">`) {
			t.Errorf("/ in a browser is not the map: %.300s", body)
		}
		if !strings.Contains(res.Header.Get("Vary"), "Accept") {
			t.Errorf("/: Vary = %q, want Accept", res.Header.Get("Vary"))
		}
		var lp struct {
			Links []link `json:"links"`
		}
		getJSON(t, s.URL+"/", "application/json", &lp)
		if got := rel(lp.Links, "alternate"); got != s.URL+"/?f=html" {
			t.Errorf("landing alternate = %q, want %s/?f=html", got, s.URL)
		}
	})

	t.Run("items page holds the JSON page", func(t *testing.T) {
		const q = "/collections/comuni/items?consortium=true&limit=7&offset=7"
		_, body := getPage(t, s.URL+q)
		jp := items(t, s.URL+q)
		if got, want := rowPattern.FindAllStringSubmatch(string(body), -1), ids(jp.Features); !slices.Equal(column(got), want) {
			t.Errorf("table ids = %v, want the JSON page's %v", column(got), want)
		}
		for _, want := range []string{fmt.Sprintf("Elementi da 8 a 14 di %d", jp.NumberMatched),
			fmt.Sprintf("numberMatched %d", jp.NumberMatched), "numberReturned 7"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("the page does not say %q", want)
			}
		}
		// Paging follows the JSON's, with the whole query.
		as := anchors(body)
		next := anchorRel(t, q, as, "next", "text/html")
		prev := anchorRel(t, q, as, "prev", "text/html")
		for _, pg := range []struct {
			name, href, jsonHref string
		}{{"next", next.Href, rel(jp.Links, "next")}, {"prev", prev.Href, rel(jp.Links, "prev")}} {
			u, _ := url.Parse(pg.href)
			if u.Query().Get("consortium") != "true" || u.Query().Get("limit") != "7" || u.Query().Get("f") != "html" {
				t.Errorf("%s link %s does not carry the query and f=html", pg.name, pg.href)
			}
			_, pb := getPage(t, pg.href)
			want := ids(items(t, pg.jsonHref).Features)
			if got := column(rowPattern.FindAllStringSubmatch(string(pb), -1)); !slices.Equal(got, want) || len(got) == 0 {
				t.Errorf("%s page ids = %v, want the JSON %s page's %v", pg.name, got, pg.name, want)
			}
		}
	})

	t.Run("limits of a page", func(t *testing.T) {
		// 99 strategic buildings: a page shows 50 by default (JSON 10),
		// and asks for 1000 at most.
		_, body := getPage(t, s.URL+"/collections/strategic-buildings/items")
		if n := len(rowPattern.FindAllString(string(body), -1)); n != 50 {
			t.Errorf("default page: %d rows, want 50", n)
		}
		next := anchorRel(t, "items", anchors(body), "next", "text/html")
		if !strings.Contains(next.Href, "limit=50") || !strings.Contains(next.Href, "cursor=") {
			t.Errorf("next = %s, want limit=50 and a cursor", next.Href)
		}
		_, body = getPage(t, s.URL+"/collections/strategic-buildings/items?limit=5000")
		self := anchorRel(t, "items", anchors(body), "self", "text/html")
		if !strings.Contains(self.Href, "limit=1000") {
			t.Errorf("self = %s, want the limit capped at 1000", self.Href)
		}
		if n := len(rowPattern.FindAllString(string(body), -1)); n != 99 {
			t.Errorf("limit=5000: %d rows, want all 99", n)
		}
		if p := items(t, s.URL+"/collections/strategic-buildings/items"); len(p.Features) != 10 {
			t.Errorf("JSON default page: %d features, want 10", len(p.Features))
		}
	})

	t.Run("English when the browser prefers it", func(t *testing.T) {
		res, body := getPage(t, s.URL+"/collections/comuni/items?limit=2", "Accept-Language", "en-GB,en;q=0.9,it;q=0.4")
		if !strings.Contains(string(body), `<html lang="en">`) || !strings.Contains(string(body), "Features 1 to 2 of 48") ||
			res.Header.Get("Content-Language") != "en" {
			t.Errorf("not in English (Content-Language %q): %.400s", res.Header.Get("Content-Language"), body)
		}
		for _, al := range []string{"it-IT,it;q=0.9,en;q=0.8", "de-DE", ""} {
			_, body := getPage(t, s.URL+"/collections/comuni/items?limit=2", "Accept-Language", al)
			if !strings.Contains(string(body), `<html lang="it">`) {
				t.Errorf("Accept-Language %q: not in Italian", al)
			}
		}
	})

	t.Run("entity tags per representation", func(t *testing.T) {
		for _, p := range []string{"/collections/comuni/items?limit=3", "/collections/comuni/items/" + crema, "/collections/strategic-buildings/items/1"} {
			jres, _ := get(t, s.URL+p, http.StatusOK)
			hres, _ := getPage(t, s.URL+p)
			eres, _ := getPage(t, s.URL+p, "Accept-Language", "en")
			jtag, htag, etag := jres.Header.Get("ETag"), hres.Header.Get("ETag"), eres.Header.Get("ETag")
			if jtag == "" || htag == "" || etag == "" || opaque(jtag) == opaque(htag) || opaque(htag) == opaque(etag) {
				t.Errorf("%s: ETag JSON %q, page %q, English page %q; want three different tags", p, jtag, htag, etag)
				continue
			}
			checks := []struct {
				name   string
				header []string
				want   int
			}{
				{"page with its own tag", []string{"Accept", browserAccept, "If-None-Match", htag}, http.StatusNotModified},
				{"page with the JSON's tag", []string{"Accept", browserAccept, "If-None-Match", jtag}, http.StatusOK},
				{"JSON with its own tag", []string{"If-None-Match", jtag}, http.StatusNotModified},
				{"JSON with the page's tag", []string{"If-None-Match", htag}, http.StatusOK},
			}
			for _, c := range checks {
				res, _ := do(t, http.MethodGet, s.URL+p, c.header...)
				if res.StatusCode != c.want {
					t.Errorf("%s, %s: status %d, want %d", p, c.name, res.StatusCode, c.want)
				}
				if res.StatusCode == http.StatusNotModified && !strings.Contains(res.Header.Get("Vary"), "Accept") {
					t.Errorf("%s, %s: 304 with Vary %q, want Accept", p, c.name, res.Header.Get("Vary"))
				}
			}
		}
	})

	t.Run("hostile values are escaped", func(t *testing.T) {
		secret, _, err := auth.NewStore(s.DB.Write).CreateToken(context.Background(), "pages test", auth.Editor, []string{crema})
		if err != nil {
			t.Fatal(err)
		}
		var point json.RawMessage
		sqlJSON(t, s, &point, `SELECT ST_AsGeoJSON(ST_PointOnSurface(geom)) FROM comuni WHERE istat_code = $1`, crema)
		const name = `Scuola <script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"`
		feature := fmt.Sprintf(`{"type":"Feature","geometry":%s,"properties":{"istat_code":%q,"kind":"scuola","name":%q}}`, point, crema, name)
		res, body := sendRaw(t, http.MethodPost, s.URL+"/collections/strategic-buildings/items", feature,
			"Content-Type", "application/geo+json", "Authorization", "Bearer "+secret)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("POST the building: %d %s", res.StatusCode, body)
		}
		loc := res.Header.Get("Location")
		escaped := html.EscapeString(name)
		for _, p := range []string{loc, s.URL + "/collections/strategic-buildings/items?" + url.Values{"name": {name}}.Encode()} {
			_, page := getPage(t, p)
			if strings.Contains(string(page), "<script>alert") || strings.Contains(string(page), "<img src=x") {
				t.Errorf("%s: the name reached the page unescaped", p)
			}
			if !strings.Contains(string(page), escaped) {
				t.Errorf("%s: the page does not show the escaped name %s", p, escaped)
			}
		}
	})

	t.Run("assets", func(t *testing.T) {
		for _, a := range []struct{ path, mediaType string }{{"/assets/map.js", "text/javascript; charset=utf-8"}, {"/assets/pages.css", "text/css; charset=utf-8"}} {
			res, _ := get(t, s.URL+a.path, http.StatusOK)
			checkMediaType(t, res, a.mediaType)
			if res.Header.Get("ETag") == "" {
				t.Errorf("%s: no ETag", a.path)
			}
		}
		get(t, s.URL+"/assets/nope.js", http.StatusNotFound)
		get(t, s.URL+"/assets/", http.StatusNotFound)
	})
}

// column returns the first group of each match.
func column(ms [][]string) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m[1]
	}
	return out
}

// opaque returns an entity tag without W/ and quotes.
func opaque(tag string) string {
	return strings.Trim(strings.TrimPrefix(tag, "W/"), `"`)
}

// withF returns u with f set to name.
func withF(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	q.Set("f", name)
	p.RawQuery = q.Encode()
	return p.String()
}

// sameResource compares two URLs by path and query, ignoring the order of
// query parameters.
func sameResource(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return ua.Path == ub.Path && ua.Query().Encode() == ub.Query().Encode()
}
