package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestWriteIsSeenAtOnce checks that a write through the API shows in the
// very next read on the same server: numberMatched, the cached tile and
// the layers built from other tables. The test server runs no version
// poll, so a stale count or tile here would stay stale for ever; nothing in
// the test waits.
func TestWriteIsSeenAtOnce(t *testing.T) {
	s := testserver.Start(t, testserver.Options{CacheMB: 8, Demo: []string{"comuni", "civilprotection", "energy"}})
	ctx := context.Background()
	e := &cpEnv{s: s, tokens: map[string]string{}}
	toks, err := demo.CreateTokens(ctx, s.DB.Write)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		e.tokens[string(tk.Role)] = tk.Secret
	}
	editor := e.tokens["editor"]

	t.Run("feature", func(t *testing.T) {
		e.setPlan(t, crema, "draft")
		items := "/collections/scenarios/items?limit=1&istat_code=" + crema
		before := numberMatched(t, s, items)
		geom := e.insideComune(t, crema)
		g, err := geojson.UnmarshalGeometry(geom)
		if err != nil {
			t.Fatal(err)
		}
		tile := maptile.At(g.Geometry().Bound().Center(), 14)
		tileURL := s.URL + tilePath("scenarios", tile)
		get(t, tileURL, http.StatusOK) // now in the cache

		_, b := e.expect(t, http.StatusCreated, "POST", "/collections/scenarios/items", editor, scenarioFeature(crema, geom))
		var created struct {
			ID json.Number `json:"id"`
		}
		if err := json.Unmarshal(b, &created); err != nil {
			t.Fatal(err)
		}
		if got := numberMatched(t, s, items); got != before+1 {
			t.Errorf("numberMatched right after a create = %d, want %d", got, before+1)
		}
		if ids := tileIDs(t, tileURL, tile, "scenarios"); !slices.Contains(ids, created.ID.String()) {
			t.Errorf("tile %v right after a create has ids %v, want %s among them", tile, ids, created.ID)
		}

		e.expect(t, http.StatusNoContent, "DELETE", "/collections/scenarios/items/"+created.ID.String(), editor, nil)
		if got := numberMatched(t, s, items); got != before {
			t.Errorf("numberMatched right after a delete = %d, want %d", got, before)
		}
		if ids := tileIDs(t, tileURL, tile, "scenarios"); slices.Contains(ids, created.ID.String()) {
			t.Errorf("tile %v right after a delete still has feature %s", tile, created.ID)
		}
	})

	t.Run("plan_transition", func(t *testing.T) {
		e.setPlan(t, crema, "draft")
		if err := s.Versions.Refresh(ctx); err != nil { // the set-up wrote behind the server's back
			t.Fatal(err)
		}
		items := "/collections/plan-status/items?limit=1&status=submitted"
		before := numberMatched(t, s, items)
		e.expect(t, http.StatusOK, "POST", "/civil-protection/plans/"+crema+"/submit", editor, nil)
		if got := numberMatched(t, s, items); got != before+1 {
			t.Errorf("submitted plans right after a submission = %d, want %d", got, before+1)
		}
	})

	t.Run("energy_community", func(t *testing.T) {
		// A short page tells numberMatched without the cached count, so the
		// community's status is read from its cached tile.
		var id int64
		var lon, lat float64
		if err := s.DB.Read.QueryRow(ctx, `SELECT id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) AS p
			FROM cer_communities_map WHERE name = 'CER Ex Olivetti Crema (demo)') x`).Scan(&id, &lon, &lat); err != nil {
			t.Fatal(err)
		}
		tile := maptile.At(orb.Point{lon, lat}, 14)
		tileURL := s.URL + tilePath("energy-communities", tile)
		if got := tileStatus(t, tileURL, tile, id); got != "constituted" {
			t.Fatalf("status in the tile before the change = %q, want constituted", got)
		}
		path := fmt.Sprintf("/energy/communities/%d", id)
		res, _ := e.expect(t, http.StatusOK, "GET", path, "", nil)
		e.expect(t, http.StatusOK, "PATCH", path, editor, map[string]any{"status": "operating"},
			"Content-Type", "application/merge-patch+json", "If-Match", res.Header.Get("ETag"))
		if got := tileStatus(t, tileURL, tile, id); got != "operating" {
			t.Errorf("status in the tile right after the change = %q, want operating", got)
		}
	})
}

// tileStatus returns the status property of feature id in the
// energy-communities layer of a tile.
func tileStatus(tb testing.TB, url string, tile maptile.Tile, id int64) string {
	tb.Helper()
	_, body := get(tb, url, http.StatusOK)
	for _, l := range decodeTile(tb, body, tile) {
		for _, f := range l.Features {
			if fmt.Sprint(f.ID) == fmt.Sprint(id) {
				return f.Properties.MustString("status", "")
			}
		}
	}
	tb.Fatalf("tile %v has no community %d", tile, id)
	return ""
}

// numberMatched reads the numberMatched of an items query.
func numberMatched(tb testing.TB, s *testserver.Server, path string) int64 {
	tb.Helper()
	var fc struct {
		NumberMatched *int64 `json:"numberMatched"`
	}
	getJSON(tb, s.URL+path, "application/geo+json", &fc)
	if fc.NumberMatched == nil {
		tb.Fatalf("%s: no numberMatched", path)
	}
	return *fc.NumberMatched
}

// tileIDs returns the feature ids in the named layer of a tile.
func tileIDs(tb testing.TB, url string, tile maptile.Tile, layer string) []string {
	tb.Helper()
	_, body := get(tb, url, http.StatusOK)
	var out []string
	for _, l := range decodeTile(tb, body, tile) {
		if l.Name != layer {
			continue
		}
		for _, f := range l.Features {
			out = append(out, fmt.Sprint(f.ID))
		}
	}
	return out
}
