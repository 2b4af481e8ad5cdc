package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/localpg"
	"github.com/cremasco/atlante/internal/store"
)

// TestTranslateLostConnection kills every process of a private cluster
// (the postmaster and the backend of a pooled connection), as the OOM
// killer might, while a query runs: the connection breaks under the query,
// with no error message from the server. That is the database not being
// available (503 and Retry-After), not an internal error (500). Once the
// cluster is started again, the same pool answers.
func TestTranslateLostConnection(t *testing.T) {
	dir := t.TempDir()
	// As root the server runs as postgres, which must reach the data dir.
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
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
	ctx := t.Context()
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Config{URL: c.URL(localpg.DefaultDatabase), MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// The query in flight, run the ways the stores run theirs.
	inFlight := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"Exec", func(ctx context.Context) error {
			_, err := db.Read.Exec(ctx, "SELECT pg_sleep(30)")
			return err
		}},
		{"QueryRow", func(ctx context.Context) error {
			var s string
			return db.Read.QueryRow(ctx, "SELECT pg_sleep(30)::text").Scan(&s)
		}},
		{"Query with rows", func(ctx context.Context) error {
			rows, err := db.Read.Query(ctx, "SELECT g, pg_sleep(CASE WHEN g = 3 THEN 30 ELSE 0 END)::text FROM generate_series(1, 5) g")
			if err != nil {
				return err
			}
			_, err = pgx.CollectRows(rows, pgx.RowToMap)
			return err
		}},
		{"transaction", func(ctx context.Context) error {
			return store.InTx(ctx, db.Write, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "SELECT pg_sleep(30)")
				return err
			})
		}},
	}
	for _, op := range inFlight {
		var backend int
		if err := db.Read.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
			t.Fatal(err)
		}
		postmaster := readPID(t, filepath.Join(c.Dir(), "pgdata", "postmaster.pid"))
		// A query in flight on that connection (MaxConns is 1) ...
		errc := make(chan error, 1)
		go func() { errc <- op.run(ctx) }()
		time.Sleep(300 * time.Millisecond)
		// ... when every process of the cluster is killed.
		for _, pid := range []int{postmaster, backend} {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatalf("kill -9 %d: %v", pid, err)
			}
		}
		var err error
		select {
		case err = <-errc:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the query did not end 20 s after its backend was killed", op.name)
		}
		got := store.Translate("test.Op", err)
		if k := apperr.KindOf(got); err == nil || k != apperr.Unavailable {
			t.Errorf("%s: a query whose connection broke: Translate(%v) = %v (kind %v), want Unavailable", op.name, err, got, k)
		}
		t.Logf("%s: %v (%T)", op.name, err, errors.Unwrap(err))

		var one int
		// The next query finds no server: that is unavailable too.
		err = db.Read.QueryRow(ctx, "SELECT 1").Scan(&one)
		if k := apperr.KindOf(store.Translate("test.Op", err)); k != apperr.Unavailable {
			t.Errorf("%s: SELECT 1 with the server down: %v (kind %v), want Unavailable", op.name, err, k)
		}

		// Until its parent reaps it, the dead postmaster holds its pid and
		// PostgreSQL will not start.
		for syscall.Kill(postmaster, 0) == nil {
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := c.Start(ctx); err != nil {
			t.Fatalf("%s: restart: %v", op.name, err)
		}
		if err := db.Read.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Fatalf("%s: SELECT 1 after the restart: %v", op.name, err)
		}
	}
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pid
}
