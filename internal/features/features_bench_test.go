package features

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// kitchenSink is a table with a property of every catalog type, text that
// needs escaping, NULLs, NaN and the infinities, whole numbers, and
// polygons with rings in both orders; n rows.
func kitchenSink(tb testing.TB, n int) (*Service, *catalog.Layer) {
	tb.Helper()
	db := storetest.NewDB(tb)
	ctx := context.Background()
	_, err := db.Write.Exec(ctx, `
CREATE TABLE sink (
	id bigint PRIMARY KEY, name text, n integer, x double precision, dec numeric, ok boolean, d date,
	ts timestamptz, geom geometry(Polygon, 4326))`)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = db.Write.Exec(ctx, `
INSERT INTO sink
SELECT i,
	CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN 'Via "Roma" \ ' || chr(9) || chr(10) || chr(1) || ' è €'
		WHEN 2 THEN '' ELSE 'Via Mazzini ' || i END,
	CASE WHEN i % 7 = 0 THEN NULL ELSE i - 50 END,
	CASE i % 7 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity' WHEN 2 THEN '-Infinity' WHEN 3 THEN 1e-7 * i
		WHEN 4 THEN -1.5e300 WHEN 5 THEN i ELSE i / 3.0 END,
	CASE i % 5 WHEN 0 THEN 'NaN'::numeric WHEN 1 THEN -0.5 WHEN 2 THEN NULL WHEN 3 THEN -i ELSE i * 1000.25 END,
	CASE i % 3 WHEN 0 THEN true WHEN 1 THEN false END,
	DATE '2024-02-29' + i,
	TIMESTAMPTZ '2024-02-29 12:34:56.789+01' + i * interval '1 hour',
	CASE i % 3
		WHEN 0 THEN ST_Expand(ST_SetSRID(ST_MakePoint(9.6 + i * 1e-5, 45.36), 4326), 1e-6)
		WHEN 1 THEN ST_GeomFromText('POLYGON((9 45, 9 46, 10 46, 10 45, 9 45), (9.2 45.2, 9.4 45.2, 9.4 45.4, 9.2 45.2))', 4326)
		ELSE NULL END
FROM generate_series(1, $1) i`, n)
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := catalog.New(catalog.Layer{
		ID: "sink", Title: "Sink", Table: pgx.Identifier{"public", "sink"}, IDColumn: "id", IDType: catalog.Integer,
		Geom: "geom", GeomType: "Polygon", MinZoom: 0, MaxZoom: 14,
		Properties: []catalog.Property{
			{Name: "name", Type: catalog.String}, {Name: "n", Type: catalog.Integer}, {Name: "x", Type: catalog.Number},
			{Name: "dec", Type: catalog.Number}, {Name: "ok", Type: catalog.Boolean}, {Name: "d", Type: catalog.Date},
			{Name: "ts", Type: catalog.DateTime},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	versions, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		tb.Fatal(err)
	}
	l, _ := cat.Layer("sink")
	return New(db.Read, versions), l
}

// TestItemsWriteWhatFeatureSQLWrites checks that the Features Items
// assembles in Go decode to the same JSON as those featureSQL has
// PostgreSQL write (Item and the write endpoints still use it).
func TestItemsWriteWhatFeatureSQLWrites(t *testing.T) {
	s, l := kitchenSink(t, 120)
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, "SELECT "+featureSQL(l)+" FROM public.sink t ORDER BY t.id")
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	// offset 10 reads the page in one query, offset 80 finds it by id first
	for _, q := range []Query{{Limit: 100, Offset: 10}, {Limit: 10, Offset: 80}} {
		var got []string
		page, err := s.Items(ctx, l, q, func(f []byte) error {
			if !json.Valid(f) {
				t.Errorf("Items wrote invalid JSON: %s", f)
			}
			got = append(got, string(f))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if page.NumberReturned != q.Limit || page.NumberMatched != 120 {
			t.Errorf("Items(offset %d) page = %+v, want %d returned of 120", q.Offset, page, q.Limit)
		}
		for i, g := range got {
			var a, b any
			if err := json.Unmarshal([]byte(g), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(want[q.Offset+i]), &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("feature %d:\n Items      %s\n featureSQL %s", q.Offset+i+1, g, want[q.Offset+i])
			}
		}
	}
	// Whole numbers keep a decimal point in both: row 12 has x = 12 (a
	// double), row 13 dec = -13 (a numeric); integers stay integers.
	for _, f := range []string{want[11], want[12]} {
		d := json.NewDecoder(strings.NewReader(f))
		d.UseNumber()
		var v struct{ Properties map[string]any }
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		n, _ := v.Properties["n"].(json.Number)
		if x, _ := v.Properties["x"].(json.Number); f == want[11] && (x != "12.0" || n != "-38") {
			t.Errorf("featureSQL row 12: x = %q, n = %q; want 12.0 and -38", x, n)
		}
		if dec, _ := v.Properties["dec"].(json.Number); f == want[12] && dec != "-13.0" {
			t.Errorf("featureSQL row 13: dec = %q, want -13.0", dec)
		}
	}
}

// BenchmarkItems measures pages of the kitchen-sink table straight from the
// service, without HTTP: ns/op is PostgreSQL plus Go, allocs/op Go only.
//
//	go test ./internal/features/ -run '^$' -bench Items -benchtime 50x
func BenchmarkItems(b *testing.B) {
	s, l := kitchenSink(b, 60_000)
	ctx := context.Background()
	for _, q := range []Query{{Limit: 1000}, {Limit: 10000}, {Limit: 1000, Offset: 5000}, {Limit: 1000, Offset: 50_000}} {
		b.Run(fmt.Sprintf("limit=%d,offset=%d", q.Limit, q.Offset), func(b *testing.B) {
			b.ReportAllocs()
			var n int64
			for b.Loop() {
				n = 0
				if _, err := s.Items(ctx, l, q, func(f []byte) error { n += int64(len(f)); return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(n)
		})
	}
}

// BenchmarkItemsInCRS measures the cost of a CRS other than CRS84 (Part
// 2): ST_Transform, and ST_FlipCoordinates for EPSG:4326 and 6707, per row.
//
//	go test ./internal/features/ -run '^$' -bench ItemsInCRS -benchtime 30x
func BenchmarkItemsInCRS(b *testing.B) {
	s, l := kitchenSink(b, 60_000)
	ctx := context.Background()
	for _, c := range []geo.CRS{geo.CRS84, geo.EPSG4326, geo.EPSG6707, geo.EPSG3003} {
		b.Run(c.String(), func(b *testing.B) {
			b.ReportAllocs()
			var n int64
			for b.Loop() {
				n = 0
				if _, err := s.Items(ctx, l, Query{Limit: 1000, CRS: c}, func(f []byte) error { n += int64(len(f)); return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(n)
		})
	}
}

// BenchmarkAppendFeature measures the Go half alone on one typical row
// (the id is written among the properties too).
func BenchmarkAppendFeature(b *testing.B) {
	l := &catalog.Layer{IDType: catalog.Integer, Properties: []catalog.Property{
		{Name: "anncsu_id", Type: catalog.Integer}, {Name: "istat_code", Type: catalog.String},
		{Name: "street", Type: catalog.String}, {Name: "number", Type: catalog.Integer},
		{Name: "suffix", Type: catalog.String}, {Name: "best_status", Type: catalog.String},
		{Name: "best_technology", Type: catalog.String}, {Name: "best_down_mbps", Type: catalog.Integer},
	}}
	row := [][]byte{[]byte("123456"), []byte(`{"type":"Point","coordinates":[9.6891234,45.3612345]}`),
		[]byte("123456"), []byte("123456"), []byte("019035"), []byte("Via Giuseppe Mazzini"), []byte("12"), []byte(""),
		[]byte("connectable"), []byte("FTTH"), []byte("1000")}
	e := newFeatureEncoder(l)
	b.ReportAllocs()
	for b.Loop() {
		e.appendFeature(row)
	}
}
