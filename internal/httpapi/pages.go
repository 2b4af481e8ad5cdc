package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/cremasco/atlante/internal/catalog"
)

// The HTML pages of the OGC resources (OGC API – Features Part 1, html
// requirements class): server-side html/template with automatic escaping,
// each page holding what its JSON holds and every one of its links in an
// <a>. Scripts and styles are files under /assets (the
// Content-Security-Policy allows no inline ones); the small map uses the
// viewer's MapLibre GL JS. Pages speak Italian, or English when the
// browser prefers it; every visible string is in pageMessages.

//go:embed html
var htmlFiles embed.FS

// Limits of an items page in HTML: a person reads a page, and a phone
// draws it; JSON keeps features.DefaultLimit and features.MaxLimit.
const (
	htmlDefaultLimit = 50
	htmlMaxLimit     = 1000
)

// pageNames are the templates under html/templates, one a page, each
// defining "content" for the layout.
var pageNames = []string{"landing", "conformance", "api", "collections", "collection", "items", "item", "schema", "tilesets"}

// pageSet holds the parsed templates and serves the pages' static files.
type pageSet struct {
	pages  map[string]*template.Template
	assets http.Handler
}

// newPageSet parses the embedded templates; they are part of the binary,
// so a template that does not parse is a bug a test meets first.
func newPageSet(notFound http.Handler) *pageSet {
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		ps.pages[name] = template.Must(template.New(name).ParseFS(htmlFiles, "html/templates/layout.html", "html/templates/"+name+".html"))
	}
	static, _ := fs.Sub(htmlFiles, "html/static") // embedded: cannot fail
	ps.assets = staticFiles(static, notFound)
	return ps
}

// staticFiles serves the files of fsys with an ETag from their content,
// revalidated on every use (embedded files have no modification time).
func staticFiles(fsys fs.FS, notFound http.Handler) http.Handler {
	etags := map[string]string{}
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := fs.ReadFile(fsys, name); err == nil {
				sum := sha256.Sum256(b)
				etags[name] = `"` + hex.EncodeToString(sum[:8]) + `"`
			}
		}
		return nil // the walk of an embedded tree cannot fail
	})
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		etag, ok := etags[name]
		if !ok {
			notFound.ServeHTTP(w, r)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// crumb is one step of a page's breadcrumbs; the last has no Href.
type crumb struct{ Href, Text string }

// pageMap is the small map of a page (see html/static/map.js).
type pageMap struct {
	Data        string // URL of the GeoJSON to draw
	BBox        string // minLon,minLat,maxLon,maxLat to show when there is no Data
	Items       string // URL of the collection's items, for a click on a feature
	IDProperty  string // the property that holds each feature's id
	Context     string // TileJSON of the comuni, drawn as outlines
	Attribution string
}

// page is what a template receives.
type page struct {
	Lang        string
	Title       string
	Description string
	Home        string // the landing page in HTML
	MapURL      string // the viewer, "" when it is not built in
	Crumbs      []crumb
	HeadLinks   []link // <link> elements: the JSON alternate, prev and next
	Links       []link // every link of the resource, as in its JSON
	JSONHref    string
	JSONType    string
	Map         *pageMap
	Body        any
	msgs        map[string]string
}

// T returns the text of key in the page's language.
func (p *page) T(key string) string {
	if s, ok := p.msgs[key]; ok {
		return s
	}
	return key
}

// Tf formats the text of key with args.
func (p *page) Tf(key string, args ...any) string {
	return fmt.Sprintf(p.T(key), args...)
}

// LinkLabel names a link for a person: its relation in the page's
// language, and its title when the relation says little.
func (p *page) LinkLabel(l link) string {
	rel := l.Rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		rel = rel[i+1:]
	}
	label, ok := p.msgs["rel."+rel]
	if !ok {
		return l.Title
	}
	switch {
	case rel == "alternate":
		return label + " " + p.FormatName(l.Type)
	case l.Title != "" && (rel == "related" || rel == "item" || rel == "describedBy"):
		return label + ": " + l.Title
	}
	return label
}

// FormatName names a media type for a person.
func (p *page) FormatName(mediaType string) string {
	switch mediaType {
	case mediaHTML:
		return p.T("format.html")
	case mediaGeoJSON:
		return "GeoJSON"
	case mediaJSON:
		return "JSON"
	case mediaSchema:
		return "JSON Schema"
	case mediaOpenAPI:
		return "OpenAPI 3.0"
	}
	return mediaType
}

// newPage starts a page in the request's language.
func (s *Server) newPage(r *http.Request, title string) *page {
	lang := pageLang(r)
	base := s.baseURL(r)
	p := &page{Lang: lang, Title: title, Home: base + "/?f=html", msgs: pageMessages[lang]}
	if s.viewer != nil {
		p.MapURL = base + "/"
	}
	p.Crumbs = []crumb{{Href: p.Home, Text: p.T("nav.home")}}
	return p
}

// renderPage writes p with the template name. The page is built in memory
// first, so that a failure is still a clean problem; pages are bounded
// (htmlMaxLimit features at most).
func (s *Server) renderPage(w http.ResponseWriter, name string, p *page) error {
	var b bytes.Buffer
	if err := s.pages.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		return fmt.Errorf("httpapi: page %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b.Bytes())
	return err // after the header an error only means the client left
}

// pageLinks turns the links of a JSON representation into those of its
// page: self becomes the page, and the JSON is the alternate.
func pageLinks(links []link, selfHTML, selfJSON, jsonType string) []link {
	out := make([]link, 0, len(links)+1)
	for _, l := range links {
		switch l.Rel {
		case "self":
			out = append(out, link{Href: selfHTML, Rel: "self", Type: mediaHTML, Title: l.Title})
			out = append(out, link{Href: selfJSON, Rel: "alternate", Type: jsonType, Title: l.Title})
		case "alternate":
			if l.Type == mediaHTML {
				continue
			}
			out = append(out, l)
		default:
			out = append(out, l)
		}
	}
	return out
}

// setJSONAlternate fills the page's links to its JSON twin.
func (p *page) setJSONAlternate(href, mediaType string) {
	p.JSONHref, p.JSONType = href, mediaType
	p.HeadLinks = append(p.HeadLinks, link{Href: href, Rel: "alternate", Type: mediaType})
}

// valueCell is one property value as shown.
type valueCell struct {
	Text  string
	Class string // num, null or ""
}

// formatValue shows one JSON value of a feature in the page's language:
// text as it is (escaped by the template), numbers with the decimal
// comma in Italian, booleans as words, null as a dash.
func (p *page) formatValue(raw json.RawMessage) valueCell {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil || v == nil {
		return valueCell{Text: "—", Class: "null"}
	}
	switch v := v.(type) {
	case string:
		return valueCell{Text: v}
	case bool:
		if v {
			return valueCell{Text: p.T("value.true")}
		}
		return valueCell{Text: p.T("value.false")}
	case float64:
		text := strings.TrimSpace(string(raw))
		if p.Lang == "it" {
			text = strings.Replace(text, ".", ",", 1)
		}
		return valueCell{Text: text, Class: "num"}
	}
	return valueCell{Text: string(raw)} // an object or array, as JSON
}

// idText returns a feature id as text: a string unquoted, a number as written.
func idText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// propertyColumns are a layer's feature properties in order, the id first.
func propertyColumns(l *catalog.Layer) []catalog.Property {
	props := l.FeatureProperties()
	out := make([]catalog.Property, 0, len(props))
	for _, p := range props {
		if p.Name == l.IDColumn {
			out = append([]catalog.Property{p}, out...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// formatBBox writes a bounding box as the map and the page show it.
func formatBBox(b []float64) string {
	parts := make([]string, len(b))
	for i, v := range b {
		parts[i] = strconv.FormatFloat(v, 'f', 6, 64)
	}
	return strings.Join(parts, ",")
}

// viewerAt is the viewer's URL showing the box (MapLibre's #zoom/lat/lon).
func viewerAt(mapURL string, b []float64) string {
	if mapURL == "" || len(b) != 4 {
		return mapURL
	}
	span := math.Max(b[2]-b[0], (b[3]-b[1])*1.4)
	zoom := 17.0
	if span > 0 {
		zoom = math.Max(8, math.Min(17, math.Floor(math.Log2(360/span))))
	}
	return fmt.Sprintf("%s#%.0f/%.5f/%.5f", mapURL, zoom, (b[1]+b[3])/2, (b[0]+b[2])/2)
}
