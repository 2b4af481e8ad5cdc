package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestFilterHTTP checks Part 3 over HTTP: the conformance classes, the
// queryables document naming exactly what filters accept, and pages of a
// filtered collection whose links carry the filter and whose
// numberMatched and features are those of SQL over the same data.
func TestFilterHTTP(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "civilprotection", "energy"}})

	var conf struct {
		ConformsTo []string `json:"conformsTo"`
	}
	getJSON(t, s.URL+"/conformance", "application/json", &conf)
	for _, c := range features.FilterConformance {
		if !slices.Contains(conf.ConformsTo, c) {
			t.Errorf("conformsTo lacks %s", c)
		}
	}

	t.Run("every queryable filters", func(t *testing.T) {
		for _, l := range s.Catalog.Layers() {
			var q schemaDoc
			getJSON(t, s.URL+"/collections/"+l.ID+"/queryables", "application/schema+json", &q)
			for name, p := range q.Properties {
				filter := name + " IS NULL"
				if f, _ := p["format"].(string); strings.HasPrefix(f, "geometry-") {
					filter = "S_INTERSECTS(" + name + ", BBOX(9.3, 45.1, 10, 45.6))"
				}
				get(t, s.URL+"/collections/"+l.ID+"/items?limit=1&filter="+url.QueryEscape(filter), http.StatusOK)
			}
		}
	})

	t.Run("pages", func(t *testing.T) {
		var want []int64
		rows, err := s.DB.Read.Query(context.Background(), `SELECT id FROM cp_scenarios WHERE severity >= 3 ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		if want, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil || len(want) < 3 {
			t.Fatalf("scenarios of severity >= 3: %v, %v", want, err)
		}
		for _, first := range []string{
			"filter=" + url.QueryEscape("severity >= 3"),
			"filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op": ">=", "args": [{"property": "severity"}, 3]}`),
		} {
			var got []int64
			next := s.URL + "/collections/scenarios/items?limit=2&" + first
			for next != "" {
				var page struct {
					Features []struct {
						ID int64 `json:"id"`
					} `json:"features"`
					NumberMatched int `json:"numberMatched"`
					Links         []struct {
						Rel, Href string
					} `json:"links"`
				}
				getJSON(t, next, "application/geo+json", &page)
				if page.NumberMatched != len(want) {
					t.Errorf("%s: numberMatched %d, want %d", next, page.NumberMatched, len(want))
				}
				for _, f := range page.Features {
					got = append(got, f.ID)
				}
				next = ""
				for _, lk := range page.Links {
					u, err := url.Parse(lk.Href)
					if err != nil {
						t.Fatal(err)
					}
					if lk.Rel == "self" || lk.Rel == "next" || lk.Rel == "prev" {
						if q := u.Query(); q.Get("filter") != `"severity" >= 3` || q.Get("filter-lang") != "cql2-text" {
							t.Errorf("%s link %s: want filter \"severity\" >= 3 in cql2-text", lk.Rel, lk.Href)
						}
					}
					if lk.Rel == "next" {
						next = lk.Href
					}
				}
				if len(got) > len(want) {
					t.Fatalf("paging on: %v", got)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("items?%s, every page: %v, want %v", first, got, want)
			}
		}
	})

	t.Run("problem names the parameter", func(t *testing.T) {
		res, body := get(t, s.URL+"/collections/scenarios/items?filter="+url.QueryEscape("severity >= 'alta'"), http.StatusBadRequest)
		checkMediaType(t, res, "application/problem+json")
		var p struct {
			Errors []struct{ Field, Reason string } `json:"errors"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Errors) != 1 || p.Errors[0].Field != "filter" || !strings.HasPrefix(p.Errors[0].Reason, "at 1:10: >= compares values of one type") {
			t.Errorf("errors = %+v, want one on filter at 1:10", p.Errors)
		}
	})
}
