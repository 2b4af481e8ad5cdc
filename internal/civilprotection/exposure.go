package civilprotection

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store"
)

// Exposure bounds: how far an emergency area of another comune may be to
// count as reachable, and how many usable areas are listed at most.
const (
	NearbyMetres     = 5000
	DefaultNearAreas = 10
	MaxNearAreas     = 100
)

// CapacityNote says what the capacity figures mean, in every answer.
const CapacityNote = "capacity counts persons an emergency area can take; civici counts addresses (civic numbers), " +
	"not persons or households: compare them knowing that one address may house several people, or none"

// Exposure is who and what a risk scenario exposes: the civic numbers and
// strategic buildings inside it, the emergency areas inside it (which
// cannot be used), and the nearest usable ones outside.
type Exposure struct {
	Scenario           ExposedScenario  `json:"scenario"`
	Civici             ExposedCivici    `json:"civici"`
	StrategicBuildings []ExposedFeature `json:"strategic_buildings"`
	// AreasInside are emergency areas that intersect the scenario: not
	// usable in it.
	AreasInside []ExposedFeature `json:"emergency_areas_inside"`
	// NearestAreas are waiting and shelter areas (attesa, accoglienza)
	// outside the scenario, of its comune or within NearbyMetres of it,
	// nearest first, with the running total of their capacity.
	NearestAreas []NearArea     `json:"nearest_usable_areas"`
	Capacity     CapacityReport `json:"capacity"`
}

// ExposedScenario identifies the scenario.
type ExposedScenario struct {
	ID        int64  `json:"id"`
	ISTATCode string `json:"istat_code"`
	Comune    string `json:"comune"`
	Hazard    string `json:"hazard"`
	Title     string `json:"title"`
	Severity  int    `json:"severity"`
}

// ExposedCivici counts the civic numbers inside the scenario, in total and
// per street.
type ExposedCivici struct {
	Count    int           `json:"count"`
	ByStreet []StreetCount `json:"by_street"`
}

// StreetCount is the number of exposed civic numbers of one street.
type StreetCount struct {
	ISTATCode string `json:"istat_code"`
	Street    string `json:"street"`
	Civici    int    `json:"civici"`
}

// ExposedFeature is a building or emergency area inside the scenario.
type ExposedFeature struct {
	// Collection is the layer that serves the feature by ID: areas are
	// split by geometry type (LayerAreas, LayerAreaPoints).
	Collection string `json:"collection"`
	ID         int64  `json:"id"`
	ISTATCode  string `json:"istat_code"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Capacity   *int   `json:"capacity,omitempty"`
}

// NearArea is a usable emergency area near the scenario.
type NearArea struct {
	Collection         string  `json:"collection"` // as in ExposedFeature
	ID                 int64   `json:"id"`
	ISTATCode          string  `json:"istat_code"`
	Kind               string  `json:"kind"`
	Name               string  `json:"name"`
	Capacity           int     `json:"capacity"`
	DistanceM          float64 `json:"distance_m"`
	CumulativeCapacity int     `json:"cumulative_capacity"`
}

// CapacityReport sets the capacity of the usable areas listed beside the
// exposed civic numbers, without converting one into the other.
type CapacityReport struct {
	ExposedCivici         int    `json:"exposed_civici"`
	UsableCapacityPersons int    `json:"usable_capacity_persons"`
	Note                  string `json:"note"`
}

const exposureScenarioSQL = `
SELECT s.id, s.istat_code, coalesce(c.name, ''), s.hazard, s.title, s.severity
FROM cp_scenarios s LEFT JOIN comuni c USING (istat_code) WHERE s.id = $1`

// exposedStreetsSQL counts the civic numbers inside the scenario per
// street; the street's name is the one the address search shows
// (coverage_streets), else the register's.
const exposedStreetsSQL = `
SELECT v.istat_code, coalesce(cs.street, min(v.street)), count(*)
FROM cp_scenarios s
JOIN civici v ON ST_Intersects(v.geom, s.geom)
LEFT JOIN coverage_streets cs ON cs.istat_code = v.istat_code AND cs.street_key = v.street_key
WHERE s.id = $1
GROUP BY v.istat_code, v.street_key, cs.street
ORDER BY count(*) DESC, v.istat_code, v.street_key`

const exposedBuildingsSQL = `
SELECT b.id, b.istat_code, b.kind, b.name
FROM cp_scenarios s JOIN cp_buildings b ON ST_Intersects(b.geom, s.geom)
WHERE s.id = $1 ORDER BY b.istat_code, b.kind, b.id`

const exposedAreasSQL = `
SELECT GeometryType(a.geom) = 'POINT', a.id, a.istat_code, a.kind, a.name, a.capacity
FROM cp_scenarios s JOIN cp_emergency_areas a ON ST_Intersects(a.geom, s.geom)
WHERE s.id = $1 ORDER BY a.istat_code, a.kind, a.id`

// nearestAreasSQL finds usable areas outside the scenario: of its comune,
// or within $2 metres (geodesic) of it, nearest first.
const nearestAreasSQL = `
SELECT GeometryType(a.geom) = 'POINT', a.id, a.istat_code, a.kind, a.name, a.capacity,
       round(ST_Distance(a.geom::geography, s.geom::geography)::numeric, 1)::float8 AS d
FROM cp_scenarios s
JOIN cp_emergency_areas a ON a.kind IN ('attesa', 'accoglienza') AND NOT ST_Intersects(a.geom, s.geom)
	AND (a.istat_code = s.istat_code OR ST_DWithin(a.geom::geography, s.geom::geography, $2))
WHERE s.id = $1
ORDER BY d, a.id
LIMIT $3`

// areaLayerOf names the layer of an emergency area.
func areaLayerOf(point bool) string {
	if point {
		return LayerAreaPoints
	}
	return LayerAreas
}

// Exposure computes the exposure of scenario id, listing at most nearAreas
// usable emergency areas (0: DefaultNearAreas).
func (s *Store) Exposure(ctx context.Context, id int64, nearAreas int) (Exposure, error) {
	const op = "civilprotection.Exposure"
	if nearAreas <= 0 {
		nearAreas = DefaultNearAreas
	}
	if nearAreas > MaxNearAreas {
		return Exposure{}, apperr.Invalidf(op, "limit", "at most %d", MaxNearAreas)
	}
	var e Exposure
	sc := &e.Scenario
	err := s.read.QueryRow(ctx, exposureScenarioSQL, id).Scan(&sc.ID, &sc.ISTATCode, &sc.Comune, &sc.Hazard, &sc.Title, &sc.Severity)
	if errors.Is(err, pgx.ErrNoRows) {
		return Exposure{}, apperr.New(op, apperr.NotFound, "no scenario %d", id)
	}
	if err != nil {
		return Exposure{}, store.Translate(op, err)
	}
	// Four small independent queries: one round trip.
	b := &pgx.Batch{}
	b.Queue(exposedStreetsSQL, id).Query(func(rows pgx.Rows) error {
		var err error
		e.Civici.ByStreet, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (StreetCount, error) {
			var c StreetCount
			err := r.Scan(&c.ISTATCode, &c.Street, &c.Civici)
			return c, err
		})
		return err
	})
	b.Queue(exposedBuildingsSQL, id).Query(func(rows pgx.Rows) error {
		var err error
		e.StrategicBuildings, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExposedFeature, error) {
			f := ExposedFeature{Collection: LayerBuildings}
			err := r.Scan(&f.ID, &f.ISTATCode, &f.Kind, &f.Name)
			return f, err
		})
		return err
	})
	b.Queue(exposedAreasSQL, id).Query(func(rows pgx.Rows) error {
		var err error
		e.AreasInside, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExposedFeature, error) {
			var f ExposedFeature
			var point bool
			err := r.Scan(&point, &f.ID, &f.ISTATCode, &f.Kind, &f.Name, &f.Capacity)
			f.Collection = areaLayerOf(point)
			return f, err
		})
		return err
	})
	b.Queue(nearestAreasSQL, id, NearbyMetres, nearAreas).Query(func(rows pgx.Rows) error {
		var err error
		e.NearestAreas, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (NearArea, error) {
			var a NearArea
			var point bool
			err := r.Scan(&point, &a.ID, &a.ISTATCode, &a.Kind, &a.Name, &a.Capacity, &a.DistanceM)
			a.Collection = areaLayerOf(point)
			return a, err
		})
		return err
	})
	if err := s.read.SendBatch(ctx, b).Close(); err != nil {
		return Exposure{}, store.Translate(op, err)
	}
	for _, c := range e.Civici.ByStreet {
		e.Civici.Count += c.Civici
	}
	total := 0
	for i := range e.NearestAreas {
		total += e.NearestAreas[i].Capacity
		e.NearestAreas[i].CumulativeCapacity = total
	}
	e.Capacity = CapacityReport{ExposedCivici: e.Civici.Count, UsableCapacityPersons: total, Note: CapacityNote}
	if e.Civici.ByStreet == nil {
		e.Civici.ByStreet = []StreetCount{}
	}
	if e.StrategicBuildings == nil {
		e.StrategicBuildings = []ExposedFeature{}
	}
	if e.AreasInside == nil {
		e.AreasInside = []ExposedFeature{}
	}
	if e.NearestAreas == nil {
		e.NearestAreas = []NearArea{}
	}
	return e, nil
}
