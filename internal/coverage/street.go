package coverage

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// StreetKey normalises an Italian street name for matching: upper case,
// no accents or apostrophes, single spaces, and the usual abbreviations
// spelled out ("V." and "V" → VIA, "P.ZA"/"P.ZZA" → PIAZZA, "V.LE" → VIALE,
// "C.SO" → CORSO, ...); SAN/SANTA/SANTO/S. become S. It is idempotent:
// StreetKey(StreetKey(s)) == StreetKey(s).
func StreetKey(s string) string {
	s = stripAccents(s)
	s = strings.ToUpper(s)
	for _, a := range dottedAbbreviations {
		s = a.re.ReplaceAllString(s, " "+a.word+" ")
	}
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	for i, f := range fields {
		if w, ok := tokenWords[f]; ok {
			fields[i] = w
		}
		// "V" only abbreviates VIA at the start ("VITTORIO V" is a name).
		if f == "V" && i == 0 && len(fields) > 1 {
			fields[i] = "VIA"
		}
	}
	return strings.Join(fields, " ")
}

// stripAccents decomposes s, drops the combining marks and recomposes it
// ("Libertà" → "Liberta"). It keeps no state: a transform.Chain does (its
// buffers), and one shared between goroutines made concurrent searches
// panic or answer another street.
func stripAccents(s string) string {
	return norm.NFC.String(strings.Map(dropMark, norm.NFD.String(s)))
}

func dropMark(r rune) rune {
	if unicode.Is(unicode.Mn, r) {
		return -1
	}
	return r
}

// dottedAbbreviations are matched before the string is split into words,
// because their dots and spaces would split them ("P. ZZA"). Each needs its
// dot, so a normalised key never matches again (idempotence).
var dottedAbbreviations = []struct {
	re   *regexp.Regexp
	word string
}{
	{regexp.MustCompile(`\bP\s*\.\s*Z{1,2}\s*A\b\.?`), "PIAZZA"},
	{regexp.MustCompile(`\bP\s*\.\s*LE\b\.?`), "PIAZZALE"},
	{regexp.MustCompile(`\bV\s*\.\s*LE\b\.?`), "VIALE"},
	{regexp.MustCompile(`\bV\s*\.\s*LO\b\.?`), "VICOLO"},
	{regexp.MustCompile(`\bC\s*\.\s*SO\b\.?`), "CORSO"},
	{regexp.MustCompile(`\bL\s*\.\s*GO\b\.?`), "LARGO"},
	{regexp.MustCompile(`\bS\s*\.\s*DA\b\.?`), "STRADA"},
	{regexp.MustCompile(`\bV\s*\.`), "VIA"},
	{regexp.MustCompile(`\bS\s*\.`), "S"},
}

// tokenWords spell out abbreviations written as one word.
var tokenWords = map[string]string{
	"PZA": "PIAZZA", "PZZA": "PIAZZA", "PIAZ": "PIAZZA",
	"PLE": "PIAZZALE", "VLE": "VIALE", "VLO": "VICOLO", "VIC": "VICOLO",
	"CSO": "CORSO", "LGO": "LARGO", "STR": "STRADA", "SDA": "STRADA",
	"LOC": "LOCALITA", "FRAZ": "FRAZIONE",
	"SAN": "S", "SANTA": "S", "SANTO": "S", "STA": "S", "STO": "S",
}
