package tiles_test

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/tiles"
)

type tileMatrixSet struct {
	ID                string   `json:"id"`
	URI               string   `json:"uri"`
	CRS               string   `json:"crs"`
	OrderedAxes       []string `json:"orderedAxes"`
	WellKnownScaleSet string   `json:"wellKnownScaleSet"`
	TileMatrices      []struct {
		ID               string     `json:"id"`
		ScaleDenominator float64    `json:"scaleDenominator"`
		CellSize         float64    `json:"cellSize"`
		PointOfOrigin    [2]float64 `json:"pointOfOrigin"`
		TileWidth        int        `json:"tileWidth"`
		TileHeight       int        `json:"tileHeight"`
		MatrixWidth      int        `json:"matrixWidth"`
		MatrixHeight     int        `json:"matrixHeight"`
	} `json:"tileMatrices"`
}

// TestWebMercatorQuad checks the served definition against the registered
// one's values and against the tiles this package serves: the tile matrix
// z, row y, column x covers the same ground as orb's tile z/x/y.
func TestWebMercatorQuad(t *testing.T) {
	var tms tileMatrixSet
	if err := json.Unmarshal(tiles.WebMercatorQuadJSON(), &tms); err != nil {
		t.Fatal(err)
	}
	// Every registered member is served unchanged, digits included.
	var registered, served map[string]any
	for _, d := range []struct {
		b []byte
		v *map[string]any
	}{{tiles.RegisteredWebMercatorQuadJSON(), &registered}, {tiles.WebMercatorQuadJSON(), &served}} {
		dec := json.NewDecoder(bytes.NewReader(d.b))
		dec.UseNumber()
		if err := dec.Decode(d.v); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range registered {
		if k == "tileMatrices" {
			continue
		}
		if !reflect.DeepEqual(served[k], v) {
			t.Errorf("%s = %v, registered %v", k, served[k], v)
		}
	}
	for i, m := range registered["tileMatrices"].([]any) {
		for k, v := range m.(map[string]any) {
			if got := served["tileMatrices"].([]any)[i].(map[string]any)[k]; !reflect.DeepEqual(got, v) {
				t.Errorf("tileMatrices[%d].%s = %v, registered %v", i, k, got, v)
			}
		}
	}
	if tms.ID != tiles.TileMatrixSetID || tms.URI != tiles.TileMatrixSetURI || tms.CRS != tiles.CRS {
		t.Errorf("id, uri, crs = %s, %s, %s", tms.ID, tms.URI, tms.CRS)
	}
	if tms.WellKnownScaleSet != "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible" || len(tms.OrderedAxes) != 2 || tms.OrderedAxes[0] != "X" {
		t.Errorf("wellKnownScaleSet %s, orderedAxes %v", tms.WellKnownScaleSet, tms.OrderedAxes)
	}
	if len(tms.TileMatrices) != 25 {
		t.Fatalf("%d tile matrices, want 25 (zoom 0 to 24)", len(tms.TileMatrices))
	}
	// Values of the registered definition (OGC 17-083r4, annex D).
	registeredValues := map[int][2]float64{
		0:  {559082264.028717, 156543.033928041},
		12: {136494.693366386, 38.2185141425881},
		24: {33.3238997476528, 0.0093306919293428},
	}
	const halfWorld = 20037508.3427892
	for z, m := range tms.TileMatrices {
		if m.ID != strconv.Itoa(z) || m.MatrixWidth != 1<<z || m.MatrixHeight != 1<<z || m.TileWidth != 256 || m.TileHeight != 256 {
			t.Errorf("matrix %d: %+v", z, m)
		}
		if m.PointOfOrigin != [2]float64{-halfWorld, halfWorld} {
			t.Errorf("matrix %d: origin %v", z, m.PointOfOrigin)
		}
		if got := m.CellSize * 256 * float64(m.MatrixWidth); math.Abs(got-2*halfWorld) > 1e-4 {
			t.Errorf("matrix %d: cellSize %v spans %v m, want %v", z, m.CellSize, got, 2*halfWorld)
		}
		if got := m.CellSize / 0.00028; math.Abs(got-m.ScaleDenominator)/m.ScaleDenominator > 1e-12 {
			t.Errorf("matrix %d: scaleDenominator %v, want cellSize / 0.28 mm = %v", z, m.ScaleDenominator, got)
		}
		if want, ok := registeredValues[z]; ok && (m.ScaleDenominator != want[0] || m.CellSize != want[1]) {
			t.Errorf("matrix %d: scaleDenominator, cellSize = %v, %v, want the registered %v", z, m.ScaleDenominator, m.CellSize, want)
		}
	}

	// Tile 12/2158/1467 (Crema) in the matrix: column 2158, row 1467.
	tile := maptile.New(2158, 1467, 12)
	m := tms.TileMatrices[12]
	side := m.CellSize * float64(m.TileWidth)
	minX, maxY := m.PointOfOrigin[0]+float64(tile.X)*side, m.PointOfOrigin[1]-float64(tile.Y)*side
	b := tile.Bound()
	const r = 6378137.0
	lon := func(x float64) float64 { return x / r * 180 / math.Pi }
	lat := func(y float64) float64 { return (2*math.Atan(math.Exp(y/r)) - math.Pi/2) * 180 / math.Pi }
	for _, c := range [][2]float64{{lon(minX), b.Min[0]}, {lon(minX + side), b.Max[0]}, {lat(maxY), b.Max[1]}, {lat(maxY - side), b.Min[1]}} {
		if math.Abs(c[0]-c[1]) > 1e-9 {
			t.Errorf("tile %v: the matrix puts an edge at %.10f, orb at %.10f", tile, c[0], c[1])
		}
	}
}

// TestWebMercatorQuadTMS1 checks the members a TMS 1.0 reader (GDAL 3.6)
// looks for.
func TestWebMercatorQuadTMS1(t *testing.T) {
	var tms struct {
		Identifier   string `json:"identifier"`
		SupportedCRS string `json:"supportedCRS"`
		BoundingBox  struct {
			LowerCorner []float64 `json:"lowerCorner"`
			UpperCorner []float64 `json:"upperCorner"`
			LowerLeft   []float64 `json:"lowerLeft"`
		} `json:"boundingBox"`
		TileMatrices []struct {
			Identifier    string     `json:"identifier"`
			TopLeftCorner [2]float64 `json:"topLeftCorner"`
		} `json:"tileMatrices"`
	}
	if err := json.Unmarshal(tiles.WebMercatorQuadJSON(), &tms); err != nil {
		t.Fatal(err)
	}
	if tms.Identifier != "WebMercatorQuad" || tms.SupportedCRS != tiles.CRS || len(tms.BoundingBox.LowerCorner) != 2 ||
		tms.BoundingBox.UpperCorner[0] != 20037508.3427892 || len(tms.BoundingBox.LowerLeft) != 2 {
		t.Errorf("TMS 1.0 members: %+v", tms)
	}
	for z, m := range tms.TileMatrices {
		if m.Identifier != strconv.Itoa(z) || m.TopLeftCorner != [2]float64{-20037508.3427892, 20037508.3427892} {
			t.Errorf("matrix %d: identifier %q, topLeftCorner %v", z, m.Identifier, m.TopLeftCorner)
		}
	}
}

func TestMatrixLimits(t *testing.T) {
	ls := tiles.MatrixLimits(8, 10)
	if len(ls) != 3 || ls[0].TileMatrix != "8" || ls[0].MaxTileRow != 255 || ls[2].TileMatrix != "10" || ls[2].MaxTileCol != 1023 || ls[2].MinTileRow != 0 {
		t.Errorf("MatrixLimits(8, 10) = %+v", ls)
	}
}
