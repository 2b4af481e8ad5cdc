package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/store"
)

// TestServeWithReplica runs `serve` with DATABASE_URL on an embedded
// primary and DATABASE_READ_URL on a real streaming hot standby of it
// (pg_basebackup -R), and makes the standby distinguishable by pausing its
// replay: what an endpoint answers then says where it read.
//
//   - public reads (items, tiles, coverage statistics, exposure,
//     eligibility) come from the standby; writes, an editable feature with
//     its ETag and the crisis unit come from the primary;
//   - a standby further behind than --replica-max-lag sends public reads
//     to the primary, /readyz says so, and they return once it catches up;
//   - caches follow replication: once replay resumes, a tile changes with
//     its ETag, never before or after it;
//   - a stopped standby sends reads to the primary, a restarted one gets
//     them back, a promoted one loses them, all without a restart.
//
// Two instances serve: "patient" tolerates an hour of lag (it stays on the
// paused standby), "strict" one second.
var timeStamp = regexp.MustCompile(`"timeStamp":"[^"]*"`)

func TestServeWithReplica(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := reachableTempDir(t)
	primary := newPrimary(t, filepath.Join(dir, "primary"))
	url := primary.URL("atlante")
	tokens := demoDatabase(t, url)
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	replica, err := primary.NewReplica(ctx, filepath.Join(dir, "replica"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := replica.Remove(context.Background()); err != nil {
			t.Error(err)
		}
	})
	globals := []string{"--database-url", url, "--database-read-url", replica.URL("atlante")}
	patient := startServe(t, "patient", "", globals, []string{"--version-poll", "100ms", "--replica-max-lag", "1h", "--tile-cache-mb", "64"})
	strict := startServe(t, "strict", "", globals, []string{"--version-poll", "100ms", "--replica-max-lag", "1s", "--tile-cache-mb", "64"})
	readsFrom := func(in *instance) string {
		_, m := readyz(t, in)
		s, _ := m["reads"].(string)
		return s
	}
	for _, in := range []*instance{patient, strict} {
		waitFor(t, in.name+" reads from the replica", 30*time.Second, func() bool { return readsFrom(in) == "replica" })
	}

	// What the endpoints say before the writes.
	var scenario, community int64
	var lon, lat float64
	if err := db.Write.QueryRow(ctx, `SELECT s.id, ST_X(p), ST_Y(p), (SELECT id FROM cer_communities WHERE name = 'CER Ex Olivetti Crema (demo)')
		FROM cp_scenarios s, ST_PointOnSurface(s.geom) p WHERE s.istat_code = '019035' ORDER BY s.id LIMIT 1`).Scan(&scenario, &lon, &lat, &community); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{lon, lat}, 14)
	paths := map[string]string{
		"items":       "/collections/strategic-buildings/items?istat_code=019035&limit=1",
		"tile":        fmt.Sprintf("/tiles/strategic-buildings/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y),
		"stats":       "/coverage/stats?comune=019035",
		"exposure":    fmt.Sprintf("/civil-protection/scenarios/%d/exposure", scenario),
		"eligibility": fmt.Sprintf("/energy/communities/%d/eligibility", community),
	}
	type answer struct {
		etag string
		body []byte
	}
	read := func(in *instance, what string) answer {
		t.Helper()
		h, b := mustDo(t, http.StatusOK, in.base+paths[what], "GET", "", "")
		// A page says when it was made, and links to the instance.
		b = bytes.ReplaceAll(timeStamp.ReplaceAll(b, nil), []byte(in.base), []byte("BASE"))
		return answer{h.Get("ETag"), b}
	}
	before := map[string]answer{}
	for what := range paths {
		before[what] = read(patient, what)
	}

	// The standby stands still; the primary takes writes of every kind.
	if err := replica.PauseReplay(ctx); err != nil {
		t.Fatal(err)
	}
	// strict's readiness is watched from the first write on.
	type switchSeen struct {
		after time.Duration
		lag   any
	}
	seen := make(chan switchSeen, 1)
	firstWrite := time.Now()
	go func() {
		for time.Since(firstWrite) < time.Minute {
			if _, m := readyz(t, strict); m["reads"] == "primary" && m["replica"] == "lagging" {
				seen <- switchSeen{time.Since(firstWrite), m["replica_lag_seconds"]}
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		close(seen)
	}()
	building := fmt.Sprintf(`{"type":"Feature","properties":{"istat_code":"019035","kind":"scuola","name":"Scuola della replica"},
		"geometry":{"type":"Point","coordinates":[%f,%f]}}`, lon, lat)
	h, b := mustDo(t, http.StatusCreated, patient.base+"/collections/strategic-buildings/items", "POST", tokens["editor"], building,
		"Content-Type", "application/geo+json")
	created := h.Get("Location")
	createdTag := h.Get("ETag")
	// The editor reads back what it wrote, with the tag If-Match wants,
	// and so does anyone: editable features come from the primary.
	for _, tok := range []string{tokens["editor"], ""} {
		h, b = mustDo(t, http.StatusOK, created, "GET", tok, "")
		if h.Get("ETag") != createdTag || !bytes.Contains(b, []byte("Scuola della replica")) {
			t.Fatalf("GET %s (token %t) while replay is paused = ETag %s, %.200s; want the feature just created, ETag %s",
				created, tok != "", h.Get("ETag"), b, createdTag)
		}
	}
	h, _ = mustDo(t, http.StatusOK, created, "PATCH", tokens["editor"], `{"properties":{"name":"Scuola della replica, rinominata"}}`,
		"Content-Type", "application/merge-patch+json", "If-Match", createdTag)
	patchedTag := h.Get("ETag")
	h, b = mustDo(t, http.StatusOK, created, "GET", "", "")
	if h.Get("ETag") != patchedTag || !bytes.Contains(b, []byte("rinominata")) {
		t.Fatalf("GET after PATCH while replay is paused = ETag %s, %.200s; want ETag %s and the new name", h.Get("ETag"), b, patchedTag)
	}
	unit := patient.base + "/civil-protection/plans/019035/crisis-unit"
	mustDo(t, http.StatusCreated, unit, "POST", tokens["editor"], `{"role":"volontariato","name":"Volontaria della replica","phone":"+39 000 777 0099"}`)
	if _, b := mustDo(t, http.StatusOK, unit, "GET", tokens["editor"], ""); !bytes.Contains(b, []byte("Volontaria della replica")) {
		t.Fatal("the crisis unit read right after a write misses it: it must come from the primary")
	}
	// Civic numbers inside the scenario (as an import would load them) and
	// a plant over 1 MW in the community.
	n := func(i int) *int { return &i }
	civici := func(yield func(coverage.CivicoRow, error) bool) {
		for i := range 3 {
			if !yield(coverage.CivicoRow{Line: i + 1, ISTATCode: "019035", Street: "Via della Replica", Number: n(i + 1),
				Lon: lon + float64(i)*1e-5, Lat: lat}, nil) {
				return
			}
		}
	}
	if _, err := coverage.NewStore(db.Write).LoadCivici(ctx, civici, coverage.LoadOptions{Source: "test", Synthetic: true, Strict: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(ctx, `UPDATE cer_sites SET pv_kw = 1500 WHERE id = (SELECT id FROM cer_sites
		WHERE community_id = $1 AND kind IN ('producer', 'prosumer') ORDER BY id LIMIT 1)`, community); err != nil {
		t.Fatal(err)
	}

	// The strict instance leaves the standby once it lags over a second.
	sw, ok := <-seen
	if !ok {
		t.Fatal("strict did not leave the paused replica within a minute of the first write")
	}
	t.Logf("replay paused: the strict instance (--replica-max-lag 1s, checks every 100ms) sent reads to the primary %v after the first write (lag measured then: %v s)",
		sw.after.Round(time.Millisecond), sw.lag)
	if sw.after < time.Second {
		t.Errorf("strict left the replica %v after the first write, before its 1s bound", sw.after)
	}
	if st, m := readyz(t, strict); st != http.StatusOK || m["primary"] != "ok" {
		t.Errorf("strict /readyz while lagging = %d %v; want 200, primary ok", st, m)
	}
	// patient is still on the standby: every public read is as before.
	if st, m := readyz(t, patient); st != http.StatusOK || m["reads"] != "replica" || m["replica"] != "ok" {
		t.Errorf("patient /readyz = %d %v; want 200, reads from the replica, replica ok", st, m)
	} else if lag, _ := m["replica_lag_seconds"].(float64); lag < 1 {
		t.Errorf("patient sees a replica lag of %v s, %v after the first write on a paused replica", lag, time.Since(firstWrite))
	}
	for in, want := range map[*instance]string{patient: "atlante_db_reads_from_replica 1", strict: "atlante_db_reads_from_replica 0"} {
		if _, b := mustDo(t, http.StatusOK, in.base+"/metrics", "GET", "", ""); !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s /metrics lacks %q", in.name, want)
		}
	}
	fresh := map[string]answer{}
	for what := range paths {
		if got := read(patient, what); !bytes.Equal(got.body, before[what].body) || got.etag != before[what].etag {
			t.Errorf("%s on the paused standby changed: it was not read from the standby (ETag %s -> %s)", what, before[what].etag, got.etag)
		}
		// strict reads the primary: every write shows.
		fresh[what] = read(strict, what)
		if bytes.Equal(fresh[what].body, before[what].body) {
			t.Errorf("%s through strict (reads on the primary) = as before the writes: %.300s", what, fresh[what].body)
		}
	}

	// Replay resumes: patient follows, and its cached tile changes exactly
	// when its ETag does.
	if err := replica.ResumeReplay(ctx); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	waitFor(t, "patient serves the new tile", 30*time.Second, func() bool {
		got := read(patient, "tile")
		switch {
		case got.etag == before["tile"].etag && !bytes.Equal(got.body, before["tile"].body):
			t.Fatalf("patient served a new tile under the old ETag %s", got.etag)
		case got.etag != before["tile"].etag && !bytes.Equal(got.body, fresh["tile"].body):
			t.Fatalf("patient served a stale tile under the new ETag %s", got.etag)
		}
		return got.etag != before["tile"].etag
	})
	t.Logf("replay resumed: patient served the new tile after %v", time.Since(resumed).Round(time.Millisecond))
	// The other writes came later in the WAL: once the standby has them
	// all, patient answers as the primary did, within a version poll.
	if err := replica.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for what := range paths {
		waitFor(t, what+" through patient as the primary said it, after replay", 5*time.Second, func() bool {
			return bytes.Equal(read(patient, what).body, fresh[what].body)
		})
	}
	waitFor(t, "strict reads from the replica again", 30*time.Second, func() bool { return readsFrom(strict) == "replica" })
	t.Logf("replay resumed: strict read from the replica again after %v", time.Since(resumed).Round(time.Millisecond))

	// A stopped standby: reads go to the primary, and come back.
	if err := replica.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*instance{patient, strict} {
		waitFor(t, in.name+" reads from the primary with the replica stopped", 30*time.Second, func() bool {
			st, m := readyz(t, in)
			return st == http.StatusOK && m["reads"] == "primary" && m["replica"] == "down"
		})
	}
	mustDo(t, http.StatusNoContent, created, "DELETE", tokens["editor"], "")
	for _, in := range []*instance{patient, strict} {
		waitFor(t, in.name+" shows the delete, made with the replica down", 10*time.Second, func() bool {
			return bytes.Equal(read(in, "items").body, before["items"].body)
		})
	}
	if err := replica.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*instance{patient, strict} {
		waitFor(t, in.name+" reads from the restarted replica", 60*time.Second, func() bool { return readsFrom(in) == "replica" })
		if got := read(in, "items"); !bytes.Equal(got.body, before["items"].body) {
			t.Errorf("%s after the replica came back = %.300s, want the delete made meanwhile", in.name, got.body)
		}
	}

	// A promoted standby follows the primary no more: reads leave it.
	if err := replica.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*instance{patient, strict} {
		waitFor(t, in.name+" leaves the promoted replica", 30*time.Second, func() bool {
			_, m := readyz(t, in)
			return m["reads"] == "primary" && m["replica"] == "promoted"
		})
	}
	var m map[string]any
	_, b = mustDo(t, http.StatusOK, strict.base+"/readyz", "GET", "", "")
	if err := json.Unmarshal(b, &m); err != nil || m["status"] != "ready" {
		t.Errorf("/readyz with a promoted replica = %s", b)
	}
}
