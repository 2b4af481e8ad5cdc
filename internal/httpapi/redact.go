package httpapi

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/cremasco/atlante/internal/apperr"
)

// redacted replaces a secret in what is logged or echoed.
const redacted = "[REDACTED]"

// tokenPrefix starts every Atlante API token (see package auth).
const tokenPrefix = "atl_"

// secretParams are query parameter names, lower case without "-" and "_",
// whose values are credentials however they are spelt (access_token,
// api-key, X-Amz-Signature, ...).
var secretParams = []string{"token", "key", "password", "passwd", "pwd", "secret", "auth", "credential", "signature", "sig", "session", "jwt", "bearer"}

// isSecretParam reports whether a query parameter name looks like it
// carries a credential.
func isSecretParam(name string) bool {
	n := strings.NewReplacer("-", "", "_", "", ".", "").Replace(strings.ToLower(name))
	for _, s := range secretParams {
		if n == s || strings.HasSuffix(n, s) || (len(s) > 3 && strings.Contains(n, s)) {
			return true
		}
	}
	return false
}

// looksLikeToken reports whether a raw (possibly escaped) value is an
// Atlante token.
func looksLikeToken(raw string) bool {
	if v, err := url.QueryUnescape(raw); err == nil {
		raw = v
	}
	return strings.HasPrefix(strings.TrimSpace(raw), tokenPrefix)
}

// redactQuery returns a raw query with the values of credential-like
// parameters, and of any value that is an Atlante token, replaced. It works
// on the raw text, so a malformed query is redacted too.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	start := 0
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) && raw[i] != '&' && raw[i] != ';' {
			continue
		}
		piece := raw[start:i]
		if k, _, ok := strings.Cut(piece, "="); ok && looksLikeToken(k) {
			piece = redacted // a token sent as a parameter's name
		} else if k, v, ok := strings.Cut(piece, "="); ok && v != "" {
			name := k
			if u, err := url.QueryUnescape(k); err == nil {
				name = u
			}
			if isSecretParam(name) || looksLikeToken(v) {
				piece = k + "=" + redacted
			}
		} else if looksLikeToken(piece) {
			piece = redacted
		}
		b.WriteString(piece)
		if i < len(raw) {
			b.WriteByte(raw[i])
		}
		start = i + 1
	}
	return b.String()
}

// redactPath replaces path segments that are Atlante tokens, for a client
// that put one in the URL by mistake.
func redactPath(p string) string {
	if !strings.Contains(p, tokenPrefix) {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, tokenPrefix) {
			segs[i] = redacted
		}
	}
	return strings.Join(segs, "/")
}

// redactedRequestURI is the request's path and query as the client sent
// them (before any http.StripPrefix), as echoed in a problem's instance:
// without credentials.
func redactedRequestURI(r *http.Request) string {
	path, query := r.URL.EscapedPath(), r.URL.RawQuery
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && r.RequestURI != "" {
		path, query = u.EscapedPath(), u.RawQuery
	}
	if q := redactQuery(query); q != "" {
		return redactPath(path) + "?" + q
	}
	return redactPath(path)
}

// requestPath is the decoded path the client asked for, before any
// http.StripPrefix.
func requestPath(r *http.Request) string {
	if r.RequestURI != "" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			return u.Path
		}
	}
	return r.URL.Path
}

// tokenText is an Atlante token inside free text.
var tokenText = regexp.MustCompile(tokenPrefix + `[A-Za-z0-9]+`)

// redactText replaces the Atlante tokens in a message that may quote what
// the client sent: a problem's detail names the path segment, parameter or
// value it refuses, and a client may have put its token there by mistake.
func redactText(s string) string {
	if !strings.Contains(s, tokenPrefix) {
		return s
	}
	return tokenText.ReplaceAllString(s, redacted)
}

// redactProblem returns p without tokens in its texts.
func redactProblem(p problem) problem {
	p.Detail, p.Instance = redactText(p.Detail), redactText(p.Instance)
	if len(p.Errors) > 0 {
		errs := make([]apperr.FieldError, len(p.Errors))
		for i, e := range p.Errors {
			errs[i] = apperr.FieldError{Field: redactText(e.Field), Reason: redactText(e.Reason)}
		}
		p.Errors = errs
	}
	return p
}
