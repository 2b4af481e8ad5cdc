package cql2

import (
	"errors"
	"path/filepath"
	"testing"
)

// The fuzzers assert what the package promises for any input: no panic, an
// *Error or a tree, and printers that write trees the parsers read back
// Equal, so that Text is idempotent.

// roomy limits let a printed tree read back even when printing adds
// parentheses or the input was at a limit.
var roomy = Limits{MaxLength: 1 << 26, MaxDepth: 1 << 12, MaxNodes: 1 << 22, MaxVertices: 1 << 22, MaxString: 1 << 22}

// anything is an Env where every property and function exists, with a
// type taken from its name, so Check runs over every kind of node.
var anything = Env{
	Property: func(name string) (Type, bool) { return Type(len(name)%8 + 1), true },
	Function: func(name string, args []Type) (Type, error) {
		if len(args) > 3 {
			return 0, errors.New("too many arguments")
		}
		return Type(len(name)%8 + 1), nil
	},
}

func FuzzParseText(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.text)
	}
	for _, tt := range errorTests {
		if !tt.json {
			f.Add(tt.in)
		}
	}
	texts, _ := filepath.Glob("testdata/standard/text/*.txt")
	for _, path := range texts {
		f.Add(readFile(f, path))
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseText(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParseText(%q) error is %T, want *Error", s, err)
			}
			if pe.Pos.Offset < 0 || pe.Pos.Offset > len(s) || pe.Pos.Line < 1 || pe.Pos.Column < 1 {
				t.Fatalf("ParseText(%q) error at %#v, outside the input", s, pe.Pos)
			}
			return
		}
		checkPrinted(t, e)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.json))
	}
	for _, tt := range errorTests {
		if tt.json {
			f.Add([]byte(tt.in))
		}
	}
	jsons, _ := filepath.Glob("testdata/standard/json/*.json")
	for _, path := range jsons {
		f.Add([]byte(readFile(f, path)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseJSON(data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("ParseJSON(%q) error is %T, want *Error", data, err)
			}
			if pe.Pos.Pointer == "" || pe.Pos.Offset < 0 || pe.Pos.Offset > len(data) {
				t.Fatalf("ParseJSON(%q) error at %#v, want a pointer and an offset in the input", data, pe.Pos)
			}
			return
		}
		checkPrinted(t, e)
	})
}

// checkPrinted: Text and JSON of e read back Equal to e, Text of that is
// the same text, and Check does not panic.
func checkPrinted(t *testing.T, e Expr) {
	t.Helper()
	text := Text(e)
	back, err := roomy.ParseText(text)
	if err != nil {
		t.Fatalf("ParseText(Text(e)) error: %v\ntext: %s", err, text)
	}
	if !Equal(back, e) {
		t.Fatalf("ParseText(Text(e)) differs from e:\n got %s\nwant %s", Text(back), text)
	}
	if again := Text(back); again != text {
		t.Fatalf("Text is not idempotent:\n first %s\nsecond %s", text, again)
	}
	data, err := JSON(e)
	if err != nil {
		t.Fatalf("JSON(e) error: %v", err)
	}
	back, err = roomy.ParseJSON(data)
	if err != nil {
		t.Fatalf("ParseJSON(JSON(e)) error: %v\njson: %s", err, data)
	}
	if !Equal(back, e) {
		t.Fatalf("ParseJSON(JSON(e)) differs from e:\n got %s\nwant %s", Text(back), text)
	}
	if err := Check(e, anything); err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("Check error is %T, want *Error", err)
		}
	}
}
