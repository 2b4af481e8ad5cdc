// Package features serves OGC API – Features items over any catalog layer.
// PostgreSQL encodes each feature as GeoJSON text and Go streams the rows to
// the client as they arrive, so memory does not grow with the page size.
package features

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
)

// Paging limits. MaxLimit is published in the OpenAPI document, where GDAL
// and QGIS read it to choose their page size.
const (
	DefaultLimit = 10
	MaxLimit     = 10000
	MaxOffset    = 10_000_000
)

// Filter is an equality condition on one property.
type Filter struct {
	Property catalog.Property
	Value    any    // typed for the column
	Raw      string // as given, for links
}

// Query is a validated items request.
type Query struct {
	BBox    *orb.Bound
	Limit   int
	Offset  int
	Filters []Filter
}

// crsParams may only name CRS84 until OGC API – Features Part 2 is
// implemented.
var crsParams = []string{"crs", "bbox-crs"}

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ParseQuery validates the query string of an items request against the
// layer: reserved parameters, then one equality filter per known property.
// Every problem is an apperr.Invalid naming the parameter.
func ParseQuery(l *catalog.Layer, v url.Values) (Query, error) {
	const op = "features.ParseQuery"
	q := Query{Limit: DefaultLimit}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := v[k]
		if len(vals) > 1 {
			return q, apperr.Invalidf(op, k, "given %d times; give it once", len(vals))
		}
		val := vals[0]
		switch {
		case k == "bbox":
			b, err := geo.ParseBBox(val)
			if err != nil {
				return q, apperr.Invalidf(op, "bbox", "%s", strings.TrimPrefix(err.Error(), "bbox: "))
			}
			q.BBox = &b
		case k == "limit":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > MaxLimit {
				return q, apperr.Invalidf(op, "limit", "%q is not an integer in 1..%d", val, MaxLimit)
			}
			q.Limit = n
		case k == "offset":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > MaxOffset {
				return q, apperr.Invalidf(op, "offset", "%q is not an integer in 0..%d", val, MaxOffset)
			}
			q.Offset = n
		case k == "f":
			if val != "json" && val != "geojson" {
				return q, apperr.Invalidf(op, "f", "%q is not a supported format; use json", val)
			}
		case slices.Contains(crsParams, k):
			// EPSG:4326 is WGS84 too, but latitude first (OGC 18-058):
			// only the CRS84 identifiers mean the order we read.
			srid, err := geo.ParseCRS(val)
			if err != nil || srid != geo.WGS84 || !strings.HasSuffix(strings.ToLower(val), "crs84") {
				return q, apperr.Invalidf(op, k, "only %s is supported", geo.WGS84.URI())
			}
		default:
			p, ok := l.Property(k)
			if !ok {
				return q, apperr.Invalidf(op, k, "unknown query parameter; %s", knownParams(l))
			}
			typed, err := parseValue(p, val)
			if err != nil {
				return q, apperr.Invalidf(op, k, "%s", err)
			}
			q.Filters = append(q.Filters, Filter{Property: p, Value: typed, Raw: val})
		}
	}
	return q, nil
}

func knownParams(l *catalog.Layer) string {
	names := l.PropertyNames()
	if len(names) == 0 {
		return "this collection has no filterable properties; parameters are bbox, limit, offset"
	}
	return "filterable properties are " + strings.Join(names, ", ") + "; other parameters are bbox, limit, offset"
}

// parseValue converts a filter value to the Go type pgx sends for the
// property's column type.
func parseValue(p catalog.Property, s string) (any, error) {
	switch p.Type {
	case catalog.String:
		if len(s) > 1000 {
			return nil, fmt.Errorf("value longer than 1000 characters")
		}
		// PostgreSQL text holds neither NUL nor invalid UTF-8; it would
		// refuse the argument with an internal error.
		if !validText(s) {
			return nil, fmt.Errorf("value is not valid UTF-8 text")
		}
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(p.Enum, ", "))
		}
		return s, nil
	case catalog.Integer:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return n, nil
	case catalog.Number:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != f || f > 1e300 || f < -1e300 {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case catalog.Boolean:
		// GDAL (and so QGIS) maps a boolean to an integer field and sends
		// its filter as 1 or 0.
		switch s {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not true or false", s)
	case catalog.Date:
		if !datePattern.MatchString(s) {
			return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return d, nil
	case catalog.DateTime:
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an RFC 3339 date-time", s)
		}
		return t, nil
	}
	return nil, fmt.Errorf("property type %s cannot be filtered", p.Type)
}

// validText reports whether s can be a PostgreSQL text value: valid UTF-8
// without NUL.
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// Values returns the query string that reproduces q with another offset,
// for next and prev links.
func (q Query) Values(offset int) url.Values {
	v := url.Values{}
	if q.BBox != nil {
		v.Set("bbox", geo.FormatBBox(*q.BBox))
	}
	for _, f := range q.Filters {
		v.Set(f.Property.Name, f.Raw)
	}
	v.Set("limit", strconv.Itoa(q.Limit))
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return v
}
