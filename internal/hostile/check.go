package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Leaks are strings that betray internals when they reach a client: SQL
// and its errors, the driver, Go panics, stacks and source paths. A string
// the request itself sent is not a leak when it is echoed (a problem's
// instance repeats the path).
var Leaks = []string{
	"SQLSTATE", "pgx", "pgconn", "pq:", "postgres", "ERROR:", "syntax error at", "violates ", "duplicate key",
	"SELECT ", " FROM ", "INSERT INTO", "UPDATE ", "DELETE FROM", "ST_", "$1",
	"panic", "goroutine ", "runtime.", "runtime/", ".go:", "/usr/local/go", "/root/", "/home/", "github.com/cremasco",
	"cannot unmarshal", "Go value", "Go struct", "json: ", "strconv.",
}

// pageMedia are the media types of the viewer's own files, whose 2xx
// bodies are code, not data: they are not searched for leaks.
var pageMedia = map[string]bool{
	"text/javascript": true, "application/javascript": true, "text/css": true, "text/html": true,
	"image/svg+xml": true, "text/plain": true,
}

// Check returns what is wrong with the answer a to r, nothing when it is
// what the corpus wants: a status it allows (never 5xx), within the
// client's bound; a 4xx as application/problem+json with its status and a
// detail (a 4xx page for a browser asking for HTML); nosniff; no internals
// and none of secrets in the body or the headers.
func Check(r *Request, a Answer, secrets []string) []string {
	want := WantOf(r.Spec)
	var bad []string
	switch {
	case a.Closed && want.AllowsClosed():
		return nil
	case a.Closed:
		return []string{fmt.Sprintf("the server closed the connection without an answer, want %s", want)}
	case a.TimedOut:
		return []string{fmt.Sprintf("no whole answer within %s (status %d)", a.Took.Round(1e6), a.Status)}
	case a.Err != nil && a.Status == 0:
		return []string{fmt.Sprintf("no answer: %v", a.Err)}
	case a.Err != nil:
		bad = append(bad, fmt.Sprintf("status %d, then %v", a.Status, a.Err))
	}
	if a.Status >= 500 {
		bad = append(bad, fmt.Sprintf("status %d: a server error", a.Status))
	}
	if !want.Allows(a.Status) {
		bad = append(bad, fmt.Sprintf("status %d, want %s", a.Status, want))
	}
	if a.Header.Get("X-Content-Type-Options") != "nosniff" {
		bad = append(bad, "no X-Content-Type-Options: nosniff")
	}
	media, _, _ := mime.ParseMediaType(a.Header.Get("Content-Type"))
	if a.Status >= 400 && r.Method != http.MethodHead && rawMethod(r.Raw) != http.MethodHead {
		page := media == "text/html" && strings.Contains(acceptOf(r), "text/html")
		if !page {
			bad = append(bad, checkProblem(a, media)...)
		}
	}
	sent := string(r.Raw) + r.Method + " " + r.Path + string(r.Body) + fmt.Sprint(r.Header)
	sent = strings.ToLower(sent + unescapeLoosely(sent))
	scan := func(where string, text []byte) {
		for _, l := range Leaks {
			if bytes.Contains(text, []byte(l)) && !strings.Contains(sent, strings.ToLower(l)) {
				bad = append(bad, fmt.Sprintf("%s shows %q: %s", where, l, around(text, []byte(l))))
			}
		}
		for _, s := range secrets {
			if s != "" && bytes.Contains(text, []byte(s)) {
				bad = append(bad, fmt.Sprintf("%s shows a token secret", where))
			}
		}
	}
	if !(a.Status < 300 && pageMedia[media]) {
		scan("the body", a.Body)
	}
	for k, vs := range a.Header {
		for _, v := range vs {
			scan("header "+k, []byte(v))
		}
	}
	return bad
}

// unescapeLoosely decodes the valid %-escapes of s and keeps the rest.
func unescapeLoosely(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := url.PathUnescape(s[i : i+3]); err == nil {
				b.WriteString(v)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// checkProblem checks an RFC 9457 problem body.
func checkProblem(a Answer, media string) []string {
	if media != "application/problem+json" {
		return []string{fmt.Sprintf("a %d as %q, want application/problem+json: %.200q", a.Status, a.Header.Get("Content-Type"), a.Body)}
	}
	var p struct {
		Status *int   `json:"status"`
		Detail string `json:"detail"`
		Title  string `json:"title"`
	}
	if err := json.Unmarshal(a.Body, &p); err != nil {
		return []string{fmt.Sprintf("a problem that is not JSON (%v): %.200q", err, a.Body)}
	}
	var bad []string
	if p.Status == nil || *p.Status != a.Status {
		bad = append(bad, fmt.Sprintf("the problem's status is not %d: %.200s", a.Status, a.Body))
	}
	if strings.TrimSpace(p.Detail) == "" || p.Title == "" {
		bad = append(bad, fmt.Sprintf("the problem has no title or detail: %.200s", a.Body))
	}
	return bad
}

func acceptOf(r *Request) string {
	for k, v := range r.Header {
		if strings.EqualFold(k, "Accept") {
			return strings.Join(v, ",")
		}
	}
	if i := bytes.Index(bytes.ToLower(r.Raw), []byte("\naccept:")); i >= 0 {
		line, _, _ := bytes.Cut(r.Raw[i+1:], []byte("\n"))
		return string(line)
	}
	return ""
}

// around is the text near the first occurrence of s in b.
func around(b, s []byte) string {
	i := bytes.Index(b, s)
	lo, hi := max(i-60, 0), min(i+len(s)+60, len(b))
	return fmt.Sprintf("%q", b[lo:hi])
}
