package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/testserver"
)

// TestCoverageLookupConcurrent sends the same searches and address lookups
// from 32 clients at once and compares every answer with the one the query
// got alone. A street key shared between goroutines once answered 500
// (slice bounds out of range) or another street's results under this load.
func TestCoverageLookupConcurrent(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "coverage"}})
	ctx := context.Background()

	// Spellings with accents, apostrophes and abbreviations: all of them go
	// through the street key.
	var paths []string
	for _, q := range []string{"via libertà", "Via Libertà 1, Crema", "v. libertà 2", "VIA LIBERTA' 3", "via sant'agostino",
		"Via Sant’Agostino 4, crema", "piazza della chiesa", "p.zza garibaldi 1", "viale repubblica", "V.le Repubblica 2",
		"via vittorio emanuele ii", "via papa giovanni xxiii 5", "c.so italia", "largo della posta 1", "via dànte àlighièri",
		"via roma 12, crema", "vicolo stretto"} {
		paths = append(paths, "/coverage/search?q="+url.QueryEscape(q))
	}
	rows, err := s.DB.Read.Query(ctx, `
		SELECT istat_code, street, number FROM (
			SELECT DISTINCT ON (street) istat_code, street, number FROM civici
			WHERE number IS NOT NULL ORDER BY street, id) c
		ORDER BY street LIMIT 40`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var comune, street string
		var number int
		if err := rows.Scan(&comune, &street, &number); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, fmt.Sprintf("/coverage/address?comune=%s&street=%s&number=%d", comune, url.QueryEscape(street), number))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(paths) < 50 {
		t.Fatalf("only %d queries; the demo should give 17 searches and 40 streets", len(paths))
	}

	type answer struct {
		status int
		body   []byte
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: time.Minute}
	ask := func(path string) (answer, error) {
		res, err := client.Get(s.URL + path)
		if err != nil {
			return answer{}, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		return answer{res.StatusCode, body}, err
	}
	alone := make([]answer, len(paths))
	for i, p := range paths {
		a, err := ask(p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		if a.status != http.StatusOK && a.status != http.StatusNotFound {
			t.Fatalf("GET %s alone: status %d, want 200 or 404; body: %.300s", p, a.status, a.body)
		}
		alone[i] = a
	}

	const clients, rounds = 32, 3
	var (
		mu       sync.Mutex
		failures []string
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	for c := range clients {
		wg.Go(func() {
			// Each client walks the queries from its own starting point, so
			// different queries run side by side.
			for n := range rounds * len(paths) {
				i := (c*7 + n) % len(paths)
				a, err := ask(paths[i])
				switch {
				case err != nil:
					fail("client %d: GET %s: %v", c, paths[i], err)
					return
				case a.status != alone[i].status:
					fail("client %d: GET %s: status %d, alone %d; body: %.300s", c, paths[i], a.status, alone[i].status, a.body)
				case !bytes.Equal(a.body, alone[i].body):
					fail("client %d: GET %s: answer differs from the one alone:\n got %.300s\nwant %.300s", c, paths[i], a.body, alone[i].body)
				}
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d queries × %d clients × %d rounds", len(paths), clients, rounds)
}
