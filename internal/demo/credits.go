package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/store"
)

// Each layer's catalog declaration credits the real data it is meant to
// hold (ANNCSU, Infratel, ISTAT, ...). The demo's made-up rows must not be
// credited to them: a layer whose table holds synthetic rows is credited
// as demo data instead. The boundaries the demo loads are real, and their
// credit is ISTAT's, on the comuni layer and under every layer that shows
// them.
const (
	creditISTAT = "confini © ISTAT (2023), CC BY 4.0"
	creditDemo  = "dati dimostrativi sintetici (demo)"
)

// credits lists, per layer the demo fills, the table whose synthetic rows
// say that the layer shows demo data, and the layer's credit then.
var credits = []struct {
	layer, table, attribution string
}{
	{"civici", "civici", "Numeri civici e copertura: " + creditDemo},
	{"streets", "civici", "Strade: " + creditDemo + ", ricavate dai numeri civici dimostrativi"},
	{"network", "network_routes", "Rete in fibra: " + creditDemo},
	{"coverage-comuni", "civici", "Copertura: " + creditDemo + "; " + creditISTAT},
	{"scenarios", "cp_scenarios", "Scenari di rischio: " + creditDemo},
	{"emergency-areas", "cp_emergency_areas", "Aree di emergenza: " + creditDemo},
	{"emergency-area-points", "cp_emergency_area_points", "Aree di emergenza (punti): " + creditDemo},
	{"strategic-buildings", "cp_buildings", "Edifici strategici: " + creditDemo},
	{"plan-status", "cp_scenarios", "Stato dei piani: " + creditDemo + "; " + creditISTAT},
	{"energy-zones", "cer_zones", "Zone delle cabine primarie: " + creditDemo + " (non sono le aree del GSE)"},
	{"energy-communities", "cer_communities", "Comunità energetiche: " + creditDemo},
	{"energy-sites", "cer_sites", "Siti delle comunità energetiche: " + creditDemo},
}

// Credits say whether a database holds the demo's made-up data, and how
// its layers are to be credited.
type Credits struct {
	// Synthetic is true when some layer holds synthetic rows.
	Synthetic bool
	// Attribution is the credit of each layer whose table holds synthetic
	// rows, by layer id, and the comuni's when their boundaries are those
	// the demo ships (comuni.AttributionShipped). Other layers keep the
	// credit of their declaration.
	Attribution map[string]string
}

// FindCredits looks at the data for the Credits. Each probe is one
// EXISTS query; on a large table without synthetic rows it reads the
// table once, which start-up can afford.
func FindCredits(ctx context.Context, pool *pgxpool.Pool) (Credits, error) {
	const op = "demo.FindCredits"
	synthetic := map[string]bool{}
	out := Credits{Attribution: map[string]string{}}
	for _, c := range credits {
		has, seen := synthetic[c.table]
		if !seen {
			// Tables come from the list above, never from a request.
			err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{c.table}.Sanitize()+` WHERE synthetic)`).Scan(&has)
			if err != nil {
				return Credits{}, store.Translate(op, fmt.Errorf("%s: %w", c.table, err))
			}
			synthetic[c.table] = has
		}
		if has {
			out.Attribution[c.layer] = c.attribution
			out.Synthetic = true
		}
	}
	var shipped bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM comuni WHERE source = $1)`, comuni.SourceShipped).Scan(&shipped); err != nil {
		return Credits{}, store.Translate(op, err)
	}
	if shipped {
		out.Attribution["comuni"] = comuni.AttributionShipped
	}
	return out, nil
}
