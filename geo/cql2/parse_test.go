package cql2

import (
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// parseTests cover each conformance class in both encodings: the text
// parses to a tree that prints as want, and the JSON parses to an Equal tree.
var parseTests = []struct {
	name string
	text string
	json string
	want string
}{
	// Basic CQL2
	{"equal string", "comune = 'Crema'", `{"op":"=","args":[{"property":"comune"},"Crema"]}`, `"comune" = 'Crema'`},
	{"not equal", "civico <> 12", `{"op":"<>","args":[{"property":"civico"},12]}`, `"civico" <> 12`},
	{"less", "severita<3", `{"op":"<","args":[{"property":"severita"},3]}`, `"severita" < 3`},
	{"less or equal", "severita <= 3.5", `{"op":"<=","args":[{"property":"severita"},3.5]}`, `"severita" <= 3.5`},
	{"greater", "capacita > -2", `{"op":">","args":[{"property":"capacita"},-2]}`, `"capacita" > -2`},
	{"greater or equal", "capacita >= 2e2", `{"op":">=","args":[{"property":"capacita"},200]}`, `"capacita" >= 200`},
	{"boolean", "validato = true", `{"op":"=","args":[{"property":"validato"},true]}`, `"validato" = TRUE`},
	{"date", "data_stato >= date('2024-01-31')", `{"op":">=","args":[{"property":"data_stato"},{"date":"2024-01-31"}]}`, `"data_stato" >= DATE('2024-01-31')`},
	{"timestamp", "aggiornato < TIMESTAMP('2024-02-29T23:59:59.5Z')", `{"op":"<","args":[{"property":"aggiornato"},{"timestamp":"2024-02-29T23:59:59.500Z"}]}`, `"aggiornato" < TIMESTAMP('2024-02-29T23:59:59.5Z')`},
	{"is null", "esponente IS NULL", `{"op":"isNull","args":[{"property":"esponente"}]}`, `"esponente" IS NULL`},
	{"is not null", "esponente IS NOT NULL", `{"op":"not","args":[{"op":"isNull","args":[{"property":"esponente"}]}]}`, `NOT "esponente" IS NULL`},
	{"and chain is one node", "a = 1 AND b = 2 and c = 3",
		`{"op":"and","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"=","args":[{"property":"b"},2]},{"op":"=","args":[{"property":"c"},3]}]}`,
		`"a" = 1 AND "b" = 2 AND "c" = 3`},
	{"and binds tighter than or", "a = 1 OR b = 2 AND c = 3",
		`{"op":"or","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"and","args":[{"op":"=","args":[{"property":"b"},2]},{"op":"=","args":[{"property":"c"},3]}]}]}`,
		`"a" = 1 OR ("b" = 2 AND "c" = 3)`},
	{"parentheses keep nesting", "(a = 1 AND b = 2) AND c = 3",
		`{"op":"and","args":[{"op":"and","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"=","args":[{"property":"b"},2]}]},{"op":"=","args":[{"property":"c"},3]}]}`,
		`("a" = 1 AND "b" = 2) AND "c" = 3`},
	{"not", "NOT (a = 1 OR b = 2)", `{"op":"not","args":[{"op":"or","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"=","args":[{"property":"b"},2]}]}]}`, `NOT ("a" = 1 OR "b" = 2)`},
	{"not not", "NOT NOT a = 1", `{"op":"not","args":[{"op":"not","args":[{"op":"=","args":[{"property":"a"},1]}]}]}`, `NOT (NOT "a" = 1)`},
	{"boolean literal alone", "TRUE", `true`, `TRUE`},
	{"quoted property and escapes", `"via" = 'Via dell''Umanità' OR "via" = 'l\'altra\\via\n'`,
		`{"op":"or","args":[{"op":"=","args":[{"property":"via"},"Via dell'Umanità"]},{"op":"=","args":[{"property":"via"},"l'altra\\via\n"]}]}`,
		`"via" = 'Via dell''Umanità' OR "via" = 'l''altra\\via\n'`},
	{"prefixed name and unicode", "eo:cloud_cover < 0.1 AND località = 'Ripalta Cremasca'",
		`{"op":"and","args":[{"op":"<","args":[{"property":"eo:cloud_cover"},0.1]},{"op":"=","args":[{"property":"località"},"Ripalta Cremasca"]}]}`,
		`"eo:cloud_cover" < 0.1 AND "località" = 'Ripalta Cremasca'`},
	{"keyword-like property names", `date = DATE('2024-05-01') AND point = 1 AND "and" = 2`,
		`{"op":"and","args":[{"op":"=","args":[{"property":"date"},{"date":"2024-05-01"}]},{"op":"=","args":[{"property":"point"},1]},{"op":"=","args":[{"property":"and"},2]}]}`,
		`"date" = DATE('2024-05-01') AND "point" = 1 AND "and" = 2`},
	// Advanced comparison operators
	{"like", "via LIKE 'Via Garibaldi%'", `{"op":"like","args":[{"property":"via"},"Via Garibaldi%"]}`, `"via" LIKE 'Via Garibaldi%'`},
	{"not like", "via NOT LIKE '%Libert_'", `{"op":"not","args":[{"op":"like","args":[{"property":"via"},"%Libert_"]}]}`, `NOT "via" LIKE '%Libert_'`},
	{"like keeps the escape", `nome LIKE '100\%'`, `{"op":"like","args":[{"property":"nome"},"100\\%"]}`, `"nome" LIKE '100\\%'`},
	{"between", "capacita BETWEEN 100 AND 200", `{"op":"between","args":[{"property":"capacita"},100,200]}`, `"capacita" BETWEEN 100 AND 200`},
	{"not between", "capacita NOT BETWEEN 100 AND 200 OR x = 1",
		`{"op":"or","args":[{"op":"not","args":[{"op":"between","args":[{"property":"capacita"},100,200]}]},{"op":"=","args":[{"property":"x"},1]}]}`,
		`NOT "capacita" BETWEEN 100 AND 200 OR "x" = 1`},
	{"in", "stato IN ('pianificato', 'in lavori')", `{"op":"in","args":[{"property":"stato"},["pianificato","in lavori"]]}`, `"stato" IN ('pianificato', 'in lavori')`},
	{"not in", "codice NOT IN ('019035')", `{"op":"not","args":[{"op":"in","args":[{"property":"codice"},["019035"]]}]}`, `NOT "codice" IN ('019035')`},
	// Case- and accent-insensitive comparison
	{"casei", "CASEI(comune) = casei('crema')", `{"op":"=","args":[{"op":"casei","args":[{"property":"comune"}]},{"op":"casei","args":["crema"]}]}`, `CASEI("comune") = CASEI('crema')`},
	{"accenti like", "ACCENTI(via) LIKE ACCENTI(CASEI('%liberta%'))",
		`{"op":"like","args":[{"op":"accenti","args":[{"property":"via"}]},{"op":"accenti","args":[{"op":"casei","args":["%liberta%"]}]}]}`,
		`ACCENTI("via") LIKE ACCENTI(CASEI('%liberta%'))`},
	// Spatial functions
	{"s_intersects wkt", "S_INTERSECTS(geom, POINT(9.69 45.36))",
		`{"op":"s_intersects","args":[{"property":"geom"},{"type":"Point","coordinates":[9.69,45.36]}]}`,
		`S_INTERSECTS("geom", POINT(9.69 45.36))`},
	{"s_within polygon with z", "s_within(geom, POLYGON Z ((9 45 1, 10 45 1, 10 46 1, 9 45 1)))",
		`{"op":"s_within","args":[{"property":"geom"},{"type":"Polygon","coordinates":[[[9,45,1],[10,45,1],[10,46,1],[9,45,1]]],"bbox":[9,45,10,46]}]}`,
		`S_WITHIN("geom", POLYGON((9 45, 10 45, 10 46, 9 45)))`},
	{"bbox", "S_INTERSECTS(geom, BBOX(9.5, 45.2, 9.9, 45.5))", `{"op":"s_intersects","args":[{"property":"geom"},{"bbox":[9.5,45.2,9.9,45.5]}]}`, `S_INTERSECTS("geom", BBOX(9.5, 45.2, 9.9, 45.5))`},
	{"bbox with heights", "S_INTERSECTS(geom, BBOX(9.5, 45.2, 0, 9.9, 45.5, 100))", `{"op":"s_intersects","args":[{"property":"geom"},{"bbox":[9.5,45.2,0,9.9,45.5,100]}]}`, `S_INTERSECTS("geom", BBOX(9.5, 45.2, 9.9, 45.5))`},
	{"multipoint without inner parentheses", "S_CONTAINS(MULTIPOINT(1 2, 3 4), geom)",
		`{"op":"s_contains","args":[{"type":"MultiPoint","coordinates":[[1,2],[3,4]]},{"property":"geom"}]}`,
		`S_CONTAINS(MULTIPOINT((1 2), (3 4)), "geom")`},
	{"every spatial function", "S_EQUALS(a, b) AND S_DISJOINT(a, b) AND S_TOUCHES(a, b) AND S_OVERLAPS(a, b) AND S_CROSSES(a, b)",
		`{"op":"and","args":[{"op":"s_equals","args":[{"property":"a"},{"property":"b"}]},{"op":"s_disjoint","args":[{"property":"a"},{"property":"b"}]},{"op":"s_touches","args":[{"property":"a"},{"property":"b"}]},{"op":"s_overlaps","args":[{"property":"a"},{"property":"b"}]},{"op":"s_crosses","args":[{"property":"a"},{"property":"b"}]}]}`,
		`S_EQUALS("a", "b") AND S_DISJOINT("a", "b") AND S_TOUCHES("a", "b") AND S_OVERLAPS("a", "b") AND S_CROSSES("a", "b")`},
	{"multipolygon and collection", "S_INTERSECTS(geom, GEOMETRYCOLLECTION(MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))), MULTILINESTRING((0 0, 1 1))))",
		`{"op":"s_intersects","args":[{"property":"geom"},{"type":"GeometryCollection","geometries":[{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]},{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}]}]}`,
		`S_INTERSECTS("geom", GEOMETRYCOLLECTION(MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))), MULTILINESTRING((0 0, 1 1))))`},
	// Temporal functions
	{"t_after date", "T_AFTER(data_stato, DATE('2023-12-31'))", `{"op":"t_after","args":[{"property":"data_stato"},{"date":"2023-12-31"}]}`, `T_AFTER("data_stato", DATE('2023-12-31'))`},
	{"open interval", "T_DURING(data_stato, INTERVAL('2023-01-01', '..'))", `{"op":"t_during","args":[{"property":"data_stato"},{"interval":["2023-01-01",".."]}]}`, `T_DURING("data_stato", INTERVAL('2023-01-01', '..'))`},
	{"every temporal function",
		"T_BEFORE(a, b) AND T_CONTAINS(a, b) AND T_DISJOINT(a, b) AND T_EQUALS(a, b) AND T_FINISHEDBY(a, b) AND T_FINISHES(a, b) AND T_INTERSECTS(a, b) AND T_MEETS(a, b) AND T_METBY(a, b) AND T_OVERLAPPEDBY(a, b) AND T_OVERLAPS(a, b) AND T_STARTEDBY(a, b) AND T_STARTS(a, b)",
		`{"op":"and","args":[{"op":"t_before","args":[{"property":"a"},{"property":"b"}]},{"op":"t_contains","args":[{"property":"a"},{"property":"b"}]},{"op":"t_disjoint","args":[{"property":"a"},{"property":"b"}]},{"op":"t_equals","args":[{"property":"a"},{"property":"b"}]},{"op":"t_finishedBy","args":[{"property":"a"},{"property":"b"}]},{"op":"t_finishes","args":[{"property":"a"},{"property":"b"}]},{"op":"t_intersects","args":[{"property":"a"},{"property":"b"}]},{"op":"t_meets","args":[{"property":"a"},{"property":"b"}]},{"op":"t_metBy","args":[{"property":"a"},{"property":"b"}]},{"op":"t_overlappedBy","args":[{"property":"a"},{"property":"b"}]},{"op":"t_overlaps","args":[{"property":"a"},{"property":"b"}]},{"op":"t_startedBy","args":[{"property":"a"},{"property":"b"}]},{"op":"t_starts","args":[{"property":"a"},{"property":"b"}]}]}`,
		`T_BEFORE("a", "b") AND T_CONTAINS("a", "b") AND T_DISJOINT("a", "b") AND T_EQUALS("a", "b") AND T_FINISHEDBY("a", "b") AND T_FINISHES("a", "b") AND T_INTERSECTS("a", "b") AND T_MEETS("a", "b") AND T_METBY("a", "b") AND T_OVERLAPPEDBY("a", "b") AND T_OVERLAPS("a", "b") AND T_STARTEDBY("a", "b") AND T_STARTS("a", "b")`},
	// Property-property, arithmetic, functions
	{"property-property", "capacita >= esposti", `{"op":">=","args":[{"property":"capacita"},{"property":"esposti"}]}`, `"capacita" >= "esposti"`},
	{"arithmetic precedence", "a + b * c ^ 2 > 10 div 3 % 2 - -1",
		`{"op":">","args":[{"op":"+","args":[{"property":"a"},{"op":"*","args":[{"property":"b"},{"op":"^","args":[{"property":"c"},2]}]}]},{"op":"-","args":[{"op":"%","args":[{"op":"div","args":[10,3]},2]},-1]}]}`,
		`("a" + ("b" * ("c" ^ 2))) > (((10 div 3) % 2) - -1)`},
	{"unary minus", "-(a + 1) < -b", `{"op":"<","args":[{"op":"*","args":[-1,{"op":"+","args":[{"property":"a"},1]}]},{"op":"*","args":[-1,{"property":"b"}]}]}`, `(-1 * ("a" + 1)) < (-1 * "b")`},
	{"function", "distanza(geom, POINT(9.7 45.4)) < 500 AND attivo()",
		`{"op":"and","args":[{"op":"<","args":[{"op":"distanza","args":[{"property":"geom"},{"type":"Point","coordinates":[9.7,45.4]}]},500]},{"op":"attivo","args":[]}]}`,
		`distanza("geom", POINT(9.7 45.4)) < 500 AND attivo()`},
	{"array function", "A_OVERLAPS(tag, ('a', ('b', 1), ()))", `{"op":"a_overlaps","args":[{"property":"tag"},["a",["b",1],[]]]}`, `A_OVERLAPS("tag", ('a', ('b', 1), ()))`},
	{"parenthesised argument", "f((a + 1) * 2, (b), ((c) - 1)) = 1",
		`{"op":"=","args":[{"op":"f","args":[{"op":"*","args":[{"op":"+","args":[{"property":"a"},1]},2]},[{"property":"b"}],[{"op":"-","args":[{"property":"c"},1]}]]},1]}`,
		`f(("a" + 1) * 2, ("b"), ("c" - 1)) = 1`},
	{"is null of a predicate", "(a = 1) IS NULL", `{"op":"isNull","args":[{"op":"=","args":[{"property":"a"},1]}]}`, `("a" = 1) IS NULL`},
	{"upper-case json operators", "S_INTERSECTS(geom, BBOX(0, 0, 1, 1)) AND a = 1",
		`{"args":[{"op":"S_INTERSECTS","args":[{"property":"geom"},{"bbox":[0,0,1,1]}]},{"op":"=","args":[{"property":"a"},1]}],"op":"AND"}`,
		`S_INTERSECTS("geom", BBOX(0, 0, 1, 1)) AND "a" = 1`},
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fromText, err := ParseText(tt.text)
			if err != nil {
				t.Fatalf("ParseText(%q) error: %v", tt.text, err)
			}
			if got := Text(fromText); got != tt.want {
				t.Errorf("Text(ParseText(%q)) = %s, want %s", tt.text, got, tt.want)
			}
			fromJSON, err := ParseJSON([]byte(tt.json))
			if err != nil {
				t.Fatalf("ParseJSON(%s) error: %v", tt.json, err)
			}
			if !Equal(fromJSON, fromText) {
				t.Errorf("ParseJSON(%s) = %s, want %s", tt.json, Text(fromJSON), tt.want)
			}
			assertRoundTrips(t, fromText)
		})
	}
}

func TestLiteralValues(t *testing.T) {
	t.Parallel()
	e, err := ParseText(`T_DURING(INTERVAL(DATE('2024-02-29'), '2024-03-01T10:20:30.123456789123Z'), t) AND s = 'a''b' AND n = -1.5E-3 AND S_WITHIN(g, BBOX(10, -1, -10, 1))`)
	if err != nil {
		t.Fatal(err)
	}
	args := e.(*Logical).Args
	iv := args[0].(*Temporal).Left.(*Interval)
	if got, want := iv.Start.(*Date).Time, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("start = %v, want %v", got, want)
	}
	if got, want := iv.End.(*Timestamp).Time, time.Date(2024, 3, 1, 10, 20, 30, 123456789, time.UTC); !got.Equal(want) {
		t.Errorf("end = %v, want %v (fraction past nanoseconds dropped)", got, want)
	}
	if got := args[1].(*Compare).Right.(*String).Value; got != "a'b" {
		t.Errorf("string = %q, want %q", got, "a'b")
	}
	if got := args[2].(*Compare).Right.(*Number).Value; got != -0.0015 {
		t.Errorf("number = %v, want -0.0015", got)
	}
	want := orb.Bound{Min: orb.Point{10, -1}, Max: orb.Point{-10, 1}}
	if got := args[3].(*Spatial).Right.(*BBox).Bound; got != want {
		t.Errorf("bbox = %v, want %v (west > east kept)", got, want)
	}
}

func TestPositions(t *testing.T) {
	t.Parallel()
	e, err := ParseText("a = 1 AND\n  località LIKE 'x%'")
	if err != nil {
		t.Fatal(err)
	}
	and := e.(*Logical)
	if got, want := and.Pos(), (Pos{Offset: 6, Line: 1, Column: 7}); got != want {
		t.Errorf("AND at %#v, want %#v", got, want)
	}
	like := and.Args[1].(*Like)
	if got, want := like.Pos(), (Pos{Offset: 22, Line: 2, Column: 12}); got != want {
		t.Errorf("LIKE at %#v, want %#v (columns count characters, offsets bytes)", got, want)
	}
	if got, want := like.Value.Pos(), (Pos{Offset: 12, Line: 2, Column: 3}); got != want {
		t.Errorf("property at %#v, want %#v", got, want)
	}

	e, err = ParseJSON([]byte(`{"op":"and","args":[{"op":"=","args":[{"property":"a"},1]}, {"op":"like","args":[{"property":"b"},"x%"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	like = e.(*Logical).Args[1].(*Like)
	if got, want := like.Pos(), (Pos{Offset: 60, Pointer: "#/args/1"}); got != want {
		t.Errorf("like at %#v, want %#v", got, want)
	}
	if got, want := like.Pattern.Pos(), (Pos{Offset: 98, Pointer: "#/args/1/args/1"}); got != want {
		t.Errorf("pattern at %#v, want %#v", got, want)
	}
}

func TestWalkAndProperties(t *testing.T) {
	t.Parallel()
	e, err := ParseText("a = b AND (S_INTERSECTS(geom, BBOX(0,0,1,1)) OR f(a, c) > 1) AND T_DURING(INTERVAL(start, '..'), x)")
	if err != nil {
		t.Fatal(err)
	}
	got := Properties(e)
	want := []string{"a", "b", "geom", "c", "start", "x"}
	if len(got) != len(want) {
		t.Fatalf("Properties = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Properties = %q, want %q", got, want)
		}
	}
	var kinds []string
	Walk(e, func(n Expr) bool {
		kinds = append(kinds, describe(n))
		_, isSpatial := n.(*Spatial)
		return !isSpatial // skip the inside of S_INTERSECTS
	})
	if len(kinds) != 16 {
		t.Errorf("Walk visited %d nodes, want 16: %q", len(kinds), kinds)
	}
}
