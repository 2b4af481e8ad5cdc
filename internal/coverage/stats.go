package coverage

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store"
)

// Area is what statistics are asked for: exactly one of a comune (by ISTAT
// code: its civic numbers), a bbox (EPSG:4326) or a polygon (the civic
// numbers inside).
type Area struct {
	Comune  string
	BBox    *orb.Bound
	Polygon orb.Geometry // Polygon or MultiPolygon, already validated
	SRID    geo.SRID     // of Polygon, x (longitude, easting) first; 0 is EPSG:4326
}

// StatusCounts counts civic numbers by the status of their best offer.
type StatusCounts struct {
	Active      int `json:"active"`
	Connectable int `json:"connectable"`
	InWorks     int `json:"in_works"`
	Planned     int `json:"planned"`
	None        int `json:"none"`
}

// TechnologyCounts counts civic numbers by the technology of their best offer.
type TechnologyCounts struct {
	FTTH  int `json:"FTTH"`
	FTTC  int `json:"FTTC"`
	FWA   int `json:"FWA"`
	Other int `json:"other"`
	None  int `json:"none"`
}

// ProgrammeCounts counts civic numbers with at least one offer of each
// programme (a civic number may count in several).
type ProgrammeCounts struct {
	AreeBianche int `json:"aree_bianche"`
	AreeGrigie  int `json:"aree_grigie"`
	Commercial  int `json:"commercial"`
}

// SpeedCounts counts civic numbers by the max download of their best
// connectable or active offer, in disjoint classes; None has no such offer.
type SpeedCounts struct {
	From1000 int `json:"gte_1000"`
	From300  int `json:"gte_300_lt_1000"`
	From100  int `json:"gte_100_lt_300"`
	From30   int `json:"gte_30_lt_100"`
	Below30  int `json:"lt_30"`
	None     int `json:"none"`
}

// Counts are the statistics of a set of civic numbers.
type Counts struct {
	Civici     int              `json:"civici"`
	Status     StatusCounts     `json:"status"`
	Technology TechnologyCounts `json:"technology"`
	Programme  ProgrammeCounts  `json:"programme"`
	Speed      SpeedCounts      `json:"speed_mbps"`
	NetworkKm  float64          `json:"network_km"`
}

// ComuneStats are the statistics of the part of an area in one comune.
type ComuneStats struct {
	ISTATCode string `json:"istat_code"`
	Name      string `json:"name"`
	Counts
}

// Stats are the statistics of an area.
type Stats struct {
	Counts
	Comuni []ComuneStats `json:"comuni,omitempty"`
}

// counters scans the 20 counter columns in countsSQL's order.
func (c *Counts) counters() []any {
	return []any{&c.Civici,
		&c.Status.Active, &c.Status.Connectable, &c.Status.InWorks, &c.Status.Planned, &c.Status.None,
		&c.Technology.FTTH, &c.Technology.FTTC, &c.Technology.FWA, &c.Technology.Other, &c.Technology.None,
		&c.Programme.AreeBianche, &c.Programme.AreeGrigie, &c.Programme.Commercial,
		&c.Speed.From1000, &c.Speed.From300, &c.Speed.From100, &c.Speed.From30, &c.Speed.Below30, &c.Speed.None}
}

func (c *Counts) add(o Counts) {
	c.Civici += o.Civici
	c.Status.Active += o.Status.Active
	c.Status.Connectable += o.Status.Connectable
	c.Status.InWorks += o.Status.InWorks
	c.Status.Planned += o.Status.Planned
	c.Status.None += o.Status.None
	c.Technology.FTTH += o.Technology.FTTH
	c.Technology.FTTC += o.Technology.FTTC
	c.Technology.FWA += o.Technology.FWA
	c.Technology.Other += o.Technology.Other
	c.Technology.None += o.Technology.None
	c.Programme.AreeBianche += o.Programme.AreeBianche
	c.Programme.AreeGrigie += o.Programme.AreeGrigie
	c.Programme.Commercial += o.Programme.Commercial
	c.Speed.From1000 += o.Speed.From1000
	c.Speed.From300 += o.Speed.From300
	c.Speed.From100 += o.Speed.From100
	c.Speed.From30 += o.Speed.From30
	c.Speed.Below30 += o.Speed.Below30
	c.Speed.None += o.Speed.None
	c.NetworkKm += o.NetworkKm
}

func sumCounters(prefix string) string {
	return `sum(` + prefix + `civici)::int, sum(st_active)::int, sum(st_connectable)::int, sum(st_in_works)::int,
	sum(st_planned)::int, sum(st_none)::int, sum(t_ftth)::int, sum(t_fttc)::int, sum(t_fwa)::int, sum(t_other)::int,
	sum(t_none)::int, sum(p_aree_bianche)::int, sum(p_aree_grigie)::int, sum(p_commercial)::int, sum(s_1000)::int,
	sum(s_300)::int, sum(s_100)::int, sum(s_30)::int, sum(s_below_30)::int, sum(s_none)::int`
}

// quadTop is the top level of the statistics quadtree
// (migrations/00070_coverage_quads.sql): cells of 200 * 2^8 EPSG:3857
// metres, about 36 km on the ground here; four hold the Cremasco.
const quadTop = "8"

// areaCountsSQL counts the civic numbers inside $1 (WKB, EPSG:4326) per
// comune. It descends the quadtree of statistics cells from the top: a
// cell the area covers is summed whole from its stored counters, the
// children of a cell on its edge are tested in turn, and the civic numbers
// of the 200 m cells on its edge are tested one by one (read in cell order
// from coverage_cell_points, a snapshot of civici_coverage taken with the
// cells, so that both count the same civic numbers). The whole Cremasco
// tests ~1,000 cells instead of the 16,760 200 m cells it touches. A cell
// is the exact union of its children, so the cells summed and probed are
// those a flat pass over the 200 m cells would sum and probe.
var areaCountsSQL = `
WITH RECURSIVE q AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4326) AS g),
t(level, cell, inside) AS (
	-- OFFSET 0 here and below: look cells up by key, then test them; the
	-- planner would rather scan the spatial index over every level
	SELECT k.level, k.cell, ST_Covers(q.g, k.geom)
	FROM (SELECT * FROM coverage_quad_cells WHERE level = ` + quadTop + ` OFFSET 0) k, q
	WHERE ST_Intersects(q.g, k.geom)
  UNION ALL
	SELECT k.level, k.cell, ST_Covers(q.g, k.geom)
	FROM t, q, LATERAL (
		-- the four children of cell (x, y): (2x + dx, 2y + dy)
		SELECT k.* FROM coverage_quad_cells k
		WHERE k.level = t.level - 1 AND k.cell IN (((t.cell >> 24) << 25) + ((t.cell & 16777215) << 1),
			((t.cell >> 24) << 25) + ((t.cell & 16777215) << 1) + 1,
			((t.cell >> 24) << 25) + (1::bigint << 24) + ((t.cell & 16777215) << 1),
			((t.cell >> 24) << 25) + (1::bigint << 24) + ((t.cell & 16777215) << 1) + 1)
		OFFSET 0
	) k
	WHERE NOT t.inside AND t.level > 0 AND ST_Intersects(q.g, k.geom)
),
c AS MATERIALIZED (SELECT * FROM t)
SELECT istat_code, ` + sumCounters("") + `
FROM c JOIN coverage_quads USING (level, cell) WHERE c.inside GROUP BY istat_code
UNION ALL
SELECT v.istat_code, ` + countsSQL + `
FROM c, q, LATERAL (
	-- the cell's civic numbers, one index range; OFFSET 0 keeps the
	-- planner from turning this into a scan of every civic number
	SELECT v.* FROM coverage_cell_points v WHERE v.cell = c.cell AND ST_Intersects(q.g, v.geom)
	OFFSET 0
) v
WHERE c.level = 0 AND NOT c.inside
GROUP BY v.istat_code`

var comuneCountsSQL = `SELECT istat_code, ` + sumCounters("") + ` FROM coverage_cells WHERE istat_code = $1 GROUP BY istat_code`

// areaNetworkSQL measures the network inside $1 per comune; the parts of
// routes outside every comune count under "" (a route's length less its
// parts in comuni, so that a route leaving the comuni is not cut short).
// It reads coverage_network_pieces (each route, and its part in each
// comune): a piece the area covers counts its stored length, the others
// are clipped. A comune is listed when the area holds some of its
// network, not for a route that only touches it.
//
// A detailed area (over 8,192 vertices) is cut into pieces of at most 256
// vertices and each route clipped to the pieces it meets, the clips
// united: clipping to 100,000 vertices whole costs every route a pass over
// all of them (0.8 s of CPU for the demo's 70 routes, 0.2 s cut). A small
// area is used whole: cutting one whose long edges all overlap (which
// geo.Limits lets through up to about 1,400 edges) costs ST_Subdivide 1 s.
const areaNetworkSQL = `
WITH q AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4326) AS g),
s AS MATERIALIZED (
	SELECT ST_Subdivide(q.g, 256) AS g FROM q WHERE ST_NPoints(q.g) > 8192
	UNION ALL
	SELECT q.g FROM q WHERE ST_NPoints(q.g) <= 8192
),
c AS MATERIALIZED (
	SELECT p.route_id, p.istat_code, p.geom, p.length_m, ST_Covers(q.g, p.geom) AS inside
	FROM coverage_network_pieces p, q WHERE ST_Intersects(q.g, p.geom)
),
m AS MATERIALIZED (
	SELECT route_id, istat_code, length_m AS m FROM c WHERE inside
	UNION ALL
	SELECT c.route_id, c.istat_code, ST_Length(ST_Union(ST_Intersection(c.geom, s.g))::geography)
	FROM c JOIN s ON ST_Intersects(c.geom, s.g) WHERE NOT c.inside GROUP BY c.route_id, c.istat_code
)
SELECT istat_code, sum(m) / 1000 FROM m WHERE istat_code IS NOT NULL GROUP BY 1 HAVING sum(m) > 0
UNION ALL
SELECT '', coalesce(sum(greatest(r.m - coalesce(pp.m, 0), 0)), 0) / 1000
FROM m r LEFT JOIN (SELECT route_id, sum(m) AS m FROM m WHERE istat_code IS NOT NULL GROUP BY 1) pp USING (route_id)
WHERE r.istat_code IS NULL`

const comuneNetworkSQL = `SELECT istat_code, network_km FROM coverage_comuni_stats WHERE istat_code = $1`

// Stats counts the civic numbers of an area and measures the network in
// it; with byComune the answer also splits them per comune.
func (s *Store) Stats(ctx context.Context, a Area, byComune bool) (Stats, error) {
	return s.stats(ctx, a, byComune, areaCountsSQL, areaNetworkSQL)
}

// stats is Stats with the queries of a bbox or polygon given (the tests
// run the queries of earlier versions beside these).
func (s *Store) stats(ctx context.Context, a Area, byComune bool, areaCountsSQL, areaNetworkSQL string) (Stats, error) {
	const op = "coverage.Stats"
	var countsQ, networkQ string
	var arg any
	switch {
	case a.Comune != "":
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM comuni WHERE istat_code = $1)
			OR EXISTS (SELECT 1 FROM coverage_cells WHERE istat_code = $1)`, a.Comune).Scan(&exists); err != nil {
			return Stats{}, store.Translate(op, err)
		}
		if !exists {
			return Stats{}, apperr.New(op, apperr.NotFound, "no comune %s", a.Comune)
		}
		countsQ, networkQ, arg = comuneCountsSQL, comuneNetworkSQL, a.Comune
	case a.BBox != nil:
		b, err := wkb.Marshal(a.BBox.ToPolygon())
		if err != nil {
			return Stats{}, apperr.Wrap(op, apperr.Invalid, err, "bbox cannot be encoded")
		}
		countsQ, networkQ, arg = areaCountsSQL, areaNetworkSQL, b
	case a.Polygon != nil:
		b, err := wkb.Marshal(a.Polygon)
		if err != nil {
			return Stats{}, apperr.Wrap(op, apperr.Invalid, err, "polygon cannot be encoded")
		}
		if a.SRID != 0 && a.SRID != geo.WGS84 {
			// Once, before the queries that use the area's index.
			if err := s.pool.QueryRow(ctx, `SELECT ST_AsBinary(ST_Transform(ST_SetSRID(ST_GeomFromWKB($1), $2::int), 4326))`,
				b, int(a.SRID)).Scan(&b); err != nil {
				return Stats{}, store.Translate(op, err)
			}
		}
		countsQ, networkQ, arg = areaCountsSQL, areaNetworkSQL, b
	default:
		return Stats{}, apperr.New(op, apperr.Invalid, "give a comune, a bbox or a polygon")
	}

	per := map[string]*ComuneStats{}
	get := func(code string) *ComuneStats {
		cs, ok := per[code]
		if !ok {
			cs = &ComuneStats{ISTATCode: code}
			per[code] = cs
		}
		return cs
	}
	batch := &pgx.Batch{}
	batch.Queue(countsQ, arg).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var code string
			var c Counts
			if err := rows.Scan(append([]any{&code}, c.counters()...)...); err != nil {
				return err
			}
			get(code).add(c)
		}
		return rows.Err()
	})
	batch.Queue(networkQ, arg).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var code string
			var km float64
			if err := rows.Scan(&code, &km); err != nil {
				return err
			}
			get(code).NetworkKm += km
		}
		return rows.Err()
	})
	batch.Queue(`SELECT istat_code, name FROM comuni`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var code, name string
			if err := rows.Scan(&code, &name); err != nil {
				return err
			}
			if cs, ok := per[code]; ok {
				cs.Name = name
			}
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return Stats{}, store.Translate(op, err)
	}
	var st Stats
	for _, cs := range per {
		st.add(cs.Counts)
		if byComune && cs.ISTATCode != "" {
			st.Comuni = append(st.Comuni, *cs)
		}
	}
	slices.SortFunc(st.Comuni, func(a, b ComuneStats) int {
		if a.ISTATCode < b.ISTATCode {
			return -1
		}
		if a.ISTATCode > b.ISTATCode {
			return 1
		}
		return 0
	})
	if byComune && st.Comuni == nil {
		st.Comuni = []ComuneStats{}
	}
	return st, nil
}

// CSVHeader and CSVRecord render statistics as CSV rows: one per comune
// when grouped, then a total row.
func CSVHeader() []string {
	return []string{"istat_code", "name", "civici",
		"status_active", "status_connectable", "status_in_works", "status_planned", "status_none",
		"tech_FTTH", "tech_FTTC", "tech_FWA", "tech_other", "tech_none",
		"prog_aree_bianche", "prog_aree_grigie", "prog_commercial",
		"speed_gte_1000", "speed_gte_300_lt_1000", "speed_gte_100_lt_300", "speed_gte_30_lt_100", "speed_lt_30", "speed_none",
		"network_km"}
}

// CSVRecord renders one row of counts.
func CSVRecord(code, name string, c Counts) []string {
	rec := []string{code, name}
	for _, p := range c.counters() {
		rec = append(rec, fmt.Sprint(*(p.(*int))))
	}
	return append(rec, fmt.Sprintf("%.3f", c.NetworkKm))
}
