package civilprotection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cremasco/atlante/geo/repair"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/plaintext"
	"github.com/cremasco/atlante/internal/store"
)

// ImportKind is what a bulk load brings.
type ImportKind string

// The kinds of bulk load, named as the import subcommands.
const (
	ImportScenarios ImportKind = "scenarios"
	ImportAreas     ImportKind = "areas"
	ImportBuildings ImportKind = "buildings"
)

// ImportFeature is one feature of a file: how the file names it (e.g.
// `features[3] (id "a")`, for messages), its properties (string,
// json.Number, float64, bool or nil values) and its geometry in the file's
// CRS.
type ImportFeature struct {
	Ref        string
	Properties map[string]any
	Geometry   orb.Geometry
}

// ImportOptions say how to load.
type ImportOptions struct {
	Comune  string // ISTAT code every feature belongs to
	Replace bool   // delete the comune's rows of this kind first
	SRID    int    // CRS of the geometries; 0 means 4326 (CRS84)
	File    string // names the file in messages
	Source  string // scenarios: stored when a feature has no source property
	Actor   string // who runs the import, for the audit log
}

// ImportSummary counts what a load did.
type ImportSummary struct {
	Inserted, Deleted int
	Duration          time.Duration
}

// importSpec is the table and rules of one kind.
type importSpec struct {
	table      pgx.Identifier
	collection string
	geomTypes  []string
	columns    []string // besides istat_code and geom, in insert order
}

var importSpecs = map[ImportKind]importSpec{
	ImportScenarios: {pgx.Identifier{"cp_scenarios"}, LayerScenarios, []string{"Polygon", "MultiPolygon"},
		[]string{"hazard", "title", "description", "severity", "source"}},
	ImportAreas: {pgx.Identifier{"cp_emergency_areas"}, LayerAreas, []string{"Point", "Polygon", "MultiPolygon"},
		[]string{"kind", "name", "capacity"}},
	ImportBuildings: {pgx.Identifier{"cp_buildings"}, LayerBuildings, []string{"Point"},
		[]string{"kind", "name"}},
}

// maxImportText bounds an imported text property, in characters (as Part
// 4 writes, package features).
const maxImportText = 10000

// importField describes one property of an imported feature.
type importField struct {
	required bool
	enum     []string
	integer  bool
	min, max int64
}

var importFields = map[string]importField{
	"hazard":      {required: true, enum: Hazards},
	"title":       {required: true},
	"description": {},
	"severity":    {required: true, integer: true, min: 1, max: 4},
	"source":      {},
	"kind":        {required: true}, // enum set per kind
	"name":        {required: true},
	"capacity":    {required: true, integer: true, min: 0, max: 1_000_000},
}

// Import loads the features of one file as scenarios, emergency areas or
// strategic buildings of one comune, in ONE transaction: every feature is
// checked first (properties, then geometry with geo/repair), and the first
// bad one fails the whole import with a message naming the file, the
// feature and the field; a frozen plan fails it with the plan's conflict.
// Nothing is changed on error. With Replace the comune's rows of this kind
// are deleted first. Every deleted and inserted row gets an audit row
// (action "import"). Properties other than the kind's are ignored; an
// istat_code property must match opts.Comune.
func (s *Store) Import(ctx context.Context, kind ImportKind, features []ImportFeature, opts ImportOptions) (ImportSummary, error) {
	const op = "civilprotection.Import"
	start := time.Now()
	spec, ok := importSpecs[kind]
	if !ok {
		return ImportSummary{}, apperr.Invalidf(op, "kind", "%q is not one of scenarios, areas, buildings", truncate(string(kind), 20))
	}
	if !istatPattern.MatchString(opts.Comune) {
		return ImportSummary{}, apperr.Invalidf(op, "comune", "%q is not an ISTAT code (6 digits, e.g. 019035)", truncate(opts.Comune, 20))
	}
	if opts.SRID == 0 {
		opts.SRID = 4326
	}
	if opts.Actor == "" {
		opts.Actor = "command line"
	}
	if len(features) == 0 {
		return ImportSummary{}, apperr.New(op, apperr.Invalid, "%s: no features to import", opts.File)
	}
	texts := map[string][]*string{}
	ints := map[string][]*int64{}
	geoms := make([][]byte, len(features))
	checker := repair.NewChecker()
	for i, f := range features {
		vals, err := importValues(kind, spec, f, opts)
		if err != nil {
			return ImportSummary{}, err
		}
		for _, c := range spec.columns {
			switch v := vals[c].(type) {
			case int64:
				ints[c] = append(ints[c], &v)
			case string:
				texts[c] = append(texts[c], &v)
			default: // null
				if importFields[c].integer {
					ints[c] = append(ints[c], nil)
				} else {
					texts[c] = append(texts[c], nil)
				}
			}
		}
		if geoms[i], err = importGeometry(checker, spec, f, opts); err != nil {
			return ImportSummary{}, err
		}
	}
	var sum ImportSummary
	err := s.versions.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		if err := comuneExists(ctx, tx, op, opts.Comune); err != nil {
			if apperr.KindOf(err) == apperr.NotFound {
				return apperr.New(op, apperr.Invalid, "%s: no comune %s: import its boundary first (atlante import comuni)", opts.File, opts.Comune)
			}
			return err
		}
		if opts.SRID != 4326 {
			var known bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)`, opts.SRID).Scan(&known); err != nil {
				return err
			}
			if !known {
				return apperr.Invalidf(op, "crs", "unknown CRS EPSG:%d: PostGIS has no definition for it", opts.SRID)
			}
		}
		// The territory rule (migration 00011), asked first so that the
		// message names the feature; the triggers would refuse it too. A
		// feature outside its comune is most likely a wrong --comune.
		var outside int64
		var problem string
		err := tx.QueryRow(ctx, importOutsideSQL, geoms, opts.Comune, opts.SRID).Scan(&outside, &problem)
		if err == nil {
			msg := fmt.Sprintf("%s: %s: geometry: %s (wrong --comune, or wrong CRS?)", opts.File, features[outside-1].Ref, problem)
			return &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: msg,
				Fields: []apperr.FieldError{{Field: "geometry", Reason: problem}}}
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		reason := "imported from " + opts.File
		actor := Actor{Name: opts.Actor}
		if opts.Replace {
			tag, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, collection, object_id, istat_code, before, reason)
				SELECT $1, 'import', $2, t.id::text, t.istat_code, to_jsonb(t) - 'geom_3857', $4
				FROM `+spec.table.Sanitize()+` t WHERE t.istat_code = $3 ORDER BY t.id`,
				actor.Name, spec.collection, opts.Comune, "replaced by the import of "+opts.File)
			if err != nil {
				return err
			}
			sum.Deleted = int(tag.RowsAffected())
			if _, err := tx.Exec(ctx, `DELETE FROM `+spec.table.Sanitize()+` WHERE istat_code = $1`, opts.Comune); err != nil {
				return err
			}
		}
		geomSQL := "ST_Transform(ST_SetSRID(ST_GeomFromWKB(u.geom), $2), 4326)"
		if kind == ImportScenarios {
			geomSQL = "ST_Multi(" + geomSQL + ")"
		}
		names := []string{"istat_code", "geom"}
		sel := []string{"$1", geomSQL}
		args := []any{opts.Comune, opts.SRID, geoms}
		unnest := []string{"$3::bytea[]"}
		as := []string{"geom"}
		for _, c := range spec.columns {
			names = append(names, pgx.Identifier{c}.Sanitize())
			sel = append(sel, "u."+pgx.Identifier{c}.Sanitize())
			typ := "text[]"
			if importFields[c].integer {
				typ = "bigint[]"
				args = append(args, ints[c])
			} else {
				args = append(args, texts[c])
			}
			unnest = append(unnest, fmt.Sprintf("$%d::%s", len(args), typ))
			as = append(as, pgx.Identifier{c}.Sanitize())
		}
		rows, err := tx.Query(ctx, `INSERT INTO `+spec.table.Sanitize()+` (`+strings.Join(names, ", ")+`)
			SELECT `+strings.Join(sel, ", ")+` FROM unnest(`+strings.Join(unnest, ", ")+`) WITH ORDINALITY AS u(`+strings.Join(as, ", ")+`, i)
			ORDER BY u.i RETURNING id`, args...)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		sum.Inserted = len(ids)
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor, action, collection, object_id, istat_code, after, reason)
			SELECT $1, 'import', $2, t.id::text, t.istat_code, to_jsonb(t) - 'geom_3857', $4
			FROM `+spec.table.Sanitize()+` t WHERE t.id = ANY($3) ORDER BY t.id`, actor.Name, spec.collection, ids, reason)
		return err
	})
	if err != nil {
		err = store.Translate(op, err)
		if apperr.KindOf(err) == apperr.Conflict {
			// The frozen plan's message, with the file it was about.
			return ImportSummary{}, apperr.Wrap(op, apperr.Conflict, err, "%s: nothing imported: %s", opts.File, apperr.Message(err))
		}
		return ImportSummary{}, err
	}
	sum.Duration = time.Since(start)
	return sum, nil
}

// importOutsideSQL finds the first geometry ($1, WKB in SRID $3) that the
// territory rule refuses for comune $2, and why.
const importOutsideSQL = `
SELECT t.i, p.problem
FROM unnest($1::bytea[]) WITH ORDINALITY AS t(w, i),
	LATERAL (SELECT territory_problem($2, ST_Transform(ST_SetSRID(ST_GeomFromWKB(t.w), $3), 4326)) AS problem) p
WHERE p.problem IS NOT NULL
ORDER BY t.i LIMIT 1`

// featureError is an Invalid error about one field of one feature.
func featureError(op string, opts ImportOptions, f ImportFeature, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: fmt.Sprintf("%s: %s: %s: %s", opts.File, f.Ref, field, msg),
		Fields: []apperr.FieldError{{Field: field, Reason: msg}}}
}

// lookup finds a property by name, ignoring case; null counts as absent.
func lookup(p map[string]any, name string) (any, bool) {
	if v, ok := p[name]; ok && v != nil {
		return v, true
	}
	for k, v := range p {
		if v != nil && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func importValues(kind ImportKind, spec importSpec, f ImportFeature, opts ImportOptions) (map[string]any, error) {
	const op = "civilprotection.Import"
	out := map[string]any{}
	if v, ok := lookup(f.Properties, "istat_code"); ok {
		if s, _ := textOf(v); s != opts.Comune {
			return nil, featureError(op, opts, f, "istat_code", "%q differs from --comune %s", truncate(s, 20), opts.Comune)
		}
	}
	for _, c := range spec.columns {
		rule := importFields[c]
		if c == "kind" {
			rule.enum = AreaKinds
			if kind == ImportBuildings {
				rule.enum = BuildingKinds
			}
		}
		v, ok := lookup(f.Properties, c)
		if !ok {
			if c == "source" && opts.Source != "" {
				out[c] = opts.Source
				continue
			}
			if rule.required {
				return nil, featureError(op, opts, f, c, "is required")
			}
			out[c] = nil
			continue
		}
		if rule.integer {
			n, err := integerOf(v)
			if err != nil || n < rule.min || n > rule.max {
				return nil, featureError(op, opts, f, c, "want an integer in %d..%d", rule.min, rule.max)
			}
			out[c] = n
			continue
		}
		s, ok := textOf(v)
		if !ok {
			return nil, featureError(op, opts, f, c, "want text")
		}
		if s == "" {
			if rule.required {
				return nil, featureError(op, opts, f, c, "is required")
			}
			out[c] = nil
			continue
		}
		form := plaintext.Line
		if c == "description" {
			form = plaintext.Block
		}
		if err := plaintext.Check(s, form, maxImportText); err != nil {
			return nil, featureError(op, opts, f, c, "%s", err)
		}
		if len(rule.enum) > 0 && !slices.Contains(rule.enum, s) {
			return nil, featureError(op, opts, f, c, "%q is not one of %s", truncate(s, 30), strings.Join(rule.enum, ", "))
		}
		out[c] = s
	}
	return out, nil
}

func textOf(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return "", false
}

func integerOf(v any) (int64, error) {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, nil
		}
		f, err := v.Float64()
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, fmt.Errorf("not an integer")
		}
		return int64(f), nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return 0, fmt.Errorf("not an integer")
		}
		return int64(v), nil
	case string:
		return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	}
	return 0, fmt.Errorf("not an integer")
}

// importGeometry checks a feature's geometry: type, coordinates (in CRS84
// files), and validity with geo/repair (repaired where safe).
func importGeometry(checker *repair.Checker, spec importSpec, f ImportFeature, opts ImportOptions) ([]byte, error) {
	const op = "civilprotection.Import"
	unprocessable := func(msg string) error {
		return &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: fmt.Sprintf("%s: %s: geometry: %s", opts.File, f.Ref, msg),
			Fields: []apperr.FieldError{{Field: "geometry", Reason: msg}}}
	}
	if f.Geometry == nil {
		return nil, unprocessable("is missing; want " + strings.Join(spec.geomTypes, " or "))
	}
	t := f.Geometry.GeoJSONType()
	if !slices.Contains(spec.geomTypes, t) {
		return nil, unprocessable(fmt.Sprintf("a %s is not accepted here; want %s", t, strings.Join(spec.geomTypes, " or ")))
	}
	if opts.SRID == 4326 {
		b := f.Geometry.Bound()
		if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
			return nil, unprocessable("coordinates are not longitude and latitude, but the file declares no other CRS; give it with --crs")
		}
	}
	res, err := checker.Check(f.Geometry)
	if err != nil {
		return nil, unprocessable(err.Error())
	}
	b, err := wkb.Marshal(res.Geometry)
	if err != nil {
		return nil, unprocessable("cannot be encoded")
	}
	return b, nil
}
