package cql2

import (
	"errors"
	"strings"
	"testing"
)

// errorTests: each bad filter fails with an *Error whose text says where and
// what was expected.
var errorTests = []struct {
	name string
	json bool
	in   string
	want string
}{
	{"property alone", false, "floors", "at 1:7: expected a comparison operator (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN or IS NULL) after property name 'floors', got the end of the filter"},
	{"value where an operator belongs", false, "floors 5", "at 1:8: expected a comparison operator (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN or IS NULL) after property name 'floors', got number 5"},
	{"missing operand", false, "a = 1 AND", "at 1:10: expected a value, property, function or '(', got the end of the filter"},
	{"position on a later line", false, "a = 1 OR\n  b = 'x' AND\n  c LIKE", "at 3:9: expected a value, property, function or '(', got the end of the filter"},
	{"two predicates without AND", false, "a = 1 b = 2", "at 1:7: expected AND, OR or the end of the filter, got 'b'"},
	{"unclosed parenthesis", false, "(a = 1", "at 1:7: expected ')', got the end of the filter"},
	{"extra parenthesis", false, "a = 1)", "at 1:6: expected AND, OR or the end of the filter, got ')'"},
	{"unclosed string", false, "a = 'x", "at 1:5: the string has no closing quote"},
	{"unclosed quoted name", false, `a = "b`, `at 1:5: the quoted property name has no closing "`},
	{"bang equal", false, "a != 1", "at 1:3: unexpected '!': CQL2 writes 'not equal' as <> and negation as NOT"},
	{"null as a value", false, "a = NULL", "at 1:5: NULL is not a value: test for it with IS NULL"},
	{"unknown character", false, "x = 'abc' ; DROP", "at 1:11: unexpected character ';'"},
	{"empty", false, "  ", "at 1:3: the filter is empty"},
	{"not valid utf-8", false, "a = 'x\xff'", "at 1:7: the filter is not valid UTF-8"},
	{"control character", false, "a = 'x\x01'", "at 1:7: control character U+0001 is not allowed in a string"},
	{"number out of range", false, "a = 1e999", "at 1:5: number '1e999' is out of range"},
	{"exponent without digits", false, "a = 1e", "at 1:6: the exponent of number '1e' has no digits"},
	{"number into a name", false, "a = 5x", "at 1:5: number '5x' runs into a name; put a space or an operator between them"},
	{"plus before a name", false, "+a > 1", "at 1:2: expected a number after '+', got 'a'"},
	{"chained power", false, "a ^ 2 ^ 3 > 1", "at 1:7: expected a comparison operator (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN or IS NULL) after an arithmetic expression, got '^'"},
	{"string in arithmetic", false, "a + 'x' > 1", "at 1:5: the right operand of + must be a number, property, arithmetic expression or function, not string 'x'"},
	{"like pattern not a string", false, "a LIKE b", "at 1:8: the pattern of LIKE must be a string pattern, or CASEI or ACCENTI of one, not property name 'b'"},
	{"like value a number", false, "5 LIKE 'x'", "at 1:1: the value tested by LIKE must be a string, property, CASEI, ACCENTI or function, not number 5"},
	{"between without and", false, "a BETWEEN 1", "at 1:12: expected AND between the bounds of BETWEEN, got the end of the filter"},
	{"between a string", false, "a BETWEEN 'x' AND 2", "at 1:11: the lower bound of BETWEEN must be a number, property, arithmetic expression or function, not string 'x'"},
	{"empty in list", false, "a IN ()", "at 1:6: the list of IN needs at least one value"},
	{"in without list", false, "a IN 1", "at 1:6: expected '(' to open the list of IN, got number 1"},
	{"is without null", false, "a IS 5", "at 1:6: expected NULL after IS, got number 5"},
	{"not before an operator", false, "a NOT = 1", "at 1:7: expected LIKE, BETWEEN or IN after NOT, got '='"},
	{"casei of a number", false, "CASEI(5) = 'x'", "at 1:7: the argument of CASEI must be a string, property, CASEI, ACCENTI or function, not number 5"},
	{"spatial arity", false, "S_INTERSECTS(geom)", "at 1:18: expected ',' (S_INTERSECTS takes 2 arguments), got ')'"},
	{"spatial number", false, "S_INTERSECTS(geom, 5)", "at 1:20: the second argument of S_INTERSECTS must be a geometry (WKT or GeoJSON), BBOX, property or function, not number 5"},
	{"point with one coordinate", false, "S_INTERSECTS(geom, POINT(1))", "at 1:27: expected the second coordinate of a point, got ')'"},
	{"point with four coordinates", false, "S_INTERSECTS(geom, POINT(1 2 3 4))", "at 1:32: expected ')' after the coordinates of a point, got number 4"},
	{"open ring", false, "S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 1)))", "at 1:28: a polygon ring must end where it starts: it starts at (0 0) and ends at (0 1)"},
	{"short ring", false, "S_INTERSECTS(geom, POLYGON((0 0, 1 0, 0 0)))", "at 1:28: a polygon ring needs at least 4 points, got 3"},
	{"short line", false, "S_INTERSECTS(geom, LINESTRING(1 2))", "at 1:20: a linestring needs at least 2 points, got 1"},
	{"empty geometry", false, "S_INTERSECTS(geom, POINT EMPTY)", "at 1:26: empty geometries are not supported in a filter"},
	{"nested collection", false, "S_INTERSECTS(geom, GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT(1 2))))", "at 1:39: a GEOMETRYCOLLECTION cannot contain another"},
	{"bbox of three", false, "S_INTERSECTS(geom, BBOX(1,2,3))", "at 1:20: BBOX takes 4 numbers (west, south, east, north) or 6 (west, south, min height, east, north, max height), got 3"},
	{"bbox upside down", false, "S_INTERSECTS(geom, BBOX(0,2,1,1))", "at 1:20: the south edge of BBOX (2) is north of its north edge (1)"},
	{"temporal string", false, "T_AFTER(d, '2020-01-01')", "at 1:12: the second argument of T_AFTER must be a DATE, TIMESTAMP, INTERVAL, property or function, not string '2020-01-01'"},
	{"date not in the calendar", false, "T_AFTER(d, DATE('2023-02-29'))", "at 1:17: '2023-02-29' is not a day of the calendar"},
	{"date badly written", false, "T_AFTER(d, DATE('20-02-01'))", "at 1:17: a date must be written YYYY-MM-DD, got '20-02-01'"},
	{"timestamp without zone", false, "T_AFTER(d, TIMESTAMP('2020-01-01 10:00:00'))", "at 1:22: a timestamp must be written YYYY-MM-DDTHH:MM:SSZ, with optional fractions of a second, in UTC; got '2020-01-01 10:00:00'"},
	{"timestamp hour 25", false, "T_AFTER(d, TIMESTAMP('2020-01-01T25:00:00Z'))", "at 1:22: '2020-01-01T25:00:00Z' is not a time of the day"},
	{"interval backwards", false, "T_DURING(d, INTERVAL('2021-01-01', '2020-01-01'))", "at 1:13: the interval starts (2021-01-01) after it ends (2020-01-01)"},
	{"interval bound", false, "T_DURING(d, INTERVAL('x', '..'))", "at 1:22: an interval bound must be a date 'YYYY-MM-DD', a timestamp 'YYYY-MM-DDTHH:MM:SSZ' or '..', got 'x'"},
	{"array of a number", false, "A_CONTAINS(a, 5)", "at 1:15: the second argument of A_CONTAINS must be an array in parentheses, property or function, not number 5"},

	{"json empty", true, ``, "at # (line 1, column 1): the filter is not valid JSON: it ends too early"},
	{"json syntax", true, `{"op":"=",}`, `at # (line 1, column 11): the filter is not valid JSON: invalid character '}' looking for beginning of object key string`},
	{"json trailing data", true, `{"op":"=","args":[{"property":"a"},1]} x`, "at # (line 1, column 40): unexpected data after the end of the filter"},
	{"json not a predicate", true, `"x"`, "at # (line 1, column 1): the filter must be a predicate (a comparison, LIKE, BETWEEN, IN, IS NULL, a spatial or temporal function), TRUE, FALSE or a function, not string 'x'"},
	{"json arity", true, `{"op":"like","args":[{"property":"a"},"x",3]}`, `at #/args (line 1, column 21): "like" takes 2 arguments, got 3`},
	{"json args not an array", true, `{"op":"=","args":{"property":"a"}}`, `at #/args (line 1, column 18): "args" must be an array, not an object`},
	{"json misspelt member", true, `{"op":"=","arg":[1,2]}`, `at #/arg (line 1, column 17): unexpected member "arg" next to "op"`},
	{"json duplicate member", true, `{"op":"=","op":"<","args":[1,2]}`, `at # (line 1, column 11): member "op" appears twice`},
	{"json null", true, `{"op":"=","args":[{"property":"a"},null]}`, "at #/args/1 (line 1, column 36): null is not a value: test for it with isNull"},
	{"json property name", true, `{"op":"=","args":[{"property":"a b"},1]}`, "at #/args/0/property (line 1, column 31): the name 'a b' has a character that a CQL2 identifier cannot have: ' ' (a name starts with a letter, '_' or ':' and goes on with letters, digits, '_', ':' or '.')"},
	{"json reserved function", true, `{"op":"date","args":[]}`, `at #/op (line 1, column 7): "date" is not an operator of cql2-json and, being a keyword of cql2-text, cannot name a function`},
	{"json unknown object", true, "{\"op\":\"=\",\n \"args\":[{\"property\":\"a\"},\n {\"foo\":1}]}", `at #/args/1 (line 3, column 2): expected an object with "op" and "args", "property", "date", "timestamp", "interval", "bbox" or a GeoJSON geometry, got members "foo"`},
	{"json and of one", true, `{"op":"and","args":[{"op":"=","args":[{"property":"a"},1]}]}`, `at #/args (line 1, column 20): "and" takes 2 or more arguments, got 1`},
	{"json not of a property", true, `{"op":"not","args":[{"property":"a"}]}`, "at #/args/0 (line 1, column 21): the operand of NOT must be a predicate (a comparison, LIKE, BETWEEN, IN, IS NULL, a spatial or temporal function), TRUE, FALSE or a function, not property name 'a'"},
	{"json short position", true, `{"op":"s_intersects","args":[{"property":"g"},{"type":"Point","coordinates":[1]}]}`, "at #/args/1/coordinates (line 1, column 77): a position has 2 or 3 numbers (x, y and optionally z), got 1"},
	{"json empty polygon", true, `{"op":"s_intersects","args":[{"property":"g"},{"type":"Polygon","coordinates":[]}]}`, "at #/args/1/coordinates (line 1, column 79): empty geometries are not supported in a filter"},
	{"json open ring", true, `{"op":"s_within","args":[{"property":"g"},{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}]}`, "at #/args/1/coordinates/0 (line 1, column 76): a polygon ring must end where it starts: it starts at (0 0) and ends at (0 1)"},
	{"json unknown geometry", true, `{"op":"s_intersects","args":[{"property":"g"},{"type":"Circle","coordinates":[]}]}`, "at #/args/1/type (line 1, column 55): unknown GeoJSON geometry type 'Circle' (want Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon or GeometryCollection)"},
	{"json bad date", true, `{"op":"t_after","args":[{"property":"d"},{"date":"2020-13-01"}]}`, "at #/args/1/date (line 1, column 50): '2020-13-01' is not a day of the calendar"},
	{"json in without array", true, `{"op":"in","args":[{"property":"d"},1]}`, `at #/args/1 (line 1, column 37): the second argument of "in" must be an array of values, not a number`},
	{"json number out of range", true, `{"op":"=","args":[{"property":"a"},1e999]}`, "at #/args/1 (line 1, column 36): number '1e999' is out of range"},
	{"json control character", true, `{"op":"=","args":[{"property":"a"},"\u0001"]}`, "at #/args/1 (line 1, column 36): control character U+0001 is not allowed in a string"},
	{"json not valid utf-8", true, "{\"op\":\"=\",\"args\":[{\"property\":\"a\"},\"\xff\"]}", "at # (line 1, column 37): the filter is not valid UTF-8"},
	{"json interval of one", true, `{"op":"t_during","args":[{"property":"d"},{"interval":["2020-01-01"]}]}`, "at #/args/1/interval (line 1, column 55): an interval must be an array of 2 bounds, start and end"},
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tt.json {
				_, err = ParseJSON([]byte(tt.in))
			} else {
				_, err = ParseText(tt.in)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("parse(%q) error = %v (%T), want *Error %q", tt.in, err, err, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("parse(%q) error =\n  %s\nwant\n  %s", tt.in, err, tt.want)
			}
		})
	}
}

// TestLimits: each limit refuses the filter one step past it, with a
// message naming the limit, and accepts the filter at it.
func TestLimits(t *testing.T) {
	t.Parallel()
	lim := Limits{MaxLength: 10000, MaxDepth: 10, MaxNodes: 50, MaxVertices: 20, MaxString: 16}
	ring := func(n int) string { // a closed ring of n vertices
		var b strings.Builder
		for i := 0; i < n-1; i++ {
			b.WriteString(formatNumber(float64(i)) + " " + formatNumber(float64(i%2)) + ", ")
		}
		return b.String() + "0 0"
	}
	nest := func(n int) string { return strings.Repeat("NOT ", n) + "a = 1" }
	inList := func(n int) string { return "a IN (" + strings.Repeat("1, ", n-1) + "1)" }
	tests := []struct {
		name     string
		ok, fail string
		want     string
	}{
		{"length", "a = '" + strings.Repeat("x", 10) + "'", "a = 1 OR " + strings.Repeat(" ", 10000), "the filter is 10009 bytes long, more than the limit of 10000"},
		{"depth", nest(10), nest(11), "the filter nests deeper than 10 levels (limit)"},
		{"nodes", inList(48), inList(49), "the filter has more than 50 elements (limit)"},
		{"vertices", "S_INTERSECTS(g, POLYGON((" + ring(19) + ")))", "S_INTERSECTS(g, POLYGON((" + ring(21) + ")))", "the geometries of the filter have more than 20 vertices in all (limit)"},
		{"string", "a = '" + strings.Repeat("é", 8) + "'", "a = '" + strings.Repeat("x", 17) + "'", "the string is longer than 16 bytes"},
		{"name", strings.Repeat("a", 16) + " = 1", strings.Repeat("a", 17) + " = 1", "is longer than 16 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := lim.ParseText(tt.ok); err != nil {
				t.Errorf("ParseText(at the limit) error: %v", err)
			}
			_, err := lim.ParseText(tt.fail)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseText(past the limit) error = %v, want it to say %q", err, tt.want)
			}
			// The same filter in cql2-json hits the same limit.
			e, err := Limits{}.ParseText(tt.fail)
			if err != nil || tt.name == "length" || tt.name == "name" {
				return
			}
			data, err := JSON(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lim.ParseJSON(data); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseJSON(past the limit) error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

// TestAdversarialNesting: nesting far past the limit fails quickly with the
// limit's error, never with a stack overflow, in both encodings.
func TestAdversarialNesting(t *testing.T) {
	t.Parallel()
	const n = 200000
	lim := Limits{MaxLength: 1 << 24}
	texts := map[string]string{
		"parentheses": strings.Repeat("(", n) + "a = 1" + strings.Repeat(")", n),
		"not":         strings.Repeat("NOT ", n) + "a = 1",
		"minus":       "a = " + strings.Repeat("-", n) + "b",
		"calls":       strings.Repeat("f(", n) + strings.Repeat(")", n) + " = 1",
		"arrays":      "A_CONTAINS(a, " + strings.Repeat("(", n) + strings.Repeat(")", n) + ")",
	}
	for name, s := range texts {
		if _, err := lim.ParseText(s); err == nil || !strings.Contains(err.Error(), "nests deeper than 64 levels") {
			t.Errorf("ParseText(%s nested %d deep) error = %v, want the depth limit", name, n, err)
		}
	}
	jsons := map[string]string{
		"arrays":  strings.Repeat("[", n) + strings.Repeat("]", n),
		"objects": strings.Repeat(`{"op":"not","args":[`, n) + "true" + strings.Repeat("]}", n),
	}
	var members strings.Builder
	members.WriteString(`{"type":"Point","coordinates":[0,0]`)
	for i := 0; i < 50000; i++ {
		members.WriteString(`,"m` + formatNumber(float64(i)) + `":0`)
	}
	jsons["members"] = `{"op":"s_intersects","args":[{"property":"g"},` + members.String() + `}]}`
	for name, s := range jsons {
		if name == "members" {
			if _, err := lim.ParseJSON([]byte(s)); err == nil || !strings.Contains(err.Error(), "an object has more than 16 members") {
				t.Errorf("ParseJSON(an object of 50000 members) error = %v, want the member limit", err)
			}
			continue
		}
		if _, err := lim.ParseJSON([]byte(s)); err == nil || !strings.Contains(err.Error(), "nests deeper than 64 levels") {
			t.Errorf("ParseJSON(%s nested %d deep) error = %v, want the depth limit", name, n, err)
		}
	}
}
