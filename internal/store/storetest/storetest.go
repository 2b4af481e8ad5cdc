// Package storetest gives tests a fresh, migrated PostGIS database of their
// own. It uses ATLANTE_TEST_DATABASE_URL (a role that may create databases)
// or else starts the embedded cluster in <repo>/.atlante/test. One migrated
// template database is built per migration set; each test gets a copy that
// is dropped when the test ends. There is no skip: without a database the
// test fails and says how to get one.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/localpg"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/migrations"
)

// EnvURL names the variable that points tests at an existing server.
const EnvURL = "ATLANTE_TEST_DATABASE_URL"

var (
	setupOnce sync.Once
	adminURL  string // a URL whose database we use to create and drop others
	template  string // name of the migrated template database
	setupErr  error
)

// RepoRoot returns the repository root (the directory with go.mod), so
// tests can find ../shared/data and testdata wherever they run.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := repoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("storetest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// SharedData returns the path of a file in ../shared/data beside the
// repository, failing the test if it is missing.
func SharedData(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(RepoRoot(tb), "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("reference data %s is missing: %v (the repository expects ../shared beside it)", p, err)
	}
	return p
}

// NewDB returns a fresh migrated database for this test, opened with the
// store's own pools, and drops it when the test ends.
func NewDB(tb testing.TB) *store.DB {
	tb.Helper()
	url := NewURL(tb)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: url, MaxConns: 8})
	if err != nil {
		tb.Fatalf("storetest: open test database: %v", err)
	}
	tb.Cleanup(db.Close)
	return db
}

// NewURL creates a fresh migrated database for this test and returns its
// URL; the database is dropped when the test ends.
func NewURL(tb testing.TB) string {
	tb.Helper()
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		tb.Fatalf("storetest: no test database: %v\n(run `make test`, which installs and starts PostgreSQL+PostGIS, or set %s)", setupErr, EnvURL)
	}
	ctx := context.Background()
	name := "atlante_test_" + randomHex(6)
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize()); err != nil {
		tb.Fatalf("storetest: create database from template: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			tb.Errorf("storetest: drop %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("storetest: drop %s: %v", name, err)
		}
	})
	return withDatabase(adminURL, name)
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	adminURL = os.Getenv(EnvURL)
	if adminURL == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		c, err := localpg.New(localpg.Options{DataDir: filepath.Join(root, ".atlante", "test"), Fast: true})
		if err != nil {
			return err
		}
		// Left running for the next test binary; `make test` stops it.
		if _, err := c.Start(ctx); err != nil {
			return err
		}
		adminURL = c.URL(localpg.DefaultDatabase)
	}
	sum, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "atlante_template_" + sum
	return ensureTemplate(ctx)
}

// ensureTemplate builds the migrated template once; an advisory lock keeps
// parallel test binaries from building it twice.
func ensureTemplate(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7353)"); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(7353)")
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", template).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := template + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{URL: withDatabase(adminURL, building)})
	if err != nil {
		return err
	}
	err = store.Migrate(ctx, db.Write, slog.New(slog.DiscardHandler))
	db.Close()
	if err != nil {
		return err
	}
	// Renamed only once complete, so a crash mid-way never leaves a
	// half-migrated template behind.
	_, err = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{template}.Sanitize())
	return err
}

// migrationsHash names the template after the migration files, so a
// changed migration gets a new template.
func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12], err
}

func withDatabase(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Scheme == "" {
		// A keyword/value DSN: a later dbname wins.
		return u + " dbname=" + name
	}
	parsed.Path = "/" + name
	return parsed.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
