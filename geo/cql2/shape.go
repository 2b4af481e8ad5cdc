package cql2

// The grammar of CQL2 says which kinds of node may stand where (the BNF's
// booleanPrimary, scalarExpression, geomExpression, ...; the JSON Schema's
// $defs of the same names). Both parsers build nodes freely and check each
// operand against its role here, so the two encodings accept the same trees.

type role int

const (
	roleBoolean       role = iota // an operand of AND, OR, NOT; the whole filter
	roleScalar                    // an operand of =, <, IN
	roleCharacter                 // the value of LIKE, the argument of CASEI and ACCENTI
	rolePattern                   // the pattern of LIKE
	roleNumeric                   // the operands of BETWEEN and of + - * / % div ^
	roleGeometry                  // the operands of S_*
	roleTemporal                  // the operands of T_*
	roleIntervalBound             // the bounds of INTERVAL
	roleArray                     // the operands of A_*
	roleArgument                  // a function argument, an array element
	roleNullable                  // the operand of IS NULL
)

var roleWant = map[role]string{
	roleBoolean:       "a predicate (a comparison, LIKE, BETWEEN, IN, IS NULL, a spatial or temporal function), TRUE, FALSE or a function",
	roleScalar:        "a string, number, boolean, date, timestamp, property, arithmetic expression or function",
	roleCharacter:     "a string, property, CASEI, ACCENTI or function",
	rolePattern:       "a string pattern, or CASEI or ACCENTI of one",
	roleNumeric:       "a number, property, arithmetic expression or function",
	roleGeometry:      "a geometry (WKT or GeoJSON), BBOX, property or function",
	roleTemporal:      "a DATE, TIMESTAMP, INTERVAL, property or function",
	roleIntervalBound: "a date or timestamp string, '..', property or function",
	roleArray:         "an array in parentheses, property or function",
	roleArgument:      "a value, property, expression or function",
	roleNullable:      "a value, property, expression or function",
}

// fits reports whether e may stand in role r.
func fits(r role, e Expr) bool {
	switch r {
	case roleBoolean:
		switch e.(type) {
		case *Logical, *Not, *Compare, *Like, *Between, *In, *IsNull,
			*Spatial, *Temporal, *ArrayPredicate, *Bool, *Function:
			return true
		}
	case roleScalar:
		switch e.(type) {
		case *String, *Casei, *Accenti, *Number, *Arith, *Bool,
			*Date, *Timestamp, *Property, *Function:
			return true
		}
	case roleCharacter:
		switch e.(type) {
		case *String, *Casei, *Accenti, *Property, *Function:
			return true
		}
	case rolePattern:
		switch n := e.(type) {
		case *String:
			return true
		case *Casei:
			return fits(rolePattern, n.Arg)
		case *Accenti:
			return fits(rolePattern, n.Arg)
		}
	case roleNumeric:
		switch e.(type) {
		case *Number, *Arith, *Property, *Function:
			return true
		}
	case roleGeometry:
		switch e.(type) {
		case *Geometry, *BBox, *Property, *Function:
			return true
		}
	case roleTemporal:
		switch e.(type) {
		case *Date, *Timestamp, *Interval, *Property, *Function:
			return true
		}
	case roleIntervalBound:
		switch e.(type) {
		case *Date, *Timestamp, *Unbounded, *Property, *Function:
			return true
		}
	case roleArray:
		switch e.(type) {
		case *Array, *Property, *Function:
			return true
		}
	case roleArgument:
		_, open := e.(*Unbounded)
		return !open
	case roleNullable:
		switch e.(type) {
		case *Unbounded, *Array:
			return false
		}
		return true
	}
	return false
}

// describe names e for an error message.
func describe(e Expr) string {
	switch n := e.(type) {
	case *Logical:
		return "an " + string(n.Op) + " expression"
	case *Not:
		return "a NOT expression"
	case *Compare:
		return "a comparison"
	case *Like:
		return "a LIKE predicate"
	case *Between:
		return "a BETWEEN predicate"
	case *In:
		return "an IN predicate"
	case *IsNull:
		return "an IS NULL predicate"
	case *Spatial:
		return "a spatial function"
	case *Temporal:
		return "a temporal function"
	case *ArrayPredicate:
		return "an array function"
	case *Arith:
		return "an arithmetic expression"
	case *Function:
		return "function " + quote(n.Name)
	case *Casei:
		return "CASEI"
	case *Accenti:
		return "ACCENTI"
	case *Property:
		return "property name " + quote(n.Name)
	case *String:
		return "string " + quote(n.Value)
	case *Number:
		return "number " + formatNumber(n.Value)
	case *Bool:
		if n.Value {
			return "TRUE"
		}
		return "FALSE"
	case *Date:
		return "a date"
	case *Timestamp:
		return "a timestamp"
	case *Interval:
		return "an interval"
	case *Unbounded:
		return "'..'"
	case *Geometry:
		return "a geometry"
	case *BBox:
		return "a BBOX"
	case *Array:
		return "an array"
	}
	return "nothing"
}

// checkRole returns an error at e's position when e may not stand in role r.
// what names the place, e.g. "the pattern of LIKE".
func checkRole(r role, e Expr, what string) error {
	if fits(r, e) {
		return nil
	}
	return errorAt(e.Pos(), "%s must be %s, not %s", what, roleWant[r], describe(e))
}
