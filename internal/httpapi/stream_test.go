package httpapi_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/testserver"
)

// addCopies inserts n more comuni, shifted copies of the demo ones with
// denser boundaries, so that a page of items is many megabytes. Codes
// 1xxxxx are not ISTAT codes of the province.
func addCopies(tb testing.TB, s *testserver.Server, n int) {
	tb.Helper()
	ctx := context.Background()
	_, err := s.DB.Write.Exec(ctx, `
		INSERT INTO comuni (istat_code, name, province_code, consortium, source, synthetic, geom)
		SELECT '1' || lpad(g::text, 5, '0'), c.name || ' ' || g, c.province_code, false, 'test copy', true,
		       ST_Segmentize(ST_Translate(c.geom, 0.001 * (g % 97), 0.001 * (g % 89)), 0.002)
		FROM generate_series(1, $1::int) g
		JOIN (SELECT row_number() OVER (ORDER BY istat_code) - 1 AS i, * FROM comuni) c ON c.i = g % 48`, n)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Versions.Refresh(ctx); err != nil {
		tb.Fatal(err)
	}
}

// itemsQueryState returns the state and wait event of the server's items
// query in pg_stat_activity, and its pid; pid 0 means it is not running.
func itemsQueryState(tb testing.TB, s *testserver.Server) (pid int, state, wait string) {
	tb.Helper()
	err := s.DB.Write.QueryRow(context.Background(), `
		SELECT pid, state, coalesce(wait_event, '') FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		  AND state = 'active' AND query LIKE '%ST_AsGeoJSON%'`).Scan(&pid, &state, &wait)
	if err != nil {
		return 0, "", ""
	}
	return pid, state, wait
}

// TestItemsStreamed checks that a large page is streamed: the client has
// the first features while PostgreSQL is still sending rows, and when the
// query fails after that the client sees a truncated body, never a
// complete-looking one.
func TestItemsStreamed(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	addCopies(t, s, 10000)

	// A client with a small receive buffer that stops reading after the
	// first line: the server then blocks writing, so it can only have sent
	// the first bytes before the query finished.
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(16 << 10)
			}
			return c, err
		},
		DisableCompression: true,
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/collections/comuni/items?limit=10000&offset=48", nil)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	if cl := res.Header.Get("Content-Length"); cl != "" {
		t.Errorf("Content-Length = %s: the page was collected before it was sent", cl)
	}
	br := bufio.NewReader(res.Body)
	head := make([]byte, 64)
	if _, err := io.ReadFull(br, head); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(head), `{"type":"FeatureCollection","features":[{"type":"Feature"`) {
		t.Fatalf("body starts with %q", head)
	}

	// The query is still running, blocked on sending rows to the server.
	var pid int
	waitFor(t, 20*time.Second, "the items query to wait on its client", func() bool {
		var wait string
		pid, _, wait = itemsQueryState(t, s)
		return pid != 0 && wait == "ClientWrite"
	})

	// Kill it mid-stream: the client must get an error, not an end.
	if _, err := s.DB.Write.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, br)
	if err == nil {
		t.Fatalf("read %d more bytes and a clean end after the query was killed: a truncated page looked complete", n)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("body ended with %v after %d more bytes (unexpected EOF expected, but any error will do)", err, n)
	}
	// And the server serves on.
	get(t, s.URL+"/collections/comuni/items?limit=1", http.StatusOK)
	// Both requests have their access line and metric; the aborted one
	// used to vanish from both.
	if n := metricCount(t, s, "/collections/{collectionId}/items", "200"); n != "2" {
		t.Errorf("items requests counted: %s, want 2 (the aborted one and the next)", n)
	}
}
