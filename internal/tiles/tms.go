package tiles

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"strconv"
)

// WebMercatorQuad, the tile matrix set of every tile served, as the OGC
// registers it (OGC Two Dimensional Tile Matrix Set 2.0, annex D).
const (
	TileMatrixSetID    = "WebMercatorQuad"
	TileMatrixSetTitle = "Google Maps Compatible for the World"
	TileMatrixSetURI   = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
	// CRS is the tile matrix set's coordinate reference system, EPSG:3857.
	CRS = "http://www.opengis.net/def/crs/EPSG/0/3857"
)

// registeredJSON is the registered definition, byte for byte as the OGC
// publishes it (registry/json/WebMercatorQuad.json in
// opengeospatial/2D-Tile-Matrix-Set): 25 tile matrices, zoom 0 to 24, with
// the registry's scale denominators and cell sizes.
//
//go:embed webmercatorquad.json
var registeredJSON []byte

// webMercatorQuadJSON is what the service serves: the registered
// definition plus the members of the TMS 1.0 encoding that older clients
// read instead (GDAL 3.6's OGCAPI driver parses only identifier,
// supportedCRS, boundingBox and each matrix's identifier and
// topLeftCorner). TMS 2.0 allows additional members, so the document is
// still a valid 2.0 definition with every registered value unchanged.
var webMercatorQuadJSON = withTMS1Members(registeredJSON)

// WebMercatorQuadJSON returns the tile matrix set definition as served.
func WebMercatorQuadJSON() []byte { return webMercatorQuadJSON }

// RegisteredWebMercatorQuadJSON returns the OGC's registered definition.
func RegisteredWebMercatorQuadJSON() []byte { return registeredJSON }

func withTMS1Members(registered []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(registered))
	dec.UseNumber() // keeps the registered digits
	var tms map[string]any
	if err := dec.Decode(&tms); err != nil {
		panic("tiles: the embedded tile matrix set: " + err.Error()) // caught by any test
	}
	const half = "20037508.3427892" // the registered point of origin
	lower := []json.Number{"-" + half, "-" + half}
	upper := []json.Number{half, half}
	tms["identifier"] = tms["id"]
	tms["supportedCRS"] = tms["crs"]
	tms["boundingBox"] = map[string]any{"crs": tms["crs"], "lowerLeft": lower, "upperRight": upper, "lowerCorner": lower, "upperCorner": upper}
	for _, m := range tms["tileMatrices"].([]any) {
		m := m.(map[string]any)
		m["identifier"] = m["id"]
		m["topLeftCorner"] = m["pointOfOrigin"]
	}
	out, err := json.MarshalIndent(tms, "", " ")
	if err != nil {
		panic("tiles: the tile matrix set: " + err.Error())
	}
	return append(out, '\n')
}

// Limits are the tile rows and columns a tile set has at one tile matrix
// (zoom), as OGC 2D TMS 2.0 tileMatrixSetLimits list them.
type Limits struct {
	TileMatrix string `json:"tileMatrix"`
	MinTileRow int    `json:"minTileRow"`
	MaxTileRow int    `json:"maxTileRow"`
	MinTileCol int    `json:"minTileCol"`
	MaxTileCol int    `json:"maxTileCol"`
}

// MatrixLimits returns the limits of a layer served from zoom minZoom to
// maxZoom: every tile of each of those zooms, since a tile outside the data
// is an empty tile, not a missing one; the zooms not listed have none.
func MatrixLimits(minZoom, maxZoom int) []Limits {
	var out []Limits
	for z := minZoom; z <= maxZoom; z++ {
		last := 1<<z - 1
		out = append(out, Limits{TileMatrix: strconv.Itoa(z), MaxTileRow: last, MaxTileCol: last})
	}
	return out
}
