package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/catalog"
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

	compareConcurrent(t, s.URL, paths, 32, 1, nil)
}

// TestReadsConcurrent sends feature pages, single features, tiles (through
// a cache small enough to evict under the load) and TileJSON from 16
// clients at once and compares every answer with the one the request got
// alone, so the race detector sees the caches and the streaming encoders
// shared between requests.
func TestReadsConcurrent(t *testing.T) {
	s := testserver.Start(t, testserver.Options{CacheMB: 1})
	var paths []string
	for _, l := range s.Catalog.Layers() {
		if l.Access != catalog.Public {
			continue
		}
		paths = append(paths,
			"/collections/"+l.ID+"/items?limit=20&bbox=9.60,45.30,9.75,45.42",
			"/collections/"+l.ID+"/items?limit=5&offset=5",
			"/tiles/"+l.ID+".json")
		// Tiles around Crema at each zoom of the layer, up to 14.
		for z := max(l.MinZoom, 8); z <= min(l.MaxZoom, 14); z += 2 {
			tile := maptile.At(cremaCentre, maptile.Zoom(z))
			for _, dx := range []uint32{0, 1} {
				paths = append(paths, fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l.ID, z, tile.X+dx, tile.Y))
			}
		}
	}
	paths = append(paths, "/collections/comuni/items/"+crema, "/collections")
	if len(paths) < 40 {
		t.Fatalf("only %d requests; the catalog should give more", len(paths))
	}
	// Pages carry the time they were made.
	stamp := regexp.MustCompile(`"timeStamp":"[^"]*"`)
	compareConcurrent(t, s.URL, paths, 16, 1, func(b []byte) []byte { return stamp.ReplaceAll(b, []byte(`"timeStamp":""`)) })
}

// compareConcurrent gets every path once alone, then from clients at once,
// rounds times each, and fails on any answer that differs from the one
// alone (status or body, after normalize when it is not nil).
func compareConcurrent(t *testing.T, base string, paths []string, clients, rounds int, normalize func([]byte) []byte) {
	t.Helper()
	type answer struct {
		status int
		body   []byte
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	ask := func(path string) (answer, error) {
		res, err := client.Get(base + path)
		if err != nil {
			return answer{}, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if normalize != nil {
			body = normalize(body)
		}
		return answer{res.StatusCode, body}, err
	}
	begin := time.Now()
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
	aloneTook := time.Since(begin)
	begin = time.Now()

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
	t.Logf("%d requests alone in %v, then × %d clients × %d rounds in %v", len(paths), aloneTook.Round(time.Millisecond),
		clients, rounds, time.Since(begin).Round(time.Millisecond))
}
