package features

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// crsLayers builds, around Crema, a layer of 300 points scattered over
// 9.55..9.80 E, 45.28..45.45 N and a layer of 40 polygons with a hole,
// both stored in SRID 4326 as every layer is.
func crsLayers(tb testing.TB) (*Service, *store.DB, []*catalog.Layer) {
	tb.Helper()
	db := storetest.NewDB(tb)
	ctx := context.Background()
	if _, err := db.Write.Exec(ctx, `
CREATE TABLE pts (id bigint PRIMARY KEY, geom geometry(Point, 4326));
INSERT INTO pts SELECT i, ST_SetSRID(ST_MakePoint(9.55 + 0.25 * abs(sin(i * 12.9898)), 45.28 + 0.17 * abs(sin(i * 78.233))), 4326)
FROM generate_series(1, 300) i;
CREATE TABLE polys (id bigint PRIMARY KEY, geom geometry(Polygon, 4326));
INSERT INTO polys SELECT i, ST_ForcePolygonCW(ST_Difference(ST_Buffer(p, 0.004, 8), ST_Buffer(p, 0.001, 4)))
FROM (SELECT i, ST_SetSRID(ST_MakePoint(9.56 + 0.23 * abs(sin(i * 3.7)), 45.29 + 0.15 * abs(sin(i * 5.3))), 4326) p
      FROM generate_series(1, 40) i) x;`); err != nil {
		tb.Fatal(err)
	}
	cat, err := catalog.New(
		catalog.Layer{ID: "pts", Table: pgx.Identifier{"public", "pts"}, IDColumn: "id", IDType: catalog.Integer,
			Geom: "geom", GeomType: "Point", MaxZoom: 14},
		catalog.Layer{ID: "polys", Table: pgx.Identifier{"public", "polys"}, IDColumn: "id", IDType: catalog.Integer,
			Geom: "geom", GeomType: "Polygon", MaxZoom: 14},
	)
	if err != nil {
		tb.Fatal(err)
	}
	versions, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		tb.Fatal(err)
	}
	pts, _ := cat.Layer("pts")
	polys, _ := cat.Layer("polys")
	return New(db.Read, versions), db, []*catalog.Layer{pts, polys}
}

// crsCases are the CRSs of Part 2 with the axis order and unit the EPSG
// dataset gives them (projinfo EPSG:n, PROJ 9.1), written here apart from
// geo's own table so that a slip there shows.
var crsCases = []struct {
	crs        geo.CRS
	srid       int
	northFirst bool
	degrees    bool
}{
	{geo.CRS84, 4326, false, true},
	{geo.EPSG4326, 4326, true, true},
	{geo.EPSG4258, 4258, true, true},
	{geo.EPSG3857, 3857, false, false},
	{geo.EPSG32632, 32632, false, false},
	{geo.EPSG6707, 6707, true, false},
	{geo.EPSG7791, 7791, false, false},
	{geo.EPSG3003, 3003, false, false},
}

// tolerance is a centimetre, in the unit of the CRS.
func tolerance(degrees bool) float64 {
	if degrees {
		return 1e-7 // 1.1 cm of latitude, 0.8 cm of longitude at 45° N
	}
	return 0.01
}

// positions flattens the coordinates of a GeoJSON geometry.
func positions(t *testing.T, raw []byte) [][]float64 {
	t.Helper()
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
		CRS         json.RawMessage `json:"crs"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("geometry %s: %v", raw, err)
	}
	if g.CRS != nil {
		t.Errorf("geometry %s has a crs member (RFC 7946 §4 removed it; Content-Crs says the CRS)", raw)
	}
	var out [][]float64
	var walk func(v any)
	walk = func(v any) {
		a := v.([]any)
		if _, ok := a[0].(float64); ok {
			p := make([]float64, len(a))
			for i := range a {
				p[i] = a[i].(float64)
			}
			out = append(out, p)
			return
		}
		for _, e := range a {
			walk(e)
		}
	}
	var c any
	if err := json.Unmarshal(g.Coordinates, &c); err != nil {
		t.Fatal(err)
	}
	walk(c)
	return out
}

// transformed returns, per id, the positions of the layer's geometries as
// PostGIS's ST_Transform gives them in srid, x first, unrounded.
func transformed(t *testing.T, db *store.DB, l *catalog.Layer, srid int) map[int64][][]float64 {
	t.Helper()
	rows, err := db.Read.Query(context.Background(), "SELECT id, ST_AsGeoJSON(ST_Transform(ST_ForcePolygonCCW(geom), $1::int), 15, 0) FROM "+
		l.Table.Sanitize()+" ORDER BY id", srid)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][][]float64{}
	for rows.Next() {
		var id int64
		var g string
		if err := rows.Scan(&id, &g); err != nil {
			t.Fatal(err)
		}
		out[id] = positions(t, []byte(g))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type servedFeature struct {
	ID       int64           `json:"id"`
	Geometry json.RawMessage `json:"geometry"`
}

func itemsIn(t *testing.T, s *Service, l *catalog.Layer, q Query) []servedFeature {
	t.Helper()
	var out []servedFeature
	if _, err := s.Items(context.Background(), l, q, func(b []byte) error {
		var f servedFeature
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("%s: %w", b, err)
		}
		out = append(out, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

var tooManyDecimals = map[bool]*regexp.Regexp{true: regexp.MustCompile(`\.\d{8}`), false: regexp.MustCompile(`\.\d{3}`)}

// TestItemsInEveryCRS checks every coordinate of both layers, in every
// CRS served, against PostGIS's ST_Transform on the same rows: within a
// centimetre, in the CRS's axis order (northing or latitude first where
// the EPSG definition says so), rounded to a centimetre, no crs member;
// and the single-feature path writes what the page does.
func TestItemsInEveryCRS(t *testing.T) {
	s, db, layers := crsLayers(t)
	if len(crsCases) != len(geo.SupportedCRSs()) {
		t.Fatalf("the test knows %d CRSs, %d are served", len(crsCases), len(geo.SupportedCRSs()))
	}
	for _, tc := range crsCases {
		for _, l := range layers {
			t.Run(tc.crs.String()+"/"+l.ID, func(t *testing.T) {
				want := transformed(t, db, l, tc.srid)
				got := itemsIn(t, s, l, Query{Limit: 1000, CRS: tc.crs})
				if len(got) != len(want) {
					t.Fatalf("%d features, the table has %d", len(got), len(want))
				}
				tol := tolerance(tc.degrees)
				worst := 0.0
				for _, f := range got {
					if tooManyDecimals[tc.degrees].Match(f.Geometry) {
						t.Errorf("feature %d: %s has more decimals than a centimetre needs", f.ID, f.Geometry)
					}
					ps, ws := positions(t, f.Geometry), want[f.ID]
					if len(ps) != len(ws) {
						t.Fatalf("feature %d: %d positions, ST_Transform gives %d", f.ID, len(ps), len(ws))
					}
					for i, p := range ps {
						x, y := p[0], p[1]
						if tc.northFirst {
							x, y = p[1], p[0]
						}
						d := math.Max(math.Abs(x-ws[i][0]), math.Abs(y-ws[i][1]))
						worst = math.Max(worst, d)
						if d > tol {
							t.Fatalf("feature %d position %d: %v, ST_Transform gives x, y = %v (northFirst %v)", f.ID, i, p, ws[i], tc.northFirst)
						}
						// Around Crema northing and latitude exceed easting
						// and longitude in every CRS served: the larger
						// number comes first exactly when north is first.
						if (p[0] > p[1]) != tc.northFirst {
							t.Fatalf("feature %d: %v is not in the axis order of %v (north first: %v)", f.ID, p, tc.crs, tc.northFirst)
						}
					}
				}
				t.Logf("largest difference from ST_Transform: %.3g", worst)

				// Rings are counterclockwise once back in x, y order.
				if l.GeomType == "Polygon" {
					for _, f := range got {
						g, err := geojson.UnmarshalGeometry(f.Geometry)
						if err != nil {
							t.Fatal(err)
						}
						for i, ring := range g.Geometry().(orb.Polygon) {
							if tc.northFirst {
								ring = slices.Clone(ring)
								for j := range ring {
									ring[j] = orb.Point{ring[j][1], ring[j][0]}
								}
							}
							if wantO := map[bool]orb.Orientation{true: orb.CCW, false: orb.CW}[i == 0]; ring.Orientation() != wantO {
								t.Errorf("feature %d ring %d: orientation %v in x, y order, want %v", f.ID, i, ring.Orientation(), wantO)
							}
						}
					}
				}

				one, err := s.Item(context.Background(), l, "7", tc.crs)
				if err != nil {
					t.Fatal(err)
				}
				var f servedFeature
				if err := json.Unmarshal(one, &f); err != nil {
					t.Fatal(err)
				}
				if !slices.EqualFunc(positions(t, f.Geometry), positions(t, got[6].Geometry), slices.Equal) {
					t.Errorf("Item 7 in %v: %s, the page: %s", tc.crs, f.Geometry, got[6].Geometry)
				}
			})
		}
	}
}

// TestItemsBBoxInEveryCRS selects, in every CRS, the features that meet
// the middle of the layer's extent expressed in that CRS, and compares the
// ids with PostGIS testing the same box in the same CRS.
func TestItemsBBoxInEveryCRS(t *testing.T) {
	s, db, layers := crsLayers(t)
	ctx := context.Background()
	for _, tc := range crsCases {
		for _, l := range layers {
			t.Run(tc.crs.String()+"/"+l.ID, func(t *testing.T) {
				var x0, y0, x1, y1 float64
				if err := db.Read.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
					FROM (SELECT ST_Extent(ST_Transform(geom, $1::int)) e FROM `+l.Table.Sanitize()+`) x`, tc.srid).Scan(&x0, &y0, &x1, &y1); err != nil {
					t.Fatal(err)
				}
				// The middle of the extent: it cuts through features.
				w, h := x1-x0, y1-y0
				box := [4]float64{x0 + w/4, y0 + h/3, x0 + 3*w/4, y0 + 2*h/3}
				param := box
				if tc.northFirst {
					param = [4]float64{box[1], box[0], box[3], box[2]}
				}
				text := fmt.Sprintf("%.10f,%.10f,%.10f,%.10f", param[0], param[1], param[2], param[3])
				b, err := geo.ParseBBoxIn(text, tc.crs)
				if err != nil {
					t.Fatal(err)
				}
				var want []int64
				rows, err := db.Read.Query(ctx, `SELECT id FROM `+l.Table.Sanitize()+`
					WHERE ST_Intersects(ST_Transform(geom, $5::int), ST_MakeEnvelope($1, $2, $3, $4, $5::int)) ORDER BY id`,
					b.Min[0], b.Min[1], b.Max[0], b.Max[1], tc.srid)
				if err != nil {
					t.Fatal(err)
				}
				if want, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
					t.Fatal(err)
				}
				var all int
				if err := db.Read.QueryRow(ctx, "SELECT count(*) FROM "+l.Table.Sanitize()).Scan(&all); err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 || len(want) == all {
					t.Fatalf("the box selects %d of %d: it proves nothing", len(want), all)
				}
				var got []int64
				for _, f := range itemsIn(t, s, l, Query{Limit: 1000, BBox: &b, BBoxCRS: tc.crs}) {
					got = append(got, f.ID)
				}
				if !slices.Equal(got, want) {
					t.Errorf("bbox=%s&bbox-crs=%s: ids %v,\n PostGIS in EPSG:%d: %v", text, tc.crs.URI(), got, tc.srid, want)
				}
				// The count agrees, uncached and cached.
				for range 2 {
					n, err := s.count(ctx, l, Query{Limit: 1, BBox: &b, BBoxCRS: tc.crs})
					if err != nil || n != int64(len(want)) {
						t.Errorf("count = %d, %v; want %d", n, err, len(want))
					}
				}
			})
		}
	}
}

// TestBBoxInProjectedCRSUsesTheIndex checks that a box in a projected CRS
// still reaches the table through its GiST index: the box is transformed
// once, not the column on every row.
func TestBBoxInProjectedCRSUsesTheIndex(t *testing.T) {
	_, db, layers := crsLayers(t)
	ctx := context.Background()
	if _, err := db.Write.Exec(ctx, `CREATE INDEX ON pts USING gist (geom); ANALYZE pts`); err != nil {
		t.Fatal(err)
	}
	b, err := geo.ParseBBoxIn("5020000,550000,5025000,556000", geo.EPSG6707)
	if err != nil {
		t.Fatal(err)
	}
	w, args := where(layers[0], Query{BBox: &b, BBoxCRS: geo.EPSG6707}, nil, boxIndexed)
	tx, err := db.Read.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, "EXPLAIN SELECT t.id FROM public.pts t"+w, args...)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "Index") || !strings.Contains(text, "pts_geom_idx") {
		t.Errorf("a bbox in EPSG:6707 does not use the GiST index:\n%s", text)
	}
	if strings.Contains(text, "st_transform(t.geom") {
		t.Errorf("the plan transforms the column:\n%s", text)
	}
}

// TestCRS84TransformsNothing checks that the default path stays the one
// pages always took: no ST_Transform, no axis swap, 7 decimals; and that
// every other CRS does transform (EPSG:4326 only swaps).
func TestCRS84TransformsNothing(t *testing.T) {
	l := &catalog.Layer{ID: "x", Table: pgx.Identifier{"public", "x"}, IDColumn: "id", Geom: "geom", GeomType: "Polygon"}
	for _, c := range append(geo.SupportedCRSs(), geo.CRS{}) {
		for name, sql := range map[string]string{"page": pageSQL(l, "", 1, 2, nil, false, c), "deferred page": pageSQL(l, "", 1, 2, nil, true, c), "item": featureSQLIn(l, c)} {
			transforms, swaps := strings.Contains(sql, "ST_Transform"), strings.Contains(sql, "ST_FlipCoordinates")
			wantT, wantS := c.SRID != geo.WGS84 && c.SRID != 0, c.NorthFirst
			if transforms != wantT || swaps != wantS || c.IsCRS84() && !strings.Contains(sql, `ST_AsGeoJSON(ST_ForcePolygonCCW(t."geom"), 7)`) {
				t.Errorf("%s SQL in %v: ST_Transform %v, ST_FlipCoordinates %v; want %v, %v:\n%s", name, c, transforms, swaps, wantT, wantS, sql)
			}
		}
	}
}
