package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/localpg"
	"github.com/cremasco/atlante/internal/store"
)

// The helpers of the tests that run several `serve` processes (in this
// test binary, through run, as main runs them) over one database, a
// streaming replica or PgBouncer.

// reachableTempDir returns a fresh directory the postgres user can reach
// (t.TempDir's parent has mode 0700).
func reachableTempDir(t testing.TB) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(filepath.Dir(d), 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// instance is one `atlante serve` running in this process.
type instance struct {
	name   string
	addr   string
	base   string
	args   []string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// startServe runs `atlante GLOBALS serve --addr ADDR SERVEARGS` until the
// test ends, and waits until /readyz answers 200. addr "" picks a port.
func startServe(t testing.TB, name, addr string, globals, serveArgs []string) *instance {
	t.Helper()
	if addr == "" {
		addr = freeAddr(t)
	}
	args := append([]string{"atlante", "--log-format", "text", "--log-level", "warn"}, globals...)
	args = append(args, "serve", "--addr", addr)
	args = append(args, serveArgs...)
	in := &instance{name: name, addr: addr, base: "http://" + addr, args: args}
	in.start(t)
	t.Cleanup(func() { in.stop(t) })
	return in
}

func (in *instance) start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel, in.done, in.err = cancel, make(chan struct{}), nil
	go func() {
		defer close(in.done)
		in.err = run(ctx, in.args)
	}()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if st, _, _ := httpDo(in.base+"/readyz", "GET", "", ""); st == http.StatusOK {
			return
		}
		select {
		case <-in.done:
			t.Fatalf("%s: serve ended before it was ready: %v", in.name, in.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not ready after 3 min", in.name)
		}
	}
}

// stop is SIGTERM: serve's context ends, and it drains and returns.
func (in *instance) stop(t testing.TB) {
	t.Helper()
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	select {
	case <-in.done:
		if in.err != nil {
			t.Errorf("%s: serve: %v", in.name, in.err)
		}
	case <-time.After(time.Minute):
		t.Errorf("%s: serve did not stop within a minute of SIGTERM", in.name)
	}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// httpDo sends a request; token "" sends none. Errors come back as status 0.
func httpDo(url, method, token, body string, header ...string) (int, http.Header, []byte) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, res.Header, []byte(err.Error())
	}
	return res.StatusCode, res.Header, b
}

// mustDo is httpDo that fails the test unless the status is want.
func mustDo(t testing.TB, want int, url, method, token, body string, header ...string) (http.Header, []byte) {
	t.Helper()
	st, h, b := httpDo(url, method, token, body, header...)
	if st != want {
		t.Fatalf("%s %s = %d, want %d: %.500s", method, url, st, want, b)
	}
	return h, b
}

// readyz reads an instance's readiness.
func readyz(t testing.TB, in *instance) (int, map[string]any) {
	t.Helper()
	st, _, b := httpDo(in.base+"/readyz", "GET", "", "")
	var m map[string]any
	if st != 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s /readyz = %d %q: not JSON: %v", in.name, st, b, err)
		}
	}
	return st, m
}

// waitFor polls cond every 20 ms until it holds, and returns how long that
// took; it fails the test after budget.
func waitFor(t testing.TB, what string, budget time.Duration, cond func() bool) time.Duration {
	t.Helper()
	begin := time.Now()
	for !cond() {
		if time.Since(begin) > budget {
			t.Fatalf("%s: not after %v", what, budget)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(begin)
}

// demoDatabase migrates the database at url, loads the demo (only the named
// steps, if any), sets Crema's plan to draft (so its layers can be edited)
// and returns the tokens by role.
func demoDatabase(t testing.TB, url string, steps ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	logger := slog.New(slog.DiscardHandler)
	if err := store.Migrate(ctx, db.Write, logger); err != nil {
		t.Fatal(err)
	}
	if err := demo.Load(ctx, db.Write, logger, steps...); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(ctx, `UPDATE cp_plans SET status = 'draft' WHERE istat_code = '019035'`); err != nil {
		t.Fatal(err)
	}
	toks, err := demo.CreateTokens(ctx, db.Write)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tk := range toks {
		out[string(tk.Role)] = tk.Secret
	}
	return out
}

// newPrimary starts a fresh embedded cluster for one test and removes it at
// the end.
func newPrimary(t testing.TB, dir string) *localpg.Cluster {
	t.Helper()
	c, err := localpg.New(localpg.Options{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Remove(ctx); err != nil {
			t.Error(err)
		}
	})
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}
