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

// wantsHTML reports whether the client prefers a web page: browsers put
// text/html in Accept, GIS clients and curl do not.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), mediaHTML)
}

func (s *Server) handleLanding(w http.ResponseWriter, r *http.Request) error {
	// The same URL answers a page or JSON by Accept (RFC 9110 §12.5.5).
	w.Header().Add("Vary", "Accept")
	f := r.URL.Query().Get("f")
	switch {
	case f == "html" || (f == "" && wantsHTML(r)):
		if s.viewer == nil {
			return apperr.New("httpapi.landing", apperr.NotFound, "the map viewer is not built into this server")
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/"
		s.viewer.ServeHTTP(w, r2)
		return nil
	case f != "" && f != "json":
		return apperr.Invalidf("httpapi.landing", "f", "%q is not a supported format; use json or html", f)
	}
	base := s.baseURL(r)
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{
		"title":       "Atlante",
		"description": "Territorial data of the Cremasco: comuni, fibre coverage, civil-protection plans, energy communities. OGC API – Features and vector tiles.",
		"version":     s.cfg.Version,
		"links": []link{
			{Href: base + "/", Rel: "self", Type: mediaJSON, Title: "this document"},
			{Href: base + "/?f=html", Rel: "alternate", Type: mediaHTML, Title: "the map"},
			{Href: base + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "the API definition"},
			{Href: base + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "conformance classes"},
			{Href: base + "/collections", Rel: "data", Type: mediaJSON, Title: "collections"},
			{Href: base + "/tileMatrixSets", Rel: relTilingSchemes, Type: mediaJSON, Title: "tile matrix sets"},
		},
	})
}

func (s *Server) handleConformance(w http.ResponseWriter, r *http.Request) error {
	if _, err := onlyFormat(r, "json"); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{"conformsTo": slices.Concat(conformance, features.FilterConformance, tilesConformance)})
}

func (s *Server) handleCollections(w http.ResponseWriter, r *http.Request) error {
	if _, err := onlyFormat(r, "json"); err != nil {
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
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{
		"links":       []link{{Href: base + "/collections", Rel: "self", Type: mediaJSON}},
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
	if _, err := onlyFormat(r, "json"); err != nil {
		return err
	}
	c, err := s.collection(r, l, s.baseURL(r))
	if err != nil {
		return err
	}
	// Alone, the collection has no global list to refer to.
	c["crs"] = crsURIs()
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
	q, err := features.ParseQuery(l, r.URL.Query())
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "Accept-Encoding")
	if notModified(w, r, s.layerTag(l)) {
		return nil
	}
	setContentCRS(w, q.CRS)
	// Part 3, /req/queryables/queryables-link: filterable resources link
	// their queryables in a header.
	w.Header().Set("Link", "<"+s.baseURL(r)+"/collections/"+l.ID+pathQueryables+`>; rel="`+relQueryables+`"; type="`+mediaSchema+`"`)
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
	links := []link{{Href: base + "?" + q.Values(q.Offset).Encode(), Rel: "self", Type: mediaGeoJSON, Title: "this page"}}
	if int64(q.Offset+page.NumberReturned) < page.NumberMatched {
		links = append(links, link{Href: base + "?" + q.Values(q.Offset+q.Limit).Encode(), Rel: "next", Type: mediaGeoJSON, Title: "next page"})
	}
	if q.Offset > 0 {
		links = append(links, link{Href: base + "?" + q.Values(max(0, q.Offset-q.Limit)).Encode(), Rel: "prev", Type: mediaGeoJSON, Title: "previous page"})
	}
	links = append(links, link{Href: s.baseURL(r) + "/collections/" + l.ID, Rel: "collection", Type: mediaJSON})
	lb, _ := json.Marshal(links) // plain strings cannot fail to encode
	bw.WriteString(`],"numberMatched":` + strconv.FormatInt(page.NumberMatched, 10) +
		`,"numberReturned":` + strconv.Itoa(page.NumberReturned) +
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
	if _, err := onlyFormat(r, "json", "geojson"); err != nil {
		return err
	}
	crs := geo.CRS84
	if v := r.URL.Query().Get("crs"); v != "" {
		if crs, err = features.ParseCRS("crs", v); err != nil {
			return err
		}
	}
	id := chi.URLParam(r, "featureId")
	f, err := s.features.Item(r.Context(), l, id, crs)
	if err != nil {
		return err
	}
	if done, err := s.itemNotModified(w, r, l, id); done || err != nil {
		return err
	}
	base := s.baseURL(r) + "/collections/" + l.ID
	links, _ := json.Marshal([]link{
		{Href: base + "/items/" + url.PathEscape(id), Rel: "self", Type: mediaGeoJSON},
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

// itemNotModified sets the entity tag of a feature that exists and answers
// 304 when If-None-Match matches it. An editable layer's tag is the row
// version that If-Match must quote to change the feature; it tags the body
// only when the layer shows the row and nothing else, so a layer that adds
// data of other tables (energy-sites: the community's eligibility) is
// never answered 304 on it. Other layers have the layer's data tag.
func (s *Server) itemNotModified(w http.ResponseWriter, r *http.Request, l *catalog.Layer, id string) (bool, error) {
	if l.Edit == nil || s.writer == nil {
		w.Header().Set("Vary", "Accept-Encoding")
		return notModified(w, r, s.layerTag(l)), nil
	}
	etag, err := s.writer.ItemVersion(r.Context(), l, id)
	if err != nil {
		return false, err
	}
	if !rowOnly(l) {
		w.Header().Set("ETag", etag)
		return false, nil
	}
	return notModified(w, r, etag), nil
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
