package localpg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Supervision tunes Supervise; the zero value gives the defaults.
type Supervision struct {
	// Poll is how often the postmaster is looked at (default 1s).
	Poll time.Duration
	// MinBackoff is the wait after the first failed restart; it doubles
	// after each further failure up to MaxBackoff (defaults 500ms and 1 min).
	// The first attempts usually fail for a second or two: the dead
	// postmaster is a zombie until its parent reaps it, and PostgreSQL
	// refuses to start while that pid exists.
	MinBackoff, MaxBackoff time.Duration
}

func (s Supervision) withDefaults() Supervision {
	if s.Poll <= 0 {
		s.Poll = time.Second
	}
	if s.MinBackoff <= 0 {
		s.MinBackoff = 500 * time.Millisecond
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = time.Minute
	}
	s.MaxBackoff = max(s.MaxBackoff, s.MinBackoff)
	return s
}

// serverState is what postmaster.pid and the process table say.
type serverState int

const (
	serverRunning serverState = iota
	// serverStopped: no postmaster.pid. The postmaster removes it when it
	// shuts down (pg_ctl stop in any mode, atlante db stop), so the stop
	// was meant, or the cluster was never started.
	serverStopped
	// serverDied: postmaster.pid names a process that is gone (or a
	// zombie): the postmaster was killed or crashed without cleaning up.
	serverDied
)

// Supervise watches the cluster's server until ctx is done and starts it
// again whenever its postmaster dies (SIGKILL, the OOM killer, a crash):
// the first attempt at once, then after a backoff that doubles from
// MinBackoff up to MaxBackoff. It never gives up: the service is useless
// without its database, the cause (a disk that filled up, old backends
// still holding the shared memory) may go away, and meanwhile readiness
// fails and every failed attempt is logged at Error level.
//
// A server that was shut down cleanly is left alone: someone stopped it
// on purpose (`atlante db stop`), and it is supervised again once it runs.
// Restarts take the cluster's lock, so several processes supervising one
// cluster start it once; a restart never initialises a missing cluster.
func (c *Cluster) Supervise(ctx context.Context, s Supervision) {
	s = s.withDefaults()
	tick := time.NewTicker(s.Poll)
	defer tick.Stop()
	last := serverRunning
	for {
		st, pid, err := c.serverState()
		switch {
		case err != nil:
			c.log.Warn("cannot tell whether the embedded PostgreSQL server runs", "dir", c.root, "err", err)
		case st == serverDied:
			c.log.Error("the embedded PostgreSQL server died; restarting it", "pid", pid, "dir", c.root)
			c.restart(ctx, s)
			st = serverRunning
		case st == serverStopped && last != serverStopped:
			c.log.Warn("the embedded PostgreSQL server was shut down; not restarting a deliberate stop (start it with `atlante db start`)", "dir", c.root)
		case st == serverRunning && last == serverStopped:
			c.log.Info("the embedded PostgreSQL server runs again; supervising it", "dir", c.root)
		}
		if err == nil {
			last = st
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// restart starts the server until it runs or ctx is done.
func (c *Cluster) restart(ctx context.Context, s Supervision) {
	detected := time.Now()
	wait := s.MinBackoff
	for attempt := 1; ; attempt++ {
		c.log.Warn("restarting the embedded PostgreSQL server", "attempt", attempt, "dir", c.root)
		err := c.restartOnce(ctx)
		if err == nil {
			c.log.Info("the embedded PostgreSQL server is back", "attempt", attempt, "since_detected", time.Since(detected).Round(time.Millisecond))
			return
		}
		if ctx.Err() != nil {
			return
		}
		c.log.Error("restarting the embedded PostgreSQL server failed", "attempt", attempt, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, s.MaxBackoff)
	}
}

// restartOnce starts a dead server under the cluster's lock. Another
// process may have restarted it meanwhile, or stopped the cluster: then
// there is nothing to do.
func (c *Cluster) restartOnce(ctx context.Context) error {
	unlock, err := c.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	st, _, err := c.serverState()
	if err != nil {
		return err
	}
	if st != serverDied {
		return nil
	}
	if err := c.prepareSocketDir(); err != nil {
		return err
	}
	return c.start(ctx)
}

// serverState reads postmaster.pid and looks its process up. pid is 0 when
// there is no (complete) file.
func (c *Cluster) serverState() (serverState, int, error) {
	b, err := os.ReadFile(filepath.Join(c.pgdata(), "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return serverStopped, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("localpg: %w", err)
	}
	line, _, complete := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(line)
	if !complete || err != nil || pid == 0 {
		// The postmaster is writing the file right now.
		return serverRunning, 0, nil
	}
	pid = max(pid, -pid) // a single-user backend writes its pid negated
	if postmasterAlive(pid) {
		return serverRunning, pid, nil
	}
	return serverDied, pid, nil
}

// postmasterAlive reports whether pid is a live postgres process. A zombie
// counts as dead (kill(pid, 0) would say alive), and so does a process of
// another program that got the pid after the postmaster died.
func postmasterAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if _, perr := os.Stat("/proc/self/stat"); perr != nil {
			// No procfs: only ask whether the pid exists.
			err := syscall.Kill(pid, 0)
			return err == nil || errors.Is(err, syscall.EPERM)
		}
		return !errors.Is(err, fs.ErrNotExist)
	}
	// "pid (comm) state ...": comm may hold spaces and parentheses, the
	// state follows the last ')'.
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open || end+2 >= len(s) {
		return true // unreadable: do not restart a server that may be running
	}
	comm, state := s[open+1:end], s[end+2]
	return comm == "postgres" && state != 'Z' && state != 'X'
}
