package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestConditionalRequests checks entity tags and If-None-Match against
// RFC 9110 on the real router: the weak comparison, lists and "*", one tag
// per content coding, one Vary line, and 304s that repeat the 200's
// caching headers.
func TestConditionalRequests(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection", "energy"}})
	ctx := context.Background()
	e := &cpEnv{s: s, tokens: map[string]string{}}
	toks, err := demo.CreateTokens(ctx, s.DB.Write)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		e.tokens[string(tk.Role)] = tk.Secret
	}
	const gz, identity = "gzip", "identity"
	tile := s.URL + tilePath("comuni", cremaTile)

	t.Run("tile_codings", func(t *testing.T) {
		zres, zbody := get(t, tile, http.StatusOK, "Accept-Encoding", gz)
		ires, ibody := get(t, tile, http.StatusOK, "Accept-Encoding", identity)
		if ce := zres.Header.Get("Content-Encoding"); ce != "gzip" {
			t.Fatalf("Content-Encoding for a gzip client = %q, want gzip", ce)
		}
		if ce := ires.Header.Get("Content-Encoding"); ce != "" {
			t.Fatalf("Content-Encoding for an identity client = %q, want none", ce)
		}
		if !bytes.Equal(gunzip(t, zbody), ibody) {
			t.Fatalf("the gzip body does not unzip to the identity body")
		}
		ztag, itag := zres.Header.Get("ETag"), ires.Header.Get("ETag")
		if ztag == itag || strings.HasPrefix(ztag, "W/") || strings.HasPrefix(itag, "W/") {
			t.Errorf("ETags gzip %s, identity %s: want two different strong tags", ztag, itag)
		}
		for _, res := range []*http.Response{zres, ires} {
			checkOneVary(t, res, "Accept-Encoding")
		}
	})

	t.Run("if_none_match", func(t *testing.T) {
		zres, _ := get(t, tile, http.StatusOK, "Accept-Encoding", gz)
		ires, _ := get(t, tile, http.StatusOK, "Accept-Encoding", identity)
		ztag, itag := zres.Header.Get("ETag"), ires.Header.Get("ETag")
		tests := []struct {
			name, coding, inm string
			want              int
			res               *http.Response // the 200 whose headers a 304 repeats
		}{
			{"same tag", identity, itag, 304, ires},
			{"weak form matches (weak comparison)", identity, "W/" + itag, 304, ires},
			{"in a list", identity, `"nope", ` + itag + `, "other"`, 304, ires},
			{"in a list without spaces", identity, `W/"nope",` + itag, 304, ires},
			{"star", identity, "*", 304, ires},
			{"other tag", identity, `"nope"`, 200, nil},
			{"the gzip body's tag, asked without gzip", identity, ztag, 200, nil},
			{"malformed", identity, "nope", 200, nil},
			{"gzip tag", gz, ztag, 304, zres},
			{"gzip tag, weak", gz, "W/" + ztag, 304, zres},
			{"the identity body's tag, asked with gzip", gz, itag, 200, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, body := get(t, tile, tt.want, "Accept-Encoding", tt.coding, "If-None-Match", tt.inm)
				if tt.want != 304 {
					return
				}
				if len(body) != 0 {
					t.Errorf("304 with a body of %d bytes", len(body))
				}
				for _, h := range []string{"ETag", "Cache-Control", "Vary"} {
					if got, want := res.Header.Values(h), tt.res.Header.Values(h); strings.Join(got, "|") != strings.Join(want, "|") {
						t.Errorf("304 %s = %q, want %q as in the 200", h, got, want)
					}
				}
			})
		}
	})

	t.Run("one_vary", func(t *testing.T) {
		// An empty tile is gzipped by the middleware, which used to add a
		// second Vary line to the handler's; the landing page varies on
		// Accept too.
		res, _ := get(t, s.URL+"/tiles/comuni/10/0/0.mvt", http.StatusOK, "Accept-Encoding", gz)
		checkOneVary(t, res, "Accept-Encoding")
		res, _ = get(t, s.URL+"/", http.StatusOK, "Accept-Encoding", gz)
		checkOneVary(t, res, "Accept", "Accept-Encoding")
	})

	// Representations computed from a layer's data: weak tags, 304s, and a
	// new tag after a write.
	for _, path := range []string{"/tiles/scenarios.json", "/collections/scenarios/items?limit=2", "/collections/comuni/items/" + crema} {
		t.Run("data_tag"+path, func(t *testing.T) {
			res, _ := get(t, s.URL+path, http.StatusOK, "Accept-Encoding", gz)
			tag := res.Header.Get("ETag")
			if !strings.HasPrefix(tag, `W/"`) {
				t.Fatalf("ETag = %q, want a weak tag", tag)
			}
			// Features are also pages (negotiated by Accept), TileJSON is not.
			if strings.HasPrefix(path, "/tiles/") {
				checkOneVary(t, res, "Accept-Encoding")
			} else {
				checkOneVary(t, res, "Accept", "Accept-Encoding")
			}
			r304, _ := get(t, s.URL+path, http.StatusNotModified, "Accept-Encoding", identity, "If-None-Match", tag)
			if r304.Header.Get("ETag") != tag || r304.Header.Get("Cache-Control") != res.Header.Get("Cache-Control") {
				t.Errorf("304 ETag %q, Cache-Control %q; the 200 had %q, %q", r304.Header.Get("ETag"), r304.Header.Get("Cache-Control"), tag, res.Header.Get("Cache-Control"))
			}
		})
	}
	t.Run("data_tag_follows_writes", func(t *testing.T) {
		path := s.URL + "/collections/scenarios/items?limit=2"
		res, _ := get(t, path, http.StatusOK)
		before := res.Header.Get("ETag")
		e.setPlan(t, crema, "draft")
		e.expect(t, http.StatusCreated, "POST", "/collections/scenarios/items", e.tokens["editor"], scenarioFeature(crema, e.insideComune(t, crema)))
		res, _ = get(t, path, http.StatusOK, "If-None-Match", before)
		if res.Header.Get("ETag") == before {
			t.Errorf("ETag %s unchanged after a write", before)
		}
	})

	t.Run("editable_item", func(t *testing.T) {
		id := e.fixtureScenario(t, crema)
		path := fmt.Sprintf("/collections/scenarios/items/%d", id)
		// A row-version tag is strong and serves If-Match: the body goes out
		// as it is, so that no gzipped body shares it.
		res, _ := get(t, s.URL+path, http.StatusOK, "Accept-Encoding", gz)
		tag := res.Header.Get("ETag")
		if tag != `"1"` || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("ETag %q, Content-Encoding %q; want \"1\" and none", tag, res.Header.Get("Content-Encoding"))
		}
		get(t, s.URL+path, http.StatusNotModified, "If-None-Match", "W/"+tag)
		get(t, s.URL+path, http.StatusOK, "If-None-Match", `"2"`)

		// If-Match uses the strong comparison: a weak tag never matches.
		patch := map[string]any{"properties": map[string]any{"title": "changed"}}
		e.expect(t, http.StatusPreconditionFailed, "PATCH", path, e.tokens["editor"], patch, "If-Match", "W/"+tag)
		e.expect(t, http.StatusOK, "PATCH", path, e.tokens["editor"], patch, "If-Match", tag)
		get(t, s.URL+path, http.StatusOK, "If-None-Match", tag)
	})

	t.Run("derived_item_never_304", func(t *testing.T) {
		// energy-sites adds the community's state to each site: the row
		// version does not tag that.
		var id int64
		if err := s.DB.Read.QueryRow(ctx, `SELECT min(id) FROM cer_sites`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("%s/collections/energy-sites/items/%d", s.URL, id)
		res, _ := get(t, path, http.StatusOK)
		get(t, path, http.StatusOK, "If-None-Match", res.Header.Get("ETag"))
		get(t, path, http.StatusOK, "If-None-Match", "*")
	})

	t.Run("energy_community_if_match", func(t *testing.T) {
		var id int64
		if err := s.DB.Read.QueryRow(ctx, `SELECT id FROM cer_communities WHERE name = 'CER Ex Olivetti Crema (demo)'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/energy/communities/%d", id)
		res, _ := e.expect(t, http.StatusOK, "GET", path, "", nil, "Accept-Encoding", gz)
		tag := res.Header.Get("ETag")
		if strings.HasPrefix(tag, "W/") || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("community ETag %q, Content-Encoding %q: want a strong tag on an identity body", tag, res.Header.Get("Content-Encoding"))
		}
		body := map[string]any{"referent": "Associazione CER Ex Olivetti (demo, renamed)"}
		e.expect(t, http.StatusPreconditionFailed, "PATCH", path, e.tokens["editor"], body,
			"Content-Type", "application/merge-patch+json", "If-Match", "W/"+tag)
		e.expect(t, http.StatusOK, "PATCH", path, e.tokens["editor"], body,
			"Content-Type", "application/merge-patch+json", "If-Match", tag)
	})

	t.Run("crisis_unit_member", func(t *testing.T) {
		var id int64
		if err := s.DB.Read.QueryRow(ctx, `SELECT min(id) FROM cp_crisis_unit WHERE istat_code = $1`, crema).Scan(&id); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/civil-protection/plans/%s/crisis-unit/%d", crema, id)
		res, _ := e.expect(t, http.StatusOK, "GET", path, e.tokens["editor"], nil)
		r304, _ := e.expect(t, http.StatusNotModified, "GET", path, e.tokens["editor"], nil, "If-None-Match", res.Header.Get("ETag"))
		if got := r304.Header.Get("Cache-Control"); got != "private, no-store" {
			t.Errorf("304 Cache-Control = %q, want private, no-store", got)
		}
		checkOneVary(t, r304, "Authorization")
		// Without the token the member is not there to compare with.
		e.expect(t, http.StatusUnauthorized, "GET", path, "", nil, "If-None-Match", "*")
	})
}

// checkOneVary checks that the response has one Vary line naming exactly
// the given fields.
func checkOneVary(tb testing.TB, res *http.Response, want ...string) {
	tb.Helper()
	got := res.Header.Values("Vary")
	if len(got) != 1 {
		tb.Errorf("%s: Vary lines %q, want one", res.Request.URL.Path, got)
		return
	}
	var names []string
	for _, n := range strings.Split(got[0], ",") {
		names = append(names, strings.TrimSpace(n))
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		tb.Errorf("%s: Vary = %q, want %q", res.Request.URL.Path, got[0], strings.Join(want, ", "))
	}
}

func gunzip(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
