// Package plaintext is the one rule for text that a client writes into
// Atlante: feature properties (OGC API – Features Part 4), crisis-unit
// members, energy communities and sites, the reason of a plan transition,
// and the text fields of imported files. Text must be valid UTF-8 without
// control characters; only fields that may span lines (descriptions,
// reasons) may hold a tab, a line feed or a carriage return. PostgreSQL
// refuses a NUL byte and invalid UTF-8 with an error that would reach the
// client as a 500, and the other control characters have no place in a
// name or a title and can garble the map, CSV exports and logs.
//
// It is its own small package, not a helper of one domain, because every
// write path checks its text with it, and those paths (features,
// civilprotection, energy, their importers) must not import each other.
package plaintext

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Form says which whitespace a field may hold besides the space.
type Form int

// The forms of text.
const (
	// Line is one line: a name, a title, a code. No control characters,
	// nor the Unicode line and paragraph separators (U+2028, U+2029).
	Line Form = iota
	// Block may span lines: a description, a reason. Tab, line feed and
	// carriage return are allowed; other control characters are not.
	Block
)

// Check returns nil when s is acceptable text of the form with at most max
// characters (max <= 0: no limit), or an error that says what to fix. The
// error never quotes s, which may be personal data; it names the offending
// character by its code point and position.
func Check(s string, form Form, max int) error {
	n := 0
	for i, r := range s {
		n++
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return fmt.Errorf("not valid UTF-8 text (byte %d): send UTF-8", i+1)
			}
		}
		if form == Line && (r == '\u2028' || r == '\u2029') {
			return fmt.Errorf("holds a line separator (U+%04X) at character %d; write it on one line", r, n)
		}
		if unicode.IsControl(r) {
			if form == Block && (r == '\t' || r == '\n' || r == '\r') {
				continue
			}
			if form == Block {
				return fmt.Errorf("holds the control character U+%04X at character %d; only tab, line feed and carriage return are allowed", r, n)
			}
			return fmt.Errorf("holds the control character U+%04X at character %d; write it on one line, without tabs or other control characters", r, n)
		}
	}
	if max > 0 && n > max {
		return fmt.Errorf("longer than %d characters", max)
	}
	return nil
}
