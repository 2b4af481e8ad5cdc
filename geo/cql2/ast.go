package cql2

import (
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// Pos is where a node or an error sits in the input. Text positions have a
// byte Offset and a 1-based Line and Column (counted in characters); JSON
// positions have a Pointer (RFC 6901, in its URI fragment form: "#" is the
// whole document, "#/args/0" its first argument) and the byte Offset of the
// value. JSON errors also carry Line and Column; JSON nodes do not.
type Pos struct {
	Offset  int
	Line    int
	Column  int
	Pointer string
}

// String returns "line:column" for text, the pointer for JSON (followed by
// the line and column when known).
func (p Pos) String() string {
	lc := strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
	switch {
	case p.Pointer == "":
		return lc
	case p.Line > 0:
		return p.Pointer + " (line " + strconv.Itoa(p.Line) + ", column " + strconv.Itoa(p.Column) + ")"
	default:
		return p.Pointer
	}
}

// An Expr is a node of a parsed filter. The same tree comes out of both
// encodings; Equal compares trees ignoring positions.
type Expr interface {
	// Pos is where the node starts in the input; for an infix operator in
	// cql2-text (=, LIKE, AND, +, ...) it is the operator.
	Pos() Pos
	node()
}

type at struct{ P Pos }

func (a at) Pos() Pos { return a.P }
func (at) node()      {}

// LogicalOp is AND or OR.
type LogicalOp string

// The logical operators.
const (
	And LogicalOp = "and"
	Or  LogicalOp = "or"
)

// Logical is AND or OR over two or more boolean expressions. A chain
// "a AND b AND c" is one node with three arguments; "(a AND b) AND c" keeps
// its parentheses as a nested node, as the JSON encoding does.
type Logical struct {
	at
	Op   LogicalOp
	Args []Expr
}

// Not negates a boolean expression. "x NOT LIKE p", "x NOT BETWEEN a AND b",
// "x NOT IN (...)" and "x IS NOT NULL" all become Not around the positive
// predicate, as in the JSON encoding.
type Not struct {
	at
	Arg Expr
}

// CompareOp is a binary comparison operator, spelt as in both encodings.
type CompareOp string

// The comparison operators.
const (
	Eq CompareOp = "="
	Ne CompareOp = "<>"
	Lt CompareOp = "<"
	Le CompareOp = "<="
	Gt CompareOp = ">"
	Ge CompareOp = ">="
)

// Compare compares two scalar expressions.
type Compare struct {
	at
	Op          CompareOp
	Left, Right Expr
}

// Like matches a character expression against a pattern: a String, possibly
// wrapped in Casei and Accenti. In the pattern % matches any run of
// characters, _ one character and \ escapes the next one.
type Like struct {
	at
	Value, Pattern Expr
}

// Between tests Low <= Value <= High on numbers.
type Between struct {
	at
	Value, Low, High Expr
}

// In tests Value against a list of scalar expressions.
type In struct {
	at
	Value Expr
	List  []Expr
}

// IsNull tests whether its argument is null.
type IsNull struct {
	at
	Arg Expr
}

// SpatialOp names a spatial comparison function, spelt as in cql2-json.
type SpatialOp string

// The spatial functions (CQL2 §7.8, §7.9).
const (
	SIntersects SpatialOp = "s_intersects"
	SEquals     SpatialOp = "s_equals"
	SDisjoint   SpatialOp = "s_disjoint"
	STouches    SpatialOp = "s_touches"
	SWithin     SpatialOp = "s_within"
	SOverlaps   SpatialOp = "s_overlaps"
	SCrosses    SpatialOp = "s_crosses"
	SContains   SpatialOp = "s_contains"
)

// Spatial applies a spatial comparison function to two geometry expressions.
type Spatial struct {
	at
	Op          SpatialOp
	Left, Right Expr
}

// TemporalOp names a temporal comparison function, spelt as in cql2-json.
type TemporalOp string

// The temporal functions (CQL2 §7.10).
const (
	TAfter        TemporalOp = "t_after"
	TBefore       TemporalOp = "t_before"
	TContains     TemporalOp = "t_contains"
	TDisjoint     TemporalOp = "t_disjoint"
	TDuring       TemporalOp = "t_during"
	TEquals       TemporalOp = "t_equals"
	TFinishedBy   TemporalOp = "t_finishedBy"
	TFinishes     TemporalOp = "t_finishes"
	TIntersects   TemporalOp = "t_intersects"
	TMeets        TemporalOp = "t_meets"
	TMetBy        TemporalOp = "t_metBy"
	TOverlappedBy TemporalOp = "t_overlappedBy"
	TOverlaps     TemporalOp = "t_overlaps"
	TStartedBy    TemporalOp = "t_startedBy"
	TStarts       TemporalOp = "t_starts"
)

// Temporal applies a temporal comparison function to two temporal
// expressions (instants, intervals, properties or functions).
type Temporal struct {
	at
	Op          TemporalOp
	Left, Right Expr
}

// ArrayOp names an array comparison function, spelt as in cql2-json.
type ArrayOp string

// The array functions (CQL2 §7.11).
const (
	AEquals      ArrayOp = "a_equals"
	AContains    ArrayOp = "a_contains"
	AContainedBy ArrayOp = "a_containedBy"
	AOverlaps    ArrayOp = "a_overlaps"
)

// ArrayPredicate applies an array comparison function to two array
// expressions.
type ArrayPredicate struct {
	at
	Op          ArrayOp
	Left, Right Expr
}

// ArithOp is an arithmetic operator, spelt as in both encodings.
type ArithOp string

// The arithmetic operators. Div is integer division.
const (
	Add ArithOp = "+"
	Sub ArithOp = "-"
	Mul ArithOp = "*"
	Quo ArithOp = "/"
	Mod ArithOp = "%"
	Div ArithOp = "div"
	Pow ArithOp = "^"
)

// Arith is a binary arithmetic expression. cql2-json has no unary minus, so
// "-x" on anything but a number literal is Arith{Mul, -1, x} in both
// encodings.
type Arith struct {
	at
	Op          ArithOp
	Left, Right Expr
}

// Function is a call of a function that is not one of the standard's
// operators. The parser accepts any name; whoever evaluates the tree decides
// which functions exist.
type Function struct {
	at
	Name string
	Args []Expr
}

// Casei is CASEI(x): x compared without regard to case.
type Casei struct {
	at
	Arg Expr
}

// Accenti is ACCENTI(x): x compared without regard to accents.
type Accenti struct {
	at
	Arg Expr
}

// Property is a reference to a property (a queryable) by name.
type Property struct {
	at
	Name string
}

// String is a character literal.
type String struct {
	at
	Value string
}

// Number is a numeric literal. Integers beyond 2^53 lose precision.
type Number struct {
	at
	Value float64
}

// Bool is TRUE or FALSE.
type Bool struct {
	at
	Value bool
}

// Date is a calendar date (no time zone, CQL2 §6.4.5); Time holds it at
// midnight UTC.
type Date struct {
	at
	Time time.Time
}

// Timestamp is an instant in UTC.
type Timestamp struct {
	at
	Time time.Time
}

// Interval is INTERVAL(start, end); each bound is a Date, a Timestamp,
// Unbounded, a Property or a Function.
type Interval struct {
	at
	Start, End Expr
}

// Unbounded is the open end '..' of an Interval.
type Unbounded struct {
	at
}

// Geometry is a geometry literal (WKT in cql2-text, GeoJSON in cql2-json):
// an orb.Point, LineString, Polygon, MultiPoint, MultiLineString,
// MultiPolygon or Collection of those, in two dimensions.
type Geometry struct {
	at
	Geom orb.Geometry
}

// BBox is a BBOX literal: Min is (west, south), Max is (east, north). West
// may be greater than east for a box that crosses the antimeridian.
type BBox struct {
	at
	Bound orb.Bound
}

// Array is a list of values, an argument of the array functions.
type Array struct {
	at
	Elems []Expr
}

// Children returns the direct sub-expressions of e, in order.
func Children(e Expr) []Expr {
	switch n := e.(type) {
	case *Logical:
		return n.Args
	case *Not:
		return []Expr{n.Arg}
	case *Compare:
		return []Expr{n.Left, n.Right}
	case *Like:
		return []Expr{n.Value, n.Pattern}
	case *Between:
		return []Expr{n.Value, n.Low, n.High}
	case *In:
		return append([]Expr{n.Value}, n.List...)
	case *IsNull:
		return []Expr{n.Arg}
	case *Spatial:
		return []Expr{n.Left, n.Right}
	case *Temporal:
		return []Expr{n.Left, n.Right}
	case *ArrayPredicate:
		return []Expr{n.Left, n.Right}
	case *Arith:
		return []Expr{n.Left, n.Right}
	case *Function:
		return n.Args
	case *Casei:
		return []Expr{n.Arg}
	case *Accenti:
		return []Expr{n.Arg}
	case *Interval:
		return []Expr{n.Start, n.End}
	case *Array:
		return n.Elems
	}
	return nil
}

// Walk visits e and its sub-expressions depth-first, parent before
// children. When visit returns false, Walk skips that node's children.
func Walk(e Expr, visit func(Expr) bool) {
	if e == nil || !visit(e) {
		return
	}
	for _, c := range Children(e) {
		Walk(c, visit)
	}
}

// Properties returns the names of the properties e refers to, each once, in
// order of first appearance.
func Properties(e Expr) []string {
	var names []string
	seen := map[string]bool{}
	Walk(e, func(n Expr) bool {
		if p, ok := n.(*Property); ok && !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
		return true
	})
	return names
}

// Equal reports whether a and b are the same tree, ignoring positions.
// Numbers compare by value, instants by time, geometries coordinate by
// coordinate.
func Equal(a, b Expr) bool {
	switch x := a.(type) {
	case *Logical:
		y, ok := b.(*Logical)
		return ok && x.Op == y.Op && equalAll(x.Args, y.Args)
	case *Not:
		y, ok := b.(*Not)
		return ok && Equal(x.Arg, y.Arg)
	case *Compare:
		y, ok := b.(*Compare)
		return ok && x.Op == y.Op && Equal(x.Left, y.Left) && Equal(x.Right, y.Right)
	case *Like:
		y, ok := b.(*Like)
		return ok && Equal(x.Value, y.Value) && Equal(x.Pattern, y.Pattern)
	case *Between:
		y, ok := b.(*Between)
		return ok && Equal(x.Value, y.Value) && Equal(x.Low, y.Low) && Equal(x.High, y.High)
	case *In:
		y, ok := b.(*In)
		return ok && Equal(x.Value, y.Value) && equalAll(x.List, y.List)
	case *IsNull:
		y, ok := b.(*IsNull)
		return ok && Equal(x.Arg, y.Arg)
	case *Spatial:
		y, ok := b.(*Spatial)
		return ok && x.Op == y.Op && Equal(x.Left, y.Left) && Equal(x.Right, y.Right)
	case *Temporal:
		y, ok := b.(*Temporal)
		return ok && x.Op == y.Op && Equal(x.Left, y.Left) && Equal(x.Right, y.Right)
	case *ArrayPredicate:
		y, ok := b.(*ArrayPredicate)
		return ok && x.Op == y.Op && Equal(x.Left, y.Left) && Equal(x.Right, y.Right)
	case *Arith:
		y, ok := b.(*Arith)
		return ok && x.Op == y.Op && Equal(x.Left, y.Left) && Equal(x.Right, y.Right)
	case *Function:
		y, ok := b.(*Function)
		return ok && x.Name == y.Name && equalAll(x.Args, y.Args)
	case *Casei:
		y, ok := b.(*Casei)
		return ok && Equal(x.Arg, y.Arg)
	case *Accenti:
		y, ok := b.(*Accenti)
		return ok && Equal(x.Arg, y.Arg)
	case *Property:
		y, ok := b.(*Property)
		return ok && x.Name == y.Name
	case *String:
		y, ok := b.(*String)
		return ok && x.Value == y.Value
	case *Number:
		y, ok := b.(*Number)
		return ok && x.Value == y.Value
	case *Bool:
		y, ok := b.(*Bool)
		return ok && x.Value == y.Value
	case *Date:
		y, ok := b.(*Date)
		return ok && x.Time.Equal(y.Time)
	case *Timestamp:
		y, ok := b.(*Timestamp)
		return ok && x.Time.Equal(y.Time)
	case *Interval:
		y, ok := b.(*Interval)
		return ok && Equal(x.Start, y.Start) && Equal(x.End, y.End)
	case *Unbounded:
		_, ok := b.(*Unbounded)
		return ok
	case *Geometry:
		y, ok := b.(*Geometry)
		return ok && orb.Equal(x.Geom, y.Geom)
	case *BBox:
		y, ok := b.(*BBox)
		return ok && x.Bound == y.Bound
	case *Array:
		y, ok := b.(*Array)
		return ok && equalAll(x.Elems, y.Elems)
	}
	return a == nil && b == nil
}

func equalAll(a, b []Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
