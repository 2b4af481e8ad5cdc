// Package civilprotection holds the municipal civil-protection plans of the
// Cremasco (Regione Lombardia's model, d.g.r. XI/7278 of 2022): risk
// scenarios by hazard, emergency areas, strategic buildings, the local
// crisis unit, the plan's lifecycle, the exposure of a scenario, and bulk
// loads — plus the layers that serve the public part.
//
// Public and private. Scenarios, emergency areas, strategic buildings and
// the status of every plan are public layers, editable through OGC API –
// Features Part 4 by tokens scoped to the comune. The crisis unit (names,
// phones, e-mails of people) is personal data: it is never a layer, a tile
// or a search result, it is read and written only through this package's
// methods, which check the caller first (auth.ReadPrivate, auth.Write), and
// no message of this package ever quotes a member's name, phone or e-mail.
// The audit log keeps members before and after each change, in full: it is
// not public, and it is what answers "who changed this contact, and what
// was it". Nothing here logs them.
//
// Lifecycle. A plan is a draft when its comune's first scenario, area,
// building or member is added (a database trigger creates it). It moves
//
//	draft, returned --submit--> submitted --validate--> validated
//	                            submitted --return----> returned (with a reason)
//	                            validated --reopen----> draft (version + 1)
//
// A submitted or validated plan is frozen: the trigger cp_check_plan_open
// refuses every change to its data with SQLSTATE AT409, which reaches the
// client as 409 with the trigger's message. Each transition runs in one
// transaction that locks the plan row FOR UPDATE and writes a
// cp_plan_history entry (who, role, when, why) and an audit row; the
// trigger locks the row FOR SHARE, so a write and a transition of one plan
// serialise and the freeze holds under concurrency (migration 00011).
//
// Territory. Scenarios, areas and buildings must lie in the comune of
// their istat_code, within 50 m of its boundary: the trigger
// check_territory (migration 00011) refuses the rest with SQLSTATE AT422
// (422), and Import asks the same SQL function, territory_problem, first
// so that it can name the feature.
//
// History visibility. Everyone sees each transition's states, plan version,
// time and the role that made it; the actor (the token's name) and the
// reason are shown only to callers who may read the comune's private data.
// Token names are not citizens' data, but they often name a person or an
// office, and the reason of a return is internal correspondence.
package civilprotection

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
)

// The closed lists the database enforces.
var (
	// Hazards of a risk scenario.
	Hazards = []string{"idraulico", "idrogeologico", "sismico", "incendio_boschivo", "industriale",
		"trasporti", "neve", "vento_temporali", "ondate_calore", "altro"}
	// AreaKinds of an emergency area: waiting, shelter, staging.
	AreaKinds = []string{"attesa", "accoglienza", "ammassamento"}
	// BuildingKinds of a strategic building.
	BuildingKinds = []string{"municipio", "scuola", "ospedale", "caserma", "sede_protezione_civile", "altro"}
	// CrisisRoles of a member of the local crisis unit (UCL).
	CrisisRoles = []string{"sindaco", "referente_operativo_comunale", "tecnico_comunale", "polizia_locale", "volontariato", "altro"}
	// Statuses of a plan; "none" is a comune without one.
	Statuses = []string{"draft", "submitted", "validated", "returned", "none"}
)

// Layer ids, also the collection names in the audit log.
const (
	LayerScenarios  = "scenarios"
	LayerAreas      = "emergency-areas"       // the areas drawn as polygons
	LayerAreaPoints = "emergency-area-points" // the areas drawn as points
	LayerBuildings  = "strategic-buildings"
	LayerPlanStatus = "plan-status"
	// collectionCrisisUnit and collectionPlans name the non-layer objects
	// in the audit log.
	collectionCrisisUnit = "crisis-unit"
	collectionPlans      = "plans"
)

// Store reads and writes civil-protection data.
type Store struct {
	primary *pgxpool.Pool // writes, and reads of private data (fresh after a write)
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

// areaLayer declares one of the two layers of emergency areas: one
// geometry type each (a view over cp_emergency_areas), since GIS clients
// draw a layer's features of its one type only.
func areaLayer(id, title, mapped, view, geomType, others string, istat, synthetic, updated catalog.Property) catalog.Layer {
	return catalog.Layer{
		ID:    id,
		Title: title,
		Description: "Emergency areas of the civil-protection plans mapped as " + mapped + ": waiting (attesa), shelter (accoglienza) " +
			"and staging (ammassamento), with the number of persons each can take. " + others,
		Table:    pgx.Identifier{"public", view},
		IDColumn: "id",
		IDType:   catalog.Integer,
		Geom:     "geom",
		GeomType: geomType,
		TileGeom: "geom_3857",
		Properties: []catalog.Property{
			istat,
			{Name: "kind", Type: catalog.String, Description: "attesa (waiting), accoglienza (shelter) or ammassamento (staging)", Enum: AreaKinds},
			{Name: "name", Type: catalog.String, Description: "name of the area"},
			{Name: "capacity", Type: catalog.Integer, Description: "persons the area can take"},
			synthetic, updated,
		},
		TileProperties: []string{"istat_code", "kind", "name", "capacity"},
		Temporal:       &catalog.Temporal{Instant: "updated_at"},
		MinZoom:        10, MaxZoom: 18,
		Sources: []string{"cp_emergency_areas"},
		Edit: &catalog.Edit{
			Table:       pgx.Identifier{"public", view},
			ScopeColumn: "istat_code",
			Writable:    []string{"istat_code", "kind", "name", "capacity"},
			Required:    []string{"istat_code", "kind", "name", "capacity"},
			GeomTypes:   []string{geomType},
		},
	}
}

// Layers returns the catalog entries of this domain. The crisis unit is
// deliberately not among them.
func Layers() []catalog.Layer {
	istat := catalog.Property{Name: "istat_code", Type: catalog.String, Description: "ISTAT code of the comune whose plan this belongs to"}
	synthetic := catalog.Property{Name: "synthetic", Type: catalog.Boolean, Description: "true for made-up demo data"}
	updated := catalog.Property{Name: "updated_at", Type: catalog.DateTime, Description: "last change"}
	return []catalog.Layer{
		{
			ID:    LayerScenarios,
			Title: "Civil-protection risk scenarios",
			Description: "Areas exposed to a hazard in a comune's civil-protection plan, with a severity from 1 (low) to 4 (very high). " +
				"Editable with a token of the comune while its plan is a draft or returned.",
			Table:    pgx.Identifier{"public", "cp_scenarios"},
			IDColumn: "id",
			IDType:   catalog.Integer,
			Geom:     "geom",
			GeomType: "MultiPolygon",
			TileGeom: "geom_3857",
			Properties: []catalog.Property{
				istat,
				{Name: "hazard", Type: catalog.String, Description: "hazard", Enum: Hazards},
				{Name: "title", Type: catalog.String, Description: "title of the scenario"},
				{Name: "description", Type: catalog.String, Description: "description"},
				{Name: "severity", Type: catalog.Integer, Description: "1 low, 2 medium, 3 high, 4 very high"},
				{Name: "source", Type: catalog.String, Description: "where the scenario comes from (study, map, plan)"},
				synthetic, updated,
			},
			TileProperties: []string{"istat_code", "hazard", "title", "severity"},
			Temporal:       &catalog.Temporal{Instant: "updated_at"},
			MinZoom:        8, MaxZoom: 18,
			TileGeoms: &catalog.TileGeoms{Table: pgx.Identifier{"public", "cp_scenarios_tile_geoms"}, MaxZoom: 16},
			Edit: &catalog.Edit{
				Table:       pgx.Identifier{"public", "cp_scenarios"},
				ScopeColumn: "istat_code",
				Writable:    []string{"istat_code", "hazard", "title", "description", "severity", "source"},
				Required:    []string{"istat_code", "hazard", "title", "severity"},
				Multiline:   []string{"description"},
				GeomTypes:   []string{"MultiPolygon"},
			},
		},
		areaLayer(LayerAreas, "Emergency areas", "polygons", "cp_emergency_area_polygons", "MultiPolygon",
			"The areas mapped as points are the layer "+LayerAreaPoints+".", istat, synthetic, updated),
		areaLayer(LayerAreaPoints, "Emergency areas (points)", "points", "cp_emergency_area_points", "Point",
			"The areas mapped as polygons are the layer "+LayerAreas+".", istat, synthetic, updated),
		{
			ID:          LayerBuildings,
			Title:       "Strategic buildings",
			Description: "Buildings the civil-protection plans rely on: town halls, schools, hospitals, barracks, civil-protection bases.",
			Table:       pgx.Identifier{"public", "cp_buildings"},
			IDColumn:    "id",
			IDType:      catalog.Integer,
			Geom:        "geom",
			GeomType:    "Point",
			TileGeom:    "geom_3857",
			Properties: []catalog.Property{
				istat,
				{Name: "kind", Type: catalog.String, Description: "kind of building", Enum: BuildingKinds},
				{Name: "name", Type: catalog.String, Description: "name of the building"},
				synthetic, updated,
			},
			TileProperties: []string{"istat_code", "kind", "name"},
			Temporal:       &catalog.Temporal{Instant: "updated_at"},
			MinZoom:        10, MaxZoom: 18,
			Edit: &catalog.Edit{
				Table:       pgx.Identifier{"public", "cp_buildings"},
				ScopeColumn: "istat_code",
				Writable:    []string{"istat_code", "kind", "name"},
				Required:    []string{"istat_code", "kind", "name"},
				GeomTypes:   []string{"Point"},
			},
		},
		{
			ID:    LayerPlanStatus,
			Title: "Civil-protection plan status",
			Description: "The status of each comune's civil-protection plan (draft, submitted, validated, returned, or none), " +
				"and whether and since when a version of it is validated. Read-only; plans change through /civil-protection/plans.",
			Table:    pgx.Identifier{"public", "cp_plan_status"},
			IDColumn: "istat_code",
			IDType:   catalog.String,
			Geom:     "geom",
			GeomType: "MultiPolygon",
			TileGeom: "geom_3857",
			Properties: []catalog.Property{
				{Name: "istat_code", Type: catalog.String, Description: "ISTAT code of the comune"},
				{Name: "name", Type: catalog.String, Description: "comune"},
				{Name: "status", Type: catalog.String, Description: "status of the plan", Enum: Statuses},
				{Name: "version", Type: catalog.Integer, Description: "version of the plan (grows when a validated plan is reopened)"},
				{Name: "status_since", Type: catalog.DateTime, Description: "when the plan reached its status"},
				{Name: "validated_at", Type: catalog.DateTime, Description: "when a version of the plan was last validated"},
				{Name: "validated_version", Type: catalog.Integer, Description: "the version last validated"},
				{Name: "has_validated_plan", Type: catalog.Boolean, Description: "a version of the plan has been validated"},
			},
			TileProperties: []string{"istat_code", "name", "status", "has_validated_plan"},
			Temporal:       &catalog.Temporal{Instant: "status_since"},
			// Validated plans first: QGIS types its fields from the first
			// ten, where validated_at would otherwise be null.
			ValuesFirst: []string{"validated_at", "validated_version"},
			MinZoom:     0, MaxZoom: 14,
			Sources:   []string{"cp_plans", "comuni"},
			TileGeoms: &catalog.TileGeoms{Table: pgx.Identifier{"public", "comuni_tile_geoms"}, MaxZoom: 16},
			Prebuild:  true,
		},
	}
}
