package cql2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandardExamples parses every example of the CQL2 standard
// (testdata/standard, see its README): each text example and its JSON twin
// give Equal trees, and both printers write trees that read back Equal.
func TestStandardExamples(t *testing.T) {
	t.Parallel()
	texts, err := filepath.Glob("testdata/standard/text/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	jsons, err := filepath.Glob("testdata/standard/json/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != 120 || len(jsons) != 109 {
		t.Fatalf("corpus has %d text and %d JSON examples, want 120 and 109", len(texts), len(jsons))
	}
	twinned := map[string]bool{}
	for _, path := range texts {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		twin := strings.TrimSuffix(name, "-alt01")
		twinned[twin] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			text := readFile(t, path)
			data := readFile(t, filepath.Join("testdata/standard/json", twin+".json"))
			fromText, err := ParseText(text)
			if err != nil {
				t.Fatalf("ParseText(%s) error: %v\n%s", name, err, text)
			}
			fromJSON, err := ParseJSON([]byte(data))
			if err != nil {
				t.Fatalf("ParseJSON(%s) error: %v", twin, err)
			}
			if !Equal(fromText, fromJSON) {
				t.Fatalf("%s: text and JSON trees differ:\ntext: %s\njson: %s", name, Text(fromText), Text(fromJSON))
			}
			assertRoundTrips(t, fromText)
		})
	}
	for _, path := range jsons {
		if name := strings.TrimSuffix(filepath.Base(path), ".json"); !twinned[name] {
			t.Errorf("JSON example %s has no text twin", name)
		}
	}
}

// assertRoundTrips checks that Text and JSON of e read back Equal to e.
func assertRoundTrips(t testing.TB, e Expr) {
	t.Helper()
	text := Text(e)
	back, err := ParseText(text)
	if err != nil {
		t.Fatalf("ParseText(Text(e)) error: %v\ntext: %s", err, text)
	}
	if !Equal(back, e) {
		t.Fatalf("ParseText(Text(e)) differs from e:\n got %s\nwant %s", Text(back), text)
	}
	data, err := JSON(e)
	if err != nil {
		t.Fatalf("JSON(e) error: %v", err)
	}
	back, err = ParseJSON(data)
	if err != nil {
		t.Fatalf("ParseJSON(JSON(e)) error: %v\njson: %s", err, data)
	}
	if !Equal(back, e) {
		t.Fatalf("ParseJSON(JSON(e)) differs from e:\n got %s\nwant %s", Text(back), text)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
