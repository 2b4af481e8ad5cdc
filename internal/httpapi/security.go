package httpapi

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// securityHeaders sets the headers every response carries:
//   - X-Content-Type-Options: nosniff, so that a browser never runs
//     GeoJSON, CSV or an error as a script or page;
//   - Referrer-Policy: strict-origin-when-cross-origin, so that links and
//     the optional OpenStreetMap basemap see only the origin (the OSM tile
//     policy asks for a Referer; no-referrer would break it);
//
// and, on documents a browser renders (HTML, SVG, or a type left to
// sniffing), a Content-Security-Policy that lets the page load only
// Atlante's own files (and the basemap's tiles) and be framed only as
// configured. Tiles, JSON and CSV do not carry it: it would not apply to
// them, and it is 400 bytes on every tile.
func securityHeaders(csp string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			next.ServeHTTP(beforeHeader(w, func(h http.Header) {
				if isDocument(h.Get("Content-Type")) && h.Get("Content-Security-Policy") == "" {
					h.Set("Content-Security-Policy", csp)
				}
			}), r)
		})
	}
}

// isDocument reports whether a response of this Content-Type may be
// rendered by a browser as a page that runs scripts.
func isDocument(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "", "text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml":
		return true
	}
	return false
}

// beforeHeader wraps w so that fn runs once, on the response's header,
// just before it is written: after the handler has set its own headers.
func beforeHeader(w http.ResponseWriter, fn func(http.Header)) http.ResponseWriter {
	return &hookWriter{ResponseWriter: w, fn: fn}
}

type hookWriter struct {
	http.ResponseWriter
	fn   func(http.Header)
	done bool
}

func (h *hookWriter) hook() {
	if !h.done {
		h.done = true
		h.fn(h.ResponseWriter.Header())
	}
}

func (h *hookWriter) WriteHeader(code int) {
	h.hook()
	h.ResponseWriter.WriteHeader(code)
}

func (h *hookWriter) Write(b []byte) (int, error) {
	h.hook()
	return h.ResponseWriter.Write(b)
}

// Flush keeps streaming responses streaming.
func (h *hookWriter) Flush() {
	h.hook()
	_ = http.NewResponseController(h.ResponseWriter).Flush() // an error only means the client left
}

// Unwrap lets http.ResponseController reach the connection.
func (h *hookWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// contentSecurityPolicy builds the policy for the viewer's page (see
// internal/viewer/static): its scripts, styles and images come from this
// origin; MapLibre GL JS starts its workers from blob: URLs, decodes tiles
// into blob: images and its stylesheet has data: icons; element styles are
// set through the CSSOM, which style-src does not restrict, so no
// 'unsafe-inline' is needed. basemap is the origin of the optional online
// basemap ("" for none); frameAncestors the CSP frame-ancestors source list.
func contentSecurityPolicy(basemap, frameAncestors string) string {
	extra := ""
	if basemap != "" {
		extra = " " + basemap
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: blob:" + extra,
		"connect-src 'self'" + extra,
		"worker-src 'self' blob:",
		"child-src 'self' blob:",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors " + frameAncestors,
	}, "; ")
}

// CheckFrameAncestors validates a CSP frame-ancestors source list such as
// "'self'", "'none'" or "'self' https://comune.crema.cr.it".
func CheckFrameAncestors(s string) error {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return fmt.Errorf("frame-ancestors is empty; use 'self', 'none' or a list of origins")
	}
	for _, f := range fields {
		switch f {
		case "'self'", "'none'":
			if f == "'none'" && len(fields) > 1 {
				return fmt.Errorf("frame-ancestors: 'none' must stand alone")
			}
			continue
		}
		if strings.ContainsAny(f, ";,'\"") {
			return fmt.Errorf("frame-ancestors: %q is not a source (an origin such as https://example.org, or 'self')", f)
		}
		if strings.HasSuffix(f, ":") { // a scheme source, e.g. https:
			continue
		}
		u, err := url.Parse(f)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("frame-ancestors: %q is not an origin such as https://example.org", f)
		}
	}
	return nil
}

// notFoundPage is the 404 a person sees when following a dead link in a
// browser: plain HTML (no inline style, see contentSecurityPolicy) with a
// way back to the map.
func notFoundPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Not found — Atlante</title></head>
<body>
<h1>Not found</h1>
<p>There is nothing at <code>%s</code>.</p>
<p><a href="/">Back to the map</a> · <a href="/collections">the data as OGC API – Features</a></p>
</body>
</html>
`, html.EscapeString(redactPath(requestPath(r))))
}
