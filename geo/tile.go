package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// MaxZoom is the deepest zoom level (tile matrix) of WebMercatorQuad that
// Atlante serves; OGC 17-083r4 Annex D defines WebMercatorQuad down to 24.
const MaxZoom maptile.Zoom = 24

// maxDigits bounds a tile index: 2^24-1 = 16777215 has 8 digits.
const maxDigits = 8

// ParseTile parses the {z}/{x}/{y} path segments of a tile URL (in OGC API –
// Tiles terms tileMatrix/tileCol/tileRow of WebMercatorQuad). Each must be a
// base-10 integer written the canonical way: digits only, no sign, spaces or
// leading zeros, so that one tile has exactly one URL (and one cache entry);
// the WebMercatorQuad tile matrix identifiers are "0".."24" anyway. z must be
// in 0..MaxZoom and x, y in 0..2^z-1. The error is an *Error naming the field.
func ParseTile(z, x, y string) (maptile.Tile, error) {
	zv, err := parseIndex("z", z)
	if err != nil {
		return maptile.Tile{}, err
	}
	if zv > uint64(MaxZoom) {
		return maptile.Tile{}, errorf("z", fmt.Sprintf("%d is outside 0..%d", zv, MaxZoom))
	}
	n := uint64(1) << zv
	xv, err := parseIndex("x", x)
	if err != nil {
		return maptile.Tile{}, err
	}
	if xv >= n {
		return maptile.Tile{}, errorf("x", fmt.Sprintf("%d is outside 0..%d at zoom %d", xv, n-1, zv))
	}
	yv, err := parseIndex("y", y)
	if err != nil {
		return maptile.Tile{}, err
	}
	if yv >= n {
		return maptile.Tile{}, errorf("y", fmt.Sprintf("%d is outside 0..%d at zoom %d", yv, n-1, zv))
	}
	return maptile.New(uint32(xv), uint32(yv), maptile.Zoom(zv)), nil
}

// parseIndex parses a canonical non-negative decimal integer of at most
// maxDigits digits. strconv.ParseUint alone would accept "0x1f" or "1_0"
// with base 0, or "+1" in ParseInt, so the digits are checked by hand.
func parseIndex(field, s string) (uint64, error) {
	if s == "" {
		return 0, errorf(field, "is empty, want a non-negative integer")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errorf(field, quote(s)+" is not an integer")
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, errorf(field, quote(s)+" has a leading zero")
	}
	if len(s) > maxDigits {
		return 0, errorf(field, quote(s)+" is too large")
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	return v, nil
}

// earthHalfCircumference is the EPSG:3857 half-width of the world in metres,
// π × 6378137 (the WGS 84 semi-major axis): the origin of WebMercatorQuad is
// (-earthHalfCircumference, +earthHalfCircumference).
const earthHalfCircumference = math.Pi * 6378137

// TileBounds3857 returns the extent of t in EPSG:3857 metres, the same
// envelope PostGIS's ST_TileEnvelope(z, x, y) computes. Y grows southwards in
// tile rows and northwards in metres.
func TileBounds3857(t maptile.Tile) orb.Bound {
	size := tileSize3857(t.Z)
	minX := -earthHalfCircumference + float64(t.X)*size
	maxY := earthHalfCircumference - float64(t.Y)*size
	return orb.Bound{
		Min: orb.Point{minX, maxY - size},
		Max: orb.Point{minX + size, maxY},
	}
}

// tileSize3857 is the width of a tile at zoom z in EPSG:3857 metres.
func tileSize3857(z maptile.Zoom) float64 {
	return 2 * earthHalfCircumference / math.Exp2(float64(z))
}

// DefaultExtent is the MVT default tile extent (Mapbox Vector Tile spec 2.1,
// §4.1: "extent ... default 4096").
const DefaultExtent = 4096

// PixelSize returns the size in EPSG:3857 metres of one tile unit at zoom z
// when a tile is divided into extent units per side, as ST_AsMVTGeom does:
// useful for simplification tolerances and snapping. An extent of 0 means
// DefaultExtent.
func PixelSize(z maptile.Zoom, extent uint32) float64 {
	if extent == 0 {
		extent = DefaultExtent
	}
	return tileSize3857(z) / float64(extent)
}
