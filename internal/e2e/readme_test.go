package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/testserver"
)

var (
	// A fenced shell block of the README.
	readmeBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")
	// A request shown in the README's tables: `GET /path?query`.
	readmeGET = regexp.MustCompile("`GET (/[^`]*)`")
	// The line that stands for the reader's token.
	readmeToken = regexp.MustCompile(`(?m)^T=atl_….*$`)
)

// TestReadmeExamples runs the README's examples against a server over a
// fresh demo, as a reader would after `make run`: every shell block that
// uses curl (with the editor token of Crema the demo prints as $T, and
// curl failing on any HTTP error), and every `GET /…` of its tables that
// names no placeholder ({id}, minLon, …).
func TestReadmeExamples(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash not found: %v", err)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl not found (%v): the README's examples use it; run `make test`, which installs it", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := testserver.Start(t, testserver.Options{})
	toks, err := demo.CreateTokens(context.Background(), s.DB.Write)
	if err != nil {
		t.Fatal(err)
	}
	var editor string
	for _, tk := range toks {
		if tk.Role == auth.Editor {
			editor = tk.Secret
		}
	}
	host := strings.TrimPrefix(s.URL, "http://")

	blocks := 0
	for _, m := range readmeBlock.FindAllStringSubmatch(string(readme), -1) {
		block := m[1]
		if !strings.Contains(block, "curl ") {
			continue
		}
		blocks++
		script := "set -euo pipefail\n" +
			// localhost:8080 is the server under test; an HTTP error fails the block.
			"curl() { command curl --fail-with-body --max-time 30 \"${@//localhost:8080/" + host + "}\"; }\n" +
			"ogr2ogr() { command ogr2ogr \"${@//localhost:8080/" + host + "}\"; }\n" +
			"T=" + editor + "\n" +
			readmeToken.ReplaceAllString(block, "")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, bash, "-c", script)
		cmd.Dir = t.TempDir() // files the examples write (ogr2ogr's GeoPackage) stay out of the tree
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("README example failed (%v):\n%s\noutput:\n%s", err, block, out)
		}
	}
	if blocks < 3 {
		t.Errorf("found %d shell blocks with curl in README.md, want the editing, crisis-unit and energy examples", blocks)
	}

	gets := 0
	for _, m := range readmeGET.FindAllStringSubmatch(string(readme), -1) {
		path := m[1]
		if strings.ContainsAny(path, "{[…") || strings.Contains(path, "minLon") || strings.HasSuffix(path, "=") || strings.Contains(path, "=&") {
			continue // a template, not an example
		}
		gets++
		u, err := url.Parse(s.URL + path)
		if err != nil {
			t.Errorf("README: %s: %v", path, err)
			continue
		}
		u.RawQuery = u.Query().Encode() // the reader's browser or curl encodes the spaces
		res, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("README: GET %s = %d, want 200", path, res.StatusCode)
		}
	}
	if gets < 4 {
		t.Errorf("found %d runnable GET examples in README.md, want the coverage ones at least", gets)
	}
}
