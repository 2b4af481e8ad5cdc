package geo

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// crsTests is shared with FuzzParseCRS as its seed corpus.
var crsTests = []struct {
	name    string
	in      string
	want    SRID
	wantErr string // substring of the message; "" means success
}{
	{name: "EPSG curie", in: "EPSG:4326", want: WGS84},
	{name: "epsg lower case", in: "epsg:32632", want: UTM32N},
	{name: "EPSG mixed case", in: "Epsg:3857", want: WebMercator},
	{name: "CRS84", in: "CRS84", want: WGS84},
	{name: "crs84 lower case", in: "crs84", want: WGS84},
	{name: "OGC:CRS84", in: "OGC:CRS84", want: WGS84},
	{name: "urn no version", in: "urn:ogc:def:crs:EPSG::32632", want: UTM32N},
	{name: "urn version", in: "urn:ogc:def:crs:EPSG:6.6:32632", want: UTM32N},
	{name: "urn other version", in: "urn:ogc:def:crs:EPSG:9.8.15:25832", want: 25832},
	{name: "urn upper case", in: "URN:OGC:DEF:CRS:EPSG::4326", want: WGS84},
	{name: "urn CRS84", in: "urn:ogc:def:crs:OGC:1.3:CRS84", want: WGS84},
	{name: "urn CRS84 no version", in: "urn:ogc:def:crs:OGC::CRS84", want: WGS84},
	{name: "http EPSG", in: "http://www.opengis.net/def/crs/EPSG/0/32632", want: UTM32N},
	{name: "https EPSG", in: "https://www.opengis.net/def/crs/EPSG/0/7791", want: 7791},
	{name: "http EPSG version", in: "http://www.opengis.net/def/crs/EPSG/9.9.1/3003", want: 3003},
	{name: "http CRS84", in: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", want: WGS84},
	{name: "http CRS84 version 0", in: "http://www.opengis.net/def/crs/OGC/0/CRS84", want: WGS84},
	{name: "https CRS84", in: "https://www.opengis.net/def/crs/OGC/1.3/CRS84", want: WGS84},
	{name: "http upper-case host", in: "http://WWW.OPENGIS.NET/def/crs/EPSG/0/4326", want: WGS84},
	{name: "largest", in: "EPSG:998999", want: 998999},
	{name: "smallest", in: "EPSG:1", want: 1},
	{name: "empty", in: "", wantErr: `crs: "" is not a supported CRS identifier`},
	{name: "bare number", in: "4326", wantErr: `crs: "4326" is not a supported CRS identifier`},
	{name: "other authority", in: "ESRI:102100", wantErr: `"ESRI:102100" is not a supported CRS identifier`},
	{name: "OGC CRS83", in: "urn:ogc:def:crs:OGC:1.3:CRS83", wantErr: "is not a supported CRS identifier"},
	{name: "http CRS84h", in: "http://www.opengis.net/def/crs/OGC/0/CRS84h", wantErr: "is not a supported CRS identifier"},
	{name: "http other host", in: "http://example.com/def/crs/EPSG/0/4326", wantErr: "is not a supported CRS identifier"},
	{name: "http no version", in: "http://www.opengis.net/def/crs/EPSG//4326", wantErr: "is not a supported CRS identifier"},
	{name: "http trailing slash", in: "http://www.opengis.net/def/crs/EPSG/0/4326/", wantErr: "is not a supported CRS identifier"},
	{name: "http bad version", in: "http://www.opengis.net/def/crs/EPSG/v1/4326", wantErr: "is not a supported CRS identifier"},
	{name: "urn too many parts", in: "urn:ogc:def:crs:EPSG:0:0:4326", wantErr: "is not a supported CRS identifier"},
	{name: "urn bad version", in: "urn:ogc:def:crs:EPSG:x:4326", wantErr: "is not a supported CRS identifier"},
	{name: "urn unknown authority", in: "urn:ogc:def:crs:IAU:2015:49900", wantErr: "is not a supported CRS identifier"},
	{name: "EPSG empty code", in: "EPSG:", wantErr: `crs: "EPSG:" has no EPSG code`},
	{name: "EPSG not integer", in: "EPSG:abc", wantErr: `crs: EPSG code "abc" in "EPSG:abc" is not an integer`},
	{name: "EPSG negative", in: "EPSG:-4326", wantErr: `EPSG code "-4326" in "EPSG:-4326" is not an integer`},
	{name: "EPSG plus", in: "EPSG:+4326", wantErr: `is not an integer`},
	{name: "EPSG space", in: "EPSG: 4326", wantErr: `is not an integer`},
	{name: "EPSG trailing space", in: "EPSG:4326 ", wantErr: `is not an integer`},
	{name: "EPSG leading zero", in: "EPSG:04326", wantErr: `EPSG code "04326" in "EPSG:04326" has a leading zero`},
	{name: "EPSG zero", in: "EPSG:0", wantErr: "crs: EPSG code 0 is outside 1..998999"},
	{name: "EPSG too big", in: "EPSG:999000", wantErr: "crs: EPSG code 999000 is outside 1..998999"},
	{name: "EPSG huge", in: "EPSG:99999999999999999999999", wantErr: "crs: EPSG code 999999999999… is outside 1..998999"},
	{name: "urn zero", in: "urn:ogc:def:crs:EPSG::0", wantErr: "EPSG code 0 is outside 1..998999"},
	{name: "http too big", in: "http://www.opengis.net/def/crs/EPSG/0/1000000", wantErr: "EPSG code 1000000 is outside 1..998999"},
}

func TestParseCRS(t *testing.T) {
	t.Parallel()
	for _, tt := range crsTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCRS(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseCRS(%q) = %v, want error containing %q", tt.in, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseCRS(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCRS(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("ParseCRS(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSRIDURIAndString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		srid    SRID
		uri     string
		str     string
		isValid bool
	}{
		{WGS84, "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326", true},
		{WebMercator, "http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857", true},
		{UTM32N, "http://www.opengis.net/def/crs/EPSG/0/32632", "EPSG:32632", true},
		{0, "http://www.opengis.net/def/crs/EPSG/0/0", "EPSG:0", false},
		{-1, "http://www.opengis.net/def/crs/EPSG/0/-1", "EPSG:-1", false},
		{MaxSRID + 1, "http://www.opengis.net/def/crs/EPSG/0/999000", "EPSG:999000", false},
	}
	for _, tt := range tests {
		if got := tt.srid.URI(); got != tt.uri {
			t.Errorf("SRID(%d).URI() = %q, want %q", int(tt.srid), got, tt.uri)
		}
		if got := tt.srid.String(); got != tt.str {
			t.Errorf("SRID(%d).String() = %q, want %q", int(tt.srid), got, tt.str)
		}
		if got := tt.srid.Valid(); got != tt.isValid {
			t.Errorf("SRID(%d).Valid() = %v, want %v", int(tt.srid), got, tt.isValid)
		}
		if !tt.isValid {
			continue
		}
		for _, s := range []string{tt.uri, tt.str} {
			if got, err := ParseCRS(s); err != nil || got != tt.srid {
				t.Errorf("ParseCRS(%q) = %v, %v, want %v, nil", s, got, err, tt.srid)
			}
		}
	}
}

// lookupTests is shared with FuzzLookupCRS as its seed corpus.
var lookupTests = []struct {
	in      string
	want    CRS
	wantErr string // substring; "" means success
}{
	{in: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", want: CRS84},
	{in: "CRS84", want: CRS84},
	{in: "urn:ogc:def:crs:OGC:1.3:CRS84", want: CRS84},
	{in: "http://www.opengis.net/def/crs/EPSG/0/4326", want: EPSG4326},
	{in: "EPSG:4326", want: EPSG4326},
	{in: "urn:ogc:def:crs:EPSG::4326", want: EPSG4326},
	{in: "http://www.opengis.net/def/crs/EPSG/0/4258", want: EPSG4258},
	{in: "http://www.opengis.net/def/crs/EPSG/0/3857", want: EPSG3857},
	{in: "http://www.opengis.net/def/crs/EPSG/0/32632", want: EPSG32632},
	{in: "http://www.opengis.net/def/crs/EPSG/0/6707", want: EPSG6707},
	{in: "epsg:6707", want: EPSG6707},
	{in: "http://www.opengis.net/def/crs/EPSG/0/7791", want: EPSG7791},
	{in: "http://www.opengis.net/def/crs/EPSG/0/3003", want: EPSG3003},
	{in: "https://www.opengis.net/def/crs/EPSG/0/3003", want: EPSG3003},
	{in: "EPSG:25832", wantErr: "crs: EPSG:25832 is not served; supported are CRS84, EPSG:4326, EPSG:4258, EPSG:3857, EPSG:32632, EPSG:6707, EPSG:7791, EPSG:3003"},
	{in: "EPSG:3004", wantErr: "EPSG:3004 is not served; supported are CRS84,"},
	{in: "ESRI:102100", wantErr: `crs: "ESRI:102100" is not a supported CRS identifier; supported are CRS84, EPSG:4326`},
	{in: "EPSG:abc", wantErr: `crs: EPSG code "abc" in "EPSG:abc" is not an integer; supported are CRS84`},
	{in: "", wantErr: `crs: "" is not a supported CRS identifier; supported are`},
}

func TestLookupCRS(t *testing.T) {
	t.Parallel()
	for _, tt := range lookupTests {
		got, err := LookupCRS(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LookupCRS(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("LookupCRS(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestSupportedCRSs(t *testing.T) {
	t.Parallel()
	cs := SupportedCRSs()
	if cs[0] != CRS84 {
		t.Errorf("SupportedCRSs()[0] = %v, want CRS84 (the default comes first)", cs[0])
	}
	tests := []struct {
		c                      CRS
		uri                    string
		northFirst, geographic bool
		decimals               int
	}{
		{CRS84, "http://www.opengis.net/def/crs/OGC/1.3/CRS84", false, true, 7},
		{EPSG4326, "http://www.opengis.net/def/crs/EPSG/0/4326", true, true, 7},
		{EPSG4258, "http://www.opengis.net/def/crs/EPSG/0/4258", true, true, 7},
		{EPSG3857, "http://www.opengis.net/def/crs/EPSG/0/3857", false, false, 2},
		{EPSG32632, "http://www.opengis.net/def/crs/EPSG/0/32632", false, false, 2},
		{EPSG6707, "http://www.opengis.net/def/crs/EPSG/0/6707", true, false, 2},
		{EPSG7791, "http://www.opengis.net/def/crs/EPSG/0/7791", false, false, 2},
		{EPSG3003, "http://www.opengis.net/def/crs/EPSG/0/3003", false, false, 2},
	}
	if len(cs) != len(tests) {
		t.Errorf("SupportedCRSs() has %d CRSs, the test knows %d", len(cs), len(tests))
	}
	for _, tt := range tests {
		c := tt.c
		if c.URI() != tt.uri || c.NorthFirst != tt.northFirst || c.Geographic != tt.geographic || c.Decimals() != tt.decimals {
			t.Errorf("%v: URI %q, NorthFirst %v, Geographic %v, Decimals %d; want %q, %v, %v, %d",
				c, c.URI(), c.NorthFirst, c.Geographic, c.Decimals(), tt.uri, tt.northFirst, tt.geographic, tt.decimals)
		}
		if got, err := LookupCRS(c.URI()); err != nil || got != c {
			t.Errorf("LookupCRS(%q) = %v, %v; want %v", c.URI(), got, err, c)
		}
	}
	if !(CRS{}).IsCRS84() || (CRS{}).URI() != CRS84.URI() || EPSG4326.IsCRS84() {
		t.Errorf("the zero CRS must be CRS84 and EPSG:4326 must not")
	}
	cs[0] = EPSG3003
	if SupportedCRSs()[0] != CRS84 {
		t.Errorf("SupportedCRSs returns the package's own slice")
	}
}

// bboxInTests is shared with FuzzParseBBoxIn as its seed corpus.
var bboxInTests = []struct {
	name    string
	in      string
	crs     CRS
	want    orb.Bound
	wantErr string // exact message; "" means success
}{
	{name: "CRS84 is ParseBBox", in: "9.45,45.25,9.85,45.55", crs: CRS84, want: bnd(9.45, 45.25, 9.85, 45.55)},
	{name: "EPSG:4326 latitude first", in: "45.25,9.45,45.55,9.85", crs: EPSG4326, want: bnd(9.45, 45.25, 9.85, 45.55)},
	{name: "EPSG:4258 latitude first", in: "45.25,9.45,45.55,9.85", crs: EPSG4258, want: bnd(9.45, 45.25, 9.85, 45.55)},
	{name: "EPSG:4326 six values", in: "45.25,9.45,0,45.55,9.85,10", crs: EPSG4326, want: bnd(9.45, 45.25, 9.85, 45.55)},
	{name: "EPSG:32632 easting first", in: "550000,5010000,560000,5030000", crs: EPSG32632, want: bnd(550000, 5010000, 560000, 5030000)},
	{name: "EPSG:6707 northing first", in: "5010000,550000,5030000,560000", crs: EPSG6707, want: bnd(550000, 5010000, 560000, 5030000)},
	{name: "EPSG:3003", in: "1545000,5015000,1560000,5030000", crs: EPSG3003, want: bnd(1545000, 5015000, 1560000, 5030000)},
	{name: "EPSG:3857 clipped", in: "-3e7,-1e8,1.1e6,5.7e6", crs: EPSG3857, want: bnd(-20037508.35, -20048966.11, 1.1e6, 5.7e6)},
	{name: "EPSG:6707 clipped", in: "0,0,5030000,560000", crs: EPSG6707, want: bnd(225000, 4042000, 560000, 5030000)},
	{name: "EPSG:4326 longitude first", in: "9.45,45.25,9.85,45.55", crs: EPSG4326, want: bnd(45.25, 9.45, 45.55, 9.85)},
	{name: "EPSG:4326 latitude range", in: "45,9,95,10", crs: EPSG4326,
		wantErr: "bbox: value 3 (95) is outside the latitude range -90..90 (EPSG:4326 takes min latitude, min longitude, max latitude, max longitude)"},
	{name: "EPSG:4258 degrees only", in: "5010000,550000,5030000,560000", crs: EPSG4258,
		wantErr: "bbox: value 1 (5010000) is outside the latitude range -90..90 (EPSG:4258 takes min latitude, min longitude, max latitude, max longitude)"},
	{name: "EPSG:6707 given easting first", in: "550000,5010000,560000,5030000", crs: EPSG6707,
		wantErr: "bbox: lies outside the area of EPSG:6707 (northing 4042000..5215000, easting 225000..769000): EPSG:6707 takes min northing, min easting, max northing, max easting"},
	{name: "EPSG:3003 in degrees", in: "9.45,45.25,9.85,45.55", crs: EPSG3003,
		wantErr: "bbox: lies outside the area of EPSG:3003 (easting 1225000..1769000, northing 4042000..5215000): EPSG:3003 takes min easting, min northing, max easting, max northing"},
	{name: "min > max", in: "5030000,550000,5010000,560000", crs: EPSG6707,
		wantErr: "bbox: the min northing 5030000 is greater than the max northing 5010000 (EPSG:6707 takes min northing, min easting, max northing, max easting)"},
	{name: "three values", in: "1,2,3", crs: EPSG32632,
		wantErr: "bbox: want 4 or 6 comma-separated numbers (min easting, min northing, max easting, max northing in EPSG:32632), got 3"},
	{name: "empty", in: " ", crs: EPSG4326, wantErr: "bbox: is empty, want min latitude, min longitude, max latitude, max longitude (EPSG:4326)"},
	{name: "not a number", in: "1,x,3,4", crs: EPSG3003, wantErr: `bbox: value 2 ("x") is not a number`},
}

func TestParseBBoxIn(t *testing.T) {
	t.Parallel()
	for _, tt := range bboxInTests {
		got, err := ParseBBoxIn(tt.in, tt.crs)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: ParseBBoxIn(%q, %v) = %v, %v;\n want error %q", tt.name, tt.in, tt.crs, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ParseBBoxIn(%q, %v) = %v, %v; want %v", tt.name, tt.in, tt.crs, got, err, tt.want)
		}
		if back, err := ParseBBoxIn(FormatBBoxIn(got, tt.crs), tt.crs); err != nil || back != got {
			t.Errorf("%s: ParseBBoxIn(FormatBBoxIn(%v)) = %v, %v", tt.name, got, back, err)
		}
	}
}

// crsMemberTests is shared with FuzzParseCRSMember as its seed corpus.
var crsMemberTests = []struct {
	in      string
	want    SRID
	wantErr string
}{
	{in: `{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3003"}}`, want: 3003},
	{in: `{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}`, want: WGS84},
	{in: `{"type":"name","properties":{"name":"EPSG:6707"}}`, want: 6707},
	{in: `{"type":"EPSG","properties":{"code":32632}}`, want: UTM32N},
	{in: `null`, want: WGS84},
	{in: `{"type":"link","properties":{"href":"http://example.com/crs"}}`, wantErr: `crs: CRS of type "link" is not supported; want a named CRS`},
	{in: `{"type":"name","properties":{"name":"EPSG:9999999"}}`, wantErr: "crs: unknown CRS: EPSG code 9999999 is outside 1..998999"},
	{in: `{"type":"name","properties":{"name":"WGS84"}}`, wantErr: `crs: unknown CRS: "WGS84" is not a supported CRS identifier`},
	{in: `"EPSG:4326"`, wantErr: `crs: want {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32632"}}`},
	{in: `{"type":"EPSG","properties":{"code":"x"}}`, wantErr: `crs: want {"type": "name"`},
}

func TestParseCRSMember(t *testing.T) {
	t.Parallel()
	for _, tt := range crsMemberTests {
		got, err := ParseCRSMember([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("ParseCRSMember(%s) = %v, %v; want an error starting %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseCRSMember(%s) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseCRSMember([]byte(`{"type":"name","properties":{"name":"` + strings.Repeat("x", 5000) + `"}}`)); err == nil ||
		!strings.Contains(err.Error(), "longer than 4096 bytes") {
		t.Errorf("a 5 kB crs member: %v, want it refused for its size", err)
	}
}

func TestSwapXY(t *testing.T) {
	t.Parallel()
	poly := orb.Polygon{{{1, 2}, {3, 2}, {3, 4}, {1, 2}}}
	tests := []struct{ in, want orb.Geometry }{
		{orb.Point{1, 2}, orb.Point{2, 1}},
		{orb.MultiPoint{{1, 2}, {3, 4}}, orb.MultiPoint{{2, 1}, {4, 3}}},
		{orb.LineString{{1, 2}, {3, 4}}, orb.LineString{{2, 1}, {4, 3}}},
		{orb.MultiLineString{{{1, 2}, {3, 4}}}, orb.MultiLineString{{{2, 1}, {4, 3}}}},
		{poly, orb.Polygon{{{2, 1}, {2, 3}, {4, 3}, {2, 1}}}},
		{orb.MultiPolygon{poly}, orb.MultiPolygon{{{{2, 1}, {2, 3}, {4, 3}, {2, 1}}}}},
		{orb.Collection{orb.Point{1, 2}, orb.LineString{{5, 6}, {7, 8}}}, orb.Collection{orb.Point{2, 1}, orb.LineString{{6, 5}, {8, 7}}}},
		{bnd(1, 2, 3, 4), bnd(2, 1, 4, 3)},
	}
	for _, tt := range tests {
		got := SwapXY(tt.in)
		if !orb.Equal(got, tt.want) {
			t.Errorf("SwapXY(%v) = %v, want %v", tt.in, got, tt.want)
		}
		if !orb.Equal(SwapXY(got), tt.in) {
			t.Errorf("SwapXY(SwapXY(%v)) = %v", tt.in, SwapXY(got))
		}
	}
	if poly[0][0] != (orb.Point{1, 2}) {
		t.Errorf("SwapXY changed its argument: %v", poly)
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	if got, ok := EPSG6707.Clip(bnd(0, 5000000, 300000, 6000000)); !ok || got != bnd(225000, 5000000, 300000, 5215000) {
		t.Errorf("Clip = %v, %v; want the part inside the domain", got, ok)
	}
	if _, ok := EPSG3003.Clip(bnd(9, 45, 10, 46)); ok {
		t.Errorf("a box in degrees meets the domain of EPSG:3003")
	}
}
