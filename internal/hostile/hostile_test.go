package hostile

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestCorpus checks that the corpus reads, that every request in it can be
// made (placeholders known, generators valid) and that it reaches every
// kind of request the suite promises.
func TestCorpus(t *testing.T) {
	specs, err := Corpus()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, name := range Placeholders(specs) {
		vars[name] = "1"
	}
	methods := map[string]int{}
	var raw, stall, gen int
	for _, s := range specs {
		r, err := Resolve(s, vars)
		if err != nil {
			t.Errorf("line %d: %v", s.Line, err)
			continue
		}
		methods[r.Method]++
		switch {
		case s.Stall:
			stall++
		case s.Raw != "":
			raw++
		}
		if s.Gen != "" {
			gen++
		}
		if strings.Contains(string(r.Body)+r.Path+string(r.Raw), "{{") {
			t.Errorf("line %d (%s): a placeholder is left: %.200s", s.Line, s.Name, r.Path+string(r.Body)+string(r.Raw))
		}
	}
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		if methods[m] == 0 {
			t.Errorf("no %s request in the corpus", m)
		}
	}
	if len(specs) < 3000 || raw < 30 || stall < 4 || gen < 50 {
		t.Errorf("corpus of %d requests, %d raw, %d stalling, %d generated: smaller than it was", len(specs), raw, stall, gen)
	}
}

func TestParseRefusesMistakes(t *testing.T) {
	for _, line := range []string{
		`{"name":"x","path":"/","want":"500"}`,
		`{"name":"x","path":"/","want":"5xx"}`,
		`{"name":"x","path":"/"}`,
		`{"name":"x","path":"nope","want":"200"}`,
		`{"name":"x","path":"/","want":"200","each":"missing"}`,
		`{"name":"x","path":"/","want":"200","gen":"nope 1"}`,
		`{"name":"x","path":"/","want":"200","typo":1}`,
		`{"name":"x","raw":"GET / HTTP/1.1\r\n\r\n","path":"/","want":"200"}`,
	} {
		if _, err := Parse([]byte(line)); err == nil {
			t.Errorf("Parse(%s) accepted it", line)
		}
	}
	specs, err := Parse([]byte("# comment\n{\"set\":\"s\",\"values\":[\"a\",\"%00\"]}\n{\"name\":\"n\",\"path\":\"/x?q={{v}}\",\"each\":\"s\",\"want\":\"4xx|closed\"}\n"))
	if err != nil || len(specs) != 2 || specs[1].Path != "/x?q=%00" || !WantOf(specs[1]).Allows(404) || WantOf(specs[1]).Allows(500) ||
		!WantOf(specs[1]).AllowsClosed() {
		t.Errorf("Parse of a set: %+v, %v", specs, err)
	}
}

func TestGenerators(t *testing.T) {
	tests := []struct {
		gen   string
		size  int  // bytes, or 0 not to check
		json  bool // valid JSON
		check func([]byte) bool
	}{
		{"repeat 3 ab c", 12, false, func(b []byte) bool { return string(b) == "ab cab cab c" }},
		{"repeat 4  ", 4, false, func(b []byte) bool { return string(b) == "    " }},
		{"deep-array 10000", 20000, true, nil},
		{"deep-object 3", 0, true, func(b []byte) bool { return string(b) == `{"a":{"a":{"a":1}}}` }},
		{"members 1000", 0, true, func(b []byte) bool { var m map[string]int; return json.Unmarshal(b, &m) == nil && len(m) == 1000 }},
		{"numbers 5", 0, true, func(b []byte) bool { return string(b) == "[0,0,0,0,0]" }},
		{"digits 1000", 1000, true, nil},
		{"positions 3", 0, true, func(b []byte) bool { return bytes.Count(b, []byte("[9.68,45.36]")) == 3 }},
		{"geometry circle 50001", 0, true, func(b []byte) bool { return bytes.Count(b, []byte("],[")) == 50000 }},
		{"geometry random 2000", 0, true, func(b []byte) bool { return bytes.Count(b, []byte("],[")) == 1999 }},
		{"geometry nested 5", 0, true, func(b []byte) bool { return bytes.Count(b, []byte("GeometryCollection")) == 5 }},
		{"hex 00ff", 2, false, func(b []byte) bool { return b[0] == 0 && b[1] == 0xff }},
	}
	for _, tt := range tests {
		b, err := generate(tt.gen)
		if err != nil {
			t.Errorf("%s: %v", tt.gen, err)
			continue
		}
		if (tt.size > 0 && len(b) != tt.size) || (tt.json && !json.Valid(b)) || (tt.check != nil && !tt.check(b)) {
			t.Errorf("%s = %d bytes %.80q, not what it should be", tt.gen, len(b), b)
		}
	}
	for _, bad := range []string{"repeat x a", "repeat 99999999 aaaaaaaaaaaaaaaaaaaa", "geometry nope 1", "geometry circle", "hex zz", "nope"} {
		if _, err := generate(bad); err == nil {
			t.Errorf("generate(%q) accepted it", bad)
		}
	}
}
