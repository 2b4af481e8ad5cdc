package httpapi

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// compress gzips the bodies of the given media types for clients that take
// gzip. Unlike chi's middleware.Compress it
//   - honours q=0 in Accept-Encoding (RFC 9110 §12.5.3);
//   - names Accept-Encoding in Vary on every response of those types,
//     gzipped or not, so that a shared cache keeps the two bodies apart, and
//     sends one Vary line with every value (RFC 9110 §12.5.5);
//   - never lets two different bodies share a strong entity tag
//     (RFC 9110 §8.8.3): a strongly tagged body is gzipped only when its
//     tag names the gzip coding (codingTag), otherwise it goes out as it is;
//   - leaves partial (206) responses and bodies the handler coded alone;
//   - does not finish the gzip stream of a handler that panicked, so that a
//     response cut short still looks cut short to the client.
func compress(level int, types ...string) func(http.Handler) http.Handler {
	allowed := make(map[string]bool, len(types))
	for _, t := range types {
		allowed[t] = true
	}
	if level < gzip.HuffmanOnly || level > gzip.BestCompression {
		panic("httpapi: gzip level " + strconv.Itoa(level) + " out of range") // a constant in routes.go
	}
	pool := &sync.Pool{New: func() any {
		zw, _ := gzip.NewWriterLevel(io.Discard, level) // the level is valid
		return zw
	}}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cw := &compressWriter{ResponseWriter: w, allowed: allowed, pool: pool, accepts: acceptsGzip(r)}
			completed := false
			defer func() { cw.finish(completed) }()
			next.ServeHTTP(cw, r)
			completed = true
		})
	}
}

// compressWriter decides at WriteHeader whether the body is gzipped.
type compressWriter struct {
	http.ResponseWriter
	allowed     map[string]bool
	pool        *sync.Pool
	accepts     bool
	wroteHeader bool
	gz          *gzip.Writer // set when the body is being gzipped
}

func (cw *compressWriter) WriteHeader(code int) {
	if cw.wroteHeader || code < http.StatusOK {
		cw.ResponseWriter.WriteHeader(code) // 1xx, or a superfluous call net/http reports
		return
	}
	cw.wroteHeader = true
	h := cw.Header()
	if cw.allowed[mediaTypeOf(h)] {
		h.Add("Vary", "Accept-Encoding")
		if cw.accepts && h.Get("Content-Encoding") == "" && bodyAllowed(code) && code != http.StatusPartialContent && !pinnedTag(h.Get("ETag")) {
			h.Set("Content-Encoding", "gzip")
			h.Del("Content-Length")
			cw.gz = cw.pool.Get().(*gzip.Writer)
			cw.gz.Reset(cw.ResponseWriter)
		}
	}
	mergeVary(h)
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *compressWriter) Write(p []byte) (int, error) {
	if !cw.wroteHeader {
		cw.WriteHeader(http.StatusOK)
	}
	if cw.gz != nil {
		return cw.gz.Write(p)
	}
	return cw.ResponseWriter.Write(p)
}

// Flush sends what was written so far, through the gzip stream.
func (cw *compressWriter) Flush() {
	if !cw.wroteHeader {
		cw.WriteHeader(http.StatusOK)
	}
	if cw.gz != nil {
		cw.gz.Flush() // an error means the client left; the handler's next write sees it
	}
	if f, ok := cw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// finish ends the gzip stream of a completed response and returns the
// writer to the pool.
func (cw *compressWriter) finish(completed bool) {
	if cw.gz == nil {
		return
	}
	if completed {
		cw.gz.Close() // after the header an error only means the client left
	}
	cw.gz.Reset(io.Discard)
	cw.pool.Put(cw.gz)
	cw.gz = nil
}

// pinnedTag reports whether an entity tag is strong and names no coding:
// the body it tags must go out as the handler wrote it.
func pinnedTag(etag string) bool {
	return etag != "" && !strings.HasPrefix(etag, "W/") && !strings.HasSuffix(etag, gzipTagSuffix+`"`)
}

func bodyAllowed(code int) bool {
	return code >= http.StatusOK && code != http.StatusNoContent && code != http.StatusNotModified
}

func mediaTypeOf(h http.Header) string {
	t, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// mergeVary folds every Vary line into one, without repeats.
func mergeVary(h http.Header) {
	lines := h.Values("Vary")
	if len(lines) == 0 {
		return
	}
	var names []string
	for _, line := range lines {
		for _, name := range strings.Split(line, ",") {
			name = strings.TrimSpace(name)
			switch {
			case name == "":
			case name == "*":
				h.Set("Vary", "*")
				return
			case !containsFold(names, name):
				names = append(names, name)
			}
		}
	}
	h.Set("Vary", strings.Join(names, ", "))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether the client takes a gzip-coded body
// (RFC 9110 §12.5.3): gzip (or x-gzip) or "*" with a weight above 0; an
// entry naming gzip wins over "*". No Accept-Encoding means identity only,
// as most clients that take gzip say so.
func acceptsGzip(r *http.Request) bool {
	star := 0.0
	for _, field := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(field, ",") {
			coding, params, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				return qvalue(params) > 0
			case "*":
				star = qvalue(params)
			}
		}
	}
	return star > 0
}

// qvalue returns the weight among an Accept-Encoding entry's parameters:
// 1 when absent, 0 when malformed (identity is always safe to send).
func qvalue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0
		}
		return q
	}
	return 1
}
