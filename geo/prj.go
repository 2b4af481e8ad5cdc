package geo

import (
	"fmt"
	"strings"
)

// maxPRJ bounds the size of a .prj file; real ones are well under 2 KiB.
const maxPRJ = 64 << 10

// maxWKTDepth bounds the nesting of WKT nodes; real ones nest 4 deep.
const maxWKTDepth = 16

// ParsePRJ returns the CRS of a Shapefile's .prj file, which holds ESRI WKT1
// (OGC WKT1 and WKT2 are read too). The outermost PROJCS or GEOGCS decides
// (the horizontal part of a COMPD_CS): its own AUTHORITY["EPSG","n"] (WKT2:
// ID["EPSG",n]) when present, otherwise its name, compared ignoring case and
// punctuation against the ESRI and EPSG names of the CRSs Italian data comes
// in: WGS 84, ETRS89, RDN2008, IGM95 and ED50 / UTM zones 32N and 33N, Monte
// Mario / Italy zones 1 and 2 (Gauss-Boaga), Web Mercator, and the geographic
// WGS 84, ETRS89, RDN2008, IGM95, Monte Mario and ED50. An unknown CRS is an
// *Error for field "prj" that names what was found and suggests
// "--crs EPSG:nnnn".
func ParsePRJ(wkt string) (SRID, error) {
	if len(wkt) > maxPRJ {
		return 0, errorf("prj", fmt.Sprintf("file is %d bytes, more than a CRS definition needs (limit %d)", len(wkt), maxPRJ))
	}
	p := wktParser{s: strings.TrimPrefix(wkt, "\ufeff")}
	p.space()
	if p.i == len(p.s) {
		return 0, errorf("prj", "is empty, want a WKT CRS definition")
	}
	root, err := p.node(0)
	if err != nil {
		return 0, errorf("prj", "malformed WKT: "+err.Error())
	}
	p.space()
	if p.i != len(p.s) {
		return 0, errorf("prj", fmt.Sprintf("malformed WKT: unexpected text at byte %d after the CRS definition", p.i))
	}
	crs := horizontalCRS(root)
	if crs == nil {
		return 0, errorf("prj", fmt.Sprintf("%s is not a projected or geographic CRS", quote(root.keyword)))
	}
	if auth := crs.child("AUTHORITY", "ID"); auth != nil && len(auth.args) >= 2 &&
		auth.args[0].leaf && strings.EqualFold(auth.args[0].text, "EPSG") && auth.args[1].leaf {
		return parseSRID("prj", crs.keyword+" AUTHORITY", auth.args[1].text)
	}
	if len(crs.args) == 0 || !crs.args[0].leaf || crs.args[0].text == "" {
		return 0, errorf("prj", crs.keyword+" has no name")
	}
	name := crs.args[0].text
	if srid, ok := prjNames[normalizeCRSName(name)]; ok {
		return srid, nil
	}
	return 0, errorf("prj", fmt.Sprintf("unknown CRS %s (%s); give its EPSG code with --crs EPSG:nnnn", quote(name), crs.keyword))
}

// prjNames maps normalised CRS names (normalizeCRSName) to EPSG codes: the
// ESRI names GDAL writes in .prj files and the EPSG names of OGC WKT, for the
// CRSs Italian data comes in.
var prjNames = map[string]SRID{
	// WGS 84 / UTM, the CRS of ISTAT boundaries.
	"wgs_1984_utm_zone_32n": 32632, "wgs_84_utm_zone_32n": 32632,
	"wgs_1984_utm_zone_33n": 32633, "wgs_84_utm_zone_33n": 32633,
	// ETRS89 / UTM.
	"etrs_1989_utm_zone_32n": 25832, "etrs89_utm_zone_32n": 25832,
	"etrs_1989_utm_zone_33n": 25833, "etrs89_utm_zone_33n": 25833,
	// RDN2008 / UTM, the current Italian national frame.
	"rdn2008_utm_zone_32n": 7791,
	"rdn2008_utm_zone_33n": 7792,
	// IGM95 / UTM.
	"igm_1995_utm_zone_32n": 3064, "igm95_utm_zone_32n": 3064,
	"igm_1995_utm_zone_33n": 3065, "igm95_utm_zone_33n": 3065,
	// Monte Mario / Gauss-Boaga, the legacy regional CRS.
	"monte_mario_italy_1": 3003, "monte_mario_italy_zone_1": 3003,
	"monte_mario_italy_2": 3004, "monte_mario_italy_zone_2": 3004,
	// ED50 / UTM.
	"ed_1950_utm_zone_32n": 23032, "ed50_utm_zone_32n": 23032,
	"ed_1950_utm_zone_33n": 23033, "ed50_utm_zone_33n": 23033,
	// Web Mercator.
	"wgs_84_pseudo_mercator": 3857, "wgs_1984_web_mercator_auxiliary_sphere": 3857,
	// Geographic.
	"gcs_wgs_1984": 4326, "wgs_84": 4326, "wgs84": 4326,
	"gcs_etrs_1989": 4258, "etrs89": 4258,
	"gcs_rdn2008": 6706, "rdn2008": 6706,
	"gcs_igm_1995": 4670, "igm95": 4670,
	"gcs_monte_mario": 4265, "monte_mario": 4265,
	"gcs_european_1950": 4230, "ed50": 4230,
}

// normalizeCRSName lower-cases name and turns every run of characters other
// than letters and digits into one '_', so that "RDN2008 / UTM zone 32N" and
// "RDN2008_UTM_zone_32N" meet.
func normalizeCRSName(name string) string {
	var b strings.Builder
	gap := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte('_')
		}
		gap = false
		b.WriteByte(c)
	}
	return b.String()
}

// horizontalCRS returns n when it is a projected or geographic CRS, or the
// first such CRS inside a compound one; nil otherwise.
func horizontalCRS(n *wktNode) *wktNode {
	switch n.keyword {
	case "PROJCS", "GEOGCS", "PROJCRS", "PROJECTEDCRS", "GEOGCRS", "GEOGRAPHICCRS":
		return n
	case "COMPD_CS", "COMPOUNDCRS":
		for _, a := range n.args {
			if !a.leaf {
				if c := horizontalCRS(a); c != nil {
					return c
				}
			}
		}
	}
	return nil
}

// A wktNode is KEYWORD[arg, ...] of WKT; a leaf is a quoted string, number or
// bare enumeration value (EAST) and has only text.
type wktNode struct {
	keyword string
	args    []*wktNode
	leaf    bool
	text    string
}

// child returns n's first direct child node with one of the keywords.
func (n *wktNode) child(keywords ...string) *wktNode {
	for _, a := range n.args {
		if a.leaf {
			continue
		}
		for _, k := range keywords {
			if a.keyword == k {
				return a
			}
		}
	}
	return nil
}

// wktParser is a recursive-descent reader of the WKT CRS syntax shared by
// ESRI WKT1, OGC WKT1 (OGC 01-009 §7) and WKT2 (ISO 19162): nodes with
// [] or () brackets, double-quoted strings ("" escapes a quote), numbers and
// bare words.
type wktParser struct {
	s string
	i int
}

func (p *wktParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// word reads a keyword, number or bare enumeration value.
func (p *wktParser) word() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '-' || c == '+' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

// node reads KEYWORD[args] at nesting depth.
func (p *wktParser) node(depth int) (*wktNode, error) {
	if depth >= maxWKTDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", maxWKTDepth)
	}
	at := p.i
	kw := p.word()
	if kw == "" {
		return nil, fmt.Errorf("want a keyword at byte %d", at)
	}
	p.space()
	if p.i == len(p.s) || (p.s[p.i] != '[' && p.s[p.i] != '(') {
		return nil, fmt.Errorf("want [ after %s at byte %d", quote(kw), p.i)
	}
	closing := byte(']')
	if p.s[p.i] == '(' {
		closing = ')'
	}
	p.i++
	n := &wktNode{keyword: strings.ToUpper(kw)}
	for {
		p.space()
		a, err := p.arg(depth)
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, a)
		p.space()
		if p.i == len(p.s) {
			return nil, fmt.Errorf("%s is not closed", n.keyword)
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case closing:
			p.i++
			return n, nil
		default:
			return nil, fmt.Errorf("want , or %c at byte %d", closing, p.i)
		}
	}
}

// arg reads one argument of a node: a quoted string, a nested node or a bare
// word.
func (p *wktParser) arg(depth int) (*wktNode, error) {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		p.i++
		var b strings.Builder
		for {
			j := strings.IndexByte(p.s[p.i:], '"')
			if j < 0 {
				return nil, fmt.Errorf("string is not closed")
			}
			b.WriteString(p.s[p.i : p.i+j])
			p.i += j + 1
			if p.i < len(p.s) && p.s[p.i] == '"' {
				b.WriteByte('"')
				p.i++
				continue
			}
			return &wktNode{leaf: true, text: b.String()}, nil
		}
	}
	at := p.i
	w := p.word()
	if w == "" {
		return nil, fmt.Errorf("want a value at byte %d", at)
	}
	save := p.i
	p.space()
	if p.i < len(p.s) && (p.s[p.i] == '[' || p.s[p.i] == '(') {
		p.i = at
		return p.node(depth + 1)
	}
	p.i = save
	return &wktNode{leaf: true, text: w}, nil
}
