package localpg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Replica is a streaming hot standby of a Cluster: PostgreSQL's own
// replication, made with pg_basebackup -R into a directory of its own and
// listening on a socket of its own. It is a tool for tests and trials of
// Atlante's read-replica routing: it can be stopped, started, made to lag
// (replay paused) and promoted.
type Replica struct {
	c         *Cluster // the primary: binaries, server user, logger
	root      string   // holds pgdata/, run/ and postgres.log
	socketDir string
}

// NewReplica makes a hot standby of the running cluster c in dir (which
// must not exist yet or be empty) with pg_basebackup -R, streaming WAL
// during the copy, and starts it. The standby connects to the primary over
// its Unix socket; initdb's pg_hba.conf already trusts local replication
// connections.
func (c *Cluster) NewReplica(ctx context.Context, dir string) (*Replica, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("localpg: replica dir %q: %w", dir, err)
	}
	if err := c.mkdirReachable(filepath.Dir(abs)); err != nil {
		return nil, err
	}
	if err := c.ensurePrivateDir(abs); err != nil {
		return nil, err
	}
	r := &Replica{c: c, root: abs, socketDir: filepath.Join(abs, "run")}
	if len(r.socketDir)+len(socketFile()) > maxSocketPath {
		r.socketDir = tmpSocketPrefix + "replica-" + dirHash(abs)
	}
	if i := strings.IndexAny(r.root+r.socketDir, "\"'`$\\\n\r\x00"); i >= 0 {
		return nil, fmt.Errorf("localpg: replica path %q cannot be quoted for PostgreSQL's tools", abs)
	}
	if err := c.ensurePrivateDir(r.socketDir); err != nil {
		return nil, err
	}
	c.log.Info("making a streaming replica", "primary", c.root, "dir", abs)
	begin := time.Now()
	out, err := c.command(ctx, "pg_basebackup", "-D", r.pgdata(), "-R", "-X", "stream", "-c", "fast", "--no-sync",
		"-h", c.socketDir, "-p", strconv.Itoa(port), "-U", superuser, "-w").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("localpg: pg_basebackup: %w: %s", err, trimOutput(out))
	}
	// The copy carries the primary's atlante.conf, with the primary's
	// socket: give the standby its own.
	if err := r.writeConfig(); err != nil {
		return nil, err
	}
	if err := r.Start(ctx); err != nil {
		return nil, err
	}
	c.log.Info("streaming replica running", "dir", abs, "duration", time.Since(begin).Round(time.Millisecond))
	return r, nil
}

func (r *Replica) pgdata() string { return filepath.Join(r.root, "pgdata") }

// Dir returns the directory holding the standby's files.
func (r *Replica) Dir() string { return r.root }

// URL returns the connection URL of database dbname on the standby.
func (r *Replica) URL(dbname string) string {
	host := strings.ReplaceAll(url.QueryEscape(r.socketDir), "%2F", "/")
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Path: "/" + dbname,
		RawQuery: "host=" + host + "&port=" + strconv.Itoa(port)}
	return u.String()
}

func (r *Replica) writeConfig() error {
	var b strings.Builder
	b.WriteString("# Written by Atlante (internal/localpg) for a streaming replica.\n")
	b.WriteString("listen_addresses = ''\n")
	fmt.Fprintf(&b, "unix_socket_directories = '%s'\n", r.socketDir)
	b.WriteString("unix_socket_permissions = 0700\n")
	fmt.Fprintf(&b, "port = %d\n", port)
	b.WriteString("max_connections = 100\nshared_buffers = 128MB\nwork_mem = 16MB\njit = off\n")
	b.WriteString("hot_standby = on\n")
	// Replay waits for no query (the default waits 30 s before cancelling
	// one that conflicts): lag in the tests comes from pausing replay only.
	b.WriteString("max_standby_streaming_delay = 0\n")
	b.WriteString("log_statement = 'none'\n")
	if r.c.fast {
		b.WriteString("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
	}
	path := filepath.Join(r.pgdata(), confName)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if r.c.server != nil {
		if err := os.Chown(path, int(r.c.server.uid), int(r.c.server.gid)); err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
	}
	return nil
}

// Start starts the standby (again); it resumes streaming from where it was.
func (r *Replica) Start(ctx context.Context) error {
	if err := r.c.ensurePrivateDir(r.socketDir); err != nil {
		return err
	}
	log := filepath.Join(r.root, logName)
	out, err := r.c.command(ctx, "pg_ctl", "start", "-D", r.pgdata(), "-l", log, "-w", "-t", "60", "-s").CombinedOutput()
	if err != nil {
		tailLog := ""
		if b, rerr := os.ReadFile(log); rerr == nil {
			tailLog = "\n" + tail(b, logTailLines)
		}
		return fmt.Errorf("localpg: start replica: %w: %s%s", err, trimOutput(out), tailLog)
	}
	return nil
}

// Stop shuts the standby down (fast mode). Stopping a stopped standby is
// not an error.
func (r *Replica) Stop(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(r.pgdata(), "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	out, err := r.c.command(ctx, "pg_ctl", "stop", "-D", r.pgdata(), "-m", "fast", "-w", "-s").CombinedOutput()
	if err != nil {
		return fmt.Errorf("localpg: stop replica: %w: %s", err, trimOutput(out))
	}
	return nil
}

// Remove stops the standby and deletes its files.
func (r *Replica) Remove(ctx context.Context) error {
	if err := r.Stop(ctx); err != nil {
		return err
	}
	if strings.HasPrefix(r.socketDir, tmpSocketPrefix) {
		if err := os.RemoveAll(r.socketDir); err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
	}
	if err := os.RemoveAll(r.root); err != nil {
		return fmt.Errorf("localpg: remove replica: %w", err)
	}
	return nil
}

// exec runs one statement on the standby's database "postgres".
func (r *Replica) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, r.URL("postgres"))
	if err != nil {
		return fmt.Errorf("localpg: replica: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("localpg: replica: %s: %w", sql, err)
	}
	return nil
}

// PauseReplay stops applying WAL: the standby keeps receiving it and
// answering queries, but its data stands still and its lag grows.
func (r *Replica) PauseReplay(ctx context.Context) error {
	return r.exec(ctx, "SELECT pg_wal_replay_pause()")
}

// ResumeReplay applies WAL again.
func (r *Replica) ResumeReplay(ctx context.Context) error {
	return r.exec(ctx, "SELECT pg_wal_replay_resume()")
}

// Promote ends recovery: the standby becomes a primary of its own and
// follows the old primary no more.
func (r *Replica) Promote(ctx context.Context) error {
	return r.exec(ctx, "SELECT pg_promote(true, 60)")
}

// CatchUp waits until the standby has replayed everything the primary had
// written when it was called.
func (r *Replica) CatchUp(ctx context.Context) error {
	pc, err := pgx.Connect(ctx, r.c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("localpg: primary: %w", err)
	}
	// A transaction that writes WAL and commits synchronously flushes all
	// WAL before its commit record, also the commits made with
	// synchronous_commit off (Options.Fast), which the standby cannot
	// receive before that. (One that only takes an xid writes no WAL
	// before its commit record, and PostgreSQL does not flush it.)
	var target string
	err = pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "SELECT pg_logical_emit_message(true, 'atlante', 'catch up')")
		return err
	})
	if err == nil {
		err = pc.QueryRow(ctx, "SELECT pg_current_wal_flush_lsn()::text").Scan(&target)
	}
	pc.Close(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("localpg: primary: %w", err)
	}
	conn, err := pgx.Connect(ctx, r.URL("postgres"))
	if err != nil {
		return fmt.Errorf("localpg: replica: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		var done bool
		if err := conn.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", target).Scan(&done); err != nil {
			return fmt.Errorf("localpg: replica: %w", err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("localpg: replica has not replayed %s: %w", target, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
