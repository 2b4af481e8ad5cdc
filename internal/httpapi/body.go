package httpapi

import (
	"bytes"
	"encoding/json"
	"regexp"
	"unicode/utf8"

	"github.com/cremasco/atlante/internal/apperr"
)

// memberName is a member name plain enough to be quoted back.
var memberName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

// checkNoDuplicates refuses a JSON body in which an object has the same
// member twice: encoding/json keeps the last one silently, while a proxy
// or another parser may keep the first, so the body would mean different
// things to different readers (RFC 8259 §4: names SHOULD be unique).
func checkNoDuplicates(body []byte) error {
	if !json.Valid(body) {
		return apperr.New("httpapi.body", apperr.Invalid, "the body is not JSON")
	}
	if name, dup := duplicateMember(body); dup {
		field := "body"
		if memberName.MatchString(name) {
			field = name
		}
		return apperr.Invalidf("httpapi.body", field, "given twice in one JSON object: send each member once")
	}
	return nil
}

// duplicateMember returns the first member name that an object of the
// valid JSON text b has twice. One pass over the bytes, whatever the
// nesting: only object keys are decoded (and only those with escapes or
// invalid UTF-8 by encoding/json), so arrays of coordinates cost a byte
// scan.
func duplicateMember(b []byte) (string, bool) {
	type object struct {
		keys      map[string]bool
		expectKey bool
	}
	var stack []*object // nil entries are arrays
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{':
			stack = append(stack, &object{keys: map[string]bool{}, expectKey: true})
		case '[':
			stack = append(stack, nil)
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if top := stack[len(stack)-1]; top != nil {
				top.expectKey = true
			}
		case '"':
			j, escaped := i+1, false
			for ; b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
					escaped = true
				}
			}
			if len(stack) > 0 {
				if top := stack[len(stack)-1]; top != nil && top.expectKey {
					key := string(b[i+1 : j])
					if escaped || !utf8.ValidString(key) {
						// As encoding/json reads it: escapes resolved,
						// invalid UTF-8 replaced by U+FFFD.
						_ = json.Unmarshal(b[i:j+1], &key) // valid JSON: cannot fail
					}
					if top.keys[key] {
						return key, true
					}
					top.keys[key] = true
					top.expectKey = false
				}
			}
			i = j
		}
	}
	return "", false
}

// trimmedObject returns the body without surrounding space when it is a
// JSON object.
func trimmedObject(body []byte) ([]byte, bool) {
	t := bytes.TrimSpace(body)
	return t, len(t) > 0 && t[0] == '{'
}
