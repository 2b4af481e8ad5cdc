package cql2

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// ParseJSON parses a filter in cql2-json with DefaultLimits.
func ParseJSON(data []byte) (Expr, error) { return Limits{}.ParseJSON(data) }

// ParseJSON parses a filter in cql2-json (the JSON Schema of OGC 21-065
// annex A) within l. The error is an *Error whose position is a JSON
// pointer.
//
// The document is read in two steps: a token scan, bounded in size, nesting
// and number of values, into a small tree of JSON values (object members
// may come in any order, so "op" can follow "args"); then that tree becomes
// the filter, checked node by node as cql2-text is.
func (l Limits) ParseJSON(data []byte) (Expr, error) {
	l = l.withDefaults()
	p := &jsonParser{src: data, b: builder{lim: l}}
	if len(data) > l.MaxLength {
		return nil, p.errorAt(0, "#", "the filter is %d bytes long, more than the limit of %d", len(data), l.MaxLength)
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, p.errorAt(off, "#", "the filter is not valid UTF-8")
	}
	p.dec = json.NewDecoder(bytes.NewReader(data))
	p.dec.UseNumber()
	// Each filter node takes at most two levels of JSON nesting (object and
	// args), a geometry literal at most five, so this bounds the scan before
	// the tree's own depth is checked.
	p.maxNesting = 2*l.MaxDepth + 6
	p.maxValues = 4*l.MaxNodes + 4*l.MaxVertices + 16
	root, err := p.value(nil, "", 0, 0)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, p.errorAt(p.next(), "#", "unexpected data after the end of the filter")
	}
	e, err := p.expr(root, 0)
	if err == nil {
		err = checkRole(roleBoolean, e, "the filter")
	}
	if err != nil {
		return nil, p.locate(err)
	}
	return e, nil
}

// locate adds the line and column to an error that has only an offset.
func (p *jsonParser) locate(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Pos.Line == 0 {
		return p.errorAt(e.Pos.Offset, e.Pos.Pointer, "%s", e.Msg)
	}
	return err
}

// maxMembers bounds the members of one JSON object, which also keeps the
// duplicate check (a scan of the members so far) from growing quadratic.
const maxMembers = 16

// jv is one JSON value of the scanned document.
type jv struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' boolean, 'z' null
	off  int
	// parent, key and index locate the value; its JSON pointer is built
	// from them only when a node or an error needs it.
	parent *jv
	key    string
	index  int
	str    string // string, number text
	b      bool
	arr    []*jv
	keys   []string // object members in order
	vals   []*jv
}

// pointer returns the JSON pointer of v in URI fragment form.
func (v *jv) pointer() string {
	if v.parent == nil {
		return "#"
	}
	if v.parent.kind == 'a' {
		return v.parent.pointer() + "/" + strconv.Itoa(v.index)
	}
	return v.parent.pointer() + "/" + pointerEscape(v.key)
}

func (v *jv) member(key string) *jv {
	for i, k := range v.keys {
		if k == key {
			return v.vals[i]
		}
	}
	return nil
}

func (v *jv) kindName() string {
	return map[byte]string{'o': "an object", 'a': "an array", 's': "a string", 'n': "a number", 'b': "a boolean", 'z': "null"}[v.kind]
}

type jsonParser struct {
	src        []byte
	dec        *json.Decoder
	b          builder
	maxNesting int
	maxValues  int
	values     int
}

// next returns the offset where the next token starts.
func (p *jsonParser) next() int {
	off := int(p.dec.InputOffset())
	for off < len(p.src) {
		switch p.src[off] {
		case ' ', '\t', '\n', '\r', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jsonParser) errorAt(off int, path string, format string, args ...any) *Error {
	line, col := 1, 1
	for _, r := range string(p.src[:min(off, len(p.src))]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return errorAt(Pos{Offset: off, Line: line, Column: col, Pointer: path}, format, args...)
}

func (p *jsonParser) fail(v *jv, format string, args ...any) *Error {
	return p.errorAt(v.off, v.pointer(), format, args...)
}

// value scans one JSON value, member key or element index of parent, into
// a jv.
func (p *jsonParser) value(parent *jv, key string, index, nesting int) (*jv, error) {
	off := p.next()
	v := &jv{off: off, parent: parent, key: key, index: index}
	p.values++
	if p.values > p.maxValues {
		return nil, p.fail(v, "the filter has too many JSON values (limit %d)", p.maxValues)
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntax(err, off, v)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == ']' || t == '}' {
			return nil, p.fail(v, "unexpected %q", string(t))
		}
		if nesting+1 > p.maxNesting {
			return nil, p.fail(v, "the filter nests deeper than %d levels (limit)", p.b.lim.MaxDepth)
		}
		if t == '[' {
			v.kind = 'a'
			for i := 0; p.dec.More(); i++ {
				e, err := p.value(v, "", i, nesting+1)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, e)
			}
		} else {
			v.kind = 'o'
			for p.dec.More() {
				koff := p.next()
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.syntax(err, koff, v)
				}
				key, _ := kt.(string)
				if len(v.keys) == maxMembers {
					return nil, p.errorAt(koff, v.pointer(), "an object has more than %d members; no CQL2 or GeoJSON object needs that many", maxMembers)
				}
				if len(key) > p.b.lim.MaxString {
					return nil, p.errorAt(koff, v.pointer(), "a member name is longer than %d bytes", p.b.lim.MaxString)
				}
				if v.member(key) != nil {
					return nil, p.errorAt(koff, v.pointer(), "member %s appears twice", strconv.Quote(key))
				}
				e, err := p.value(v, key, 0, nesting+1)
				if err != nil {
					return nil, err
				}
				v.keys, v.vals = append(v.keys, key), append(v.vals, e)
			}
		}
		end := p.next()
		if _, err := p.dec.Token(); err != nil {
			return nil, p.syntax(err, end, v)
		}
	case string:
		if len(t) > p.b.lim.MaxString {
			return nil, p.fail(v, "the string is longer than %d bytes (limit)", p.b.lim.MaxString)
		}
		v.kind, v.str = 's', t
	case json.Number:
		v.kind, v.str = 'n', string(t)
	case bool:
		v.kind, v.b = 'b', t
	case nil:
		v.kind = 'z'
	}
	return v, nil
}

func (p *jsonParser) syntax(err error, off int, v *jv) *Error {
	path := v.pointer()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
		return p.errorAt(off, path, "the filter is not valid JSON: %s", strings.TrimPrefix(se.Error(), "json: "))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errorAt(len(p.src), path, "the filter is not valid JSON: it ends too early")
	}
	return p.errorAt(off, path, "the filter is not valid JSON: %s", err)
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func (p *jsonParser) pos(v *jv) Pos { return Pos{Offset: v.off, Pointer: v.pointer()} }

var jsonCompareOps = map[string]CompareOp{"=": Eq, "<>": Ne, "<": Lt, "<=": Le, ">": Gt, ">=": Ge}

var jsonArithOps = map[string]ArithOp{"+": Add, "-": Sub, "*": Mul, "/": Quo, "%": Mod, "DIV": Div, "^": Pow}

// expr turns a scanned value into a node; depth counts nested operators.
func (p *jsonParser) expr(v *jv, depth int) (Expr, error) {
	if depth > p.b.lim.MaxDepth && (v.kind == 'a' || v.kind == 'o' && v.member("op") != nil) {
		return nil, p.fail(v, "the filter nests deeper than %d levels (limit)", p.b.lim.MaxDepth)
	}
	pos := p.pos(v)
	switch v.kind {
	case 'b':
		return p.b.leaf(&Bool{at{pos}, v.b})
	case 's':
		if r, bad := controlIn(v.str); bad {
			return nil, p.fail(v, "control character U+%04X is not allowed in a string", r)
		}
		return p.b.leaf(&String{at{pos}, v.str})
	case 'n':
		f, err := parseNumber(pos, v.str)
		if err != nil {
			return nil, p.fail(v, "%s", err.(*Error).Msg)
		}
		return p.b.leaf(&Number{at{pos}, f})
	case 'z':
		return nil, p.fail(v, "null is not a value: test for it with isNull")
	case 'a':
		elems, err := p.exprs(v.arr, depth+1)
		if err != nil {
			return nil, err
		}
		return p.b.array(pos, elems)
	}
	switch {
	case v.member("op") != nil:
		return p.op(v, depth)
	case v.member("property") != nil:
		name := v.member("property")
		if err := p.only(v, "property"); err != nil {
			return nil, err
		}
		if name.kind != 's' {
			return nil, p.fail(name, "a property name must be a string, not %s", name.kindName())
		}
		if msg := checkIdentifier(name.str, p.b.lim.MaxString); msg != "" {
			return nil, p.fail(name, "%s", msg)
		}
		return p.b.leaf(&Property{at{pos}, name.str})
	case v.member("date") != nil, v.member("timestamp") != nil:
		key := "date"
		if v.member("date") == nil {
			key = "timestamp"
		}
		if err := p.only(v, key); err != nil {
			return nil, err
		}
		s := v.member(key)
		if s.kind != 's' {
			return nil, p.fail(s, "a %s must be a string, not %s", key, s.kindName())
		}
		if key == "date" {
			t, msg := parseDate(s.str)
			if msg != "" {
				return nil, p.fail(s, "%s", msg)
			}
			return p.b.leaf(&Date{at{pos}, t})
		}
		t, msg := parseTimestamp(s.str)
		if msg != "" {
			return nil, p.fail(s, "%s", msg)
		}
		return p.b.leaf(&Timestamp{at{pos}, t})
	case v.member("interval") != nil:
		if err := p.only(v, "interval"); err != nil {
			return nil, err
		}
		iv := v.member("interval")
		if iv.kind != 'a' || len(iv.arr) != 2 {
			return nil, p.fail(iv, "an interval must be an array of 2 bounds, start and end")
		}
		var bounds [2]Expr
		for i, bv := range iv.arr {
			var err error
			if bv.kind == 's' {
				bounds[i], err = parseInstant(p.pos(bv), bv.str)
				if err == nil {
					_, err = p.b.leaf(bounds[i])
				}
				if err != nil {
					return nil, p.fail(bv, "%s", err.(*Error).Msg)
				}
				continue
			}
			if bounds[i], err = p.expr(bv, depth+1); err != nil {
				return nil, err
			}
		}
		return p.b.interval(pos, bounds[0], bounds[1])
	case v.member("type") != nil:
		g, err := p.geometry(v, true)
		if err != nil {
			return nil, err
		}
		return p.b.leaf(&Geometry{at{pos}, g})
	case v.member("bbox") != nil:
		if err := p.only(v, "bbox"); err != nil {
			return nil, err
		}
		bb := v.member("bbox")
		nums, err := p.numbers(bb, "a bbox")
		if err != nil {
			return nil, err
		}
		return p.b.bbox(pos, nums)
	}
	return nil, p.fail(v, "expected an object with \"op\" and \"args\", \"property\", \"date\", \"timestamp\", \"interval\", \"bbox\" or a GeoJSON geometry, got members %s", memberList(v))
}

func memberList(v *jv) string {
	if len(v.keys) == 0 {
		return "none"
	}
	q := make([]string, 0, len(v.keys))
	for _, k := range v.keys {
		q = append(q, strconv.Quote(k))
	}
	return strings.Join(q, ", ")
}

// only refuses members other than the allowed ones: a misspelt member would
// otherwise be silently ignored.
func (p *jsonParser) only(v *jv, allowed ...string) error {
	for i, k := range v.keys {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return p.errorAt(v.vals[i].off, v.vals[i].pointer(), "unexpected member %s next to %s", strconv.Quote(k), strconv.Quote(allowed[0]))
		}
	}
	return nil
}

func (p *jsonParser) exprs(vs []*jv, depth int) ([]Expr, error) {
	out := make([]Expr, 0, len(vs))
	for _, v := range vs {
		e, err := p.expr(v, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// op reads {"op": ..., "args": [...]}.
func (p *jsonParser) op(v *jv, depth int) (Expr, error) {
	if err := p.only(v, "op", "args"); err != nil {
		return nil, err
	}
	opv, argv := v.member("op"), v.member("args")
	if opv.kind != 's' {
		return nil, p.fail(opv, "\"op\" must be a string, not %s", opv.kindName())
	}
	if argv == nil {
		return nil, p.fail(v, "the operation %s has no \"args\"", strconv.Quote(opv.str))
	}
	if argv.kind != 'a' {
		return nil, p.fail(argv, "\"args\" must be an array, not %s", argv.kindName())
	}
	name, pos := opv.str, p.pos(v)
	up := strings.ToUpper(name)
	arity := func(n int) error {
		if len(argv.arr) != n {
			return p.fail(argv, "%s takes %d argument%s, got %d", strconv.Quote(name), n, map[bool]string{true: "", false: "s"}[n == 1], len(argv.arr))
		}
		return nil
	}
	var args []Expr
	// in and the array functions read some arguments themselves.
	if up != "IN" {
		var err error
		if args, err = p.exprs(argv.arr, depth+1); err != nil {
			return nil, err
		}
	}
	switch up {
	case "AND", "OR":
		if len(args) < 2 {
			return nil, p.fail(argv, "%s takes 2 or more arguments, got %d", strconv.Quote(name), len(args))
		}
		return p.b.logical(pos, LogicalOp(strings.ToLower(up)), args)
	case "NOT":
		if err := arity(1); err != nil {
			return nil, err
		}
		return p.b.not(pos, args[0])
	case "LIKE":
		if err := arity(2); err != nil {
			return nil, err
		}
		return p.b.like(pos, args[0], args[1])
	case "BETWEEN":
		if err := arity(3); err != nil {
			return nil, err
		}
		return p.b.between(pos, args[0], args[1], args[2])
	case "IN":
		if err := arity(2); err != nil {
			return nil, err
		}
		value, err := p.expr(argv.arr[0], depth+1)
		if err != nil {
			return nil, err
		}
		lv := argv.arr[1]
		if lv.kind != 'a' {
			return nil, p.fail(lv, "the second argument of \"in\" must be an array of values, not %s", lv.kindName())
		}
		list, err := p.exprs(lv.arr, depth+1)
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, p.fail(lv, "the list of IN needs at least one value")
		}
		return p.b.in(pos, value, list)
	case "ISNULL":
		if err := arity(1); err != nil {
			return nil, err
		}
		return p.b.isNull(pos, args[0])
	case "CASEI", "ACCENTI":
		if err := arity(1); err != nil {
			return nil, err
		}
		if up == "CASEI" {
			return p.b.casei(pos, args[0])
		}
		return p.b.accenti(pos, args[0])
	}
	if op, ok := jsonCompareOps[name]; ok {
		if err := arity(2); err != nil {
			return nil, err
		}
		return p.b.compare(pos, op, args[0], args[1])
	}
	if op, ok := jsonArithOps[up]; ok {
		if err := arity(2); err != nil {
			return nil, err
		}
		return p.b.arith(pos, op, args[0], args[1])
	}
	if op, ok := spatialOps[up]; ok {
		if err := arity(2); err != nil {
			return nil, err
		}
		return p.b.spatial(pos, op, args[0], args[1])
	}
	if op, ok := temporalOp[up]; ok {
		if err := arity(2); err != nil {
			return nil, err
		}
		return p.b.temporal(pos, op, args[0], args[1])
	}
	if op, ok := arrayOps[up]; ok {
		if err := arity(2); err != nil {
			return nil, err
		}
		return p.b.arrayPredicate(pos, op, args[0], args[1])
	}
	if reservedFunction(name) {
		return nil, p.fail(opv, "%s is not an operator of cql2-json and, being a keyword of cql2-text, cannot name a function", strconv.Quote(name))
	}
	if msg := checkIdentifier(name, p.b.lim.MaxString); msg != "" {
		return nil, p.fail(opv, "unknown operator %s: %s", strconv.Quote(name), strings.Replace(msg, "the name", "a function name", 1))
	}
	return p.b.function(pos, name, args)
}

func (p *jsonParser) numbers(v *jv, what string) ([]float64, error) {
	if v.kind != 'a' {
		return nil, p.fail(v, "%s must be an array of numbers, not %s", what, v.kindName())
	}
	out := make([]float64, 0, len(v.arr))
	for _, n := range v.arr {
		if n.kind != 'n' {
			return nil, p.fail(n, "%s must hold numbers, not %s", what, n.kindName())
		}
		f, err := parseNumber(Pos{}, n.str)
		if err != nil {
			return nil, p.fail(n, "%s", err.(*Error).Msg)
		}
		out = append(out, f)
	}
	return out, nil
}

// geometry reads a GeoJSON geometry (RFC 7946 §3.1), keeping x and y of
// each position. Members other than type and coordinates (or geometries)
// are ignored, as GeoJSON allows foreign members.
func (p *jsonParser) geometry(v *jv, collection bool) (orb.Geometry, error) {
	tv := v.member("type")
	if tv == nil || tv.kind != 's' {
		return nil, p.fail(v, "a GeoJSON geometry needs a \"type\" string")
	}
	if tv.str == "GeometryCollection" {
		if !collection {
			return nil, p.fail(v, "a GeometryCollection cannot contain another")
		}
		gv := v.member("geometries")
		if gv == nil || gv.kind != 'a' {
			return nil, p.fail(v, "a GeometryCollection needs a \"geometries\" array")
		}
		if len(gv.arr) == 0 {
			return nil, p.fail(gv, "empty geometries are not supported in a filter")
		}
		var c orb.Collection
		for _, g := range gv.arr {
			if g.kind != 'o' {
				return nil, p.fail(g, "a member of a GeometryCollection must be a GeoJSON geometry, not %s", g.kindName())
			}
			m, err := p.geometry(g, false)
			if err != nil {
				return nil, err
			}
			c = append(c, m)
		}
		return c, nil
	}
	cv := v.member("coordinates")
	if cv == nil {
		return nil, p.fail(v, "a GeoJSON %s needs \"coordinates\"", tv.str)
	}
	switch tv.str {
	case "Point":
		return p.position(cv)
	case "LineString":
		return p.line(cv, 2, "a LineString")
	case "Polygon":
		return p.polygon(cv)
	case "MultiPoint":
		var mp orb.MultiPoint
		err := p.each(cv, "a MultiPoint", func(e *jv) error {
			pt, err := p.position(e)
			mp = append(mp, pt)
			return err
		})
		return mp, err
	case "MultiLineString":
		var ml orb.MultiLineString
		err := p.each(cv, "a MultiLineString", func(e *jv) error {
			ls, err := p.line(e, 2, "a LineString")
			ml = append(ml, ls)
			return err
		})
		return ml, err
	case "MultiPolygon":
		var mp orb.MultiPolygon
		err := p.each(cv, "a MultiPolygon", func(e *jv) error {
			pg, err := p.polygon(e)
			mp = append(mp, pg)
			return err
		})
		return mp, err
	}
	return nil, p.fail(tv, "unknown GeoJSON geometry type %s (want Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon or GeometryCollection)", quote(tv.str))
}

// each runs f on the members of a non-empty coordinates array.
func (p *jsonParser) each(v *jv, what string, f func(*jv) error) error {
	if v.kind != 'a' {
		return p.fail(v, "the coordinates of %s must be an array, not %s", what, v.kindName())
	}
	if len(v.arr) == 0 {
		return p.fail(v, "empty geometries are not supported in a filter")
	}
	for _, e := range v.arr {
		if err := f(e); err != nil {
			return err
		}
	}
	return nil
}

// position reads [x, y] or [x, y, z].
func (p *jsonParser) position(v *jv) (orb.Point, error) {
	if err := p.b.vertex(Pos{}, 1); err != nil {
		return orb.Point{}, p.fail(v, "%s", err.(*Error).Msg)
	}
	nums, err := p.numbers(v, "a position")
	if err != nil {
		return orb.Point{}, err
	}
	if len(nums) < 2 || len(nums) > 3 {
		return orb.Point{}, p.fail(v, "a position has 2 or 3 numbers (x, y and optionally z), got %d", len(nums))
	}
	return orb.Point{nums[0], nums[1]}, nil
}

func (p *jsonParser) line(v *jv, minPoints int, what string) (orb.LineString, error) {
	var ls orb.LineString
	err := p.each(v, what, func(e *jv) error {
		pt, err := p.position(e)
		ls = append(ls, pt)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkLine(Pos{}, ls, minPoints, what); err != nil {
		return nil, p.fail(v, "%s", err.(*Error).Msg)
	}
	return ls, nil
}

func (p *jsonParser) polygon(v *jv) (orb.Polygon, error) {
	var pg orb.Polygon
	err := p.each(v, "a Polygon", func(e *jv) error {
		ring, err := p.line(e, 4, "a polygon ring")
		pg = append(pg, orb.Ring(ring))
		return err
	})
	return pg, err
}

// controlIn finds a character that the cql2-text grammar keeps out of
// strings (see isControl), so that every string can be written in both.
func controlIn(s string) (rune, bool) {
	for _, r := range s {
		if isControl(r) {
			return r, true
		}
	}
	return 0, false
}
