package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func (c *Cluster) pgdata() string  { return filepath.Join(c.root, "pgdata") }
func (c *Cluster) logPath() string { return filepath.Join(c.root, logName) }

// initialised reports whether pgdata holds a complete cluster. initdb runs
// in a scratch directory renamed to pgdata on success, so a pgdata without
// PG_VERSION is not ours to trust.
func (c *Cluster) initialised() (bool, error) {
	_, err := os.Stat(filepath.Join(c.pgdata(), "PG_VERSION"))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("localpg: %w", err)
}

// command prepares a PostgreSQL tool run as the server user with a minimal
// environment (so PGDATA, PGPORT and friends of the caller cannot leak in),
// from "/" (reachable by the server user), in its own process group so a
// Ctrl-C in the terminal reaches only Atlante, which then stops the cluster
// itself. pg_ctl additionally puts the postmaster in a session of its own.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + c.binDir + ":/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if c.server != nil {
		// An empty Groups clears root's supplementary groups.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.server.uid, Gid: c.server.gid, Groups: []uint32{}}
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// initdb creates the cluster. Socket connections are trusted: the server has
// no TCP listener and its only socket is in a 0700 directory of the server
// user, so only that user and root can connect at all, and they could read
// the files anyway. TCP connections are rejected in pg_hba.conf as well, in
// case someone enables a listener.
func (c *Cluster) initdb(ctx context.Context) error {
	pgdata := c.pgdata()
	if _, err := os.Stat(pgdata); err == nil {
		c.log.Warn("removing incomplete cluster (no PG_VERSION)", "dir", pgdata)
		if err := os.RemoveAll(pgdata); err != nil {
			return fmt.Errorf("localpg: remove incomplete cluster: %w", err)
		}
	}
	scratch := filepath.Join(c.root, "pgdata.init")
	if _, err := os.Stat(scratch); err == nil {
		c.log.Warn("removing leftover of an interrupted initdb", "dir", scratch)
	}
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("localpg: remove leftover of an interrupted initdb: %w", err)
	}

	c.log.Info("initialising cluster", "dir", pgdata)
	begin := time.Now()
	args := []string{"-D", scratch, "-U", superuser, "--auth-local=trust", "--auth-host=reject", "-E", "UTF8", "--no-locale", "--no-instructions"}
	if c.fast {
		args = append(args, "--no-sync")
	}
	out, err := c.command(ctx, "initdb", args...).CombinedOutput()
	if err != nil {
		rmErr := os.RemoveAll(scratch)
		return errors.Join(fmt.Errorf("localpg: initdb failed, partial cluster removed: %w\n%s", err, tail(out, logTailLines)), rmErr)
	}
	// Our settings live in atlante.conf, rewritten at every start.
	conf, err := os.OpenFile(filepath.Join(scratch, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	_, err = fmt.Fprintf(conf, "\n# Added by Atlante: its settings, rewritten at every start.\ninclude '%s'\n", confName)
	if cerr := conf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if err := os.Rename(scratch, pgdata); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	c.log.Info("cluster initialised", "dir", pgdata, "duration", time.Since(begin).Round(time.Millisecond))
	return nil
}

// writeConfig writes pgdata/atlante.conf from the current options: the
// socket dir follows the data dir's path, Fast follows Options.
func (c *Cluster) writeConfig() error {
	var b strings.Builder
	b.WriteString("# Written by Atlante (internal/localpg) at every start: edits are lost.\n")
	b.WriteString("listen_addresses = ''\n") // no TCP at all
	fmt.Fprintf(&b, "unix_socket_directories = '%s'\n", c.socketDir)
	b.WriteString("unix_socket_permissions = 0700\n")
	fmt.Fprintf(&b, "port = %d\n", port)
	b.WriteString("max_connections = 100\n")
	b.WriteString("shared_buffers = 256MB\n")
	b.WriteString("work_mem = 16MB\n")
	b.WriteString("maintenance_work_mem = 128MB\n")
	b.WriteString("jit = off\n")
	if c.fast {
		b.WriteString("# Options.Fast: for tests, a crash can lose or corrupt data.\n")
		b.WriteString("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
	}
	path := filepath.Join(c.pgdata(), confName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if c.server != nil {
		if err := os.Chown(tmp, int(c.server.uid), int(c.server.gid)); err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	return nil
}

func (c *Cluster) start(ctx context.Context) error {
	if err := c.writeConfig(); err != nil {
		return err
	}
	c.log.Info("starting cluster", "dir", c.root, "socket_dir", c.socketDir, "log", c.logPath())
	begin := time.Now()
	out, err := c.command(ctx, "pg_ctl", "start", "-D", c.pgdata(), "-l", c.logPath(), "-w", "-t", "60", "-s").CombinedOutput()
	if err != nil {
		logTail := ""
		if b, rerr := os.ReadFile(c.logPath()); rerr == nil {
			logTail = fmt.Sprintf("\nlast lines of %s:\n%s", c.logPath(), tail(b, logTailLines))
		}
		return fmt.Errorf("localpg: start cluster in %s: %w: %s%s", c.root, err, trimOutput(out), logTail)
	}
	c.log.Info("cluster started", "dir", c.root, "duration", time.Since(begin).Round(time.Millisecond))
	return nil
}

// stop runs a fast shutdown if the server is running; the caller holds the
// lock. A /tmp socket dir is removed with the server it served.
func (c *Cluster) stop(ctx context.Context) error {
	running, err := c.Running(ctx)
	if err != nil || !running {
		return err
	}
	c.log.Info("stopping cluster", "dir", c.root)
	begin := time.Now()
	out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.pgdata(), "-m", "fast", "-w", "-s").CombinedOutput()
	if err != nil {
		return fmt.Errorf("localpg: stop cluster in %s: %w: %s", c.root, err, trimOutput(out))
	}
	if c.tmpSocket {
		if err := os.Remove(c.socketDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			c.log.Warn("removing socket dir", "dir", c.socketDir, "err", err)
		}
	}
	c.log.Info("cluster stopped", "dir", c.root, "duration", time.Since(begin).Round(time.Millisecond))
	return nil
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func trimOutput(b []byte) string { return strings.TrimSpace(string(b)) }
