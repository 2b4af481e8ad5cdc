package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
)

func TestRedactQuery(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"limit=10&bbox=9,45,10,46", "limit=10&bbox=9,45,10,46"},
		{"access_token=atl_abc&limit=1", "access_token=[REDACTED]&limit=1"},
		{"limit=1&token=xyz", "limit=1&token=[REDACTED]"},
		{"api_key=k1&apikey=k2&api-key=k3&key=k4", "api_key=[REDACTED]&apikey=[REDACTED]&api-key=[REDACTED]&key=[REDACTED]"},
		{"password=p&client_secret=s&X-Amz-Signature=sig", "password=[REDACTED]&client_secret=[REDACTED]&X-Amz-Signature=[REDACTED]"},
		{"Access_Token=abc", "Access_Token=[REDACTED]"},
		// Any Atlante token, whatever the parameter, escaped or not.
		{"q=atl_secret", "q=[REDACTED]"},
		{"q=%61tl_secret", "q=[REDACTED]"},
		{"atl_bare", "[REDACTED]"},
		// A token sent as a parameter's name.
		{"atl_secret=1&limit=2", "[REDACTED]&limit=2"},
		{"%61tl_secret=&f=json", "[REDACTED]&f=json"},
		// Malformed queries are logged too: redaction works on raw text.
		{"bbox=9;token=abc;f=%", "bbox=9;token=[REDACTED];f=%"},
		{"access_token=%zz", "access_token=[REDACTED]"},
		{"token=", "token="},
		// Names that only resemble secret ones stay.
		{"comune=019035&street=Via Roma&number=12", "comune=019035&street=Via Roma&number=12"},
	}
	for _, tt := range tests {
		if got := redactQuery(tt.raw); got != tt.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestRedactPath(t *testing.T) {
	if got, want := redactPath("/collections/atl_abc/items"), "/collections/[REDACTED]/items"; got != want {
		t.Errorf("redactPath = %q, want %q", got, want)
	}
	if got := redactPath("/collections/comuni/items"); got != "/collections/comuni/items" {
		t.Errorf("redactPath changed a clean path: %q", got)
	}
}

func TestCheckQuery(t *testing.T) {
	tests := []struct {
		raw   string
		field string // "" = accepted
		says  string
	}{
		{"bbox=9.6,45.3,9.8,45.4&limit=10", "", ""},
		{"filter=a%20%3D%201%0Aand%09b", "", ""}, // tab and newline are whitespace in CQL2
		{"q=via%20Roma&&x=", "", ""},
		{"q=caff%C3%A8", "", ""},
		{"bbox=9;45;10;46", "bbox", "';' does not separate"},
		{"f=%", "f", `"%"`},
		{"limit=10&f=%zz", "f", `"%zz"`},
		{"f%zz=1", "f%zz", "parameter name"},
		{"q=%00via", "q", "U+0000"},
		{"q=%7f", "q", "U+007F"},
		{"q=%c0%ae", "q", "UTF-8"},
		{"%c0%ae=1", "%c0%ae", "UTF-8"},
	}
	for _, tt := range tests {
		err := checkQuery(tt.raw)
		if tt.field == "" {
			if err != nil {
				t.Errorf("checkQuery(%q) = %v, want nil", tt.raw, err)
			}
			continue
		}
		fs := apperr.Fields(err)
		if apperr.KindOf(err) != apperr.Invalid || len(fs) != 1 || fs[0].Field != tt.field || !strings.Contains(fs[0].Reason, tt.says) {
			t.Errorf("checkQuery(%q) = %v (fields %+v), want Invalid on field %q saying %q", tt.raw, err, fs, tt.field, tt.says)
		}
	}
}

// FuzzCheckQuery checks that checkQuery accepts exactly what
// url.ParseQuery accepts as UTF-8 text without control characters.
func FuzzCheckQuery(f *testing.F) {
	for _, s := range []string{"bbox=9,45,10,46", "f=%", "bbox=9;45", "q=%00", "q=%c0%ae", "a=b&c=d", "=", "&&", "%zz=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := checkQuery(raw)
		if _, perr := url.ParseQuery(raw); perr != nil && err == nil {
			t.Errorf("checkQuery(%q) accepted what url.ParseQuery refuses: %v", raw, perr)
		}
		if err != nil && apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("checkQuery(%q) = %v, want an Invalid error", raw, err)
		}
	})
}

func TestRewriteServerError(t *testing.T) {
	const headers = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	tests := []struct {
		in     string
		status int
		says   string
	}{
		{"HTTP/1.1 400 Bad Request" + headers + "400 Bad Request", 400, "percent-encoded"},
		{"HTTP/1.1 400 Bad Request: missing required Host header" + headers + "400 Bad Request: missing required Host header", 400, "missing required Host header"},
		{"HTTP/1.1 431 Request Header Fields Too Large" + headers + "431 Request Header Fields Too Large", 431, "too large"},
		// Requests that cannot be read are 4xx, whatever net/http says.
		{"HTTP/1.1 501 Not Implemented" + headers + "Unsupported transfer encoding", 400, "Transfer-Encoding"},
		{"HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version" + headers + "505 HTTP Version Not Supported: unsupported protocol version", 400, "HTTP version"},
		// net/http's own answer to an Expect other than 100-continue.
		{"HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n", 417, "Expect"},
	}
	for _, tt := range tests {
		out, ok := rewriteServerError([]byte(tt.in))
		if !ok {
			t.Errorf("rewriteServerError(%q) did not rewrite it", tt.in)
			continue
		}
		head, body, _ := bytes.Cut(out, []byte("\r\n\r\n"))
		if !bytes.HasPrefix(head, fmt.Appendf(nil, "HTTP/1.1 %d %s\r\n", tt.status, http.StatusText(tt.status))) ||
			!bytes.Contains(head, []byte("Content-Type: application/problem+json")) ||
			!bytes.Contains(head, []byte("X-Content-Type-Options: nosniff")) ||
			!bytes.Contains(head, fmt.Appendf(nil, "Content-Length: %d", len(body))) {
			t.Errorf("rewritten head = %q", head)
		}
		var p problem
		if err := json.Unmarshal(body, &p); err != nil || p.Status != tt.status || !strings.Contains(p.Detail, tt.says) {
			t.Errorf("rewritten body = %s (%v), want status %d and a detail saying %q", body, err, tt.status, tt.says)
		}
	}
	// What a handler writes always has a Date header: never touched.
	for _, s := range []string{
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nConnection: close\r\n\r\n400 Bad Request",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 100 Continue\r\n\r\n",
	} {
		if _, ok := rewriteServerError([]byte(s)); ok {
			t.Errorf("rewriteServerError rewrote %q", s)
		}
	}
}

func TestParseCORSOrigins(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"*", []string{"*"}, false},
		{"", nil, false},
		{"https://www.comune.crema.cr.it, http://localhost:3000", []string{"https://www.comune.crema.cr.it", "http://localhost:3000"}, false},
		{"HTTPS://Example.ORG/", []string{"https://example.org"}, false},
		{"*,https://a.example", nil, true},
		{"example.org", nil, true},
		{"https://example.org/path", nil, true},
		{"ftp://example.org", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseCORSOrigins(tt.in)
		if (err != nil) != tt.wantErr || strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("ParseCORSOrigins(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCheckFrameAncestors(t *testing.T) {
	for _, ok := range []string{"'self'", "'none'", "'self' https://www.comune.crema.cr.it", "https:"} {
		if err := CheckFrameAncestors(ok); err != nil {
			t.Errorf("CheckFrameAncestors(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "self", "'self'; script-src *", "'none' 'self'", "https://a.example,https://b.example"} {
		if err := CheckFrameAncestors(bad); err == nil {
			t.Errorf("CheckFrameAncestors(%q) = nil, want an error", bad)
		}
	}
}

// BenchmarkEdgeMiddleware measures what the edge adds to every request:
// security headers, CORS (any origin and a list), the query and path check
// and the body-deadline wrapper, around a handler that writes 2 bytes.
//
//	go test ./internal/httpapi/ -run '^$' -bench EdgeMiddleware
func BenchmarkEdgeMiddleware(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	})
	csp := contentSecurityPolicy("https://tile.openstreetmap.org", "'self'")
	chain := func(origins []string) http.Handler {
		return securityHeaders(csp)(newCORSPolicy(origins).handler(checkRequest(bodyDeadline(ok))))
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", ok},
		{"edge-any-origin", chain([]string{"*"})},
		{"edge-origin-list", chain([]string{"https://a.example", "https://b.example"})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, "/collections/comuni/items?bbox=9.6,45.3,9.8,45.4&limit=100&name=Crema", nil)
			req.Header.Set("Origin", "https://a.example")
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(&discardWriter{h: http.Header{}}, req)
			}
		})
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
