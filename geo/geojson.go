package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// positionDepth is, for each GeoJSON geometry type, how deep positions sit
// in its coordinates (RFC 7946 §3.1): 1 for a Point, whose coordinates are
// one position, up to 4 for a MultiPolygon.
var positionDepth = map[string]int{
	"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4,
}

// CheckGeoJSON reports what orb's GeoJSON decoder would read wrongly in a
// GeoJSON text (a geometry, a Feature or a FeatureCollection): a position
// that is not an array of at least two numbers (null, [], [9.7] are read as
// zeros, so an area would silently reach (0, 0)), a value other than arrays
// and numbers among coordinates, and a null member of a GeometryCollection,
// a FeatureCollection or a Feature's geometry where a GeoJSON object
// belongs (orb panics on the first). b must be valid JSON. The error is a
// *Error on the field "geometry".
func CheckGeoJSON(b []byte) error {
	return checkGeoJSON(b, 0)
}

// geoJSONObject holds the members of any GeoJSON object that hold others.
type geoJSONObject struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
	Geometry    json.RawMessage   `json:"geometry"`
	Features    []json.RawMessage `json:"features"`
}

// maxGeoJSONDepth bounds the nesting of GeoJSON objects walked: far more
// than Limits.Depth, which refuses the geometry anyway.
const maxGeoJSONDepth = 64

func checkGeoJSON(b []byte, depth int) error {
	if depth > maxGeoJSONDepth {
		return errorf("geometry", fmt.Sprintf("GeoJSON objects nested more than %d deep", maxGeoJSONDepth))
	}
	var o geoJSONObject
	if err := json.Unmarshal(b, &o); err != nil {
		return nil // not an object of this shape: orb's decoder says what is wrong
	}
	members := func(kind string, raws []json.RawMessage) error {
		for i, m := range raws {
			if isNull(m) {
				return errorf("geometry", fmt.Sprintf("member %d of the %s is null; remove it", i+1, kind))
			}
			if err := checkGeoJSON(m, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	switch o.Type {
	case "GeometryCollection":
		return members("GeometryCollection", o.Geometries)
	case "FeatureCollection":
		return members("FeatureCollection", o.Features)
	case "Feature":
		if len(o.Geometry) == 0 || isNull(o.Geometry) {
			return nil // a feature without geometry: its reader decides
		}
		return checkGeoJSON(o.Geometry, depth+1)
	}
	d, ok := positionDepth[o.Type]
	if !ok || len(o.Coordinates) == 0 {
		return nil
	}
	if err := checkCoordinates(o.Coordinates, d); err != nil {
		return errorf("geometry", "the "+o.Type+"'s coordinates "+err.Error())
	}
	return nil
}

func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// checkCoordinates scans the coordinates of a geometry whose positions sit
// at depth d: arrays above d hold arrays only, arrays at d (positions) hold
// two or more numbers, nothing is deeper. b is valid JSON.
func checkCoordinates(b []byte, d int) error {
	depth := 0
	count := 0 // elements of the array being read at depth d
	position := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			continue
		case c == '[':
			depth++
			if depth > d {
				return fmt.Errorf("nest arrays deeper than positions (at position %d)", position+1)
			}
			count = 0
		case c == ']':
			if depth == d {
				position++
				if count < 2 {
					return fmt.Errorf("hold a position with %d numbers (position %d); a position is [longitude, latitude]", count, position)
				}
			}
			depth--
		case c == '-' || ('0' <= c && c <= '9'):
			if depth != d {
				if depth == 0 {
					return fmt.Errorf("are a number; they must be an array")
				}
				return fmt.Errorf("hold a number where an array belongs (after position %d)", position)
			}
			count++
			for i+1 < len(b) && bytes.IndexByte([]byte("0123456789.eE+-"), b[i+1]) >= 0 {
				i++
			}
		default: // null, true, false, a string or an object
			what := "a value"
			switch c {
			case 'n':
				what = "null"
			case 't', 'f':
				what = "a boolean"
			case '"':
				what = "a string"
			case '{':
				what = "an object"
			}
			if depth == d {
				return fmt.Errorf("hold %s in a position (position %d); a position is [longitude, latitude]", what, position+1)
			}
			return fmt.Errorf("hold %s where an array of positions belongs (after position %d)", what, position)
		}
	}
	return nil
}
