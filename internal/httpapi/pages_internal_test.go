package httpapi

import (
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestPageMessages checks the translation table: both languages have the
// same keys, and every key the templates and the page code use.
func TestPageMessages(t *testing.T) {
	it, en := slices.Sorted(maps.Keys(pageMessages["it"])), slices.Sorted(maps.Keys(pageMessages["en"]))
	if !slices.Equal(it, en) {
		t.Errorf("the languages have different keys:\nit %v\nen %v", it, en)
	}
	used := map[string]bool{}
	use := regexp.MustCompile(`\.Tf? "([a-zA-Z.]+)"|\.Tf?\("([a-zA-Z.]+)"`)
	collect := func(name string, b []byte) {
		for _, m := range use.FindAllSubmatch(b, -1) {
			used[string(m[1])+string(m[2])] = true
		}
	}
	err := fs.WalkDir(htmlFiles, "html/templates", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(htmlFiles, name)
		collect(name, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := filepath.Glob("pages*.go")
	for _, name := range code {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		collect(name, b)
	}
	if len(used) < 30 {
		t.Fatalf("found only %d keys in use; is the pattern right?", len(used))
	}
	for key := range used {
		for lang, msgs := range pageMessages {
			if _, ok := msgs[key]; !ok {
				t.Errorf("key %q has no %s text", key, lang)
			}
		}
	}
}

// TestWantsHTML checks the choice between a page and JSON by Accept.
func TestWantsHTML(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"*/*", false},
		{"application/json", false},
		{"application/geo+json, application/json", false},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
		{"text/html", true},
		{"text/*", true},
		{"text/html;q=0", false},
		{"text/html;q=0.5, application/json", false},
		{"application/json;q=0.5, text/html", true},
		{"text/html, application/json", false}, // a tie is JSON
		{"text/html, */*;q=0.1", true},
		{"TEXT/HTML", true},
		{"garbage, text/html", true},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		if tt.accept != "" {
			r.Header.Set("Accept", tt.accept)
		}
		if got := wantsHTML(r); got != tt.want {
			t.Errorf("wantsHTML(Accept: %q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

// TestPageLang checks the language of the pages by Accept-Language.
func TestPageLang(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "it"},
		{"it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7", "it"},
		{"en-US,en;q=0.9", "en"},
		{"en-GB,en;q=0.9,it;q=0.8", "en"},
		{"de-DE,de;q=0.9", "it"},
		{"de-DE,en;q=0.5", "en"},
		{"fr, it;q=0.4, en;q=0.3", "it"},
		{"*", "it"},
		{"not a language;;", "it"},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Language", tt.header)
		if got := pageLang(r); got != tt.want {
			t.Errorf("pageLang(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// TestFormatTag checks that a page's tag differs from its data's.
func TestFormatTag(t *testing.T) {
	tests := []struct {
		tag  string
		f    format
		lang string
		want string
	}{
		{`W/"a-1"`, formatJSON, "", `W/"a-1"`},
		{`W/"a-1"`, formatHTML, "it", `W/"a-1-html-it-b0"`},
		{`"7"`, formatHTML, "en", `W/"7-html-en-b0"`},
		{"", formatHTML, "it", ""},
	}
	for _, tt := range tests {
		if got := formatTag(tt.tag, tt.f, tt.lang, "b0"); got != tt.want {
			t.Errorf("formatTag(%q, %v, %q, b0) = %q, want %q", tt.tag, tt.f, tt.lang, got, tt.want)
		}
	}
}

// FuzzWantsHTML: any Accept and Accept-Language give an answer without
// panicking; without text/html, text/* or */* in Accept the answer is JSON.
func FuzzWantsHTML(f *testing.F) {
	for _, s := range []string{"", "*/*", "text/html;q=0.5, application/json", "text/html,*/*;q=0.8", "a/b;q=x", ";;,/,*", "en-GB,en;q=0.9"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, accept, lang string) {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept", accept)
		r.Header.Set("Accept-Language", lang)
		got := wantsHTML(r)
		low := strings.ToLower(accept)
		if got && !strings.Contains(low, "html") && !strings.Contains(low, "text/*") && !strings.Contains(low, "*/*") {
			t.Errorf("wantsHTML(%q) = true without text/html in it", accept)
		}
		if l := pageLang(r); l != "it" && l != "en" {
			t.Errorf("pageLang(%q) = %q", lang, l)
		}
	})
}
