package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
)

// Expensive endpoints run a bounded number of requests at once, each kind
// with its own slots, so that a flood of one (anonymous area statistics)
// cannot starve another (an office's writes) nor grow the process without
// bound: each such request may use GEOS up to the geometry limits, about
// 200 ms of CPU and 50 MB at worst (internal/loadtest/README.md, "Geometry
// limits"). A request that finds no free slot waits at most
// heavyQueueWait, then gets 503 with Retry-After: there is no queue to
// grow.
const (
	limitCoverageStats = "area statistics (POST /coverage/stats)"
	limitWrites        = "feature writes"
	limitExposure      = "scenario exposure"
)

// DefaultHeavyRequests is how many requests of each expensive kind run at
// once when Config.HeavyRequests is 0.
const DefaultHeavyRequests = 4

// heavyQueueWait is how long a request waits for a slot before 503: long
// enough to absorb a burst of a map's few simultaneous requests, short
// enough never to hold a client.
const heavyQueueWait = 250 * time.Millisecond

// heavyRetryAfter is the Retry-After of a refused request, in seconds.
const heavyRetryAfter = 2

// limiter lets at most cap(slots) requests through at once.
type limiter struct {
	kind  string
	slots chan struct{}
	wait  time.Duration
	// signedInOnly lets requests without a token through without a slot:
	// writes refuse them before reading their body.
	signedInOnly bool
}

func newLimiter(kind string, n int, wait time.Duration) *limiter {
	return &limiter{kind: kind, slots: make(chan struct{}, n), wait: wait}
}

// heavy returns the middleware limiting the expensive endpoints of kind.
func (s *Server) heavy(kind string) func(http.Handler) http.Handler {
	if s.limiters == nil {
		s.limiters = map[string]*limiter{}
	}
	l, ok := s.limiters[kind]
	if !ok {
		n := s.cfg.HeavyRequests
		if n <= 0 {
			n = DefaultHeavyRequests
		}
		l = newLimiter(kind, n, heavyQueueWait)
		l.signedInOnly = kind == limitWrites
		s.limiters[kind] = l
	}
	return l.middleware
}

func (l *limiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.signedInOnly && auth.FromContext(r.Context()) == nil {
			next.ServeHTTP(w, r)
			return
		}
		if !l.acquire(r) {
			l.refuse(w, r)
			return
		}
		defer func() { <-l.slots }()
		next.ServeHTTP(w, r)
	})
}

// acquire takes a slot, waiting at most l.wait (less if the client leaves).
func (l *limiter) acquire(r *http.Request) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	if l.wait <= 0 {
		return false
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-r.Context().Done():
	}
	return false
}

// refuse answers 503 with Retry-After: the service is fine, only busy.
func (l *limiter) refuse(w http.ResponseWriter, r *http.Request) {
	annotate(r, slog.String("limited", l.kind))
	w.Header().Set("Retry-After", strconv.Itoa(heavyRetryAfter))
	writeProblem(w, problem{
		Type: "about:blank", Title: http.StatusText(http.StatusServiceUnavailable), Status: http.StatusServiceUnavailable,
		Detail: fmt.Sprintf("Too many %s are being computed right now (at most %d at once). Try again in %d seconds.",
			l.kind, cap(l.slots), heavyRetryAfter),
		Instance: r.URL.RequestURI(), RequestID: middleware.GetReqID(r.Context()),
	})
}

// geometryLimits refuses a geometry from a request that exceeds
// geo.DefaultLimits, before any work that grows with it: 422 naming the
// limit and the count. field names the geometry in the message.
func geometryLimits(op, field string, g orb.Geometry) error {
	return limitProblem(op, field, geo.DefaultLimits.Check(g))
}

// limitProblem turns an error holding a *geo.LimitError (from geo or
// geo/repair) into 422 with the limit as a field problem; other errors
// pass unchanged.
func limitProblem(op, field string, err error) error {
	var le *geo.LimitError
	if !errors.As(err, &le) {
		return err
	}
	return &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: field + ": " + err.Error(), Err: err,
		Fields: []apperr.FieldError{{Field: field, Reason: fmt.Sprintf("%s: %d, at most %d", le.Limit, le.Count, le.Max)}}}
}
