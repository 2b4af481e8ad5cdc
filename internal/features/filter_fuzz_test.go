package features

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/coverage"
)

// fuzzLayers are the layers the fuzz target compiles against: civic
// numbers (strings, integers, booleans, points) and plan status (dates).
func fuzzLayers(tb testing.TB) []*catalog.Layer {
	tb.Helper()
	c, err := catalog.New(append(coverage.Layers(), civilprotection.Layers()...)...)
	if err != nil {
		tb.Fatal(err)
	}
	civici, _ := c.Layer("civici")
	plans, _ := c.Layer("plan-status")
	return []*catalog.Layer{civici, plans}
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// FuzzParseFilter checks that any filter either compiles to SQL whose
// placeholders are exactly its arguments, or is refused as an invalid
// filter; never a panic or another kind of error. A compiled filter's
// canonical text compiles again to the same SQL (links carry that text).
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"istat_code = '019035' AND number <= 3",
		"NOT best_status = 'planned' OR best_status IS NULL",
		"street LIKE 'Via S%' AND number BETWEEN 10 AND 12",
		"best_technology IN ('FTTH', 'FWA')",
		"ACCENTI(CASEI(street)) LIKE ACCENTI(CASEI('%umanità%'))",
		"S_INTERSECTS(geometry, POLYGON((9.68 45.36, 9.70 45.36, 9.70 45.37, 9.68 45.36)))",
		"S_WITHIN(geometry, BBOX(9.6, 45.3, 9.7, 45.4)) AND S_DISJOINT(geometry, POINT(9.65 45.35))",
		"S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(9.69 45.36), LINESTRING(9.5 45.4, 9.6 45.5)))",
		"T_DURING(INTERVAL(validated_at, status_since), INTERVAL('2025-01-01', '..'))",
		"T_MEETS(INTERVAL('2025-01-01T00:00:00Z', validated_at), INTERVAL(status_since, '..'))",
		"T_AFTER(status_since, DATE('2025-06-11'))",
		"validated_version < version AND 2 ^ version > 1",
		"number % 2 = 0 AND number div 3 >= 1 AND -number < 5",
		"id IN (1, 2, 3) OR TRUE",
		"(updated_at > '2025-02-01T') AND (synthetic = 1)",
		`{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [9.69, 45.36]}]}`,
		`{"op": "and", "args": [{"op": "=", "args": [{"property": "istat_code"}, "019035"]}, {"op": "isNull", "args": [{"property": "number"}]}]}`,
		`street LIKE 'x\\'`,
		"upper(street) = 'X'",
		"A_CONTAINS(('a'), ('a'))",
	} {
		for lang := range byte(3) {
			f.Add(s, lang, byte(0))
			f.Add(s, lang, byte(1))
		}
	}
	layers := fuzzLayers(f)
	f.Fuzz(func(t *testing.T, filter string, lang, layer byte) {
		l := layers[int(layer)%len(layers)]
		e, err := ParseFilter(l, filter, FilterLangs[int(lang)%len(FilterLangs)], "")
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "filter" {
				t.Fatalf("ParseFilter(%q) = %v, want an invalid filter", filter, err)
			}
			return
		}
		checkPlaceholders(t, e)
		again, err := ParseFilter(l, e.Text, LangText, "")
		if err != nil {
			t.Fatalf("ParseFilter(%q) compiled, its canonical text %q does not: %v", filter, e.Text, err)
		}
		if again.sql != e.sql || len(again.args) != len(e.args) {
			t.Fatalf("ParseFilter(%q):\n%s\nits canonical text %q:\n%s", filter, e.sql, e.Text, again.sql)
		}
	})
}

func checkPlaceholders(t *testing.T, e *Expression) {
	t.Helper()
	var used []int
	for _, m := range placeholder.FindAllStringSubmatch(e.sql, -1) {
		n, _ := strconv.Atoi(m[1])
		if !slices.Contains(used, n) {
			used = append(used, n)
		}
	}
	slices.Sort(used)
	for i, n := range used {
		if n != i+1 {
			t.Fatalf("SQL %s uses placeholders %v for %d arguments", e.sql, used, len(e.args))
		}
	}
	if len(used) != len(e.args) {
		t.Fatalf("SQL %s uses placeholders %v for %d arguments", e.sql, used, len(e.args))
	}
}

func TestGdalILIKE(t *testing.T) {
	tests := []struct{ in, want string }{
		{"name ILIKE 'crema%'", "name  LIKE 'crema%'"},
		{"(name ilike 'a') AND (x = 1)", "(name  LIKE 'a') AND (x = 1)"},
		{"name = ' ILIKE ' OR name ILIKE 'x'", "name = ' ILIKE ' OR name  LIKE 'x'"},
		{`name = 'it''s ILIKE' OR "ILIKE" = 'a\' ILIKE'`, `name = 'it''s ILIKE' OR "ILIKE" = 'a\' ILIKE'`},
		{"ILIKEness ILIKE 'x'", "ILIKEness  LIKE 'x'"},
		{"ILIKE", " LIKE"},
	}
	for _, tt := range tests {
		if got := gdalILIKE(tt.in); got != tt.want {
			t.Errorf("gdalILIKE(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFilterAfterOtherParameters checks the numbering of a filter's
// parameters when others come first.
func TestFilterAfterOtherParameters(t *testing.T) {
	l := fuzzLayers(t)[0]
	e, err := ParseFilter(l, "street = 'a' OR number IN (1, 2) OR street = 'b'", LangText, "")
	if err != nil {
		t.Fatal(err)
	}
	w, args := where(l, Query{CQL: e}, []any{"x", "y"}, boxIndexed)
	want := ` WHERE (("t"."street" = $3::text) OR ("t"."number" IN ($4::int8, $5::int8)) OR ("t"."street" = $6::text))`
	if w != strings.ReplaceAll(want, `"t".`, "t.") || len(args) != 6 || args[2] != "a" || args[5] != "b" {
		t.Errorf("where after two arguments = %s %v", w, args)
	}
}
