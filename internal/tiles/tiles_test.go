package tiles

import (
	"context"
	"io"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

func TestTolerance(t *testing.T) {
	tests := []struct {
		z    maptile.Zoom
		want float64 // metres
	}{
		{0, 4891.96981},
		{1, 2445.98490},
		{12, 1.19433},
		{18, 0.01866},
		{24, 0.00029},
	}
	for _, tt := range tests {
		got := Tolerance(tt.z)
		if math.Abs(got-tt.want) > 1e-5 {
			t.Errorf("Tolerance(%d) = %.5f, want %.5f", tt.z, got, tt.want)
		}
		// Half of one tile unit: below what the MVT grid can show.
		unit := webMercatorWidth / math.Exp2(float64(tt.z)) / Extent
		if got != unit/2 {
			t.Errorf("Tolerance(%d) = %g, want half a tile unit %g", tt.z, got, unit/2)
		}
	}
	for z := maptile.Zoom(1); z <= 24; z++ {
		if Tolerance(z) != Tolerance(z-1)/2 {
			t.Errorf("Tolerance(%d) = %g, want half of Tolerance(%d) = %g", z, Tolerance(z), z-1, Tolerance(z-1))
		}
	}
}

// placeholders returns the $n a query references.
func placeholders(sql string) []string {
	ps := regexp.MustCompile(`\$[0-9]+`).FindAllString(sql, -1)
	slices.Sort(ps)
	return slices.Compact(ps)
}

func TestTileSQL(t *testing.T) {
	base := catalog.Layer{
		ID: "places", Table: pgx.Identifier{"public", "places"},
		IDColumn: "id", IDType: catalog.Integer, Geom: "geom",
		Properties: []catalog.Property{
			{Name: "id", Type: catalog.Integer},
			{Name: "name", Type: catalog.String},
			{Name: "kind", Type: catalog.String},
			{Name: "secret_note", Type: catalog.String},
		},
		TileProperties: []string{"id", "name", "kind"},
		MaxZoom:        18,
	}
	tests := []struct {
		name   string
		edit   func(*catalog.Layer)
		want   []string // in the query
		absent []string // not in it
		args   []string // the placeholders referenced
	}{
		{
			name: "point layer with a projected column",
			edit: func(l *catalog.Layer) { l.GeomType, l.TileGeom = "Point", "geom_3857" },
			want: []string{
				`FROM "public"."places" t WHERE`,
				`t."geom_3857" && ST_TileEnvelope($1, $2, $3, margin => $4)`,
				`ST_AsMVTGeom(t."geom_3857", ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom`,
				// Points are not simplified, but every generic query takes $5.
				`AND $5::float8 IS NOT NULL`,
				`ST_AsMVT(m.*, 'places', 4096, 'geom', 'id')`,
				`t."id", t."name", t."kind"`,
				`WHERE m.geom IS NOT NULL`,
			},
			absent: []string{"ST_Simplify", "ST_Transform", "secret_note", `t."id", t."id"`},
			args:   []string{"$1", "$2", "$3", "$4", "$5"},
		},
		{
			name:   "multipoint layer",
			edit:   func(l *catalog.Layer) { l.GeomType, l.TileGeom = "MultiPoint", "geom_3857" },
			want:   []string{`AND $5::float8 IS NOT NULL`},
			absent: []string{"ST_Simplify"},
			args:   []string{"$1", "$2", "$3", "$4", "$5"},
		},
		{
			name: "polygon layer with a projected column",
			edit: func(l *catalog.Layer) { l.GeomType, l.TileGeom = "MultiPolygon", "geom_3857" },
			want: []string{
				`t."geom_3857" && ST_TileEnvelope($1, $2, $3, margin => $4)`,
				`ST_AsMVTGeom(ST_Simplify(t."geom_3857", $5, true), ST_TileEnvelope($1, $2, $3), 4096, 64, true)`,
			},
			absent: []string{"$5::float8 IS NOT NULL", "ST_Transform"},
			args:   []string{"$1", "$2", "$3", "$4", "$5"},
		},
		{
			name: "polygon layer projected on the fly",
			edit: func(l *catalog.Layer) { l.GeomType = "MultiPolygon" },
			want: []string{
				// The index on geom (4326) is used: the envelope is
				// transformed, not every row.
				`t."geom" && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $4), 4326)`,
				`ST_Simplify(ST_Transform(t."geom", 3857), $5, true)`,
			},
			args: []string{"$1", "$2", "$3", "$4", "$5"},
		},
		{
			name: "line layer, string ids, all properties",
			edit: func(l *catalog.Layer) {
				l.GeomType, l.IDType, l.TileProperties = "MultiLineString", catalog.String, nil
			},
			want: []string{
				`ST_AsMVT(m.*, 'places', 4096, 'geom')`,
				`ST_Simplify(`,
				`t."id", t."name", t."kind", t."secret_note"`,
			},
			absent: []string{`'geom', 'id'`},
			args:   []string{"$1", "$2", "$3", "$4", "$5"},
		},
		{
			name: "identifiers are quoted",
			edit: func(l *catalog.Layer) {
				l.GeomType, l.Table, l.IDColumn, l.Geom = "Point", pgx.Identifier{"select"}, "order", "from"
				l.Properties = []catalog.Property{{Name: "group", Type: catalog.String}}
				l.TileProperties = nil
			},
			want: []string{`FROM "select" t`, `t."order"`, `t."from"`, `t."group"`, `'geom', 'order'`},
			args: []string{"$1", "$2", "$3", "$4", "$5"},
		},
		{
			name: "polygon layer with geometries simplified per zoom",
			edit: func(l *catalog.Layer) {
				l.GeomType, l.TileGeom = "MultiPolygon", "geom_3857"
				l.TileGeoms = &catalog.TileGeoms{Table: pgx.Identifier{"public", "places_tile_geoms"}, MaxZoom: 12}
			},
			want: []string{
				// the features by the layer's index, their geometry of
				// the tile's zoom by id
				`FROM "public"."places" t WHERE t."geom_3857" && ST_TileEnvelope($1, $2, $3, margin => $4)`,
				`ST_AsMVTGeom(coalesce((SELECT g.geom FROM "public"."places_tile_geoms" g WHERE g.id = t."id" AND g.z = $1), ` +
					`ST_Simplify(t."geom_3857", $5, true)), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom`,
				`t."id", t."name", t."kind"`,
			},
			absent: []string{"ST_Transform", "secret_note", "JOIN"},
			args:   []string{"$1", "$2", "$3", "$4", "$5"},
		},
		{
			name: "tile function",
			edit: func(l *catalog.Layer) {
				l.GeomType, l.TileFunc = "Point", pgx.Identifier{"public", "places_tile"}
			},
			want:   []string{`SELECT "public"."places_tile"($1, $2, $3)`},
			absent: []string{"ST_AsMVT", "$4", "$5", "places\" t"},
			args:   []string{"$1", "$2", "$3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			tt.edit(&l)
			if _, err := catalog.New(l); err != nil {
				t.Fatalf("catalog.New: %v", err)
			}
			sql := tileSQL(&l)
			if l.TileGeoms != nil {
				sql = tileGeomsSQL(&l)
			}
			for _, w := range tt.want {
				if !strings.Contains(sql, w) {
					t.Errorf("tileSQL(%s) = %s\nwant it to contain %s", tt.name, sql, w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(sql, a) {
					t.Errorf("tileSQL(%s) = %s\nwant no %s", tt.name, sql, a)
				}
			}
			if got := placeholders(sql); !slices.Equal(got, tt.args) {
				t.Errorf("tileSQL(%s) references %v, want %v (what build passes)", tt.name, got, tt.args)
			}
		})
	}
}

// cremaTile holds most of Crema at zoom 12.
var cremaTile = maptile.New(2158, 1467, 12)

// TestTileEveryLayer builds a tile of every layer Atlante serves on a real
// database with the demo comuni: each query must run with the arguments
// build passes, and give a tile of that one layer.
func TestTileEveryLayer(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	if err := demo.Load(ctx, db.Write, slog.New(slog.NewTextHandler(io.Discard, nil)), "comuni"); err != nil {
		t.Fatalf("demo: %v", err)
	}
	var ls []catalog.Layer
	for _, domain := range [][]catalog.Layer{comuni.Layers(), coverage.Layers(), civilprotection.Layers(), energy.Layers()} {
		ls = append(ls, domain...)
	}
	cat, err := catalog.New(ls...)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	s := New(cat, db.Read, versions, 1<<20)
	for _, l := range cat.Layers() {
		t.Run(l.ID, func(t *testing.T) {
			tl := cremaTile
			for int(tl.Z) > l.MaxZoom {
				tl = tl.Parent()
			}
			for int(tl.Z) < l.MinZoom {
				tl = maptile.At(tl.Center(), tl.Z+1)
			}
			got, err := s.Tile(ctx, l, tl)
			if err != nil {
				t.Fatalf("Tile(%s, %v) = %v", l.ID, tl, err)
			}
			if want := s.ETag(l); got.ETag != want {
				t.Errorf("Tile(%s).ETag = %s, want %s", l.ID, got.ETag, want)
			}
			plain, err := got.Plain()
			if err != nil {
				t.Fatalf("Tile(%s).Plain() = %v", l.ID, err)
			}
			layers, err := mvt.Unmarshal(plain)
			if err != nil {
				t.Fatalf("Tile(%s): %v", l.ID, err)
			}
			if l.ID != "comuni" {
				// Only comuni hold data: an empty layer may be left out.
				for _, ml := range layers {
					if ml.Name != l.ID {
						t.Errorf("Tile(%s) has layer %q", l.ID, ml.Name)
					}
				}
				return
			}
			if len(layers) != 1 || layers[0].Name != "comuni" || len(layers[0].Features) == 0 {
				t.Fatalf("Tile(comuni, %v) = %d layers, want one named comuni with features", tl, len(layers))
			}
			var keys []string
			for k := range layers[0].Features[0].Properties {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			want := slices.Clone(l.TileProperties)
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Errorf("Tile(comuni) feature properties %v, want %v", keys, want)
			}
			layers.ProjectToWGS84(tl)
			crema := orb.Point{9.683003, 45.365904} // data/cremasco-comuni.csv
			found := false
			for _, f := range layers[0].Features {
				if f.Properties["istat_code"] == "019035" {
					found = true
					if !f.Geometry.Bound().Contains(crema) {
						t.Errorf("Tile(comuni): Crema's outline %v does not hold its centre %v", f.Geometry.Bound(), crema)
					}
				}
			}
			if !found {
				t.Errorf("Tile(comuni, %v) has no feature for Crema (019035)", tl)
			}
		})
	}

	// Outside the layer's zooms: NotFound, before any query.
	comuniLayer, _ := cat.Layer("comuni")
	if _, err := s.Tile(ctx, comuniLayer, maptile.New(0, 0, 17)); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("Tile(comuni, z17) = %v, want NotFound", err)
	}
}
