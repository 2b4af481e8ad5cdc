package cql2

import (
	"bytes"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Text writes e in canonical cql2-text: keywords in upper case, property
// names in double quotes, NOT in front ("NOT "a" LIKE 'x%'"), and
// parentheses around every nested AND/OR and every arithmetic operand.
// ParseText reads the result back into a tree Equal to e (for any tree a
// parser made; see the package doc for the limits).
func Text(e Expr) string {
	var b strings.Builder
	writeText(&b, e)
	return b.String()
}

func writeText(b *strings.Builder, e Expr) {
	switch n := e.(type) {
	case *Logical:
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(" " + strings.ToUpper(string(n.Op)) + " ")
			}
			writeWrapped(b, a, isLogical(a))
		}
	case *Not:
		b.WriteString("NOT ")
		_, not := n.Arg.(*Not)
		writeWrapped(b, n.Arg, not || isLogical(n.Arg))
	case *Compare:
		writeOperand(b, n.Left)
		b.WriteString(" " + string(n.Op) + " ")
		writeOperand(b, n.Right)
	case *Like:
		writeOperand(b, n.Value)
		b.WriteString(" LIKE ")
		writeOperand(b, n.Pattern)
	case *Between:
		writeOperand(b, n.Value)
		b.WriteString(" BETWEEN ")
		writeOperand(b, n.Low)
		b.WriteString(" AND ")
		writeOperand(b, n.High)
	case *In:
		writeOperand(b, n.Value)
		b.WriteString(" IN (")
		for i, a := range n.List {
			if i > 0 {
				b.WriteString(", ")
			}
			writeOperand(b, a)
		}
		b.WriteString(")")
	case *IsNull:
		writeWrapped(b, n.Arg, isPredicate(n.Arg) || isArith(n.Arg))
		b.WriteString(" IS NULL")
	case *Spatial:
		writeCall(b, strings.ToUpper(string(n.Op)), n.Left, n.Right)
	case *Temporal:
		writeCall(b, strings.ToUpper(string(n.Op)), n.Left, n.Right)
	case *ArrayPredicate:
		writeCall(b, strings.ToUpper(string(n.Op)), n.Left, n.Right)
	case *Arith:
		writeOperand(b, n.Left)
		b.WriteString(" " + string(n.Op) + " ")
		writeOperand(b, n.Right)
	case *Function:
		writeCall(b, n.Name, n.Args...)
	case *Casei:
		writeCall(b, "CASEI", n.Arg)
	case *Accenti:
		writeCall(b, "ACCENTI", n.Arg)
	case *Property:
		b.WriteString(`"` + n.Name + `"`)
	case *String:
		writeString(b, n.Value)
	case *Number:
		b.WriteString(formatNumber(n.Value))
	case *Bool:
		if n.Value {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case *Date:
		b.WriteString("DATE('" + formatInstant(n) + "')")
	case *Timestamp:
		b.WriteString("TIMESTAMP('" + formatInstant(n) + "')")
	case *Interval:
		b.WriteString("INTERVAL(")
		writeBound(b, n.Start)
		b.WriteString(", ")
		writeBound(b, n.End)
		b.WriteString(")")
	case *Unbounded:
		b.WriteString("'..'")
	case *Geometry:
		writeWKT(b, n.Geom)
	case *BBox:
		writeBBox(b, n.Bound)
	case *Array:
		b.WriteString("(")
		for i, a := range n.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			writeText(b, a)
		}
		b.WriteString(")")
	}
}

func isLogical(e Expr) bool { _, ok := e.(*Logical); return ok }
func isArith(e Expr) bool   { _, ok := e.(*Arith); return ok }

func isPredicate(e Expr) bool {
	switch e.(type) {
	case *Logical, *Not, *Compare, *Like, *Between, *In, *IsNull:
		return true
	}
	return false
}

func writeWrapped(b *strings.Builder, e Expr, wrap bool) {
	if wrap {
		b.WriteString("(")
	}
	writeText(b, e)
	if wrap {
		b.WriteString(")")
	}
}

// writeOperand writes an operand of a comparison or of arithmetic, with
// parentheses around arithmetic so that precedence never matters.
func writeOperand(b *strings.Builder, e Expr) { writeWrapped(b, e, isArith(e)) }

// writeCall writes NAME(a, b, ...). Arguments go without parentheses of
// their own: a parenthesis there would read as an array.
func writeCall(b *strings.Builder, name string, args ...Expr) {
	b.WriteString(name + "(")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		writeText(b, a)
	}
	b.WriteString(")")
}

func writeBound(b *strings.Builder, e Expr) {
	switch e.(type) {
	case *Date, *Timestamp:
		b.WriteString("'" + formatInstant(e) + "'")
	default:
		writeText(b, e)
	}
}

var escapes = map[rune]string{
	'\'': "''", '\\': `\\`, '\a': `\a`, '\b': `\b`, '\t': `\t`, '\n': `\n`, '\v': `\v`, '\f': `\f`, '\r': `\r`,
}

func writeString(b *strings.Builder, s string) {
	b.WriteString("'")
	for _, r := range s {
		if esc, ok := escapes[r]; ok {
			b.WriteString(esc)
		} else {
			b.WriteRune(r)
		}
	}
	b.WriteString("'")
}

func writeBBox(b *strings.Builder, bb orb.Bound) {
	b.WriteString("BBOX(" + formatNumber(bb.Min[0]) + ", " + formatNumber(bb.Min[1]) + ", " +
		formatNumber(bb.Max[0]) + ", " + formatNumber(bb.Max[1]) + ")")
}

func writeWKT(b *strings.Builder, g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		b.WriteString("POINT")
		writeCoords(b, orb.LineString{g})
	case orb.LineString:
		b.WriteString("LINESTRING")
		writeCoords(b, g)
	case orb.Ring:
		b.WriteString("POLYGON")
		writePolygon(b, orb.Polygon{g})
	case orb.Polygon:
		b.WriteString("POLYGON")
		writePolygon(b, g)
	case orb.MultiPoint:
		b.WriteString("MULTIPOINT(")
		for i, pt := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			writeCoords(b, orb.LineString{pt})
		}
		b.WriteString(")")
	case orb.MultiLineString:
		b.WriteString("MULTILINESTRING(")
		for i, ls := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			writeCoords(b, ls)
		}
		b.WriteString(")")
	case orb.MultiPolygon:
		b.WriteString("MULTIPOLYGON(")
		for i, pg := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			writePolygon(b, pg)
		}
		b.WriteString(")")
	case orb.Collection:
		b.WriteString("GEOMETRYCOLLECTION(")
		for i, m := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			writeWKT(b, m)
		}
		b.WriteString(")")
	case orb.Bound:
		writeBBox(b, g)
	default:
		// Not made by a parser; written so that it cannot be read back.
		b.WriteString("GEOMETRYCOLLECTION EMPTY")
	}
}

func writeCoords(b *strings.Builder, ls orb.LineString) {
	b.WriteString("(")
	for i, pt := range ls {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(formatNumber(pt[0]) + " " + formatNumber(pt[1]))
	}
	b.WriteString(")")
}

func writePolygon(b *strings.Builder, pg orb.Polygon) {
	b.WriteString("(")
	for i, r := range pg {
		if i > 0 {
			b.WriteString(", ")
		}
		writeCoords(b, orb.LineString(r))
	}
	b.WriteString(")")
}

// JSON writes e in cql2-json. ParseJSON reads the result back into a tree
// Equal to e.
func JSON(e Expr) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, e); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, e Expr) error {
	op := func(name string, args ...Expr) error {
		b.WriteString(`{"op":`)
		writeJSONString(b, name)
		b.WriteString(`,"args":`)
		if err := writeJSONList(b, args); err != nil {
			return err
		}
		b.WriteString("}")
		return nil
	}
	switch n := e.(type) {
	case *Logical:
		return op(string(n.Op), n.Args...)
	case *Not:
		return op("not", n.Arg)
	case *Compare:
		return op(string(n.Op), n.Left, n.Right)
	case *Like:
		return op("like", n.Value, n.Pattern)
	case *Between:
		return op("between", n.Value, n.Low, n.High)
	case *In:
		return op("in", n.Value, &Array{Elems: n.List})
	case *IsNull:
		return op("isNull", n.Arg)
	case *Spatial:
		return op(string(n.Op), n.Left, n.Right)
	case *Temporal:
		return op(string(n.Op), n.Left, n.Right)
	case *ArrayPredicate:
		return op(string(n.Op), n.Left, n.Right)
	case *Arith:
		return op(string(n.Op), n.Left, n.Right)
	case *Function:
		return op(n.Name, n.Args...)
	case *Casei:
		return op("casei", n.Arg)
	case *Accenti:
		return op("accenti", n.Arg)
	case *Property:
		b.WriteString(`{"property":`)
		writeJSONString(b, n.Name)
		b.WriteString("}")
	case *String:
		writeJSONString(b, n.Value)
	case *Number:
		b.WriteString(formatNumber(n.Value))
	case *Bool:
		if n.Value {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *Date:
		b.WriteString(`{"date":"` + formatInstant(n) + `"}`)
	case *Timestamp:
		b.WriteString(`{"timestamp":"` + formatInstant(n) + `"}`)
	case *Interval:
		b.WriteString(`{"interval":[`)
		for i, bound := range []Expr{n.Start, n.End} {
			if i > 0 {
				b.WriteString(",")
			}
			switch bound.(type) {
			case *Date, *Timestamp, *Unbounded:
				b.WriteString(`"` + formatInstant(bound) + `"`)
			default:
				if err := writeJSON(b, bound); err != nil {
					return err
				}
			}
		}
		b.WriteString("]}")
	case *Unbounded:
		b.WriteString(`".."`)
	case *Geometry:
		data, err := geojson.NewGeometry(n.Geom).MarshalJSON()
		if err != nil {
			return err
		}
		b.Write(data)
	case *BBox:
		bb := n.Bound
		b.WriteString(`{"bbox":[` + formatNumber(bb.Min[0]) + "," + formatNumber(bb.Min[1]) + "," +
			formatNumber(bb.Max[0]) + "," + formatNumber(bb.Max[1]) + "]}")
	case *Array:
		return writeJSONList(b, n.Elems)
	default:
		b.WriteString("null")
	}
	return nil
}

func writeJSONList(b *bytes.Buffer, es []Expr) error {
	b.WriteString("[")
	for i, a := range es {
		if i > 0 {
			b.WriteString(",")
		}
		if err := writeJSON(b, a); err != nil {
			return err
		}
	}
	b.WriteString("]")
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xF])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
