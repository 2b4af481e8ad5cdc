package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/cremasco/atlante/internal/apperr"
)

// problem is an RFC 9457 problem details body.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"requestId,omitempty"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
}

// statusOf is the one table from error kind to HTTP status.
var statusOf = map[apperr.Kind]int{
	apperr.Invalid:       http.StatusBadRequest,
	apperr.Unprocessable: http.StatusUnprocessableEntity,
	apperr.NotFound:      http.StatusNotFound,
	apperr.Conflict:      http.StatusConflict,
	apperr.Precondition:  http.StatusPreconditionFailed,
	apperr.Unauthorized:  http.StatusUnauthorized,
	apperr.Forbidden:     http.StatusForbidden,
	apperr.TooLarge:      http.StatusRequestEntityTooLarge,
	apperr.NotAllowed:    http.StatusMethodNotAllowed,
	apperr.Unavailable:   http.StatusServiceUnavailable,
	apperr.Internal:      http.StatusInternalServerError,
}

// statusClientClosed is nginx's convention for "the client went away": it
// is only logged, never sent.
const statusClientClosed = 499

// writeError renders err as problem+json. 5xx details are fixed text; the
// cause goes to the access log line through the request's log fields.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if bodyTimedOut(r) {
		// Checked first: the read error also cancelled the context.
		annotate(r, slog.String("problem", "request body timed out"))
		w.Header().Set("Connection", "close")
		writeProblem(w, problem{
			Type: "about:blank", Title: http.StatusText(http.StatusRequestTimeout), Status: http.StatusRequestTimeout,
			Detail:   "The request body did not arrive in time; send it whole, at once, and check its Content-Length.",
			Instance: redactedRequestURI(r), RequestID: middleware.GetReqID(r.Context()),
		})
		return
	}
	kind := apperr.KindOf(err)
	// A query cancelled because the client left comes back from
	// PostgreSQL as 57014 (query_canceled), which reads like a timeout: the
	// request's own context tells the two apart.
	if kind == apperr.Canceled || errors.Is(r.Context().Err(), context.Canceled) {
		annotate(r, slog.String("canceled", redactText(err.Error())))
		w.WriteHeader(statusClientClosed)
		return
	}
	status, ok := statusOf[kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Instance:  redactedRequestURI(r),
		RequestID: middleware.GetReqID(r.Context()),
	}
	if status >= 500 {
		annotate(r, slog.String("err", redactText(err.Error())))
		switch status {
		case http.StatusServiceUnavailable:
			p.Detail = "The service cannot answer now (database unavailable or query too slow). Try again later."
			w.Header().Set("Retry-After", "5")
		default:
			p.Detail = "Something went wrong on our side. The request id identifies it in our logs."
		}
	} else {
		p.Detail = redactText(apperr.Message(err))
		p.Errors = apperr.Fields(err)
		annotate(r, slog.String("problem", p.Detail))
	}
	if status == http.StatusMethodNotAllowed {
		// NotAllowed is raised for read-only resources.
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="atlante"`)
	}
	writeProblem(w, p)
}

// writeProblem sends p; tokens a client put in its path or query never
// come back in it (see redactText).
func writeProblem(w http.ResponseWriter, p problem) {
	p = redactProblem(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Del("ETag")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p) // the status is sent; a failed write only means the client left
}

// NotFound answers unknown paths with problem+json, or with a short page
// when a browser navigates there (see notFoundPage); the viewer's missing
// files are answered with it too.
func NotFound(w http.ResponseWriter, r *http.Request) {
	if wantsHTML(r) {
		notFoundPage(w, r)
		return
	}
	writeError(w, r, apperr.New("httpapi", apperr.NotFound, "no resource at %s", redactPath(requestPath(r))))
}
