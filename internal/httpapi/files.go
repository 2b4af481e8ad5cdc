package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
)

// fileErrors makes the errors http.FileServer writes by itself, as plain
// text, problems like every other error: a Range it cannot satisfy (416),
// a file it cannot read. Its misses never get here (the viewer and the
// pages' assets send them to NotFound).
func fileErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&fileErrorWriter{ResponseWriter: w, r: r}, r)
	})
}

type fileErrorWriter struct {
	http.ResponseWriter
	r       *http.Request
	swallow bool // the plain-text body of an error that became a problem
}

// WriteHeader replaces an error http.Error is about to write (it sets
// text/plain first) with a problem.
func (f *fileErrorWriter) WriteHeader(code int) {
	if code < 400 || !strings.HasPrefix(f.Header().Get("Content-Type"), "text/plain") {
		f.ResponseWriter.WriteHeader(code)
		return
	}
	f.swallow = true
	detail := fmt.Sprintf("The file %s cannot be served (%s).", redactPath(requestPath(f.r)), http.StatusText(code))
	if code == http.StatusRequestedRangeNotSatisfiable {
		// Content-Range (bytes */size) stays, as RFC 9110 §15.5.17 asks.
		detail = fmt.Sprintf("The Range header %q asks for bytes %s does not have, or is malformed; "+
			"ask for a range within the file (its size is in Content-Range), or send no Range.", truncateText(f.r.Header.Get("Range"), 60), redactPath(requestPath(f.r)))
	}
	writeProblem(f.ResponseWriter, problem{Type: "about:blank", Title: http.StatusText(code), Status: code, Detail: detail,
		Instance: redactedRequestURI(f.r), RequestID: middleware.GetReqID(f.r.Context())})
}

func (f *fileErrorWriter) Write(b []byte) (int, error) {
	if f.swallow {
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}
