package geo

import (
	"fmt"
	"strconv"
	"strings"
)

// An SRID identifies a coordinate reference system by its EPSG code, the
// spatial_ref_sys.srid PostGIS uses.
type SRID int

// The CRSs Atlante meets most.
const (
	WGS84       SRID = 4326  // storage CRS; longitude, latitude as in CRS84
	WebMercator SRID = 3857  // vector tiles
	UTM32N      SRID = 32632 // ISTAT boundaries
)

// MaxSRID is the largest SRID PostGIS accepts for spatial_ref_sys entries
// (SRID_MAXIMUM; codes above it are reserved for PostGIS's own use).
const MaxSRID SRID = 998999

// URI returns the OGC http URI of s as used by OGC API – Features Part 2
// (OGC 18-058 §6.2): CRS84 for WGS84, http://www.opengis.net/def/crs/EPSG/0/N
// otherwise.
func (s SRID) URI() string {
	if s == WGS84 {
		return "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	}
	return "http://www.opengis.net/def/crs/EPSG/0/" + strconv.Itoa(int(s))
}

// String returns "EPSG:N".
func (s SRID) String() string { return "EPSG:" + strconv.Itoa(int(s)) }

// Valid reports whether s is in PostGIS's range 1..MaxSRID. It does not say
// whether spatial_ref_sys knows s; only the database can.
func (s SRID) Valid() bool { return s > 0 && s <= MaxSRID }

// ParseCRS parses a CRS identifier in any of the forms clients send:
//
//	EPSG:32632
//	CRS84, OGC:CRS84
//	urn:ogc:def:crs:EPSG::32632, urn:ogc:def:crs:EPSG:6.6:32632
//	urn:ogc:def:crs:OGC:1.3:CRS84, urn:ogc:def:crs:OGC::CRS84
//	http://www.opengis.net/def/crs/EPSG/0/32632 (https too)
//	http://www.opengis.net/def/crs/OGC/1.3/CRS84
//
// Matching ignores case (URNs are case-insensitive, RFC 8141 §3; http URIs
// are matched leniently). CRS84 maps to WGS84. The SRID must be in
// 1..MaxSRID. The error is an *Error for field "crs".
//
// An SRID does not carry axis order: EPSG:4326 (latitude first by definition)
// and CRS84 (longitude first) both give WGS84. A caller that must honour the
// EPSG axis order in responses has to look at the text itself.
func ParseCRS(s string) (SRID, error) {
	l := strings.ToLower(s)
	var code string
	switch {
	case l == "crs84" || l == "ogc:crs84":
		return WGS84, nil
	case strings.HasPrefix(l, "epsg:"):
		code = l[len("epsg:"):]
	case strings.HasPrefix(l, "urn:ogc:def:crs:"):
		// urn:ogc:def:crs:{authority}:{version}:{code}, version may be empty.
		f := strings.Split(l[len("urn:ogc:def:crs:"):], ":")
		if len(f) != 3 || !isVersion(f[1]) {
			return 0, unknownCRS(s)
		}
		switch {
		case f[0] == "ogc" && f[2] == "crs84":
			return WGS84, nil
		case f[0] == "epsg":
			code = f[2]
		default:
			return 0, unknownCRS(s)
		}
	case strings.HasPrefix(l, "http://www.opengis.net/def/crs/"),
		strings.HasPrefix(l, "https://www.opengis.net/def/crs/"):
		// .../def/crs/{authority}/{version}/{code}, version "0" for EPSG.
		_, rest, _ := strings.Cut(l, "/def/crs/")
		f := strings.Split(rest, "/")
		if len(f) != 3 || f[1] == "" || !isVersion(f[1]) {
			return 0, unknownCRS(s)
		}
		switch {
		case f[0] == "ogc" && f[2] == "crs84":
			return WGS84, nil
		case f[0] == "epsg":
			code = f[2]
		default:
			return 0, unknownCRS(s)
		}
	default:
		return 0, unknownCRS(s)
	}
	return parseSRID("crs", s, code)
}

// parseSRID parses the EPSG code found in the identifier whole.
func parseSRID(field, whole, code string) (SRID, error) {
	if code == "" {
		return 0, errorf(field, quote(whole)+" has no EPSG code")
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, errorf(field, fmt.Sprintf("EPSG code %s in %s is not an integer", quote(code), quote(whole)))
		}
	}
	if len(code) > 1 && code[0] == '0' {
		return 0, errorf(field, fmt.Sprintf("EPSG code %s in %s has a leading zero", quote(code), quote(whole)))
	}
	n, err := strconv.Atoi(code)
	if err != nil || !SRID(n).Valid() {
		if len(code) > 12 {
			code = code[:12] + "…"
		}
		return 0, errorf(field, fmt.Sprintf("EPSG code %s is outside 1..%d", code, MaxSRID))
	}
	return SRID(n), nil
}

func unknownCRS(s string) error {
	return errorf("crs", quote(s)+" is not a supported CRS identifier; use e.g. http://www.opengis.net/def/crs/EPSG/0/32632, EPSG:32632 or CRS84")
}

// isVersion reports whether v is a registry version: empty or digits and dots.
func isVersion(v string) bool {
	for i := 0; i < len(v); i++ {
		if (v[i] < '0' || v[i] > '9') && v[i] != '.' {
			return false
		}
	}
	return true
}
