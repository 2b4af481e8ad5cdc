package httpapi

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
)

// Media types.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mediaHTML    = "text/html"
	mediaMVT     = "application/vnd.mapbox-vector-tile"
)

// Conformance classes of OGC API – Features that Atlante implements.
var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	// Every Part 1 resource is also a page (pages_ogc.go).
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	// Part 3: /collections/{id}/queryables, each also a query parameter.
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	// Part 4 (draft): POST, PUT, DELETE and PATCH (JSON merge patch) on
	// the editable collections.
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	// Part 2: crs and bbox-crs on items, crs on an item, Content-Crs.
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	// Part 5 (draft): /collections/{id}/schema.
	"http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
	"http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/returnables-and-receivables",
}

type link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, mediaType string, v any) error {
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v) // after the header is sent an error only means the client left
}

// onlyFormat accepts the f parameter when it names the one format served.
func onlyFormat(r *http.Request, formats ...string) (string, error) {
	f := r.URL.Query().Get("f")
	if f == "" {
		return formats[0], nil
	}
	if !slices.Contains(formats, f) {
		return "", apperr.Invalidf("httpapi", "f", "%q is not a supported format; use %s", f, strings.Join(formats, " or "))
	}
	return f, nil
}

// handleLanding serves the landing page. "/" in a browser is the map,
// which is what citizens open; the landing document's page is /?f=html.
func (s *Server) handleLanding(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("f") == "" && wantsHTML(r) && s.viewer != nil {
		w.Header().Add("Vary", "Accept")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/"
		s.viewer.ServeHTTP(w, r2)
		return nil
	}
	f, err := negotiate(w, r, "json")
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	links := []link{
		{Href: base + "/", Rel: "self", Type: mediaJSON, Title: "this document"},
		{Href: base + "/?f=html", Rel: "alternate", Type: mediaHTML, Title: "this document as HTML"},
		{Href: base + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "the API definition"},
		{Href: base + "/api?f=html", Rel: "service-doc", Type: mediaHTML, Title: "the API documentation"},
		{Href: base + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "conformance classes"},
		{Href: base + "/collections", Rel: "data", Type: mediaJSON, Title: "collections"},
		{Href: base + "/tileMatrixSets", Rel: relTilingSchemes, Type: mediaJSON, Title: "tile matrix sets"},
	}
	if s.viewer != nil {
		links = append(links, link{Href: base + "/", Rel: "related", Type: mediaHTML, Title: "the map (in a browser)"})
	}
	if f == formatHTML {
		return s.landingPage(w, r, links)
	}
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{
		"title":       "Atlante",
		"description": "Territorial data of the Cremasco: comuni, fibre coverage, civil-protection plans, energy communities. OGC API – Features and vector tiles.",
		"version":     s.cfg.Version,
		"links":       links,
	})
}

func (s *Server) handleConformance(w http.ResponseWriter, r *http.Request) error {
	f, err := negotiate(w, r, "json")
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	classes := slices.Concat(conformance, features.FilterConformance, tilesConformance)
	links := []link{
		{Href: base + "/conformance", Rel: "self", Type: mediaJSON, Title: "conformance classes"},
		{Href: base + "/conformance?f=html", Rel: "alternate", Type: mediaHTML, Title: "conformance classes as HTML"},
	}
	if f == formatHTML {
		return s.conformancePage(w, r, classes, links)
	}
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{"conformsTo": classes, "links": links})
}

func (s *Server) handleCollections(w http.ResponseWriter, r *http.Request) error {
	f, err := negotiate(w, r, "json")
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	cols := []map[string]any{}
	for _, l := range s.publicLayers() {
		c, err := s.collection(r, l, base)
		if err != nil {
			return err
		}
		cols = append(cols, c)
	}
	links := []link{
		{Href: base + "/collections", Rel: "self", Type: mediaJSON, Title: "collections"},
		{Href: base + "/collections?f=html", Rel: "alternate", Type: mediaHTML, Title: "collections as HTML"},
	}
	if f == formatHTML {
		return s.collectionsPage(w, r, cols, links)
	}
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{
		"links":       links,
		"collections": cols,
		// Part 2, /req/crs/fc-md-crs-list-global: the collections refer
		// to this list with "#/crs".
		"crs": crsURIs(),
	})
}

// crsURIs lists the CRSs served (OGC API – Features Part 2), CRS84 first.
func crsURIs() []string {
	var out []string
	for _, c := range geo.SupportedCRSs() {
		out = append(out, c.URI())
	}
	return out
}

// setContentCRS says in which CRS the coordinates of a response are (Part
// 2, /req/crs/ogc-crs-header), also when it is the default CRS84.
func setContentCRS(w http.ResponseWriter, c geo.CRS) {
	w.Header().Set("Content-Crs", "<"+c.URI()+">")
}

func (s *Server) handleCollection(w http.ResponseWriter, r *http.Request) error {
	l, err := s.layer(chi.URLParam(r, "collectionId"))
	if err != nil {
		return err
	}
	f, err := negotiate(w, r, "json")
	if err != nil {
		return err
	}
	c, err := s.collection(r, l, s.baseURL(r))
	if err != nil {
		return err
	}
	// Alone, the collection has no global list to refer to.
	c["crs"] = crsURIs()
	if f == formatHTML {
		return s.collectionPage(w, r, l, c)
	}
	return writeJSON(w, http.StatusOK, mediaJSON, c)
}

func (s *Server) collection(r *http.Request, l *catalog.Layer, base string) (map[string]any, error) {
	href := base + "/collections/" + l.ID
	c := map[string]any{
		"id":          l.ID,
		"title":       l.Title,
		"description": l.Description,
		"itemType":    "feature",
		"crs":         []string{"#/crs"},
		// Stored in SRID 4326 with longitude first: CRS84 is served
		// without a transformation.
		"storageCrs": geo.CRS84.URI(),
		"links": append([]link{
			{Href: href, Rel: "self", Type: mediaJSON, Title: l.Title},
			{Href: href + "?f=html", Rel: "alternate", Type: mediaHTML, Title: l.Title + " as HTML"},
			{Href: href + "/items", Rel: "items", Type: mediaGeoJSON, Title: l.Title + " as GeoJSON"},
			{Href: href + "/tiles", Rel: relTilesetsVector, Type: mediaJSON, Title: "vector tilesets (OGC API – Tiles)"},
			{Href: base + "/tiles/" + l.ID + ".json", Rel: "related", Type: mediaJSON, Title: "TileJSON 3.0.0 of the vector tiles"},
		}, schemaLinks(href)...),
		"geometryType":  l.GeomType,
		"minZoom":       l.MinZoom,
		"maxZoom":       l.MaxZoom,
		"idProperty":    l.IDColumn,
		"maxItemsLimit": features.MaxLimit,
	}
	if l.Attribution != "" {
		c["attribution"] = l.Attribution
	}
	b, ok, err := s.features.Extent(r.Context(), l)
	if err != nil {
		return nil, err
	}
	extent := map[string]any{}
	if ok {
		extent["spatial"] = map[string]any{
			"bbox": [][]float64{bboxArray(b)},
			"crs":  geo.WGS84.URI(),
		}
	}
	if l.Temporal != nil {
		// The time the datetime parameter selects on; null is open.
		start, end, err := s.features.TemporalExtent(r.Context(), l)
		if err != nil {
			return nil, err
		}
		extent["temporal"] = map[string]any{
			"interval": [][]*time.Time{{start, end}},
			"trs":      trsGregorian,
		}
	}
	if len(extent) > 0 {
		c["extent"] = extent
	}
	return c, nil
}

func bboxArray(b orb.Bound) []float64 {
	return []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
}

// handleItems streams a FeatureCollection. The header is written when the
// first feature arrives, so an error before that is still a clean problem;
// an error after it aborts the connection so that the client sees a
// truncated body, never a complete-looking wrong one.
func (s *Server) handleItems(w http.ResponseWriter, r *http.Request) error {
	l, err := s.layer(chi.URLParam(r, "collectionId"))
	if err != nil {
		return err
	}
	f, err := negotiate(w, r, "json", "geojson")
	if err != nil {
		return err
	}
	// The format is negotiated here; the features see the query only. A
	// page has its own limits (htmlDefaultLimit, htmlMaxLimit), which its
	// links then carry.
	vals := r.URL.Query()
	vals.Del("f")
	if f == formatHTML && !vals.Has("limit") {
		vals.Set("limit", strconv.Itoa(htmlDefaultLimit))
	}
	q, err := features.ParseQuery(l, vals)
	if err != nil {
		return err
	}
	lang := ""
	if f == formatHTML {
		q.Limit = min(q.Limit, htmlMaxLimit)
		lang = pageLang(r)
	}
	w.Header().Add("Vary", "Accept-Encoding")
	if notModified(w, r, formatTag(s.layerTag(l), f, lang, s.build)) {
		return nil
	}
	setContentCRS(w, q.CRS)
	// Part 3, /req/queryables/queryables-link: filterable resources link
	// their queryables in a header.
	w.Header().Set("Link", "<"+s.baseURL(r)+"/collections/"+l.ID+pathQueryables+`>; rel="`+relQueryables+`"; type="`+mediaSchema+`"`)
	if f == formatHTML {
		return s.itemsPage(w, r, l, q)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	started := false
	start := func() {
		w.Header().Set("Content-Type", mediaGeoJSON)
		w.WriteHeader(http.StatusOK)
		bw.WriteString(`{"type":"FeatureCollection","features":[`)
		started = true
	}
	page, err := s.features.Items(r.Context(), l, q, func(f []byte) error {
		if !started {
			start()
		} else {
			bw.WriteByte(',')
		}
		_, err := bw.Write(f)
		return err
	})
	annotate(r, slog.String("layer", l.ID), slog.Int("rows", page.NumberReturned))
	if err != nil {
		if !started {
			return err
		}
		annotate(r, slog.String("err", err.Error()))
		panic(http.ErrAbortHandler)
	}
	if !started {
		start()
	}
	base := s.baseURL(r) + "/collections/" + l.ID + "/items"
	links := []link{
		{Href: base + "?" + q.Self().Encode(), Rel: "self", Type: mediaGeoJSON, Title: "this page"},
		{Href: withFormat(base, q.Self(), "html"), Rel: "alternate", Type: mediaHTML, Title: "this page as HTML"},
	}
	// The next page starts after this one's last feature (keyset paging,
	// features.Cursor), so it costs what this one did at any depth; prev
	// is only where the offset is known.
	if page.Next != nil {
		links = append(links, link{Href: base + "?" + q.ValuesAfter(*page.Next).Encode(), Rel: "next", Type: mediaGeoJSON, Title: "next page"})
	}
	if q.Offset > 0 && q.After == nil {
		links = append(links, link{Href: base + "?" + q.Values(max(0, q.Offset-q.Limit)).Encode(), Rel: "prev", Type: mediaGeoJSON, Title: "previous page"})
	}
	links = append(links, link{Href: s.baseURL(r) + "/collections/" + l.ID, Rel: "collection", Type: mediaJSON})
	lb, _ := json.Marshal(links) // plain strings cannot fail to encode
	bw.WriteString(`]`)
	if page.NumberMatched >= 0 {
		// Optional in a feature collection (Part 1, §7.15.8): after a cursor it
		// is given only when known without counting.
		bw.WriteString(`,"numberMatched":` + strconv.FormatInt(page.NumberMatched, 10))
	}
	bw.WriteString(`,"numberReturned":` + strconv.Itoa(page.NumberReturned) +
		`,"timeStamp":"` + time.Now().UTC().Format(time.RFC3339) + `","links":`)
	bw.Write(lb)
	bw.WriteString("}\n")
	return bw.Flush() // the client left if this fails
}

func (s *Server) handleItem(w http.ResponseWriter, r *http.Request) error {
	l, err := s.layer(chi.URLParam(r, "collectionId"))
	if err != nil {
		return err
	}
	if err := allowParams(r, "f", "crs"); err != nil {
		return err
	}
	format, err := negotiate(w, r, "json", "geojson")
	if err != nil {
		return err
	}
	crs := geo.CRS84
	if v := r.URL.Query().Get("crs"); v != "" {
		if crs, err = features.ParseCRS("crs", v); err != nil {
			return err
		}
	}
	id := chi.URLParam(r, "featureId")
	f, done, err := s.item(w, r, l, id, format, crs)
	if done || err != nil {
		return err
	}
	if format == formatHTML {
		return s.itemPage(w, r, l, id, f)
	}
	base := s.baseURL(r) + "/collections/" + l.ID
	self := base + "/items/" + url.PathEscape(id)
	links, _ := json.Marshal([]link{
		{Href: self, Rel: "self", Type: mediaGeoJSON},
		{Href: self + "?f=html", Rel: "alternate", Type: mediaHTML, Title: "this feature as HTML"},
		{Href: base, Rel: "collection", Type: mediaJSON},
	})
	setContentCRS(w, crs)
	// Splice the links into the feature object PostgreSQL wrote.
	out := make([]byte, 0, len(f)+len(links)+12)
	out = append(out, f[:len(f)-1]...)
	out = append(out, `,"links":`...)
	out = append(out, links...)
	out = append(out, "}\n"...)
	w.Header().Set("Content-Type", mediaGeoJSON)
	_, err = w.Write(out)
	return err
}

// item reads a feature and sets its entity tag, answering 304 when
// If-None-Match matches it (done). An editable layer's feature comes from
// the primary with the row version that If-Match must quote to change it
// (Writer.Item); that tag tags the body only when the layer shows the row
// and nothing else, so a layer that adds data of other tables
// (energy-sites: the community's eligibility) is never answered 304 on it.
// Other layers' features come from where public reads go, with the layer's
// data tag.
//
// A page has a tag of its own, made from the same one (formatTag), and
// none when the JSON is never answered 304: the row version it would
// carry is for If-Match on the JSON.
func (s *Server) item(w http.ResponseWriter, r *http.Request, l *catalog.Layer, id string, ft format, crs geo.CRS) (f []byte, done bool, err error) {
	lang := ""
	if ft == formatHTML {
		lang = pageLang(r)
	}
	if l.Edit == nil || s.writer == nil {
		if f, err = s.features.Item(r.Context(), l, id, crs); err != nil {
			return nil, false, err
		}
		w.Header().Add("Vary", "Accept-Encoding")
		return f, notModified(w, r, formatTag(s.layerTag(l), ft, lang, s.build)), nil
	}
	f, etag, err := s.writer.Item(r.Context(), l, id, crs)
	if err != nil {
		return nil, false, err
	}
	if !rowOnly(l) {
		if ft == formatJSON {
			w.Header().Set("ETag", etag)
		}
		return f, false, nil
	}
	return f, notModified(w, r, formatTag(etag, ft, lang, s.build)), nil
}

// rowOnly reports whether an editable layer's features are the rows of its
// table and nothing else, so that the row version identifies them.
func rowOnly(l *catalog.Layer) bool {
	src := l.SourceTables()
	return slices.Equal(l.Table, l.Edit.Table) && len(src) == 1 && src[0] == l.Edit.Table[len(l.Edit.Table)-1]
}

func errNoCollection(id string, known []string) error {
	return apperr.New("httpapi", apperr.NotFound, "no collection %q; collections are %s", id, strings.Join(known, ", "))
}
