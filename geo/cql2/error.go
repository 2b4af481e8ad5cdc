package cql2

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// An Error reports a filter that cannot be parsed or checked: where (Pos)
// and what was expected (Msg). Its text, "at 1:17: expected ...", is meant
// for the client that sent the filter.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns "at POS: MSG".
func (e *Error) Error() string { return "at " + e.Pos.String() + ": " + e.Msg }

func errorAt(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// Limits bound the work a parser does for one filter. Each is checked while
// parsing, before the work it limits; zero means the default.
type Limits struct {
	// MaxLength is the size of the input in bytes.
	MaxLength int
	// MaxDepth is how deeply nodes nest: each operator, function call and
	// parenthesis in cql2-text, each operator object in cql2-json, is a level.
	MaxDepth int
	// MaxNodes is the number of nodes of the tree, vertices not counted.
	MaxNodes int
	// MaxVertices is the number of coordinates of all geometry literals
	// together (a BBOX counts 2).
	MaxVertices int
	// MaxString is the length in bytes of one string literal, property name
	// or function name.
	MaxString int
}

// DefaultLimits are the limits used by ParseText and ParseJSON.
var DefaultLimits = Limits{
	MaxLength:   512 << 10,
	MaxDepth:    64,
	MaxNodes:    2000,
	MaxVertices: 20000,
	MaxString:   1000,
}

func (l Limits) withDefaults() Limits {
	if l.MaxLength <= 0 {
		l.MaxLength = DefaultLimits.MaxLength
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultLimits.MaxNodes
	}
	if l.MaxVertices <= 0 {
		l.MaxVertices = DefaultLimits.MaxVertices
	}
	if l.MaxString <= 0 {
		l.MaxString = DefaultLimits.MaxString
	}
	return l
}

// maxQuoted bounds how much of the client's input an error message echoes.
const maxQuoted = 40

// quote returns s in single quotes for an error message, shortened when
// long, with control characters escaped.
func quote(s string) string {
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	q := strconv.Quote(s)
	return "'" + q[1:len(q)-1] + "'"
}
