package civilprotection

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
)

// memberReasons are all the reasons memberValues gives.
var memberReasons = []string{
	"cannot be written",
	"unknown field; a member has role, name, phone, email",
	"is required",
	"want a string",
	"not one of " + strings.Join(CrisisRoles, ", "),
	"want a name of at most 200 characters, without control characters",
	"not a phone number: want digits, spaces, and an optional leading +, e.g. +39 0373 000000",
	"not an e-mail address: want name@domain",
}

// plaintextReason matches the messages of the shared text check
// (package plaintext): they name a code point and a position, never the
// text.
var plaintextReason = regexp.MustCompile(`^(holds the control character U\+[0-9A-F]{4,6} at character [0-9]+; write it on one line, without tabs or other control characters|holds a line separator \(U\+202[89]\) at character [0-9]+; write it on one line|not valid UTF-8 text \(byte [0-9]+\): send UTF-8)$`)

// FuzzMemberValues feeds arbitrary JSON objects to the crisis-unit
// validator: it must not panic, must accept or refuse with an Invalid
// error, and its message must never quote a value sent (personal data;
// problem details are logged).
func FuzzMemberValues(f *testing.F) {
	for _, s := range []string{
		`{"role":"sindaco","name":"Mario Rossi","phone":"+39 0373 000000","email":"mario@example.invalid"}`,
		`{"role":"capo","name":"Mario Rossi"}`,
		`{"role":"sindaco","name":"Mario Rossi","email":"Mario Rossi <mario@example.invalid>"}`,
		`{"role":"sindaco","name":"Mario Rossi","phone":"chiamare Mario"}`,
		`{"name":"\u007f"}`, `{"name":"a\u2028b"}`, `{"name":null}`, `{"phone":null,"email":""}`, `{"Mario Rossi":"x"}`, `{"name":["Mario"]}`, `{}`,
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, body string, full bool) {
		var in map[string]any
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		vals, err := memberValues(in, full)
		if err == nil {
			if full && (vals["role"] == nil || vals["name"] == nil) {
				t.Fatalf("memberValues(%s, full) accepted a member without role or name", body)
			}
			return
		}
		if k := apperr.KindOf(err); k != apperr.Invalid {
			t.Fatalf("memberValues(%s) = %v, want an Invalid error", body, k)
		}
		// Every message is "field: reason" with a field name (a key of the
		// input, or "field") and a reason from a fixed list: no value can
		// be in it.
		field, reason, _ := strings.Cut(apperr.Message(err), ": ")
		if _, sent := in[field]; !sent && field != "field" && !slices.Contains(memberFields, field) {
			t.Fatalf("memberValues(%s): message names field %q", body, field)
		}
		if !slices.Contains(memberReasons, reason) && !plaintextReason.MatchString(reason) {
			t.Fatalf("memberValues(%s): reason %q is not one of the fixed reasons", body, reason)
		}
	})
}
