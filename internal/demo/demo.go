// Package demo loads Atlante's demo dataset: the real boundaries, names
// and ISTAT codes of the 48 comuni of the Cremasco (ISTAT 2023, CC BY 4.0),
// and synthetic addresses, coverage, civil-protection plans and energy
// communities inside them. The data is deterministic (same input, same
// rows) and every made-up row is labelled synthetic. Each domain adds a
// step to Steps.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/comuni"
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
// data alone. It reports whether it loaded the demo.
func LoadIfEmpty(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (bool, error) {
	n, err := comuni.NewStore(pool).Count(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		logger.Info("demo data not loaded: the database already has comuni", "comuni", n)
		return false, nil
	}
	return true, Load(ctx, pool, logger)
}

// loadComuni loads the real boundaries of the 48 comuni (ISTAT 2023, CC
// BY 4.0, shipped in data/): everything else the demo makes up is placed
// inside them, so it obeys the territory rule as real data must.
func loadComuni(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	cs, err := comuni.Boundaries()
	if err != nil {
		return "", err
	}
	sum, err := comuni.NewStore(pool).Upsert(ctx, cs, 4326)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d comuni with their ISTAT 2023 boundaries (%d new, %d updated)", len(cs), sum.Inserted, sum.Updated), nil
}
