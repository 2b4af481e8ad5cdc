// Package comuni holds the municipal boundaries: the comuni of the province
// keyed by ISTAT code, the list of the 48 comuni of the Cremasco served by
// the consortium, the comuni layer and the operations that load boundaries.
package comuni

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/data"
	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
)

// ISTATCode is a 6-digit ISTAT municipality code (PRO_COM_T), e.g. "019035"
// for Crema. It is text: the leading zeros matter.
type ISTATCode string

var istatPattern = regexp.MustCompile(`^[0-9]{6}$`)

// ParseISTATCode accepts a 6-digit code, or a shorter number that it pads
// (the numeric PRO_COM 19035 is "019035"). No comune has code 0, in
// either spelling.
func ParseISTATCode(s string) (ISTATCode, error) {
	if istatPattern.MatchString(s) && s != "000000" {
		return ISTATCode(s), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 999999 || strconv.Itoa(n) != s {
		return "", fmt.Errorf("%q is not an ISTAT comune code (6 digits, e.g. 019035)", s)
	}
	return ISTATCode(fmt.Sprintf("%06d", n)), nil
}

// Comune is one municipality with its boundary.
type Comune struct {
	ISTATCode     ISTATCode
	Name          string
	ProvinceCode  string // 3 digits, e.g. "019"
	CadastralCode string // Belfiore code, e.g. "D142"; may be empty
	Source        string // where the boundary comes from
	Synthetic     bool   // made-up demo geometry
	Geom          orb.MultiPolygon
}

// Member is one comune of the Cremasco as listed in data/cremasco-comuni.csv.
type Member struct {
	ISTATCode     ISTATCode
	Name          string
	ProvinceCode  string
	CadastralCode string
	Centroid      orb.Point // lon, lat of the comune's centroid (ISTAT 2023 boundaries)
	AreaKm2       float64
	PPCProject    bool // in the shared civil-protection plan project
}

var (
	membersOnce sync.Once
	members     []Member
	membersErr  error
)

// Members returns the 48 comuni of the Cremasco (Area omogenea cremasca,
// served by Consorzio.IT), read from the embedded CSV.
func Members() ([]Member, error) {
	membersOnce.Do(func() { members, membersErr = readMembers() })
	return members, membersErr
}

func readMembers() ([]Member, error) {
	const name = "data/cremasco-comuni.csv"
	f, err := data.FS.Open("cremasco-comuni.csv")
	if err != nil {
		return nil, fmt.Errorf("comuni: %s: %w", name, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 8
	if _, err := r.Read(); err != nil {
		return nil, fmt.Errorf("comuni: %s: header: %w", name, err)
	}
	var ms []Member
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("comuni: %s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		code, err := ParseISTATCode(rec[0])
		if err != nil {
			return nil, fmt.Errorf("comuni: %s:%d: istat_code: %w", name, line, err)
		}
		lon, err1 := strconv.ParseFloat(rec[4], 64)
		lat, err2 := strconv.ParseFloat(rec[5], 64)
		area, err3 := strconv.ParseFloat(rec[6], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("comuni: %s:%d: centroid or area is not a number", name, line)
		}
		ms = append(ms, Member{
			ISTATCode: code, Name: rec[1], ProvinceCode: rec[2], CadastralCode: rec[3],
			Centroid: orb.Point{lon, lat}, AreaKm2: area, PPCProject: rec[7] == "yes",
		})
	}
	return ms, nil
}

// IsMember reports whether code is one of the 48 comuni of the Cremasco.
func IsMember(code ISTATCode) bool {
	ms, err := Members()
	if err != nil {
		return false
	}
	for _, m := range ms {
		if m.ISTATCode == code {
			return true
		}
	}
	return false
}

// Attribution is the credit line for ISTAT boundaries (CC BY 4.0).
const Attribution = "Confini comunali: © ISTAT – Confini delle unità amministrative a fini statistici, CC BY 4.0"

// AttributionShipped credits the boundaries shipped in data/ (see
// Boundaries), as their licence asks: ISTAT's, and the openpolis
// extraction they were taken from.
const AttributionShipped = "Confini comunali: © ISTAT – Confini delle unità amministrative a fini statistici (2023), CC BY 4.0; " +
	"elaborazione openpolis/geojson-italy (CC BY 4.0)"

// SourceShipped is the source stored with the boundaries of Boundaries.
const SourceShipped = "ISTAT, Confini delle unità amministrative a fini statistici 2023 (CC BY 4.0), via openpolis/geojson-italy"

// Layers returns the catalog entries of this domain.
func Layers() []catalog.Layer {
	return []catalog.Layer{{
		ID:          "comuni",
		Title:       "Comuni",
		Description: "Municipal boundaries by ISTAT code. Boundaries marked synthetic are made-up demo shapes; imported ISTAT boundaries carry their source.",
		Attribution: Attribution,
		Table:       pgx.Identifier{"public", "comuni"},
		IDColumn:    "istat_code",
		IDType:      catalog.String,
		Geom:        "geom",
		GeomType:    "MultiPolygon",
		TileGeom:    "geom_3857",
		Properties: []catalog.Property{
			{Name: "istat_code", Type: catalog.String, Description: "ISTAT municipality code (PRO_COM_T), 6 digits"},
			{Name: "name", Type: catalog.String, Description: "official name"},
			{Name: "province_code", Type: catalog.String, Description: "ISTAT province code, 3 digits (019 = Cremona)"},
			{Name: "cadastral_code", Type: catalog.String, Description: "cadastral (Belfiore) code"},
			{Name: "consortium", Type: catalog.Boolean, Description: "one of the 48 comuni of the Cremasco served by the consortium"},
			{Name: "area_km2", Type: catalog.Number, Description: "area in km² (on the ellipsoid)"},
			{Name: "source", Type: catalog.String, Description: "where the boundary comes from"},
			{Name: "synthetic", Type: catalog.Boolean, Description: "true for made-up demo boundaries"},
		},
		TileProperties: []string{"istat_code", "name", "consortium", "synthetic"},
		MinZoom:        0,
		MaxZoom:        16,
		Access:         catalog.Public,
		TileGeoms:      &catalog.TileGeoms{Table: pgx.Identifier{"public", "comuni_tile_geoms"}, MaxZoom: 16},
		Prebuild:       true,
	}}
}

// Boundaries returns the real boundaries of the 48 comuni of the
// Cremasco shipped in data/cremasco-comuni.geojson: ISTAT's 2023
// generalised boundaries (CRS84), as openpolis/geojson-italy extracted
// them, in the order of Members. They are credited with
// AttributionShipped.
func Boundaries() ([]Comune, error) {
	const name = "data/cremasco-comuni.geojson"
	b, err := data.FS.ReadFile("cremasco-comuni.geojson")
	if err != nil {
		return nil, fmt.Errorf("comuni: %s: %w", name, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return nil, fmt.Errorf("comuni: %s: %w", name, err)
	}
	byCode := map[ISTATCode]orb.MultiPolygon{}
	for i, f := range fc.Features {
		code, err := ParseISTATCode(f.Properties.MustString("pro_com_t", ""))
		if err != nil {
			return nil, fmt.Errorf("comuni: %s: features[%d]: pro_com_t: %w", name, i, err)
		}
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			byCode[code] = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			byCode[code] = g
		default:
			return nil, fmt.Errorf("comuni: %s: features[%d]: a %s is not a boundary", name, i, f.Geometry.GeoJSONType())
		}
	}
	ms, err := Members()
	if err != nil {
		return nil, err
	}
	cs := make([]Comune, 0, len(ms))
	for _, m := range ms {
		g, ok := byCode[m.ISTATCode]
		if !ok {
			return nil, fmt.Errorf("comuni: %s has no boundary for %s (%s)", name, m.ISTATCode, m.Name)
		}
		cs = append(cs, Comune{ISTATCode: m.ISTATCode, Name: m.Name, ProvinceCode: m.ProvinceCode,
			CadastralCode: m.CadastralCode, Source: SourceShipped, Geom: g})
	}
	return cs, nil
}

// Summary counts what a load did.
type Summary struct {
	Inserted, Updated int
}

// Store loads and reads comuni.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store writing through pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Upsert loads comuni whose geometries are in CRS srid, in one transaction:
// new codes are inserted, known codes updated, nothing else is touched.
// Geometries must already be valid (see geo/repair); they are converted to
// EPSG:4326 by PostGIS.
func (s *Store) Upsert(ctx context.Context, cs []Comune, srid geo.SRID) (Summary, error) {
	const op = "comuni.Upsert"
	var sum Summary
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		sum, err = upsert(ctx, tx, cs, srid)
		return err
	})
	return sum, store.Translate(op, err)
}

const createStagingSQL = `CREATE TEMP TABLE comuni_staging (
	istat_code text, name text, province_code text, cadastral_code text,
	source text, synthetic boolean, wkb bytea) ON COMMIT DROP`

// upsertFromStagingSQL moves the staged rows into comuni; xmax = 0 tells an
// inserted row from an updated one.
const upsertFromStagingSQL = `
INSERT INTO comuni AS c (istat_code, name, province_code, cadastral_code, consortium, source, synthetic, geom)
SELECT s.istat_code, s.name, s.province_code, NULLIF(s.cadastral_code, ''), s.istat_code = ANY($2::text[]), s.source, s.synthetic,
       -- RFC 7946 ring order; MakeValid is a no-op on valid input but keeps a
       -- geometry valid in its source CRS valid after the transformation.
       ST_ForcePolygonCCW(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(ST_SetSRID(ST_GeomFromWKB(s.wkb), $1::int), 4326)), 3)))
FROM comuni_staging s
ORDER BY s.istat_code
ON CONFLICT (istat_code) DO UPDATE SET
	name = EXCLUDED.name, province_code = EXCLUDED.province_code, cadastral_code = EXCLUDED.cadastral_code,
	consortium = EXCLUDED.consortium, source = EXCLUDED.source, synthetic = EXCLUDED.synthetic,
	geom = EXCLUDED.geom, updated_at = now()
RETURNING (xmax = 0)`

func upsert(ctx context.Context, tx pgx.Tx, cs []Comune, srid geo.SRID) (Summary, error) {
	var sum Summary
	if _, err := tx.Exec(ctx, createStagingSQL); err != nil {
		return sum, err
	}
	seen := make(map[ISTATCode]bool, len(cs))
	rows := make([][]any, len(cs))
	for i, c := range cs {
		if seen[c.ISTATCode] {
			return sum, apperr.New("comuni.upsert", apperr.Invalid, "comune %s is given twice", c.ISTATCode)
		}
		seen[c.ISTATCode] = true
		b, err := wkb.Marshal(c.Geom)
		if err != nil {
			return sum, apperr.Wrap("comuni.upsert", apperr.Invalid, err, "comune %s: cannot encode geometry", c.ISTATCode)
		}
		rows[i] = []any{string(c.ISTATCode), c.Name, c.ProvinceCode, c.CadastralCode, c.Source, c.Synthetic, b}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"comuni_staging"},
		[]string{"istat_code", "name", "province_code", "cadastral_code", "source", "synthetic", "wkb"},
		pgx.CopyFromRows(rows)); err != nil {
		return sum, err
	}
	var codes []string
	ms, err := Members()
	if err != nil {
		return sum, err
	}
	for _, m := range ms {
		codes = append(codes, string(m.ISTATCode))
	}
	res, err := tx.Query(ctx, upsertFromStagingSQL, int(srid), codes)
	if err != nil {
		return sum, err
	}
	inserted, err := pgx.CollectRows(res, pgx.RowTo[bool])
	if err != nil {
		return sum, err
	}
	for _, ins := range inserted {
		if ins {
			sum.Inserted++
		} else {
			sum.Updated++
		}
	}
	return sum, nil
}

// Count returns the number of comuni stored.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM comuni`).Scan(&n)
	return n, store.Translate("comuni.Count", err)
}
