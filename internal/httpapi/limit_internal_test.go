package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestLimiter holds every slot of a limiter and sees the next request
// refused at once with 503, Retry-After and problem+json; a freed slot
// serves again.
func TestLimiter(t *testing.T) {
	t.Parallel()
	const n = 3
	l := newLimiter("test requests", n, 10*time.Millisecond)
	entered, release := make(chan struct{}), make(chan struct{})
	h := l.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	done := make(chan int, n)
	for range n {
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x?hold=1", nil))
			done <- rec.Code
		}()
		<-entered
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("request %d with %d slots held: status %d, want 503", n+1, n, rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", got)
	}
	var p problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != 503 || !strings.Contains(p.Detail, "Too many test requests") || !strings.Contains(p.Detail, "at most 3 at once") {
		t.Errorf("problem = %+v (%v), want status 503 naming the kind and the limit", p, err)
	}

	release <- struct{}{} // one holder ends
	if code := <-done; code != http.StatusNoContent {
		t.Fatalf("holder: status %d, want 204", code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("request after a slot was freed: status %d, want 204", rec.Code)
	}
	close(release)
	for range n - 1 {
		<-done
	}
}

// TestLimiterLetsAnonymousWritesThrough: writes without a token are
// refused before reading their body, so they take no slot.
func TestLimiterLetsAnonymousWritesThrough(t *testing.T) {
	t.Parallel()
	l := newLimiter(limitWrites, 1, 0)
	l.signedInOnly = true
	l.slots <- struct{}{} // every slot taken
	h := l.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/collections/x/items", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("anonymous write with no free slot: status %d, want the handler's 401", rec.Code)
	}
}
