package coverage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// countsSQL is the select list that classifies civic numbers (alias v) into
// the statistics counters, in the column order of coverage_cells. The
// statistics of an area use it on the civic numbers of edge cells, refresh
// uses it to fill the cells, so both count alike.
const countsSQL = `count(*)::int AS civici,
	count(*) FILTER (WHERE v.best_status = 'active')::int AS st_active,
	count(*) FILTER (WHERE v.best_status = 'connectable')::int AS st_connectable,
	count(*) FILTER (WHERE v.best_status = 'in_works')::int AS st_in_works,
	count(*) FILTER (WHERE v.best_status = 'planned')::int AS st_planned,
	count(*) FILTER (WHERE v.best_status IS NULL)::int AS st_none,
	count(*) FILTER (WHERE v.best_technology = 'FTTH')::int AS t_ftth,
	count(*) FILTER (WHERE v.best_technology = 'FTTC')::int AS t_fttc,
	count(*) FILTER (WHERE v.best_technology = 'FWA')::int AS t_fwa,
	count(*) FILTER (WHERE v.best_technology = 'other')::int AS t_other,
	count(*) FILTER (WHERE v.best_technology IS NULL)::int AS t_none,
	count(*) FILTER (WHERE v.programmes LIKE '%aree_bianche%')::int AS p_aree_bianche,
	count(*) FILTER (WHERE v.programmes LIKE '%aree_grigie%')::int AS p_aree_grigie,
	count(*) FILTER (WHERE v.programmes LIKE '%commercial%')::int AS p_commercial,
	count(*) FILTER (WHERE v.best_status IN ('connectable', 'active') AND v.best_down_mbps >= 1000)::int AS s_1000,
	count(*) FILTER (WHERE v.best_status IN ('connectable', 'active') AND v.best_down_mbps >= 300 AND v.best_down_mbps < 1000)::int AS s_300,
	count(*) FILTER (WHERE v.best_status IN ('connectable', 'active') AND v.best_down_mbps >= 100 AND v.best_down_mbps < 300)::int AS s_100,
	count(*) FILTER (WHERE v.best_status IN ('connectable', 'active') AND v.best_down_mbps >= 30 AND v.best_down_mbps < 100)::int AS s_30,
	count(*) FILTER (WHERE v.best_status IN ('connectable', 'active') AND v.best_down_mbps < 30)::int AS s_below_30,
	count(*) FILTER (WHERE v.best_status IS NULL OR v.best_status NOT IN ('connectable', 'active'))::int AS s_none`

// counterColumns are the counters of coverage_cells in countsSQL's order.
const counterColumns = `civici, st_active, st_connectable, st_in_works, st_planned, st_none,
	t_ftth, t_fttc, t_fwa, t_other, t_none, p_aree_bianche, p_aree_grigie, p_commercial,
	s_1000, s_300, s_100, s_30, s_below_30, s_none`

// refreshSteps rebuild the summaries. Each runs over every civic number:
// a full rebuild of a million rows takes seconds and can never drift.
var refreshSteps = []struct{ name, sql string }{
	// Fresh planner statistics first: a table last analysed while empty
	// (a new database, after a TRUNCATE) gets nested-loop plans that turn
	// a 30 s rebuild of a million rows into many minutes.
	{"planner statistics", `ANALYZE civici, coverage_offers, network_routes`},
	{"best offers", `
TRUNCATE civici_best;
INSERT INTO civici_best (civico_id, best_status, best_technology, best_down_mbps, programmes)
SELECT b.civico_id, b.status, b.technology, b.max_down_mbps, p.programmes
FROM (
	SELECT DISTINCT ON (o.civico_id) o.civico_id, o.status, o.technology, o.max_down_mbps
	FROM coverage_offers o
	ORDER BY o.civico_id,
		CASE o.status WHEN 'active' THEN 3 WHEN 'connectable' THEN 3 WHEN 'in_works' THEN 2 ELSE 1 END DESC,
		o.max_down_mbps DESC,
		(o.status = 'active') DESC,
		array_position(ARRAY['FTTH', 'FTTC', 'FWA', 'other'], o.technology)
) b JOIN (
	SELECT civico_id, string_agg(DISTINCT programme, ',' ORDER BY programme) AS programmes
	FROM coverage_offers GROUP BY civico_id
) p USING (civico_id)`},
	{"statistics cells", `
TRUNCATE coverage_cells;
INSERT INTO coverage_cells (cell, istat_code, geom, ` + counterColumns + `)
SELECT coverage_cell(v.geom_3857) AS cell, v.istat_code, ST_Transform(coverage_cell_geom(coverage_cell(v.geom_3857)), 4326), ` + countsSQL + `
FROM civici_coverage v GROUP BY 1, 2`},
	// The cells at every level of the quadtree (migrations/00070), so that
	// a large area sums a few big cells.
	{"statistics quadtree", `
TRUNCATE coverage_quads, coverage_quad_cells;
INSERT INTO coverage_quads (level, cell, istat_code, ` + counterColumns + `)
SELECT l, coverage_quad(cell, l), istat_code, ` + sumCounters("") + `
FROM coverage_cells, generate_series(0, ` + quadTop + `) l GROUP BY 1, 2, 3;
INSERT INTO coverage_quad_cells (level, cell, geom)
SELECT DISTINCT level, cell, ST_Transform(coverage_quad_geom(level, cell), 4326) FROM coverage_quads`},
	// The civic numbers in cell order, for the cells on an area's edge;
	// the index is built after the rows, which is faster than kept up.
	{"statistics points", `
TRUNCATE coverage_cell_points;
DROP INDEX IF EXISTS coverage_cell_points_cell_idx;
INSERT INTO coverage_cell_points (cell, istat_code, geom, best_status, best_technology, best_down_mbps, programmes)
SELECT coverage_cell(v.geom_3857), v.istat_code, v.geom, v.best_status, v.best_technology, v.best_down_mbps, v.programmes
FROM civici_coverage v ORDER BY 1;
CREATE INDEX coverage_cell_points_cell_idx ON coverage_cell_points (cell)`},
	{"comune statistics", `
TRUNCATE coverage_comuni_stats;
INSERT INTO coverage_comuni_stats (istat_code, civici, connectable, s_1000, s_300, s_100, s_30, network_km)
SELECT s.istat_code, s.civici, s.connectable, s.s_1000, s.s_300, s.s_100, s.s_30,
	coalesce((SELECT sum(ST_Length(ST_Intersection(r.geom, c.geom)::geography)) / 1000
	          FROM network_routes r WHERE ST_Intersects(r.geom, c.geom)), 0)
FROM (SELECT istat_code, sum(civici)::int AS civici, sum(st_active + st_connectable)::int AS connectable,
             sum(s_1000)::int AS s_1000, sum(s_300)::int AS s_300, sum(s_100)::int AS s_100, sum(s_30)::int AS s_30
      FROM coverage_cells GROUP BY istat_code) s
LEFT JOIN comuni c USING (istat_code)`},
	// The streets of the typeahead and of the streets layer (migration
	// 00030).
	{"streets", `SELECT coverage_refresh_streets(); ANALYZE coverage_street_lines`},
	// Tile cells, 64 per tile side (2^14 * 64 = 1048576 across the world at
	// zoom 14): zoom 14 from the civic numbers, each lower zoom from the one
	// above (2 x 2 cells into one), positions weighted by count.
	{"tile cells", `
TRUNCATE civici_tile_cells;
INSERT INTO civici_tile_cells (z, cx, cy, x, y, n, connectable, gigabit, planned)
SELECT 14, cx, cy, avg(px), avg(py), count(*),
	count(*) FILTER (WHERE best_status IN ('connectable', 'active')),
	count(*) FILTER (WHERE best_status IN ('connectable', 'active') AND best_down_mbps >= 1000),
	count(*) FILTER (WHERE best_status IN ('planned', 'in_works'))
FROM (SELECT ST_X(geom_3857) AS px, ST_Y(geom_3857) AS py, best_status, best_down_mbps,
             floor((ST_X(geom_3857) + 20037508.342789244) / (40075016.68557849 / 1048576))::int AS cx,
             floor((20037508.342789244 - ST_Y(geom_3857)) / (40075016.68557849 / 1048576))::int AS cy
      FROM civici_coverage) p
GROUP BY cx, cy;
DO $$
BEGIN
	FOR zz IN REVERSE 13..0 LOOP
		INSERT INTO civici_tile_cells (z, cx, cy, x, y, n, connectable, gigabit, planned)
		SELECT zz, cx >> 1, cy >> 1, sum(x * n) / sum(n), sum(y * n) / sum(n), sum(n), sum(connectable), sum(gigabit), sum(planned)
		FROM civici_tile_cells WHERE z = zz + 1 GROUP BY cx >> 1, cy >> 1;
	END LOOP;
END
$$`},
	// The points of the civici tiles, in spatial order (PostGIS sorts
	// geometries along a space-filling curve) so a tile reads few pages;
	// the index is built after the rows, which is faster than kept up.
	{"tile points", `
TRUNCATE civici_tile_points;
DROP INDEX IF EXISTS civici_tile_points_geom_idx;
INSERT INTO civici_tile_points (id, geom_3857, status, technology, mbps)
SELECT id, geom_3857, best_status, best_technology, best_down_mbps FROM civici_coverage ORDER BY geom_3857;
CREATE INDEX civici_tile_points_geom_idx ON civici_tile_points USING gist (geom_3857)`},
	// Zoom-14 tiles rendered once per load (migrations/00020): they are
	// the densest point tiles, ~4 ms each to build on request.
	{"z14 tiles", `ANALYZE civici_tile_points, civici_tile_cells; SELECT civici_tiles_z14_render()`},
	// And for the rebuilt tables, which serve statistics and tiles at once.
	{"derived statistics", `ANALYZE civici_best, coverage_cells, coverage_quads, coverage_quad_cells, coverage_cell_points, coverage_comuni_stats, coverage_streets, civici_tile_cells, civici_tile_points, civici_tiles_z14`},
}

// refresh rebuilds every summary in tx, so a load and its summaries commit
// together.
func refresh(ctx context.Context, tx pgx.Tx) error {
	for _, s := range refreshSteps {
		if _, err := tx.Exec(ctx, s.sql); err != nil {
			return fmt.Errorf("coverage: refresh %s: %w", s.name, err)
		}
	}
	return nil
}

// Refresh rebuilds the summaries in a transaction of its own (after edits
// made outside the loaders, e.g. by psql).
func (s *Store) Refresh(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := refresh(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
