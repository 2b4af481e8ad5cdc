package features

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// timedLayers builds a table of events with an instant (at), a day, an
// interval (from_ts, to_ts) and a nullable count, and one layer over it per
// way of declaring time, keyed by name.
//
//	id  at                    day         from_ts     to_ts       n
//	1   2026-01-01 10:00Z     2026-01-01  2026-01-01  2026-01-10  7
//	2   2026-01-15 00:00Z     2026-01-15  2026-01-12  (open)      null
//	3   2026-02-01 12:30Z     2026-02-01  (open)      2025-12-31  null
//	4   (null)                (null)      (null)      (null)      3
//	5   2026-02-01 12:30:00.5Z 2026-02-02 2026-02-01  2026-02-28  null
func timedLayers(tb testing.TB) (*Service, map[string]*catalog.Layer) {
	tb.Helper()
	db := storetest.NewDB(tb)
	ctx := context.Background()
	if _, err := db.Write.Exec(ctx, `
CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, day date, from_ts timestamptz, to_ts timestamptz, n integer,
	geom geometry(Point, 4326));
INSERT INTO events VALUES
	(1, '2026-01-01 10:00Z', '2026-01-01', '2026-01-01Z', '2026-01-10Z', 7, ST_SetSRID(ST_MakePoint(9.6, 45.3), 4326)),
	(2, '2026-01-15 00:00Z', '2026-01-15', '2026-01-12Z', NULL, NULL, ST_SetSRID(ST_MakePoint(9.7, 45.3), 4326)),
	(3, '2026-02-01 12:30Z', '2026-02-01', NULL, '2025-12-31Z', NULL, ST_SetSRID(ST_MakePoint(9.8, 45.3), 4326)),
	(4, NULL, NULL, NULL, NULL, 3, ST_SetSRID(ST_MakePoint(9.9, 45.3), 4326)),
	(5, '2026-02-01 12:30:00.5Z', '2026-02-02', '2026-02-01Z', '2026-02-28Z', NULL, ST_SetSRID(ST_MakePoint(9.6, 45.4), 4326));`); err != nil {
		tb.Fatal(err)
	}
	props := []catalog.Property{
		{Name: "at", Type: catalog.DateTime}, {Name: "day", Type: catalog.Date},
		{Name: "from_ts", Type: catalog.DateTime}, {Name: "to_ts", Type: catalog.DateTime}, {Name: "n", Type: catalog.Integer},
	}
	layer := func(id string, t *catalog.Temporal) catalog.Layer {
		return catalog.Layer{ID: id, Table: pgx.Identifier{"public", "events"}, IDColumn: "id", IDType: catalog.Integer,
			Geom: "geom", GeomType: "Point", MaxZoom: 14, Properties: props, Temporal: t}
	}
	cat, err := catalog.New(
		layer("instant", &catalog.Temporal{Instant: "at"}),
		layer("day", &catalog.Temporal{Instant: "day"}),
		layer("interval", &catalog.Temporal{Start: "from_ts", End: "to_ts"}),
		layer("timeless", nil),
	)
	if err != nil {
		tb.Fatal(err)
	}
	versions, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		tb.Fatal(err)
	}
	ls := map[string]*catalog.Layer{}
	for _, l := range cat.Layers() {
		ls[l.ID] = l
	}
	return New(db.Read, versions), ls
}

// ids returns the ids of the features Items streams for q.
func ids(tb testing.TB, s *Service, l *catalog.Layer, q Query) []int64 {
	tb.Helper()
	var out []int64
	_, err := s.Items(context.Background(), l, q, func(f []byte) error {
		var v struct{ ID int64 }
		if err := json.Unmarshal(f, &v); err != nil {
			return err
		}
		out = append(out, v.ID)
		return nil
	})
	if err != nil {
		tb.Fatalf("Items(%s, %+v) = %v", l.ID, q, err)
	}
	return out
}

func TestItemsDatetime(t *testing.T) {
	s, ls := timedLayers(t)
	tests := []struct {
		layer, datetime string
		want            []int64
	}{
		// A feature without a time (4) matches every datetime (Part 1,
		// /req/core/fc-time-response C).
		{"instant", "2026-01-01T10:00:00Z", []int64{1, 4}},
		{"instant", "2026-01-01", []int64{1, 4}},
		{"instant", "2026-01-01T/..", []int64{1, 2, 3, 4, 5}},
		{"instant", "2026-01-02T00:00:00Z/..", []int64{2, 3, 4, 5}},
		{"instant", "../2026-01-15T00:00:00Z", []int64{1, 2, 4}},
		{"instant", "2026-01-15T00:00:00Z/2026-02-01T12:30:00Z", []int64{2, 3, 4}},
		{"instant", "2026-02-01", []int64{3, 4, 5}},
		{"instant", "../..", []int64{1, 2, 3, 4, 5}},
		{"instant", "0000-01-01T00:00:00Z/2026-01-01T09:59:59Z", []int64{4}},
		{"instant", "2026-01-01T00:00:00Z/9999-12-31T00:00:00Z", []int64{1, 2, 3, 4, 5}},
		// A date property is its day: it meets any moment of it.
		{"day", "2026-01-01T23:00:00Z", []int64{1, 4}},
		{"day", "2026-01-15T12:00:00Z/2026-02-01T00:00:00Z", []int64{2, 3, 4}},
		{"day", "2026-02-02", []int64{4, 5}},
		// Intervals meet the query where they overlap; a null end is open.
		{"interval", "2026-01-05T00:00:00Z", []int64{1, 4}},
		{"interval", "2026-03-01T00:00:00Z/..", []int64{2, 4}},
		{"interval", "../2025-12-01T00:00:00Z", []int64{3, 4}},
		{"interval", "2026-01-11T00:00:00Z/2026-01-11T23:00:00Z", []int64{4}},
		// Without a time, datetime selects everything.
		{"timeless", "2026-01-01T10:00:00Z", []int64{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.layer+" "+tt.datetime, func(t *testing.T) {
			in, err := ParseDatetime(tt.datetime)
			if err != nil {
				t.Fatal(err)
			}
			q := Query{Limit: 100, Datetime: &in}
			if got := ids(t, s, ls[tt.layer], q); !slices.Equal(got, tt.want) {
				t.Errorf("Items(%s, datetime=%s) = %v, want %v", tt.layer, tt.datetime, got, tt.want)
			}
			// The count agrees on a short page too.
			q.Limit = 1
			page, err := s.Items(context.Background(), ls[tt.layer], q, func([]byte) error { return nil })
			if err != nil || page.NumberMatched != int64(len(tt.want)) {
				t.Errorf("Items(%s, datetime=%s, limit=1) matched %d (%v), want %d", tt.layer, tt.datetime, page.NumberMatched, err, len(tt.want))
			}
		})
	}
}

func TestTemporalExtent(t *testing.T) {
	s, ls := timedLayers(t)
	ctx := context.Background()
	str := func(p *time.Time) string {
		if p == nil {
			return ".."
		}
		return p.UTC().Format(time.RFC3339Nano)
	}
	tests := []struct{ layer, start, end string }{
		{"instant", "2026-01-01T10:00:00Z", "2026-02-01T12:30:00.5Z"},
		{"day", "2026-01-01T00:00:00Z", "2026-02-02T00:00:00Z"},
		{"interval", "..", ".."},
		{"timeless", "..", ".."},
	}
	for _, tt := range tests {
		start, end, err := s.TemporalExtent(ctx, ls[tt.layer])
		if err != nil {
			t.Fatal(err)
		}
		if str(start) != tt.start || str(end) != tt.end {
			t.Errorf("TemporalExtent(%s) = %s/%s, want %s/%s", tt.layer, str(start), str(end), tt.start, tt.end)
		}
	}
}

// TestItemsValuesFirst checks that a layer's ValuesFirst columns bring the
// rows with values to the first page, in the same order whether a page is
// read in one query or found by id first.
func TestItemsValuesFirst(t *testing.T) {
	s, ls := timedLayers(t)
	l := *ls["timeless"]
	l.ValuesFirst = []string{"n", "at"}
	// 1 has n and at; 2, 3 and 5 at only, 4 n only: one null each.
	want := []int64{1, 2, 3, 4, 5}
	if got := ids(t, s, &l, Query{Limit: 10}); !slices.Equal(got, want) {
		t.Errorf("Items(values first n, at) = %v, want %v", got, want)
	}
	l.ValuesFirst = []string{"n"}
	want = []int64{1, 4, 2, 3, 5}
	if got := ids(t, s, &l, Query{Limit: 10}); !slices.Equal(got, want) {
		t.Errorf("Items(values first n) = %v, want %v", got, want)
	}
	var paged []int64
	for off := 0; off < 5; off++ {
		// offset >= deferFrom*limit finds the page by id first
		paged = append(paged, ids(t, s, &l, Query{Limit: 1, Offset: off})...)
	}
	if !slices.Equal(paged, want) {
		t.Errorf("Items(values first n) one by one = %v, want %v", paged, want)
	}
}

func TestAppendJSONValueNumber(t *testing.T) {
	tests := []struct {
		t        catalog.Type
		in, want string
	}{
		{catalog.Number, "12", "12.0"},
		{catalog.Number, "-12", "-12.0"},
		{catalog.Number, "0", "0.0"},
		{catalog.Number, "12.5", "12.5"},
		{catalog.Number, "12.00", "12.00"},
		{catalog.Number, "1e+300", "1e+300"},
		{catalog.Number, "3e-07", "3e-07"},
		{catalog.Number, "NaN", `"NaN"`},
		{catalog.Number, "-Infinity", `"-Infinity"`},
		{catalog.Integer, "12", "12"},
	}
	for _, tt := range tests {
		got := string(appendJSONValue(nil, tt.t, []byte(tt.in)))
		if got != tt.want {
			t.Errorf("appendJSONValue(%s, %q) = %s, want %s", tt.t, tt.in, got, tt.want)
		}
		var v any
		if err := json.Unmarshal([]byte(got), &v); err != nil {
			t.Errorf("appendJSONValue(%s, %q) = %s: not JSON: %v", tt.t, tt.in, got, err)
		}
	}
}

// TestFeaturesCarryTheirID checks that a layer whose id is not among its
// properties writes it first among them, in pages and single features.
func TestFeaturesCarryTheirID(t *testing.T) {
	s, ls := timedLayers(t)
	l := ls["instant"]
	var page []string
	if _, err := s.Items(context.Background(), l, Query{Limit: 1}, func(f []byte) error {
		page = append(page, string(f))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	one, err := s.Item(context.Background(), l, "1", geo.CRS84)
	if err != nil {
		t.Fatal(err)
	}
	first := regexp.MustCompile(`^\{"type":"Feature","id":1,.*"properties":\{"id" ?: ?1,`)
	for _, f := range []string{page[0], string(one)} {
		if !first.MatchString(f) {
			t.Errorf("feature %s: want id 1 at the top and first among the properties", f)
		}
	}
}
