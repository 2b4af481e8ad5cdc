package demo_test

import (
	"context"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// TestDemoInRealComuni loads the demo and checks it against the real
// boundaries it ships: the comuni are ISTAT's, and everything the demo
// places in a comune lies inside it.
func TestDemoInRealComuni(t *testing.T) {
	db := storetest.NewDB(t)
	ctx := context.Background()
	if err := demo.Load(ctx, db.Write, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	count := func(tb testing.TB, sql string, args ...any) int {
		tb.Helper()
		var n int
		if err := db.Read.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
		return n
	}

	t.Run("comuni are ISTAT's boundaries", func(t *testing.T) {
		ms, err := comuni.Members()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			var name, source string
			var synthetic, valid bool
			var area float64
			err := db.Read.QueryRow(ctx, `SELECT name, source, synthetic, ST_IsValid(geom), area_km2 FROM comuni WHERE istat_code = $1`,
				string(m.ISTATCode)).Scan(&name, &source, &synthetic, &valid, &area)
			if err != nil {
				t.Fatalf("comune %s (%s): %v", m.ISTATCode, m.Name, err)
			}
			// data/cremasco-comuni.csv has ISTAT's areas: a made-up shape
			// would not have them.
			if name != m.Name || source != comuni.SourceShipped || synthetic || !valid || math.Abs(area-m.AreaKm2) > 0.01*m.AreaKm2 {
				t.Errorf("comune %s = %q, source %q, synthetic %v, valid %v, %.3f km²; want %q from ISTAT, valid, %.3f km²",
					m.ISTATCode, name, source, synthetic, valid, area, m.Name, m.AreaKm2)
			}
		}
		if n := count(t, `SELECT count(*) FROM comuni`); n != len(ms) {
			t.Errorf("%d comuni loaded, want %d", n, len(ms))
		}
	})

	t.Run("civic numbers in their comune", func(t *testing.T) {
		if n := count(t, `SELECT count(*) FROM civici v JOIN comuni c USING (istat_code) WHERE NOT ST_Covers(c.geom, v.geom)`); n != 0 {
			t.Errorf("%d civic numbers lie outside their comune", n)
		}
		if n := count(t, `SELECT count(*) FROM civici v LEFT JOIN comuni c USING (istat_code) WHERE c.istat_code IS NULL`); n != 0 {
			t.Errorf("%d civic numbers name no loaded comune", n)
		}
	})

	t.Run("civil protection and energy obey the territory rule", func(t *testing.T) {
		for _, table := range []string{"cp_scenarios", "cp_emergency_areas", "cp_buildings", "cer_sites"} {
			rows, err := db.Read.Query(ctx, `SELECT id::text, territory_problem(istat_code, geom) FROM `+table+
				` WHERE territory_problem(istat_code, geom) IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id, problem string
				if err := rows.Scan(&id, &problem); err != nil {
					t.Fatal(err)
				}
				t.Errorf("%s %s: %s", table, id, problem)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n := count(t, `SELECT count(*) FROM `+table); n == 0 {
				t.Errorf("the demo has no %s", table)
			}
		}
		// The zones are clipped to the consortium's comuni.
		if n := count(t, `SELECT count(*) FROM cer_zones z WHERE NOT ST_CoveredBy(ST_Transform(z.geom, 32632),
			(SELECT ST_Buffer(ST_Union(ST_Transform(geom, 32632)), 50) FROM comuni WHERE consortium))`); n != 0 {
			t.Errorf("%d primary-substation zones reach more than 50 m outside the comuni", n)
		}
	})

	t.Run("streets run along their civic numbers", func(t *testing.T) {
		// The demo puts civic numbers 9 m to either side of a street.
		if n := count(t, `SELECT count(*) FROM civici v JOIN coverage_street_lines l USING (istat_code, street_key)
			WHERE ST_Distance(v.geom::geography, l.geom::geography) > 30`); n != 0 {
			t.Errorf("%d civic numbers lie more than 30 m from their street's line", n)
		}
		lines, streets := count(t, `SELECT count(*) FROM coverage_street_lines`), count(t, `SELECT count(*) FROM coverage_streets`)
		if lines < streets*9/10 || lines > streets {
			t.Errorf("%d street lines for %d streets, want one for nearly every street", lines, streets)
		}
		if n := count(t, `SELECT count(*) FROM coverage_street_lines l JOIN coverage_streets s USING (istat_code, street_key)
			WHERE l.civici <> s.civici OR l.street <> s.street OR l.number_min IS DISTINCT FROM s.number_min
			   OR l.number_max IS DISTINCT FROM s.number_max OR NOT l.synthetic OR NOT ST_IsValid(l.geom)
			   OR l.id <> l.istat_code || '-' || replace(l.street_key, ' ', '-')`); n != 0 {
			t.Errorf("%d street lines disagree with their street", n)
		}
	})

	t.Run("credits", func(t *testing.T) {
		cr, err := demo.FindCredits(ctx, db.Read)
		if err != nil {
			t.Fatal(err)
		}
		if !cr.Synthetic {
			t.Error("FindCredits: Synthetic = false over the demo")
		}
		if got := cr.Attribution["comuni"]; got != comuni.AttributionShipped {
			t.Errorf("comuni credited %q, want %q", got, comuni.AttributionShipped)
		}
		for _, l := range []string{"civici", "streets", "network", "coverage-comuni", "scenarios", "emergency-areas",
			"strategic-buildings", "plan-status", "energy-zones", "energy-communities", "energy-sites"} {
			a := cr.Attribution[l]
			if !strings.Contains(a, "dati dimostrativi") {
				t.Errorf("layer %s credited %q, want it to say dati dimostrativi", l, a)
			}
			for _, other := range []string{"ANNCSU", "Infratel", "GSE,", "PNRR", "operatori"} {
				if strings.Contains(a, other) {
					t.Errorf("layer %s credited %q: made-up data credited to %s", l, a, other)
				}
			}
		}
	})
}

// TestCreditsWithoutDemo checks that a database without the demo keeps
// every layer's declared credit.
func TestCreditsWithoutDemo(t *testing.T) {
	db := storetest.NewDB(t)
	cr, err := demo.FindCredits(context.Background(), db.Read)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Synthetic || len(cr.Attribution) != 0 {
		t.Errorf("FindCredits over an empty database = %+v, want nothing synthetic and no credit changed", cr)
	}
}
