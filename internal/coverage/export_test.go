package coverage

import "context"

// StatsFlat runs Stats with the queries of a bbox or polygon as they were
// before the quadtree and the network pieces (migrations/00070): every
// 200 m cell the area touches is tested, and the network is clipped to
// the area and cut by the comuni on each request. The tests compare it
// with Stats.
func (s *Store) StatsFlat(ctx context.Context, a Area, byComune bool) (Stats, error) {
	return s.stats(ctx, a, byComune, flatAreaCountsSQL, flatAreaNetworkSQL)
}

// flatAreaCountsSQL counts the civic numbers inside $1 (WKB, EPSG:4326) per
// comune: the cells the area covers entirely from their stored counters,
// the civic numbers of the cells on its edge one by one.
var flatAreaCountsSQL = `
WITH q AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4326) AS g),
c AS MATERIALIZED (
	SELECT cc.*, ST_Covers(q.g, cc.geom) AS inside FROM coverage_cells cc, q WHERE ST_Intersects(q.g, cc.geom)
)
SELECT istat_code, ` + sumCounters("") + ` FROM c WHERE inside GROUP BY istat_code
UNION ALL
SELECT v.istat_code, ` + countsSQL + `
FROM c, q, LATERAL (
	-- one index probe per edge cell; OFFSET 0 keeps the planner from
	-- turning this into a scan of every civic number
	SELECT p.istat_code, b.best_status, b.best_technology, b.best_down_mbps, coalesce(b.programmes, '') AS programmes
	FROM civici p LEFT JOIN LATERAL (SELECT * FROM civici_best b WHERE b.civico_id = p.id OFFSET 0) b ON true
	WHERE p.geom_3857 && coverage_cell_geom(c.cell) AND coverage_cell(p.geom_3857) = c.cell
	  -- no other index than the cell probe: the planner would AND in the
	  -- comune's or the area's whole index range
	  AND p.istat_code || '' = c.istat_code AND ST_Intersects(q.g, ST_Force2D(p.geom))
	OFFSET 0
) v
WHERE NOT c.inside
GROUP BY v.istat_code`

// flatAreaNetworkSQL measures the network inside $1 per comune; the parts of
// routes outside every comune count under "" (a route's length less its
// parts in comuni, so that a route leaving the comuni is not cut short).
// A detailed area (over 8,192 vertices) is cut into pieces of at most 256
// vertices and each route clipped to the pieces it meets, the clips
// united: clipping to 100,000 vertices whole costs every route a pass over
// all of them (0.8 s of CPU for the demo's 70 routes, 0.2 s cut). A small
// area is used whole: cutting one whose long edges all overlap (which
// geo.Limits lets through up to about 1,400 edges) costs ST_Subdivide 1 s.
const flatAreaNetworkSQL = `
WITH q AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4326) AS g),
s AS MATERIALIZED (
	SELECT ST_Subdivide(q.g, 256) AS g FROM q WHERE ST_NPoints(q.g) > 8192
	UNION ALL
	SELECT q.g FROM q WHERE ST_NPoints(q.g) <= 8192
),
r AS MATERIALIZED (
	SELECT r.id, ST_Union(ST_Intersection(r.geom, s.g)) AS geom
	FROM network_routes r JOIN s ON ST_Intersects(r.geom, s.g) GROUP BY r.id
),
p AS MATERIALIZED (
	SELECT r.id, c.istat_code, ST_Length(ST_Intersection(r.geom, c.geom)::geography) AS m
	FROM r JOIN comuni c ON ST_Intersects(r.geom, c.geom)
)
SELECT istat_code, sum(m) / 1000 FROM p GROUP BY 1
UNION ALL
SELECT '', coalesce(sum(greatest(ST_Length(r.geom::geography) - coalesce(pp.m, 0), 0)), 0) / 1000
FROM r LEFT JOIN (SELECT id, sum(m) AS m FROM p GROUP BY id) pp USING (id)`
