package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/cremasco/atlante/internal/store"
)

// handleHealth says the process is up; it never touches the database.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readiness is the body of /readyz.
type readiness struct {
	// Status is "ready" (200), "draining" (503: shutting down, finishing
	// what it has) or "unavailable" (503: the database that public reads
	// go to does not answer).
	Status string `json:"status"`
	// Primary is "ok" or "down".
	Primary string `json:"primary"`
	// Replica is "none", "ok", "lagging", "down", "promoted" or "unknown"
	// (store.Replica*).
	Replica              string   `json:"replica"`
	ReplicaLagSeconds    *float64 `json:"replica_lag_seconds,omitempty"`
	ReplicaMaxLagSeconds float64  `json:"replica_max_lag_seconds,omitempty"`
	// Reads says where public reads go now: "replica" or "primary".
	Reads  string `json:"reads"`
	Detail string `json:"detail,omitempty"`
}

// readyTimeout bounds each ping of a readiness check.
const readyTimeout = 2 * time.Second

// handleReady says whether this instance can serve, for load balancers:
// 200 while the database that public reads go to answers, 503 with
// Retry-After when it does not or when the instance is draining. The JSON
// body says which database answers and where reads go.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	st := s.reads.Status()
	out := readiness{Status: "ready", Primary: "ok", Replica: st.Replica, Reads: "primary"}
	if st.FromReplica {
		out.Reads = "replica"
	}
	if st.Replica != store.ReplicaNone {
		out.ReplicaMaxLagSeconds = s.reads.MaxLag().Seconds()
		if st.Replica == store.ReplicaOK || st.Replica == store.ReplicaLagging {
			lag := st.Lag.Seconds()
			out.ReplicaLagSeconds = &lag
		}
		out.Detail = st.Err
	}
	ping := func(p interface{ Ping(context.Context) error }) error {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		return p.Ping(ctx)
	}
	primaryErr := ping(s.reads.Primary())
	if primaryErr != nil {
		out.Primary = "down"
	}
	switch {
	case s.draining.Load():
		out.Status = "draining"
	case st.FromReplica:
		if err := ping(s.reads.Replica()); err != nil {
			out.Status, out.Detail = "unavailable", "the read replica does not answer"
		}
	case primaryErr != nil:
		out.Status, out.Detail = "unavailable", "the database does not answer"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if out.Status != "ready" {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(out)
}

// Drain makes /readyz answer 503 "draining" from now on, so that load
// balancers stop sending requests while the server finishes the ones it
// has (serve calls it on SIGTERM, before http.Server.Shutdown).
func (s *Server) Drain() { s.draining.Store(true) }
