package cql2

import "strings"

// Type is the type of a value in a filter.
type Type int

// The types of CQL2 values (§6.4). TypeInterval and TypeArray are only ever
// operands of the temporal and array functions.
const (
	TypeString Type = iota + 1
	TypeNumber
	TypeBoolean
	TypeDate
	TypeTimestamp
	TypeGeometry
	TypeInterval
	TypeArray
)

// String returns the type's name with its article, for messages:
// "a string", "a number", ...
func (t Type) String() string {
	switch t {
	case TypeString:
		return "a string"
	case TypeNumber:
		return "a number"
	case TypeBoolean:
		return "a boolean"
	case TypeDate:
		return "a date"
	case TypeTimestamp:
		return "a timestamp"
	case TypeGeometry:
		return "a geometry"
	case TypeInterval:
		return "an interval"
	case TypeArray:
		return "an array"
	}
	return "of no type"
}

// Env tells Check what the names in a filter stand for.
type Env struct {
	// Property returns the type of the queryable name, or false when there
	// is none.
	Property func(name string) (Type, bool)
	// Function returns the result type of a call of name with arguments of
	// the given types, or an error saying why the call is refused (its
	// message is shown at the call's position). When nil, every function
	// is unknown.
	Function func(name string, args []Type) (Type, error)
}

// Check types e against env: every property must exist, every operator
// gets operands of the types it takes (both sides of a comparison the same
// type, numbers for BETWEEN and arithmetic, strings for LIKE, CASEI and
// ACCENTI, geometries for S_*, instants or intervals for T_*), and the whole
// is a boolean. The error is an *Error at the offending node.
func Check(e Expr, env Env) error {
	t, err := env.typeOf(e)
	if err != nil {
		return err
	}
	if t != TypeBoolean {
		return errorAt(e.Pos(), "the filter must be true or false, but %s is %s", describe(e), t)
	}
	return nil
}

func (env Env) typeOf(e Expr) (Type, error) {
	switch n := e.(type) {
	case *Logical:
		for _, a := range n.Args {
			if err := env.want(a, "an operand of "+strings.ToUpper(string(n.Op)), TypeBoolean); err != nil {
				return 0, err
			}
		}
		return TypeBoolean, nil
	case *Not:
		return TypeBoolean, env.want(n.Arg, "the operand of NOT", TypeBoolean)
	case *Compare:
		lt, err := env.typeOf(n.Left)
		if err != nil {
			return 0, err
		}
		rt, err := env.typeOf(n.Right)
		if err != nil {
			return 0, err
		}
		if !scalar(lt) {
			return 0, errorAt(n.Left.Pos(), "%s is %s, which %s cannot compare", describe(n.Left), lt, n.Op)
		}
		if !scalar(rt) {
			return 0, errorAt(n.Right.Pos(), "%s is %s, which %s cannot compare", describe(n.Right), rt, n.Op)
		}
		if lt != rt {
			named, other := n.Left, rt
			if _, ok := n.Left.(*Property); !ok {
				named, other = n.Right, lt
			}
			t, _ := env.typeOf(named)
			return 0, errorAt(n.Pos(), "%s compares values of one type: %s is %s, but the other side is %s", n.Op, describe(named), t, other)
		}
		return TypeBoolean, nil
	case *Like:
		if err := env.want(n.Value, "the value tested by LIKE", TypeString); err != nil {
			return 0, err
		}
		return TypeBoolean, env.want(n.Pattern, "the pattern of LIKE", TypeString)
	case *Between:
		for i, a := range []Expr{n.Value, n.Low, n.High} {
			what := [...]string{"the value tested by BETWEEN", "the lower bound of BETWEEN", "the upper bound of BETWEEN"}[i]
			if err := env.want(a, what, TypeNumber); err != nil {
				return 0, err
			}
		}
		return TypeBoolean, nil
	case *In:
		vt, err := env.typeOf(n.Value)
		if err != nil {
			return 0, err
		}
		if !scalar(vt) {
			return 0, errorAt(n.Value.Pos(), "%s is %s, which IN cannot test", describe(n.Value), vt)
		}
		for _, a := range n.List {
			at, err := env.typeOf(a)
			if err != nil {
				return 0, err
			}
			if at != vt {
				return 0, errorAt(a.Pos(), "the values of IN must have the type of %s (%s), but %s is %s", describe(n.Value), vt, describe(a), at)
			}
		}
		return TypeBoolean, nil
	case *IsNull:
		_, err := env.typeOf(n.Arg)
		return TypeBoolean, err
	case *Spatial:
		name := strings.ToUpper(string(n.Op))
		if err := env.want(n.Left, "the first argument of "+name, TypeGeometry); err != nil {
			return 0, err
		}
		return TypeBoolean, env.want(n.Right, "the second argument of "+name, TypeGeometry)
	case *Temporal:
		name := strings.ToUpper(string(n.Op))
		if err := env.want(n.Left, "the first argument of "+name, TypeDate, TypeTimestamp, TypeInterval); err != nil {
			return 0, err
		}
		return TypeBoolean, env.want(n.Right, "the second argument of "+name, TypeDate, TypeTimestamp, TypeInterval)
	case *ArrayPredicate:
		name := strings.ToUpper(string(n.Op))
		if err := env.want(n.Left, "the first argument of "+name, TypeArray); err != nil {
			return 0, err
		}
		return TypeBoolean, env.want(n.Right, "the second argument of "+name, TypeArray)
	case *Arith:
		if err := env.want(n.Left, "the left operand of "+string(n.Op), TypeNumber); err != nil {
			return 0, err
		}
		return TypeNumber, env.want(n.Right, "the right operand of "+string(n.Op), TypeNumber)
	case *Function:
		args := make([]Type, len(n.Args))
		for i, a := range n.Args {
			t, err := env.typeOf(a)
			if err != nil {
				return 0, err
			}
			args[i] = t
		}
		if env.Function == nil {
			return 0, errorAt(n.Pos(), "unknown function %s", quote(n.Name))
		}
		t, err := env.Function(n.Name, args)
		if err != nil {
			return 0, errorAt(n.Pos(), "%s", err.Error())
		}
		return t, nil
	case *Casei:
		return TypeString, env.want(n.Arg, "the argument of CASEI", TypeString)
	case *Accenti:
		return TypeString, env.want(n.Arg, "the argument of ACCENTI", TypeString)
	case *Property:
		if env.Property != nil {
			if t, ok := env.Property(n.Name); ok {
				return t, nil
			}
		}
		return 0, errorAt(n.Pos(), "unknown property %s", quote(n.Name))
	case *Interval:
		for i, b := range []Expr{n.Start, n.End} {
			if _, open := b.(*Unbounded); open {
				continue
			}
			if err := env.want(b, [...]string{"the start of INTERVAL", "the end of INTERVAL"}[i], TypeDate, TypeTimestamp); err != nil {
				return 0, err
			}
		}
		return TypeInterval, nil
	case *Array:
		for _, a := range n.Elems {
			if _, err := env.typeOf(a); err != nil {
				return 0, err
			}
		}
		return TypeArray, nil
	case *String:
		return TypeString, nil
	case *Number:
		return TypeNumber, nil
	case *Bool:
		return TypeBoolean, nil
	case *Date:
		return TypeDate, nil
	case *Timestamp:
		return TypeTimestamp, nil
	case *Geometry, *BBox:
		return TypeGeometry, nil
	}
	return 0, errorAt(e.Pos(), "%s has no type", describe(e))
}

// want checks that e has one of the types ts.
func (env Env) want(e Expr, what string, ts ...Type) error {
	t, err := env.typeOf(e)
	if err != nil {
		return err
	}
	for _, w := range ts {
		if t == w {
			return nil
		}
	}
	names := make([]string, len(ts))
	for i, w := range ts {
		names[i] = w.String()
	}
	return errorAt(e.Pos(), "%s must be %s, but %s is %s", what, strings.Join(names, " or "), describe(e), t)
}

func scalar(t Type) bool {
	switch t {
	case TypeString, TypeNumber, TypeBoolean, TypeDate, TypeTimestamp:
		return true
	}
	return false
}
