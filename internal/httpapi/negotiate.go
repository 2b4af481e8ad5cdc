package httpapi

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"github.com/cremasco/atlante/internal/apperr"
)

// Content negotiation of the OGC resources: JSON (GeoJSON for features)
// for programs, an HTML page for people (OGC API – Features Part 1, the
// html requirements class). The f parameter decides when given; otherwise
// Accept does (RFC 9110 §12.5.1), so that a link followed in a browser
// opens a page and GIS clients, curl and fetch() get JSON.

// format is a representation of a negotiated resource.
type format int

const (
	formatJSON format = iota
	formatHTML
)

// negotiate returns the representation r asks for. jsonNames are the f
// values that select JSON; f=html selects the page. Every answer varies
// with Accept, whichever was chosen, so that a shared cache keeps the two
// apart, and a page also with Accept-Language (RFC 9110 §12.5.5).
func negotiate(w http.ResponseWriter, r *http.Request, jsonNames ...string) (format, error) {
	w.Header().Add("Vary", "Accept")
	f := r.URL.Query().Get("f")
	switch {
	case f == "html" || (f == "" && wantsHTML(r)):
		w.Header().Add("Vary", "Accept-Language")
		return formatHTML, nil
	case f == "" || slices.Contains(jsonNames, f):
		return formatJSON, nil
	}
	return formatJSON, apperr.Invalidf("httpapi", "f", "%q is not a supported format; use %s or html", f, strings.Join(jsonNames, ", "))
}

// wantsHTML reports whether the client prefers a web page to JSON:
// browsers weigh text/html above */*, programs ask for JSON or anything.
// A tie goes to JSON.
func wantsHTML(r *http.Request) bool {
	accept := r.Header.Values("Accept")
	if len(accept) == 0 {
		return false
	}
	ranges := parseAccept(strings.Join(accept, ","))
	html := acceptWeight(ranges, "text", "html")
	return html > 0 && html > max(acceptWeight(ranges, "application", "json"), acceptWeight(ranges, "application", "geo+json"))
}

// mediaRange is one element of an Accept field.
type mediaRange struct {
	typ, sub string
	q        float64
}

// parseAccept reads an Accept field; malformed elements are ignored.
func parseAccept(field string) []mediaRange {
	var out []mediaRange
	for _, part := range strings.Split(field, ",") {
		mt, params, _ := strings.Cut(part, ";")
		typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(mt)), "/")
		if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
			continue
		}
		out = append(out, mediaRange{typ: typ, sub: sub, q: qvalue(params)})
	}
	return out
}

// acceptWeight is the weight Accept gives a media type: that of the most
// specific range matching it (RFC 9110 §12.5.1), 0 when none does.
func acceptWeight(ranges []mediaRange, typ, sub string) float64 {
	best, q := -1, 0.0
	for _, m := range ranges {
		spec := -1
		switch {
		case m.typ == typ && m.sub == sub:
			spec = 2
		case m.typ == typ && m.sub == "*":
			spec = 1
		case m.typ == "*":
			spec = 0
		}
		if spec > best {
			best, q = spec, m.q
		}
	}
	return q
}

// Languages of the pages: Italian, the users' language, unless the
// browser prefers English.
var (
	pageLanguages = []language.Tag{language.Italian, language.English}
	pageMatcher   = language.NewMatcher(pageLanguages)
)

// pageLang returns "it" or "en" by Accept-Language.
func pageLang(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(strings.Join(r.Header.Values("Accept-Language"), ","))
	if err != nil || len(tags) == 0 {
		return "it"
	}
	_, i, conf := pageMatcher.Match(tags...)
	if conf == language.No {
		return "it"
	}
	base, _ := pageLanguages[i].Base()
	return base.String()
}

// formatTag makes a representation's entity tag from the tag of its data:
// the JSON keeps it, a page adds its format, language and the build
// (whose templates made it), so that no If-None-Match of one answers 304
// for the other (RFC 9110 §8.8.3). Pages are tagged weakly: they are
// gzipped, and a feature's row version is a strong tag of its JSON only.
func formatTag(tag string, f format, lang, build string) string {
	if tag == "" || f == formatJSON {
		return tag
	}
	opaque, ok := opaqueTag(tag)
	if !ok {
		return ""
	}
	return `W/"` + opaque + "-html-" + lang + "-" + build + `"`
}

// withFormat returns href with the query v and f set to name ("" leaves f
// out); v is not changed.
func withFormat(href string, v url.Values, name string) string {
	q := maps.Clone(v)
	if q == nil {
		q = url.Values{}
	}
	q.Del("f")
	if name != "" {
		q.Set("f", name)
	}
	if len(q) == 0 {
		return href
	}
	return href + "?" + q.Encode()
}
