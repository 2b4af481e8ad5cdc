package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CORS (Fetch standard, §3.2) lets maps on other origins — MapLibre,
// OpenLayers, Leaflet pages of the comuni — read Atlante's features, tiles,
// TileJSON and lookups. Atlante authenticates with bearer tokens, which a
// page must send explicitly, never with cookies, so it never answers
// Access-Control-Allow-Credentials: a page on another origin can use a token
// only if its user gave it one.
//
// rs/cors and go-chi/cors were considered; both add "Vary: Origin" to every
// response even when any origin is allowed (which splits shared caches of
// tiles per origin for nothing) and answer preflights with a fixed method
// list, where Atlante answers with each resource's own (see options).

// corsAllowHeaders are the request headers a cross-origin page may send.
var corsAllowHeaders = strings.Join([]string{"Authorization", "Content-Type", "If-Match", "If-None-Match", "Accept", "Accept-Crs"}, ", ")

// corsExposeHeaders are the response headers a cross-origin page may read
// beyond the CORS-safelisted ones.
var corsExposeHeaders = strings.Join([]string{"ETag", "Location", "Content-Crs", "Link", "Retry-After", "Atlante-Geometry-Repaired", "Content-Disposition"}, ", ")

// corsMaxAge is how long a browser may reuse a preflight's answer, in
// seconds (Chromium caps it at 7200).
const corsMaxAge = 3600

// corsPolicy is the set of origins allowed to read cross-origin.
type corsPolicy struct {
	any     bool            // "*": every origin
	origins map[string]bool // serialised origins, lower case
}

// ParseCORSOrigins reads the --cors-origins value: "*" (any origin), a
// comma-separated list of origins such as "https://www.comune.crema.cr.it",
// or "" (no cross-origin access).
func ParseCORSOrigins(s string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			out = append(out, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("cors origin %q is not an origin such as https://www.comune.crema.cr.it (scheme and host, optional port, no path)", o)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	if len(out) > 1 {
		for _, o := range out {
			if o == "*" {
				return nil, fmt.Errorf("cors origins: * allows every origin and cannot be combined with a list")
			}
		}
	}
	return out, nil
}

func newCORSPolicy(origins []string) *corsPolicy {
	c := &corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			c.any = true
		}
		c.origins[strings.ToLower(o)] = true
	}
	return c
}

// handler adds the CORS response headers for allowed origins. A preflight
// goes on to options, which answers it with the resource's methods. The
// operator's /metrics and the viewer's own files are not shared.
func (c *corsPolicy) handler(next http.Handler) http.Handler {
	if c == nil || (!c.any && len(c.origins) == 0) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" || strings.HasPrefix(r.URL.Path, "/viewer/") {
			next.ServeHTTP(w, r)
			return
		}
		if !c.any {
			// The answer depends on Origin; handlers may Set their own
			// Vary, so it is added as the header is written.
			w = beforeHeader(w, varyOrigin)
		}
		origin := r.Header.Get("Origin")
		if origin == "" || !(c.any || c.origins[strings.ToLower(origin)]) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		if c.any {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if isPreflight(r) {
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
		} else {
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// varyOrigin adds Origin to the response's Vary header, merged into one
// field line with what the handler and compression set.
func varyOrigin(h http.Header) {
	vs := h.Values("Vary")
	for _, line := range vs {
		for f := range strings.SplitSeq(line, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, "Origin") {
				return
			}
		}
	}
	if len(vs) > 0 {
		h.Set("Vary", strings.Join(vs, ", ")+", Origin")
	} else {
		h.Set("Vary", "Origin")
	}
}
