package features_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/features"
)

// typedLayer has a property of every type a filter parses.
func typedLayer(tb testing.TB) *catalog.Layer {
	tb.Helper()
	c, err := catalog.New(catalog.Layer{
		ID: "typed", Table: pgx.Identifier{"typed"}, IDColumn: "id", IDType: catalog.Integer,
		Geom: "geom", GeomType: "Point", MaxZoom: 18,
		Properties: []catalog.Property{
			{Name: "name", Type: catalog.String},
			{Name: "status", Type: catalog.String, Enum: []string{"planned", "in_works", "connectable"}},
			{Name: "n", Type: catalog.Integer},
			{Name: "share", Type: catalog.Number},
			{Name: "ok", Type: catalog.Boolean},
			{Name: "day", Type: catalog.Date},
			{Name: "at", Type: catalog.DateTime},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	l, _ := c.Layer("typed")
	return l
}

func comuniLayer(tb testing.TB) *catalog.Layer {
	tb.Helper()
	c, err := catalog.New(comuni.Layers()...)
	if err != nil {
		tb.Fatal(err)
	}
	l, _ := c.Layer("comuni")
	return l
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParseQueryFilters(t *testing.T) {
	l := typedLayer(t)
	tests := []struct {
		name    string
		param   string
		value   string
		want    any    // the typed value, when accepted
		wantErr string // in the message, when refused
	}{
		{"string", "name", "Via Roma", "Via Roma", ""},
		{"empty string", "name", "", "", ""},
		{"string with quotes", "name", `O'Brien "x"`, `O'Brien "x"`, ""},
		{"string of 1000 bytes", "name", strings.Repeat("a", 1000), strings.Repeat("a", 1000), ""},
		{"string too long", "name", strings.Repeat("a", 1001), nil, "longer than 1000 characters"},
		{"string with NUL", "name", "a\x00b", nil, "not valid UTF-8 text"},
		{"string not UTF-8", "name", "caf\xe9", nil, "not valid UTF-8 text"},

		{"enum", "status", "connectable", "connectable", ""},
		{"enum is case-sensitive", "status", "Connectable", nil, `"Connectable" is not one of planned, in_works, connectable`},
		{"enum empty", "status", "", nil, "is not one of"},

		{"integer", "n", "42", int64(42), ""},
		{"negative integer", "n", "-7", int64(-7), ""},
		{"integer with plus", "n", "+7", int64(7), ""},
		{"integer 64-bit", "n", "9223372036854775807", int64(9223372036854775807), ""},
		{"integer overflow", "n", "9223372036854775808", nil, "is not an integer"},
		{"integer with fraction", "n", "4.0", nil, `"4.0" is not an integer`},
		{"integer with exponent", "n", "1e3", nil, "is not an integer"},
		{"integer with space", "n", " 42", nil, "is not an integer"},
		{"integer empty", "n", "", nil, `"" is not an integer`},

		{"number", "share", "12.5", 12.5, ""},
		{"number integer", "share", "12", 12.0, ""},
		{"number exponent", "share", "-1.5e3", -1500.0, ""},
		{"number at the bound", "share", "1e300", 1e300, ""},
		{"number too large", "share", "1e301", nil, `"1e301" is not a number`},
		{"number NaN", "share", "NaN", nil, "is not a number"},
		{"number Inf", "share", "Inf", nil, "is not a number"},
		{"number -Infinity", "share", "-Infinity", nil, "is not a number"},
		{"number with comma", "share", "12,5", nil, "is not a number"},
		{"number empty", "share", "", nil, "is not a number"},

		{"boolean true", "ok", "true", true, ""},
		{"boolean false", "ok", "false", false, ""},
		{"boolean 1 (GDAL)", "ok", "1", true, ""},
		{"boolean 0 (GDAL)", "ok", "0", false, ""},
		{"boolean upper case", "ok", "TRUE", nil, `"TRUE" is not true or false`},
		{"boolean yes", "ok", "yes", nil, "is not true or false"},
		{"boolean 2", "ok", "2", nil, "is not true or false"},
		{"boolean empty", "ok", "", nil, "is not true or false"},

		{"date", "day", "2024-02-29", date("2024-02-29"), ""},
		{"date not in the calendar", "day", "2023-02-29", nil, `"2023-02-29" is not a date (YYYY-MM-DD)`},
		{"date without zero padding", "day", "2024-2-9", nil, "is not a date"},
		{"date with a time", "day", "2024-02-29T00:00:00Z", nil, "is not a date"},
		{"date with non-ASCII digits", "day", "２０２４-02-29", nil, "is not a date"},
		{"date empty", "day", "", nil, "is not a date"},

		{"date-time UTC", "at", "2024-05-01T10:00:00Z", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), ""},
		{"date-time with offset", "at", "2024-05-01T12:00:00+02:00", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), ""},
		{"date-time without zone", "at", "2024-05-01T10:00:00", nil, "is not an RFC 3339 date-time"},
		{"date-time a date", "at", "2024-05-01", nil, "is not an RFC 3339 date-time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{tt.param: {tt.value}}
			q, err := features.ParseQuery(l, v)
			if tt.wantErr != "" {
				wantInvalid(t, v, err, tt.param, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("ParseQuery(%s) = %v, want a filter", v.Encode(), err)
			}
			if len(q.Filters) != 1 {
				t.Fatalf("ParseQuery(%s) = %d filters, want 1", v.Encode(), len(q.Filters))
			}
			f := q.Filters[0]
			if f.Property.Name != tt.param || f.Raw != tt.value {
				t.Errorf("ParseQuery(%s) filter = %s=%q, want %s=%q", v.Encode(), f.Property.Name, f.Raw, tt.param, tt.value)
			}
			if !sameValue(f.Value, tt.want) {
				t.Errorf("ParseQuery(%s) value = %#v (%T), want %#v (%T)", v.Encode(), f.Value, f.Value, tt.want, tt.want)
			}
		})
	}
}

// wantInvalid fails unless err is an Invalid error about field whose
// message contains want.
func wantInvalid(tb testing.TB, v url.Values, err error, field, want string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("ParseQuery(%s) = nil error, want one containing %q", v.Encode(), want)
	}
	if k := apperr.KindOf(err); k != apperr.Invalid {
		tb.Fatalf("ParseQuery(%s) = %v (%v), want an Invalid error", v.Encode(), err, k)
	}
	msg := apperr.Message(err)
	if !strings.HasPrefix(msg, field+": ") || !strings.Contains(msg, want) {
		tb.Fatalf("ParseQuery(%s) message = %q, want %q and %q", v.Encode(), msg, field+": ", want)
	}
	if fs := apperr.Fields(err); len(fs) != 1 || fs[0].Field != field {
		tb.Fatalf("ParseQuery(%s) fields = %v, want one for %q", v.Encode(), fs, field)
	}
}

func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

func TestParseQueryParameters(t *testing.T) {
	l := comuniLayer(t)
	tests := []struct {
		name       string
		query      string
		wantLimit  int
		wantOffset int
		wantBBox   *orb.Bound
		wantErr    string // field: message prefix
	}{
		{name: "nothing", query: "", wantLimit: features.DefaultLimit},
		{name: "limit 1", query: "limit=1", wantLimit: 1},
		{name: "limit max", query: "limit=10000", wantLimit: features.MaxLimit},
		// More than the maximum asks for the maximum (Part 1,
		// /req/core/fc-limit-response-1), GDAL and OWSLib ask for more.
		{name: "limit over max is capped", query: "limit=10001", wantLimit: features.MaxLimit},
		{name: "limit huge is capped", query: "limit=99999999999999999999", wantLimit: features.MaxLimit},
		{name: "limit 0", query: "limit=0", wantErr: `limit: "0" is not a positive integer (at most 10000 are returned)`},
		{name: "limit negative", query: "limit=-1", wantErr: "limit: "},
		{name: "limit hugely negative", query: "limit=-99999999999999999999", wantErr: "limit: "},
		{name: "limit not a number", query: "limit=ten", wantErr: "limit: "},
		{name: "limit empty", query: "limit=", wantErr: `limit: "" is not a positive integer`},
		{name: "offset", query: "offset=20", wantLimit: features.DefaultLimit, wantOffset: 20},
		{name: "offset max", query: "offset=10000000", wantLimit: features.DefaultLimit, wantOffset: features.MaxOffset},
		{name: "offset over max", query: "offset=10000001", wantErr: `offset: "10000001" is not an integer in 0..10000000`},
		{name: "offset negative", query: "offset=-1", wantErr: "offset: "},
		{name: "bbox", query: "bbox=9.6,45.3,9.8,45.4", wantLimit: features.DefaultLimit,
			wantBBox: &orb.Bound{Min: orb.Point{9.6, 45.3}, Max: orb.Point{9.8, 45.4}}},
		{name: "bbox with heights", query: "bbox=9.6,45.3,0,9.8,45.4,100", wantLimit: features.DefaultLimit,
			wantBBox: &orb.Bound{Min: orb.Point{9.6, 45.3}, Max: orb.Point{9.8, 45.4}}},
		{name: "bbox latitude first", query: "bbox=45.3,9.6,45.4,9.8", wantLimit: features.DefaultLimit,
			wantBBox: &orb.Bound{Min: orb.Point{45.3, 9.6}, Max: orb.Point{45.4, 9.8}}},
		{name: "bbox of three numbers", query: "bbox=9.6,45.3,9.8", wantErr: "bbox: want 4 or 6 comma-separated numbers, got 3"},
		{name: "bbox crossing", query: "bbox=9.8,45.3,9.6,45.4", wantErr: "bbox: minx 9.8 is greater than maxx 9.6"},
		{name: "f json", query: "f=json", wantLimit: features.DefaultLimit},
		{name: "f geojson", query: "f=geojson", wantLimit: features.DefaultLimit},
		{name: "f html", query: "f=html", wantErr: `f: "html" is not a supported format; use json`},
		{name: "crs CRS84", query: "crs=" + url.QueryEscape("http://www.opengis.net/def/crs/OGC/1.3/CRS84"), wantLimit: features.DefaultLimit},
		{name: "bbox-crs CRS84 URN", query: "bbox-crs=urn:ogc:def:crs:OGC:1.3:CRS84&bbox=9.6,45.3,9.8,45.4", wantLimit: features.DefaultLimit,
			wantBBox: &orb.Bound{Min: orb.Point{9.6, 45.3}, Max: orb.Point{9.8, 45.4}}},
		// Part 2: EPSG:4326 is latitude first, in bbox as in output.
		{name: "bbox-crs EPSG:4326", query: "bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326") + "&bbox=45.3,9.6,45.4,9.8",
			wantLimit: features.DefaultLimit, wantBBox: &orb.Bound{Min: orb.Point{9.6, 45.3}, Max: orb.Point{9.8, 45.4}}},
		{name: "bbox-crs EPSG:6707", query: "bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/6707") + "&bbox=5010000,550000,5030000,560000",
			wantLimit: features.DefaultLimit, wantBBox: &orb.Bound{Min: orb.Point{550000, 5010000}, Max: orb.Point{560000, 5030000}}},
		{name: "bbox-crs EPSG:6707 in easting order", query: "bbox-crs=EPSG:6707&bbox=550000,5010000,560000,5030000",
			wantErr: "bbox: lies outside the area of EPSG:6707 (northing 4042000..5215000, easting 225000..769000): EPSG:6707 takes min northing,"},
		{name: "bbox-crs alone", query: "bbox-crs=EPSG:3003", wantLimit: features.DefaultLimit},
		{name: "crs EPSG:32632", query: "crs=EPSG:32632", wantLimit: features.DefaultLimit},
		{name: "crs EPSG:25832", query: "crs=EPSG:25832", wantErr: "crs: EPSG:25832 is not served; supported are CRS84, EPSG:4326, EPSG:4258, EPSG:3857, EPSG:32632, EPSG:6707, EPSG:7791, EPSG:3003"},
		{name: "bbox-crs unsupported", query: "bbox-crs=EPSG:2000&bbox=1,2,3,4", wantErr: "bbox-crs: EPSG:2000 is not served; supported are CRS84,"},
		{name: "crs nonsense", query: "crs=WGS84", wantErr: `crs: "WGS84" is not a supported CRS identifier; supported are CRS84,`},
		{name: "duplicate crs", query: "crs=EPSG:3003&crs=EPSG:6707", wantErr: "crs: given 2 times"},
		// GDAL 3.6 repeats the query of its dataset URL on next links.
		{name: "same crs twice", query: "crs=EPSG:3003&crs=EPSG:3003&bbox=1545000,5015000,1560000,5030000&bbox-crs=EPSG:3003&bbox-crs=EPSG:3003",
			wantLimit: features.DefaultLimit, wantBBox: &orb.Bound{Min: orb.Point{1545000, 5015000}, Max: orb.Point{1560000, 5030000}}},
		{name: "unknown parameter", query: "population=1000", wantErr: "population: unknown query parameter; filterable properties are istat_code, name,"},
		{name: "reserved but not implemented", query: "sortby=name", wantErr: "sortby: unknown query parameter"},
		// comuni has no time: datetime is checked, and matches everything.
		{name: "datetime on a layer without time", query: "datetime=2026-01-01T00:00:00Z/..", wantLimit: features.DefaultLimit},
		{name: "datetime malformed", query: "datetime=yesterday", wantErr: `datetime: "yesterday" is not an RFC 3339 date-time`},
		{name: "parameter names are case-sensitive", query: "Limit=5", wantErr: "Limit: unknown query parameter"},
		{name: "duplicate filter", query: "name=Crema&name=Cremona", wantErr: "name: given 2 times; give it once"},
		{name: "duplicate limit", query: "limit=5&limit=6", wantErr: "limit: given 2 times; give it once"},
		{name: "same limit twice", query: "limit=5&limit=5", wantLimit: 5},
		{name: "duplicate bbox", query: "bbox=9,45,10,46&bbox=9,45,10,46&bbox=9,45,10,47", wantErr: "bbox: given 3 times"},
		{name: "first problem in key order", query: "zzz=1&limit=0", wantErr: "limit: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q, err := features.ParseQuery(l, v)
			if tt.wantErr != "" {
				field, _, _ := strings.Cut(tt.wantErr, ": ")
				wantInvalid(t, v, err, field, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("ParseQuery(%s) = %v", tt.query, err)
			}
			if q.Limit != tt.wantLimit || q.Offset != tt.wantOffset || !reflect.DeepEqual(q.BBox, tt.wantBBox) {
				t.Fatalf("ParseQuery(%s) = limit %d, offset %d, bbox %v; want %d, %d, %v", tt.query, q.Limit, q.Offset, q.BBox, tt.wantLimit, tt.wantOffset, tt.wantBBox)
			}
		})
	}
}

func TestQueryValues(t *testing.T) {
	l := comuniLayer(t)
	v, _ := url.ParseQuery("consortium=1&name=Crema&bbox=9.60,45.30,9.80,45.40&limit=25&offset=50&f=json&datetime=2026-01-01/..")
	q, err := features.ParseQuery(l, v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		offset int
		want   string
	}{
		{75, "bbox=9.6%2C45.3%2C9.8%2C45.4&consortium=1&datetime=2026-01-01%2F..&limit=25&name=Crema&offset=75"},
		{25, "bbox=9.6%2C45.3%2C9.8%2C45.4&consortium=1&datetime=2026-01-01%2F..&limit=25&name=Crema&offset=25"},
		{0, "bbox=9.6%2C45.3%2C9.8%2C45.4&consortium=1&datetime=2026-01-01%2F..&limit=25&name=Crema"},
	}
	for _, tt := range tests {
		if got := q.Values(tt.offset).Encode(); got != tt.want {
			t.Errorf("Values(%d) = %s, want %s", tt.offset, got, tt.want)
		}
	}
}

// TestQueryValuesCRS checks that links keep crs and bbox-crs, with the box
// in bbox-crs's own axis order.
func TestQueryValuesCRS(t *testing.T) {
	l := comuniLayer(t)
	for _, tt := range []struct{ query, want string }{
		{"bbox=45.3,9.6,45.4,9.8&bbox-crs=EPSG:4326&crs=EPSG:6707",
			"bbox=45.3%2C9.6%2C45.4%2C9.8&bbox-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F4326&crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F6707&limit=10"},
		{"bbox=1545000.5,5015000,1560000,5030000&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3003"),
			"bbox=1545000.5%2C5015000%2C1560000%2C5030000&bbox-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F3003&limit=10"},
		{"crs=CRS84&bbox-crs=CRS84&bbox=9.6,45.3,9.8,45.4", "bbox=9.6%2C45.3%2C9.8%2C45.4&limit=10"},
		{"crs=EPSG:4326", "crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F4326&limit=10"},
	} {
		v, _ := url.ParseQuery(tt.query)
		q, err := features.ParseQuery(l, v)
		if err != nil {
			t.Fatalf("ParseQuery(%s) = %v", tt.query, err)
		}
		if got := q.Values(0).Encode(); got != tt.want {
			t.Errorf("ParseQuery(%s).Values(0) =\n %s, want\n %s", tt.query, got, tt.want)
		}
		back, err := features.ParseQuery(l, q.Values(0))
		if err != nil || !reflect.DeepEqual(back, q) {
			t.Errorf("ParseQuery(Values(0)) = %+v, %v; want %+v", back, err, q)
		}
	}
}

// FuzzParseQuery feeds arbitrary query strings, plus one fuzzed parameter,
// to ParseQuery over the comuni layer and a layer with every filter type:
// no panic; either an Invalid error naming a parameter that was sent, or a
// Query within the limits whose Values(offset) parse back to the same Query.
func FuzzParseQuery(f *testing.F) {
	seeds := []struct {
		raw, key, value string
		typed           bool
	}{
		{"", "", "", false},
		{"limit=5&offset=10", "name", "Crema", false},
		{"bbox=9.6,45.3,9.8,45.4", "consortium", "1", false},
		{"bbox=9.6,45.3,0,9.8,45.4,10&bbox-crs=CRS84", "area_km2", "34.645", false},
		{"crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84&f=json", "synthetic", "false", false},
		{"crs=EPSG:6707&bbox-crs=EPSG:4326&bbox=45.3,9.6,45.4,9.8", "bbox-crs", "EPSG:6707", false},
		{"bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3003&bbox=1545000,5015000,1560000,5030000", "crs", "EPSG:4258", false},
		{"istat_code=019035&name=Crema", "name", "Cremona", false},
		{"limit=10000&offset=10000000", "province_code", "019", false},
		{"limit=0", "offset", "-1", false},
		{"bbox=1e2,-1e1,1.5e2,0", "f", "html", false},
		{"n=42&share=-1.5e3&ok=0", "day", "2024-02-29", true},
		{"status=connectable", "at", "2024-05-01T12:00:00+02:00", true},
		{"share=0x1p-2", "n", "+7", true},
		{"day=2023-02-29", "name", "caf\xe9", true},
		{"at=2024-05-01T10:00:00.123456789Z", "share", "1e300", true},
		{"%zz=1&limit=%", "", "x", true},
		{"limit=10001", "datetime", "2026-01-31T10:00:00Z", false},
		{"datetime=../2026-01-31", "datetime", "2026-01-01T/..", true},
		{"", "datetime", "2026-02-01/2026-01-01", true},
		{"limit=3", "cursor", "MDowMTkwMzU", false},
		{"offset=3", "cursor", "MDowMTkwMzU", false},
		{"", "cursor", "MDo0Mg", true},
	}
	for _, s := range seeds {
		f.Add(s.raw, s.key, s.value, s.typed)
	}
	layers := map[bool]*catalog.Layer{false: comuniLayer(f), true: typedLayer(f)}
	f.Fuzz(func(t *testing.T, raw, key, value string, typed bool) {
		l := layers[typed]
		v, _ := url.ParseQuery(raw) // what parsed, as net/http keeps it
		if v == nil {
			v = url.Values{}
		}
		v.Add(key, value)
		q, err := features.ParseQuery(l, v)
		if err != nil {
			if k := apperr.KindOf(err); k != apperr.Invalid {
				t.Fatalf("ParseQuery(%q) = %v (%v), want Invalid", v, err, k)
			}
			fs := apperr.Fields(err)
			if len(fs) != 1 || v[fs[0].Field] == nil {
				t.Fatalf("ParseQuery(%q) fields = %v, want one naming a parameter sent", v, fs)
			}
			if !strings.HasPrefix(apperr.Message(err), fs[0].Field+": ") {
				t.Fatalf("ParseQuery(%q) message = %q, want it to start with the field", v, apperr.Message(err))
			}
			return
		}
		if q.Limit < 1 || q.Limit > features.MaxLimit || q.Offset < 0 || q.Offset > features.MaxOffset {
			t.Fatalf("ParseQuery(%q) = limit %d, offset %d, out of range", v, q.Limit, q.Offset)
		}
		for _, fl := range q.Filters {
			if _, ok := l.Property(fl.Property.Name); !ok || v.Get(fl.Property.Name) != fl.Raw {
				t.Fatalf("ParseQuery(%q) has filter %s=%q", v, fl.Property.Name, fl.Raw)
			}
		}
		again, err := features.ParseQuery(l, q.Self())
		if err != nil {
			t.Fatalf("ParseQuery(%q) = %+v, whose Values %q do not parse: %v", v, q, q.Self(), err)
		}
		if !sameQuery(q, again) {
			t.Fatalf("ParseQuery(%q) = %+v, but its Values %q parse to %+v", v, q, q.Self(), again)
		}
	})
}

func sameQuery(a, b features.Query) bool {
	if a.Limit != b.Limit || a.Offset != b.Offset || !reflect.DeepEqual(a.BBox, b.BBox) || len(a.Filters) != len(b.Filters) {
		return false
	}
	if (a.After == nil) != (b.After == nil) || a.After != nil && (a.After.Encode() != b.After.Encode()) {
		return false
	}
	if !a.CRS.IsCRS84() && a.CRS != b.CRS || a.BBox != nil && !a.BBoxCRS.IsCRS84() && a.BBoxCRS != b.BBoxCRS {
		return false
	}
	if (a.Datetime == nil) != (b.Datetime == nil) || a.Datetime != nil && !sameInterval(*a.Datetime, *b.Datetime) {
		return false
	}
	for i := range a.Filters {
		fa, fb := a.Filters[i], b.Filters[i]
		if fa.Property.Name != fb.Property.Name || fa.Raw != fb.Raw || !sameValue(fa.Value, fb.Value) {
			return false
		}
	}
	return true
}

func sameInterval(a, b features.Interval) bool {
	same := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	return a.Raw == b.Raw && same(a.Start, b.Start) && same(a.End, b.End)
}

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestParseDatetime(t *testing.T) {
	endOfDay := func(d string) *time.Time { return at(d + "T23:59:59.999999Z") }
	tests := []struct {
		name       string
		value      string
		start, end *time.Time // nil: open
		wantErr    string
	}{
		{"instant", "2026-01-31T10:00:00Z", at("2026-01-31T10:00:00Z"), at("2026-01-31T10:00:00Z"), ""},
		{"instant with offset", "2026-01-31T11:00:00+01:00", at("2026-01-31T10:00:00Z"), at("2026-01-31T10:00:00Z"), ""},
		{"instant with fraction", "2026-01-31T10:00:00.123456Z", at("2026-01-31T10:00:00.123456Z"), at("2026-01-31T10:00:00.123456Z"), ""},
		{"date is its day", "2026-01-31", at("2026-01-31T00:00:00Z"), endOfDay("2026-01-31"), ""},
		{"date as GDAL writes it", "2026-01-31T", at("2026-01-31T00:00:00Z"), endOfDay("2026-01-31"), ""},
		{"closed interval", "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z", at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z"), ""},
		{"interval of dates", "2026-01-01/2026-01-31", at("2026-01-01T00:00:00Z"), endOfDay("2026-01-31"), ""},
		{"open end ..", "2026-01-01T00:00:00Z/..", at("2026-01-01T00:00:00Z"), nil, ""},
		{"open end empty", "2026-01-01T00:00:00Z/", at("2026-01-01T00:00:00Z"), nil, ""},
		{"open start ..", "../2026-01-01T00:00:00Z", nil, at("2026-01-01T00:00:00Z"), ""},
		{"open start empty", "/2026-01-01T00:00:00Z", nil, at("2026-01-01T00:00:00Z"), ""},
		{"open at both ends", "../..", nil, nil, ""},
		// QGIS bounds a half-open interval with year 0 or 9999.
		{"QGIS lower bound", "0000-01-01T00:00:00Z/2026-01-01T00:00:00Z", at("0000-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), ""},
		{"QGIS upper bound", "2026-01-01T00:00:00Z/9999-12-31T00:00:00Z", at("2026-01-01T00:00:00Z"), at("9999-12-31T00:00:00Z"), ""},
		{"instant equal bounds", "2026-01-01T00:00:00Z/2026-01-01T00:00:00Z", at("2026-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), ""},

		{"empty", "", nil, nil, `"" is not an instant`},
		{"open instant", "..", nil, nil, `".." is not an instant`},
		{"start after end", "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", nil, nil, "the start 2026-02-01T00:00:00Z is after the end 2026-01-01T00:00:00Z"},
		{"three parts", "2026-01-01/2026-01-02/2026-01-03", nil, nil, "more than one /"},
		{"no time zone", "2026-01-31T10:00:00", nil, nil, "is not an RFC 3339 date-time"},
		{"not in the calendar", "2026-02-30", nil, nil, `"2026-02-30" is not a date in the calendar`},
		{"month 13", "2026-13-01T00:00:00Z", nil, nil, "is not an RFC 3339 date-time"},
		{"words", "yesterday/today", nil, nil, `"yesterday" is not an RFC 3339 date-time`},
		{"too long", strings.Repeat("2026-01-01", 9), nil, nil, "longer than 80 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := features.ParseDatetime(tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDatetime(%q) = %+v, %v; want an error containing %q", tt.value, in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDatetime(%q) = %v", tt.value, err)
			}
			if want := (features.Interval{Start: tt.start, End: tt.end, Raw: tt.value}); !sameInterval(in, want) {
				t.Errorf("ParseDatetime(%q) = %v..%v, want %v..%v", tt.value, in.Start, in.End, tt.start, tt.end)
			}
		})
	}
}
