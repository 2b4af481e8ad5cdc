package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

var tokenLine = regexp.MustCompile(`(?m)^  (admin|editor|validator|private-reader) +(atl_[a-z0-9]+) `)

// checkTokens checks that out prints one working token per role.
func checkTokens(t *testing.T, db *store.DB, out string) {
	t.Helper()
	ms := tokenLine.FindAllStringSubmatch(out, -1)
	if len(ms) != 4 {
		t.Fatalf("printed %d tokens, want one per role:\n%s", len(ms), out)
	}
	for _, m := range ms {
		tok, err := auth.NewStore(db.Write).Authenticate(context.Background(), m[2])
		if err != nil || string(tok.Role) != m[1] {
			t.Errorf("printed %s token does not authenticate as %s: %+v, %v", m[1], m[1], tok, err)
		}
	}
}

// TestServeDemoTokens: `serve --demo` (make run) prints a token per role
// when it loads the demo, and later says how to get new ones; `atlante
// demo tokens` makes them, only where the demo is.
func TestServeDemoTokens(t *testing.T) {
	url := storetest.NewURL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	logger := slog.New(slog.DiscardHandler)

	tokens := func(t *testing.T) (string, error) {
		t.Helper()
		var out bytes.Buffer
		cmd := command()
		cmd.Writer = &out
		err := cmd.Run(ctx, []string{"atlante", "--database-url", url, "--log-format", "text", "--log-level", "error", "demo", "tokens"})
		return out.String(), err
	}
	if out, err := tokens(t); err == nil || !strings.Contains(err.Error(), "no demo data") || strings.Contains(out, "atl_") {
		t.Errorf("demo tokens on an empty database = %v, printed %q; want an error and no token", err, out)
	}

	var first bytes.Buffer
	if err := loadDemo(ctx, &first, db.Write, "atlante demo tokens", logger); err != nil {
		t.Fatal(err)
	}
	checkTokens(t, db, first.String())

	var again bytes.Buffer
	if err := loadDemo(ctx, &again, db.Write, "bin/atlante demo tokens --data-dir x", logger); err != nil {
		t.Fatal(err)
	}
	if s := again.String(); strings.Contains(s, "atl_") || !strings.Contains(s, "4 exist") || !strings.Contains(s, "`bin/atlante demo tokens --data-dir x`") {
		t.Errorf("second start printed %q, want how to get new tokens and no secret", s)
	}

	out, err := tokens(t)
	if err != nil {
		t.Fatal(err)
	}
	checkTokens(t, db, out)
	// The first ones were replaced.
	for _, m := range tokenLine.FindAllStringSubmatch(first.String(), -1) {
		if _, err := auth.NewStore(db.Write).Authenticate(ctx, m[2]); err == nil {
			t.Errorf("the first %s token still works after `demo tokens`", m[1])
		}
	}
}

// TestMakeRunFlags: `make run` passes --addr and --data-dir only when
// ADDR and DATA_DIR are given, so that ATLANTE_ADDR and ATLANTE_DATA_DIR
// apply otherwise.
func TestMakeRunFlags(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make not found: %v", err)
	}
	serveLine := func(t *testing.T, env []string, vars ...string) string {
		t.Helper()
		// -n prints the recipe; the sub-make of deps-run prints only too.
		cmd := exec.Command(mk, append([]string{"-s", "-n", "-C", storetest.RepoRoot(t), "run"}, vars...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n run: %v\n%s", err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "bin/atlante serve") {
				return l
			}
		}
		t.Fatalf("make -n run prints no serve command:\n%s", out)
		return ""
	}
	if l := serveLine(t, []string{"ATLANTE_ADDR=127.0.0.1:18111", "ATLANTE_DATA_DIR=/tmp/elsewhere"}); strings.Contains(l, "--addr") || strings.Contains(l, "--data-dir") {
		t.Errorf("with ATLANTE_ADDR and ATLANTE_DATA_DIR set, make run runs %q: its flags would override them", l)
	}
	l := serveLine(t, nil, "ADDR=127.0.0.1:18111", "DATA_DIR=/tmp/elsewhere")
	if !strings.Contains(l, `--addr "127.0.0.1:18111"`) || !strings.Contains(l, `--data-dir "/tmp/elsewhere"`) || !strings.Contains(l, "--demo") {
		t.Errorf("make run ADDR=… DATA_DIR=… runs %q, want --demo --addr and --data-dir", l)
	}
}
