package httpapi

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/tiles"
)

// OGC API – Tiles 1.0 (OGC 20-057) over the catalog: the tile matrix set,
// each collection's list of tilesets (one: vector tiles in
// WebMercatorQuad) and that tileset's metadata (OGC 2D Tile Matrix Set and
// Tile Set Metadata 2.0). The tiles themselves are handleTile's.

// Link relations registered by the OGC (http://www.opengis.net/def/rel).
const (
	relTilesetsVector = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
	relTilingScheme   = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
	relTilingSchemes  = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
	relGeodata        = "http://www.opengis.net/def/rel/ogc/1.0/geodata"
	relConformance    = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
)

// tilesConformance are the OGC API – Tiles classes implemented.
var tilesConformance = []string{
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
}

// checkTileMatrixSet refuses a tile matrix set other than WebMercatorQuad
// with 404 (OGC 20-057 /req/core/tc-error).
func checkTileMatrixSet(id string) error {
	if id != tiles.TileMatrixSetID {
		return apperr.New("httpapi.tileMatrixSet", apperr.NotFound,
			"no tile matrix set %q: tiles are served in %s only", id, tiles.TileMatrixSetID)
	}
	return nil
}

func (s *Server) tileMatrixSetLink(base string) link {
	return link{Href: base + "/tileMatrixSets/" + tiles.TileMatrixSetID, Rel: relTilingScheme, Type: mediaJSON,
		Title: tiles.TileMatrixSetTitle + " (" + tiles.TileMatrixSetID + ")"}
}

func (s *Server) handleTileMatrixSets(w http.ResponseWriter, r *http.Request) error {
	if _, err := onlyFormat(r, "json"); err != nil {
		return err
	}
	base := s.baseURL(r)
	tms := s.tileMatrixSetLink(base)
	tms.Rel = "self"
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{
		"links": []link{{Href: base + "/tileMatrixSets", Rel: "self", Type: mediaJSON, Title: "tile matrix sets"}},
		"tileMatrixSets": []map[string]any{{
			"id": tiles.TileMatrixSetID, "title": tiles.TileMatrixSetTitle, "uri": tiles.TileMatrixSetURI, "crs": tiles.CRS,
			"links": []link{tms},
		}},
	})
}

// handleTileMatrixSet serves the registered definition as it is.
func (s *Server) handleTileMatrixSet(w http.ResponseWriter, r *http.Request) error {
	if err := checkTileMatrixSet(chi.URLParam(r, "tileMatrixSetId")); err != nil {
		return err
	}
	if _, err := onlyFormat(r, "json"); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Type", mediaJSON)
	_, err := w.Write(tiles.WebMercatorQuadJSON())
	return err
}

// handleTilesets lists a collection's tilesets (OGC 20-057 tilesets-list,
// geodata-tilesets).
func (s *Server) handleTilesets(w http.ResponseWriter, r *http.Request) error {
	l, err := s.layer(chi.URLParam(r, "collectionId"))
	if err != nil {
		return err
	}
	f, err := negotiate(w, r, "json")
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	href := base + "/collections/" + l.ID
	links := []link{
		{Href: href + "/tiles", Rel: "self", Type: mediaJSON, Title: "vector tilesets of " + l.Title},
		{Href: href + "/tiles?f=html", Rel: "alternate", Type: mediaHTML, Title: "vector tilesets of " + l.Title + " as HTML"},
		{Href: href, Rel: relGeodata, Type: mediaJSON, Title: l.Title},
	}
	if f == formatHTML {
		return s.tilesetsPage(w, r, l, links)
	}
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{
		"links":    links,
		"tilesets": []map[string]any{s.tileset(l, base)},
	})
}

// tileset is the part of a tileset's metadata that the list repeats.
func (s *Server) tileset(l *catalog.Layer, base string) map[string]any {
	return map[string]any{
		"title":            l.Title + " (vector tiles)",
		"dataType":         "vector",
		"crs":              tiles.CRS,
		"tileMatrixSetURI": tiles.TileMatrixSetURI,
		"links": []link{
			{Href: base + "/collections/" + l.ID + "/tiles/" + tiles.TileMatrixSetID, Rel: "self", Type: mediaJSON, Title: l.Title + " (vector tiles)"},
			s.tileMatrixSetLink(base),
		},
	}
}

// handleTileset describes a collection's vector tiles: zoom limits, the
// tile URL template, and the one MVT layer with its attributes (OGC 20-057
// /req/tileset/description).
func (s *Server) handleTileset(w http.ResponseWriter, r *http.Request) error {
	l, err := s.layer(chi.URLParam(r, "collectionId"))
	if err != nil {
		return err
	}
	if err := checkTileMatrixSet(chi.URLParam(r, "tileMatrixSetId")); err != nil {
		return err
	}
	if _, err := onlyFormat(r, "json"); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.TileMaxAge.Seconds())))
	h.Set("Vary", "Accept-Encoding")
	if notModified(w, r, s.layerTag(l)) {
		return nil
	}
	base := s.baseURL(r)
	collection := base + "/collections/" + l.ID
	ts := s.tileset(l, base)
	ts["description"] = l.Description
	if l.Attribution != "" {
		ts["attribution"] = l.Attribution
	}
	ts["mediaTypes"] = []string{mediaMVT}
	ts["tileMatrixSetLimits"] = tiles.MatrixLimits(l.MinZoom, l.MaxZoom)
	ts["links"] = append(ts["links"].([]link),
		link{Href: collection + "/tiles/" + tiles.TileMatrixSetID + "/{tileMatrix}/{tileRow}/{tileCol}", Rel: "item", Type: mediaMVT,
			Title: l.Title + " as Mapbox vector tiles", Templated: true},
		link{Href: base + "/tiles/" + l.ID + ".json", Rel: "alternate", Type: mediaJSON, Title: "TileJSON 3.0.0 of these tiles"},
		link{Href: collection, Rel: relGeodata, Type: mediaJSON, Title: l.Title},
		link{Href: base + "/conformance", Rel: relConformance, Type: mediaJSON, Title: "conformance classes"},
	)
	layer := map[string]any{
		"id":               l.ID, // the MVT layer's name
		"title":            l.Title,
		"description":      l.Description,
		"dataType":         "vector",
		"minTileMatrix":    strconv.Itoa(l.MinZoom),
		"maxTileMatrix":    strconv.Itoa(l.MaxZoom),
		"propertiesSchema": map[string]any{"type": "object", "properties": tilePropertiesSchema(l)},
		"links":            []link{{Href: collection, Rel: relGeodata, Type: mediaJSON, Title: l.Title}},
	}
	if d, ok := geometryDimension(l.GeomType); ok {
		layer["geometryDimension"] = d
	}
	b, ok, err := s.features.Extent(r.Context(), l)
	if err != nil {
		return err
	}
	if ok {
		box := map[string]any{"lowerLeft": []float64{b.Min[0], b.Min[1]}, "upperRight": []float64{b.Max[0], b.Max[1]}, "crs": geo.WGS84.URI()}
		ts["boundingBox"], layer["boundingBox"] = box, box
	}
	ts["layers"] = []map[string]any{layer}
	return writeJSON(w, http.StatusOK, mediaJSON, ts)
}

// geometryDimension is 0 for points, 1 for lines, 2 for polygons.
func geometryDimension(geomType string) (int, bool) {
	switch geomType {
	case "Point", "MultiPoint":
		return 0, true
	case "LineString", "MultiLineString":
		return 1, true
	case "Polygon", "MultiPolygon":
		return 2, true
	}
	return 0, false
}

// tileAttribute is one attribute of a layer's vector tiles.
type tileAttribute struct {
	Name        string
	Description string
	Property    *catalog.Property // nil for attributes a tile function makes
}

// tileAttributes lists what a layer's tiles carry besides the geometry: the
// tile properties, plus a string id (integer ids are the MVT feature id),
// or what its tile function writes.
func tileAttributes(l *catalog.Layer) []tileAttribute {
	var out []tileAttribute
	if l.TileFields != nil {
		for name, desc := range l.TileFields {
			a := tileAttribute{Name: name, Description: desc}
			if p, ok := l.Property(name); ok {
				a.Property = &p
			}
			out = append(out, a)
		}
		return out
	}
	hasID := false
	for _, p := range l.TileProps() {
		out = append(out, tileAttribute{Name: p.Name, Description: p.Description, Property: &p})
		hasID = hasID || p.Name == l.IDColumn
	}
	if !hasID && l.IDType == catalog.String {
		out = append(out, tileAttribute{Name: l.IDColumn, Description: "feature id",
			Property: &catalog.Property{Name: l.IDColumn, Type: catalog.String}})
	}
	return out
}

// tilePropertiesSchema describes the tile attributes as JSON Schema, as the
// tileset metadata's propertiesSchema wants them.
func tilePropertiesSchema(l *catalog.Layer) map[string]any {
	props := map[string]any{}
	for _, a := range tileAttributes(l) {
		schema := obj{}
		if a.Property != nil {
			schema = propertySchema(*a.Property)
		}
		if a.Description != "" {
			schema["description"] = a.Description
		}
		props[a.Name] = schema
	}
	return props
}
