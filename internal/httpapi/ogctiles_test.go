package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/internal/testserver"
	"github.com/cremasco/atlante/internal/tiles"
)

// OGC relation types the client follows.
const (
	relTilesetsVector = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
	relTilingScheme   = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
	relTilingSchemes  = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
)

type tilesetDoc struct {
	Title               string         `json:"title"`
	DataType            string         `json:"dataType"`
	CRS                 string         `json:"crs"`
	TileMatrixSetURI    string         `json:"tileMatrixSetURI"`
	Links               []link         `json:"links"`
	TileMatrixSetLimits []tiles.Limits `json:"tileMatrixSetLimits"`
	BoundingBox         *struct {
		LowerLeft  []float64 `json:"lowerLeft"`
		UpperRight []float64 `json:"upperRight"`
		CRS        string    `json:"crs"`
	} `json:"boundingBox"`
	Layers []struct {
		ID                string `json:"id"`
		DataType          string `json:"dataType"`
		GeometryDimension *int   `json:"geometryDimension"`
		MinTileMatrix     string `json:"minTileMatrix"`
		MaxTileMatrix     string `json:"maxTileMatrix"`
		PropertiesSchema  struct {
			Type       string                    `json:"type"`
			Properties map[string]map[string]any `json:"properties"`
		} `json:"propertiesSchema"`
		Links []link `json:"links"`
	} `json:"layers"`
}

// linkOf returns the first link with the relation (and media type, if
// given), failing the test when there is none.
func linkOf(tb testing.TB, links []link, relation, mediaType string) link {
	tb.Helper()
	for _, l := range links {
		if l.Rel == relation && (mediaType == "" || l.Type == mediaType) {
			return l
		}
	}
	tb.Fatalf("no link rel=%s type=%s among %+v", relation, mediaType, links)
	return link{}
}

// TestOGCTiles follows the links of OGC API – Tiles from the landing page
// and a collection down to a tile, as a client does (OGC 20-057 core,
// tileset, tilesets-list, geodata-tilesets, mvt).
func TestOGCTiles(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})

	t.Run("conformance", func(t *testing.T) {
		var c struct {
			ConformsTo []string `json:"conformsTo"`
		}
		getJSON(t, s.URL+"/conformance", "application/json", &c)
		for _, class := range []string{"core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "oas30"} {
			if want := "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/" + class; !slices.Contains(c.ConformsTo, want) {
				t.Errorf("conformsTo has no %s", want)
			}
		}
	})

	t.Run("tile_matrix_sets", func(t *testing.T) {
		var lp struct {
			Links []link `json:"links"`
		}
		getJSON(t, s.URL+"/", "application/json", &lp)
		var list struct {
			TileMatrixSets []struct {
				ID    string `json:"id"`
				URI   string `json:"uri"`
				Links []link `json:"links"`
			} `json:"tileMatrixSets"`
		}
		getJSON(t, linkOf(t, lp.Links, relTilingSchemes, "application/json").Href, "application/json", &list)
		if len(list.TileMatrixSets) != 1 || list.TileMatrixSets[0].ID != "WebMercatorQuad" || list.TileMatrixSets[0].URI != tiles.TileMatrixSetURI {
			t.Fatalf("tileMatrixSets = %+v, want WebMercatorQuad", list.TileMatrixSets)
		}
		res, body := get(t, linkOf(t, list.TileMatrixSets[0].Links, "self", "application/json").Href, http.StatusOK)
		checkMediaType(t, res, "application/json")
		if !bytes.Equal(body, tiles.WebMercatorQuadJSON()) {
			t.Errorf("the tile matrix set served is not the definition of package tiles")
		}
		res, body = get(t, s.URL+"/tileMatrixSets/WorldCRS84Quad", http.StatusNotFound)
		checkMediaType(t, res, "application/problem+json")
		if !strings.Contains(string(body), "WebMercatorQuad") {
			t.Errorf("404 for another tile matrix set does not name the one served: %s", body)
		}
	})

	var collection struct {
		Links []link `json:"links"`
	}
	getJSON(t, s.URL+"/collections/comuni", "application/json", &collection)
	var list struct {
		Links    []link       `json:"links"`
		Tilesets []tilesetDoc `json:"tilesets"`
	}
	getJSON(t, linkOf(t, collection.Links, relTilesetsVector, "application/json").Href, "application/json", &list)
	if len(list.Tilesets) != 1 {
		t.Fatalf("tilesets = %+v, want one", list.Tilesets)
	}
	var ts tilesetDoc
	getJSON(t, linkOf(t, list.Tilesets[0].Links, "self", "application/json").Href, "application/json", &ts)

	t.Run("collection_links", func(t *testing.T) {
		// The tiles template lives in the tileset; rel=item in a
		// collection means its features, and describedby its schema.
		for _, l := range collection.Links {
			if l.Rel == "item" || (l.Rel == "describedby" && strings.Contains(l.Href, "/tiles/")) {
				t.Errorf("collection link %+v", l)
			}
		}
		var tj struct {
			TileJSON string `json:"tilejson"`
		}
		getJSON(t, linkOf(t, collection.Links, "related", "application/json").Href, "application/json", &tj)
		if tj.TileJSON != "3.0.0" {
			t.Errorf("the collection's related JSON link is not the TileJSON")
		}
	})

	t.Run("tilesets_list", func(t *testing.T) {
		got := list.Tilesets[0]
		if got.DataType != "vector" || got.CRS != tiles.CRS || got.TileMatrixSetURI != tiles.TileMatrixSetURI || got.Title == "" {
			t.Errorf("tileset in the list = %+v", got)
		}
		if href := linkOf(t, got.Links, relTilingScheme, "").Href; href != s.URL+"/tileMatrixSets/WebMercatorQuad" {
			t.Errorf("tiling-scheme link = %s", href)
		}
	})

	t.Run("tileset", func(t *testing.T) {
		if ts.DataType != "vector" || ts.CRS != tiles.CRS || ts.TileMatrixSetURI != tiles.TileMatrixSetURI {
			t.Errorf("dataType, crs, tileMatrixSetURI = %s, %s, %s", ts.DataType, ts.CRS, ts.TileMatrixSetURI)
		}
		if len(ts.TileMatrixSetLimits) != 17 {
			t.Fatalf("%d tileMatrixSetLimits, want zooms 0 to 16", len(ts.TileMatrixSetLimits))
		}
		for z, l := range ts.TileMatrixSetLimits {
			if l != (tiles.Limits{TileMatrix: fmt.Sprint(z), MaxTileRow: 1<<z - 1, MaxTileCol: 1<<z - 1}) {
				t.Errorf("limits of zoom %d = %+v", z, l)
			}
		}
		if b := ts.BoundingBox; b == nil || !cremasco.Contains(orb.Point{b.LowerLeft[0], b.LowerLeft[1]}) || !cremasco.Contains(orb.Point{b.UpperRight[0], b.UpperRight[1]}) {
			t.Errorf("boundingBox = %+v, want the Cremasco", ts.BoundingBox)
		}
		if len(ts.Layers) != 1 {
			t.Fatalf("layers = %+v, want one", ts.Layers)
		}
		l := ts.Layers[0]
		if l.ID != "comuni" || l.DataType != "vector" || l.MinTileMatrix != "0" || l.MaxTileMatrix != "16" || l.GeometryDimension == nil || *l.GeometryDimension != 2 {
			t.Errorf("layer = %+v", l)
		}
		types := map[string]any{}
		for name, p := range l.PropertiesSchema.Properties {
			types[name] = p["type"]
		}
		if want := map[string]any{"istat_code": "string", "name": "string", "consortium": "boolean", "synthetic": "boolean"}; fmt.Sprint(types) != fmt.Sprint(want) {
			t.Errorf("layer attributes = %v, want %v", types, want)
		}
		if href := linkOf(t, l.Links, "http://www.opengis.net/def/rel/ogc/1.0/geodata", "").Href; href != s.URL+"/collections/comuni" {
			t.Errorf("layer geodata link = %s", href)
		}
		tj := linkOf(t, ts.Links, "alternate", "application/json")
		if tj.Href != s.URL+"/tiles/comuni.json" {
			t.Errorf("alternate (TileJSON) = %s", tj.Href)
		}
	})

	t.Run("tile_template", func(t *testing.T) {
		item := linkOf(t, ts.Links, "item", "application/vnd.mapbox-vector-tile")
		if !item.Templated {
			t.Errorf("item link %+v is not templated", item)
		}
		u := strings.NewReplacer("{tileMatrix}", fmt.Sprint(cremaTile.Z), "{tileRow}", fmt.Sprint(cremaTile.Y), "{tileCol}", fmt.Sprint(cremaTile.X)).Replace(item.Href)
		res, body := get(t, u, http.StatusOK)
		checkMediaType(t, res, "application/vnd.mapbox-vector-tile")
		ga, _ := json.Marshal(tileFeatures(t, decodeTile(t, body, cremaTile)))
		_, plain := get(t, s.URL+tilePath("comuni", cremaTile), http.StatusOK)
		gb, _ := json.Marshal(tileFeatures(t, decodeTile(t, plain, cremaTile)))
		if !bytes.Equal(ga, gb) || !strings.Contains(string(ga), crema) {
			t.Errorf("the template's tile differs from %s or misses Crema", tilePath("comuni", cremaTile))
		}
		tms := linkOf(t, ts.Links, relTilingScheme, "application/json")
		get(t, tms.Href, http.StatusOK)
	})

	t.Run("out_of_range", func(t *testing.T) {
		// OGC 20-057 /req/core/tc-error: 404 or 400, as problem+json.
		tests := []struct {
			path   string
			status int
			detail string
		}{
			{"/collections/comuni/tiles/WebMercatorQuad/17/0/0", 404, "zoom"},
			{"/collections/comuni/tiles/WebMercatorQuad/3/8/0", 400, "y"},
			{"/collections/comuni/tiles/WebMercatorQuad/3/0/8", 400, "x"},
			{"/collections/comuni/tiles/WorldCRS84Quad/3/0/0", 404, "WebMercatorQuad"},
			{"/collections/comuni/tiles/WorldCRS84Quad", 404, "WebMercatorQuad"},
			{"/collections/nope/tiles", 404, "comuni"},
			{"/collections/nope/tiles/WebMercatorQuad", 404, "comuni"},
			{"/collections/comuni/tiles?f=xml", 400, "xml"},
		}
		for _, tt := range tests {
			res, body := get(t, s.URL+tt.path, tt.status)
			checkMediaType(t, res, "application/problem+json")
			if !strings.Contains(string(body), tt.detail) {
				t.Errorf("%s: problem %s does not mention %q", tt.path, body, tt.detail)
			}
		}
	})

	t.Run("openapi", func(t *testing.T) {
		var doc struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
			} `json:"paths"`
		}
		getJSON(t, s.URL+"/api", "application/vnd.oai.openapi+json;version=3.0", &doc)
		for path, opID := range map[string]string{
			"/collections/comuni/tiles":                                                    "comuni.collection.vector.getTileSetsList",
			"/collections/comuni/tiles/{tileMatrixSetId}":                                  "comuni.collection.vector.getTileSet",
			"/collections/comuni/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": "comuni.collection.vector.getTile",
			"/tileMatrixSets":                   "getTileMatrixSetsList",
			"/tileMatrixSets/{tileMatrixSetId}": "getTileMatrixSet",
		} {
			if got := doc.Paths[path]["get"].OperationID; got != opID {
				t.Errorf("GET %s operationId = %q, want %q", path, got, opID)
			}
		}
	})
}
