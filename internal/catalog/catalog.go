// Package catalog is the registry of Atlante's layers. A layer is declared
// once, as a Layer value next to its domain; features, tiles, TileJSON, the
// OpenAPI document and the viewer all iterate the catalog, so a new layer is
// one migration plus one descriptor.
package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Access says who may read a layer.
type Access int

// Access levels. Only Public layers are served to anonymous callers.
const (
	Public Access = iota
	Private
)

// Type is the JSON type of a property, used to parse filter values and to
// describe the layer in OpenAPI and TileJSON.
type Type string

// Property types.
const (
	String   Type = "string"
	Integer  Type = "integer"
	Number   Type = "number"
	Boolean  Type = "boolean"
	Date     Type = "date"      // YYYY-MM-DD
	DateTime Type = "date-time" // RFC 3339
)

// Property is one attribute of a layer's features: a column of its table or
// view, served under the same name.
type Property struct {
	Name        string
	Type        Type
	Description string
	Enum        []string // allowed values, when the column has a fixed list
}

// Layer describes a table or view that Atlante serves as a collection and as
// vector tiles.
type Layer struct {
	ID          string // URL segment and MVT layer name, e.g. "comuni"
	Title       string
	Description string
	Attribution string

	Table    pgx.Identifier // table or view, e.g. {"public", "comuni"}
	IDColumn string         // unique feature id
	IDType   Type           // String or Integer
	Geom     string         // geometry column in EPSG:4326
	// GeomType is the one geometry type of every feature: GIS clients type
	// a layer by it and draw nothing else (see GeomTypes).
	GeomType string // "Point", "MultiPolygon", ...

	// TileGeom is a column holding Geom already projected to EPSG:3857, so
	// tiles skip ST_Transform; empty means transform on the fly.
	TileGeom string
	// TileFunc names a SQL function f(z int, x int, y int) RETURNS bytea that
	// builds this layer's tiles itself (aggregation at low zooms and the
	// like); empty means the generic tile query.
	TileFunc pgx.Identifier

	Properties []Property
	// TileProperties lists the properties written into vector tiles; nil
	// means all. Lean tiles are fast tiles.
	TileProperties []string
	// TileFields describes the attributes of tiles built by TileFunc (name →
	// description), for TileJSON; such tiles carry what the function writes,
	// not the layer's properties.
	TileFields map[string]string

	// Temporal names the property (or pair) that the items' datetime
	// parameter selects on and the collection's temporal extent spans;
	// nil for a layer without time.
	Temporal *Temporal
	// ValuesFirst lists nullable properties whose values should be seen on
	// the first page: items put the rows with the fewest nulls among them
	// first (by id within each group). QGIS types every field from the
	// first ten features it reads, so a column that is null there becomes
	// text for good.
	ValuesFirst []string
	// PageKey is a bigint column holding the page key of a point layer's
	// points (SQL page_key of the geometry's longitude and latitude, a
	// Morton code), with an index on (PageKey, IDColumn): pages inside a
	// bbox are then in that spatial order and read only the key ranges
	// that cover the box (features.keyRanges). Other pages are in id order.
	PageKey string

	MinZoom, MaxZoom int
	Access           Access

	// TileGeoms, when set, holds the layer's geometries already simplified
	// for each zoom (see TileGeoms), so a cold tile neither transforms nor
	// simplifies.
	TileGeoms *TileGeoms
	// Prebuild marks a small layer (a few dozen polygons, like comuni): the
	// tile service builds its tiles in the background whenever its data
	// version changes, so requests after a change find them ready.
	Prebuild bool

	// Sources are the tables whose writes change this layer; their data
	// versions invalidate caches. Nil means the last element of Table.
	Sources []string

	// Edit, when set, makes the layer writable through OGC API – Features
	// Part 4 (create, replace, update, delete) by tokens scoped to the
	// feature's comune.
	Edit *Edit
}

// Temporal is the time of a layer's features (OGC API – Features Part 1
// §7.15.4): an Instant property, or an interval from Start to End, where a
// null bound is open. Each names a date or date-time property.
type Temporal struct {
	Instant    string
	Start, End string
}

// Properties returns the names of the temporal properties.
func (t *Temporal) Properties() []string {
	if t.Instant != "" {
		return []string{t.Instant}
	}
	return []string{t.Start, t.End}
}

// GeomTypes are the geometry types a layer may declare: one simple-feature
// type each (RFC 7946 §3.1), never "Geometry" or a collection.
var GeomTypes = []string{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}

// TileGeoms is a table of a layer's TileGeom simplified in advance, one row
// per feature and zoom 0..MaxZoom, with columns id (the layer's id, same
// type), z smallint and geom (EPSG:3857, simplified by half a tile unit of
// zoom z, as tiles are). Triggers on the source table keep it in step.
type TileGeoms struct {
	Table   pgx.Identifier
	MaxZoom int
}

// Edit describes how a layer is written.
type Edit struct {
	// Table is written; its columns are the layer's ID, Geom and Writable
	// columns, plus an integer "version" column bumped on every update
	// (the items' ETag).
	Table pgx.Identifier
	// ScopeColumn holds the ISTAT code of the comune a feature belongs to;
	// tokens act only on their comuni.
	ScopeColumn string
	// Writable are the properties a client may set; Required must be set
	// on create and replace.
	Writable []string
	Required []string
	// Multiline are the writable string properties that may span lines
	// (tab, line feed, carriage return; see package plaintext); every other
	// string is one line.
	Multiline []string
	// GeomTypes are the accepted GeoJSON geometry types: the layer's
	// GeomType; a Polygon is promoted when that is MultiPolygon.
	GeomTypes []string
}

var (
	idPattern    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	identPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
)

// Reserved query parameters of the items endpoint; a property may not use
// these names because filters share the query string with them.
var Reserved = []string{"bbox", "bbox-crs", "limit", "offset", "f", "crs", "datetime", "filter", "filter-lang", "filter-crs", "properties", "sortby"}

// Property returns the property called name.
func (l *Layer) Property(name string) (Property, bool) {
	for _, p := range l.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// FeatureProperties returns the properties of the layer's GeoJSON
// features: the id column first when it is not a property already, so that
// the id survives clients that keep only properties (ogr2ogr to GeoJSON
// drops the top-level id), then the properties.
func (l *Layer) FeatureProperties() []Property {
	if _, ok := l.Property(l.IDColumn); ok {
		return l.Properties
	}
	id := Property{Name: l.IDColumn, Type: l.IDType, Description: "identifier of the feature (also its id)"}
	return append([]Property{id}, l.Properties...)
}

// PropertyNames returns the names of the layer's properties in order.
func (l *Layer) PropertyNames() []string {
	names := make([]string, len(l.Properties))
	for i, p := range l.Properties {
		names[i] = p.Name
	}
	return names
}

// TileProps returns the properties written into vector tiles.
func (l *Layer) TileProps() []Property {
	if l.TileProperties == nil {
		return l.Properties
	}
	var ps []Property
	for _, n := range l.TileProperties {
		if p, ok := l.Property(n); ok {
			ps = append(ps, p)
		}
	}
	return ps
}

// SourceTables returns the tables whose data versions identify the layer's
// data.
func (l *Layer) SourceTables() []string {
	if len(l.Sources) > 0 {
		return l.Sources
	}
	return []string{l.Table[len(l.Table)-1]}
}

// Hash identifies the layer's definition; it changes when the descriptor
// does, so caches and ETags from an older build are not reused.
func (l *Layer) Hash() string {
	b, _ := json.Marshal(l) // a struct of strings, ints and slices cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:4])
}

// Catalog is the set of layers, in declaration order.
type Catalog struct {
	layers []*Layer
	byID   map[string]*Layer
}

// New validates the layers and builds the catalog. Domains pass their
// Layers() here explicitly.
func New(layers ...Layer) (*Catalog, error) {
	c := &Catalog{byID: make(map[string]*Layer, len(layers))}
	for i := range layers {
		l := layers[i]
		if err := validate(&l); err != nil {
			return nil, err
		}
		if _, dup := c.byID[l.ID]; dup {
			return nil, fmt.Errorf("catalog: layer %q declared twice", l.ID)
		}
		c.layers = append(c.layers, &l)
		c.byID[l.ID] = &l
	}
	return c, nil
}

func validate(l *Layer) error {
	if !idPattern.MatchString(l.ID) {
		return fmt.Errorf("catalog: layer id %q: want lower-case letters, digits, - or _", l.ID)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("catalog: layer %q: %s", l.ID, fmt.Sprintf(format, args...))
	}
	if err := plainName(l.Table, "table"); err != "" {
		return bad("%s", err)
	}
	for _, col := range []string{l.IDColumn, l.Geom} {
		if !identPattern.MatchString(col) {
			return bad("column %q is not a plain identifier", col)
		}
	}
	if l.TileGeom != "" && !identPattern.MatchString(l.TileGeom) {
		return bad("tile geometry column %q is not a plain identifier", l.TileGeom)
	}
	if len(l.TileFunc) > 0 {
		if err := plainName(l.TileFunc, "tile function"); err != "" {
			return bad("%s", err)
		}
	}
	if g := l.TileGeoms; g != nil {
		if err := plainName(g.Table, "tile geometry table"); err != "" {
			return bad("%s", err)
		}
		if l.TileGeom == "" || len(l.TileFunc) > 0 || g.MaxZoom < 0 || g.MaxZoom > 24 {
			return bad("tile geometries need a tile geometry column, no tile function and a max zoom within 0..24")
		}
	}
	if l.IDType != String && l.IDType != Integer {
		return bad("id type must be string or integer")
	}
	if !slices.Contains(GeomTypes, l.GeomType) {
		return bad("geometry type %q: want one of %s (one type per layer, so that clients draw every feature)",
			l.GeomType, strings.Join(GeomTypes, ", "))
	}
	if l.MinZoom < 0 || l.MaxZoom > 24 || l.MinZoom > l.MaxZoom {
		return bad("zoom range %d..%d is not within 0..24", l.MinZoom, l.MaxZoom)
	}
	seen := map[string]bool{}
	for _, p := range l.Properties {
		if !identPattern.MatchString(p.Name) {
			return bad("property %q is not a plain identifier", p.Name)
		}
		if seen[p.Name] {
			return bad("property %q declared twice", p.Name)
		}
		if slices.Contains(Reserved, p.Name) {
			return bad("property %q clashes with a query parameter", p.Name)
		}
		if p.Name == l.Geom || p.Name == l.TileGeom {
			return bad("property %q is the geometry column", p.Name)
		}
		if p.Name == "geometry" {
			// The schemas and filters call the layer's geometry so.
			return bad("property %q clashes with the name of the geometry in schemas and filters", p.Name)
		}
		switch p.Type {
		case String, Integer, Number, Boolean, Date, DateTime:
		default:
			return bad("property %q has unknown type %q", p.Name, p.Type)
		}
		seen[p.Name] = true
	}
	for _, n := range l.TileProperties {
		if !seen[n] {
			return bad("tile property %q is not a property", n)
		}
	}
	if t := l.Temporal; t != nil {
		instant := t.Instant != "" && t.Start == "" && t.End == ""
		interval := t.Instant == "" && t.Start != "" && t.End != ""
		if !instant && !interval {
			return bad("temporal needs an instant, or a start and an end")
		}
		for _, n := range t.Properties() {
			if p, _ := l.Property(n); p.Type != Date && p.Type != DateTime {
				return bad("temporal property %q is not a date or date-time property", n)
			}
		}
	}
	for _, n := range l.ValuesFirst {
		if !seen[n] {
			return bad("values-first property %q is not a property", n)
		}
	}
	if l.PageKey != "" {
		if !identPattern.MatchString(l.PageKey) || seen[l.PageKey] || l.PageKey == l.IDColumn || l.PageKey == l.Geom {
			return bad("page key column %q is not a plain identifier apart from the properties, the id and the geometry", l.PageKey)
		}
		// The key is a point's; the page order of values-first layers
		// puts nulls first, which the key ranges do not follow.
		// Integer ids: a cursor tells page key order by a "k" no id
		// starts with (features.ParseCursor).
		if l.GeomType != "Point" || len(l.ValuesFirst) > 0 || l.IDType != Integer {
			return bad("a page key needs a Point layer with integer ids, without values-first properties")
		}
	}
	if e := l.Edit; e != nil {
		if len(e.Table) == 0 || len(e.GeomTypes) == 0 || !seen[e.ScopeColumn] {
			return bad("edit needs a table, geometry types and a scope column among the properties")
		}
		if err := plainName(e.Table, "edit table"); err != "" {
			return bad("%s", err)
		}
		for _, n := range slices.Concat(e.Writable, e.Required, e.Multiline) {
			if !seen[n] {
				return bad("writable property %q is not a property", n)
			}
		}
		for _, n := range e.Required {
			if !slices.Contains(e.Writable, n) {
				return bad("required property %q is not writable", n)
			}
		}
		for _, t := range e.GeomTypes {
			if t != l.GeomType {
				return bad("edit accepts %s geometries but the layer holds %s: one type per layer", t, l.GeomType)
			}
		}
	}
	return nil
}

// plainName checks a [schema.]name of what; it returns the problem, or "".
func plainName(id pgx.Identifier, what string) string {
	if len(id) == 0 || len(id) > 2 {
		return what + " must be [schema.]name"
	}
	for _, part := range id {
		if !identPattern.MatchString(part) {
			return fmt.Sprintf("%s name %q is not a plain identifier", what, part)
		}
	}
	return ""
}

// columns returns the columns of the relation rel (sanitised), none when
// it does not exist.
func columns(ctx context.Context, pool *pgxpool.Pool, rel string) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, rel)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// checkGeomType verifies that the layer's geometry column holds only its
// GeomType: by the column's type modifier, or, for an untyped column (a
// view over a table of several types), by looking for a row of another
// type. It returns the problem, or "".
func checkGeomType(ctx context.Context, pool *pgxpool.Pool, l *Layer, rel string) (string, error) {
	var declared string
	err := pool.QueryRow(ctx, `SELECT postgis_typmod_type(atttypmod) FROM pg_attribute
		WHERE attrelid = to_regclass($1) AND attname = $2 AND atttypid = 'geometry'::regtype`, rel, l.Geom).Scan(&declared)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Sprintf("layer %s: %s.%s is not a geometry column", l.ID, rel, l.Geom), nil
	}
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(declared, "Geometry") {
		if !strings.EqualFold(declared, l.GeomType) {
			return fmt.Sprintf("layer %s: %s.%s holds %s geometries, the layer declares %s", l.ID, rel, l.Geom, declared, l.GeomType), nil
		}
		return "", nil
	}
	var other string
	err = pool.QueryRow(ctx, "SELECT GeometryType(t."+pgx.Identifier{l.Geom}.Sanitize()+") FROM "+rel+" t WHERE GeometryType(t."+
		pgx.Identifier{l.Geom}.Sanitize()+") <> $1 LIMIT 1", strings.ToUpper(l.GeomType)).Scan(&other)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("layer %s: %s holds a %s feature, the layer declares only %s (one type per layer: split it)", l.ID, rel, other, l.GeomType), nil
}

// Layers returns all layers in declaration order.
func (c *Catalog) Layers() []*Layer { return c.layers }

// Layer returns the layer with the given id.
func (c *Catalog) Layer(id string) (*Layer, bool) {
	l, ok := c.byID[id]
	return l, ok
}

// Check verifies against the database that every layer's relation and
// columns exist, so a descriptor out of step with the migrations fails at
// start-up rather than on the first request.
func (c *Catalog) Check(ctx context.Context, pool *pgxpool.Pool) error {
	var problems []string
	for _, l := range c.layers {
		rel := l.Table.Sanitize()
		cols, err := columns(ctx, pool, rel)
		if err != nil {
			return fmt.Errorf("catalog: check %s: %w", l.ID, err)
		}
		if len(cols) == 0 {
			problems = append(problems, fmt.Sprintf("layer %s: relation %s does not exist", l.ID, rel))
			continue
		}
		want := append([]string{l.IDColumn, l.Geom}, l.PropertyNames()...)
		if l.TileGeom != "" {
			want = append(want, l.TileGeom)
		}
		if l.PageKey != "" {
			want = append(want, l.PageKey)
		}
		for _, w := range want {
			if !slices.Contains(cols, w) {
				problems = append(problems, fmt.Sprintf("layer %s: %s has no column %s", l.ID, rel, w))
			}
		}
		if slices.Contains(cols, l.Geom) {
			p, err := checkGeomType(ctx, pool, l, rel)
			if err != nil {
				return fmt.Errorf("catalog: check %s: %w", l.ID, err)
			}
			if p != "" {
				problems = append(problems, p)
			}
		}
		if g := l.TileGeoms; g != nil {
			cols, err := columns(ctx, pool, g.Table.Sanitize())
			if err != nil {
				return fmt.Errorf("catalog: check %s: %w", l.ID, err)
			}
			for _, w := range []string{"id", "z", "geom"} {
				if !slices.Contains(cols, w) {
					problems = append(problems, fmt.Sprintf("layer %s: tile geometry table %s has no column %s", l.ID, g.Table.Sanitize(), w))
				}
			}
		}
		if len(l.TileFunc) > 0 {
			var ok bool
			if err := pool.QueryRow(ctx, `SELECT to_regproc($1) IS NOT NULL`, l.TileFunc.Sanitize()).Scan(&ok); err != nil {
				return fmt.Errorf("catalog: check %s: %w", l.ID, err)
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("layer %s: tile function %s does not exist", l.ID, l.TileFunc.Sanitize()))
			}
		}
		if e := l.Edit; e != nil {
			// The columns the writer sets and reads (see Edit.Table).
			rel := e.Table.Sanitize()
			cols, err := columns(ctx, pool, rel)
			if err != nil {
				return fmt.Errorf("catalog: check %s: %w", l.ID, err)
			}
			if len(cols) == 0 {
				problems = append(problems, fmt.Sprintf("layer %s: edit table %s does not exist", l.ID, rel))
				continue
			}
			for _, w := range append([]string{l.IDColumn, l.Geom, e.ScopeColumn, "version"}, e.Writable...) {
				if !slices.Contains(cols, w) {
					problems = append(problems, fmt.Sprintf("layer %s: edit table %s has no column %s", l.ID, rel, w))
				}
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("catalog: the database does not match the layer declarations (run migrations?): %s", strings.Join(problems, "; "))
	}
	return nil
}
