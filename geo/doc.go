// Package geo holds Atlante's DB-free geometry vocabulary on orb types: tile
// addresses of the WebMercatorQuad tile matrix set, the OGC API bbox
// parameter, CRS identifiers (OGC URIs, URNs, EPSG codes and Shapefile .prj
// files), the tile geometry the SQL side needs, and the limits on every
// geometry that comes from outside (Limits: vertices, rings, parts, holes,
// nesting, and a bounded count of self-crossings), checked without GEOS
// before any GEOS call.
//
// Every parser here takes untrusted input (a URL path segment, a query value,
// a file's contents) and either returns a valid value or an *Error naming the
// offending field; none of them panics.
//
// Geometry checks and repair, the only use of GEOS, live in the subpackage
// repair.
package geo

import "strconv"

// An Error reports an invalid value given to one of the parsers of this
// package. Field names the input ("z", "x", "y", "bbox", "crs", "prj") and Msg
// says what is wrong with it; the message is safe to show to a client.
type Error struct {
	Field string
	Msg   string
}

// Error returns "field: msg".
func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func errorf(field, msg string) *Error { return &Error{Field: field, Msg: msg} }

// maxQuoted bounds how much of a client's input is echoed back in an error.
const maxQuoted = 40

// quote returns s quoted for an error message, shortened when it is long.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "…"
	}
	return strconv.Quote(s)
}
