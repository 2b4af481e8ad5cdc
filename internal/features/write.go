package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/repair"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/plaintext"
	"github.com/cremasco/atlante/internal/store"
)

// Writer changes the features of editable layers (OGC API – Features Part
// 4). Every change runs in one transaction with its scope check and an
// audit row holding the feature before and after.
type Writer struct {
	pool     *pgxpool.Pool
	versions *store.Versions

	mu     sync.Mutex
	ranges map[string]map[string]intRange // edit table -> column -> range of its integer type
}

// NewWriter returns a Writer over the primary pool. After each committed
// change it re-reads versions (nil: nothing to refresh), so this instance's
// counts and tiles show the change at once.
func NewWriter(pool *pgxpool.Pool, versions *store.Versions) *Writer {
	return &Writer{pool: pool, versions: versions}
}

// Actor is who makes a change, for the audit log.
type Actor struct {
	TokenID int64
	Name    string
}

// Authorize says whether the caller may write the data of a comune.
type Authorize func(comune string) error

// Input is a feature as a client sent it: its properties (decoded JSON
// values) and geometry. For Update (a JSON merge patch), absent members are
// left alone and null properties are cleared.
type Input struct {
	// ID is the body's own id member (a string or a float64 as decoded
	// from JSON), nil when absent. On replace and update it must name the
	// feature of the path, if given at all.
	ID          any
	Properties  map[string]any
	Geometry    orb.Geometry
	HasGeometry bool
}

// Change is the result of a write.
type Change struct {
	ID      string
	ETag    string // quoted
	Repair  string // what geo/repair changed in the geometry, if anything
	Feature []byte // the feature as GeoJSON after the change (nil after delete)
}

// ETag formats a row version as an entity tag.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

func editable(l *catalog.Layer) (*catalog.Edit, error) {
	if l.Edit == nil {
		return nil, apperr.New("features.edit", apperr.Invalid, "collection %s is read-only", l.ID)
	}
	return l.Edit, nil
}

// values checks and converts the input's properties for the layer. With
// full (create, replace) every required property must be present and
// absent writable properties become null. The read-only properties sent
// (a client that puts back the feature it read sends them all) are
// returned apart, for sameReadOnly to compare with the stored ones.
func values(l *catalog.Layer, in Input, full bool, ranges map[string]intRange) (out, readOnly map[string]any, err error) {
	const op = "features.values"
	e := l.Edit
	out, readOnly = map[string]any{}, map[string]any{}
	for name, v := range in.Properties {
		if !slices.Contains(e.Writable, name) {
			if slices.ContainsFunc(l.FeatureProperties(), func(p catalog.Property) bool { return p.Name == name }) {
				readOnly[name] = v
				continue
			}
			return nil, nil, apperr.Invalidf(op, name, "unknown property; writable properties are %s", strings.Join(e.Writable, ", "))
		}
		p, _ := l.Property(name)
		form := plaintext.Line
		if slices.Contains(e.Multiline, name) {
			form = plaintext.Block
		}
		cv, err := coerce(p, v, form, ranges[name])
		if err != nil {
			return nil, nil, apperr.Invalidf(op, name, "%s", err)
		}
		if cv == nil && slices.Contains(e.Required, name) {
			return nil, nil, apperr.Invalidf(op, name, "is required")
		}
		out[name] = cv
	}
	if full {
		for _, name := range e.Writable {
			if _, ok := out[name]; !ok {
				if slices.Contains(e.Required, name) {
					return nil, nil, apperr.Invalidf(op, name, "is required")
				}
				out[name] = nil
			}
		}
	}
	return out, readOnly, nil
}

// maxText bounds a string property, in characters.
const maxText = 10000

// intRange is the range of an integer column; zero means no bound beyond
// what JSON numbers carry exactly (2^53).
type intRange struct{ min, max int64 }

// coerce converts a decoded JSON value to the column's Go type. Strings
// must be plain text of the form (package plaintext); integers must fit
// their column.
func coerce(p catalog.Property, v any, form plaintext.Form, r intRange) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch p.Type {
	case catalog.String:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string")
		}
		if err := plaintext.Check(s, form, maxText); err != nil {
			return nil, err
		}
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(p.Enum, ", "))
		}
		return s, nil
	case catalog.Integer:
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, fmt.Errorf("want an integer")
		}
		if r != (intRange{}) && (f < float64(r.min) || f > float64(r.max)) {
			return nil, fmt.Errorf("want an integer from %d to %d", r.min, r.max)
		}
		return int64(f), nil
	case catalog.Number:
		f, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("want a number")
		}
		return f, nil
	case catalog.Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false")
		}
		return b, nil
	case catalog.Date, catalog.DateTime:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a date string")
		}
		return parseValue(p, s)
	}
	return nil, fmt.Errorf("cannot be written")
}

// intRangesSQL lists the smallint and integer columns of a table ($1, a
// sanitized identifier from the catalog).
const intRangesSQL = `SELECT a.attname, a.atttypid::regtype::text FROM pg_attribute a
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid IN ('int2'::regtype, 'int4'::regtype)`

// intRanges returns the ranges of the layer's smallint and integer
// columns, read once from the database: a value out of range is refused by
// name instead of failing in pgx or PostgreSQL.
func (w *Writer) intRanges(ctx context.Context, l *catalog.Layer) (map[string]intRange, error) {
	table := l.Edit.Table.Sanitize()
	w.mu.Lock()
	r, ok := w.ranges[table]
	w.mu.Unlock()
	if ok {
		return r, nil
	}
	rows, err := w.pool.Query(ctx, intRangesSQL, table)
	if err != nil {
		return nil, store.Translate("features.intRanges", err)
	}
	r = map[string]intRange{}
	var name, typ string
	_, err = pgx.ForEachRow(rows, []any{&name, &typ}, func() error {
		if typ == "smallint" {
			r[name] = intRange{math.MinInt16, math.MaxInt16}
		} else {
			r[name] = intRange{math.MinInt32, math.MaxInt32}
		}
		return nil
	})
	if err != nil {
		return nil, store.Translate("features.intRanges", err)
	}
	w.mu.Lock()
	if w.ranges == nil {
		w.ranges = map[string]map[string]intRange{}
	}
	w.ranges[table] = r
	w.mu.Unlock()
	return r, nil
}

// sameID refuses a body whose id (the top-level member, or the id
// property) names another feature than the path; the same id is fine and
// is dropped from the properties, so that a feature read with GET can be
// sent back with PUT.
func sameID(l *catalog.Layer, path string, key any, in Input) error {
	const op = "features.sameID"
	for _, v := range []any{in.ID, in.Properties[l.IDColumn]} {
		if v == nil {
			continue
		}
		var got string
		switch v := v.(type) {
		case string:
			got = v
		case float64:
			got = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return apperr.Invalidf(op, "id", "want a string or a number")
		}
		same := got == path
		if n, err := strconv.ParseInt(got, 10, 64); err == nil && l.IDType == catalog.Integer {
			same = n == key
		}
		if !same {
			if r := []rune(got); len(r) > 40 {
				got = string(r[:40]) + "…"
			}
			return apperr.Invalidf(op, "id", "the body names feature %q but the path names feature %q: leave id out, or make them equal", got, path)
		}
	}
	delete(in.Properties, l.IDColumn)
	return nil
}

// geometry checks the input geometry with GEOS for the layer: type, then
// validity (repaired where safe, else refused with the reason, 422).
func geometry(ctx context.Context, l *catalog.Layer, g orb.Geometry) ([]byte, string, error) {
	const op = "features.geometry"
	if g == nil {
		return nil, "", apperr.Invalidf(op, "geometry", "is required")
	}
	// The limits first: everything below, and GEOS above all, grows with
	// the geometry.
	limit := func(err error) error {
		var le *geo.LimitError
		if !errors.As(err, &le) {
			return nil
		}
		return &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: "geometry: " + err.Error(), Err: err,
			Fields: []apperr.FieldError{{Field: "geometry", Reason: fmt.Sprintf("%s: %d, at most %d", le.Limit, le.Count, le.Max)}}}
	}
	if err := limit(geo.DefaultLimits.Check(g)); err != nil {
		return nil, "", err
	}
	types := l.Edit.GeomTypes
	t := g.GeoJSONType()
	if t == "Polygon" && !slices.Contains(types, "Polygon") && slices.Contains(types, "MultiPolygon") {
		g = orb.MultiPolygon{g.(orb.Polygon)}
		t = "MultiPolygon"
	}
	if !slices.Contains(types, t) {
		return nil, "", &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: fmt.Sprintf("geometry: a %s is not accepted here; use %s", t, strings.Join(types, " or ")),
			Fields: []apperr.FieldError{{Field: "geometry", Reason: "type " + t + " not accepted"}}}
	}
	b := g.Bound()
	if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
		return nil, "", &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: "geometry: coordinates outside longitude -180..180 / latitude -90..90: send CRS84 longitude, latitude (RFC 7946)",
			Fields: []apperr.FieldError{{Field: "geometry", Reason: "not CRS84"}}}
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err // the client left: start no GEOS work for it
	}
	res, err := repair.NewChecker().Check(g)
	if lerr := limit(err); lerr != nil {
		return nil, "", lerr
	}
	if err != nil {
		return nil, "", &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: "geometry: " + err.Error(), Err: err,
			Fields: []apperr.FieldError{{Field: "geometry", Reason: err.Error()}}}
	}
	out, err := wkb.Marshal(res.Geometry)
	if err != nil {
		return nil, "", apperr.Wrap(op, apperr.Unprocessable, err, "geometry cannot be encoded")
	}
	return out, res.Note, nil
}

// currentScope locks the feature and returns its comune and version.
func currentScope(ctx context.Context, tx pgx.Tx, l *catalog.Layer, id any) (string, int64, error) {
	var scope string
	var version int64
	err := tx.QueryRow(ctx, "SELECT "+pgx.Identifier{l.Edit.ScopeColumn}.Sanitize()+", version FROM "+l.Edit.Table.Sanitize()+
		" WHERE "+pgx.Identifier{l.IDColumn}.Sanitize()+" = $1 FOR UPDATE", id).Scan(&scope, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, apperr.New("features.write", apperr.NotFound, "collection %s has no feature %v", l.ID, id)
	}
	return scope, version, err
}

func checkIfMatch(ifMatch string, version int64) error {
	if ifMatch == "" || ifMatch == "*" {
		return nil
	}
	for _, tag := range strings.Split(ifMatch, ",") {
		if strings.TrimSpace(tag) == ETag(version) {
			return nil
		}
	}
	return apperr.New("features.write", apperr.Precondition,
		"the feature changed since you read it (its ETag is now %s): read it again and reapply your change", ETag(version))
}

func rowJSON(ctx context.Context, tx pgx.Tx, l *catalog.Layer, id any) ([]byte, error) {
	var b []byte
	err := tx.QueryRow(ctx, "SELECT to_jsonb(t) - 'geom_3857' FROM "+l.Edit.Table.Sanitize()+" t WHERE t."+
		pgx.Identifier{l.IDColumn}.Sanitize()+" = $1", id).Scan(&b)
	return b, err
}

func audit(ctx context.Context, tx pgx.Tx, l *catalog.Layer, actor Actor, action, id, scope string, before, after []byte) error {
	var tok *int64
	if actor.TokenID != 0 {
		tok = &actor.TokenID
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (token_id, actor, action, collection, object_id, istat_code, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tok, actor.Name, action, l.ID, id, scope, before, after)
	return err
}

func (w *Writer) featureAfter(ctx context.Context, tx pgx.Tx, l *catalog.Layer, id any) ([]byte, int64, error) {
	var f []byte
	var v int64
	err := tx.QueryRow(ctx, "SELECT "+featureSQL(l)+", e.version FROM "+l.Table.Sanitize()+" t JOIN "+l.Edit.Table.Sanitize()+
		" e ON e."+pgx.Identifier{l.IDColumn}.Sanitize()+" = t."+pgx.Identifier{l.IDColumn}.Sanitize()+
		" WHERE t."+pgx.Identifier{l.IDColumn}.Sanitize()+" = $1", id).Scan(&f, &v)
	return f, v, err
}

func parseID(l *catalog.Layer, id string) (any, error) {
	if l.IDType != catalog.Integer {
		return id, nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, apperr.New("features.write", apperr.NotFound, "collection %s has no feature %q", l.ID, id)
	}
	return n, nil
}

// Create adds a feature.
func (w *Writer) Create(ctx context.Context, l *catalog.Layer, in Input, allow Authorize, actor Actor) (Change, error) {
	const op = "features.Create"
	e, err := editable(l)
	if err != nil {
		return Change{}, err
	}
	ranges, err := w.intRanges(ctx, l)
	if err != nil {
		return Change{}, err
	}
	vals, readOnly, err := values(l, in, true, ranges)
	if err != nil {
		return Change{}, err
	}
	if err := noReadOnly(readOnly); err != nil {
		return Change{}, err
	}
	scope, _ := vals[e.ScopeColumn].(string)
	if err := allow(scope); err != nil {
		return Change{}, err
	}
	g, note, err := geometry(ctx, l, in.Geometry)
	if err != nil {
		return Change{}, err
	}
	cols := []string{pgx.Identifier{l.Geom}.Sanitize()}
	args := []any{g}
	ph := []string{"ST_SetSRID(ST_GeomFromWKB($1), 4326)"}
	for _, name := range e.Writable {
		args = append(args, vals[name])
		cols = append(cols, pgx.Identifier{name}.Sanitize())
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	ch := Change{Repair: note}
	err = w.versions.InTx(ctx, w.pool, func(tx pgx.Tx) error {
		var id any
		if err := tx.QueryRow(ctx, "INSERT INTO "+e.Table.Sanitize()+" ("+strings.Join(cols, ", ")+") VALUES ("+
			strings.Join(ph, ", ")+") RETURNING "+pgx.Identifier{l.IDColumn}.Sanitize(), args...).Scan(&id); err != nil {
			return err
		}
		ch.ID = fmt.Sprint(id)
		after, err := rowJSON(ctx, tx, l, id)
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, l, actor, "create", ch.ID, scope, nil, after); err != nil {
			return err
		}
		var v int64
		ch.Feature, v, err = w.featureAfter(ctx, tx, l, id)
		ch.ETag = ETag(v)
		return err
	})
	return ch, store.Translate(op, err)
}

// Replace replaces a feature's writable properties and geometry (PUT).
func (w *Writer) Replace(ctx context.Context, l *catalog.Layer, id string, in Input, ifMatch string, allow Authorize, actor Actor) (Change, error) {
	return w.change(ctx, "features.Replace", "replace", l, id, in, true, ifMatch, allow, actor)
}

// Update applies a JSON merge patch to a feature (PATCH).
func (w *Writer) Update(ctx context.Context, l *catalog.Layer, id string, in Input, ifMatch string, allow Authorize, actor Actor) (Change, error) {
	return w.change(ctx, "features.Update", "update", l, id, in, false, ifMatch, allow, actor)
}

func (w *Writer) change(ctx context.Context, op, action string, l *catalog.Layer, id string, in Input, full bool, ifMatch string, allow Authorize, actor Actor) (Change, error) {
	e, err := editable(l)
	if err != nil {
		return Change{}, err
	}
	key, err := parseID(l, id)
	if err != nil {
		return Change{}, err
	}
	if err := sameID(l, id, key, in); err != nil {
		return Change{}, err
	}
	ranges, err := w.intRanges(ctx, l)
	if err != nil {
		return Change{}, err
	}
	vals, readOnly, err := values(l, in, full, ranges)
	if err != nil {
		return Change{}, err
	}
	var g []byte
	ch := Change{ID: id}
	if in.HasGeometry || full {
		if g, ch.Repair, err = geometry(ctx, l, in.Geometry); err != nil {
			return Change{}, err
		}
	}
	err = w.versions.InTx(ctx, w.pool, func(tx pgx.Tx) error {
		scope, version, err := currentScope(ctx, tx, l, key)
		if err != nil {
			return err
		}
		// Check the scope before the version: a caller outside the scope
		// learns nothing about the feature's state.
		if err := allow(scope); err != nil {
			return err
		}
		if newScope, ok := vals[e.ScopeColumn].(string); ok && newScope != scope {
			if err := allow(newScope); err != nil {
				return err
			}
		}
		if err := checkIfMatch(ifMatch, version); err != nil {
			return err
		}
		if err := sameReadOnly(ctx, tx, l, key, readOnly); err != nil {
			return err
		}
		before, err := rowJSON(ctx, tx, l, key)
		if err != nil {
			return err
		}
		var sets []string
		args := []any{key}
		if g != nil {
			args = append(args, g)
			sets = append(sets, pgx.Identifier{l.Geom}.Sanitize()+" = ST_SetSRID(ST_GeomFromWKB($2), 4326)")
		}
		names := make([]string, 0, len(vals))
		for name := range vals {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			args = append(args, vals[name])
			sets = append(sets, pgx.Identifier{name}.Sanitize()+" = $"+strconv.Itoa(len(args)))
		}
		if len(sets) == 0 {
			sets = append(sets, "version = version") // an empty patch still answers with the feature
		}
		if _, err := tx.Exec(ctx, "UPDATE "+e.Table.Sanitize()+" SET "+strings.Join(sets, ", ")+" WHERE "+
			pgx.Identifier{l.IDColumn}.Sanitize()+" = $1", args...); err != nil {
			return err
		}
		after, err := rowJSON(ctx, tx, l, key)
		if err != nil {
			return err
		}
		newScope, _ := vals[e.ScopeColumn].(string)
		if newScope == "" {
			newScope = scope
		}
		if err := audit(ctx, tx, l, actor, action, id, newScope, before, after); err != nil {
			return err
		}
		var v int64
		ch.Feature, v, err = w.featureAfter(ctx, tx, l, key)
		ch.ETag = ETag(v)
		return err
	})
	return ch, store.Translate(op, err)
}

// Delete removes a feature.
func (w *Writer) Delete(ctx context.Context, l *catalog.Layer, id string, ifMatch string, allow Authorize, actor Actor) error {
	const op = "features.Delete"
	e, err := editable(l)
	if err != nil {
		return err
	}
	key, err := parseID(l, id)
	if err != nil {
		return err
	}
	err = w.versions.InTx(ctx, w.pool, func(tx pgx.Tx) error {
		scope, version, err := currentScope(ctx, tx, l, key)
		if err != nil {
			return err
		}
		if err := allow(scope); err != nil {
			return err
		}
		if err := checkIfMatch(ifMatch, version); err != nil {
			return err
		}
		before, err := rowJSON(ctx, tx, l, key)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+e.Table.Sanitize()+" WHERE "+pgx.Identifier{l.IDColumn}.Sanitize()+" = $1", key); err != nil {
			return err
		}
		return audit(ctx, tx, l, actor, "delete", id, scope, before, nil)
	})
	return store.Translate(op, err)
}

// Item returns an editable feature as GeoJSON with its entity tag, read
// together in one statement from the primary: the tag that If-Match must
// quote and the body are then of the same row version, whatever a read
// replica has replayed, and an editor reads back at once what it wrote.
func (w *Writer) Item(ctx context.Context, l *catalog.Layer, id string, crs geo.CRS) ([]byte, string, error) {
	const op = "features.Item"
	e, err := editable(l)
	if err != nil {
		return nil, "", err
	}
	if !validText(id) {
		return nil, "", apperr.New(op, apperr.NotFound, "collection %s has no feature %q", l.ID, id)
	}
	key, err := parseID(l, id)
	if err != nil {
		return nil, "", err
	}
	idCol := pgx.Identifier{l.IDColumn}.Sanitize()
	var b []byte
	var v int64
	err = w.pool.QueryRow(ctx, "SELECT "+featureSQLIn(l, crs)+", e.version FROM "+l.Table.Sanitize()+" t JOIN "+e.Table.Sanitize()+
		" e ON e."+idCol+" = t."+idCol+" WHERE t."+idCol+" = $1", key).Scan(&b, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", apperr.New(op, apperr.NotFound, "collection %s has no feature %q", l.ID, id)
	}
	if err != nil {
		return nil, "", store.Translate(op, err)
	}
	return b, ETag(v), nil
}
