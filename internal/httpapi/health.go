package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/cremasco/atlante/internal/apperr"
)

// handleHealth says the process is up; it never touches the database.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// handleReady says whether the database answers, for load balancers.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return apperr.Wrap("httpapi.ready", apperr.Unavailable, err, "database unreachable")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ready\n"))
	return nil
}
