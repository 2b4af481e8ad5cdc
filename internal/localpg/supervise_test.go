package localpg

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// recoveryBudget bounds how long a test waits for a killed server to come
// back; it is generous because the machine may be busy. The time it took
// is logged, not asserted.
const recoveryBudget = 2 * time.Minute

// supervise runs Supervise in the background until the test ends.
func supervise(t *testing.T, c *Cluster, s Supervision) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { c.Supervise(ctx, s) })
	// Registered after newCluster's: runs before Remove.
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// killPostmaster sends SIGKILL to the cluster's postmaster and returns its pid.
func killPostmaster(t testing.TB, c *Cluster) int {
	t.Helper()
	pid := postmasterPID(t, c)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	return pid
}

func postmasterPID(t testing.TB, c *Cluster) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.pgdata(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// waitQuery runs SELECT 1 through pool until it succeeds.
func waitQuery(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	begin := time.Now()
	var last error
	for time.Since(begin) < recoveryBudget {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var one int
		last = pool.QueryRow(ctx, "SELECT 1").Scan(&one)
		cancel()
		if last == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no answer %v after the kill: %v", recoveryBudget, last)
}

// waitLog waits until the log has n lines containing msg.
func waitLog(t *testing.T, rec *recorder, msg string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(recoveryBudget)
	for {
		var found []string
		rec.mu.Lock()
		for _, l := range rec.lines {
			if strings.Contains(l, msg) {
				found = append(found, l)
			}
		}
		rec.mu.Unlock()
		if len(found) >= n {
			return found
		}
		if time.Now().After(deadline) {
			t.Fatalf("log has %d lines with %q after %v, want %d", len(found), msg, recoveryBudget, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSuperviseRestartsKilledServer(t *testing.T) {
	t.Parallel()
	rec, log := newRecorder(t)
	c := newCluster(t, filepath.Join(reachableTempDir(t), "data"), log)
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	supervise(t, c, Supervision{Poll: 100 * time.Millisecond, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	pool, err := pgxpool.New(t.Context(), c.URL(DefaultDatabase))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	waitQuery(t, pool)

	for round := 1; round <= 2; round++ {
		old := killPostmaster(t, c)
		begin := time.Now()
		// Until the orphaned backends notice, a pooled connection may still
		// answer: wait for the restart, then for the pool.
		waitLog(t, rec, "the embedded PostgreSQL server is back", round)
		waitQuery(t, pool)
		t.Logf("round %d: restarted and SELECT 1 answered %v after kill -9 of the postmaster", round, time.Since(begin).Round(time.Millisecond))
		if pid := postmasterPID(t, c); pid == old {
			t.Fatalf("round %d: postmaster.pid still names %d, the killed one", round, pid)
		}
	}

	// A clean stop is left alone ...
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitLog(t, rec, "not restarting a deliberate stop", 1)
	time.Sleep(500 * time.Millisecond) // five polls
	if running, err := c.Running(t.Context()); err != nil || running {
		t.Fatalf("Running() after Stop under supervision = %v, %v; want false: a deliberate stop must stay stopped", running, err)
	}
	// ... and a server started again is supervised again.
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitLog(t, rec, "runs again; supervising it", 1)
	killPostmaster(t, c)
	waitLog(t, rec, "the embedded PostgreSQL server is back", 3)
	waitQuery(t, pool)
	if n := rec.count("initialising cluster"); n != 1 {
		t.Errorf("initdb ran %d times, want 1", n)
	}
}

// TestSuperviseBacksOff breaks the configuration before killing the
// server: every restart fails, each attempt is logged with a growing wait,
// and the server comes back once the configuration is fixed.
func TestSuperviseBacksOff(t *testing.T) {
	t.Parallel()
	rec, log := newRecorder(t)
	c := newCluster(t, filepath.Join(reachableTempDir(t), "data"), log)
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	supervise(t, c, Supervision{Poll: 50 * time.Millisecond, MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	conf := filepath.Join(c.pgdata(), "postgresql.conf")
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	// Read only when the server starts.
	if err := os.WriteFile(conf, append(orig, "no_such_setting = 1\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	killPostmaster(t, c)
	failures := waitLog(t, rec, "restarting the embedded PostgreSQL server failed", 4)
	for i, want := range []string{"retry_in=100ms", "retry_in=200ms", "retry_in=400ms", "retry_in=400ms"} {
		if !strings.Contains(failures[i], want) || !strings.Contains(failures[i], "attempt="+strconv.Itoa(i+1)) {
			t.Errorf("failure %d logged as %q, want attempt=%d and %s", i+1, failures[i], i+1, want)
		}
		if !strings.Contains(failures[i], "no_such_setting") {
			t.Errorf("failure %d logged as %q, want the cause from postgres.log", i+1, failures[i])
		}
	}
	if err := os.WriteFile(conf, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	back := waitLog(t, rec, "the embedded PostgreSQL server is back", 1)
	t.Logf("%s", back[0])
	checkDatabase(t, t.Context(), c)
}
