// Package demo loads Atlante's synthetic demo dataset: the real names and
// ISTAT codes of the 48 comuni of the Cremasco with made-up geometry. The
// data is deterministic (same input, same rows) and labelled synthetic
// everywhere it appears. Each domain adds a step to Steps.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/store"
)

// Source is the label of every synthetic row.
const Source = "synthetic demo data (made-up geometry; names and ISTAT codes are real)"

// Step loads one part of the demo.
type Step struct {
	Name string
	Load func(ctx context.Context, pool *pgxpool.Pool) (string, error) // returns a summary line
}

// Steps are run in order: later steps may use the rows of earlier ones.
func Steps() []Step {
	return []Step{
		{Name: "comuni", Load: loadComuni},
		{Name: "coverage", Load: loadCoverage},
		{Name: "civilprotection", Load: loadCivilProtection},
		{Name: "energy", Load: loadEnergy},
	}
}

// Load runs every step, or only the named ones, logging a line per step.
func Load(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger, only ...string) error {
	for _, s := range Steps() {
		if len(only) > 0 && !slices.Contains(only, s.Name) {
			continue
		}
		start := time.Now()
		summary, err := s.Load(ctx, pool)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", s.Name, err)
		}
		logger.Info("demo data loaded", "step", s.Name, "summary", summary, "duration", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// LoadIfEmpty loads the demo when the database has no comuni at all, so
// that a first `make run` shows a map and later runs leave real or edited
// data alone.
func LoadIfEmpty(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	n, err := comuni.NewStore(pool).Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		logger.Info("demo data not loaded: the database already has comuni", "comuni", n)
		return nil
	}
	return Load(ctx, pool, logger)
}

// voronoiSQL draws made-up boundaries: the Voronoi cells of the real
// centroids, clipped to a buffered hull, in metres (EPSG:32632).
const voronoiSQL = `
WITH pts AS (
	SELECT code, ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 32632) AS g
	FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(code, lon, lat)
), hull AS (
	SELECT ST_Buffer(ST_ConvexHull(ST_Collect(g)), 2500, 4) AS h FROM pts
), cells AS (
	SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(g), 0, (SELECT h FROM hull)))).geom AS cell FROM pts
)
SELECT p.code, ST_AsBinary(ST_Multi(ST_Intersection(c.cell, hull.h)))
FROM pts p JOIN cells c ON ST_Contains(c.cell, p.g) CROSS JOIN hull
ORDER BY p.code`

func loadComuni(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	ms, err := comuni.Members()
	if err != nil {
		return "", err
	}
	var codes []string
	var lons, lats []float64
	byCode := map[string]comuni.Member{}
	for _, m := range ms {
		codes = append(codes, string(m.ISTATCode))
		lons = append(lons, m.Centroid[0])
		lats = append(lats, m.Centroid[1])
		byCode[string(m.ISTATCode)] = m
	}
	rows, err := pool.Query(ctx, voronoiSQL, codes, lons, lats)
	if err != nil {
		return "", store.Translate("demo.comuni", err)
	}
	var cs []comuni.Comune
	for rows.Next() {
		var code string
		var wkbGeom []byte
		if err := rows.Scan(&code, &wkbGeom); err != nil {
			return "", err
		}
		mp, err := decodeMultiPolygon(wkbGeom)
		if err != nil {
			return "", fmt.Errorf("comune %s: %w", code, err)
		}
		m := byCode[code]
		cs = append(cs, comuni.Comune{
			ISTATCode: m.ISTATCode, Name: m.Name, ProvinceCode: m.ProvinceCode, CadastralCode: m.CadastralCode,
			Source: Source, Synthetic: true, Geom: mp,
		})
	}
	if err := rows.Err(); err != nil {
		return "", store.Translate("demo.comuni", err)
	}
	sum, err := comuni.NewStore(pool).Upsert(ctx, cs, 32632)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d comuni (%d new, %d updated)", len(cs), sum.Inserted, sum.Updated), nil
}
