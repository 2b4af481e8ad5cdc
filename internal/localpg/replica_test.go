package localpg

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReplica makes a streaming standby of a fresh cluster and checks what
// the read-replica tests rely on: it follows the primary's writes, refuses
// writes itself, stands still while replay is paused (and says so), comes
// back after a stop, and after Promote takes writes of its own.
func TestReplica(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, log := newRecorder(t)
	base := reachableTempDir(t)
	c := newCluster(t, filepath.Join(base, "data"), log)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	primary := connect(t, ctx, c.URL(DefaultDatabase))
	exec := func(sql string) {
		t.Helper()
		if _, err := primary.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE TABLE t (n int)")
	exec("INSERT INTO t VALUES (1)")

	r, err := c.NewReplica(ctx, filepath.Join(base, "replica"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Remove(context.Background()); err != nil {
			t.Errorf("Remove replica: %v", err)
		}
	})
	if r.URL("x") == c.URL("x") {
		t.Fatalf("replica URL = primary URL %s", r.URL("x"))
	}
	count := func() int {
		t.Helper()
		conn := connect(t, ctx, r.URL(DefaultDatabase))
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatalf("replica: %v", err)
		}
		return n
	}
	caughtUp := func() {
		t.Helper()
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("rows on the replica after the base backup = %d, want 1", n)
	}
	exec("INSERT INTO t VALUES (2)")
	caughtUp()
	if n := count(); n != 2 {
		t.Fatalf("rows on the replica after a write on the primary = %d, want 2", n)
	}
	conn := connect(t, ctx, r.URL(DefaultDatabase))
	if _, err := conn.Exec(ctx, "INSERT INTO t VALUES (3)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write on the standby: %v, want a read-only error", err)
	}

	if err := r.PauseReplay(ctx); err != nil {
		t.Fatal(err)
	}
	exec("INSERT INTO t VALUES (3)")
	time.Sleep(300 * time.Millisecond)
	if n := count(); n != 2 {
		t.Fatalf("rows on the replica with replay paused = %d, want still 2", n)
	}
	if err := r.ResumeReplay(ctx); err != nil {
		t.Fatal(err)
	}
	caughtUp()
	if n := count(); n != 3 {
		t.Fatalf("rows after replay resumed = %d, want 3", n)
	}

	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	exec("INSERT INTO t VALUES (4)")
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	caughtUp()
	if n := count(); n != 4 {
		t.Fatalf("rows after the replica was stopped and started = %d, want 4", n)
	}

	if err := r.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	promoted := connect(t, ctx, r.URL(DefaultDatabase))
	if _, err := promoted.Exec(ctx, "INSERT INTO t VALUES (5)"); err != nil {
		t.Fatalf("a write on the promoted replica: %v", err)
	}
	exec("INSERT INTO t VALUES (6)")
	var n int
	if err := promoted.QueryRow(ctx, "SELECT count(*) FROM t WHERE n = 6").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the promoted replica still follows the primary: %d, %v", n, err)
	}
}
