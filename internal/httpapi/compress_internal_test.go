package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"deflate, gzip;q=1.0, *;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.001", true},
		{"gzip;q=0, *", false}, // the entry naming gzip wins
		{"*", true},
		{"*;q=0", false},
		{"identity", false},
		{"br, deflate", false},
		{"gzip;q=x", false},
		{"gzip;q=2", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			r.Header.Set("Accept-Encoding", tt.header)
		}
		if got := acceptsGzip(r); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestNoneMatch(t *testing.T) {
	tests := []struct {
		fields []string
		etag   string
		want   bool
	}{
		{nil, `"a"`, false},
		{[]string{`"a"`}, `"a"`, true},
		{[]string{`W/"a"`}, `"a"`, true},
		{[]string{`"a"`}, `W/"a"`, true},
		{[]string{`"b", "a"`}, `"a"`, true},
		{[]string{`"b"`, `"a"`}, `"a"`, true}, // two header lines
		{[]string{`"b",W/"a"`}, `"a"`, true},
		{[]string{`"a,b"`}, `"a"`, false}, // a comma inside a tag
		{[]string{`"a,b"`}, `"a,b"`, true},
		{[]string{`*`}, `"a"`, true},
		{[]string{`"b"`}, `"a"`, false},
		{[]string{`a`}, `"a"`, false},
		{[]string{`"a`}, `"a"`, false},
		{[]string{`w/"a"`}, `"a"`, false}, // W is case-sensitive
		{[]string{`"A"`}, `"a"`, false},
		{[]string{`"a-gz"`}, `"a"`, false},
		{[]string{`"a"`}, `garbage`, false},
	}
	for _, tt := range tests {
		if got := noneMatch(tt.fields, tt.etag); got != tt.want {
			t.Errorf("noneMatch(%q, %s) = %v, want %v", tt.fields, tt.etag, got, tt.want)
		}
	}
}

func TestCodingTag(t *testing.T) {
	gz := httptest.NewRequest("GET", "/", nil)
	gz.Header.Set("Accept-Encoding", "gzip")
	plain := httptest.NewRequest("GET", "/", nil)
	tests := []struct {
		r         *http.Request
		tag, want string
	}{
		{gz, `"a"`, `"a-gz"`},
		{plain, `"a"`, `"a"`},
		{gz, `W/"a"`, `W/"a"`},
	}
	for _, tt := range tests {
		if got := codingTag(tt.r, tt.tag); got != tt.want {
			t.Errorf("codingTag(%s) = %s, want %s", tt.tag, got, tt.want)
		}
	}
}

func TestMergeVary(t *testing.T) {
	tests := []struct {
		lines []string
		want  string
	}{
		{[]string{"Accept-Encoding", "Accept-Encoding"}, "Accept-Encoding"},
		{[]string{"Accept", "Accept-Encoding"}, "Accept, Accept-Encoding"},
		{[]string{"Origin, accept-encoding", "Accept-Encoding", ""}, "Origin, accept-encoding"},
		{[]string{"Accept", "*"}, "*"},
	}
	for _, tt := range tests {
		h := http.Header{"Vary": tt.lines}
		mergeVary(h)
		if got := h.Values("Vary"); len(got) != 1 || got[0] != tt.want {
			t.Errorf("mergeVary(%q) = %q, want [%q]", tt.lines, got, tt.want)
		}
	}
}

// TestCompress runs the middleware over small handlers.
func TestCompress(t *testing.T) {
	body := strings.Repeat(`{"type":"Feature"}`, 100)
	handler := func(etag string, status int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/geo+json")
			w.Header().Set("Content-Length", "1800")
			if etag != "" {
				w.Header().Set("ETag", etag)
			}
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
	}
	tests := []struct {
		name       string
		h          http.Handler
		accept     string
		wantGzip   bool
		wantLength bool
	}{
		{"untagged", handler("", 200), "gzip", true, false},
		{"identity client", handler("", 200), "", false, true},
		{"weak tag", handler(`W/"a"`, 200), "gzip", true, false},
		{"tag naming gzip", handler(`"a-gz"`, 200), "gzip", true, false},
		{"strong tag naming no coding", handler(`"1"`, 200), "gzip", false, true},
		{"partial content", handler("", http.StatusPartialContent), "gzip", false, true},
		{"not a listed type", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			io.WriteString(w, body)
		}), "gzip", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Encoding", tt.accept)
			}
			w := httptest.NewRecorder()
			compress(5, "application/geo+json")(tt.h).ServeHTTP(w, r)
			res := w.Result()
			got := res.Header.Get("Content-Encoding") == "gzip"
			if got != tt.wantGzip {
				t.Fatalf("gzipped = %v, want %v", got, tt.wantGzip)
			}
			b := w.Body.Bytes()
			if got {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if b, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if string(b) != body {
				t.Errorf("body = %.50q, want the handler's", b)
			}
			if (res.Header.Get("Content-Length") != "") != tt.wantLength {
				t.Errorf("Content-Length = %q", res.Header.Get("Content-Length"))
			}
			if listed := tt.name != "not a listed type"; listed != (res.Header.Get("Vary") == "Accept-Encoding") {
				t.Errorf("Vary = %q", res.Header.Values("Vary"))
			}
		})
	}

	t.Run("panic leaves the stream unfinished", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		h := compress(5, "application/geo+json")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/geo+json")
			io.WriteString(w, body)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}))
		func() {
			defer func() {
				if p := recover(); p != http.ErrAbortHandler {
					t.Errorf("recovered %v, want http.ErrAbortHandler passed on", p)
				}
			}()
			h.ServeHTTP(w, r)
		}()
		zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(zr); err != io.ErrUnexpectedEOF {
			t.Errorf("reading the cut response: %v, want io.ErrUnexpectedEOF (no gzip trailer)", err)
		}
	})
}

// BenchmarkCompress measures the middleware on a page of GeoJSON written
// in 4 KB pieces, as handleItems writes through its buffer.
func BenchmarkCompress(b *testing.B) {
	page := []byte(strings.Repeat(`{"type":"Feature","id":"019035","geometry":{"type":"Point","coordinates":[9.6915,45.3558]},"properties":{"name":"Crema"}},`, 600))
	h := compress(5, "application/geo+json")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/geo+json")
		for p := page; len(p) > 0; p = p[min(4096, len(p)):] {
			w.Write(p[:min(4096, len(p))])
		}
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
	}
}
