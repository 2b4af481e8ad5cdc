// Package hostile is a corpus of hostile HTTP requests over every endpoint
// family of Atlante (malformed and absurd parameters, broken paths and
// escapes, wrong methods, bodies and headers, geometry bombs, bad tokens,
// slow and raw requests) and what a server must answer to each: a 2xx or
// a 4xx problem+json, never a 5xx, within a bound, without internals.
//
// The corpus is data (corpus.jsonl, one request per line; see Spec), with
// a few generators in Go for the bodies too big to write out. The corpus
// test in internal/httpapi sends it to the real stack; the load program in
// internal/loadtest/load64 mixes it with ordinary requests.
package hostile

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

//go:embed corpus.jsonl
var corpusJSONL []byte

// Spec is one line of the corpus: a request and the answer it must get.
//
// Path, header values, Body and Raw may hold placeholders: {{name}} is a
// value of the vars given to Resolve (a token, a feature id), {{v}} each
// value of the set named by Each, {{gen}} the output of Gen, and in Raw's
// headers {{length}} the length of what follows them. When Gen is set and
// nothing holds {{gen}}, its output is the body.
type Spec struct {
	Name   string            `json:"name"`
	Method string            `json:"method,omitempty"` // GET when empty
	Path   string            `json:"path,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	Body   *string           `json:"body,omitempty"`
	// Gen is a generator and its arguments, as "deep-array 10000" (see
	// generators).
	Gen string `json:"gen,omitempty"`
	// Raw is the request as written on a new TCP connection, for what
	// net/http's client cannot send (no Host, HTTP/1.0, broken escapes,
	// bodies that never finish).
	Raw string `json:"raw,omitempty"`
	// Stall marks a raw request that stops before its end on purpose (a
	// body that never arrives): it is answered only when the server's
	// read timeout passes, so Run sends it beside the others with a longer
	// bound, and load64 leaves it out.
	Stall bool `json:"stall,omitempty"`
	// Each names a value set: the spec is sent once for each value.
	Each string `json:"each,omitempty"`
	// Want is the answer required: a status ("400"), a class ("4xx"),
	// alternatives ("401|403", "2xx|4xx") or "closed" (the server may
	// close the connection without an answer).
	Want string `json:"want"`

	Line int `json:"-"` // line in corpus.jsonl
}

// set is a corpus line naming a list of values for Spec.Each.
type set struct {
	Set    string   `json:"set"`
	Values []string `json:"values"`
}

// Corpus returns every request of the corpus, value sets expanded, with
// the placeholders of vars still in place (see Resolve).
func Corpus() ([]Spec, error) { return Parse(corpusJSONL) }

// Parse reads a corpus in the format of corpus.jsonl: one JSON object per
// line, either a Spec or a value set ({"set": name, "values": [...]});
// blank lines and lines starting with # are skipped.
func Parse(data []byte) ([]Spec, error) {
	sets := map[string][]string{}
	var specs []Spec
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(line, &probe); err != nil {
			return nil, fmt.Errorf("hostile: line %d: %v", n, err)
		}
		if _, ok := probe["set"]; ok {
			var s set
			if err := strictUnmarshal(line, &s); err != nil {
				return nil, fmt.Errorf("hostile: line %d: %v", n, err)
			}
			sets[s.Set] = s.Values
			continue
		}
		var s Spec
		if err := strictUnmarshal(line, &s); err != nil {
			return nil, fmt.Errorf("hostile: line %d: %v", n, err)
		}
		s.Line = n
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("hostile: line %d (%s): %v", n, s.Name, err)
		}
		if s.Each == "" {
			specs = append(specs, s)
			continue
		}
		values, ok := sets[s.Each]
		if !ok {
			return nil, fmt.Errorf("hostile: line %d (%s): no value set %q above it", n, s.Name, s.Each)
		}
		for _, v := range values {
			specs = append(specs, s.with(v))
		}
	}
	return specs, sc.Err()
}

func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func (s *Spec) check() error {
	if s.Name == "" {
		return fmt.Errorf("no name")
	}
	if s.Raw == "" && !strings.HasPrefix(s.Path, "/") {
		return fmt.Errorf("path %q does not start with /", s.Path)
	}
	if s.Raw != "" && (s.Path != "" || s.Body != nil || len(s.Header) > 0 || s.Method != "") {
		return fmt.Errorf("a raw request has no path, method, header or body of its own")
	}
	if s.Stall && s.Raw == "" {
		return fmt.Errorf("stall needs raw")
	}
	if _, err := parseWant(s.Want); err != nil {
		return err
	}
	if s.Gen != "" {
		if f := strings.Fields(s.Gen); len(f) == 0 || generators[f[0]] == nil {
			return fmt.Errorf("unknown generator in %q", s.Gen)
		}
	}
	return nil
}

// with returns a copy of s with {{v}} replaced by v everywhere.
func (s Spec) with(v string) Spec {
	r := strings.NewReplacer("{{v}}", v)
	s.Name += " [" + v + "]"
	if len(s.Name) > 200 {
		s.Name = s.Name[:200] + "…]"
	}
	s.Path = r.Replace(s.Path)
	s.Raw = r.Replace(s.Raw)
	if s.Body != nil {
		b := r.Replace(*s.Body)
		s.Body = &b
	}
	if s.Header != nil {
		h := make(map[string]string, len(s.Header))
		for k, val := range s.Header {
			h[k] = r.Replace(val)
		}
		s.Header = h
	}
	s.Each = ""
	return s
}

var placeholder = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// Placeholders returns the names of the {{name}} placeholders the specs
// use, other than gen.
func Placeholders(specs []Spec) []string {
	seen := map[string]bool{}
	var names []string
	add := func(s string) {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			if m[1] != "gen" && m[1] != "length" && !seen[m[1]] {
				seen[m[1]] = true
				names = append(names, m[1])
			}
		}
	}
	for _, s := range specs {
		add(s.Path)
		add(s.Raw)
		if s.Body != nil {
			add(*s.Body)
		}
		for _, v := range s.Header {
			add(v)
		}
	}
	return names
}

// Request is a spec ready to send: placeholders replaced, body generated.
type Request struct {
	Spec   Spec
	Method string
	Path   string
	Header http.Header
	Body   []byte
	Raw    []byte // for raw specs: the bytes to write
}

// Resolve replaces the placeholders of s with vars and generates its body.
func Resolve(s Spec, vars map[string]string) (*Request, error) {
	var missing []string
	sub := func(in string) string {
		return placeholder.ReplaceAllStringFunc(in, func(m string) string {
			name := m[2 : len(m)-2]
			if name == "gen" || name == "length" {
				return m
			}
			v, ok := vars[name]
			if !ok {
				missing = append(missing, name)
			}
			return v
		})
	}
	r := &Request{Spec: s, Method: s.Method, Path: sub(s.Path), Header: http.Header{}}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	for k, v := range s.Header {
		r.Header[k] = []string{sub(v)} // as written: the corpus may send odd names
	}
	if s.Body != nil {
		r.Body = []byte(sub(*s.Body))
	}
	if s.Raw != "" {
		r.Raw = []byte(sub(s.Raw))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("hostile: %s: no value for %s", s.Name, strings.Join(missing, ", "))
	}
	if s.Gen != "" {
		if err := r.generate(); err != nil {
			return nil, err
		}
	}
	if r.Raw != nil {
		r.Method = rawMethod(r.Raw)
		// A raw request's Content-Length may be {{length}}: that of what
		// follows the headers.
		if head, body, ok := bytes.Cut(r.Raw, []byte("\r\n\r\n")); ok && bytes.Contains(head, []byte("{{length}}")) {
			head = bytes.ReplaceAll(head, []byte("{{length}}"), []byte(strconv.Itoa(len(body))))
			r.Raw = append(append(head, "\r\n\r\n"...), body...)
		}
	}
	return r, nil
}

// generate puts the output of the spec's generator where {{gen}} is, or
// makes it the body.
func (r *Request) generate() error {
	out, err := generate(r.Spec.Gen)
	if err != nil {
		return err
	}
	const gen = "{{gen}}"
	used := false
	if strings.Contains(r.Path, gen) {
		r.Path, used = strings.ReplaceAll(r.Path, gen, string(out)), true
	}
	for k, vs := range r.Header {
		if strings.Contains(vs[0], gen) {
			r.Header[k], used = []string{strings.ReplaceAll(vs[0], gen, string(out))}, true
		}
	}
	if bytes.Contains(r.Body, []byte(gen)) {
		r.Body, used = bytes.ReplaceAll(r.Body, []byte(gen), out), true
	}
	if bytes.Contains(r.Raw, []byte(gen)) {
		r.Raw, used = bytes.ReplaceAll(r.Raw, []byte(gen), out), true
	}
	if !used {
		r.Body = out
	}
	return nil
}

// Want is a parsed Spec.Want.
type Want struct {
	statuses []int  // exact statuses
	classes  []int  // 2 for 2xx, 4 for 4xx
	closed   bool   // no answer, the connection closed
	text     string // as written
}

func parseWant(s string) (Want, error) {
	w := Want{text: s}
	if s == "" {
		return w, fmt.Errorf("no want")
	}
	for alt := range strings.SplitSeq(s, "|") {
		switch {
		case alt == "closed":
			w.closed = true
		case len(alt) == 3 && alt[1:] == "xx" && (alt[0] == '2' || alt[0] == '4'):
			w.classes = append(w.classes, int(alt[0]-'0'))
		default:
			n, err := strconv.Atoi(alt)
			if err != nil || n < 200 || n > 499 {
				return w, fmt.Errorf("want %q: %q is not a status below 500, 2xx, 4xx or closed", s, alt)
			}
			w.statuses = append(w.statuses, n)
		}
	}
	return w, nil
}

// Allows reports whether status is one the spec accepts.
func (w Want) Allows(status int) bool {
	for _, s := range w.statuses {
		if s == status {
			return true
		}
	}
	for _, c := range w.classes {
		if status/100 == c {
			return true
		}
	}
	return false
}

// AllowsClosed reports whether the spec accepts a connection closed
// without an answer.
func (w Want) AllowsClosed() bool { return w.closed }

func (w Want) String() string { return w.text }

// WantOf returns the parsed Want of s (checked by Parse).
func WantOf(s Spec) Want {
	w, _ := parseWant(s.Want)
	return w
}
