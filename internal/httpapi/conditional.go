package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/cremasco/atlante/internal/catalog"
)

// Entity tags and conditional GETs (RFC 9110 §8.8.3, §13.1.2).
//
// A strong tag promises the same bytes, so a body the compress middleware
// gzips must not share it with the identity body: handlers that want both
// a strong tag and compression give each coding its own tag (codingTag),
// and the middleware sends every other strongly tagged body as it is. A
// weak tag promises the same meaning only and may be shared by both.

// gzipTagSuffix marks the tag of a gzip-coded body: "x" is the identity
// body, "x-gz" the gzipped one.
const gzipTagSuffix = "-gz"

// buildTag identifies the build in the tags the server makes, so that a new
// version of the code, which may write the same data differently, never
// answers 304 to a copy made by an older one.
func buildTag(version string) string {
	sum := sha256.Sum256([]byte(version))
	return hex.EncodeToString(sum[:3])
}

// layerTag is the weak tag of a representation computed from a layer's
// data (a page of items, a TileJSON): it changes with the layer's
// definition, its data version and the build. Weak, because the gzip and
// identity bodies share it, and because a page says when it was made.
func (s *Server) layerTag(l *catalog.Layer) string {
	if s.versions == nil {
		return "" // no data versions, no validator
	}
	return `W/"` + s.build + "-" + l.Hash() + "-" + strconv.FormatInt(s.versions.Of(l.SourceTables()...), 10) + `"`
}

// codingTag returns tag (quoted, strong) as the tag of the body r gets:
// with gzipTagSuffix inside the quotes when that body is gzipped.
func codingTag(r *http.Request, tag string) string {
	if !acceptsGzip(r) || !strings.HasSuffix(tag, `"`) || strings.HasPrefix(tag, "W/") {
		return tag
	}
	return tag[:len(tag)-1] + gzipTagSuffix + `"`
}

// notModified sets the ETag header to etag and answers 304 Not Modified
// when the request's If-None-Match matches it; an empty etag does neither. The headers set before the
// call (Cache-Control, Vary) go out with the 304 as they would with the 200
// (RFC 9110 §15.4.5).
func notModified(w http.ResponseWriter, r *http.Request, etag string) bool {
	if etag == "" {
		return false
	}
	w.Header().Set("ETag", etag)
	if !noneMatch(r.Header.Values("If-None-Match"), etag) {
		return false
	}
	w.WriteHeader(http.StatusNotModified)
	return true
}

// noneMatch evaluates If-None-Match against the current tag with the weak
// comparison (RFC 9110 §13.1.2, §8.8.3.2): "*" matches any current
// representation, and a listed tag matches when its opaque part equals the
// current one's, whether either is weak. The field may be a list and may
// come in several header lines; parsing stops at the first malformed
// element, as what follows cannot be read reliably.
func noneMatch(fields []string, etag string) bool {
	current, ok := opaqueTag(etag)
	if !ok {
		return false
	}
	for _, f := range fields {
		for {
			f = strings.TrimLeft(f, " \t,")
			if f == "" {
				break
			}
			if f[0] == '*' {
				return true
			}
			tag, rest, ok := nextTag(f)
			if !ok {
				break
			}
			if tag == current {
				return true
			}
			f = rest
		}
	}
	return false
}

// nextTag reads the entity tag at the start of s (W/"x" or "x") and returns
// its opaque part and the rest of s.
func nextTag(s string) (opaque, rest string, ok bool) {
	s = strings.TrimPrefix(s, "W/")
	if len(s) < 2 || s[0] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", "", false
	}
	return s[1 : end+1], s[end+2:], true
}

// opaqueTag returns the opaque part of one entity tag.
func opaqueTag(etag string) (string, bool) {
	tag, rest, ok := nextTag(etag)
	return tag, ok && strings.TrimSpace(rest) == ""
}
