package features_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/cql2"
	"github.com/cremasco/atlante/internal/app"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// filterFixture is the demo, plus what the questions below need: three
// civic numbers on Via dell'Umanità in Crema, spelt three ways; scenarios
// changed on different days of 2025.
type filterFixture struct {
	db  *store.DB
	svc *features.Service
	cat *catalog.Catalog
	// cremaWKT is the stored boundary of Crema as WKT, exactly.
	cremaWKT string
}

func newFilterFixture(t *testing.T) *filterFixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.NewDB(t)
	if err := demo.Load(ctx, db.Write, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO civici (istat_code, street, street_key, number, source, synthetic, geom) VALUES
			('019035', 'Via dell''Umanità', 'VIA DELL UMANITA', 1, 'test', true, ST_SetSRID(ST_MakePoint(9.6901, 45.3641), 4326)),
			('019035', 'VIA DELL''UMANITÀ', 'VIA DELL UMANITA', 3, 'test', true, ST_SetSRID(ST_MakePoint(9.6903, 45.3642), 4326)),
			('019035', 'Via dell''Umanita', 'VIA DELL UMANITA', NULL, 'test', true, ST_SetSRID(ST_MakePoint(9.6905, 45.3643), 4326))`,
		`ALTER TABLE cp_scenarios DISABLE TRIGGER cp_scenarios_row_version, DISABLE TRIGGER cp_scenarios_plan_open`,
		`UPDATE cp_scenarios SET updated_at = '2025-01-01T08:00:00Z'::timestamptz + id * interval '3 days'`,
		`ALTER TABLE cp_scenarios ENABLE TRIGGER cp_scenarios_row_version, ENABLE TRIGGER cp_scenarios_plan_open`,
	} {
		if _, err := db.Write.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	versions, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := app.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	f := &filterFixture{db: db, svc: features.New(db.Read, versions), cat: cat}
	if err := db.Read.QueryRow(ctx, `SELECT ST_AsText(geom) FROM comuni WHERE istat_code = '019035'`).Scan(&f.cremaWKT); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *filterFixture) layer(t testing.TB, id string) *catalog.Layer {
	t.Helper()
	l, ok := f.cat.Layer(id)
	if !ok {
		t.Fatalf("no layer %s", id)
	}
	return l
}

// items returns the ids Items streams for q, every page of them, sorted,
// and the numberMatched of the first page.
func (f *filterFixture) items(t testing.TB, l *catalog.Layer, q features.Query) ([]string, int64) {
	t.Helper()
	var ids []string
	matched := int64(-1)
	q.Limit = features.MaxLimit
	for {
		page, err := f.svc.Items(context.Background(), l, q, func(b []byte) error {
			var v struct{ ID json.RawMessage }
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			ids = append(ids, strings.Trim(string(v.ID), `"`))
			return nil
		})
		if err != nil {
			t.Fatalf("Items(%s, %v) = %v", l.ID, q.Values(q.Offset), err)
		}
		if matched < 0 {
			matched = page.NumberMatched
		}
		if page.NumberReturned < q.Limit {
			break
		}
		q.Offset += q.Limit
	}
	slices.Sort(ids)
	return ids, matched
}

// want returns the ids of l's rows that satisfy cond, a condition written
// by hand over the layer's table or view (alias t).
func (f *filterFixture) want(t testing.TB, l *catalog.Layer, cond string) []string {
	t.Helper()
	rows, err := f.db.Read.Query(context.Background(), "SELECT t."+pgx.Identifier{l.IDColumn}.Sanitize()+"::text FROM "+
		l.Table.Sanitize()+" t WHERE "+cond)
	if err != nil {
		t.Fatalf("hand-written SQL %q: %v", cond, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("hand-written SQL %q: %v", cond, err)
	}
	slices.Sort(ids)
	return ids
}

// parse reads a filter through the items' query string.
func parse(t testing.TB, l *catalog.Layer, v url.Values) features.Query {
	t.Helper()
	q, err := features.ParseQuery(l, v)
	if err != nil {
		t.Fatalf("ParseQuery(%s, %s) = %v", l.ID, v.Encode(), err)
	}
	return q
}

// TestFilter runs the filter tests that need data over one copy of the
// demo (loading it takes most of the time).
func TestFilter(t *testing.T) {
	f := newFilterFixture(t)
	t.Run("conformance", func(t *testing.T) { testFilterConformance(t, f) })
	t.Run("with other parameters", func(t *testing.T) { testFilterWithOtherParameters(t, f) })
	t.Run("runtime error", func(t *testing.T) { testFilterRuntimeError(t, f) })
	t.Run("injection", func(t *testing.T) { testFilterInjection(t, f) })
	t.Run("queryables are filterable", func(t *testing.T) { testQueryablesAreFilterable(t, f) })
	t.Run("filter-crs", func(t *testing.T) { testFilterCRS(t, f) })
}

// testFilterCRS sends, in every CRS served as filter-crs and in its axis
// order, a polygon and a box around the centre of Crema, and compares the
// civic numbers selected with PostGIS testing the same shapes in the same
// CRS; the next page's query (filter-crs kept) selects the same.
func testFilterCRS(t *testing.T, f *filterFixture) {
	ctx := context.Background()
	l := f.layer(t, "civici")
	const area = "POLYGON((9.675 45.355, 9.702 45.357, 9.699 45.376, 9.676 45.372, 9.675 45.355))"
	all := f.want(t, l, "true")
	for _, c := range geo.SupportedCRSs() {
		t.Run(c.String(), func(t *testing.T) {
			srid := int(c.SRID)
			// The polygon in c, x first (for the SQL) and in c's order (for
			// the filter); a box within its extent.
			var xy, ordered string
			var b orb.Bound
			if err := f.db.Read.QueryRow(ctx, `SELECT ST_AsText(g, 12), ST_AsText(CASE WHEN $3 THEN ST_FlipCoordinates(g) ELSE g END, 12),
				ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)
				FROM (SELECT ST_Transform(ST_GeomFromText($1, 4326), $2::int) g) x`, area, srid, c.NorthFirst).
				Scan(&xy, &ordered, &b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1]); err != nil {
				t.Fatal(err)
			}
			w := b.Max[0] - b.Min[0]
			box := orb.Bound{Min: orb.Point{b.Min[0] + w/4, b.Min[1]}, Max: orb.Point{b.Max[0], (b.Min[1] + b.Max[1]) / 2}}
			lit := box
			if c.NorthFirst {
				lit = geo.SwapXY(box).(orb.Bound)
			}
			num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
			for _, tt := range []struct{ filter, sql string }{
				{"S_INTERSECTS(geometry, " + ordered + ")",
					fmt.Sprintf("ST_Intersects(ST_Transform(t.geom, %d), ST_GeomFromText('%s', %d))", srid, xy, srid)},
				{"S_INTERSECTS(geometry, BBOX(" + num(lit.Min[0]) + ", " + num(lit.Min[1]) + ", " + num(lit.Max[0]) + ", " + num(lit.Max[1]) + "))",
					fmt.Sprintf("ST_Intersects(ST_Transform(t.geom, %d), ST_MakeEnvelope(%s, %s, %s, %s, %d))", srid, num(box.Min[0]), num(box.Min[1]), num(box.Max[0]), num(box.Max[1]), srid)},
			} {
				want := f.want(t, l, tt.sql)
				if len(want) == 0 || len(want) == len(all) {
					t.Fatalf("%s selects %d of %d civic numbers: it proves nothing", tt.sql, len(want), len(all))
				}
				q := parse(t, l, url.Values{"filter": {tt.filter}, "filter-crs": {c.URI()}})
				got, matched := f.items(t, l, q)
				if !slices.Equal(got, want) || matched != int64(len(want)) {
					t.Errorf("filter=%s&filter-crs=%s: %d civic numbers (matched %d), PostGIS in EPSG:%d: %d", tt.filter, c, len(got), matched, srid, len(want))
				}
				again, _ := f.items(t, l, parse(t, l, q.Values(0)))
				if !slices.Equal(again, want) {
					t.Errorf("the links of filter=%s&filter-crs=%s select %d civic numbers, want %d", tt.filter, c, len(again), len(want))
				}
			}
		})
	}
}

// filterCase is a filter and the same selection written by hand in SQL.
type filterCase struct {
	layer, filter, sql string
	lang               string // "" for cql2-text, which is also sent as its cql2-json twin
	empty              bool   // the selection is empty; otherwise it must not be
}

// testFilterConformance runs the filters of every CQL2 conformance class
// declared in /conformance against the demo, and compares the ids and
// numberMatched of the items with those of SQL written by hand; each
// cql2-text filter is also sent as its cql2-json twin. Positive cases must
// select something and a few must select nothing, so that no comparison is
// vacuous.
func testFilterConformance(t *testing.T, f *filterFixture) {
	crema := f.cremaWKT
	classes := map[string][]filterCase{
		"basic-cql2": {
			{layer: "civici", filter: "istat_code = '019035' AND number <= 3", sql: "t.istat_code = '019035' AND t.number <= 3"},
			{layer: "civici", filter: "best_status IS NULL AND istat_code = '019035'", sql: "t.best_status IS NULL AND t.istat_code = '019035'"},
			// NULL is unknown: NOT (x = y) does not select it.
			{layer: "civici", filter: "NOT best_status = 'planned' AND istat_code = '019035'", sql: "t.best_status IS NOT NULL AND t.best_status <> 'planned' AND t.istat_code = '019035'"},
			{layer: "civici", filter: "best_status <> 'planned' OR best_status IS NULL", sql: "t.best_status IS DISTINCT FROM 'planned'"},
			{layer: "civici", filter: "number IS NOT NULL AND street = 'Via dell''Umanità'", sql: "t.street = 'Via dell''Umanità' AND t.number IS NOT NULL"},
			{layer: "civici", filter: "id = 5 OR id > 60010", sql: "t.id = 5 OR t.id > 60010"},
			{layer: "civici", filter: "istat_code = '999999'", sql: "false", empty: true},
			{layer: "civici", filter: "synthetic = FALSE", sql: "NOT t.synthetic", empty: true},
			{layer: "scenarios", filter: "severity >= 3 AND hazard = 'idraulico'", sql: "t.severity >= 3 AND t.hazard = 'idraulico'"},
			{layer: "scenarios", filter: "severity > 4", sql: "t.severity > 4", empty: true},
			{layer: "scenarios", filter: "updated_at < TIMESTAMP('2025-03-01T00:00:00Z')", sql: "t.updated_at < '2025-03-01T00:00:00Z'"},
			{layer: "emergency-areas", filter: "capacity > 200", sql: "t.capacity > 200"},
			{layer: "comuni", filter: "name = 'Crema'", sql: "t.name = 'Crema'"},
			{layer: "comuni", filter: "consortium = TRUE AND area_km2 > 20.5", sql: "t.consortium AND t.area_km2 > 20.5"},
			{layer: "comuni", filter: "TRUE", sql: "true"},
			{layer: "comuni", filter: "FALSE OR name = 'Moscazzano'", sql: "t.name = 'Moscazzano'"},
			{layer: "energy-sites", filter: "community_eligible = FALSE", sql: "NOT t.community_eligible"},
			{layer: "plan-status", filter: "validated_at IS NULL", sql: "t.validated_at IS NULL"},
			{layer: "plan-status", filter: "has_validated_plan = TRUE AND status <> 'validated'", sql: "t.has_validated_plan AND t.status <> 'validated'"},
			{layer: "plan-status", filter: "status_since >= TIMESTAMP('2025-06-01T00:00:00Z')", sql: "t.status_since >= '2025-06-01T00:00:00Z'"},
		},
		"advanced-comparison-operators": {
			{layer: "civici", filter: "street LIKE 'Via S%' AND istat_code = '019035'", sql: "t.street LIKE 'Via S%' AND t.istat_code = '019035'"},
			{layer: "civici", filter: "istat_code LIKE '01903_' AND number = 1", sql: "t.istat_code LIKE '01903_' AND t.number = 1"},
			{layer: "civici", filter: "street NOT LIKE 'Via%' AND istat_code = '019035'", sql: "t.street NOT LIKE 'Via%' AND t.istat_code = '019035'"},
			{layer: "civici", filter: `street LIKE '%\%%'`, sql: `strpos(t.street, '%') > 0`, empty: true},
			{layer: "civici", filter: "street LIKE 'via s%'", sql: "t.street LIKE 'via s%'", empty: true},
			{layer: "civici", filter: "number BETWEEN 10 AND 12 AND istat_code = '019035'", sql: "t.number >= 10 AND t.number <= 12 AND t.istat_code = '019035'"},
			{layer: "civici", filter: "number NOT BETWEEN 2 AND 1000 AND istat_code = '019035'", sql: "(t.number < 2 OR t.number > 1000) AND t.istat_code = '019035'"},
			{layer: "civici", filter: "best_technology IN ('FTTH', 'FWA') AND istat_code = '019035'", sql: "t.best_technology IN ('FTTH', 'FWA') AND t.istat_code = '019035'"},
			{layer: "civici", filter: "best_status NOT IN ('planned', 'in_works') AND istat_code = '019035'", sql: "t.best_status IN ('connectable', 'active') AND t.istat_code = '019035'"},
			{layer: "civici", filter: "id IN (1, 2, 3, 70000)", sql: "t.id IN (1, 2, 3)"},
			{layer: "scenarios", filter: "hazard IN ('sismico')", sql: "t.hazard = 'sismico'", empty: true},
			{layer: "energy-sites", filter: "pv_kw BETWEEN 20 AND 200", sql: "t.pv_kw >= 20 AND t.pv_kw <= 200"},
		},
		"case-insensitive-comparison": {
			{layer: "civici", filter: "CASEI(street) = CASEI('VIA LIBERTÀ')", sql: `t.street = 'Via Libertà'`},
			{layer: "civici", filter: "CASEI(street) LIKE CASEI('%GARIBALDI%') AND istat_code = '019035'", sql: "t.street IN ('Via Garibaldi', 'Piazza Garibaldi') AND t.istat_code = '019035'"},
			{layer: "civici", filter: "CASEI(street) IN (CASEI('PIAZZA GARIBALDI'), CASEI('via roma')) AND istat_code = '019035'", sql: "t.street IN ('Piazza Garibaldi', 'Via Roma') AND t.istat_code = '019035'"},
			{layer: "civici", filter: "CASEI(street) = CASEI('via dell''umanità')", sql: "t.street IN ('Via dell''Umanità', 'VIA DELL''UMANITÀ')"},
			{layer: "comuni", filter: "CASEI(name) = CASEI('RIPALTA CREMASCA')", sql: "t.name = 'Ripalta Cremasca'"},
		},
		"accent-insensitive-comparison": {
			{layer: "civici", filter: "ACCENTI(street) = ACCENTI('Via Liberta')", sql: "t.street = 'Via Libertà'"},
			{layer: "civici", filter: "ACCENTI(CASEI(street)) LIKE ACCENTI(CASEI('%UMANITA%'))", sql: "t.street IN ('Via dell''Umanità', 'VIA DELL''UMANITÀ', 'Via dell''Umanita')"},
			{layer: "civici", filter: "CASEI(ACCENTI(street)) = CASEI(ACCENTI('via dell''umanità'))", sql: "t.street IN ('Via dell''Umanità', 'VIA DELL''UMANITÀ', 'Via dell''Umanita')"},
			{layer: "civici", filter: "ACCENTI(street) = ACCENTI('Via dell''Umanità')", sql: "t.street IN ('Via dell''Umanità', 'Via dell''Umanita')"},
			{layer: "civici", filter: "street = 'Via dell''Umanità'", sql: "t.street = 'Via dell''Umanità'"},
			{layer: "comuni", filter: "ACCENTI(CASEI(name)) LIKE ACCENTI(CASEI('rìpalta%'))", sql: "t.name LIKE 'Ripalta%'"},
		},
		"basic-spatial-functions": {
			{layer: "comuni", filter: "S_INTERSECTS(geometry, POINT(9.69 45.36))", sql: "t.istat_code = '019035'"},
			{layer: "civici", filter: "S_INTERSECTS(geometry, BBOX(9.68, 45.36, 9.70, 45.37))", sql: "ST_X(t.geom) BETWEEN 9.68 AND 9.70 AND ST_Y(t.geom) BETWEEN 45.36 AND 45.37"},
			{layer: "civici", filter: "S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))", sql: "false", empty: true},
			{layer: "scenarios", filter: "S_INTERSECTS(geometry, BBOX(9.60, 45.30, 9.65, 45.35))", sql: "ST_Intersects(t.geom, ST_MakeEnvelope(9.60, 45.30, 9.65, 45.35, 4326))"},
		},
		"basic-spatial-functions-plus": {
			{layer: "civici", filter: "S_INTERSECTS(geometry, POLYGON((9.68 45.36, 9.70 45.36, 9.70 45.37, 9.68 45.36)))", sql: "ST_Intersects(t.geom, 'SRID=4326;POLYGON((9.68 45.36, 9.70 45.36, 9.70 45.37, 9.68 45.36))'::geometry)"},
			{layer: "comuni", filter: "S_INTERSECTS(geometry, MULTIPOINT((9.69 45.36), (9.60 45.40)))", sql: "ST_Intersects(t.geom, ST_SetSRID(ST_MakePoint(9.69, 45.36), 4326)) OR ST_Intersects(t.geom, ST_SetSRID(ST_MakePoint(9.60, 45.40), 4326))"},
			{layer: "comuni", filter: "S_INTERSECTS(geometry, LINESTRING(9.60 45.36, 9.80 45.36))", sql: "ST_Intersects(t.geom, 'SRID=4326;LINESTRING(9.60 45.36, 9.80 45.36)'::geometry)"},
			{layer: "comuni", filter: "S_INTERSECTS(geometry, MULTILINESTRING((9.60 45.36, 9.61 45.36), (9.80 45.30, 9.81 45.31)))", sql: "ST_Intersects(t.geom, 'SRID=4326;MULTILINESTRING((9.60 45.36, 9.61 45.36), (9.80 45.30, 9.81 45.31))'::geometry)"},
			{layer: "civici", filter: "S_INTERSECTS(geometry, MULTIPOLYGON(((9.68 45.36, 9.69 45.36, 9.69 45.37, 9.68 45.36)), ((9.70 45.36, 9.71 45.36, 9.71 45.37, 9.70 45.36))))", sql: "ST_Intersects(t.geom, 'SRID=4326;MULTIPOLYGON(((9.68 45.36, 9.69 45.36, 9.69 45.37, 9.68 45.36)), ((9.70 45.36, 9.71 45.36, 9.71 45.37, 9.70 45.36)))'::geometry)"},
			{layer: "comuni", filter: "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(9.69 45.36), LINESTRING(9.50 45.45, 9.51 45.45)))", sql: "ST_Intersects(t.geom, 'SRID=4326;GEOMETRYCOLLECTION(POINT(9.69 45.36), LINESTRING(9.50 45.45, 9.51 45.45))'::geometry)"},
		},
		"spatial-functions": {
			// A civil-protection officer: scenarios of severity >= 3 that a road crosses.
			{layer: "scenarios", filter: "severity >= 3 AND S_INTERSECTS(geometry, LINESTRING(9.60 45.30, 9.75 45.42))", sql: "t.severity >= 3 AND ST_Intersects(t.geom, 'SRID=4326;LINESTRING(9.60 45.30, 9.75 45.42)'::geometry)"},
			{layer: "emergency-areas", filter: "capacity > 200 AND S_WITHIN(geometry, POLYGON((9.5 45.25, 9.9 45.25, 9.9 45.5, 9.5 45.5, 9.5 45.25)))", sql: "t.capacity > 200 AND ST_Within(t.geom, ST_MakeEnvelope(9.5, 45.25, 9.9, 45.5, 4326))"},
			{layer: "comuni", filter: "S_CONTAINS(geometry, POINT(9.69 45.36))", sql: "t.name = 'Crema'"},
			{layer: "comuni", filter: "S_DISJOINT(geometry, POLYGON((9.68 45.36, 9.70 45.36, 9.70 45.37, 9.68 45.36)))", sql: "t.istat_code <> '019035'"},
			{layer: "comuni", filter: "S_TOUCHES(geometry, " + crema + ")", sql: "ST_Touches(t.geom, (SELECT geom FROM comuni WHERE istat_code = '019035')) AND t.istat_code <> '019035'"},
			{layer: "comuni", filter: "S_EQUALS(geometry, " + crema + ")", sql: "t.istat_code = '019035'"},
			{layer: "comuni", filter: "S_OVERLAPS(geometry, POLYGON((9.66 45.35, 9.72 45.35, 9.72 45.38, 9.66 45.38, 9.66 45.35)))", sql: "ST_Overlaps(t.geom, ST_MakeEnvelope(9.66, 45.35, 9.72, 45.38, 4326))"},
			{layer: "comuni", filter: "S_CROSSES(geometry, LINESTRING(9.60 45.36, 9.80 45.36))", sql: "ST_Crosses(t.geom, 'SRID=4326;LINESTRING(9.60 45.36, 9.80 45.36)'::geometry)"},
			{layer: "network", filter: "S_CROSSES(geometry, LINESTRING(9.60 45.36, 9.80 45.36))", sql: "ST_Crosses(t.geom, 'SRID=4326;LINESTRING(9.60 45.36, 9.80 45.36)'::geometry)"},
			{layer: "comuni", filter: "S_WITHIN(geometry, POLYGON((9.68 45.36, 9.70 45.36, 9.70 45.37, 9.68 45.36)))", sql: "false", empty: true},
		},
		"temporal-functions": {
			{layer: "plan-status", filter: "T_AFTER(status_since, TIMESTAMP('2025-06-01T00:00:00Z'))", sql: "t.status_since > '2025-06-01T00:00:00Z'"},
			// A date is its whole day: before it is before its midnight, after it after its last instant.
			{layer: "plan-status", filter: "T_BEFORE(validated_at, DATE('2025-06-12'))", sql: "t.validated_at < '2025-06-12T00:00:00Z'"},
			{layer: "plan-status", filter: "T_AFTER(validated_at, DATE('2025-06-11'))", sql: "t.validated_at >= '2025-06-12T00:00:00Z'"},
			{layer: "plan-status", filter: "T_EQUALS(validated_at, status_since)", sql: "t.validated_at = t.status_since"},
			{layer: "plan-status", filter: "T_INTERSECTS(status_since, INTERVAL('2025-03-01', '2025-04-30'))", sql: "t.status_since >= '2025-03-01T00:00:00Z' AND t.status_since < '2025-05-01T00:00:00Z'"},
			{layer: "plan-status", filter: "T_DISJOINT(status_since, INTERVAL('2025-01-01T00:00:00Z', '..'))", sql: "t.status_since < '2025-01-01T00:00:00Z'", empty: true},
			{layer: "plan-status", filter: "T_DISJOINT(status_since, INTERVAL('2025-01-01', '2025-02-01'))", sql: "t.status_since >= '2025-02-02T00:00:00Z'"},
			{layer: "plan-status", filter: "T_DURING(INTERVAL(validated_at, status_since), INTERVAL('2025-01-01T00:00:00Z', '..'))", sql: "t.validated_at > '2025-01-01T00:00:00Z' AND t.status_since IS NOT NULL"},
			{layer: "plan-status", filter: "T_CONTAINS(INTERVAL('2025-01-01T00:00:00Z', '2025-12-31T00:00:00Z'), INTERVAL(validated_at, status_since))", sql: "t.validated_at > '2025-01-01T00:00:00Z' AND t.status_since < '2025-12-31T00:00:00Z'"},
			{layer: "plan-status", filter: "T_STARTS(INTERVAL(validated_at, status_since), INTERVAL(validated_at, '..'))", sql: "t.validated_at IS NOT NULL AND t.status_since IS NOT NULL"},
			{layer: "plan-status", filter: "T_STARTEDBY(INTERVAL(validated_at, '..'), INTERVAL(validated_at, status_since))", sql: "t.validated_at IS NOT NULL AND t.status_since IS NOT NULL"},
			{layer: "plan-status", filter: "T_FINISHES(INTERVAL(validated_at, status_since), INTERVAL('..', status_since))", sql: "t.validated_at IS NOT NULL AND t.status_since IS NOT NULL"},
			{layer: "plan-status", filter: "T_FINISHEDBY(INTERVAL('..', status_since), INTERVAL(validated_at, status_since))", sql: "t.validated_at IS NOT NULL AND t.status_since IS NOT NULL"},
			{layer: "plan-status", filter: "T_MEETS(INTERVAL('2025-01-01T00:00:00Z', validated_at), INTERVAL(status_since, '..'))", sql: "t.validated_at = t.status_since"},
			{layer: "plan-status", filter: "T_METBY(INTERVAL(status_since, '..'), INTERVAL('2024-01-01T00:00:00Z', validated_at))", sql: "t.validated_at = t.status_since"},
			{layer: "plan-status", filter: "T_OVERLAPS(INTERVAL(validated_at, status_since), INTERVAL('2025-03-01T00:00:00Z', '..'))", sql: "t.validated_at < '2025-03-01T00:00:00Z' AND t.status_since > '2025-03-01T00:00:00Z'"},
			{layer: "plan-status", filter: "T_OVERLAPPEDBY(INTERVAL(validated_at, status_since), INTERVAL('2025-01-01T00:00:00Z', '2025-03-01T00:00:00Z'))", sql: "t.validated_at > '2025-01-01T00:00:00Z' AND t.validated_at < '2025-03-01T00:00:00Z' AND t.status_since > '2025-03-01T00:00:00Z'"},
			{layer: "plan-status", filter: "T_DURING(INTERVAL('2025-02-01', '2025-02-10'), INTERVAL('2025-01-01', '..')) AND istat_code = '019035'", sql: "t.istat_code = '019035'"},
			{layer: "plan-status", filter: "T_EQUALS(INTERVAL('2025-02-01', '..'), INTERVAL('2025-02-01', '..')) AND istat_code = '019035'", sql: "t.istat_code = '019035'"},
			{layer: "scenarios", filter: "T_BEFORE(updated_at, TIMESTAMP('2025-02-01T00:00:00Z'))", sql: "t.updated_at < '2025-02-01T00:00:00Z'"},
			{layer: "scenarios", filter: "T_INTERSECTS(updated_at, INTERVAL('2025-02-01', '2025-02-28'))", sql: "t.updated_at >= '2025-02-01T00:00:00Z' AND t.updated_at < '2025-03-01T00:00:00Z'"},
		},
		"property-property": {
			{layer: "plan-status", filter: "validated_at = status_since", sql: "t.validated_at = t.status_since"},
			{layer: "plan-status", filter: "validated_version < version", sql: "t.validated_version < t.version"},
			{layer: "energy-sites", filter: "pv_kw > storage_kwh", sql: "t.pv_kw > t.storage_kwh"},
			{layer: "emergency-areas", filter: "200 < capacity", sql: "t.capacity > 200"},
			{layer: "civici", filter: "'019035' = istat_code AND 3 >= number", sql: "t.istat_code = '019035' AND t.number <= 3"},
			{layer: "comuni", filter: "S_INTERSECTS(POINT(9.69 45.36), geometry)", sql: "t.istat_code = '019035'"},
			{layer: "comuni", filter: "S_INTERSECTS(POINT(9.69 45.36), POINT(9.69 45.36)) AND name LIKE 'C%'", sql: "t.name LIKE 'C%'"},
			{layer: "comuni", filter: "'a' = 'b'", sql: "false", empty: true},
		},
		"arithmetic": {
			// Energy planners: sites that would produce more than they use (1,250 kWh per kW).
			{layer: "energy-sites", filter: "pv_kw * 1250 > consumption_kwh", sql: "t.pv_kw * 1250 > t.consumption_kwh"},
			{layer: "energy-sites", filter: "pv_kw / 2 >= 90", sql: "t.pv_kw >= 180"},
			{layer: "energy-sites", filter: "pv_kw - storage_kwh + 1 > 100", sql: "t.pv_kw - t.storage_kwh + 1 > 100"},
			{layer: "emergency-areas", filter: "capacity % 100 = 0", sql: "t.capacity % 100 = 0"},
			{layer: "emergency-areas", filter: "capacity div 100 = 2", sql: "t.capacity / 100 = 2"},
			{layer: "emergency-areas", filter: "-capacity < -250", sql: "t.capacity > 250"},
			{layer: "emergency-areas", filter: "capacity + 50 BETWEEN 250 AND 300", sql: "t.capacity BETWEEN 200 AND 250"},
			{layer: "scenarios", filter: "2 ^ severity >= 8", sql: "t.severity >= 3"},
			{layer: "emergency-areas", filter: "capacity / 3 = 100", sql: "t.capacity = 300", empty: true},
		},
		// GDAL's OAPIF driver pushes a -where down in these forms (filter-lang=cql-text).
		"gdal": {
			{layer: "scenarios", lang: features.LangGDAL, filter: "(updated_at > '2025-02-01T') AND (severity >= 3)", sql: "t.updated_at > '2025-02-01T00:00:00Z' AND t.severity >= 3"},
			{layer: "scenarios", lang: features.LangGDAL, filter: "updated_at <= '2025-02-10T08:00:00Z'", sql: "t.updated_at <= '2025-02-10T08:00:00Z'"},
			{layer: "comuni", lang: features.LangGDAL, filter: "(consortium = 1) AND (name LIKE 'crema%')", sql: "t.consortium AND t.name ILIKE 'crema%'"},
			{layer: "comuni", lang: features.LangGDAL, filter: "NOT (consortium = 0)", sql: "t.consortium"},
			{layer: "plan-status", lang: features.LangGDAL, filter: "(validated_at IS NULL)", sql: "t.validated_at IS NULL"},
			{layer: "civici", lang: features.LangGDAL, filter: "(street ILIKE 'via dell''umanit%') AND (number = 1)", sql: "t.street ILIKE 'via dell''umanit%' AND t.number = 1"},
		},
	}
	for class, cases := range classes {
		for i, c := range cases {
			t.Run(fmt.Sprintf("%s/%d", class, i), func(t *testing.T) {
				l := f.layer(t, c.layer)
				want := f.want(t, l, c.sql)
				if c.empty != (len(want) == 0) {
					t.Fatalf("the hand-written SQL %q selects %d features; the case says empty=%v", c.sql, len(want), c.empty)
				}
				encodings := []url.Values{{"filter": {c.filter}}}
				if c.lang != "" {
					encodings[0].Set("filter-lang", c.lang)
				} else {
					tree, err := cql2.ParseText(c.filter)
					if err != nil {
						t.Fatal(err)
					}
					js, err := cql2.JSON(tree)
					if err != nil {
						t.Fatal(err)
					}
					encodings = append(encodings, url.Values{"filter": {string(js)}, "filter-lang": {"cql2-json"}})
				}
				for _, v := range encodings {
					q := parse(t, l, v)
					got, matched := f.items(t, l, q)
					if !slices.Equal(got, want) {
						t.Errorf("%s items?%s: %d features %.200v, want %d %.200v (%s)", l.ID, v.Encode(), len(got), got, len(want), want, c.sql)
					}
					if matched != int64(len(want)) {
						t.Errorf("%s items?%s: numberMatched %d, want %d", l.ID, v.Encode(), matched, len(want))
					}
					// The links' query reads back as the same filter.
					again := parse(t, l, q.Values(0))
					if again.CQL.Text != q.CQL.Text {
						t.Errorf("%s: link filter %q reads back as %q", l.ID, q.CQL.Text, again.CQL.Text)
					}
				}
			})
		}
	}
}

// testFilterWithOtherParameters checks that filter holds together with
// bbox, datetime and property equality, and that the count of one filter
// is not served for another (the count cache is keyed by the filter).
func testFilterWithOtherParameters(t *testing.T, f *filterFixture) {
	l := f.layer(t, "civici")
	v := url.Values{"filter": {"number <= 5"}, "istat_code": {"019035"}, "bbox": {"9.68,45.35,9.70,45.37"}}
	got, matched := f.items(t, l, parse(t, l, v))
	want := f.want(t, l, "t.number <= 5 AND t.istat_code = '019035' AND ST_Intersects(t.geom, ST_MakeEnvelope(9.68, 45.35, 9.70, 45.37, 4326))")
	if len(want) == 0 || !slices.Equal(got, want) || matched != int64(len(want)) {
		t.Errorf("items?%s = %d features (matched %d), want %d", v.Encode(), len(got), matched, len(want))
	}
	s := f.layer(t, "scenarios")
	v = url.Values{"filter": {"severity >= 3"}, "datetime": {"2025-02-01T00:00:00Z/.."}}
	got, _ = f.items(t, s, parse(t, s, v))
	if want := f.want(t, s, "t.severity >= 3 AND t.updated_at >= '2025-02-01T00:00:00Z'"); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("scenarios items?%s = %v, want %v", v.Encode(), got, want)
	}
	// Two filters, same other parameters: each its own numberMatched,
	// counted (not derived from a short page) because the page is full.
	for _, filter := range []string{"number <= 5", "number <= 50", "number <= 5"} {
		q := parse(t, l, url.Values{"filter": {filter}, "istat_code": {"019035"}, "limit": {"1"}})
		page, err := f.svc.Items(context.Background(), l, q, func([]byte) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		want := f.want(t, l, "t.istat_code = '019035' AND t."+filter)
		if page.NumberMatched != int64(len(want)) {
			t.Errorf("items?filter=%s&limit=1: numberMatched %d, want %d", filter, page.NumberMatched, len(want))
		}
	}
}

// TestFilterErrors checks that every refused filter is a client error on
// the filter (or filter-lang, filter-crs) that says where and what.
func TestFilterErrors(t *testing.T) {
	cat, err := app.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	civici, _ := cat.Layer("civici")
	plans, _ := cat.Layer("plan-status")
	bowtie := "S_INTERSECTS(geometry, POLYGON((9.6 45.3, 9.7 45.4, 9.7 45.3, 9.6 45.4, 9.6 45.3)))"
	var many strings.Builder
	many.WriteString("S_INTERSECTS(geometry, LINESTRING(")
	for i := range features.MaxFilterVertices + 1 {
		if i > 0 {
			many.WriteString(", ")
		}
		fmt.Fprintf(&many, "9.%d 45.3", i)
	}
	many.WriteString("))")
	tests := []struct {
		name  string
		layer *catalog.Layer
		v     url.Values
		field string
		want  string
	}{
		{"unknown property", civici, url.Values{"filter": {"quartiere = 'x'"}}, "filter",
			"at 1:1: unknown property 'quartiere'; the queryables of civici are id, geometry, anncsu_id, istat_code, street,"},
		{"wrong type", civici, url.Values{"filter": {"number = 'uno'"}}, "filter",
			"at 1:8: = compares values of one type: property name 'number' is a number, but the other side is a string"},
		{"geometry compared", civici, url.Values{"filter": {"geometry = 'x'"}}, "filter", "at 1:1: property name 'geometry' is a geometry, which = cannot compare"},
		{"unknown function", civici, url.Values{"filter": {"upper(street) = 'VIA ROMA'"}}, "filter", "at 1:1: unknown function 'upper'"},
		{"malformed", civici, url.Values{"filter": {"street = "}}, "filter", "at 1:10: expected"},
		{"malformed json", civici, url.Values{"filter": {`{"op": "=", "args": [{"property": "street"}]}`}, "filter-lang": {"cql2-json"}}, "filter", "at #"},
		{"array function", civici, url.Values{"filter": {"A_CONTAINS(('a'), ('a'))"}}, "filter", "at 1:1: A_CONTAINS: Atlante has no array properties"},
		{"interval function on an instant", plans, url.Values{"filter": {"T_MEETS(status_since, INTERVAL('2025-01-01', '..'))"}}, "filter",
			"at 1:9: T_MEETS compares two intervals, and this is an instant"},
		{"invalid geometry", civici, url.Values{"filter": {bowtie}}, "filter", "at 1:24: the geometry cannot be used: self-intersection"},
		{"pattern ends with escape", civici, url.Values{"filter": {`street LIKE 'Via\\'`}}, "filter", "ends with the escape character"},
		{"too many vertices", civici, url.Values{"filter": {many.String()}}, "filter", "10000"},
		{"unknown language", civici, url.Values{"filter": {"number = 1"}, "filter-lang": {"ecql"}}, "filter-lang", `"ecql" is not a filter language of this server; use cql2-text or cql2-json`},
		{"CRS not served", civici, url.Values{"filter": {"number = 1"}, "filter-crs": {"EPSG:25832"}}, "filter-crs", "EPSG:25832 is not served; supported are CRS84, EPSG:4326"},
		{"literal in the other axis order", civici, url.Values{"filter": {"S_INTERSECTS(geometry, POINT(553000 5023000))"}, "filter-crs": {"EPSG:6707"}}, "filter",
			"at 1:24: the geometry lies outside the area of EPSG:6707 (RDN2008 / UTM zone 32N (N-E)): in EPSG:6707 give northing first"},
		{"box in degrees for metres", civici, url.Values{"filter": {"S_INTERSECTS(geometry, BBOX(9.6, 45.3, 9.7, 45.4))"}, "filter-crs": {"EPSG:3003"}}, "filter",
			"at 1:24: the box lies outside the area of EPSG:3003 (Monte Mario / Italy zone 1): in EPSG:3003 give easting first"},
		{"box upside down", civici, url.Values{"filter": {"S_INTERSECTS(geometry, BBOX(45.4, 9.6, 45.3, 9.7))"}, "filter-crs": {"EPSG:4326"}}, "filter",
			"at 1:24: the box's minimum is above its maximum: in EPSG:4326 give latitude first"},
		{"not a predicate", civici, url.Values{"filter": {"number"}}, "filter", "at 1:7: expected a comparison operator"},
		{"injection in a property name", civici, url.Values{"filter": {`"street; DROP TABLE civici" = 'x'`}}, "filter", "at 1:1: the name 'street; DROP TABLE civici' has a character that a CQL2 identifier cannot have"},
		{"injection in a JSON property name", civici, url.Values{"filter": {`{"op": "=", "args": [{"property": "street\") OR (1=1"}, "x"]}`}, "filter-lang": {"cql2-json"}}, "filter", "at #/args/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := features.ParseQuery(tt.layer, tt.v)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
				t.Fatalf("ParseQuery(%s) = %v, want an invalid-parameter error", tt.v.Encode(), err)
			}
			if len(ae.Fields) != 1 || ae.Fields[0].Field != tt.field || !strings.Contains(ae.Fields[0].Reason, tt.want) {
				t.Errorf("ParseQuery(%s) = %+v, want field %s with %q", tt.v.Encode(), ae.Fields, tt.field, tt.want)
			}
		})
	}
}

// testFilterRuntimeError checks that a filter PostgreSQL cannot evaluate
// on the data (a division by zero) is the client's error, not a 500.
func testFilterRuntimeError(t *testing.T, f *filterFixture) {
	l := f.layer(t, "energy-sites")
	q := parse(t, l, url.Values{"filter": {"pv_kw / (storage_kwh - storage_kwh) > 1"}})
	_, err := f.svc.Items(context.Background(), l, q, func([]byte) error { return nil })
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "filter" ||
		!strings.Contains(ae.Msg, "division by zero") {
		t.Errorf("Items(filter=%s) = %v, want an invalid filter: division by zero", q.CQL.Text, err)
	}
}

// testFilterInjection sends filters shaped like SQL injection: they are
// values, select nothing, and leave the tables as they were.
func testFilterInjection(t *testing.T, f *filterFixture) {
	l := f.layer(t, "civici")
	before := f.want(t, l, "true")
	for _, filter := range []string{
		`street = 'x''; DROP TABLE civici; --'`,
		`street LIKE '%'' OR ''1''=''1'`,
		`street = '$1' OR street = '\'' OR street = '"); DELETE FROM civici; --'`,
		`CASEI(street) = CASEI(''') OR 1=1 --')`,
		`S_INTERSECTS(geometry, BBOX(9, 45, 10, 46)) AND street IN ('a''); TRUNCATE civici; --', 'b')`,
	} {
		q := parse(t, l, url.Values{"filter": {filter}})
		if got, _ := f.items(t, l, q); len(got) != 0 {
			t.Errorf("filter %s selected %d features, want none", filter, len(got))
		}
	}
	if after := f.want(t, l, "true"); len(after) != len(before) {
		t.Errorf("civici has %d rows after the filters, %d before", len(after), len(before))
	}
}

// testQueryablesAreFilterable checks, for every layer, that each queryable
// can be used in a filter that PostgreSQL runs, and that no other column
// of the layer's table can.
func testQueryablesAreFilterable(t *testing.T, f *filterFixture) {
	ctx := context.Background()
	for _, l := range f.cat.Layers() {
		names := map[string]bool{}
		for _, q := range features.Queryables(l) {
			names[q.Name] = true
			filter := q.Name + " IS NULL"
			if q.Type == "" {
				filter = "S_INTERSECTS(" + q.Name + ", BBOX(9, 45, 10, 46))"
			}
			expr, err := features.ParseQuery(l, url.Values{"filter": {filter}})
			if err != nil {
				t.Errorf("%s: queryable %s: %v", l.ID, q.Name, err)
				continue
			}
			if _, err := f.svc.Items(ctx, l, expr, func([]byte) error { return nil }); err != nil {
				t.Errorf("%s: filter %s: %v", l.ID, filter, err)
			}
		}
		rows, err := f.db.Read.Query(ctx, `SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, l.Table.Sanitize())
		if err != nil {
			t.Fatal(err)
		}
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range cols {
			if names[col] {
				continue
			}
			_, err := features.ParseQuery(l, url.Values{"filter": {`"` + col + `" IS NULL`}})
			if !strings.Contains(apperr.Message(err), "unknown property '"+col+"'") {
				t.Errorf("%s: column %s is not a queryable, yet filter %s IS NULL gave %v", l.ID, col, col, err)
			}
		}
	}
}
