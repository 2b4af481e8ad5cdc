package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/tiles"
)

// The pages of the OGC resources; the handlers in ogc.go, schema.go,
// ogctiles.go and openapi.go choose between them and the JSON.

// contextLayer is the layer whose outlines the small maps draw under the
// features, so that a person sees where they are without an online basemap.
const contextLayer = "comuni"

// landingPage is the OGC landing page for a person (/?f=html).
func (s *Server) landingPage(w http.ResponseWriter, r *http.Request, links []link) error {
	base := s.baseURL(r)
	p := s.newPage(r, "")
	p.Title = p.T("title.landing")
	p.Description = p.T("landing.description")
	p.Crumbs = []crumb{{Text: p.T("nav.home")}}
	p.setJSONAlternate(base+"/?f=json", mediaJSON)
	p.Links = pageLinks(links, base+"/?f=html", base+"/?f=json", mediaJSON)
	p.Body = struct{ Collections, API, Conformance, Version string }{
		Collections: base + "/collections?f=html", API: base + "/api?f=html", Conformance: base + "/conformance?f=html", Version: s.cfg.Version,
	}
	return s.renderPage(w, "landing", p)
}

// conformancePage lists the conformance classes.
func (s *Server) conformancePage(w http.ResponseWriter, r *http.Request, classes []string, links []link) error {
	base := s.baseURL(r)
	p := s.newPage(r, "")
	p.Title = p.T("title.conformance")
	p.Crumbs = append(p.Crumbs, crumb{Text: p.Title})
	p.setJSONAlternate(base+"/conformance?f=json", mediaJSON)
	p.Links = pageLinks(links, base+"/conformance?f=html", base+"/conformance?f=json", mediaJSON)
	p.Body = classes
	return s.renderPage(w, "conformance", p)
}

// collectionCard is a collection as the collections page lists it.
type collectionCard struct {
	ID, Title, Description, GeomType string
	Href, ItemsHref, GeoJSONHref     string
}

// collectionsPage lists the collections, from the same documents as the JSON.
func (s *Server) collectionsPage(w http.ResponseWriter, r *http.Request, cols []map[string]any, links []link) error {
	base := s.baseURL(r)
	p := s.newPage(r, "")
	p.Title = p.T("title.collections")
	p.Crumbs = append(p.Crumbs, crumb{Text: p.Title})
	p.setJSONAlternate(base+"/collections?f=json", mediaJSON)
	p.Links = pageLinks(links, base+"/collections?f=html", base+"/collections?f=json", mediaJSON)
	var cards []collectionCard
	for _, c := range cols {
		href := base + "/collections/" + c["id"].(string)
		cards = append(cards, collectionCard{
			ID: c["id"].(string), Title: c["title"].(string), Description: c["description"].(string), GeomType: c["geometryType"].(string),
			Href: href + "?f=html", ItemsHref: href + "/items?f=html", GeoJSONHref: href + "/items?f=json",
		})
		// Every link of the JSON is on the page (/req/html/content).
		p.Links = append(p.Links, c["links"].([]link)...)
	}
	p.Body = cards
	return s.renderPage(w, "collections", p)
}

// collectionView is what the collection page shows.
type collectionView struct {
	ID, GeomType, IDProperty, Attribution, BBox, Temporal string
	MinZoom, MaxZoom, MaxItems                            int
	CRS                                                   []string
	ItemsHref, ViewerHref, QueryablesHref, SchemaHref     string
	TilesHref, TileJSONHref                               string
}

// collectionPage describes one collection from its JSON document c.
func (s *Server) collectionPage(w http.ResponseWriter, r *http.Request, l *catalog.Layer, c map[string]any) error {
	base := s.baseURL(r)
	href := base + "/collections/" + l.ID
	p := s.newPage(r, l.Title)
	p.Description = l.Description
	p.Crumbs = append(p.Crumbs, crumb{Href: base + "/collections?f=html", Text: p.T("title.collections")}, crumb{Text: l.Title})
	p.setJSONAlternate(href+"?f=json", mediaJSON)
	p.Links = pageLinks(c["links"].([]link), href+"?f=html", href+"?f=json", mediaJSON)
	v := collectionView{
		ID: l.ID, GeomType: l.GeomType, IDProperty: l.IDColumn, Attribution: l.Attribution,
		MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, MaxItems: features.MaxLimit, CRS: c["crs"].([]string),
		ItemsHref: href + "/items?f=html", QueryablesHref: href + pathQueryables + "?f=html", SchemaHref: href + pathSchema + "?f=html",
		TilesHref: href + "/tiles?f=html", TileJSONHref: base + "/tiles/" + l.ID + ".json",
	}
	var box []float64
	if ext, ok := c["extent"].(map[string]any); ok {
		if sp, ok := ext["spatial"].(map[string]any); ok {
			box = sp["bbox"].([][]float64)[0]
			v.BBox = formatBBox(box)
		}
		if tm, ok := ext["temporal"].(map[string]any); ok {
			in := tm["interval"].([][]*time.Time)[0]
			v.Temporal = formatTime(in[0]) + " – " + formatTime(in[1])
		}
	}
	v.ViewerHref = viewerAt(p.MapURL, box)
	p.Body = v
	if p.MapURL != "" && box != nil {
		p.Map = &pageMap{BBox: v.BBox, Context: s.contextTileJSON(base, l), Attribution: l.Attribution}
	}
	return s.renderPage(w, "collection", p)
}

// formatTime shows an end of a temporal extent; nil is open.
func formatTime(t *time.Time) string {
	if t == nil {
		return ".."
	}
	return t.UTC().Format(time.RFC3339)
}

// contextTileJSON is the TileJSON of the comuni's outlines for a map of
// layer l ("" when there is no such public layer).
func (s *Server) contextTileJSON(base string, l *catalog.Layer) string {
	c, ok := s.catalog.Layer(contextLayer)
	if !ok || c.Access != catalog.Public || l.ID == contextLayer {
		return ""
	}
	return base + "/tiles/" + contextLayer + ".json"
}

// featureRow is one feature in the items table: its id, linked to its
// page, then its other properties.
type featureRow struct {
	ID, Href string
	Cells    []valueCell
}

// itemsView is what the items page shows.
type itemsView struct {
	Columns              []catalog.Property
	Rows                 []featureRow
	From, To, Returned   int
	Matched              int64
	Prev, Next, ItemBase string
}

// itemsPage shows one page of features as a table and on a map, with the
// same paging as the JSON: the links carry the whole query (Query.Values)
// with f=html. At most htmlMaxLimit features, and only their properties
// are kept; the map fetches their geometry from the JSON alternate.
func (s *Server) itemsPage(w http.ResponseWriter, r *http.Request, l *catalog.Layer, q features.Query) error {
	base := s.baseURL(r)
	href := base + "/collections/" + l.ID
	items := href + "/items"
	p := s.newPage(r, "")
	p.Title = p.Tf("title.items", l.Title)
	p.Crumbs = append(p.Crumbs, crumb{Href: base + "/collections?f=html", Text: p.T("title.collections")},
		crumb{Href: href + "?f=html", Text: l.Title}, crumb{Text: p.T("rel.items")})
	cols := propertyColumns(l)
	v := itemsView{Columns: cols, ItemBase: items + "/"}
	page, err := s.features.Items(r.Context(), l, q, func(f []byte) error {
		var feat struct {
			ID         json.RawMessage            `json:"id"`
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(f, &feat); err != nil {
			return fmt.Errorf("httpapi: items page of %s: %w", l.ID, err)
		}
		row := featureRow{ID: idText(feat.ID)}
		row.Href = v.ItemBase + url.PathEscape(row.ID)
		row.Cells = make([]valueCell, 0, len(cols)-1)
		for _, c := range cols[1:] {
			row.Cells = append(row.Cells, p.formatValue(feat.Properties[c.Name]))
		}
		v.Rows = append(v.Rows, row)
		return nil
	})
	if err != nil {
		return err
	}
	v.Returned, v.Matched = page.NumberReturned, page.NumberMatched
	if v.Matched < 0 {
		// A page after a cursor: a person reads the total.
		if v.Matched, err = s.features.Count(r.Context(), l, q); err != nil {
			return err
		}
	}
	if q.After == nil { // after a cursor, where the page starts is unknown
		v.From, v.To = q.Offset+1, q.Offset+page.NumberReturned
	}
	self := withFormat(items, q.Self(), "html")
	jsonHref := withFormat(items, q.Self(), "json")
	p.setJSONAlternate(jsonHref, mediaGeoJSON)
	p.Links = []link{
		{Href: self, Rel: "self", Type: mediaHTML, Title: "this page"},
		{Href: jsonHref, Rel: "alternate", Type: mediaGeoJSON, Title: "this page as GeoJSON"},
	}
	if page.Next != nil {
		// The JSON's next link (/req/html/content), by cursor.
		v.Next = withFormat(items, q.ValuesAfter(*page.Next), "html")
		p.Links = append(p.Links, link{Href: v.Next, Rel: "next", Type: mediaHTML, Title: "next page"})
		p.HeadLinks = append(p.HeadLinks, link{Href: v.Next, Rel: "next", Type: mediaHTML})
	}
	if q.Offset > 0 && q.After == nil {
		v.Prev = withFormat(items, q.Values(max(0, q.Offset-q.Limit)), "html")
		p.Links = append(p.Links, link{Href: v.Prev, Rel: "prev", Type: mediaHTML, Title: "previous page"})
		p.HeadLinks = append(p.HeadLinks, link{Href: v.Prev, Rel: "prev", Type: mediaHTML})
	}
	p.Links = append(p.Links, link{Href: href + "?f=html", Rel: "collection", Type: mediaHTML, Title: l.Title})
	p.Body = v
	if p.MapURL != "" && len(v.Rows) > 0 {
		p.Map = &pageMap{Data: jsonHref, Items: items, IDProperty: l.IDColumn, Context: s.contextTileJSON(base, l), Attribution: l.Attribution}
	}
	return s.renderPage(w, "items", p)
}

// propertyRow is one property of a feature on its page.
type propertyRow struct {
	Name, Description string
	valueCell
}

// itemView is what a feature's page shows.
type itemView struct {
	Properties                      []propertyRow
	GeomType, ItemsHref, ViewerHref string
}

// itemPage shows one feature (f, as the JSON sends it) with its map.
func (s *Server) itemPage(w http.ResponseWriter, r *http.Request, l *catalog.Layer, id string, f []byte) error {
	var feat struct {
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(f, &feat); err != nil {
		return fmt.Errorf("httpapi: item page of %s: %w", l.ID, err)
	}
	base := s.baseURL(r)
	href := base + "/collections/" + l.ID
	self := href + "/items/" + url.PathEscape(id)
	p := s.newPage(r, id)
	// A feature is called by its name or title when it has one.
	for _, key := range []string{"name", "title"} {
		var name string
		if json.Unmarshal(feat.Properties[key], &name) == nil && name != "" && name != id {
			p.Title = name + " (" + id + ")"
			break
		}
	}
	p.Crumbs = append(p.Crumbs, crumb{Href: base + "/collections?f=html", Text: p.T("title.collections")},
		crumb{Href: href + "?f=html", Text: l.Title}, crumb{Href: href + "/items?f=html", Text: p.T("rel.items")}, crumb{Text: id})
	p.setJSONAlternate(self+"?f=json", mediaGeoJSON)
	p.Links = []link{
		{Href: self + "?f=html", Rel: "self", Type: mediaHTML},
		{Href: self + "?f=json", Rel: "alternate", Type: mediaGeoJSON, Title: "this feature as GeoJSON"},
		{Href: href + "?f=html", Rel: "collection", Type: mediaHTML, Title: l.Title},
	}
	v := itemView{ItemsHref: href + "/items?f=html"}
	for _, c := range propertyColumns(l) {
		v.Properties = append(v.Properties, propertyRow{Name: c.Name, Description: c.Description, valueCell: p.formatValue(feat.Properties[c.Name])})
	}
	if g, err := geojson.UnmarshalGeometry(feat.Geometry); err == nil && g.Coordinates != nil {
		v.GeomType = g.Coordinates.GeoJSONType()
		b := g.Coordinates.Bound()
		v.ViewerHref = viewerAt(p.MapURL, bboxArray(b))
	}
	p.Body = v
	if p.MapURL != "" && v.GeomType != "" {
		p.Map = &pageMap{Data: self + "?f=json", IDProperty: l.IDColumn, Context: s.contextTileJSON(base, l), Attribution: l.Attribution}
	}
	return s.renderPage(w, "item", p)
}

// schemaRow is one property of a schema page.
type schemaRow struct {
	Name, Type, Description, Role string
	Enum                          []string
	ReadOnly                      bool
}

// schemaPage shows a JSON Schema document of a collection (its Part 5
// schema or its queryables) as a table, read from the document itself so
// that the two say the same.
func (s *Server) schemaPage(w http.ResponseWriter, r *http.Request, l *catalog.Layer, doc ordered, path string) error {
	base := s.baseURL(r)
	href := base + "/collections/" + l.ID
	p := s.newPage(r, "")
	key := "title.schema"
	if path == pathQueryables {
		key = "title.queryables"
	}
	p.Title = p.Tf(key, l.Title)
	p.Crumbs = append(p.Crumbs, crumb{Href: base + "/collections?f=html", Text: p.T("title.collections")},
		crumb{Href: href + "?f=html", Text: l.Title}, crumb{Text: p.Title})
	p.setJSONAlternate(href+path+"?f=json", mediaSchema)
	p.Links = []link{
		{Href: href + path + "?f=html", Rel: "self", Type: mediaHTML},
		{Href: href + path + "?f=json", Rel: "alternate", Type: mediaSchema, Title: "JSON Schema"},
		{Href: href + "?f=html", Rel: "collection", Type: mediaHTML, Title: l.Title},
	}
	var rows []schemaRow
	for _, m := range doc {
		if m.key != "properties" {
			continue
		}
		for _, prop := range m.value.(ordered) {
			row := schemaRow{Name: prop.key}
			for _, f := range prop.value.(ordered) {
				switch f.key {
				case "type":
					row.Type = f.value.(string) + row.Type
				case "format":
					row.Type += " (" + f.value.(string) + ")"
				case "description":
					row.Description = f.value.(string)
				case "enum":
					row.Enum = f.value.([]string)
				case "x-ogc-role":
					row.Role = f.value.(string)
				case "readOnly":
					row.ReadOnly = f.value.(bool)
				}
			}
			rows = append(rows, row)
		}
	}
	p.Body = rows
	return s.renderPage(w, "schema", p)
}

// tilesetsView is what a collection's tiles page shows.
type tilesetsView struct {
	TMS, TMSHref, DataType, Template string
	MinZoom, MaxZoom                 int
}

// tilesetsPage shows a collection's vector tileset.
func (s *Server) tilesetsPage(w http.ResponseWriter, r *http.Request, l *catalog.Layer, links []link) error {
	base := s.baseURL(r)
	href := base + "/collections/" + l.ID
	p := s.newPage(r, "")
	p.Title = p.Tf("title.tilesets", l.Title)
	p.Crumbs = append(p.Crumbs, crumb{Href: base + "/collections?f=html", Text: p.T("title.collections")},
		crumb{Href: href + "?f=html", Text: l.Title}, crumb{Text: p.Title})
	p.setJSONAlternate(href+"/tiles?f=json", mediaJSON)
	p.Links = pageLinks(links, href+"/tiles?f=html", href+"/tiles?f=json", mediaJSON)
	ts := s.tileset(l, base)
	p.Links = append(p.Links, ts["links"].([]link)...)
	p.Body = tilesetsView{
		TMS: tiles.TileMatrixSetTitle + " (" + tiles.TileMatrixSetID + ")", TMSHref: base + "/tileMatrixSets/" + tiles.TileMatrixSetID,
		DataType: "vector", MinZoom: l.MinZoom, MaxZoom: l.MaxZoom,
		Template: href + "/tiles/" + tiles.TileMatrixSetID + "/{tileMatrix}/{tileRow}/{tileCol}",
	}
	return s.renderPage(w, "tilesets", p)
}

// apiOperation is one operation of the API page.
type apiOperation struct {
	Method, Summary string
	Parameters      []struct{ Name, In, Description string }
	Responses       []string
}

// apiPath is one path of the API page.
type apiPath struct {
	Path       string
	Operations []apiOperation
}

// apiPage shows the OpenAPI document doc for a person: every path, its
// operations, their parameters and responses.
func (s *Server) apiPage(w http.ResponseWriter, r *http.Request, doc obj) error {
	base := s.baseURL(r)
	p := s.newPage(r, "")
	p.Title = p.T("title.api")
	p.Crumbs = append(p.Crumbs, crumb{Text: p.Title})
	p.setJSONAlternate(base+"/api?f=json", mediaOpenAPI)
	p.Links = []link{
		{Href: base + "/api?f=html", Rel: "self", Type: mediaHTML},
		{Href: base + "/api?f=json", Rel: "alternate", Type: mediaOpenAPI, Title: "OpenAPI 3.0"},
	}
	paths := doc["paths"].(obj)
	names := make([]string, 0, len(paths))
	for k := range paths {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []apiPath
	for _, name := range names {
		ap := apiPath{Path: name}
		ops := paths[name].(obj)
		for _, method := range []string{"get", "post", "put", "patch", "delete"} {
			o, ok := ops[method].(obj)
			if !ok {
				continue
			}
			op := apiOperation{Method: strings.ToUpper(method)}
			op.Summary, _ = o["summary"].(string)
			params, _ := o["parameters"].([]obj)
			for _, prm := range params {
				n, _ := prm["name"].(string)
				in, _ := prm["in"].(string)
				d, _ := prm["description"].(string)
				op.Parameters = append(op.Parameters, struct{ Name, In, Description string }{n, in, d})
			}
			for code := range o["responses"].(obj) {
				op.Responses = append(op.Responses, code)
			}
			slices.Sort(op.Responses)
			ap.Operations = append(ap.Operations, op)
		}
		out = append(out, ap)
	}
	info := doc["info"].(obj)
	p.Description, _ = info["description"].(string)
	p.Body = struct {
		OpenAPI, Version string
		Paths            []apiPath
	}{doc["openapi"].(string), s.cfg.Version, out}
	return s.renderPage(w, "api", p)
}

// alternateHeader links a JSON document that has no links member (a
// JSON Schema, the OpenAPI document) to its page, in a Link header
// (RFC 8288).
func alternateHeader(w http.ResponseWriter, href string) {
	w.Header().Add("Link", "<"+href+`>; rel="alternate"; type="`+mediaHTML+`"`)
}
