package cql2

import (
	"strings"

	"github.com/paulmach/orb"
)

// builder makes the nodes of both parsers: it counts them against the
// limits and checks each operand's role, so cql2-text and cql2-json accept
// the same trees with the same messages.
type builder struct {
	lim      Limits
	nodes    int
	vertices int
}

func (b *builder) count(p Pos) error {
	b.nodes++
	if b.nodes > b.lim.MaxNodes {
		return errorAt(p, "the filter has more than %d elements (limit)", b.lim.MaxNodes)
	}
	return nil
}

func (b *builder) vertex(p Pos, n int) error {
	b.vertices += n
	if b.vertices > b.lim.MaxVertices {
		return errorAt(p, "the geometries of the filter have more than %d vertices in all (limit)", b.lim.MaxVertices)
	}
	return nil
}

// leaf counts a literal or property node.
func (b *builder) leaf(e Expr) (Expr, error) {
	if err := b.count(e.Pos()); err != nil {
		return nil, err
	}
	return e, nil
}

func (b *builder) logical(p Pos, op LogicalOp, args []Expr) (Expr, error) {
	for _, a := range args {
		if err := checkRole(roleBoolean, a, "an operand of "+strings.ToUpper(string(op))); err != nil {
			return nil, err
		}
	}
	return b.leaf(&Logical{at{p}, op, args})
}

func (b *builder) not(p Pos, arg Expr) (Expr, error) {
	if err := checkRole(roleBoolean, arg, "the operand of NOT"); err != nil {
		return nil, err
	}
	return b.leaf(&Not{at{p}, arg})
}

func (b *builder) compare(p Pos, op CompareOp, l, r Expr) (Expr, error) {
	if err := checkRole(roleScalar, l, "the left side of "+string(op)); err != nil {
		return nil, err
	}
	if err := checkRole(roleScalar, r, "the right side of "+string(op)); err != nil {
		return nil, err
	}
	return b.leaf(&Compare{at{p}, op, l, r})
}

func (b *builder) like(p Pos, value, pattern Expr) (Expr, error) {
	if err := checkRole(roleCharacter, value, "the value tested by LIKE"); err != nil {
		return nil, err
	}
	if err := checkRole(rolePattern, pattern, "the pattern of LIKE"); err != nil {
		return nil, err
	}
	return b.leaf(&Like{at{p}, value, pattern})
}

func (b *builder) between(p Pos, value, low, high Expr) (Expr, error) {
	for i, e := range []Expr{value, low, high} {
		what := [...]string{"the value tested by BETWEEN", "the lower bound of BETWEEN", "the upper bound of BETWEEN"}[i]
		if err := checkRole(roleNumeric, e, what); err != nil {
			return nil, err
		}
	}
	return b.leaf(&Between{at{p}, value, low, high})
}

func (b *builder) in(p Pos, value Expr, list []Expr) (Expr, error) {
	if err := checkRole(roleScalar, value, "the value tested by IN"); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errorAt(p, "the list of IN needs at least one value")
	}
	for _, e := range list {
		if err := checkRole(roleScalar, e, "a value in the list of IN"); err != nil {
			return nil, err
		}
	}
	return b.leaf(&In{at{p}, value, list})
}

func (b *builder) isNull(p Pos, arg Expr) (Expr, error) {
	if err := checkRole(roleNullable, arg, "the operand of IS NULL"); err != nil {
		return nil, err
	}
	return b.leaf(&IsNull{at{p}, arg})
}

func (b *builder) spatial(p Pos, op SpatialOp, l, r Expr) (Expr, error) {
	name := strings.ToUpper(string(op))
	if err := checkRole(roleGeometry, l, "the first argument of "+name); err != nil {
		return nil, err
	}
	if err := checkRole(roleGeometry, r, "the second argument of "+name); err != nil {
		return nil, err
	}
	return b.leaf(&Spatial{at{p}, op, l, r})
}

func (b *builder) temporal(p Pos, op TemporalOp, l, r Expr) (Expr, error) {
	name := strings.ToUpper(string(op))
	if err := checkRole(roleTemporal, l, "the first argument of "+name); err != nil {
		return nil, err
	}
	if err := checkRole(roleTemporal, r, "the second argument of "+name); err != nil {
		return nil, err
	}
	return b.leaf(&Temporal{at{p}, op, l, r})
}

func (b *builder) arrayPredicate(p Pos, op ArrayOp, l, r Expr) (Expr, error) {
	name := strings.ToUpper(string(op))
	if err := checkRole(roleArray, l, "the first argument of "+name); err != nil {
		return nil, err
	}
	if err := checkRole(roleArray, r, "the second argument of "+name); err != nil {
		return nil, err
	}
	return b.leaf(&ArrayPredicate{at{p}, op, l, r})
}

func (b *builder) arith(p Pos, op ArithOp, l, r Expr) (Expr, error) {
	if err := checkRole(roleNumeric, l, "the left operand of "+string(op)); err != nil {
		return nil, err
	}
	if err := checkRole(roleNumeric, r, "the right operand of "+string(op)); err != nil {
		return nil, err
	}
	return b.leaf(&Arith{at{p}, op, l, r})
}

func (b *builder) function(p Pos, name string, args []Expr) (Expr, error) {
	for _, a := range args {
		if err := checkRole(roleArgument, a, "an argument of "+name); err != nil {
			return nil, err
		}
	}
	return b.leaf(&Function{at{p}, name, args})
}

func (b *builder) casei(p Pos, arg Expr) (Expr, error) {
	if err := checkRole(roleCharacter, arg, "the argument of CASEI"); err != nil {
		return nil, err
	}
	return b.leaf(&Casei{at{p}, arg})
}

func (b *builder) accenti(p Pos, arg Expr) (Expr, error) {
	if err := checkRole(roleCharacter, arg, "the argument of ACCENTI"); err != nil {
		return nil, err
	}
	return b.leaf(&Accenti{at{p}, arg})
}

func (b *builder) interval(p Pos, start, end Expr) (Expr, error) {
	if err := checkRole(roleIntervalBound, start, "the start of INTERVAL"); err != nil {
		return nil, err
	}
	if err := checkRole(roleIntervalBound, end, "the end of INTERVAL"); err != nil {
		return nil, err
	}
	iv := &Interval{at{p}, start, end}
	if err := checkInterval(iv); err != nil {
		return nil, err
	}
	return b.leaf(iv)
}

func (b *builder) array(p Pos, elems []Expr) (Expr, error) {
	for _, e := range elems {
		if err := checkRole(roleArgument, e, "an array element"); err != nil {
			return nil, err
		}
	}
	return b.leaf(&Array{at{p}, elems})
}

// Operator names shared by both encodings, looked up in upper case.
var (
	spatialOps = map[string]SpatialOp{
		"S_INTERSECTS": SIntersects, "S_EQUALS": SEquals, "S_DISJOINT": SDisjoint, "S_TOUCHES": STouches,
		"S_WITHIN": SWithin, "S_OVERLAPS": SOverlaps, "S_CROSSES": SCrosses, "S_CONTAINS": SContains,
	}
	temporalOp = map[string]TemporalOp{
		"T_AFTER": TAfter, "T_BEFORE": TBefore, "T_CONTAINS": TContains, "T_DISJOINT": TDisjoint,
		"T_DURING": TDuring, "T_EQUALS": TEquals, "T_FINISHEDBY": TFinishedBy, "T_FINISHES": TFinishes,
		"T_INTERSECTS": TIntersects, "T_MEETS": TMeets, "T_METBY": TMetBy, "T_OVERLAPPEDBY": TOverlappedBy,
		"T_OVERLAPS": TOverlaps, "T_STARTEDBY": TStartedBy, "T_STARTS": TStarts,
	}
	arrayOps = map[string]ArrayOp{
		"A_EQUALS": AEquals, "A_CONTAINS": AContains, "A_CONTAINEDBY": AContainedBy, "A_OVERLAPS": AOverlaps,
	}
)

// geometryKeywords are the WKT tags of the CQL2 grammar.
var geometryKeywords = map[string]bool{
	"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
	"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true,
}

// operatorWords are the cql2-text keywords that can never be a property.
var operatorWords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true, "IN": true,
	"IS": true, "NULL": true, "DIV": true, "TRUE": true, "FALSE": true,
}

// reservedFunction reports whether name, in any case, has a meaning of its
// own in cql2-text and so cannot name a function.
func reservedFunction(name string) bool {
	u := strings.ToUpper(name)
	if operatorWords[u] || geometryKeywords[u] {
		return true
	}
	switch u {
	case "CASEI", "ACCENTI", "DATE", "TIMESTAMP", "INTERVAL", "BBOX":
		return true
	}
	_, s := spatialOps[u]
	_, t := temporalOp[u]
	_, a := arrayOps[u]
	return s || t || a
}

func (b *builder) bbox(p Pos, v []float64) (Expr, error) {
	if len(v) != 4 && len(v) != 6 {
		return nil, errorAt(p, "BBOX takes 4 numbers (west, south, east, north) or 6 (west, south, min height, east, north, max height), got %d", len(v))
	}
	if len(v) == 6 {
		v = []float64{v[0], v[1], v[3], v[4]}
	}
	if v[1] > v[3] {
		return nil, errorAt(p, "the south edge of BBOX (%s) is north of its north edge (%s)", formatNumber(v[1]), formatNumber(v[3]))
	}
	if err := b.vertex(p, 2); err != nil {
		return nil, err
	}
	return b.leaf(&BBox{at{p}, orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}})
}

// checkLine checks the number of points of a linestring or ring, and that a
// ring (minPoints 4) is closed, as WKT and GeoJSON require.
func checkLine(p Pos, ls orb.LineString, minPoints int, what string) error {
	if len(ls) < minPoints {
		return errorAt(p, "%s needs at least %d points, got %d", what, minPoints, len(ls))
	}
	if minPoints == 4 && ls[0] != ls[len(ls)-1] {
		return errorAt(p, "%s must end where it starts: it starts at (%s %s) and ends at (%s %s)", what,
			formatNumber(ls[0][0]), formatNumber(ls[0][1]), formatNumber(ls[len(ls)-1][0]), formatNumber(ls[len(ls)-1][1]))
	}
	return nil
}
