package httpapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
)

// authenticate resolves an Authorization: Bearer token into the request's
// principal. No header means an anonymous caller; a malformed, unknown or
// revoked token is refused with 401 whatever the endpoint, so a client
// never mistakes a broken token for anonymous access.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" || s.auth == nil {
			next.ServeHTTP(w, r)
			return
		}
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			writeError(w, r, apperr.New("httpapi.auth", apperr.Unauthorized, "send the token as Authorization: Bearer <token>"))
			return
		}
		p, err := s.auth.Authenticate(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			writeError(w, r, err)
			return
		}
		annotate(r, slog.Int64("token_id", p.TokenID), slog.String("role", string(p.Role)))
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}
