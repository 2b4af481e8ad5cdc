package plaintext_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/cremasco/atlante/internal/plaintext"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		s    string
		form plaintext.Form
		max  int
		want string // in the error; "" for none
	}{
		{"plain", "Palestra comunale", plaintext.Line, 200, ""},
		{"accents and apostrophes", "Rivolta d'Adda – Scuola «Città»", plaintext.Line, 200, ""},
		{"empty", "", plaintext.Line, 10, ""},
		{"NUL", "a\x00b", plaintext.Line, 0, "U+0000 at character 2"},
		{"NUL in a block", "a\x00b", plaintext.Block, 0, "U+0000 at character 2; only tab, line feed"},
		{"tab in a line", "a\tb", plaintext.Line, 0, "U+0009"},
		{"line feed in a line", "a\nb", plaintext.Line, 0, "U+000A"},
		{"lines in a block", "prima riga\r\nseconda\triga", plaintext.Block, 0, ""},
		{"escape", "a\x1b[31mb", plaintext.Block, 0, "U+001B"},
		{"DEL", "a\x7fb", plaintext.Line, 0, "U+007F"},
		{"C1 control", "a\u0085b", plaintext.Block, 0, "U+0085"},
		{"invalid UTF-8", "caf\xe9", plaintext.Line, 0, "not valid UTF-8 text (byte 4)"},
		{"truncated UTF-8", "caff\xc3", plaintext.Block, 0, "not valid UTF-8"},
		{"a real U+FFFD is text", "a\uFFFDb", plaintext.Line, 0, ""},
		{"line separator in a line", "a\u2028b", plaintext.Line, 0, "line separator (U+2028) at character 2"},
		{"paragraph separator in a block", "a\u2029b", plaintext.Block, 0, ""},
		{"exactly max characters", "àèìòù", plaintext.Line, 5, ""},
		{"longer than max", "àèìòùx", plaintext.Line, 5, "longer than 5 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := plaintext.Check(tt.s, tt.form, tt.max)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check(%q) = %v, want nil", tt.s, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Check(%q) = %v, want an error containing %q", tt.s, err, tt.want)
			}
		})
	}
}

// FuzzCheck: Check accepts exactly the valid UTF-8 strings without control
// characters (but tab, line feed, carriage return in a block), and its
// error never quotes the text.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "Crema", "a\x00b", "a\nb", "caf\xe9", "\u2028", "\x1b[2J", "Referente Demo 019035-1"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, block bool) {
		form := plaintext.Line
		if block {
			form = plaintext.Block
		}
		err := plaintext.Check(s, form, 0)
		ok := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			if !block && (r == '\u2028' || r == '\u2029') {
				return true
			}
			return unicode.IsControl(r) && !(block && (r == '\t' || r == '\n' || r == '\r'))
		})
		if ok != (err == nil) {
			t.Fatalf("Check(%q, block %v) = %v, want ok %v", s, block, err, ok)
		}
		if err != nil && len(s) >= 4 && strings.Contains(err.Error(), s) {
			t.Fatalf("Check(%q) quotes the text: %v", s, err)
		}
	})
}
