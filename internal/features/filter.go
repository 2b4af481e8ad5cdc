package features

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/cql2"
	"github.com/cremasco/atlante/geo/repair"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
)

// Filtering (OGC API – Features Part 3, OGC 19-079r2) with the Common Query
// Language (CQL2, OGC 21-065r2). A filter is parsed into a cql2 tree, typed
// against the layer's queryables, and compiled here to a SQL condition over
// the catalog's own columns: identifiers come only from the catalog, every
// value of the filter is a parameter ($n), never text of the query.

// FilterConformance lists the conformance classes of filtering that items
// implement; each has tests in filter_test.go that compare the items with
// SQL written by hand over the same data.
var FilterConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/property-property",
	"http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
}

// The filter languages (filter-lang). LangGDAL is the name of the draft
// of Part 3 that GDAL's OAPIF driver (3.x) looks for in the OpenAPI
// document and sends with the -where it pushes to the server: it reads as
// cql2-text, plus the forms GDAL writes (see adaptGDAL).
const (
	LangText = "cql2-text"
	LangJSON = "cql2-json"
	LangGDAL = "cql-text"
)

// FilterLangs are the values of filter-lang, the default first.
var FilterLangs = []string{LangText, LangJSON, LangGDAL}

// MaxFilterVertices bounds the coordinates of the geometry literals of one
// filter: a drawn area or a road of a few thousand vertices fits, and one
// spatial test against every row of a layer stays in milliseconds per
// thousand rows. The other limits (length, depth, nodes) are cql2's
// defaults.
const MaxFilterVertices = 10000

var filterLimits = cql2.Limits{MaxVertices: MaxFilterVertices}

// GeometryQueryable is the name of a layer's geometry in filters, as in
// its GeoJSON features and its schema.
const GeometryQueryable = "geometry"

// Queryable is a name a filter may use: the id, the geometry or a property.
type Queryable struct {
	Name        string
	Type        catalog.Type // "" for the geometry
	GeomType    string       // the geometry's type, for the geometry
	Description string
	Enum        []string
	Role        string // Part 5's x-ogc-role: "id", "primary-geometry" or ""
	column      string
}

// Queryables returns what a filter on l may name, in the order of the
// features' schema: the id (when it is not a property), the geometry, the
// properties. The queryables document lists exactly these.
func Queryables(l *catalog.Layer) []Queryable {
	var qs []Queryable
	geom := Queryable{Name: GeometryQueryable, GeomType: l.GeomType, Description: "the geometry of the feature",
		Role: "primary-geometry", column: l.Geom}
	for i, p := range l.FeatureProperties() {
		q := Queryable{Name: p.Name, Type: p.Type, Description: p.Description, Enum: p.Enum, column: p.Name}
		if p.Name == l.IDColumn {
			q.Role = "id"
		}
		qs = append(qs, q)
		if i == 0 {
			qs = append(qs, geom)
		}
	}
	if len(qs) == 0 {
		qs = append(qs, geom)
	}
	return qs
}

func (q Queryable) cqlType() cql2.Type {
	switch q.Type {
	case "":
		return cql2.TypeGeometry
	case catalog.String:
		return cql2.TypeString
	case catalog.Integer, catalog.Number:
		return cql2.TypeNumber
	case catalog.Boolean:
		return cql2.TypeBoolean
	case catalog.Date:
		return cql2.TypeDate
	}
	return cql2.TypeTimestamp
}

// Expression is a filter checked against a layer and compiled to SQL.
type Expression struct {
	// Text is the filter in canonical cql2-text, whatever encoding came:
	// links carry it, and the count cache is keyed by it.
	Text string
	// CRS is filter-crs as given ("" when absent), for links.
	CRS string

	sql  string // a condition on t, whose parameters are $1..$len(args)
	args []any
}

// ParseFilter reads the filter parameter of l's items in the language
// lang (cql2-text when "", cql2-json, or cql-text as GDAL writes it),
// checks it against l's queryables and compiles it. crs is filter-crs as
// given ("" is CRS84): geometry literals and BBOX are read in it, in its
// axis order (Part 3 with Part 2). Every problem is an apperr.Invalid for
// field "filter" (or "filter-lang", "filter-crs") whose message says
// where and what was expected.
func ParseFilter(l *catalog.Layer, filter, lang, crs string) (*Expression, error) {
	const op = "features.ParseFilter"
	if lang == "" {
		lang = LangText
	}
	literals := geo.CRS84
	if crs != "" {
		var err error
		if literals, err = ParseCRS("filter-crs", crs); err != nil {
			return nil, err
		}
	}
	var tree cql2.Expr
	var err error
	switch lang {
	case LangText:
		tree, err = filterLimits.ParseText(filter)
	case LangGDAL:
		tree, err = filterLimits.ParseText(gdalILIKE(filter))
	case LangJSON:
		tree, err = filterLimits.ParseJSON([]byte(filter))
	default:
		return nil, apperr.Invalidf(op, "filter-lang", "%q is not a filter language of this server; use %s", lang, strings.Join(FilterLangs[:2], " or "))
	}
	if err != nil {
		return nil, invalidFilter(op, err)
	}
	qs := map[string]Queryable{}
	for _, q := range Queryables(l) {
		qs[q.Name] = q
	}
	if err := knownProperties(l, tree, qs); err != nil {
		return nil, invalidFilter(op, err)
	}
	if lang == LangGDAL {
		adaptGDAL(tree, qs)
	}
	env := cql2.Env{
		Property: func(name string) (cql2.Type, bool) {
			q, ok := qs[name]
			return q.cqlType(), ok
		},
		Function: func(name string, _ []cql2.Type) (cql2.Type, error) {
			return 0, fmt.Errorf("unknown function '%s': Atlante has no functions besides the operators of CQL2", name)
		},
	}
	if err := cql2.Check(tree, env); err != nil {
		return nil, invalidFilter(op, err)
	}
	c := &compiler{qs: qs, crs: literals}
	sql, err := c.predicate(tree)
	if err != nil {
		return nil, invalidFilter(op, err)
	}
	return &Expression{Text: cql2.Text(tree), CRS: crs, sql: sql, args: c.args}, nil
}

// placeholderRE matches the parameters of a compiled filter; its SQL has
// no other '$' (values are parameters, the rest is the compiler's text).
var placeholderRE = regexp.MustCompile(`\$[0-9]+`)

// condition returns the filter's SQL with its parameters numbered after
// the first n.
func (e *Expression) condition(n int) string {
	if n == 0 {
		return e.sql
	}
	return placeholderRE.ReplaceAllStringFunc(e.sql, func(p string) string {
		i, _ := strconv.Atoi(p[1:]) // digits only
		return "$" + strconv.Itoa(i+n)
	})
}

func invalidFilter(op string, err error) error {
	var ce *cql2.Error
	if !errors.As(err, &ce) {
		return apperr.Wrap(op, apperr.Internal, err, "the filter could not be read")
	}
	return apperr.Invalidf(op, "filter", "%s", ce.Error())
}

// knownProperties refuses a property that is not a queryable, listing those
// that are.
func knownProperties(l *catalog.Layer, tree cql2.Expr, qs map[string]Queryable) error {
	var err error
	cql2.Walk(tree, func(n cql2.Expr) bool {
		if p, ok := n.(*cql2.Property); ok && err == nil {
			if _, known := qs[p.Name]; !known {
				names := make([]string, 0, len(qs))
				for _, q := range Queryables(l) {
					names = append(names, q.Name)
				}
				err = failAt(p, "unknown property %s; the queryables of %s are %s", quoteName(p.Name), l.ID, strings.Join(names, ", "))
			}
		}
		return err == nil
	})
	return err
}

func failAt(e cql2.Expr, format string, args ...any) *cql2.Error {
	return &cql2.Error{Pos: e.Pos(), Msg: fmt.Sprintf(format, args...)}
}

// quoteName quotes a name from the filter for a message, shortened.
func quoteName(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return "'" + s + "'"
}

// adaptGDAL rewrites what GDAL's OAPIF driver writes when it pushes a
// -where down (filter-lang=cql-text) into the CQL2 that means the same:
// GDAL quotes dates and times as strings ('2026-01-01T' is a day,
// '2026-01-01T10:00:00Z' an instant), compares booleans, which it reads as
// integers, with 0 and 1, and its LIKE ignores case, as in OGR SQL.
func adaptGDAL(tree cql2.Expr, qs map[string]Queryable) {
	cql2.Walk(tree, func(n cql2.Expr) bool {
		switch n := n.(type) {
		case *cql2.Compare:
			n.Left, n.Right = gdalLiteral(n.Left, n.Right, qs), gdalLiteral(n.Right, n.Left, qs)
		case *cql2.Like:
			n.Value, n.Pattern = &cql2.Casei{Arg: n.Value}, &cql2.Casei{Arg: n.Pattern}
		}
		return true
	})
}

// gdalILIKE turns the ILIKE keyword that GDAL writes for an OGR SQL
// ILIKE into LIKE, outside quoted strings and names: GDAL's LIKE ignores
// case already (see adaptGDAL), so both mean the same.
func gdalILIKE(s string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'' && c == '\\' && i+1 < len(s):
			b.WriteByte(c)
			i++
			c = s[i] // an escaped character of the string
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case c == '\'' || c == '"':
			quote = c
		case (c == 'i' || c == 'I') && len(s)-i >= 5 && strings.EqualFold(s[i:i+5], "ILIKE") &&
			(i == 0 || !identChar(s[i-1])) && (i+5 == len(s) || !identChar(s[i+5])):
			// As long as ILIKE, so that error positions stay right.
			b.WriteString(" LIKE")
			i += 4
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func identChar(c byte) bool {
	return c == '_' || c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// gdalLiteral returns lit as the type of the property on the other side
// of a comparison, when GDAL wrote it in another type; lit otherwise.
func gdalLiteral(lit, other cql2.Expr, qs map[string]Queryable) cql2.Expr {
	p, ok := other.(*cql2.Property)
	if !ok {
		return lit
	}
	switch q := qs[p.Name]; q.Type {
	case catalog.Boolean:
		if n, ok := lit.(*cql2.Number); ok && (n.Value == 0 || n.Value == 1) {
			return &cql2.Bool{Value: n.Value == 1}
		}
	case catalog.Date, catalog.DateTime:
		s, ok := lit.(*cql2.String)
		if !ok {
			return lit
		}
		t, day, ok := gdalInstant(s.Value)
		switch {
		case !ok:
		case q.Type == catalog.Date && day:
			return &cql2.Date{Time: t}
		case q.Type == catalog.DateTime:
			return &cql2.Timestamp{Time: t}
		}
	}
	return lit
}

// gdalInstant parses the forms of GDAL's SerializeDateTime: a day
// ("2026-01-31" or "2026-01-31T") or a time in UTC to the hour, minute or
// second ("2026-01-31T10Z", "2026-01-31T10:30Z", "2026-01-31T10:30:00Z"),
// and RFC 3339 date-times.
func gdalInstant(s string) (t time.Time, day bool, ok bool) {
	if d, err := time.Parse(time.DateOnly, strings.TrimSuffix(s, "T")); err == nil {
		return d, true, true
	}
	for _, layout := range []string{"2006-01-02T15Z", "2006-01-02T15:04Z", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), false, true
		}
	}
	return time.Time{}, false, false
}

// compiler turns a checked tree into SQL over the layer's row t.
type compiler struct {
	qs      map[string]Queryable
	crs     geo.CRS // of the geometry literals (filter-crs)
	args    []any
	checker *repair.Checker // made on the first geometry literal
}

// arg adds v as the next parameter and returns its placeholder, cast to
// typ so that PostgreSQL never has to guess a parameter's type.
func (c *compiler) arg(v any, typ string) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args)) + "::" + typ
}

func (c *compiler) column(p *cql2.Property) (string, Queryable) {
	q := c.qs[p.Name]
	return "t." + pgx.Identifier{q.column}.Sanitize(), q
}

// predicate compiles a boolean expression.
func (c *compiler) predicate(e cql2.Expr) (string, error) {
	switch n := e.(type) {
	case *cql2.Logical:
		parts := make([]string, len(n.Args))
		for i, a := range n.Args {
			s, err := c.predicate(a)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, map[cql2.LogicalOp]string{cql2.And: " AND ", cql2.Or: " OR "}[n.Op]) + ")", nil
	case *cql2.Not:
		s, err := c.predicate(n.Arg)
		return "(NOT " + s + ")", err
	case *cql2.Bool:
		return c.arg(n.Value, "boolean"), nil
	case *cql2.Compare:
		l, r, err := c.pair(n.Left, n.Right)
		return "(" + l + " " + string(n.Op) + " " + r + ")", err
	case *cql2.Like:
		if err := checkPattern(n.Pattern); err != nil {
			return "", err
		}
		v, p, err := c.pair(n.Value, n.Pattern)
		// CQL2's LIKE escapes with a backslash, as PostgreSQL's does by
		// default; said explicitly so that no setting changes it.
		return "(" + v + " LIKE " + p + ` ESCAPE E'\\')`, err
	case *cql2.Between:
		v, lo, err := c.pair(n.Value, n.Low)
		if err != nil {
			return "", err
		}
		hi, err := c.scalar(n.High)
		return "(" + v + " BETWEEN " + lo + " AND " + hi + ")", err
	case *cql2.In:
		v, err := c.scalar(n.Value)
		if err != nil {
			return "", err
		}
		list := make([]string, len(n.List))
		for i, a := range n.List {
			if list[i], err = c.scalar(a); err != nil {
				return "", err
			}
		}
		return "(" + v + " IN (" + strings.Join(list, ", ") + "))", nil
	case *cql2.IsNull:
		v, err := c.value(n.Arg)
		return "(" + v + " IS NULL)", err
	case *cql2.Spatial:
		return c.spatial(n)
	case *cql2.Temporal:
		return c.temporal(n)
	case *cql2.ArrayPredicate:
		return "", failAt(n, "%s: Atlante has no array properties, and no array functions", strings.ToUpper(string(n.Op)))
	}
	return "", failAt(e, "expected a predicate here")
}

func (c *compiler) pair(a, b cql2.Expr) (string, string, error) {
	l, err := c.scalar(a)
	if err != nil {
		return "", "", err
	}
	r, err := c.scalar(b)
	return l, r, err
}

// value compiles the operand of IS NULL, which may be of any type.
func (c *compiler) value(e cql2.Expr) (string, error) {
	switch e.(type) {
	case *cql2.Geometry, *cql2.BBox:
		return c.geometry(e)
	case *cql2.Interval:
		return "", failAt(e, "IS NULL tests a value, not an interval: test its bounds")
	case *cql2.Property, *cql2.String, *cql2.Number, *cql2.Date, *cql2.Timestamp,
		*cql2.Arith, *cql2.Casei, *cql2.Accenti, *cql2.Function:
		return c.scalar(e)
	}
	return c.predicate(e)
}

// scalar compiles a string, number, boolean, date or timestamp, and a
// property of any type (the geometry too).
func (c *compiler) scalar(e cql2.Expr) (string, error) {
	switch n := e.(type) {
	case *cql2.Property:
		col, _ := c.column(n)
		return col, nil
	case *cql2.String:
		return c.arg(n.Value, "text"), nil
	case *cql2.Number:
		// Whole numbers as bigint, so that an integer column keeps its
		// index (an id, a count); others as double precision.
		if n.Value == math.Trunc(n.Value) && math.Abs(n.Value) <= 1<<53 {
			return c.arg(int64(n.Value), "int8"), nil
		}
		return c.arg(n.Value, "float8"), nil
	case *cql2.Bool:
		return c.arg(n.Value, "boolean"), nil
	case *cql2.Date:
		return c.arg(n.Time, "date"), nil
	case *cql2.Timestamp:
		return c.arg(n.Time, "timestamptz"), nil
	case *cql2.Arith:
		return c.arith(n)
	case *cql2.Casei, *cql2.Accenti:
		return c.fold(e)
	case *cql2.Function:
		return "", failAt(n, "unknown function %s", quoteName(n.Name))
	}
	return "", failAt(e, "expected a value here")
}

// fold compiles CASEI and ACCENTI, in any nesting, as one normal form:
// cql2_accenti(cql2_casei(x)). The two functions are immutable SQL
// functions (migration 00040), so an index on that form serves them.
func (c *compiler) fold(e cql2.Expr) (string, error) {
	casei, accenti := false, false
	for {
		switch n := e.(type) {
		case *cql2.Casei:
			casei, e = true, n.Arg
			continue
		case *cql2.Accenti:
			accenti, e = true, n.Arg
			continue
		}
		break
	}
	s, err := c.scalar(e)
	if casei {
		s = "cql2_casei(" + s + ")"
	}
	if accenti {
		s = "cql2_accenti(" + s + ")"
	}
	return s, err
}

// checkPattern refuses a LIKE pattern that ends with an escape character,
// which PostgreSQL would refuse at run time.
func checkPattern(e cql2.Expr) error {
	for {
		switch n := e.(type) {
		case *cql2.Casei:
			e = n.Arg
			continue
		case *cql2.Accenti:
			e = n.Arg
			continue
		case *cql2.String:
			tail := len(n.Value) - len(strings.TrimRight(n.Value, `\`))
			if tail%2 == 1 {
				return failAt(n, `the pattern of LIKE ends with the escape character \; write \\ for a backslash`)
			}
		}
		return nil
	}
}

func (c *compiler) arith(n *cql2.Arith) (string, error) {
	l, r, err := c.pair(n.Left, n.Right)
	if err != nil {
		return "", err
	}
	// Arithmetic is in double precision, so that / divides exactly (it
	// truncates between integers in SQL); % and div are on numeric, where
	// PostgreSQL defines them.
	switch n.Op {
	case cql2.Mod:
		return "mod((" + l + ")::numeric, (" + r + ")::numeric)::float8", nil
	case cql2.Div:
		return "div((" + l + ")::numeric, (" + r + ")::numeric)::float8", nil
	case cql2.Pow:
		return "power((" + l + ")::float8, (" + r + ")::float8)", nil
	}
	return "((" + l + ")::float8 " + string(n.Op) + " (" + r + ")::float8)", nil
}

// spatialSQL are the PostGIS predicates of the spatial functions; each
// uses the GiST index of a geometry column. S_DISJOINT is the negation of
// S_INTERSECTS (its definition in OGC 06-103r4), which is what PostGIS's
// ST_Disjoint computes, without an index.
var spatialSQL = map[cql2.SpatialOp]string{
	cql2.SIntersects: "ST_Intersects",
	cql2.SEquals:     "ST_Equals",
	cql2.SDisjoint:   "NOT ST_Intersects",
	cql2.STouches:    "ST_Touches",
	cql2.SWithin:     "ST_Within",
	cql2.SOverlaps:   "ST_Overlaps",
	cql2.SCrosses:    "ST_Crosses",
	cql2.SContains:   "ST_Contains",
}

func (c *compiler) spatial(n *cql2.Spatial) (string, error) {
	a, err := c.geometry(n.Left)
	if err != nil {
		return "", err
	}
	b, err := c.geometry(n.Right)
	if err != nil {
		return "", err
	}
	return "(" + spatialSQL[n.Op] + "(" + a + ", " + b + "))", nil
}

// geometry compiles a geometry: the layer's, a literal (checked by the
// door guard, repaired when that is safe, refused otherwise) or a BBOX.
// Literals are in filter-crs; in CRS84, whose axis order is the storage's
// (EPSG:4326 as PostGIS stores it: longitude, latitude), they are used as
// they are, otherwise put x first and transformed to WGS 84 (see
// inStorage).
func (c *compiler) geometry(e cql2.Expr) (string, error) {
	switch n := e.(type) {
	case *cql2.Property:
		col, _ := c.column(n)
		return col, nil
	case *cql2.Geometry:
		if c.checker == nil {
			c.checker = repair.NewChecker()
		}
		g := n.Geom
		if c.crs.NorthFirst {
			g = geo.SwapXY(g)
		}
		if !c.crs.IsCRS84() {
			if b := g.Bound(); !c.crs.Domain.Contains(b.Min) || !c.crs.Domain.Contains(b.Max) {
				return "", failAt(n, "the geometry lies outside the area of %s (%s): %s", c.crs, c.crs.Name, c.axisHint())
			}
		}
		res, err := c.checker.Check(g)
		if err != nil {
			return "", failAt(n, "the geometry cannot be used: %s", err.Error())
		}
		b, err := wkb.Marshal(res.Geometry)
		if err != nil {
			return "", failAt(n, "the geometry cannot be used: %v", err)
		}
		if c.crs.IsCRS84() || c.crs.SRID == geo.WGS84 {
			return "ST_GeomFromWKB(" + c.arg(b, "bytea") + ", 4326)", nil
		}
		return c.inStorage("ST_GeomFromWKB("+c.arg(b, "bytea")+", "+strconv.Itoa(int(c.crs.SRID))+")", res.Geometry.Bound()), nil
	case *cql2.BBox:
		if c.crs.IsCRS84() {
			return c.bbox(n.Bound), nil
		}
		b := n.Bound
		if c.crs.NorthFirst {
			b = orb.Bound{Min: orb.Point{b.Min[1], b.Min[0]}, Max: orb.Point{b.Max[1], b.Max[0]}}
		}
		if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			return "", failAt(n, "the box's minimum is above its maximum: %s", c.axisHint())
		}
		clipped, ok := c.crs.Clip(b)
		if !ok {
			return "", failAt(n, "the box lies outside the area of %s (%s): %s", c.crs, c.crs.Name, c.axisHint())
		}
		env := "ST_Envelope(ST_MakeEnvelope(" + c.arg(clipped.Min[0], "float8") + ", " + c.arg(clipped.Min[1], "float8") + ", " +
			c.arg(clipped.Max[0], "float8") + ", " + c.arg(clipped.Max[1], "float8") + ", " + strconv.Itoa(int(c.crs.SRID)) + "))"
		if c.crs.SRID == geo.WGS84 {
			return env, nil
		}
		return c.inStorage(env, clipped), nil
	}
	return c.scalar(e)
}

// inStorage is geom, an expression in filter-crs whose bound is b,
// transformed to WGS 84, where the filter meets the stored geometries. A
// projected geometry's straight sides bend there: they are cut into
// chords first, as a projected bbox is (see bboxChord).
func (c *compiler) inStorage(geom string, b orb.Bound) string {
	if !c.crs.Geographic {
		seg := max(max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])/bboxSegments, bboxChord)
		geom = "ST_Segmentize(" + geom + ", " + c.arg(seg, "float8") + ")"
	}
	return "ST_Transform(" + geom + ", 4326)"
}

// axisHint says in which order filter-crs takes coordinates.
func (c *compiler) axisHint() string {
	switch {
	case c.crs.Geographic && c.crs.NorthFirst:
		return "in " + c.crs.String() + " give latitude first"
	case c.crs.NorthFirst:
		return "in " + c.crs.String() + " give northing first"
	}
	return "in " + c.crs.String() + " give easting first"
}

// bbox is a box as a geometry: a point or a line when it is degenerate (as
// the bbox parameter does), two boxes when it crosses the antimeridian.
func (c *compiler) bbox(b orb.Bound) string {
	box := func(w, s, e, n float64) string {
		return "ST_Envelope(ST_MakeEnvelope(" + c.arg(w, "float8") + ", " + c.arg(s, "float8") + ", " +
			c.arg(e, "float8") + ", " + c.arg(n, "float8") + ", 4326))"
	}
	if b.Min[0] > b.Max[0] {
		return "ST_Collect(" + box(b.Min[0], b.Min[1], 180, b.Max[1]) + ", " + box(-180, b.Min[1], b.Max[0], b.Max[1]) + ")"
	}
	return box(b.Min[0], b.Min[1], b.Max[0], b.Max[1])
}

// span is a temporal operand as the bounds of an interval (both the same
// for an instant). Bounds are compiled when first used, so that every
// parameter appears in the SQL (PostgreSQL refuses one it cannot type).
type span struct {
	start, end *bound
	instant    bool
}

// bound is one end of a span: a date or timestamp expression, or open.
type bound struct {
	e    cql2.Expr
	open bool
	day  bool
	sql  string
}

// instantOnly are the temporal functions defined for instants as well as
// intervals (CQL2 table "temporal functions that support both instants and
// intervals"); the others compare intervals, and an instant is a client
// error.
var instantOnly = []cql2.TemporalOp{cql2.TAfter, cql2.TBefore, cql2.TDisjoint, cql2.TEquals, cql2.TIntersects}

func (c *compiler) temporal(n *cql2.Temporal) (string, error) {
	a, b := c.span(n.Left), c.span(n.Right)
	if !slices.Contains(instantOnly, n.Op) {
		for _, x := range []struct {
			s span
			e cql2.Expr
		}{{a, n.Left}, {b, n.Right}} {
			if x.s.instant {
				return "", failAt(x.e, "%s compares two intervals, and this is an instant: write INTERVAL(start, end), or use T_AFTER, T_BEFORE, T_DISJOINT, T_EQUALS or T_INTERSECTS",
					strings.ToUpper(string(n.Op)))
			}
		}
	}
	// Dates compare as dates; with a timestamp on either side, a date is
	// its whole day in UTC, from its first to its last microsecond.
	days := true
	for _, x := range []*bound{a.start, a.end, b.start, b.end} {
		days = days && (x.open || x.day)
	}
	var err error
	get := func(x *bound, end bool) string {
		s, e := c.bound(x, end, days)
		if err == nil {
			err = e
		}
		return s
	}
	s1 := func() string { return get(a.start, false) }
	e1 := func() string { return get(a.end, true) }
	s2 := func() string { return get(b.start, false) }
	e2 := func() string { return get(b.end, true) }
	var conds []string
	switch n.Op {
	case cql2.TAfter:
		conds = []string{s1() + " > " + e2()}
	case cql2.TBefore:
		conds = []string{e1() + " < " + s2()}
	case cql2.TDisjoint:
		conds = []string{"(" + e1() + " < " + s2() + " OR " + s1() + " > " + e2() + ")"}
	case cql2.TEquals:
		conds = []string{s1() + " = " + s2(), e1() + " = " + e2()}
	case cql2.TIntersects:
		conds = []string{s1() + " <= " + e2(), e1() + " >= " + s2()}
	case cql2.TContains:
		conds = []string{s1() + " < " + s2(), e2() + " < " + e1()}
	case cql2.TDuring:
		conds = []string{s2() + " < " + s1(), e1() + " < " + e2()}
	case cql2.TFinishedBy:
		conds = []string{s1() + " < " + s2(), e1() + " = " + e2()}
	case cql2.TFinishes:
		conds = []string{s2() + " < " + s1(), e1() + " = " + e2()}
	case cql2.TMeets:
		conds = []string{e1() + " = " + s2()}
	case cql2.TMetBy:
		conds = []string{s1() + " = " + e2()}
	case cql2.TOverlappedBy:
		conds = []string{s2() + " < " + s1(), s1() + " < " + e2(), e2() + " < " + e1()}
	case cql2.TOverlaps:
		conds = []string{s1() + " < " + s2(), s2() + " < " + e1(), e1() + " < " + e2()}
	case cql2.TStartedBy:
		conds = []string{s1() + " = " + s2(), e2() + " < " + e1()}
	case cql2.TStarts:
		conds = []string{s1() + " = " + s2(), e1() + " < " + e2()}
	default:
		return "", failAt(n, "unknown temporal function %s", strings.ToUpper(string(n.Op)))
	}
	return "(" + strings.Join(conds, " AND ") + ")", err
}

// span reads a temporal operand; nothing is compiled yet.
func (c *compiler) span(e cql2.Expr) span {
	if iv, ok := e.(*cql2.Interval); ok {
		return span{start: c.newBound(iv.Start), end: c.newBound(iv.End)}
	}
	b := c.newBound(e)
	return span{start: b, end: b, instant: true}
}

func (c *compiler) newBound(e cql2.Expr) *bound {
	b := &bound{e: e}
	switch n := e.(type) {
	case *cql2.Unbounded:
		b.open = true
	case *cql2.Date:
		b.day = true
	case *cql2.Property:
		b.day = c.qs[n.Name].Type == catalog.Date
	}
	return b
}

// bound returns x as the start (or end) of its span, as a date (days) or a
// timestamp. An instant's start and end share one compiled expression.
func (c *compiler) bound(x *bound, end, days bool) (string, error) {
	switch {
	case x.open && days && end:
		return "'infinity'::date", nil
	case x.open && days:
		return "'-infinity'::date", nil
	case x.open && end:
		return "'infinity'::timestamptz", nil
	case x.open:
		return "'-infinity'::timestamptz", nil
	}
	if x.sql == "" {
		s, err := c.instant(x.e)
		if err != nil {
			return "", err
		}
		x.sql = s
	}
	switch {
	case days || !x.day:
		return x.sql, nil
	case end:
		return "(((" + x.sql + ") + 1)::timestamp AT TIME ZONE 'UTC' - interval '1 microsecond')", nil
	}
	return "((" + x.sql + ")::timestamp AT TIME ZONE 'UTC')", nil
}

// instant compiles a date or timestamp.
func (c *compiler) instant(e cql2.Expr) (string, error) {
	switch n := e.(type) {
	case *cql2.Property:
		col, _ := c.column(n)
		return col, nil
	case *cql2.Date:
		return c.arg(n.Time, "date"), nil
	case *cql2.Timestamp:
		return c.arg(n.Time, "timestamptz"), nil
	case *cql2.Function:
		return "", failAt(n, "unknown function %s", quoteName(n.Name))
	}
	return "", failAt(e, "expected a date or a timestamp here")
}

// filterError turns an error of PostgreSQL evaluating a filter on the data
// (a division by zero, a number out of range: SQLSTATE class 22) into a
// client error: the filter asked for it.
func filterError(op string, q Query, err error) error {
	var pe *pgconn.PgError
	if q.CQL != nil && errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22") {
		msg := "cannot be evaluated on the data of this collection: " + pe.Message
		return &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: "filter: " + msg, Err: err,
			Fields: []apperr.FieldError{{Field: "filter", Reason: msg}}}
	}
	return err
}
