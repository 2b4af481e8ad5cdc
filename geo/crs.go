package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
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
// and CRS84 (longitude first) both give WGS84. LookupCRS tells them apart.
func ParseCRS(s string) (SRID, error) {
	srid, _, err := parseCRS(s)
	return srid, err
}

// parseCRS is ParseCRS that also tells whether s named CRS84 rather than
// an EPSG code.
func parseCRS(s string) (srid SRID, crs84 bool, err error) {
	l := strings.ToLower(s)
	var code string
	switch {
	case l == "crs84" || l == "ogc:crs84":
		return WGS84, true, nil
	case strings.HasPrefix(l, "epsg:"):
		code = l[len("epsg:"):]
	case strings.HasPrefix(l, "urn:ogc:def:crs:"):
		// urn:ogc:def:crs:{authority}:{version}:{code}, version may be empty.
		f := strings.Split(l[len("urn:ogc:def:crs:"):], ":")
		if len(f) != 3 || !isVersion(f[1]) {
			return 0, false, unknownCRS(s)
		}
		switch {
		case f[0] == "ogc" && f[2] == "crs84":
			return WGS84, true, nil
		case f[0] == "epsg":
			code = f[2]
		default:
			return 0, false, unknownCRS(s)
		}
	case strings.HasPrefix(l, "http://www.opengis.net/def/crs/"),
		strings.HasPrefix(l, "https://www.opengis.net/def/crs/"):
		// .../def/crs/{authority}/{version}/{code}, version "0" for EPSG.
		_, rest, _ := strings.Cut(l, "/def/crs/")
		f := strings.Split(rest, "/")
		if len(f) != 3 || f[1] == "" || !isVersion(f[1]) {
			return 0, false, unknownCRS(s)
		}
		switch {
		case f[0] == "ogc" && f[2] == "crs84":
			return WGS84, true, nil
		case f[0] == "epsg":
			code = f[2]
		default:
			return 0, false, unknownCRS(s)
		}
	default:
		return 0, false, unknownCRS(s)
	}
	srid, err = parseSRID("crs", s, code)
	return srid, false, err
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

// A CRS is a coordinate reference system Atlante serves features in (OGC
// API – Features Part 2, OGC 18-058): an SRID of spatial_ref_sys, read with
// the axis order its definition gives.
type CRS struct {
	SRID SRID
	// NorthFirst is true when the definition's first axis is latitude or
	// northing (EPSG:4326, EPSG:4258, EPSG:6707): Part 2 writes such
	// coordinates y, x, while PostGIS and this package's orb values always
	// hold x (longitude, easting) first.
	NorthFirst bool
	// Geographic is true for degrees, false for metres.
	Geographic bool
	// Name is the EPSG name, for people.
	Name string
	// Domain is where coordinates of this CRS make sense, x first: the
	// bounds of its EPSG area of use, in its own units, rounded outwards.
	// A projected bbox is clipped to it before PostGIS transforms it
	// (outside it PROJ either fails or answers nonsense).
	Domain orb.Bound
	uri    string
}

// The CRSs of Part 2 that Atlante serves. Axis orders and areas of use are
// those of the EPSG dataset as PROJ 9 gives them (projinfo EPSG:n).
var (
	// CRS84 is the default of OGC API – Features and of RFC 7946:
	// longitude, latitude on WGS 84, as stored.
	CRS84 = CRS{SRID: WGS84, Geographic: true, Name: "WGS 84 (longitude, latitude)",
		Domain: bnd(-180, -90, 180, 90), uri: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
	// EPSG4326 is WGS 84 with the EPSG axis order, latitude first.
	EPSG4326 = epsg(4326, true, true, "WGS 84 (latitude, longitude)", bnd(-180, -90, 180, 90))
	// EPSG4258 is ETRS89, latitude first; in Italy the same as WGS 84 to
	// a metre (PROJ applies the null transformation EPSG:1149).
	EPSG4258 = epsg(4258, true, true, "ETRS89 (latitude, longitude)", bnd(-180, -90, 180, 90))
	// EPSG3857 is Web Mercator, the CRS of the vector tiles.
	EPSG3857 = epsg(3857, false, false, "WGS 84 / Pseudo-Mercator",
		bnd(-20037508.35, -20048966.11, 20037508.35, 20048966.11))
	// EPSG32632 is WGS 84 / UTM zone 32N, the CRS of ISTAT's boundaries.
	EPSG32632 = epsg(32632, false, false, "WGS 84 / UTM zone 32N", bnd(166000, 0, 834000, 9330000))
	// EPSG6707 is RDN2008 / UTM zone 32N (N-E), Italy's official CRS
	// (DM 10/11/2011): northing first.
	EPSG6707 = epsg(6707, true, false, "RDN2008 / UTM zone 32N (N-E)", bnd(225000, 4042000, 769000, 5215000))
	// EPSG7791 is the same projection as EPSG6707, easting first: the
	// order of most GIS files (and of ESRI's "RDN2008_UTM_Zone_32N").
	EPSG7791 = epsg(7791, false, false, "RDN2008 / UTM zone 32N", bnd(225000, 4042000, 769000, 5215000))
	// EPSG3003 is Monte Mario / Italy zone 1 (Gauss-Boaga west), the CRS
	// of older municipal cartography. PROJ converts it to WGS 84 with the
	// 7-parameter Helmert "Monte Mario to WGS 84 (4)" (EPSG:1660): good to
	// about 4 m on the mainland, as the EPSG dataset states; IGM's grids
	// that do better are not free.
	EPSG3003 = epsg(3003, false, false, "Monte Mario / Italy zone 1", bnd(1225000, 4042000, 1769000, 5215000))
)

// supportedCRSs is the list /collections publishes; CRS84, the default of
// Part 1, comes first.
var supportedCRSs = []CRS{CRS84, EPSG4326, EPSG4258, EPSG3857, EPSG32632, EPSG6707, EPSG7791, EPSG3003}

func epsg(srid SRID, northFirst, geographic bool, name string, domain orb.Bound) CRS {
	return CRS{SRID: srid, NorthFirst: northFirst, Geographic: geographic, Name: name, Domain: domain,
		uri: "http://www.opengis.net/def/crs/EPSG/0/" + strconv.Itoa(int(srid))}
}

func bnd(minx, miny, maxx, maxy float64) orb.Bound {
	return orb.Bound{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}
}

// SupportedCRSs returns the CRSs Atlante serves, CRS84 first.
func SupportedCRSs() []CRS { return slices.Clone(supportedCRSs) }

// URI returns the OGC http URI of c, as Part 2 lists and echoes it
// (Content-Crs). The zero CRS is CRS84.
func (c CRS) URI() string {
	if c.uri == "" {
		return CRS84.uri
	}
	return c.uri
}

// String returns "CRS84" or "EPSG:n".
func (c CRS) String() string {
	if c.IsCRS84() {
		return "CRS84"
	}
	return c.SRID.String()
}

// IsCRS84 reports whether c is CRS84, the zero CRS included: coordinates
// as stored, nothing to transform or swap.
func (c CRS) IsCRS84() bool { return c == CRS84 || c == CRS{} }

// Decimals is the number of decimals coordinates are written with: 7 in
// degrees (about a centimetre), 2 in metres (a centimetre).
func (c CRS) Decimals() int {
	if c.Geographic || c.SRID == 0 {
		return 7
	}
	return 2
}

// LookupCRS returns the supported CRS s names, in any form ParseCRS reads.
// CRS84 and EPSG:4326 are told apart: the first is longitude first, the
// second latitude first. The error is an *Error for field "crs" that lists
// the supported CRSs.
func LookupCRS(s string) (CRS, error) {
	srid, crs84, err := parseCRS(s)
	if err != nil {
		var ge *Error
		msg := err.Error()
		if errors.As(err, &ge) {
			msg = ge.Msg
		}
		return CRS{}, errorf("crs", strings.TrimSuffix(msg, "; use e.g. http://www.opengis.net/def/crs/EPSG/0/32632, EPSG:32632 or CRS84")+"; "+supportedList())
	}
	if crs84 {
		return CRS84, nil
	}
	for _, c := range supportedCRSs[1:] {
		if c.SRID == srid {
			return c, nil
		}
	}
	return CRS{}, errorf("crs", srid.String()+" is not served; "+supportedList())
}

// supportedList names the supported CRSs for an error message.
func supportedList() string {
	names := make([]string, len(supportedCRSs))
	for i, c := range supportedCRSs {
		names[i] = c.String()
	}
	return "supported are " + strings.Join(names, ", ") +
		" (as http://www.opengis.net/def/crs/EPSG/0/n, urn:ogc:def:crs:EPSG::n or EPSG:n; CRS84 as http://www.opengis.net/def/crs/OGC/1.3/CRS84)"
}

// maxCRSMember bounds the crs member ParseCRSMember reads; a named CRS
// takes under 100 bytes.
const maxCRSMember = 4096

// ParseCRSMember reads the crs member of GeoJSON 2008 (§3), which RFC 7946
// dropped but ogr2ogr still writes for data not in CRS84: a named CRS
// {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32632"}}, or
// the {"type":"EPSG","properties":{"code":32632}} of its drafts; null
// means CRS84. The name is read as ParseCRS reads it. Positions under
// such a member are x, y (longitude or easting first) whatever the CRS.
// The error is an *Error for field "crs".
func ParseCRSMember(raw []byte) (SRID, error) {
	if len(raw) > maxCRSMember {
		return 0, errorf("crs", fmt.Sprintf("the crs member is longer than %d bytes", maxCRSMember))
	}
	if string(raw) == "null" {
		return WGS84, nil
	}
	var c struct {
		Type       string `json:"type"`
		Properties struct {
			Name string      `json:"name"`
			Code json.Number `json:"code"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return 0, errorf("crs", `want {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32632"}}`)
	}
	var name string
	switch strings.ToLower(c.Type) {
	case "name":
		name = c.Properties.Name
	case "epsg":
		name = "EPSG:" + string(c.Properties.Code)
	default:
		return 0, errorf("crs", fmt.Sprintf("CRS of type %s is not supported; want a named CRS such as urn:ogc:def:crs:EPSG::32632", quote(c.Type)))
	}
	srid, err := ParseCRS(name)
	var ge *Error
	if errors.As(err, &ge) {
		return 0, errorf("crs", "unknown CRS: "+ge.Msg)
	}
	return srid, err
}

// SwapXY returns a copy of g with x and y of every position swapped: what
// a CRS whose first axis is north (NorthFirst) writes, in orb's x-first
// order, and back.
func SwapXY(g orb.Geometry) orb.Geometry {
	swap := func(ps []orb.Point) {
		for i, p := range ps {
			ps[i] = orb.Point{p[1], p[0]}
		}
	}
	switch g := orb.Clone(g).(type) {
	case orb.Point:
		return orb.Point{g[1], g[0]}
	case orb.MultiPoint:
		swap(g)
		return g
	case orb.LineString:
		swap(g)
		return g
	case orb.Ring:
		swap(g)
		return g
	case orb.MultiLineString:
		for _, l := range g {
			swap(l)
		}
		return g
	case orb.Polygon:
		for _, r := range g {
			swap(r)
		}
		return g
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				swap(r)
			}
		}
		return g
	case orb.Collection:
		for i, m := range g {
			g[i] = SwapXY(m)
		}
		return g
	case orb.Bound:
		return orb.Bound{Min: orb.Point{g.Min[1], g.Min[0]}, Max: orb.Point{g.Max[1], g.Max[0]}}
	default:
		return g
	}
}
