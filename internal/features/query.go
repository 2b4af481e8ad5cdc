// Package features serves OGC API – Features items over any catalog layer.
// PostgreSQL encodes each feature as GeoJSON text and Go streams the rows to
// the client as they arrive, so memory does not grow with the page size.
package features

import (
	"errors"
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
	BBox     *orb.Bound // x (longitude, easting) first, in BBoxCRS
	BBoxCRS  geo.CRS    // the zero CRS is CRS84
	CRS      geo.CRS    // of the coordinates written; the zero CRS is CRS84
	Datetime *Interval
	Limit    int
	Offset   int
	// After is the cursor parameter: the page starts after this position
	// (keyset paging), nil when absent. It excludes Offset.
	After   *Cursor
	Filters []Filter
	// CQL is the filter parameter (Part 3), nil when absent; it holds
	// with the other conditions (AND).
	CQL *Expression
}

// Interval is the time of a datetime parameter (OGC API – Features Part 1
// §7.15.4) as a closed interval; a nil bound is open. An instant is an
// interval whose bounds are equal; a date is its whole day (UTC).
type Interval struct {
	Start, End *time.Time
	Raw        string // as given, for links
}

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ParseQuery validates the query string of an items request against the
// layer: reserved parameters, one equality filter per known property (and
// the id), and a CQL2 filter (filter, filter-lang, filter-crs). Every
// problem is an apperr.Invalid naming the parameter.
func ParseQuery(l *catalog.Layer, v url.Values) (Query, error) {
	const op = "features.ParseQuery"
	q := Query{Limit: DefaultLimit, CRS: geo.CRS84, BBoxCRS: geo.CRS84}
	var filter, filterLang, filterCRS string
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := v[k]
		// The same value twice is once: GDAL before 3.7 adds the query
		// of its dataset URL (e.g. ?crs=) to next links that carry it.
		if len(vals) > 1 && slices.ContainsFunc(vals, func(o string) bool { return o != vals[0] }) {
			return q, apperr.Invalidf(op, k, "given %d times; give it once", len(vals))
		}
		val := vals[0]
		switch {
		case k == "bbox", k == "bbox-crs":
			// Read together below: the box is in bbox-crs.
		case k == "limit":
			// More than the maximum is a request for the maximum (Part 1,
			// /req/core/fc-limit-response-1): the page says how many came.
			n, err := strconv.Atoi(val)
			if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(val, "-") {
				n, err = MaxLimit, nil
			}
			if err != nil || n < 1 {
				return q, apperr.Invalidf(op, "limit", "%q is not a positive integer (at most %d are returned)", val, MaxLimit)
			}
			q.Limit = min(n, MaxLimit)
		case k == "datetime":
			in, err := ParseDatetime(val)
			if err != nil {
				return q, apperr.Invalidf(op, "datetime", "%s", err)
			}
			q.Datetime = &in
		case k == "offset":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > MaxOffset {
				return q, apperr.Invalidf(op, "offset", "%q is not an integer in 0..%d", val, MaxOffset)
			}
			q.Offset = n
		case k == "cursor":
			c, err := ParseCursor(l, val)
			if err != nil {
				return q, apperr.Invalidf(op, "cursor", "%q %s", trimForMessage(val), err)
			}
			q.After = &c
		case k == "f":
			if val != "json" && val != "geojson" {
				return q, apperr.Invalidf(op, "f", "%q is not a supported format; use json", val)
			}
		case k == "filter":
			filter = val
		case k == "filter-lang":
			if !slices.Contains(FilterLangs, val) {
				return q, apperr.Invalidf(op, k, "%q is not a filter language of this server; use %s", val, strings.Join(FilterLangs[:2], " or "))
			}
			filterLang = val
		case k == "filter-crs":
			if _, err := ParseCRS(k, val); err != nil {
				return q, err
			}
			filterCRS = val
		case k == "crs":
			c, err := ParseCRS(k, val)
			if err != nil {
				return q, err
			}
			q.CRS = c
		default:
			p, ok := l.Property(k)
			if !ok && k == l.IDColumn {
				p, ok = catalog.Property{Name: l.IDColumn, Type: l.IDType}, true
			}
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
	if q.After != nil && v.Has("offset") {
		return q, apperr.Invalidf(op, "cursor", "cannot be combined with offset: give one of them")
	}
	if bc := v.Get("bbox-crs"); bc != "" {
		c, err := ParseCRS("bbox-crs", bc)
		if err != nil {
			return q, err
		}
		q.BBoxCRS = c
	}
	if _, ok := v["bbox"]; ok {
		b, err := geo.ParseBBoxIn(v.Get("bbox"), q.BBoxCRS)
		if err != nil {
			return q, apperr.Invalidf(op, "bbox", "%s", strings.TrimPrefix(err.Error(), "bbox: "))
		}
		q.BBox = &b
	}
	if q.After != nil && q.After.keyed != keyedOrder(l, q) {
		// A cursor from a page of another query (pages in page key order
		// and in id order do not mix).
		return q, apperr.Invalidf(op, "cursor", "%q is not a page cursor of this query: follow the next link of a page, or start again without cursor", trimForMessage(v.Get("cursor")))
	}
	// An empty filter is no filter: some clients send the parameter
	// always.
	if strings.TrimSpace(filter) != "" {
		e, err := ParseFilter(l, filter, filterLang, filterCRS)
		if err != nil {
			return q, err
		}
		q.CQL = e
	}
	return q, nil
}

// ParseCRS reads the CRS a parameter (crs, bbox-crs, filter-crs) names:
// one of geo.SupportedCRSs (OGC API – Features Part 2). Anything else is
// an apperr.Invalid for param that lists them (/req/crs/fc-crs-valid-value).
func ParseCRS(param, value string) (geo.CRS, error) {
	c, err := geo.LookupCRS(value)
	if err != nil {
		return geo.CRS{}, apperr.Invalidf("features.ParseCRS", param, "%s", strings.TrimPrefix(err.Error(), "crs: "))
	}
	return c, nil
}

func knownParams(l *catalog.Layer) string {
	var names []string
	for _, p := range l.FeatureProperties() {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return "this collection has no filterable properties; parameters are bbox, bbox-crs, crs, cursor, datetime, filter, limit, offset"
	}
	return "filterable properties are " + strings.Join(names, ", ") + "; other parameters are bbox, bbox-crs, crs, cursor, datetime, filter, limit, offset"
}

// maxDatetime bounds the datetime parameter: two RFC 3339 date-times with
// nine decimals and a separator fit.
const maxDatetime = 80

// ParseDatetime parses the datetime parameter: an instant, or an interval
// start/end where an open end is ".." or empty (Part 1,
// /req/core/fc-time-definition). Instants are RFC 3339 date-times or
// full dates (a date is its whole day in UTC; "2026-01-31T", as GDAL
// writes a date, is a date too).
func ParseDatetime(s string) (Interval, error) {
	if len(s) > maxDatetime {
		return Interval{}, fmt.Errorf("longer than %d characters: give an instant or start/end", maxDatetime)
	}
	in := Interval{Raw: s}
	start, end, isInterval := strings.Cut(s, "/")
	if !isInterval {
		lo, hi, err := parseInstant(s)
		if err != nil {
			return Interval{}, err
		}
		if lo == nil {
			return Interval{}, fmt.Errorf("%q is not an instant: give a date-time such as 2026-01-31T10:00:00Z, a date, or start/end with .. for an open end", s)
		}
		in.Start, in.End = lo, hi
		return in, nil
	}
	if strings.Contains(end, "/") {
		return Interval{}, fmt.Errorf("%q has more than one /: give start/end", s)
	}
	lo, _, err := parseInstant(start)
	if err != nil {
		return Interval{}, err
	}
	_, hi, err := parseInstant(end)
	if err != nil {
		return Interval{}, err
	}
	if lo != nil && hi != nil && lo.After(*hi) {
		return Interval{}, fmt.Errorf("the start %s is after the end %s", start, end)
	}
	in.Start, in.End = lo, hi
	return in, nil
}

// parseInstant returns the first and last moment of s: equal for a
// date-time, the day's bounds for a date, nil for an open end ("" or "..").
func parseInstant(s string) (lo, hi *time.Time, err error) {
	if s == "" || s == ".." {
		return nil, nil, nil
	}
	if d, ok := strings.CutSuffix(s, "T"); ok && datePattern.MatchString(d) {
		s = d
	}
	if datePattern.MatchString(s) {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, nil, fmt.Errorf("%q is not a date in the calendar", s)
		}
		last := d.AddDate(0, 0, 1).Add(-time.Microsecond) // PostgreSQL's resolution
		return &d, &last, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, nil, fmt.Errorf("%q is not an RFC 3339 date-time (2026-01-31T10:00:00Z), a date (2026-01-31) or ..", s)
	}
	t = t.UTC()
	return &t, &t, nil
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
		v.Set("bbox", geo.FormatBBoxIn(*q.BBox, q.BBoxCRS))
		if !q.BBoxCRS.IsCRS84() {
			v.Set("bbox-crs", q.BBoxCRS.URI())
		}
	}
	if !q.CRS.IsCRS84() {
		v.Set("crs", q.CRS.URI())
	}
	if q.Datetime != nil {
		v.Set("datetime", q.Datetime.Raw)
	}
	for _, f := range q.Filters {
		v.Set(f.Property.Name, f.Raw)
	}
	if q.CQL != nil {
		v.Set("filter", q.CQL.Text)
		v.Set("filter-lang", LangText)
		if q.CQL.CRS != "" {
			v.Set("filter-crs", q.CQL.CRS)
		}
	}
	v.Set("limit", strconv.Itoa(q.Limit))
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return v
}

// ValuesAfter returns the query string that reproduces q from cursor c
// on, for next links.
func (q Query) ValuesAfter(c Cursor) url.Values {
	v := q.Values(0)
	v.Set("cursor", c.Encode())
	return v
}

// Self returns the query string that reproduces q: its cursor or offset.
func (q Query) Self() url.Values {
	if q.After != nil {
		return q.ValuesAfter(*q.After)
	}
	return q.Values(q.Offset)
}

// trimForMessage shortens a value quoted in an error message.
func trimForMessage(s string) string {
	if len(s) <= 60 {
		return s
	}
	for i := 60; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
