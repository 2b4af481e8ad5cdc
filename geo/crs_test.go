package geo

import (
	"strings"
	"testing"
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
