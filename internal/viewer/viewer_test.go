package viewer

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	// References of the page to its files, which the server serves under /viewer/.
	pageRef = regexp.MustCompile(`(?:src|href)="/viewer/([^"]+)"`)
	// Static imports of the ES modules.
	importRef = regexp.MustCompile(`(?m)^import [^;]* from '([^']+)';`)
)

// TestReferencesResolve checks that every file the page and its modules
// load is embedded, so the map works offline from the binary alone.
func TestReferencesResolve(t *testing.T) {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		t.Fatal(err)
	}
	page, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{} // file -> who refers to it
	for _, m := range pageRef.FindAllStringSubmatch(string(page), -1) {
		refs[m[1]] = "index.html"
	}
	modules, err := fs.Glob(sub, "js/*.js")
	if err != nil {
		t.Fatal(err)
	}
	if len(modules) == 0 {
		t.Fatal("no modules in static/js")
	}
	for _, mod := range modules {
		src, err := fs.ReadFile(sub, mod)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range importRef.FindAllStringSubmatch(string(src), -1) {
			if !strings.HasPrefix(m[1], "./") {
				t.Errorf("%s imports %q: want a relative path (no bundler, no CDN)", mod, m[1])
				continue
			}
			refs[path.Join(path.Dir(mod), m[1])] = mod
		}
	}
	for file, from := range refs {
		if _, err := fs.Stat(sub, file); err != nil {
			hint := ""
			if strings.HasPrefix(file, "vendor/") {
				hint = " (MapLibre GL JS is copied there by make viewer)"
			}
			t.Errorf("%s loads %s, which is not embedded%s", from, file, hint)
		}
	}
}

func TestHandlerRevalidates(t *testing.T) {
	srv := httptest.NewServer(Handler(nil))
	defer srv.Close()
	for _, p := range []string{"/", "/js/main.js"} {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("GET %s: no ETag", p)
		}
		req, err := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("If-None-Match", etag)
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %s = %s, want 304", p, etag, res.Status)
		}
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(nil))
	defer srv.Close()
	tests := []struct {
		path, wantType, wantBody string
	}{
		{"/", "text/html", `<html lang="it">`},
		{"/js/main.js", "text/javascript", "window.atlanteMap"},
		{"/app.css", "text/css", ".panel"},
		{"/favicon.svg", "image/svg+xml", "<svg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %s, want 200", tt.path, res.Status)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("GET %s: Content-Type = %q, want %s", tt.path, ct, tt.wantType)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("GET %s: body does not contain %q", tt.path, tt.wantBody)
			}
		})
	}
}
