package viewer

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The translation table (static/js/messages.js) must hold every text the
// page shows, in Italian and English. These tests read the table as the
// JSON it is after `messages =`, and the modules with a small JavaScript
// lexer: every key the code asks for must exist, and no text may reach
// the page without going through the table.

// message is one entry of the table: a string per language, or plural
// forms ({"one": …, "other": …}).
type message map[string]json.RawMessage

func loadMessages(t testing.TB) map[string]message {
	t.Helper()
	src, err := fs.ReadFile(static, "static/js/messages.js")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	const marker = "export const messages = "
	i := strings.Index(s, marker)
	j := strings.LastIndex(s, "};")
	if i < 0 || j < i {
		t.Fatalf("messages.js: no %q … \"};\"", marker)
	}
	var m map[string]message
	if err := json.Unmarshal([]byte(s[i+len(marker):j+1]), &m); err != nil {
		t.Fatalf("messages.js must stay JSON after %q: %v", marker, err)
	}
	return m
}

// forms returns the texts of a language of an entry: one string, or its plural forms.
func forms(raw json.RawMessage) (map[string]string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return map[string]string{"": s}, nil
	}
	var p map[string]string
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("neither a string nor plural forms: %s", raw)
	}
	if _, ok := p["other"]; !ok {
		return nil, fmt.Errorf("plural forms without \"other\": %s", raw)
	}
	return p, nil
}

var placeholder = regexp.MustCompile(`\{(\w+)\}`)

func placeholders(texts map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, s := range texts {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			out[m[1]] = true
		}
	}
	return out
}

func TestMessagesComplete(t *testing.T) {
	msgs := loadMessages(t)
	if len(msgs) < 100 {
		t.Fatalf("messages.js has %d entries; the page needs hundreds", len(msgs))
	}
	for _, key := range slices.Sorted(maps.Keys(msgs)) {
		e := msgs[key]
		if len(e) != 2 || e["it"] == nil || e["en"] == nil {
			t.Errorf("%s: want exactly it and en, have %v", key, slices.Sorted(maps.Keys(e)))
			continue
		}
		it, err := forms(e["it"])
		if err != nil {
			t.Errorf("%s (it): %v", key, err)
			continue
		}
		en, err := forms(e["en"])
		if err != nil {
			t.Errorf("%s (en): %v", key, err)
			continue
		}
		if (len(it) == 1 && it[""] != "") != (len(en) == 1 && en[""] != "") && (it[""] != "" || en[""] != "") {
			t.Errorf("%s: one language has plural forms, the other not", key)
		}
		for lang, texts := range map[string]map[string]string{"it": it, "en": en} {
			for form, s := range texts {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s (%s %s): empty", key, lang, form)
				}
			}
		}
		if a, b := placeholders(it), placeholders(en); !maps.Equal(a, b) {
			t.Errorf("%s: placeholders it %v, en %v", key, slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b)))
		}
	}
}

// computedKeys are the modules that may ask for keys they compute: the
// table's own functions, and the names of the catalog's layers and
// properties (checked in the browser for every layer of the catalog, see
// internal/e2e).
var computedKeys = map[string]bool{"js/i18n.js": true, "js/properties.js": true}

// TestKeysExist checks that every key the modules and the page ask for is
// in the table, and that every key made at run time (a template such as
// `cp.hazard.${k}`) has entries under its prefix.
func TestKeysExist(t *testing.T) {
	msgs := loadMessages(t)
	mods := loadModules(t)
	for _, mod := range slices.Sorted(maps.Keys(mods)) {
		for _, c := range calls(mods[mod], func(name string) bool { return name == "t" || name == "tc" || name == "tx" }) {
			if len(c.args) == 0 {
				continue
			}
			found := false
			for _, tk := range topLiterals(c.args[0]) {
				switch tk.kind {
				case tokString:
					found = true
					if _, ok := msgs[tk.text]; !ok {
						t.Errorf("%s:%d: %s(%q): no such key in messages.js", mod, tk.line, c.name, tk.text)
					}
				case tokTemplate:
					found = true
					prefix := tk.parts[0]
					if !slices.ContainsFunc(slices.Collect(maps.Keys(msgs)), func(k string) bool { return strings.HasPrefix(k, prefix) && k != prefix }) {
						t.Errorf("%s:%d: %s(`%s…`): no key in messages.js starts with %q", mod, tk.line, c.name, prefix, prefix)
					}
				}
			}
			if !found && !computedKeys[mod] {
				t.Errorf("%s:%d: %s() with a key that is not written out: name it with a literal", mod, c.line, c.name)
			}
		}
	}
	page := pageHTML(t)
	for _, m := range regexp.MustCompile(`data-i18n="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if _, ok := msgs[m[1]]; !ok {
			t.Errorf("index.html: data-i18n=%q: no such key", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`data-i18n-attr="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		for _, pair := range strings.Fields(m[1]) {
			_, key, ok := strings.Cut(pair, ":")
			if _, found := msgs[key]; !ok || !found {
				t.Errorf("index.html: data-i18n-attr %q: want attr:key with a key of messages.js", pair)
			}
		}
	}
}

// uiSinks are the functions whose arguments become text on the page, and
// which arguments (0-based; -1 for all).
var uiSinks = map[string][]int{
	"el": {2}, "button": {1}, "badge": {0}, "row": {1, 2}, "legend": {0}, "legendItem": {2},
	"categoryLegend": {0}, "legendNote": {-1}, "barChart": {0}, "problemBox": {0, 1}, "say": {-1},
	"showStatus": {-1}, "append": {-1}, "prepend": {-1}, "after": {-1}, "before": {-1},
	"replaceChildren": {-1}, "replaceWith": {-1}, "Option": {0}, "alert": {-1}, "confirm": {-1},
}

// textProperties are DOM properties and object members whose value is shown.
var textProperties = map[string]bool{
	"textContent": true, "innerText": true, "innerHTML": true, "title": true, "placeholder": true,
	"ariaLabel": true, "loading": true, "failure": true, "label": true, "heading": true, "message": true,
}

var textAttributes = map[string]bool{"title": true, "aria-label": true, "placeholder": true, "alt": true, "aria-description": true}

// hasWords reports whether a literal holds letters: words a person reads.
func hasWords(s string) bool {
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}

// TestNoTextOutsideTheTable fails on text written in the modules that the
// page would show without translation: a literal with letters passed to
// el(), append(), a legend, textContent, and the like.
func TestNoTextOutsideTheTable(t *testing.T) {
	mods := loadModules(t)
	for _, mod := range slices.Sorted(maps.Keys(mods)) {
		if mod == "js/messages.js" {
			continue
		}
		toks := mods[mod]
		report := func(tk token, where string) {
			text := tk.text
			if tk.kind == tokTemplate {
				text = strings.Join(tk.parts, "…")
			}
			if hasWords(text) {
				t.Errorf("%s:%d: %q is shown by %s without the translation table: use t('key') (messages.js)", mod, tk.line, text, where)
			}
		}
		for _, c := range calls(toks, func(name string) bool { return uiSinks[name] != nil || name == "setAttribute" }) {
			if c.name == "setAttribute" {
				if len(c.args) == 2 && len(c.args[0]) == 1 && c.args[0][0].kind == tokString && textAttributes[c.args[0][0].text] {
					for _, tk := range topLiterals(c.args[1]) {
						report(tk, "setAttribute("+c.args[0][0].text+")")
					}
				}
				continue
			}
			for _, i := range uiSinks[c.name] {
				for j, arg := range c.args {
					if i == -1 || i == j {
						for _, tk := range topLiterals(arg) {
							report(tk, c.name+"()")
						}
					}
				}
			}
		}
		// x.textContent = '…', {title: '…'}
		for i := 0; i+2 < len(toks); i++ {
			if toks[i].kind != tokIdent || !textProperties[toks[i].text] {
				continue
			}
			op := toks[i+1]
			member := i > 0 && toks[i-1].text == "."
			if (member && op.text == "=") || (!member && op.text == ":" && i > 0 && (toks[i-1].text == "{" || toks[i-1].text == ",")) {
				end := i + 2
				for end < len(toks) && !slices.Contains([]string{";", ",", "}", ")"}, toks[end].text) {
					end++
				}
				for _, tk := range topLiterals(toks[i+2 : end]) {
					report(tk, toks[i].text)
				}
			}
		}
	}
}

// TestPageTextTranslated fails on text written in index.html outside the
// table: every visible text and every shown attribute comes from data-i18n.
func TestPageTextTranslated(t *testing.T) {
	page := pageHTML(t)
	body := regexp.MustCompile(`(?s)<noscript>.*?</noscript>|<title[^>]*>.*?</title>|<script[^>]*>.*?</script>`).ReplaceAllString(page, "")
	allowed := map[string]bool{"Atlante": true, "×": true}
	for _, m := range regexp.MustCompile(`>([^<]+)<`).FindAllStringSubmatch(body, -1) {
		if s := strings.TrimSpace(m[1]); s != "" && !allowed[s] {
			t.Errorf("index.html shows %q without the translation table: use data-i18n", s)
		}
	}
	for _, m := range regexp.MustCompile(`\s(title|aria-label|placeholder|alt)="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		t.Errorf("index.html: %s=%q: use data-i18n-attr", m[1], m[2])
	}
	if !strings.Contains(page, `<html lang="it">`) {
		t.Error(`index.html: want <html lang="it">: the page is Italian first`)
	}
}

func pageHTML(t testing.TB) string {
	t.Helper()
	b, err := fs.ReadFile(static, "static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadModules(t testing.TB) map[string][]token {
	t.Helper()
	sub, err := fs.Sub(static, "static")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(sub, "js/*.js")
	if err != nil || len(names) == 0 {
		t.Fatalf("no modules in static/js (%v)", err)
	}
	out := map[string][]token{}
	for _, name := range names {
		src, err := fs.ReadFile(sub, name)
		if err != nil {
			t.Fatal(err)
		}
		toks, err := lexJS(string(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = toks
	}
	return out
}

// A tiny JavaScript lexer: enough to find calls, their arguments and the
// string and template literals in them. Comments are dropped; a template's
// expressions are lexed into sub-token lists.

type tokKind int

const (
	tokIdent tokKind = iota
	tokString
	tokTemplate
	tokNumber
	tokRegexp
	tokPunct
)

type token struct {
	kind  tokKind
	text  string    // identifier, punctuation, or a string's value
	parts []string  // a template's static parts
	exprs [][]token // a template's expressions
	line  int
}

var puncts = []string{">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "?.", "??", "&&", "||", "=>", "==", "!=",
	"<=", ">=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "++", "--", "<<", ">>", "**"}

var regexpAfter = map[string]bool{"return": true, "typeof": true, "case": true, "do": true, "else": true, "in": true,
	"of": true, "new": true, "delete": true, "void": true, "throw": true}

func lexJS(src string) ([]token, error) {
	l := &lexer{src: []rune(src), line: 1}
	toks, err := l.run(false)
	return toks, err
}

type lexer struct {
	src  []rune
	pos  int
	line int
}

func (l *lexer) peek(off int) rune {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

// run lexes until the end, or (inTemplate) until the "}" closing a ${…}.
func (l *lexer) run(inTemplate bool) ([]token, error) {
	var toks []token
	depth := 0
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case unicode.IsSpace(c):
			l.pos++
		case c == '/' && l.peek(1) == '/':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case c == '/' && l.peek(1) == '*':
			end := -1
			for k := l.pos + 2; k+1 < len(l.src); k++ {
				if l.src[k] == '*' && l.src[k+1] == '/' {
					end = k + 2
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("line %d: unclosed comment", l.line)
			}
			l.line += strings.Count(string(l.src[l.pos:end]), "\n")
			l.pos = end
		case c == '\'' || c == '"':
			s, err := l.quoted(c)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: s, line: l.line})
		case c == '`':
			tk, err := l.template()
			if err != nil {
				return nil, err
			}
			toks = append(toks, tk)
		case c == '/' && regexpAllowed(toks):
			if err := l.regexp(); err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokRegexp, line: l.line})
		case unicode.IsLetter(c) || c == '_' || c == '$':
			start := l.pos
			for l.pos < len(l.src) && (unicode.IsLetter(l.src[l.pos]) || unicode.IsDigit(l.src[l.pos]) || l.src[l.pos] == '_' || l.src[l.pos] == '$') {
				l.pos++
			}
			toks = append(toks, token{kind: tokIdent, text: string(l.src[start:l.pos]), line: l.line})
		case unicode.IsDigit(c) || (c == '.' && unicode.IsDigit(l.peek(1))):
			start := l.pos
			for l.pos < len(l.src) && (unicode.IsDigit(l.src[l.pos]) || unicode.IsLetter(l.src[l.pos]) || l.src[l.pos] == '.' || l.src[l.pos] == '_') {
				l.pos++
			}
			toks = append(toks, token{kind: tokNumber, text: string(l.src[start:l.pos]), line: l.line})
		default:
			if inTemplate && c == '}' && depth == 0 {
				l.pos++
				return toks, nil
			}
			if c == '{' {
				depth++
			} else if c == '}' {
				depth--
			}
			p := string(c)
			for _, op := range puncts {
				if strings.HasPrefix(string(l.src[l.pos:min(l.pos+4, len(l.src))]), op) {
					p = op
					break
				}
			}
			l.pos += len([]rune(p))
			toks = append(toks, token{kind: tokPunct, text: p, line: l.line})
		}
	}
	if inTemplate {
		return nil, fmt.Errorf("line %d: unclosed ${ in a template", l.line)
	}
	return toks, nil
}

func regexpAllowed(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	last := toks[len(toks)-1]
	switch last.kind {
	case tokPunct:
		return last.text != ")" && last.text != "]" && last.text != "}"
	case tokIdent:
		return regexpAfter[last.text]
	}
	return false
}

func (l *lexer) quoted(q rune) (string, error) {
	var b strings.Builder
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\\':
			l.pos++
			if l.pos < len(l.src) {
				b.WriteRune(l.src[l.pos])
			}
		case c == q:
			l.pos++
			return b.String(), nil
		case c == '\n':
			return "", fmt.Errorf("line %d: unclosed string", l.line)
		default:
			b.WriteRune(c)
		}
		l.pos++
	}
	return "", fmt.Errorf("line %d: unclosed string", l.line)
}

func (l *lexer) template() (token, error) {
	tk := token{kind: tokTemplate, line: l.line}
	var b strings.Builder
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\\':
			l.pos++
			if l.pos < len(l.src) {
				b.WriteRune(l.src[l.pos])
			}
			l.pos++
		case c == '`':
			l.pos++
			tk.parts = append(tk.parts, b.String())
			return tk, nil
		case c == '$' && l.peek(1) == '{':
			tk.parts = append(tk.parts, b.String())
			b.Reset()
			l.pos += 2
			expr, err := l.run(true)
			if err != nil {
				return tk, err
			}
			tk.exprs = append(tk.exprs, expr)
		default:
			if c == '\n' {
				l.line++
			}
			b.WriteRune(c)
			l.pos++
		}
	}
	return tk, fmt.Errorf("line %d: unclosed template", tk.line)
}

func (l *lexer) regexp() error {
	l.pos++
	inClass := false
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\\':
			l.pos++
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '/' && !inClass:
			l.pos++
			for l.pos < len(l.src) && unicode.IsLetter(l.src[l.pos]) {
				l.pos++
			}
			return nil
		case c == '\n':
			return fmt.Errorf("line %d: unclosed regular expression", l.line)
		}
		l.pos++
	}
	return fmt.Errorf("line %d: unclosed regular expression", l.line)
}

// call is a call found in the tokens: the name called (an identifier or
// the last member of a member expression) and its arguments.
type call struct {
	name string
	args [][]token
	line int
}

// calls finds the calls to names that want reports true, in toks and in
// the expressions of its templates.
func calls(toks []token, want func(string) bool) []call {
	var out []call
	for i, tk := range toks {
		if tk.kind == tokTemplate {
			for _, e := range tk.exprs {
				out = append(out, calls(e, want)...)
			}
		}
		if tk.kind != tokIdent || i+1 >= len(toks) || toks[i+1].text != "(" || !want(tk.text) {
			continue
		}
		c := call{name: tk.text, line: tk.line}
		depth := 0
		var arg []token
		for j := i + 2; j < len(toks); j++ {
			x := toks[j]
			if x.kind == tokPunct {
				switch x.text {
				case "(", "[", "{":
					depth++
				case ")", "]", "}":
					if depth == 0 {
						if len(arg) > 0 {
							c.args = append(c.args, arg)
						}
						j = len(toks)
						continue
					}
					depth--
				case ",":
					if depth == 0 {
						c.args = append(c.args, arg)
						arg = nil
						continue
					}
				}
			}
			arg = append(arg, x)
		}
		out = append(out, c)
	}
	return out
}

// topLiterals returns the string and template literals of an argument that
// are not inside a nested call, array or object: what the argument itself
// may evaluate to (a literal, a ternary's branches, a fallback after ??).
func topLiterals(arg []token) []token {
	var out []token
	depth := 0
	for _, tk := range arg {
		if tk.kind == tokPunct {
			switch tk.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			}
			continue
		}
		if depth == 0 && (tk.kind == tokString || tk.kind == tokTemplate) {
			out = append(out, tk)
		}
	}
	return out
}

// walk calls f on every token of toks, including inside templates.
func walk(toks []token, f func(token)) {
	for _, tk := range toks {
		f(tk)
		for _, e := range tk.exprs {
			walk(e, f)
		}
	}
}

func TestLexJS(t *testing.T) {
	toks, err := lexJS("const a = el('p', 'x', `A ${t('k.a', { n: 1 })} b`); // c\n/* d */ x.textContent = /re[/]/g.test(s) ? 'y' : \"z\";")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	walk(toks, func(tk token) {
		switch tk.kind {
		case tokString:
			got = append(got, "s:"+tk.text)
		case tokTemplate:
			got = append(got, "t:"+strings.Join(tk.parts, "|"))
		case tokRegexp:
			got = append(got, "re")
		}
	})
	want := []string{"s:p", "s:x", "t:A | b", "s:k.a", "re", "s:y", "s:z"}
	if !slices.Equal(got, want) {
		t.Errorf("lexJS literals = %q, want %q", got, want)
	}
	cs := calls(toks, func(n string) bool { return n == "el" || n == "t" })
	if len(cs) != 2 || cs[0].name != "el" || len(cs[0].args) != 3 || cs[1].name != "t" || len(cs[1].args) != 2 {
		t.Errorf("calls = %+v, want el with 3 arguments and t with 2", cs)
	}
}
