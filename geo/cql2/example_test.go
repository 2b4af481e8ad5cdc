package cql2_test

import (
	"errors"
	"fmt"

	"github.com/cremasco/atlante/geo/cql2"
)

func ExampleParseText() {
	e, err := cql2.ParseText("stato IN ('pianificato', 'in lavori') AND S_INTERSECTS(geom, BBOX(9.60, 45.33, 9.75, 45.40))")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cql2.Properties(e))
	fmt.Println(cql2.Text(e))
	data, _ := cql2.JSON(e)
	fmt.Println(string(data))
	// Output:
	// [stato geom]
	// "stato" IN ('pianificato', 'in lavori') AND S_INTERSECTS("geom", BBOX(9.6, 45.33, 9.75, 45.4))
	// {"op":"and","args":[{"op":"in","args":[{"property":"stato"},["pianificato","in lavori"]]},{"op":"s_intersects","args":[{"property":"geom"},{"bbox":[9.6,45.33,9.75,45.4]}]}]}
}

func ExampleParseJSON_error() {
	_, err := cql2.ParseJSON([]byte(`{"op": "like", "args": [{"property": "via"}, 5]}`))
	var e *cql2.Error
	if errors.As(err, &e) {
		fmt.Println(e.Pos.Pointer, e.Pos.Offset)
	}
	fmt.Println(err)
	// Output:
	// #/args/1 45
	// at #/args/1 (line 1, column 46): the pattern of LIKE must be a string pattern, or CASEI or ACCENTI of one, not number 5
}

func ExampleCheck() {
	queryables := map[string]cql2.Type{"comune": cql2.TypeString, "capacita": cql2.TypeNumber}
	env := cql2.Env{Property: func(name string) (cql2.Type, bool) {
		t, ok := queryables[name]
		return t, ok
	}}
	for _, filter := range []string{
		"ACCENTI(CASEI(comune)) = ACCENTI(CASEI('ripalta cremasca')) AND capacita > 200",
		"capacita > '200'",
		"capienza > 200",
	} {
		e, err := cql2.ParseText(filter)
		if err == nil {
			err = cql2.Check(e, env)
		}
		fmt.Println(err)
	}
	// Output:
	// <nil>
	// at 1:10: > compares values of one type: property name 'capacita' is a number, but the other side is a string
	// at 1:1: unknown property 'capienza'
}
