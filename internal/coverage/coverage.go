// Package coverage holds fibre coverage by civic number: the address
// register (civici), the coverage offers of each civic number (programme,
// operator, technology, speed, status), the network routes, and the
// operations planners and citizens use — address lookup, nearest civic
// number and area statistics — plus the layers that serve them.
//
// Summaries. After every load the package recomputes, in the same
// transaction, each civic number's best offer and the derived tables that
// keep statistics, search and tiles fast (see refresh.go). The best offer
// is the first by: available (connectable or active) before in works before
// planned; then the higher speed; then active before connectable; then
// FTTH, FTTC, FWA, other. Status and technology statistics count civic
// numbers by their best offer; programme statistics count a civic number
// once for every programme it has an offer in; speed classes count civic
// numbers by the speed of their best available offer, and "none" when no
// offer is connectable or active yet.
package coverage

import (
	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
)

// Programmes, technologies and statuses: the closed lists the database
// enforces.
var (
	Programmes   = []string{"aree_bianche", "aree_grigie", "commercial"}
	Technologies = []string{"FTTH", "FTTC", "FWA", "other"}
	Statuses     = []string{"planned", "in_works", "connectable", "active"}
)

// Offer is one coverage offer of a civic number.
type Offer struct {
	Programme   string  `json:"programme"`
	Operator    string  `json:"operator"`
	Technology  string  `json:"technology"`
	MaxDownMbps int     `json:"max_down_mbps"`
	Status      string  `json:"status"`
	StatusDate  *string `json:"status_date"`
	Source      string  `json:"source"`
}

// Civico is a civic number with its offers.
type Civico struct {
	ID         int64    `json:"id"`
	ANNCSUID   *int64   `json:"anncsu_id"`
	ISTATCode  string   `json:"istat_code"`
	Comune     string   `json:"comune"`
	Street     string   `json:"street"`
	Number     *int     `json:"number"`
	Suffix     string   `json:"suffix"`
	Lon        float64  `json:"lon"`
	Lat        float64  `json:"lat"`
	Synthetic  bool     `json:"synthetic"`
	BestStatus *string  `json:"best_status"`
	BestTech   *string  `json:"best_technology"`
	BestMbps   *int     `json:"best_down_mbps"`
	Distance   *float64 `json:"distance_m,omitempty"`
	Offers     []Offer  `json:"offers"`
}

// Attributions of the coverage layers: the address register when real
// ANNCSU data is imported, the programmes' published plans for coverage.
// The demo data is synthetic and says so in each feature's source.
const (
	AttributionCivici  = "Numeri civici: ANNCSU (Istat – Agenzia delle Entrate); copertura: piani Aree Bianche (Infratel) e Italia 1 Giga (PNRR), operatori"
	AttributionNetwork = "Rete: piani Aree Bianche (Infratel) e Italia 1 Giga (PNRR), operatori"
	AttributionStreets = "Strade ricavate dai numeri civici ANNCSU (Istat – Agenzia delle Entrate)"
)

// Store reads and loads coverage data.
type Store struct {
	pool store.Querier // loads and Refresh need the primary (Begin goes there)
}

// NewStore returns a Store over pool: a *pgxpool.Pool, or store.Reads for
// a server's public reads (its transactions go to the primary).
func NewStore(pool store.Querier) *Store { return &Store{pool: pool} }

// Layers returns the catalog entries of this domain.
func Layers() []catalog.Layer {
	statusEnum := append([]string(nil), Statuses...)
	return []catalog.Layer{
		{
			ID:    "civici",
			Title: "Civic numbers and fibre coverage",
			Description: "Civic numbers (ANNCSU access points) with their best coverage offer. " +
				"Tiles aggregate civic numbers into cells with counts (property n) at zooms up to 13, and at 14 where dense.",
			Table:    pgx.Identifier{"public", "civici_coverage"},
			IDColumn: "id",
			IDType:   catalog.Integer,
			Geom:     "geom",
			GeomType: "Point",
			PageKey:  "page_key",
			TileFunc: pgx.Identifier{"public", "civici_tile"},
			TileFields: map[string]string{
				"status":      "civic number: status of the best offer (feature id = civic number id)",
				"technology":  "civic number: technology of the best offer",
				"mbps":        "civic number: max download of the best offer, Mbit/s",
				"n":           "cell: civic numbers in the cell",
				"connectable": "cell: civic numbers with a connectable or active offer",
				"gigabit":     "cell: civic numbers connectable at >= 1 Gbit/s",
				"planned":     "cell: civic numbers with only planned or in-works offers",
			},
			Attribution: AttributionCivici,
			Properties: []catalog.Property{
				{Name: "anncsu_id", Type: catalog.Integer, Description: "ANNCSU access id (PROGRESSIVO_ACCESSO)"},
				{Name: "istat_code", Type: catalog.String, Description: "ISTAT code of the comune"},
				{Name: "street", Type: catalog.String, Description: "street name as registered"},
				{Name: "number", Type: catalog.Integer, Description: "house number"},
				{Name: "suffix", Type: catalog.String, Description: "esponente (e.g. A, BIS)"},
				{Name: "best_status", Type: catalog.String, Description: "status of the best offer", Enum: statusEnum},
				{Name: "best_technology", Type: catalog.String, Description: "technology of the best offer", Enum: Technologies},
				{Name: "best_down_mbps", Type: catalog.Integer, Description: "max download of the best offer, Mbit/s"},
				{Name: "programmes", Type: catalog.String, Description: "programmes with an offer here, comma-separated"},
				{Name: "synthetic", Type: catalog.Boolean, Description: "true for made-up demo addresses"},
			},
			MinZoom: 8, MaxZoom: 18,
			Sources: []string{"civici", "coverage_offers"},
		},
		{
			ID:          "network",
			Title:       "Fibre network routes",
			Description: "Fibre network routes by programme, operator and status, with their length in metres.",
			Table:       pgx.Identifier{"public", "network_routes"},
			IDColumn:    "id",
			IDType:      catalog.Integer,
			Geom:        "geom",
			GeomType:    "MultiLineString",
			TileGeom:    "geom_3857",
			Properties: []catalog.Property{
				{Name: "programme", Type: catalog.String, Description: "funding programme", Enum: Programmes},
				{Name: "operator", Type: catalog.String, Description: "network operator"},
				{Name: "status", Type: catalog.String, Description: "status", Enum: statusEnum},
				{Name: "name", Type: catalog.String, Description: "route name"},
				{Name: "length_m", Type: catalog.Number, Description: "length in metres"},
				{Name: "synthetic", Type: catalog.Boolean, Description: "true for made-up demo routes"},
			},
			TileProperties: []string{"programme", "status", "synthetic"},
			Attribution:    AttributionNetwork,
			MinZoom:        8, MaxZoom: 18,
		},
		{
			ID:    "streets",
			Title: "Streets of the address register",
			Description: "Each street of each comune as a line along its civic numbers, for placing street names at high zoom: " +
				"the civic numbers ordered along the street's main direction, averaged every 50 m (between the odd and the even side) and smoothed. " +
				"Rebuilt from the civic numbers at every coverage load; a street whose civic numbers lie within 50 m of each other has no line.",
			Table:    pgx.Identifier{"public", "coverage_street_lines"},
			IDColumn: "id",
			IDType:   catalog.String,
			Geom:     "geom",
			GeomType: "MultiLineString",
			TileGeom: "geom_3857",
			Properties: []catalog.Property{
				{Name: "istat_code", Type: catalog.String, Description: "ISTAT code of the comune"},
				{Name: "street", Type: catalog.String, Description: "street name as registered"},
				{Name: "street_key", Type: catalog.String, Description: "normalised street name (upper case, abbreviations spelled out), as in the search's street_id"},
				{Name: "civici", Type: catalog.Integer, Description: "civic numbers on the street"},
				{Name: "number_min", Type: catalog.Integer, Description: "lowest house number"},
				{Name: "number_max", Type: catalog.Integer, Description: "highest house number"},
				{Name: "synthetic", Type: catalog.Boolean, Description: "true for the streets of made-up demo addresses"},
			},
			TileProperties: []string{"istat_code", "street", "street_key", "civici"},
			Attribution:    AttributionStreets,
			MinZoom:        14, MaxZoom: 18,
			Sources: []string{"civici"},
		},
		{
			ID:          "coverage-comuni",
			Title:       "Fibre coverage per comune",
			Description: "Share of civic numbers per comune connectable at >= 1 Gbit/s, >= 100 Mbit/s and >= 30 Mbit/s, for a choropleth.",
			Table:       pgx.Identifier{"public", "coverage_comuni"},
			IDColumn:    "istat_code",
			IDType:      catalog.String,
			Geom:        "geom",
			GeomType:    "MultiPolygon",
			TileGeom:    "geom_3857",
			Properties: []catalog.Property{
				{Name: "istat_code", Type: catalog.String, Description: "ISTAT code of the comune"},
				{Name: "name", Type: catalog.String, Description: "comune"},
				{Name: "civici", Type: catalog.Integer, Description: "civic numbers"},
				{Name: "connectable", Type: catalog.Integer, Description: "civic numbers with a connectable or active offer"},
				{Name: "pct_connectable", Type: catalog.Number, Description: "% connectable at any speed"},
				{Name: "pct_1000", Type: catalog.Number, Description: "% connectable at >= 1 Gbit/s"},
				{Name: "pct_100", Type: catalog.Number, Description: "% connectable at >= 100 Mbit/s"},
				{Name: "pct_30", Type: catalog.Number, Description: "% connectable at >= 30 Mbit/s"},
				{Name: "network_km", Type: catalog.Number, Description: "km of network routes in the comune"},
			},
			MinZoom: 0, MaxZoom: 14,
			Sources:     []string{"comuni", "civici", "coverage_offers", "network_routes"},
			TileGeoms:   &catalog.TileGeoms{Table: pgx.Identifier{"public", "comuni_tile_geoms"}, MaxZoom: 16},
			Prebuild:    true,
			Attribution: AttributionCivici,
		},
	}
}
