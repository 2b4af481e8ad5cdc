// Package localpg runs Atlante's embedded default database: a private
// PostgreSQL+PostGIS cluster inside the data dir, used when DATABASE_URL is
// unset.
//
// The cluster listens on a Unix socket only (no TCP port) in a directory of
// mode 0700, so only the user that runs the server (and root) can connect.
// When Atlante runs as root, the server runs as the OS user postgres,
// because PostgreSQL refuses to run as root.
//
// Layout: the cluster root R holds pgdata/ (PGDATA), run/ (the socket dir),
// postgres.log and the lock file atlante.lock. R is DataDir/pg; when Atlante
// runs as root and postgres cannot enter every directory above DataDir, R is
// /var/lib/atlante/clusters/<hash of DataDir> and DataDir/pg is a symlink to
// it. When R/run is too long for a socket path, the socket dir is
// /tmp/atlante-<hash of DataDir>. See Cluster.Dir and Cluster.URL.
//
// Several processes (parallel test packages, a serve and an import) may
// share one data dir: Start serialises initdb and start with a file lock, so
// exactly one of them initialises and starts the cluster and the others reuse
// it. Supervise (used by `serve`) starts the server again when its
// postmaster dies. NewReplica makes a streaming hot standby of a cluster
// (pg_basebackup -R) for the read-replica tests.
package localpg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultDatabase is the database Start creates for Atlante.
const DefaultDatabase = "atlante"

const (
	// superuser is the bootstrap superuser initdb creates; every connection
	// uses it.
	superuser = "atlante"
	// port only names the socket file (.s.PGSQL.5432): there is no TCP
	// listener, so it cannot clash with another server.
	port     = 5432
	lockName = "atlante.lock"
	logName  = "postgres.log"
	confName = "atlante.conf"
	// logTailLines is how much of postgres.log a start failure quotes.
	logTailLines = 20
	// connectPatience bounds how long connect waits for a server that is
	// still starting up.
	connectPatience = 30 * time.Second
)

// ErrNotInstalled is wrapped by New when no PostgreSQL server with PostGIS is
// installed; the message names the packages to install.
var ErrNotInstalled = errors.New("localpg: PostgreSQL with PostGIS is not installed")

// Options configure a Cluster.
type Options struct {
	// DataDir is the user's data dir, e.g. "./.atlante"; it is made absolute
	// and the cluster lives in DataDir/pg (or behind a symlink there).
	DataDir string
	// Fast trades durability for speed (fsync, synchronous_commit and
	// full_page_writes off, initdb --no-sync): for tests only. It is applied
	// whenever Start starts the server.
	Fast bool
	// Logger receives lifecycle lines at Info; nil discards them.
	Logger *slog.Logger
}

// Cluster is a private PostgreSQL cluster in a data dir. Its fields are set by
// New and never change, so a Cluster is safe for concurrent use.
type Cluster struct {
	dataDir   string // absolute, symlinks resolved
	root      string // R: where the cluster's files really are
	linked    bool   // root is reached through the symlink dataDir/pg
	fallback  bool   // root is under fallbackRoot
	reason    string // why the fallback is used, for the log
	socketDir string
	tmpSocket bool // socketDir is under /tmp because root/run is too long
	binDir    string
	fast      bool
	server    *serverUser // nil: the server runs as the current user
	log       *slog.Logger
}

// New finds the PostgreSQL binaries and computes where the cluster of
// opts.DataDir lives. It has no side effects: nothing is created until Start.
func New(opts Options) (*Cluster, error) {
	if opts.DataDir == "" {
		return nil, errors.New("localpg: no data dir")
	}
	abs, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("localpg: data dir %q: %w", opts.DataDir, err)
	}
	dataDir, err := resolvePath(abs)
	if err != nil {
		return nil, fmt.Errorf("localpg: data dir %q: %w", opts.DataDir, err)
	}
	binDir, err := findBinDir(os.Getenv(binDirEnv), pgLibRoot, pgShareRoot)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Cluster{dataDir: dataDir, binDir: binDir, fast: opts.Fast, log: log}
	if os.Geteuid() == 0 {
		if c.server, err = lookupServerUser(); err != nil {
			return nil, err
		}
	}
	if err := c.resolveLayout(); err != nil {
		return nil, err
	}
	return c, nil
}

// Dir returns the directory where the cluster's files really are: DataDir/pg,
// or the target of the symlink DataDir/pg.
func (c *Cluster) Dir() string { return c.root }

// URL returns a libpq/pgx connection URL for database dbname over the
// cluster's Unix socket, as user "atlante" (no password: see initdb).
// The port is explicit so that a PGPORT in the environment cannot change
// the socket file name.
func (c *Cluster) URL(dbname string) string {
	// "/" is legal in a query (RFC 3986 §3.4): keep the socket path readable.
	host := strings.ReplaceAll(url.QueryEscape(c.socketDir), "%2F", "/")
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Path: "/" + dbname,
		RawQuery: "host=" + host + "&port=" + strconv.Itoa(port)}
	return u.String()
}

// Start makes the cluster ready: it runs initdb on first use, starts the
// server unless it is already running, and creates the database "atlante"
// if missing. started reports whether this call started the server (false:
// it was running and is reused); a caller that started it should Stop it.
// An error after the server started comes with started=true and leaves the
// server running.
func (c *Cluster) Start(ctx context.Context) (started bool, err error) {
	if err := c.prepareRoot(); err != nil {
		return false, err
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()

	c.logLocation()
	if c.fallback {
		if err := c.claimFallback(); err != nil {
			return false, err
		}
	}
	if err := c.prepareSocketDir(); err != nil {
		return false, err
	}
	ok, err := c.initialised()
	if err != nil {
		return false, err
	}
	if !ok {
		if err := c.initdb(ctx); err != nil {
			return false, err
		}
	}
	running, err := c.Running(ctx)
	if err != nil {
		return false, err
	}
	if running {
		c.log.Info("reusing running cluster", "dir", c.root, "socket_dir", c.socketDir)
	} else {
		if err := c.start(ctx); err != nil {
			return false, err
		}
		started = true
	}
	// A server that someone else is starting may not accept connections yet.
	if err := c.ensureDatabase(ctx, DefaultDatabase, connectPatience); err != nil {
		return started, err
	}
	return started, nil
}

// Stop shuts the server down (fast mode: sessions are disconnected, open
// transactions rolled back) and waits until it has exited. Stopping a
// cluster that is not running is not an error.
func (c *Cluster) Stop(ctx context.Context) error {
	if _, err := os.Stat(c.root); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return c.stop(ctx)
}

// Remove stops the cluster and deletes it: its directory, the DataDir/pg
// symlink and a /tmp socket dir. All data in it is lost. It is meant for
// tests and must not race with Start on the same data dir.
func (c *Cluster) Remove(ctx context.Context) error {
	_, err := os.Stat(c.root)
	switch {
	case err == nil:
		unlock, err := c.lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		if err := c.stop(ctx); err != nil {
			return err
		}
		if err := os.RemoveAll(c.root); err != nil {
			return fmt.Errorf("localpg: remove cluster: %w", err)
		}
		c.log.Info("cluster removed", "dir", c.root)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("localpg: %w", err)
	}
	if c.linked {
		link := filepath.Join(c.dataDir, "pg")
		if target, err := os.Readlink(link); err == nil && filepath.Clean(target) == c.root {
			if err := os.Remove(link); err != nil {
				return fmt.Errorf("localpg: remove cluster link: %w", err)
			}
		}
	}
	if c.tmpSocket {
		if err := os.RemoveAll(c.socketDir); err != nil {
			return fmt.Errorf("localpg: remove socket dir: %w", err)
		}
	}
	return nil
}

// Running reports whether the cluster's server is running, as pg_ctl status
// sees it (a postmaster.pid whose process is alive).
func (c *Cluster) Running(ctx context.Context) (bool, error) {
	ok, err := c.initialised()
	if err != nil || !ok {
		return false, err
	}
	out, err := c.command(ctx, "pg_ctl", "status", "-D", c.pgdata()).CombinedOutput()
	if err == nil {
		return true, nil
	}
	// pg_ctl status exits with 3 when the server is not running.
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 3 {
		return false, nil
	}
	return false, fmt.Errorf("localpg: pg_ctl status: %w: %s", err, trimOutput(out))
}

// EnsureDatabase creates database name if it does not exist; the cluster
// must be running. It is safe to call concurrently from several processes.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) error {
	return c.ensureDatabase(ctx, name, 0)
}

func (c *Cluster) ensureDatabase(ctx context.Context, name string, patience time.Duration) error {
	if name == "" {
		return errors.New("localpg: empty database name")
	}
	conn, err := c.connect(ctx, "postgres", patience)
	if err != nil {
		return err
	}
	defer func() {
		if err := conn.Close(context.WithoutCancel(ctx)); err != nil {
			c.log.Warn("closing maintenance connection", "err", err)
		}
	}()
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		return fmt.Errorf("localpg: look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	// Another process won the race: 42P04 duplicate_database, or 23505 when
	// both passed the catalog check and collided on pg_database's index.
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("localpg: create database %q: %w", name, err)
	}
	c.log.Info("created database", "database", name)
	return nil
}

// connect opens a connection to database db, waiting up to patience for a
// server that is still starting (socket missing or refusing, or SQLSTATE
// 57P03 cannot_connect_now).
func (c *Cluster) connect(ctx context.Context, db string, patience time.Duration) (*pgx.Conn, error) {
	deadline := time.Now().Add(patience)
	for {
		conn, err := pgx.Connect(ctx, c.URL(db))
		if err == nil {
			return conn, nil
		}
		var pgErr *pgconn.PgError
		transient := errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) ||
			(errors.As(err, &pgErr) && pgErr.Code == "57P03")
		if !transient || time.Now().After(deadline) {
			return nil, fmt.Errorf("localpg: connect to database %q in %s: %w", db, c.socketDir, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("localpg: connect to database %q: %w", db, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lock takes the cluster's file lock, waiting for another process that holds
// it. A new flock handle per call makes goroutines of one process exclude
// each other too (flock(2) locks belong to the open file description).
func (c *Cluster) lock(ctx context.Context) (unlock func(), err error) {
	path := filepath.Join(c.root, lockName)
	fl := flock.New(path)
	ok, err := fl.TryLock()
	if err == nil && !ok {
		c.log.Info("waiting for another process using the cluster", "dir", c.root)
		ok, err = fl.TryLockContext(ctx, 50*time.Millisecond)
	}
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("localpg: lock %s: %w", path, err)
	}
	return func() {
		if err := fl.Unlock(); err != nil {
			c.log.Warn("releasing cluster lock", "path", path, "err", err)
		}
	}, nil
}

func (c *Cluster) logLocation() {
	attrs := []any{"dir", c.root, "data_dir", c.dataDir, "socket_dir", c.socketDir, "bin_dir", c.binDir}
	if c.server != nil {
		attrs = append(attrs, "server_user", c.server.name)
	}
	if c.fallback {
		attrs = append(attrs, "fallback", true, "reason", c.reason, "link", filepath.Join(c.dataDir, "pg"))
	}
	c.log.Info("cluster location", attrs...)
}
