// Package energy holds the renewable energy communities (CER, "comunità
// energetiche rinnovabili") of the Cremasco: the primary-substation zones
// as GSE publishes them ("aree convenzionali" of the "cabine primarie"),
// the communities and their member sites; it says whether each community
// meets the rules and why not, estimates its energy figures, and declares
// the layers that serve them.
//
// The rules, as implemented (see Eligibility and the README):
//
//   - a community needs at least one member;
//   - every member must lie in a primary-substation zone, and all in the
//     same one: the incentive is paid only on energy shared among plants
//     and consumers connected under the same primary substation (D.Lgs.
//     199/2021 art. 8 c. 1 lett. b; DM MASE 7 December 2023 n. 414, the
//     "Decreto CACER", art. 3 c. 2 lett. d and art. 4 c. 1; GSE's Regole
//     operative CACER);
//   - no plant may exceed 1 MW (MaxPlantKW): only plants of at most 1 MW
//     each reach the incentive (D.Lgs. 199/2021 art. 8 c. 1 lett. a).
//
// Not checked: that plants entered service after 15 December 2021 (older
// ones may count for at most 30% of the power), the members' legal form
// and the community's statute, and the market zone.
//
// Which zone a point is in: the zone that covers it. A point covered by
// several zones (exactly on a shared border, or where published zones
// overlap) belongs to the zone whose code comes first in byte order, and
// the answer lists the others (BorderZones), because such a site should be
// checked against GSE's map. The rule lives in one SQL view
// (cer_site_zones, migration 00007) that eligibility, figures, lookups and
// layers all read.
//
// Scope of edits. A member site belongs to the comune it lies in
// (istat_code), which is the scope of Part 4 edits on the energy-sites
// layer; a database trigger refuses a site whose point is not in its
// comune (50 m tolerance), so a token of one comune cannot place sites in
// another by labelling them, and a site whose comune is not among its
// community's. A community spans comuni: creating, changing or deleting it
// needs a token that covers every comune it lists (before and after the
// change), so no comune acts alone on another's behalf.
//
// Personal data stays out: a community's referent is an organisation, not
// a person's contact, and names refuse e-mail addresses and phone numbers
// (database checks). Site names must not name people ("Household 3, via
// Bramante"); the POD code, which identifies a customer, is not stored.
package energy

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
)

// MaxPlantKW is the largest plant, in kW, whose energy reaches the CER
// incentive (D.Lgs. 199/2021 art. 8 c. 1 lett. a: "potenza non superiore a
// 1 MW"). A plant of exactly 1000 kW is within the rule.
const MaxPlantKW = 1000

// YieldKWhPerKW is the yearly production estimate of 1 kW of PV in the
// Cremasco, in kWh: 1,250 kWh/kWp is the planning figure of the PNRR for
// new CER photovoltaics (M2C2 Investimento 1.2: 2,000 MW, about 2,500 GWh
// a year), within the range usually given for well-oriented plants in the
// Po valley. The installed fleet does less: the 2019 statistics give the
// province of Cremona about 1,000 kWh per kW, older and badly oriented
// plants included. See the README.
const YieldKWhPerKW = 1250

// Simultaneity is the share of min(production, consumption) that the
// shared-energy estimate assumes happens in the same hour. GSE computes
// shared energy hour by hour from meter data as the minimum of the energy
// fed into the grid and the energy drawn by the members; a yearly total
// cannot know the hours, so the estimate is
//
//	shared = Simultaneity × min(production, consumption)
//
// a rough, declared assumption (daytime PV against mixed loads), not a
// measurement. It ignores batteries and the prosumers' own
// self-consumption.
const Simultaneity = 0.5

// The closed lists the database enforces.
var (
	// Statuses of a community, in lifecycle order.
	Statuses = []string{"proposed", "constituting", "constituted", "operating"}
	// Kinds of member site.
	Kinds = []string{"producer", "consumer", "prosumer"}
	// Categories of member site.
	Categories = []string{"public_building", "school", "company", "condominium", "household", "other"}
)

// Layer ids, also the collection names in the audit log.
const (
	LayerZones       = "energy-zones"
	LayerCommunities = "energy-communities"
	LayerSites       = "energy-sites"
)

// istatPattern is a 6-digit ISTAT comune code.
var istatPattern = regexp.MustCompile(`^[0-9]{6}$`)

// phonePattern finds a phone number (nine or more digits, maybe with
// separators) in a name; the database refuses the same.
var phonePattern = regexp.MustCompile(`[0-9]([ ./-]?[0-9]){8}`)

// zonePattern is a GSE zone code: 11 letters or digits, e.g. AC001E00934.
var zonePattern = regexp.MustCompile(`^[A-Z0-9]{11}$`)

// Store reads and writes energy-community data.
type Store struct {
	primary *pgxpool.Pool // writes, and reads that must see them
	read    store.Querier // public reads; may be a replica
	// versions is re-read after each committed write that changes a
	// layer, so this instance serves it at once; nil in one-off commands.
	versions *store.Versions
}

// NewStore returns a Store writing to primary and reading public data from
// read (the same pool when there is no replica). After a write that changes
// a layer it re-reads versions (nil: nothing to refresh).
func NewStore(primary *pgxpool.Pool, read store.Querier, versions *store.Versions) *Store {
	if read == nil {
		read = primary
	}
	return &Store{primary: primary, read: read, versions: versions}
}

// Layers returns the catalog entries of this domain.
func Layers() []catalog.Layer {
	synthetic := catalog.Property{Name: "synthetic", Type: catalog.Boolean, Description: "true for made-up demo data"}
	updated := catalog.Property{Name: "updated_at", Type: catalog.DateTime, Description: "last change"}
	return []catalog.Layer{
		{
			ID:    LayerZones,
			Title: "Primary-substation zones (CER)",
			Description: "Areas served by one primary substation (\"aree convenzionali\" of the \"cabine primarie\", as GSE publishes them): " +
				"the members of a renewable energy community must all lie in one of them. With the member sites, communities and installed kW in each.",
			Table:    pgx.Identifier{"public", "cer_zones_map"},
			IDColumn: "code",
			IDType:   catalog.String,
			Geom:     "geom",
			GeomType: "MultiPolygon",
			TileGeom: "geom_3857",
			Properties: []catalog.Property{
				{Name: "code", Type: catalog.String, Description: "GSE code of the zone (11 characters)"},
				{Name: "name", Type: catalog.String, Description: "name of the primary substation"},
				{Name: "distributor", Type: catalog.String, Description: "distribution company"},
				{Name: "sites", Type: catalog.Integer, Description: "member sites in the zone"},
				{Name: "communities", Type: catalog.Integer, Description: "communities with members in the zone"},
				{Name: "installed_kw", Type: catalog.Number, Description: "PV kW of the member sites in the zone"},
				{Name: "source", Type: catalog.String, Description: "where the zone comes from"},
				synthetic, updated,
			},
			TileProperties: []string{"code", "name", "sites", "communities", "installed_kw", "synthetic"},
			Temporal:       &catalog.Temporal{Instant: "updated_at"},
			MinZoom:        0, MaxZoom: 16,
			Sources:   []string{"cer_zones", "cer_sites"},
			TileGeoms: &catalog.TileGeoms{Table: pgx.Identifier{"public", "cer_zones_tile_geoms"}, MaxZoom: 16},
			Prebuild:  true,
		},
		{
			ID:    LayerCommunities,
			Title: "Renewable energy communities",
			Description: "The footprint of each renewable energy community (the hull of its member sites, buffered by 100 m), " +
				"its status and whether it meets the rules (all members under one primary substation, no plant over 1 MW). " +
				"Communities without members have no footprint; /energy/communities lists them all.",
			Table:    pgx.Identifier{"public", "cer_communities_map"},
			IDColumn: "id",
			IDType:   catalog.Integer,
			Geom:     "geom",
			GeomType: "MultiPolygon",
			Properties: []catalog.Property{
				{Name: "name", Type: catalog.String, Description: "name of the community"},
				{Name: "status", Type: catalog.String, Description: "proposed, constituting, constituted or operating", Enum: Statuses},
				{Name: "referent", Type: catalog.String, Description: "organisation acting as referent"},
				{Name: "comuni", Type: catalog.String, Description: "ISTAT codes of the comuni involved, comma-separated"},
				{Name: "members", Type: catalog.Integer, Description: "member sites"},
				{Name: "producers", Type: catalog.Integer, Description: "producer sites"},
				{Name: "consumers", Type: catalog.Integer, Description: "consumer sites"},
				{Name: "prosumers", Type: catalog.Integer, Description: "prosumer sites"},
				{Name: "installed_kw", Type: catalog.Number, Description: "PV kW of the members"},
				{Name: "eligible", Type: catalog.Boolean, Description: "meets the rules (see /energy/communities/{id}/eligibility for why not)"},
				{Name: "zones", Type: catalog.Integer, Description: "primary-substation zones its members are in"},
				{Name: "zone_code", Type: catalog.String, Description: "the zone of all its members, when they share one"},
				{Name: "outside", Type: catalog.Integer, Description: "members outside every zone"},
				{Name: "over_limit", Type: catalog.Integer, Description: "plants over 1 MW"},
				synthetic, updated,
			},
			TileProperties: []string{"name", "status", "members", "installed_kw", "eligible", "synthetic"},
			Temporal:       &catalog.Temporal{Instant: "updated_at"},
			MinZoom:        8, MaxZoom: 18,
			Sources: []string{"cer_communities", "cer_sites", "cer_zones"},
		},
		{
			ID:    LayerSites,
			Title: "Energy community member sites",
			Description: "Member sites of the renewable energy communities (producer, consumer, prosumer) with their PV kW, storage, " +
				"yearly consumption, primary-substation zone and their community's standing. " +
				"Editable with a token of the comune the site lies in; a site must lie in its comune (istat_code), " +
				"which must be one of its community's.",
			Table:    pgx.Identifier{"public", "cer_sites_map"},
			IDColumn: "id",
			IDType:   catalog.Integer,
			Geom:     "geom",
			GeomType: "Point",
			TileGeom: "geom_3857",
			Properties: []catalog.Property{
				{Name: "community_id", Type: catalog.Integer, Description: "id of the community"},
				{Name: "community", Type: catalog.String, Description: "name of the community"},
				{Name: "community_status", Type: catalog.String, Description: "status of the community", Enum: Statuses},
				{Name: "kind", Type: catalog.String, Description: "producer, consumer or prosumer", Enum: Kinds},
				{Name: "name", Type: catalog.String, Description: "name of the site (never a person's name)"},
				{Name: "category", Type: catalog.String, Description: "kind of member", Enum: Categories},
				{Name: "pv_kw", Type: catalog.Number, Description: "PV plant power, kW (0 for consumers)"},
				{Name: "storage_kwh", Type: catalog.Number, Description: "battery capacity, kWh"},
				{Name: "consumption_kwh", Type: catalog.Number, Description: "yearly consumption, kWh"},
				{Name: "istat_code", Type: catalog.String, Description: "ISTAT code of the comune the site lies in"},
				{Name: "zone_code", Type: catalog.String, Description: "primary-substation zone of the site (null outside every zone)"},
				{Name: "on_zone_border", Type: catalog.Boolean, Description: "the point is covered by more than one zone (see the border rule)"},
				{Name: "over_1mw", Type: catalog.Boolean, Description: "the plant exceeds 1 MW"},
				{Name: "community_eligible", Type: catalog.Boolean, Description: "the community meets the rules"},
				{Name: "community_zone", Type: catalog.String, Description: "the zone of all the community's members, when they share one"},
				{Name: "source", Type: catalog.String, Description: "where the site comes from"},
				synthetic, updated,
			},
			TileProperties: []string{"community_id", "community", "kind", "name", "category", "pv_kw", "zone_code",
				"over_1mw", "community_eligible", "synthetic"},
			Temporal: &catalog.Temporal{Instant: "updated_at"},
			MinZoom:  10, MaxZoom: 18,
			Sources: []string{"cer_sites", "cer_communities", "cer_zones"},
			Edit: &catalog.Edit{
				Table:       pgx.Identifier{"public", "cer_sites"},
				ScopeColumn: "istat_code",
				Writable:    []string{"community_id", "kind", "name", "category", "pv_kw", "storage_kwh", "consumption_kwh", "istat_code"},
				Required:    []string{"community_id", "kind", "name", "category", "istat_code"},
				GeomTypes:   []string{"Point"},
			},
		},
	}
}

// oneOf checks s against a closed list for field.
func oneOf(op, field, s string, list []string) error {
	if slices.Contains(list, s) {
		return nil
	}
	return apperr.Invalidf(op, field, "%q is not one of %s", truncate(s, 40), strings.Join(list, ", "))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// round3 rounds to three decimals (watts, watt-hours), so that sums read
// the same in every answer.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
