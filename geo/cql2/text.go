package cql2

import (
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// ParseText parses a filter in cql2-text with DefaultLimits.
func ParseText(s string) (Expr, error) { return Limits{}.ParseText(s) }

// ParseText parses a filter in cql2-text (the BNF of OGC 21-065 annex B)
// within l. The error is an *Error.
func (l Limits) ParseText(s string) (Expr, error) {
	l = l.withDefaults()
	if len(s) > l.MaxLength {
		return nil, errorAt(Pos{Line: 1, Column: 1}, "the filter is %d bytes long, more than the limit of %d", len(s), l.MaxLength)
	}
	if !utf8.ValidString(s) {
		return nil, errorAt(invalidUTF8(s), "the filter is not valid UTF-8")
	}
	p := &textParser{lex: lexer{src: s, line: 1, col: 1, maxString: l.MaxString}, b: builder{lim: l}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, errorAt(p.tok.pos, "the filter is empty")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectBoolean(e); err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("AND, OR or the end of the filter")
	}
	return e, nil
}

func invalidUTF8(s string) Pos {
	l := lexer{src: s, line: 1, col: 1}
	for l.off < len(s) {
		r, n := l.peekRune()
		if r == utf8.RuneError && n <= 1 {
			break
		}
		l.advance(r, n)
	}
	return l.pos()
}

type textParser struct {
	lex   lexer
	tok   token
	b     builder
	depth int
	// pending is an operand already read, which parseUnary returns next
	// (see parseArgument).
	pending Expr
}

func (p *textParser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// peek returns the token after the current one without consuming it.
func (p *textParser) peek() token {
	save := p.lex
	t, err := p.lex.next()
	p.lex = save
	if err != nil {
		return token{kind: tEOF}
	}
	return t
}

// enter and leave bound the nesting of the parse, which is also the depth of
// the recursion.
func (p *textParser) enter() error {
	p.depth++
	if p.depth > p.b.lim.MaxDepth {
		return errorAt(p.tok.pos, "the filter nests deeper than %d levels (limit)", p.b.lim.MaxDepth)
	}
	return nil
}

func (p *textParser) leave() { p.depth-- }

func (p *textParser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *textParser) isKeyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *textParser) expectPunct(s string, what string) error {
	if !p.isPunct(s) {
		return p.unexpected(what)
	}
	return p.advance()
}

func (p *textParser) unexpected(want string) error {
	return errorAt(p.tok.pos, "expected %s, got %s", want, describeToken(p.tok))
}

func describeToken(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the filter"
	case tString:
		return "string " + quote(t.text)
	case tQuoted:
		return "property name " + quote(t.text)
	case tNumber:
		return "number " + t.text
	}
	return quote(t.text)
}

// expectBoolean explains the commonest mistake: a value where a predicate
// belongs, as in "floors 5" or a property alone.
func (p *textParser) expectBoolean(e Expr) error {
	if fits(roleBoolean, e) {
		return nil
	}
	return errorAt(p.tok.pos, "expected a comparison operator (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN or IS NULL) after %s, got %s",
		describe(e), describeToken(p.tok))
}

func (p *textParser) parseOr() (Expr, error) {
	return p.parseLogical(Or, "OR", p.parseAnd)
}

func (p *textParser) parseAnd() (Expr, error) {
	return p.parseLogical(And, "AND", p.parseNot)
}

// parseLogical reads "x KW y KW z ..." into one node with all operands.
func (p *textParser) parseLogical(op LogicalOp, kw string, operand func() (Expr, error)) (Expr, error) {
	first, err := operand()
	if err != nil || !p.isKeyword(kw) {
		return first, err
	}
	pos := p.tok.pos
	args := []Expr{first}
	for p.isKeyword(kw) {
		if err := p.expectBoolean(args[len(args)-1]); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if err := p.expectBoolean(args[len(args)-1]); err != nil {
		return nil, err
	}
	return p.b.logical(pos, op, args)
}

func (p *textParser) parseNot() (Expr, error) {
	if p.pending != nil || !p.isKeyword("NOT") {
		return p.parsePredicate()
	}
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	arg, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	p.leave()
	if err := p.expectBoolean(arg); err != nil {
		return nil, err
	}
	return p.b.not(pos, arg)
}

var compareOps = map[string]CompareOp{"=": Eq, "<>": Ne, "<": Lt, "<=": Le, ">": Gt, ">=": Ge}

// parsePredicate reads a scalar expression and the comparison that follows
// it, if any; without one the expression is returned for the caller to judge.
func (p *textParser) parsePredicate() (Expr, error) {
	left, err := p.parseAdditive()
	if err != nil {
		return nil, err
	}
	if op, ok := compareOps[p.tok.text]; ok && p.tok.kind == tPunct {
		pos := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.parseAdditive()
		if err != nil {
			return nil, err
		}
		return p.b.compare(pos, op, left, right)
	}
	negated, notPos := false, Pos{}
	if p.isKeyword("NOT") {
		negated, notPos = true, p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isKeyword("LIKE") && !p.isKeyword("BETWEEN") && !p.isKeyword("IN") {
			return nil, p.unexpected("LIKE, BETWEEN or IN after NOT")
		}
	}
	pos := p.tok.pos
	var e Expr
	switch {
	case p.isKeyword("LIKE"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		pattern, err := p.parseAdditive()
		if err != nil {
			return nil, err
		}
		e, err = p.b.like(pos, left, pattern)
		if err != nil {
			return nil, err
		}
	case p.isKeyword("BETWEEN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		low, err := p.parseAdditive()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.unexpected("AND between the bounds of BETWEEN")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		high, err := p.parseAdditive()
		if err != nil {
			return nil, err
		}
		e, err = p.b.between(pos, left, low, high)
		if err != nil {
			return nil, err
		}
	case p.isKeyword("IN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		open := p.tok.pos
		if err := p.expectPunct("(", "'(' to open the list of IN"); err != nil {
			return nil, err
		}
		var list []Expr
		for !p.isPunct(")") || len(list) > 0 {
			v, err := p.parseAdditive()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			if p.isPunct(")") {
				break
			}
			if err := p.expectPunct(",", "',' or ')' in the list of IN"); err != nil {
				return nil, err
			}
		}
		if len(list) == 0 {
			return nil, errorAt(open, "the list of IN needs at least one value")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err = p.b.in(pos, left, list)
		if err != nil {
			return nil, err
		}
	case p.isKeyword("IS"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isKeyword("NOT") {
			negated, notPos = true, p.tok.pos
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if !p.isKeyword("NULL") {
			return nil, p.unexpected("NULL after IS")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err = p.b.isNull(pos, left)
		if err != nil {
			return nil, err
		}
	default:
		return left, nil
	}
	if negated {
		return p.b.not(notPos, e)
	}
	return e, nil
}

func (p *textParser) parseAdditive() (Expr, error) {
	left, err := p.parseMultiplicative()
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		op, pos := ArithOp(p.tok.text), p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.parseMultiplicative()
		if err != nil {
			return nil, err
		}
		if left, err = p.b.arith(pos, op, left, right); err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *textParser) parseMultiplicative() (Expr, error) {
	left, err := p.parsePower()
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") || p.isPunct("%") || p.isKeyword("DIV") {
		op, pos := ArithOp(strings.ToLower(p.tok.text)), p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.parsePower()
		if err != nil {
			return nil, err
		}
		if left, err = p.b.arith(pos, op, left, right); err != nil {
			return nil, err
		}
	}
	return left, nil
}

// parsePower reads "a ^ b"; the BNF allows one ^ per term, so "a ^ b ^ c"
// needs parentheses.
func (p *textParser) parsePower() (Expr, error) {
	left, err := p.parseUnary()
	if err != nil || !p.isPunct("^") {
		return left, err
	}
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	right, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return p.b.arith(pos, Pow, left, right)
}

// parseUnary reads a sign. Before a number it is part of the literal;
// before anything else "-x" becomes -1 * x, as cql2-json writes it.
func (p *textParser) parseUnary() (Expr, error) {
	if e := p.pending; e != nil {
		p.pending = nil
		return e, nil
	}
	if !p.isPunct("-") && !p.isPunct("+") {
		return p.parsePrimary()
	}
	sign, pos := p.tok.text, p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tNumber {
		return p.number(pos, sign+p.tok.text)
	}
	if sign == "+" {
		return nil, p.unexpected("a number after '+'")
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	p.leave()
	minus, err := p.b.leaf(&Number{at{pos}, -1})
	if err != nil {
		return nil, err
	}
	return p.b.arith(pos, Mul, minus, x)
}

func (p *textParser) number(pos Pos, text string) (Expr, error) {
	f, err := parseNumber(pos, text)
	if err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return p.b.leaf(&Number{at{pos}, f})
}

func (p *textParser) parsePrimary() (Expr, error) {
	t := p.tok
	switch t.kind {
	case tNumber:
		return p.number(t.pos, t.text)
	case tString:
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.b.leaf(&String{at{t.pos}, t.text})
	case tQuoted:
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.b.leaf(&Property{at{t.pos}, t.text})
	case tIdent:
		return p.parseIdent()
	}
	if !p.isPunct("(") {
		return nil, p.unexpected("a value, property, function or '('")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.leave()
	if !p.isPunct(")") {
		if !fits(roleBoolean, e) && p.tok.kind != tPunct {
			return nil, p.expectBoolean(e)
		}
		return nil, p.unexpected("')'")
	}
	return e, p.advance()
}

// parseIdent reads what starts with a name: a keyword form such as
// DATE('...') or S_WITHIN(a, b), a function call or a property. A keyword
// not followed by '(' is a property name, except the operator words.
func (p *textParser) parseIdent() (Expr, error) {
	t := p.tok
	kw := strings.ToUpper(t.text)
	switch kw {
	case "TRUE", "FALSE":
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.b.leaf(&Bool{at{t.pos}, kw == "TRUE"})
	case "NULL":
		return nil, errorAt(t.pos, "NULL is not a value: test for it with IS NULL")
	}
	if operatorWords[kw] {
		return nil, p.unexpected("a value, property or function")
	}
	next := p.peek()
	call := next.kind == tPunct && next.text == "("
	if geometryKeywords[kw] && (call || next.kind == tIdent && (strings.EqualFold(next.text, "Z") || strings.EqualFold(next.text, "EMPTY"))) {
		return p.parseGeometry(kw)
	}
	if !call {
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.b.leaf(&Property{at{t.pos}, t.text})
	}
	if err := p.advance(); err != nil { // the name
		return nil, err
	}
	if err := p.advance(); err != nil { // (
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	e, err := p.parseCall(t, kw)
	if err != nil {
		return nil, err
	}
	p.leave()
	return e, nil
}

// parseCall reads the arguments of NAME( ... ) and the closing parenthesis.
func (p *textParser) parseCall(name token, kw string) (Expr, error) {
	pos := name.pos
	switch kw {
	case "DATE", "TIMESTAMP":
		if p.tok.kind != tString {
			return nil, p.unexpected("a quoted " + strings.ToLower(kw) + " such as " + map[string]string{"DATE": "'2024-05-31'", "TIMESTAMP": "'2024-05-31T10:00:00Z'"}[kw])
		}
		var e Expr
		if kw == "DATE" {
			t, msg := parseDate(p.tok.text)
			if msg != "" {
				return nil, errorAt(p.tok.pos, "%s", msg)
			}
			e = &Date{at{pos}, t}
		} else {
			t, msg := parseTimestamp(p.tok.text)
			if msg != "" {
				return nil, errorAt(p.tok.pos, "%s", msg)
			}
			e = &Timestamp{at{pos}, t}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		return e, p.close(kw, func() error { _, err := p.b.leaf(e); return err })
	case "INTERVAL":
		args, err := p.args(kw, 2, func() (Expr, error) {
			if p.tok.kind == tString {
				e, err := parseInstant(p.tok.pos, p.tok.text)
				if err != nil {
					return nil, err
				}
				if _, err := p.b.leaf(e); err != nil {
					return nil, err
				}
				return e, p.advance()
			}
			return p.parseAdditive()
		})
		if err != nil {
			return nil, err
		}
		return p.b.interval(pos, args[0], args[1])
	case "CASEI", "ACCENTI":
		args, err := p.args(kw, 1, p.parseAdditive)
		if err != nil {
			return nil, err
		}
		if kw == "CASEI" {
			return p.b.casei(pos, args[0])
		}
		return p.b.accenti(pos, args[0])
	case "BBOX":
		return p.parseBBox(pos)
	}
	if op, ok := spatialOps[kw]; ok {
		args, err := p.args(kw, 2, p.parseAdditive)
		if err != nil {
			return nil, err
		}
		return p.b.spatial(pos, op, args[0], args[1])
	}
	if op, ok := temporalOp[kw]; ok {
		args, err := p.args(kw, 2, p.parseAdditive)
		if err != nil {
			return nil, err
		}
		return p.b.temporal(pos, op, args[0], args[1])
	}
	if op, ok := arrayOps[kw]; ok {
		args, err := p.args(kw, 2, func() (Expr, error) {
			if p.isPunct("(") {
				return p.parseArray()
			}
			return p.parseAdditive()
		})
		if err != nil {
			return nil, err
		}
		return p.b.arrayPredicate(pos, op, args[0], args[1])
	}
	args, err := p.args(name.text, -1, p.parseArgument)
	if err != nil {
		return nil, err
	}
	return p.b.function(pos, name.text, args)
}

// parseArgument reads a function argument or an array element. The grammar
// is ambiguous about a parenthesis there: a group that is the whole
// argument is an array, "f((1))" passing an array of one number; a group
// followed by more of an expression, as in "f((a + 1) * 2)", is a
// parenthesised operand.
func (p *textParser) parseArgument() (Expr, error) {
	if !p.isPunct("(") {
		return p.parseOr()
	}
	e, err := p.parseArray()
	if err != nil || p.isPunct(",") || p.isPunct(")") {
		return e, err
	}
	arr := e.(*Array)
	if len(arr.Elems) != 1 {
		return nil, p.unexpected("',' or ')' after an array")
	}
	p.b.nodes-- // the group was no array after all
	p.pending = arr.Elems[0]
	return p.parseOr()
}

func (p *textParser) parseArray() (Expr, error) {
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	elems, err := p.args("an array", -1, p.parseArgument)
	if err != nil {
		return nil, err
	}
	p.leave()
	return p.b.array(pos, elems)
}

// args reads want comma-separated items (any number when want < 0) and the
// closing parenthesis of name.
func (p *textParser) args(name string, want int, item func() (Expr, error)) ([]Expr, error) {
	var out []Expr
	if p.isPunct(")") && want <= 0 {
		return out, p.advance()
	}
	for {
		e, err := item()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if len(out) == want {
			return out, p.close(name, nil)
		}
		if p.isPunct(")") && want < 0 {
			return out, p.advance()
		}
		if !p.isPunct(",") {
			if want > 0 {
				return nil, p.unexpected("',' (" + name + " takes " + itoa(want) + " arguments)")
			}
			return nil, p.unexpected("',' or ')' in " + name)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

// close expects the ')' ending a call of name, then runs then.
func (p *textParser) close(name string, then func() error) error {
	if !p.isPunct(")") {
		if p.isPunct(",") {
			return errorAt(p.tok.pos, "%s takes fewer arguments", name)
		}
		return p.unexpected("')' to close " + name)
	}
	if err := p.advance(); err != nil {
		return err
	}
	if then != nil {
		return then()
	}
	return nil
}

// signed reads a signed number, as the coordinates of WKT and BBOX are.
func (p *textParser) signed(what string) (float64, error) {
	sign := ""
	if p.isPunct("-") || p.isPunct("+") {
		sign = p.tok.text
		if err := p.advance(); err != nil {
			return 0, err
		}
	}
	if p.tok.kind != tNumber {
		return 0, p.unexpected(what)
	}
	f, err := parseNumber(p.tok.pos, sign+p.tok.text)
	if err != nil {
		return 0, err
	}
	return f, p.advance()
}

func (p *textParser) startsNumber() bool {
	return p.tok.kind == tNumber || p.isPunct("-") || p.isPunct("+")
}

func (p *textParser) parseBBox(pos Pos) (Expr, error) {
	var v []float64
	for {
		f, err := p.signed("a number in BBOX")
		if err != nil {
			return nil, err
		}
		v = append(v, f)
		if p.isPunct(")") || len(v) == 6 {
			break
		}
		if err := p.expectPunct(",", "',' between the numbers of BBOX"); err != nil {
			return nil, err
		}
	}
	if err := p.close("BBOX", nil); err != nil {
		return nil, err
	}
	return p.b.bbox(pos, v)
}

// parseGeometry reads a WKT literal (the BNF's spatialInstance). Z values
// are read and dropped; EMPTY is refused.
func (p *textParser) parseGeometry(kw string) (Expr, error) {
	pos := p.tok.pos
	g, err := p.taggedText(kw, true)
	if err != nil {
		return nil, err
	}
	return p.b.leaf(&Geometry{at{pos}, g})
}

func (p *textParser) taggedText(kw string, collection bool) (orb.Geometry, error) {
	tag := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.isKeyword("Z") {
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("EMPTY") {
		return nil, errorAt(p.tok.pos, "empty geometries are not supported in a filter")
	}
	switch kw {
	case "POINT":
		return p.pointText()
	case "LINESTRING":
		return p.lineText(tag, 2, "a linestring")
	case "POLYGON":
		return p.polygonText()
	case "MULTIPOINT":
		var mp orb.MultiPoint
		err := p.parens("MULTIPOINT", func() error {
			var pt orb.Point
			var err error
			if p.isPunct("(") {
				pt, err = p.pointText()
			} else { // the common MULTIPOINT(1 2, 3 4) form
				pt, err = p.coord()
			}
			mp = append(mp, pt)
			return err
		})
		return mp, err
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.parens("MULTILINESTRING", func() error {
			ls, err := p.lineText(p.tok.pos, 2, "a linestring")
			ml = append(ml, ls)
			return err
		})
		return ml, err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.parens("MULTIPOLYGON", func() error {
			pg, err := p.polygonText()
			mp = append(mp, pg)
			return err
		})
		return mp, err
	}
	if !collection {
		return nil, errorAt(tag, "a GEOMETRYCOLLECTION cannot contain another")
	}
	var c orb.Collection
	err := p.parens("GEOMETRYCOLLECTION", func() error {
		kw := strings.ToUpper(p.tok.text)
		if p.tok.kind != tIdent || !geometryKeywords[kw] {
			return p.unexpected("a geometry (POINT, LINESTRING, POLYGON, ...) in GEOMETRYCOLLECTION")
		}
		g, err := p.taggedText(kw, false)
		c = append(c, g)
		return err
	})
	return c, err
}

// parens reads "( item, item, ... )" with at least one item.
func (p *textParser) parens(what string, item func() error) error {
	if err := p.expectPunct("(", "'(' after "+what); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if p.isPunct(")") {
			return p.advance()
		}
		if !p.isPunct(",") { // the message is built only when needed: this runs per vertex
			return p.unexpected("',' or ')' in " + what)
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
}

func (p *textParser) pointText() (orb.Point, error) {
	if err := p.expectPunct("(", "'(' before the coordinates of a point"); err != nil {
		return orb.Point{}, err
	}
	pt, err := p.coord()
	if err != nil {
		return pt, err
	}
	return pt, p.expectPunct(")", "')' after the coordinates of a point")
}

// coord reads "x y" or "x y z" and keeps x and y.
func (p *textParser) coord() (orb.Point, error) {
	pos := p.tok.pos
	if err := p.b.vertex(pos, 1); err != nil {
		return orb.Point{}, err
	}
	x, err := p.signed("a coordinate (a number)")
	if err != nil {
		return orb.Point{}, err
	}
	y, err := p.signed("the second coordinate of a point")
	if err != nil {
		return orb.Point{}, err
	}
	if p.startsNumber() {
		if _, err := p.signed("the third coordinate of a point"); err != nil {
			return orb.Point{}, err
		}
	}
	return orb.Point{x, y}, nil
}

func (p *textParser) lineText(pos Pos, minPoints int, what string) (orb.LineString, error) {
	var ls orb.LineString
	err := p.parens(what, func() error {
		pt, err := p.coord()
		ls = append(ls, pt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ls, checkLine(pos, ls, minPoints, what)
}

func (p *textParser) polygonText() (orb.Polygon, error) {
	var pg orb.Polygon
	err := p.parens("a polygon", func() error {
		ring, err := p.lineText(p.tok.pos, 4, "a polygon ring")
		pg = append(pg, orb.Ring(ring))
		return err
	})
	return pg, err
}
