package coverage

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Query is a search as a person types it — "via roma 12 crema",
// "Roma, 17/A Crema", "p.zza garibaldi 3a", "crema" — understood: the
// house number found anywhere, and the other words, normalised as street
// keys, in order. Which words name the comune is decided against the
// comuni (see Query.Readings).
type Query struct {
	Words      []string // StreetKey words other than the house number
	Number     *int     // the house number, if one was typed
	Suffix     string   // its esponente, upper case ("A", "BIS"); "" for none
	NumberText string   // the house number as typed, with its suffix ("17/a")
}

// numberRun finds digit runs; houseSuffix reads the esponente that may
// follow a house number: up to three letters, or bis, ter, quater, stuck
// to it ("12a", "12bis"), after a slash ("17/A", "17 / a") or a dash
// ("12-b", but "12 - Crema" names the comune), or on their own ("12 bis";
// a single letter "12 A", not "12 v. Roma").
var (
	numberRun   = regexp.MustCompile(`[0-9]+`)
	houseSuffix = regexp.MustCompile(`(?i)^(?:(bis|ter|quater|[a-z]{1,3})(?:[^\p{L}\p{N}]|$)|(?:\s*/\s*|-)(bis|ter|quater|[a-z]{1,3})(?:[^\p{L}\p{N}]|$)|\s+(bis|ter|quater)(?:[^\p{L}\p{N}]|$)|\s+([a-z])(?:[\s,;]|$))`)
	// A number followed by a month is part of the street's name:
	// "Via 4 Novembre", "Piazza 25 Aprile".
	monthAfter = regexp.MustCompile(`(?i)^\s+(gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre)(?:[^\p{L}\p{N}]|$)`)
	// "n. 12", "nr 12", "civico 12": words that only announce the number.
	numberWord = regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}])(n|nr|num|numero|civ|civico|n°)\.?\s*$`)
)

// houseNumber is one possible house number in a query.
type houseNumber struct {
	start, end int // byte span in the query, suffix included
	number     int
	suffix     string
	digits     int
}

// ParseQuery reads a typed query. The house number is the last run of at
// most five digits that stands on its own (not "A4", not part of "4
// Novembre"); a five-digit run is taken for a postcode (CAP) when there is
// another. Everything else is kept as words.
func ParseQuery(q string) Query {
	var cands []houseNumber
	for _, m := range numberRun.FindAllStringIndex(q, -1) {
		start, end := m[0], m[1]
		if end-start > 5 {
			continue
		}
		if r, _ := utf8.DecodeLastRuneInString(q[:start]); start > 0 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			continue
		}
		rest := q[end:]
		if monthAfter.MatchString(rest) {
			continue
		}
		n, _ := strconv.Atoi(q[start:end]) // at most five digits: cannot fail
		h := houseNumber{start: start, end: end, number: n, digits: end - start}
		if sm := houseSuffix.FindStringSubmatchIndex(rest); sm != nil {
			for g := 1; g <= 4; g++ {
				if sm[2*g] >= 0 {
					h.suffix = strings.ToUpper(rest[sm[2*g]:sm[2*g+1]])
					h.end = end + sm[2*g+1]
					break
				}
			}
		} else if r, _ := utf8.DecodeRuneInString(rest); rest != "" && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			continue // "12abcdefg": not a house number
		}
		cands = append(cands, h)
	}
	// A postcode is no part of the street: "via roma 12, 26013 crema".
	var drop []houseNumber
	if len(cands) > 1 && slices.ContainsFunc(cands, func(h houseNumber) bool { return h.digits < 5 }) {
		for _, h := range cands {
			if h.digits == 5 && h.suffix == "" {
				if m := numberWord.FindStringSubmatchIndex(q[:h.start]); m != nil {
					h.start = m[2]
				}
				drop = append(drop, h)
			}
		}
		cands = slices.DeleteFunc(cands, func(h houseNumber) bool { return h.digits == 5 })
	}
	if len(cands) == 0 {
		return Query{Words: strings.Fields(StreetKey(q))}
	}
	h := cands[len(cands)-1]
	n := h.number
	text := strings.Join(strings.Fields(q[h.start:h.end]), " ")
	if m := numberWord.FindStringSubmatchIndex(q[:h.start]); m != nil {
		h.start = m[2] // "n. 12": the word goes with the number
	}
	drop = append(drop, h)
	slices.SortFunc(drop, func(a, b houseNumber) int { return b.start - a.start })
	rest := q
	for _, d := range drop {
		// A comma where the number was keeps "roma 12 crema" three words.
		rest = rest[:d.start] + " , " + rest[d.end:]
	}
	return Query{
		Words:      strings.Fields(StreetKey(rest)),
		Number:     &n,
		Suffix:     h.suffix,
		NumberText: text,
	}
}

// streetTypes are the words that say what kind of street a name is; the
// SQL function street_core (migration 00030) drops the same words.
var streetTypes = []string{"VIA", "VIALE", "VIALETTO", "PIAZZA", "PIAZZALE", "PIAZZETTA", "CORSO", "LARGO", "VICOLO",
	"VICOLETTO", "STRADA", "STRADELLO", "STRADONE", "LOCALITA", "FRAZIONE", "CONTRADA", "QUARTIERE", "SALITA", "TRAVERSA"}

// streetCore drops the leading type word of a street key: "VIA ROMA" →
// "ROMA". A key that is only a type word stays as it is.
func streetCore(key string) string {
	first, rest, ok := strings.Cut(key, " ")
	if ok && rest != "" && slices.Contains(streetTypes, first) {
		return rest
	}
	return key
}

// onlyTypes reports whether words are street-type words and nothing else
// ("VIA"): no street to look for.
func onlyTypes(words []string) bool {
	for _, w := range words {
		if !slices.Contains(streetTypes, w) {
			return false
		}
	}
	return true
}

// ComuneName is a comune as search matches it.
type ComuneName struct {
	ISTATCode string
	Name      string
	words     []string // StreetKey words of the name
	flat      string   // the words without spaces: "SPINODADDA"
}

// NewComuneName prepares a comune's name for matching.
func NewComuneName(code, name string) ComuneName {
	w := strings.Fields(StreetKey(name))
	return ComuneName{ISTATCode: code, Name: name, words: w, flat: strings.Join(w, "")}
}

// How well words name a comune, best first.
const (
	comuneExact  = iota // the name, spaces and apostrophes aside: "spino dadda"
	comunePrefix        // the start of each word: "ripalta crem", "casale"
	comuneTypo          // one edit (or two letters swapped) away: "crmea", "ripalta cremsca"
	comuneNone
)

// matchComune says how words name c.
func matchComune(words []string, c ComuneName) int {
	if len(words) == 0 {
		return comuneNone
	}
	flat := strings.Join(words, "")
	if flat == c.flat {
		return comuneExact
	}
	if len(words) <= len(c.words) && len(flat) >= 3 {
		prefix := true
		for i, w := range words {
			if !strings.HasPrefix(c.words[i], w) {
				prefix = false
				break
			}
		}
		if prefix {
			return comunePrefix
		}
	}
	if len(flat) >= 5 && osaWithin1(flat, c.flat) {
		return comuneTypo
	}
	return comuneNone
}

// osaWithin1 reports whether a and b (ASCII upper case) are at most one
// edit apart — an insertion, a deletion, a substitution, or two adjacent
// letters swapped (optimal string alignment distance ≤ 1).
func osaWithin1(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return true // equal, or b has one letter more at the end
	}
	if len(a) == len(b) {
		if a[i+1:] == b[i+1:] {
			return true // one substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // a swap
	}
	return a[i:] == b[i+1:] // one insertion
}

// Reading is one way to understand a query's words: Street at most,
// and, when some of the words name comuni, which (ISTATCodes) and how
// well (Match: comuneExact, comunePrefix, comuneTypo; comuneNone when no
// comune is named).
type Reading struct {
	Street     []string
	ISTATCodes []string
	Match      int
}

// maxReadings bounds the work of one search: each reading is a query.
const maxReadings = 4

// Readings lists the ways to understand the words against the comuni:
// first with the comune named by the words at the start or at the end
// (up to four words; "crema via roma", "via roma crema") — the whole
// query first, then the best match, then the longest name — and last the
// words as a street alone.
func (q Query) Readings(cs []ComuneName) []Reading {
	var rs []Reading
	seen := map[string]bool{}
	n := len(q.Words)
	for k := min(4, n); k >= 1; k-- {
		for _, atEnd := range []bool{true, false} {
			span, rest := q.Words[:k], q.Words[k:]
			if atEnd {
				span, rest = q.Words[n-k:], q.Words[:n-k]
			}
			best, codes := comuneNone, []string(nil)
			for _, c := range cs {
				m := matchComune(span, c)
				if m < best {
					best, codes = m, nil
				}
				if m == best && m != comuneNone {
					codes = append(codes, c.ISTATCode)
				}
			}
			id := strings.Join(span, " ") + "|" + strconv.FormatBool(atEnd)
			if best == comuneNone || seen[id] || k == n && !atEnd {
				continue
			}
			// "via rom": the start of Romanengo after a bare type word is
			// a street being typed, not a comune.
			if best != comuneExact && len(rest) > 0 && onlyTypes(rest) {
				continue
			}
			seen[id] = true
			rs = append(rs, Reading{Street: slices.Clone(rest), ISTATCodes: codes, Match: best})
		}
	}
	// A comune named by the whole query first ("ripalta cremsca" is
	// Ripalta Cremasca, not "cremsca" in the three Ripaltas), then the
	// better named, then the longer name.
	slices.SortStableFunc(rs, func(a, b Reading) int {
		return cmp.Or(cmp.Compare(min(len(a.Street), 1), min(len(b.Street), 1)), a.Match-b.Match)
	})
	if len(rs) > maxReadings-1 {
		rs = rs[:maxReadings-1]
	}
	return append(rs, Reading{Street: q.Words, Match: comuneNone})
}
