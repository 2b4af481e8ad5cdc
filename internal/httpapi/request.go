package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/cremasco/atlante/internal/apperr"
)

// checkRequest refuses a request whose path or query cannot be read as
// written, before any handler sees it. r.URL.Query() silently drops what
// url.ParseQuery rejects, so "?bbox=9;45;10;46" or "?f=%" would otherwise
// answer an unfiltered page as if the parameter had not been sent.
func checkRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkPath(r.URL.Path); err != nil {
			writeError(w, r, err)
			return
		}
		if err := checkQuery(r.URL.RawQuery); err != nil {
			writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkPath refuses a decoded path that is not UTF-8 text: overlong or
// invalid escapes such as %c0%ae, and control characters.
func checkPath(p string) error {
	const op = "httpapi.path"
	if !utf8.ValidString(p) {
		return apperr.New(op, apperr.Invalid, "the path is not valid UTF-8 once percent-decoded; encode non-ASCII characters as UTF-8 (è is %%C3%%A8)")
	}
	if c, ok := controlChar(p); ok {
		return apperr.New(op, apperr.Invalid, "the path contains the control character %U; remove it", c)
	}
	return nil
}

// checkQuery parses a raw query strictly, as url.ParseQuery does, but names
// the parameter and says what to fix instead of dropping it.
func checkQuery(raw string) error {
	const op = "httpapi.query"
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(piece, "=")
		key, keyErr := url.QueryUnescape(rawKey)
		name := key
		if _, bad := controlChar(key); keyErr != nil || bad || !utf8.ValidString(key) {
			name = rawKey // named as sent, so the problem stays readable
		}
		name = truncateName(name)
		if strings.Contains(piece, ";") {
			return apperr.Invalidf(op, name, "';' does not separate query parameters: separate parameters with & "+
				"and the values of a list with commas (bbox=9.6,45.3,9.8,45.4)")
		}
		if keyErr != nil {
			return apperr.Invalidf(op, name, "the parameter name has an invalid percent-escape %s; write a literal %% as %%25", badEscape(rawKey))
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return apperr.Invalidf(op, name, "invalid percent-escape %s; write a literal %% as %%25", badEscape(rawValue))
		}
		for _, s := range []string{key, value} {
			if !utf8.ValidString(s) {
				return apperr.Invalidf(op, name, "not valid UTF-8 once percent-decoded; encode non-ASCII characters as UTF-8 (è is %%C3%%A8)")
			}
			if c, ok := controlChar(s); ok {
				return apperr.Invalidf(op, name, "contains the control character %U; remove it", c)
			}
		}
	}
	return nil
}

// controlChar returns the first control character of s other than tab,
// line feed and carriage return (which a CQL2 filter may contain).
func controlChar(s string) (rune, bool) {
	for _, c := range s {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return c, true
		}
	}
	return 0, false
}

// badEscape returns the first malformed %-escape of s, quoted.
func badEscape(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			i += 2
			continue
		}
		end := min(i+3, len(s))
		return fmt.Sprintf("%q", s[i:end])
	}
	return `"%"`
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func truncateName(s string) string {
	if len(s) <= 40 {
		return s
	}
	for i := 40; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return "…"
}

// bodyDeadline marks the request when reading its body hits the server's
// read deadline (http.Server.ReadTimeout), so that the error is answered
// 408 Request Timeout whatever the handler wrapped it in: net/http cancels
// the request's context on that read error, which alone would read as a
// client that went away.
func bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		st := &bodyState{}
		r = r.WithContext(context.WithValue(r.Context(), bodyStateKey{}, st))
		r.Body = &deadlineBody{ReadCloser: r.Body, st: st}
		next.ServeHTTP(w, r)
	})
}

type bodyState struct{ timedOut atomic.Bool }

type bodyStateKey struct{}

type deadlineBody struct {
	io.ReadCloser
	st *bodyState
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && isTimeout(err) {
		b.st.timedOut.Store(true)
	}
	return n, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// bodyTimedOut reports whether reading the request's body hit the deadline.
func bodyTimedOut(r *http.Request) bool {
	st, ok := r.Context().Value(bodyStateKey{}).(*bodyState)
	return ok && st.timedOut.Load()
}
