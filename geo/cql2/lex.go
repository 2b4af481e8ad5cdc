package cql2

import (
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tIdent          // an unquoted identifier or keyword
	tQuoted         // a "double-quoted" property name
	tString         // a 'character literal', unescaped in text
	tNumber         // an unsigned number
	tPunct          // ( ) , = <> < <= > >= + - * / % ^
)

type token struct {
	kind tokKind
	text string
	pos  Pos
}

// lexer splits cql2-text into tokens (BNF of OGC 21-065, annex B). It tracks
// line and column as it goes, so positions cost nothing extra.
type lexer struct {
	src       string
	off       int
	line, col int
	maxString int
}

func (l *lexer) pos() Pos { return Pos{Offset: l.off, Line: l.line, Column: l.col} }

func (l *lexer) peekRune() (rune, int) {
	if l.off >= len(l.src) {
		return -1, 0
	}
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	return r, n
}

func (l *lexer) advance(r rune, n int) {
	l.off += n
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
}

func (l *lexer) next() (token, error) {
	for {
		r, n := l.peekRune()
		if !isSpace(r) {
			break
		}
		l.advance(r, n)
	}
	start := l.pos()
	r, n := l.peekRune()
	switch {
	case r < 0:
		return token{kind: tEOF, pos: start}, nil
	case r == '\'':
		return l.str(start)
	case r == '"':
		l.advance(r, n)
		var b strings.Builder
		for {
			r, n = l.peekRune()
			if r < 0 || r == '"' {
				break
			}
			b.WriteString(l.src[l.off : l.off+n])
			l.advance(r, n)
		}
		if r < 0 {
			return token{}, errorAt(start, "the quoted property name has no closing \"")
		}
		l.advance(r, n)
		name := b.String()
		if msg := checkIdentifier(name, l.maxString); msg != "" {
			return token{}, errorAt(start, "%s", msg)
		}
		return token{tQuoted, name, start}, nil
	case r >= '0' && r <= '9' || r == '.' && l.off+1 < len(l.src) && isDigit(l.src[l.off+1]):
		return l.number(start)
	case isIdentStart(r):
		begin := l.off
		for isIdentStart(r) || isIdentPart(r) {
			l.advance(r, n)
			r, n = l.peekRune()
		}
		text := l.src[begin:l.off]
		if len(text) > l.maxString {
			return token{}, errorAt(start, "the name %s is longer than %d bytes", quote(text), l.maxString)
		}
		return token{tIdent, text, start}, nil
	}
	switch r {
	case '<':
		l.advance(r, n)
		if nr, nn := l.peekRune(); nr == '>' || nr == '=' {
			l.advance(nr, nn)
			return token{tPunct, "<" + string(nr), start}, nil
		}
		return token{tPunct, "<", start}, nil
	case '>':
		l.advance(r, n)
		if nr, nn := l.peekRune(); nr == '=' {
			l.advance(nr, nn)
			return token{tPunct, ">=", start}, nil
		}
		return token{tPunct, ">", start}, nil
	case '(', ')', ',', '=', '+', '-', '*', '/', '%', '^':
		l.advance(r, n)
		return token{tPunct, l.src[start.Offset:l.off], start}, nil
	case '!':
		return token{}, errorAt(start, "unexpected '!': CQL2 writes 'not equal' as <> and negation as NOT")
	}
	if r == utf8.RuneError && n <= 1 {
		return token{}, errorAt(start, "the filter is not valid UTF-8")
	}
	return token{}, errorAt(start, "unexpected character %s", quote(string(r)))
}

// str reads a character literal. Per /req/cql2-text/escaping a quote is
// written ” or \', and \a \b \t \n \v \f \r stand for control characters;
// \\ is a backslash. A backslash before any other character is kept as it
// is, so LIKE patterns such as '100\%' reach the LIKE escape untouched.
func (l *lexer) str(start Pos) (token, error) {
	l.advance('\'', 1)
	var b strings.Builder
	for {
		r, n := l.peekRune()
		switch {
		case r < 0:
			return token{}, errorAt(start, "the string has no closing quote")
		case r == utf8.RuneError && n <= 1:
			return token{}, errorAt(l.pos(), "the filter is not valid UTF-8")
		case r == '\'':
			l.advance(r, n)
			if nr, nn := l.peekRune(); nr == '\'' {
				l.advance(nr, nn)
				b.WriteByte('\'')
				break
			}
			return token{tString, b.String(), start}, nil
		case r == '\\':
			esc := l.pos()
			l.advance(r, n)
			nr, nn := l.peekRune()
			if c, ok := unescape[nr]; ok {
				l.advance(nr, nn)
				b.WriteByte(c)
				break
			}
			if nr < 0 {
				return token{}, errorAt(esc, "the string ends with a backslash and has no closing quote")
			}
			b.WriteByte('\\')
		default:
			if isControl(r) {
				return token{}, errorAt(l.pos(), "control character U+%04X is not allowed in a string", r)
			}
			b.WriteString(l.src[l.off : l.off+n])
			l.advance(r, n)
		}
		if b.Len() > l.maxString {
			return token{}, errorAt(start, "the string is longer than %d bytes", l.maxString)
		}
	}
}

var unescape = map[rune]byte{
	'\'': '\'', '\\': '\\',
	'a': '\a', 'b': '\b', 't': '\t', 'n': '\n', 'v': '\v', 'f': '\f', 'r': '\r',
}

// number reads an unsigned numeric literal: digits with an optional fraction
// (or a fraction alone) and an optional exponent. A sign is the parser's.
func (l *lexer) number(start Pos) (token, error) {
	begin := l.off
	l.digits()
	if l.off < len(l.src) && l.src[l.off] == '.' {
		l.advance('.', 1)
		l.digits()
	}
	if l.off < len(l.src) && (l.src[l.off] == 'e' || l.src[l.off] == 'E') {
		save := *l
		l.advance('e', 1)
		if l.off < len(l.src) && (l.src[l.off] == '+' || l.src[l.off] == '-') {
			l.advance('+', 1)
		}
		if l.off >= len(l.src) || !isDigit(l.src[l.off]) {
			*l = save
			return token{}, errorAt(l.pos(), "the exponent of number %s has no digits", quote(l.src[begin:l.off+1]))
		}
		l.digits()
	}
	if r, _ := l.peekRune(); isIdentStart(r) {
		return token{}, errorAt(start, "number %s runs into a name; put a space or an operator between them", quote(l.src[begin:min(len(l.src), l.off+1)]))
	}
	return token{tNumber, l.src[begin:l.off], start}, nil
}

func (l *lexer) digits() {
	for l.off < len(l.src) && isDigit(l.src[l.off]) {
		l.advance('0', 1)
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isSpace is the BNF's whitespace production.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// isControl reports the characters the BNF keeps out of character literals:
// C0 controls other than BEL, BS and the whitespace ones.
func isControl(r rune) bool {
	return r < 0x20 && !(r >= 0x07 && r <= 0x0D)
}

// isIdentStart and isIdentPart are the BNF's identifierStart and
// identifierPart (the XML name characters).
func isIdentStart(r rune) bool {
	switch {
	case r == ':' || r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
		return true
	case r < 0xC0:
		return false
	}
	return r <= 0xD6 || r >= 0xD8 && r <= 0xF6 || r >= 0xF8 && r <= 0x2FF ||
		r >= 0x370 && r <= 0x37D || r >= 0x37F && r <= 0x1FFE || r == 0x200C || r == 0x200D ||
		r >= 0x2070 && r <= 0x218F || r >= 0x2C00 && r <= 0x2FEF || r >= 0x3001 && r <= 0xD7FF ||
		r >= 0xF900 && r <= 0xFDCF || r >= 0xFDF0 && r <= 0xFFFD || r >= 0x10000 && r <= 0xEFFFF
}

func isIdentPart(r rune) bool {
	return r == '.' || r >= '0' && r <= '9' || r >= 0x300 && r <= 0x36F || r == 0x203F || r == 0x2040
}

// checkIdentifier says what is wrong with name as a CQL2 identifier, or "".
// JSON property and function names are held to it too, so that every tree
// can be written in cql2-text.
func checkIdentifier(name string, maxLen int) string {
	if name == "" {
		return "a property name cannot be empty"
	}
	if len(name) > maxLen {
		return "the name " + quote(name) + " is longer than " + itoa(maxLen) + " bytes"
	}
	for i, r := range name {
		if r == utf8.RuneError {
			return "the name " + quote(name) + " is not valid UTF-8"
		}
		if !isIdentStart(r) && (i == 0 || !isIdentPart(r)) {
			return "the name " + quote(name) + " has a character that a CQL2 identifier cannot have: " + quote(string(r)) +
				" (a name starts with a letter, '_' or ':' and goes on with letters, digits, '_', ':' or '.')"
		}
	}
	return ""
}

func itoa(n int) string { return formatNumber(float64(n)) }
