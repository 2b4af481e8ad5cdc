package localpg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// recorder is an in-memory slog handler: it keeps the messages (to count
// initdb runs) and echoes every record to the test log.
type recorder struct {
	t     testing.TB
	mu    sync.Mutex
	msgs  []string
	lines []string // level, message and attributes
	attrs []slog.Attr
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	r.msgs = append(r.msgs, rec.Message)
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	r.t.Log(b.String())
	return nil
}

func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

func newRecorder(t testing.TB) (*recorder, *slog.Logger) {
	r := &recorder{t: t}
	return r, slog.New(r)
}

// reachableTempDir returns a fresh directory the postgres user can reach.
// t.TempDir's parent is made with mode 0700 (os.MkdirTemp), which as root
// would send every cluster to the /var/lib/atlante fallback.
func reachableTempDir(t testing.TB) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(filepath.Dir(d), 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// newCluster builds a Fast cluster for dataDir and removes it (stopping the
// server first) when the test ends.
func newCluster(t testing.TB, dataDir string, log *slog.Logger) *Cluster {
	t.Helper()
	c, err := New(Options{DataDir: dataDir, Fast: true, Logger: log})
	if errors.Is(err, ErrNotInstalled) {
		t.Fatalf("New: %v; run make test, which installs PostgreSQL and PostGIS", err)
	}
	if err != nil {
		t.Fatalf("New(%q): %v", dataDir, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Remove(ctx); err != nil {
			t.Errorf("Remove: %v", err)
		}
	})
	return c
}

func connect(t testing.TB, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() {
		if err := conn.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return conn
}

// checkDatabase runs the queries every cluster must answer.
func checkDatabase(t testing.TB, ctx context.Context, c *Cluster) {
	t.Helper()
	conn := connect(t, ctx, c.URL(DefaultDatabase))
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v; want 1", one, err)
	}
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		t.Fatalf("CREATE EXTENSION postgis: %v", err)
	}
	var version string
	if err := conn.QueryRow(ctx, "SELECT postgis_version()").Scan(&version); err != nil || version == "" {
		t.Fatalf("postgis_version() = %q, %v", version, err)
	}
	var listen string
	if err := conn.QueryRow(ctx, "SHOW listen_addresses").Scan(&listen); err != nil || listen != "" {
		t.Fatalf("SHOW listen_addresses = %q, %v; want empty (no TCP listener)", listen, err)
	}
	var sockets string
	if err := conn.QueryRow(ctx, "SHOW unix_socket_directories").Scan(&sockets); err != nil || sockets != c.socketDir {
		t.Fatalf("SHOW unix_socket_directories = %q, %v; want %q", sockets, err, c.socketDir)
	}
}

func checkOwner(t testing.TB, dir string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode of %s = %v, want 0700", dir, fi.Mode().Perm())
	}
	want := uint32(os.Geteuid())
	if os.Geteuid() == 0 {
		u, err := lookupServerUser()
		if err != nil {
			t.Fatal(err)
		}
		want = u.uid
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != want {
		t.Errorf("owner of %s = %d, want %d", dir, uid, want)
	}
}

func TestStartReuseStop(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := filepath.Join(reachableTempDir(t), "data")
	_, log := newRecorder(t)
	c := newCluster(t, dataDir, log)

	if got, want := c.Dir(), filepath.Join(dataDir, "pg"); got != want {
		t.Errorf("Dir() = %q, want %q", got, want)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New created %s (err %v); it must have no side effects", dataDir, err)
	}
	cfg, err := pgx.ParseConfig(c.URL("atlante"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != c.socketDir || cfg.Port != port || cfg.User != "atlante" || cfg.Database != "atlante" {
		t.Errorf("URL parses to host=%q port=%d user=%q db=%q", cfg.Host, cfg.Port, cfg.User, cfg.Database)
	}

	begin := time.Now()
	started, err := c.Start(ctx)
	if err != nil || !started {
		t.Fatalf("first Start() = %v, %v; want true, nil", started, err)
	}
	t.Logf("initdb + start: %v", time.Since(begin))
	checkDatabase(t, ctx, c)
	checkOwner(t, c.Dir())
	checkOwner(t, filepath.Join(c.Dir(), "pgdata"))
	checkOwner(t, c.socketDir)

	again, err := New(Options{DataDir: dataDir, Fast: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if started, err := again.Start(ctx); err != nil || started {
		t.Fatalf("second Start() = %v, %v; want false, nil", started, err)
	}

	for range 2 {
		if err := c.EnsureDatabase(ctx, "other db"); err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
	}
	conn := connect(t, ctx, c.URL("other db"))
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("ping other db: %v", err)
	}
	if err := conn.Close(ctx); err != nil {
		t.Fatal(err)
	}

	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if running, err := c.Running(ctx); err != nil || running {
		t.Fatalf("Running() after Stop = %v, %v; want false, nil", running, err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop of a stopped cluster: %v", err)
	}
	begin = time.Now()
	if err := c.EnsureDatabase(ctx, "late"); err == nil || time.Since(begin) > 5*time.Second {
		t.Errorf("EnsureDatabase on a stopped cluster = %v after %v; want an error, at once", err, time.Since(begin))
	}

	// A server that fails to start is reported with the end of its log.
	conf := filepath.Join(c.Dir(), "pgdata", "postgresql.conf")
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, append(orig, "no_such_setting = 1\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(ctx); err == nil || !strings.Contains(err.Error(), "no_such_setting") {
		t.Errorf("Start() with a broken postgresql.conf = %v; want an error quoting postgres.log", err)
	} else {
		t.Logf("Start() with a broken postgresql.conf: %v", err)
	}
	if err := os.WriteFile(conf, orig, 0o600); err != nil {
		t.Fatal(err)
	}

	begin = time.Now()
	if started, err := c.Start(ctx); err != nil || !started {
		t.Fatalf("Start() after Stop = %v, %v; want true, nil", started, err)
	}
	t.Logf("start of an existing cluster: %v", time.Since(begin))
	if running, err := c.Running(ctx); err != nil || !running {
		t.Fatalf("Running() = %v, %v; want true, nil", running, err)
	}
	checkDatabase(t, ctx, c)
}

func TestFallbackWhenDataDirUnreachable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := t.TempDir()
	locked := filepath.Join(base, "locked")
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(locked, "data")
	_, log := newRecorder(t)
	c := newCluster(t, dataDir, log)

	if os.Geteuid() != 0 {
		if got, want := c.Dir(), filepath.Join(dataDir, "pg"); got != want {
			t.Errorf("Dir() = %q, want %q (the current user runs the server)", got, want)
		}
	} else if got, want := c.Dir(), filepath.Join(fallbackRoot, dirHash(dataDir)); got != want {
		t.Fatalf("Dir() = %q, want %q", got, want)
	}

	if started, err := c.Start(ctx); err != nil || !started {
		t.Fatalf("Start() = %v, %v; want true, nil", started, err)
	}
	checkDatabase(t, ctx, c)
	checkOwner(t, c.Dir())

	if os.Geteuid() == 0 {
		target, err := os.Readlink(filepath.Join(dataDir, "pg"))
		if err != nil || target != c.Dir() {
			t.Errorf("link %s/pg -> %q, %v; want %q", dataDir, target, err, c.Dir())
		}
	}

	// The same data dir, named through a symlink, maps to the same cluster.
	alias := filepath.Join(base, "alias")
	if err := os.Symlink(locked, alias); err != nil {
		t.Fatal(err)
	}
	same, err := New(Options{DataDir: filepath.Join(alias, "data"), Fast: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if same.Dir() != c.Dir() {
		t.Errorf("Dir() through %s = %q, want %q", alias, same.Dir(), c.Dir())
	}
	if started, err := same.Start(ctx); err != nil || started {
		t.Fatalf("Start() through alias = %v, %v; want false, nil", started, err)
	}
}

func TestConcurrentStart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := filepath.Join(reachableTempDir(t), "data")
	rec, log := newRecorder(t)

	const n = 2
	var (
		wg       sync.WaitGroup
		clusters [n]*Cluster
		started  [n]bool
		errs     [n]error
	)
	for i := range n {
		clusters[i] = newCluster(t, dataDir, log)
		wg.Go(func() { started[i], errs[i] = clusters[i].Start(ctx) })
	}
	wg.Wait()
	starts := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Start() #%d: %v", i, errs[i])
		}
		if started[i] {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("Start() reported started=true %d times, want 1", starts)
	}
	if got := rec.count("initialising cluster"); got != 1 {
		t.Errorf("initdb ran %d times, want 1", got)
	}
	for _, c := range clusters {
		checkDatabase(t, ctx, c)
	}
}

func TestLongDataDir(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := filepath.Join(reachableTempDir(t), strings.Repeat("a-rather-long-directory-name-", 4))
	if len(dataDir) <= 110 {
		t.Fatalf("data dir %q is only %d bytes", dataDir, len(dataDir))
	}
	rec, log := newRecorder(t)
	c := newCluster(t, dataDir, log)
	if want := tmpSocketPrefix + dirHash(dataDir); c.socketDir != want {
		t.Fatalf("socket dir = %q, want %q", c.socketDir, want)
	}
	// Leftovers of an interrupted initdb are cleared away.
	if err := os.MkdirAll(c.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"pgdata", "pgdata.init"} {
		if err := os.MkdirAll(filepath.Join(c.Dir(), dir, "base"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if started, err := c.Start(ctx); err != nil || !started {
		t.Fatalf("Start() = %v, %v; want true, nil", started, err)
	}
	for _, msg := range []string{"removing incomplete cluster (no PG_VERSION)", "removing leftover of an interrupted initdb"} {
		if rec.count(msg) != 1 {
			t.Errorf("log %q written %d times, want 1", msg, rec.count(msg))
		}
	}
	checkDatabase(t, ctx, c)
	checkOwner(t, c.socketDir)

	if err := c.Remove(ctx); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Stat(c.socketDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket dir %s still exists after Remove (err %v)", c.socketDir, err)
	}
}

func TestBlocker(t *testing.T) {
	t.Parallel()
	// A uid and gid nobody uses: only the "other" bits apply.
	u := &serverUser{name: "nobody-here", uid: 54321, gid: 54321}
	tests := []struct {
		name    string
		mode    os.FileMode
		blocked bool
	}{
		{"open", 0o755, false},
		{"search only", 0o711, false},
		{"other search bit", 0o701, false},
		{"private", 0o700, true},
		{"group only", 0o750, true},
	}
	base := reachableTempDir(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(base, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			// The directory itself and a not yet existing child of it.
			for _, p := range []string{dir, filepath.Join(dir, "missing", "data")} {
				why, err := u.blocker(p)
				if err != nil {
					t.Fatal(err)
				}
				if got := why != ""; got != tt.blocked {
					t.Errorf("blocker(%s) = %q, want blocked=%v", p, why, tt.blocked)
				}
			}
		})
	}
}

func TestFindBinDir(t *testing.T) {
	// No t.Parallel: PATH is emptied so that the real installation on PATH
	// does not answer for the fake trees.
	t.Setenv("PATH", "")

	// tree builds a fake Debian layout: versions maps a major version to
	// whether PostGIS is installed for it.
	tree := func(t *testing.T, versions map[string]bool) (lib, share string) {
		root := t.TempDir()
		lib, share = filepath.Join(root, "lib"), filepath.Join(root, "share")
		for v, postgis := range versions {
			bin := filepath.Join(lib, v, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"pg_ctl", "initdb", "postgres"} {
				if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if postgis {
				ext := filepath.Join(share, v, "extension")
				if err := os.MkdirAll(ext, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(ext, "postgis.control"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		return lib, share
	}

	tests := []struct {
		name     string
		versions map[string]bool
		env      string // relative to lib
		want     string // bin dir relative to lib; "" for an error
		wantMsg  []string
	}{
		{name: "highest with postgis", versions: map[string]bool{"13": true, "15": true, "16": false}, want: "15/bin"},
		{name: "env wins", versions: map[string]bool{"13": true, "15": true}, env: "13/bin", want: "13/bin"},
		{name: "env without binaries", versions: map[string]bool{"15": true}, env: "nope", wantMsg: []string{binDirEnv}},
		{name: "server without postgis", versions: map[string]bool{"16": false},
			wantMsg: []string{"postgresql-16-postgis-3", "make run", binDirEnv}},
		{name: "nothing installed", versions: map[string]bool{}, wantMsg: []string{"postgresql", "postgis-3", "make run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, share := tree(t, tt.versions)
			env := ""
			if tt.env != "" {
				env = filepath.Join(lib, tt.env)
			}
			got, err := findBinDir(env, lib, share)
			if tt.want != "" {
				if want := filepath.Join(lib, tt.want); got != want || err != nil {
					t.Fatalf("findBinDir() = %q, %v; want %q", got, err, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("findBinDir() = %q, want an error", got)
			}
			if tt.env == "" && !errors.Is(err, ErrNotInstalled) {
				t.Errorf("findBinDir() error %v is not ErrNotInstalled", err)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("findBinDir() error %q does not mention %q", err, m)
				}
			}
		})
	}
}
