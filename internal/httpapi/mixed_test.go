package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/testserver"
)

// mixedConcurrent (run by TestHostile): 32 clients at once read every public family
// (landing, API, collections, items, features, schemas, queryables, both
// tile paths, TileJSON, tilesets, tile matrix sets, coverage statistics
// and lookups, civil protection and its exposure, energy, viewer files,
// health) while 8 of them also write the same four objects (a scenario, a
// strategic building, a crisis-unit member, an energy community) with
// If-Match. In each round the 8 writers read an object's ETag, wait for
// one another, and send their change together: exactly one is applied and
// the 7 others are 412, never a 5xx or a lost update. Afterwards each
// object's version has grown by exactly the number of rounds; reads of
// what nobody writes equal their answer alone, and every read is answered
// as alone. The server's concurrency limit of expensive requests must be
// above the clients, so that every request reaches its handler.
func mixedConcurrent(t *testing.T, s *testserver.Server) {
	const clients, writers, rounds = 32, 8, 3
	ctx := context.Background()
	editor := "Bearer " + energyToken(t, s, auth.Editor, crema)
	admin := "Bearer " + energyToken(t, s, auth.Admin)
	reader := "Bearer " + energyToken(t, s, auth.PrivateReader, crema)
	var scenario, building, member, community, civico int64
	var street string
	var number int
	if err := s.DB.Read.QueryRow(ctx, `SELECT
		(SELECT min(id) FROM cp_scenarios WHERE istat_code = $1), (SELECT min(id) FROM cp_buildings WHERE istat_code = $1),
		(SELECT min(id) FROM cp_crisis_unit WHERE istat_code = $1), (SELECT min(id) FROM cer_communities WHERE $1 = ANY (comuni)),
		c.id, c.street, c.number FROM civici c WHERE c.istat_code = $1 AND c.number IS NOT NULL ORDER BY c.id LIMIT 1`, crema).
		Scan(&scenario, &building, &member, &community, &civico, &street, &number); err != nil {
		t.Fatal(err)
	}

	// The objects the writers contend for.
	type target struct {
		name, url, auth, method, contentType string
		body                                 func(writer, round int) string
	}
	targets := []target{
		{"scenario", fmt.Sprintf("%s/collections/scenarios/items/%d", s.URL, scenario), editor, http.MethodPatch, "application/merge-patch+json",
			func(w, r int) string {
				return fmt.Sprintf(`{"properties":{"title":"scenario: writer %d, round %d"}}`, w, r)
			}},
		{"building", fmt.Sprintf("%s/collections/strategic-buildings/items/%d", s.URL, building), editor, http.MethodPatch, "application/merge-patch+json",
			func(w, r int) string {
				return fmt.Sprintf(`{"properties":{"name":"building: writer %d, round %d"}}`, w, r)
			}},
		{"member", fmt.Sprintf("%s/civil-protection/plans/%s/crisis-unit/%d", s.URL, crema, member), editor, http.MethodPatch, "application/json",
			func(w, r int) string { return fmt.Sprintf(`{"name":"Membro %d-%d (test)"}`, w, r) }},
		{"community", fmt.Sprintf("%s/energy/communities/%d", s.URL, community), admin, http.MethodPatch, "application/merge-patch+json",
			func(w, r int) string { return fmt.Sprintf(`{"referent":"community: writer %d, round %d"}`, w, r) }},
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 2 * time.Minute}
	send := func(method, u, authz, contentType, ifMatch, body string) (int, http.Header, []byte, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, u, rd)
		if err != nil {
			return 0, nil, nil, err
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, b, err
	}
	version := func(tg target) int {
		status, h, body, err := send(http.MethodGet, tg.url, reader, "", "", "")
		if tg.name == "community" {
			status, h, body, err = send(http.MethodGet, tg.url, "", "", "", "")
		}
		if err != nil || status != http.StatusOK {
			t.Fatalf("GET %s: %d %s %v", tg.url, status, body, err)
		}
		v, err := strconv.Atoi(strings.Trim(h.Get("ETag"), `"`))
		if err != nil {
			t.Fatalf("GET %s: ETag %q is not a version", tg.url, h.Get("ETag"))
		}
		return v
	}
	before := make([]int, len(targets))
	for i, tg := range targets {
		before[i] = version(tg)
	}

	// Reads of every public family; stable ones do not depend on the
	// objects written, and must equal their answer alone.
	tile := maptile.At(cremaCentre, 14)
	type read struct {
		method, path, body string
		stable             bool
	}
	square := `{"type":"Polygon","coordinates":[[[9.681,45.364],[9.685,45.364],[9.685,45.368],[9.681,45.368],[9.681,45.364]]]}`
	reads := []read{
		{"GET", "/", "", true}, {"GET", "/conformance", "", true}, {"GET", "/api", "", true}, {"GET", "/collections", "", false},
		{"GET", "/collections/comuni", "", true}, {"GET", "/collections/comuni/items/" + crema, "", true},
		{"GET", "/collections/civici/items?limit=50&bbox=9.67,45.35,9.70,45.38", "", true},
		{"GET", "/collections/scenarios/items?istat_code=" + crema, "", false}, {"GET", fmt.Sprintf("/collections/scenarios/items/%d", scenario), "", false},
		{"GET", "/collections/strategic-buildings/items?limit=100", "", false}, {"GET", "/collections/energy-communities/items", "", false},
		{"GET", "/collections/scenarios/schema", "", true}, {"GET", "/collections/civici/queryables", "", true},
		{"GET", fmt.Sprintf("/tiles/civici/14/%d/%d.mvt", tile.X, tile.Y), "", true},
		{"GET", fmt.Sprintf("/collections/comuni/tiles/WebMercatorQuad/14/%d/%d", tile.Y, tile.X), "", true},
		{"GET", fmt.Sprintf("/tiles/scenarios/12/%d/%d.mvt", tile.X>>2, tile.Y>>2), "", false},
		{"GET", fmt.Sprintf("/tiles/strategic-buildings/14/%d/%d.mvt", tile.X, tile.Y), "", false},
		{"GET", "/tiles/civici.json", "", true}, {"GET", "/tiles/scenarios.json", "", false}, {"GET", "/collections/civici/tiles", "", true},
		{"GET", "/collections/civici/tiles/WebMercatorQuad", "", true}, {"GET", "/tileMatrixSets/WebMercatorQuad", "", true},
		{"GET", "/coverage/stats?comune=" + crema, "", true}, {"POST", "/coverage/stats", square, true},
		{"GET", "/coverage/search?q=" + url.QueryEscape(street), "", true},
		{"GET", fmt.Sprintf("/coverage/address?comune=%s&street=%s&number=%d", crema, url.QueryEscape(street), number), "", true},
		{"GET", "/coverage/nearest?lon=9.6855&lat=45.3654&radius=500", "", true}, {"GET", fmt.Sprintf("/coverage/civici/%d", civico), "", true},
		{"GET", "/civil-protection/plans", "", false}, {"GET", "/civil-protection/plans/" + crema, "", false},
		{"GET", fmt.Sprintf("/civil-protection/scenarios/%d/exposure", scenario), "", false},
		{"GET", "/energy/communities", "", false}, {"GET", fmt.Sprintf("/energy/communities/%d/eligibility", community), "", false},
		{"GET", "/energy/zones/at?lon=9.6855&lat=45.3654", "", true}, {"GET", "/energy/comuni/" + crema + "/figures", "", false},
		{"GET", "/viewer/js/main.js", "", true}, {"GET", "/healthz", "", true},
	}
	stamp := regexp.MustCompile(`"timeStamp":"[^"]*"`)
	alone := make([][]byte, len(reads))
	aloneStatus := make([]int, len(reads))
	for i, rd := range reads {
		status, _, body, err := send(rd.method, s.URL+rd.path, "", "application/geo+json", "", rd.body)
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s %s alone: %d %.300s %v", rd.method, rd.path, status, body, err)
		}
		alone[i], aloneStatus[i] = stamp.ReplaceAll(body, nil), status
	}

	var (
		mu       sync.Mutex
		failures []string
		applied  = make([]int, len(targets))
		refused  = make([]int, len(targets))
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 30 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	// barrier makes the writers meet between reading the ETags and
	// writing, and again after writing, in every round.
	barriers := make([]*barrier, 2*rounds)
	for i := range barriers {
		barriers[i] = newBarrier(writers)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			if c < writers {
				for r := range rounds {
					tags := make([]string, len(targets))
					for i, tg := range targets {
						authz := tg.auth
						_, h, _, err := send(http.MethodGet, tg.url, authz, "", "", "")
						if err != nil {
							fail("writer %d: GET %s: %v", c, tg.url, err)
						}
						tags[i] = h.Get("ETag")
					}
					barriers[2*r].wait()
					for i, tg := range targets {
						status, h, body, err := send(tg.method, tg.url, tg.auth, tg.contentType, tags[i], tg.body(c, r))
						switch {
						case err != nil:
							fail("writer %d: %s %s: %v", c, tg.method, tg.name, err)
						case status == http.StatusOK:
							mu.Lock()
							applied[i]++
							mu.Unlock()
						case status == http.StatusPreconditionFailed:
							if !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
								fail("writer %d: %s 412 as %q", c, tg.name, h.Get("Content-Type"))
							}
							mu.Lock()
							refused[i]++
							mu.Unlock()
						default:
							fail("writer %d round %d: %s %s with If-Match %s: %d %.300s, want 200 or 412", c, r, tg.method, tg.name, tags[i], status, body)
						}
					}
					barriers[2*r+1].wait()
				}
			}
			for n := range reads {
				i := (c*7 + n) % len(reads)
				rd := reads[i]
				status, _, body, err := send(rd.method, s.URL+rd.path, "", "application/geo+json", "", rd.body)
				switch {
				case err != nil:
					fail("client %d: %s %s: %v", c, rd.method, rd.path, err)
				case status != aloneStatus[i]:
					fail("client %d: %s %s: %d, alone %d: %.300s", c, rd.method, rd.path, status, aloneStatus[i], body)
				case rd.stable && !bytes.Equal(stamp.ReplaceAll(body, nil), alone[i]):
					fail("client %d: %s %s differs from its answer alone:\n got %.200s\nwant %.200s", c, rd.method, rd.path, body, alone[i])
				case !strings.Contains(rd.path, ".mvt") && !strings.Contains(rd.path, "/tiles/WebMercatorQuad/") && !strings.HasSuffix(rd.path, ".js") &&
					rd.path != "/healthz" && !json.Valid(body):
					fail("client %d: %s %s: not JSON: %.200s", c, rd.method, rd.path, body)
				}
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	for i, tg := range targets {
		if applied[i] != rounds || refused[i] != rounds*(writers-1) {
			t.Errorf("%s: %d writes applied and %d refused with 412, want %d and %d (one per round)", tg.name, applied[i], refused[i], rounds, rounds*(writers-1))
		}
		if got := version(tg); got != before[i]+applied[i] {
			t.Errorf("%s: version %d after %d applied writes from %d: a write was lost or counted twice", tg.name, got, applied[i], before[i])
		}
	}
	t.Logf("%d clients (%d writing) × %d reads, %d rounds of writes, in %s", clients, writers, len(reads), rounds, time.Since(start).Round(time.Millisecond))
}

// barrier lets n goroutines wait for one another once.
type barrier struct {
	mu   sync.Mutex
	n    int
	done chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, done: make(chan struct{})} }

func (b *barrier) wait() {
	b.mu.Lock()
	b.n--
	if b.n == 0 {
		close(b.done)
	}
	b.mu.Unlock()
	<-b.done
}
