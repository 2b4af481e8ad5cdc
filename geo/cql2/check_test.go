package cql2

import (
	"errors"
	"fmt"
	"testing"
)

// civici is an Env like the one the features compiler builds from a layer's
// queryables.
var civici = Env{
	Property: func(name string) (Type, bool) {
		t, ok := map[string]Type{
			"comune": TypeString, "via": TypeString, "civico": TypeNumber, "connettibile": TypeBoolean,
			"data_stato": TypeDate, "aggiornato": TypeTimestamp, "geom": TypeGeometry, "download_mbps": TypeNumber,
		}[name]
		return t, ok
	},
	Function: func(name string, args []Type) (Type, error) {
		if name == "upper" && len(args) == 1 && args[0] == TypeString {
			return TypeString, nil
		}
		return 0, fmt.Errorf("unknown function %q (this server has: upper(string))", name)
	},
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // "" for no error
	}{
		{"comune = 'Crema' AND civico >= 10", ""},
		{"connettibile = FALSE OR download_mbps BETWEEN 100 AND 1000", ""},
		{"ACCENTI(CASEI(via)) LIKE ACCENTI(CASEI('%liberta%'))", ""},
		{"upper(comune) IN ('CREMA', 'PIANENGO')", ""},
		{"S_WITHIN(geom, BBOX(9.5, 45.2, 9.9, 45.5)) AND civico * 2 + 1 > 3", ""},
		{"T_DURING(INTERVAL(data_stato, '..'), INTERVAL('2024-01-01', aggiornato))", ""},
		{"data_stato >= DATE('2024-01-01') AND aggiornato < TIMESTAMP('2024-01-01T00:00:00Z')", ""},
		{"comune IS NULL AND NOT (civico = download_mbps)", ""},
		{"quartiere = 'x'", "at 1:1: unknown property 'quartiere'"},
		{"comune = 5", "at 1:8: = compares values of one type: property name 'comune' is a string, but the other side is a number"},
		{"data_stato = TIMESTAMP('2024-01-01T00:00:00Z')", "at 1:12: = compares values of one type: property name 'data_stato' is a date, but the other side is a timestamp"},
		{"5 = comune", "at 1:3: = compares values of one type: property name 'comune' is a string, but the other side is a number"},
		{"geom = 'x'", "at 1:1: property name 'geom' is a geometry, which = cannot compare"},
		{"civico LIKE '1%'", "at 1:1: the value tested by LIKE must be a string, but property name 'civico' is a number"},
		{"CASEI(civico) = 'x'", "at 1:7: the argument of CASEI must be a string, but property name 'civico' is a number"},
		{"comune BETWEEN 1 AND 2", "at 1:1: the value tested by BETWEEN must be a number, but property name 'comune' is a string"},
		{"civico IN (1, '2')", "at 1:15: the values of IN must have the type of property name 'civico' (a number), but string '2' is a string"},
		{"S_INTERSECTS(comune, geom)", "at 1:14: the first argument of S_INTERSECTS must be a geometry, but property name 'comune' is a string"},
		{"T_AFTER(civico, DATE('2024-01-01'))", "at 1:9: the first argument of T_AFTER must be a date or a timestamp or an interval, but property name 'civico' is a number"},
		{"T_AFTER(INTERVAL(comune, '..'), DATE('2024-01-01'))", "at 1:18: the start of INTERVAL must be a date or a timestamp, but property name 'comune' is a string"},
		{"civico + comune > 1", "at 1:10: the right operand of + must be a number, but property name 'comune' is a string"},
		{"buffer(geom, 10) = 1", "at 1:1: unknown function \"buffer\" (this server has: upper(string))"},
		{"upper(comune)", "at 1:1: the filter must be true or false, but function 'upper' is a string"},
		{"A_CONTAINS(comune, ('a'))", "at 1:12: the first argument of A_CONTAINS must be an array, but property name 'comune' is a string"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			e, err := ParseText(tt.in)
			if err != nil {
				t.Fatalf("ParseText(%q) error: %v", tt.in, err)
			}
			err = Check(e, civici)
			got := ""
			if err != nil {
				got = err.Error()
				var ce *Error
				if !errors.As(err, &ce) {
					t.Errorf("Check error is %T, want *Error", err)
				}
			}
			if got != tt.want {
				t.Errorf("Check(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckWithoutFunctions(t *testing.T) {
	t.Parallel()
	e, err := ParseJSON([]byte(`{"op":"=","args":[{"op":"avg","args":[{"property":"civico"}]},1]}`))
	if err != nil {
		t.Fatal(err)
	}
	err = Check(e, Env{Property: civici.Property})
	if want := "at #/args/0: unknown function 'avg'"; err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %s", err, want)
	}
}
