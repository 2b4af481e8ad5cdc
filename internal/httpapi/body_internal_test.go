package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// duplicateByTokens is the slow, obvious reading of duplicateMember: walk
// every token and keep a set of names per open object.
func duplicateByTokens(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj      bool
		names    map[string]bool
		wantName bool
	}
	var stack []*frame
	for {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := t.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.obj {
					top.wantName = true
				}
				stack = append(stack, &frame{obj: true, names: map[string]bool{}, wantName: true})
			case '[':
				if top != nil && top.obj {
					top.wantName = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.obj && top.wantName {
				if top.names[v] {
					return v, true
				}
				top.names[v] = true
				top.wantName = false
				continue
			}
		}
		if top != nil && top.obj {
			top.wantName = true
		}
	}
}

func TestDuplicateMember(t *testing.T) {
	tests := []struct {
		body string
		name string
		dup  bool
	}{
		{`{"a":1,"b":2}`, "", false},
		{`{"a":1,"a":2}`, "a", true},
		{`{"a":{"b":1},"c":{"b":2}}`, "", false},
		{`{"p":{"name":"x","name":"y"}}`, "name", true},
		{`[{"a":1},{"a":2}]`, "", false},
		{`[{"a":1,"a":2}]`, "a", true},
		{`{"a":"\"a\"","b":"a"}`, "", false},
		{`{"\u0061":1,"a":2}`, "a", true},
		{`{"coordinates":[[[9.6,45.3],[9.7,45.3]]],"type":"x","type":"y"}`, "type", true},
		{`{"a":["a","a"],"b":{"a":["a"]}}`, "", false},
		{`"a"`, "", false},
		{"{\"a\xff\":1,\"a\xfe\":2}", "a\uFFFD", true}, // both read as "a\uFFFD"
	}
	for _, tt := range tests {
		name, dup := duplicateMember([]byte(tt.body))
		if name != tt.name || dup != tt.dup {
			t.Errorf("duplicateMember(%s) = %q, %v; want %q, %v", tt.body, name, dup, tt.name, tt.dup)
		}
	}
}

// FuzzDuplicateMember: on valid JSON the one-pass scan agrees with the
// token walk, and never panics.
func FuzzDuplicateMember(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"p":{"n":"x","n":"y"}}`, `[{"a":1},{"a":[{"b":1,"b":2}]}]`,
		`{"\u0061":1,"a":2}`, `{"a\\":1,"a\\\\":2}`, `{"type":"Feature","geometry":{"type":"Point","coordinates":[9,45]},"properties":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		name, dup := duplicateMember(b)
		wname, wdup := duplicateByTokens(b)
		if dup != wdup || (dup && name != wname) {
			t.Fatalf("duplicateMember(%q) = %q, %v; the token walk says %q, %v", b, name, dup, wname, wdup)
		}
	})
}

// BenchmarkDuplicateMember scans a feature of 8 MB (the largest body of
// a Part 4 write), almost all of it coordinates.
func BenchmarkDuplicateMember(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"type":"Feature","properties":{"name":"x","kind":"scuola"},"geometry":{"type":"LineString","coordinates":[`)
	for i := 0; buf.Len() < 8<<20-64; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`[9.6812345,45.3612345]`)
	}
	buf.WriteString(`]}}`)
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, dup := duplicateMember(body); dup {
			b.Fatal("duplicate")
		}
	}
}
