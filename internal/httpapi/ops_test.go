package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/testserver"
)

func TestHealth(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	for _, path := range []string{"/healthz", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			get(t, s.URL+path, http.StatusOK)
		})
	}
}

// waitingQueries counts the server's statements that wait for a lock in
// the test database.
func waitingQueries(tb testing.TB, s *testserver.Server) int {
	tb.Helper()
	var n int
	err := s.DB.Write.QueryRow(context.Background(), `
		SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		  AND state = 'active' AND wait_event_type = 'Lock'`).Scan(&n)
	if err != nil {
		tb.Fatalf("pg_stat_activity: %v", err)
	}
	return n
}

// lockComuni holds an exclusive lock on comuni until the returned function
// is called, so that every query of the table waits: a slow query that the
// test controls.
func lockComuni(tb testing.TB, s *testserver.Server) (release func()) {
	tb.Helper()
	ctx := context.Background()
	tx, err := s.DB.Write.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE comuni IN ACCESS EXCLUSIVE MODE`); err != nil {
		tb.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			tx.Rollback(ctx)
		}
	}
	tb.Cleanup(release)
	return release
}

// metricCount returns the number of requests the server counted for a
// route pattern and status, from /metrics.
func metricCount(tb testing.TB, s *testserver.Server, route, status string) string {
	tb.Helper()
	_, body := get(tb, s.URL+"/metrics", http.StatusOK)
	prefix := `atlante_http_request_duration_seconds_count{method="GET",route="` + route + `",status="` + status + `"} `
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return v
		}
	}
	return "0"
}

// TestClientGoneCancelsQuery checks that a request whose client goes away
// while its query runs does not leave the query running in PostgreSQL, and
// is neither answered nor counted as a server error.
func TestClientGoneCancelsQuery(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	tests := []struct{ name, path, route string }{
		{"items", "/collections/comuni/items?limit=5", "/collections/{collectionId}/items"},
		{"item", "/collections/comuni/items/" + crema, "/collections/{collectionId}/items/{featureId}"},
		{"tile", tilePath("comuni", cremaTile), "/tiles/{layer}/{z}/{x}/{y}.mvt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := lockComuni(t, s)
			defer release()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
					err = errors.New("got a response: " + res.Status)
				}
				done <- err
			}()
			waitFor(t, 10*time.Second, "the request's query to wait for the lock", func() bool { return waitingQueries(t, s) == 1 })
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("client: %v, want context.Canceled", err)
			}
			// The lock is still held: only a cancelled statement can be gone.
			waitFor(t, 10*time.Second, "the abandoned query to stop", func() bool { return waitingQueries(t, s) == 0 })
			release()
			// The server counts it as "client closed", never as a 5xx.
			waitFor(t, 5*time.Second, "the request to be counted", func() bool { return metricCount(t, s, tt.route, "499") != "0" })
			for _, status := range []string{"500", "503"} {
				if n := metricCount(t, s, tt.route, status); n != "0" {
					t.Errorf("%s requests with status %s: %s, want none for a client that left", tt.route, status, n)
				}
			}
			// And the pool still serves.
			get(t, s.URL+tt.path, http.StatusOK)
		})
	}
}

// TestSharedTileBuildSurvivesCancel checks that when two requests share one
// tile build and the first client goes away, the second still gets its
// tile.
func TestSharedTileBuildSurvivesCancel(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	release := lockComuni(t, s)
	u := s.URL + tilePath("comuni", cremaTile)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	first := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		first <- err
	}()
	waitFor(t, 10*time.Second, "the first request's query to wait for the lock", func() bool { return waitingQueries(t, s) == 1 })

	type result struct {
		status int
		body   []byte
	}
	second := make(chan result, 1)
	go func() {
		res, body := do(t, http.MethodGet, u)
		second <- result{res.StatusCode, body}
	}()
	// Give the second request time to join the first one's build. If it
	// is late it builds the tile itself and the test passes anyway: this
	// wait can hide the bug, never invent one.
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-first
	waitFor(t, 10*time.Second, "the first query to stop", func() bool { return waitingQueries(t, s) <= 1 })
	release()
	r := <-second
	if r.status != http.StatusOK || len(r.body) == 0 {
		t.Fatalf("second request: status %d, %d bytes, want 200 with the tile: %s", r.status, len(r.body), r.body)
	}
	decodeTile(t, r.body, cremaTile)
}
