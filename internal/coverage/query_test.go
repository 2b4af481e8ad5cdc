package coverage_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
)

// cremasco returns the 48 comuni as search matches them.
func cremasco(tb testing.TB) []coverage.ComuneName {
	tb.Helper()
	ms, err := comuni.Members()
	if err != nil {
		tb.Fatal(err)
	}
	var cs []coverage.ComuneName
	for _, m := range ms {
		cs = append(cs, coverage.NewComuneName(string(m.ISTATCode), m.Name))
	}
	return cs
}

// TestReadings checks which comune a query names, and the street left:
// the first reading is the one search trusts most; the last is always
// the whole query as a street.
func TestReadings(t *testing.T) {
	t.Parallel()
	cs := cremasco(t)
	tests := []struct {
		q      string
		street string   // of the first reading
		codes  []string // of the first reading; nil: no comune named
	}{
		{"via roma 12 crema", "VIA ROMA", []string{"019035"}},
		{"Via Roma, 12 Crema", "VIA ROMA", []string{"019035"}},
		{"crema via roma 12", "VIA ROMA", []string{"019035"}},
		{"crema", "", []string{"019035"}},
		{"crmea", "", []string{"019035"}},                                       // two letters swapped
		{"via roma 12 cre", "VIA ROMA", []string{"019034", "019035", "019037"}}, // Credera, Crema, Cremosano: still typing
		{"ripalta cremasca", "", []string{"019081"}},                            // not Ripalta + "cremasca"
		{"ripalta", "", []string{"019080", "019081", "019082"}},                 // Arpina, Cremasca, Guerina
		{"ripalta cremsca", "", []string{"019081"}},                             // a letter missing
		{"spino dadda", "", []string{"019102"}},                                 // d'Adda without the apostrophe
		{"spino d'adda", "", []string{"019102"}},                                //
		{"casale cremasco", "", []string{"019017"}},                             // Casale Cremasco-Vidolasco
		{"via crema 5 offanengo", "VIA CREMA", []string{"019062"}},              // a street named after a comune
		{"piazza garibaldi 3 bagnolo", "PIAZZA GARIBALDI", []string{"019005"}},
		{"via roma", "VIA ROMA", nil},
		{"s. bernardino", "S BERNARDINO", nil},
		{"via monti 4", "VIA MONTI", nil}, // "monti" is no typo of Monte Cremasco
		{"via castello 3", "VIA CASTELLO", nil},
	}
	for _, tt := range tests {
		q := coverage.ParseQuery(tt.q)
		rs := q.Readings(cs)
		if len(rs) == 0 || len(rs) > 4 {
			t.Fatalf("Readings(%q) = %d readings, want 1..4", tt.q, len(rs))
		}
		last := rs[len(rs)-1]
		if !slices.Equal(last.Street, q.Words) || last.ISTATCodes != nil {
			t.Errorf("Readings(%q): last = %+v, want the whole query %v as a street", tt.q, last, q.Words)
		}
		first := rs[0]
		codes := slices.Clone(first.ISTATCodes)
		slices.Sort(codes)
		if got := strings.Join(first.Street, " "); got != tt.street || !slices.Equal(codes, tt.codes) {
			t.Errorf("Readings(%q)[0] = street %q in %v, want %q in %v", tt.q, got, codes, tt.street, tt.codes)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"via roma 12 crema", "Via Roma, 17/A Crema", "12 bis", "p.zza garibaldi 3a", "via 4 novembre 2",
		"via roma 12, 26013 crema", "n. 12", "VIA DEI MILLE 42 - CREMA", "12-", "/", "9999999", "à1", "1à", "\x00 1"} {
		f.Add(s)
	}
	cs := cremasco(f)
	f.Fuzz(func(t *testing.T, s string) {
		q := coverage.ParseQuery(s)
		for _, w := range q.Words {
			if w == "" || coverage.StreetKey(w) != w || strings.Contains(w, " ") {
				t.Fatalf("ParseQuery(%q): word %q is not a normalised word", s, w)
			}
		}
		if q.Number != nil {
			if *q.Number < 0 || *q.Number > 99999 || !strings.Contains(strings.Join(strings.Fields(s), " "), q.NumberText) {
				t.Fatalf("ParseQuery(%q) = number %d typed %q", s, *q.Number, q.NumberText)
			}
			if q.Suffix != strings.ToUpper(q.Suffix) || utf8.RuneCountInString(q.Suffix) > 6 {
				t.Fatalf("ParseQuery(%q): suffix %q", s, q.Suffix)
			}
		} else if q.Suffix != "" || q.NumberText != "" {
			t.Fatalf("ParseQuery(%q): suffix %q or number text %q without a number", s, q.Suffix, q.NumberText)
		}
		rs := q.Readings(cs)
		if len(rs) == 0 || len(rs) > 4 {
			t.Fatalf("ParseQuery(%q).Readings = %d, want 1..4", s, len(rs))
		}
	})
}
