package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// insertComuneSQL adds a comune; $1 code, $2 name.
const insertComuneSQL = `INSERT INTO comuni (istat_code, name, province_code, source, geom)
	VALUES ($1, $2, '019', 'test', ST_Multi(ST_MakeEnvelope(9.66, 45.34, 9.71, 45.39, 4326)))`

// TestTranslate provokes each error for real on a migrated database and
// checks the kind, the client-safe message and the fields it becomes.
func TestTranslate(t *testing.T) {
	db := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := db.Write.Exec(ctx, insertComuneSQL, "019035", "Crema"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		run        func(ctx context.Context, pool *pgxpool.Pool) error
		wantKind   apperr.Kind
		wantMsg    string // the whole message
		wantFields []apperr.FieldError
		wantCode   string // SQLSTATE of the cause, when it is a PgError
	}{
		{
			name: "no rows",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				var name string
				return pool.QueryRow(ctx, `SELECT name FROM comuni WHERE istat_code = '019999'`).Scan(&name)
			},
			wantKind: apperr.NotFound, wantMsg: "not found",
		},
		{
			name: "unique violation",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				_, err := pool.Exec(ctx, insertComuneSQL, "019035", "Crema again")
				return err
			},
			wantKind: apperr.Conflict, wantMsg: "already exists", wantCode: "23505",
		},
		{
			name: "check violation names the constraint",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				_, err := pool.Exec(ctx, insertComuneSQL, "19035", "Crema")
				return err
			},
			wantKind: apperr.Invalid, wantMsg: "rejected by a database constraint (comuni_istat_code_check)", wantCode: "23514",
		},
		{
			name: "not-null violation names the column",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				_, err := pool.Exec(ctx, insertComuneSQL, "019036", nil)
				return err
			},
			wantKind: apperr.Invalid, wantMsg: "name: is required", wantCode: "23502",
			wantFields: []apperr.FieldError{{Field: "name", Reason: "is required"}},
		},
		{
			name: "foreign key violation",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				_, err := pool.Exec(ctx, `INSERT INTO cp_plans (istat_code) VALUES ('019999')`)
				return err
			},
			wantKind: apperr.Conflict, wantMsg: "refers to something that does not exist, or is still referred to", wantCode: "23503",
		},
		{
			name: "invalid text representation",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				_, err := pool.Exec(ctx, `SELECT 'twelve'::int`)
				return err
			},
			wantKind: apperr.Invalid, wantMsg: "rejected by a database constraint", wantCode: "22P02",
		},
		{
			name: "our trigger's conflict keeps its message",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				// A submitted plan is frozen (migrations/00005).
				return store.InTx(ctx, pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, `INSERT INTO cp_plans (istat_code, status) VALUES ('019035', 'submitted')`); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `INSERT INTO cp_buildings (istat_code, kind, name, geom)
						VALUES ('019035', 'municipio', 'Palazzo Comunale', ST_SetSRID(ST_MakePoint(9.6857, 45.3627), 4326))`)
					return err
				})
			},
			wantKind: apperr.Conflict, wantCode: store.ConflictCode,
			wantMsg: "the civil-protection plan of comune 019035 is submitted: it cannot change until it is validated or returned",
		},
		{
			name: "the territory rule keeps its message and names the geometry",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				// 0.01° east of the test comune's edge at 9.71 E: about 783 m in UTM zone 32 (migrations/00011).
				_, err := pool.Exec(ctx, `INSERT INTO cp_buildings (istat_code, kind, name, geom)
					VALUES ('019035', 'municipio', 'Altrove', ST_SetSRID(ST_MakePoint(9.72, 45.36), 4326))`)
				return err
			},
			wantKind: apperr.Unprocessable, wantCode: store.TerritoryCode,
			wantMsg:    "geometry: lies 783 m outside comune 019035 (Crema); at most 50 m are tolerated along the border",
			wantFields: []apperr.FieldError{{Field: "geometry", Reason: "lies 783 m outside comune 019035 (Crema); at most 50 m are tolerated along the border"}},
		},
		{
			name: "statement timeout",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				return store.InTx(ctx, pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 50`); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `SELECT pg_sleep(5)`)
					return err
				})
			},
			wantKind: apperr.Unavailable, wantMsg: "the query took too long", wantCode: "57014",
		},
		{
			name: "context deadline during a query",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
				_, err := pool.Exec(ctx, `SELECT pg_sleep(5)`)
				return err
			},
			// The pool sends PostgreSQL a cancel request, which answers 57014.
			wantKind: apperr.Unavailable, wantMsg: "the query took too long", wantCode: "57014",
		},
		{
			// The same 57014 comes back when the client leaves mid-query:
			// Translate has no context to tell it from a timeout, so the
			// callers that have one do (httpapi.writeError, tiles.Tile).
			name: "client gone during a query reads as a timeout",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				ctx, cancel := context.WithCancel(ctx)
				time.AfterFunc(100*time.Millisecond, cancel)
				_, err := pool.Exec(ctx, `SELECT pg_sleep(5)`)
				return err
			},
			wantKind: apperr.Unavailable, wantMsg: "the query took too long", wantCode: "57014",
		},
		{
			name: "client gone before the query",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				_, err := pool.Exec(ctx, `SELECT 1`)
				return err
			},
			wantKind: apperr.Canceled, wantMsg: "request cancelled",
		},
		{
			name: "other errors are internal",
			run: func(ctx context.Context, pool *pgxpool.Pool) error {
				_, err := pool.Exec(ctx, `SELECT * FROM no_such_table`)
				return err
			},
			wantKind: apperr.Internal, wantMsg: "", wantCode: "42P01",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause := tt.run(ctx, db.Write)
			if cause == nil {
				t.Fatalf("%s: no error from the database", tt.name)
			}
			err := store.Translate("test.Op", cause)
			var ae *apperr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("Translate(%v) = %T, want *apperr.Error", cause, err)
			}
			if ae.Kind != tt.wantKind || ae.Msg != tt.wantMsg || ae.Op != "test.Op" {
				t.Fatalf("Translate(%v) = {Op %q, Kind %v, Msg %q}, want {test.Op, %v, %q}", cause, ae.Op, ae.Kind, ae.Msg, tt.wantKind, tt.wantMsg)
			}
			if !slices.Equal(ae.Fields, tt.wantFields) {
				t.Errorf("Translate(%v).Fields = %v, want %v", cause, ae.Fields, tt.wantFields)
			}
			if !errors.Is(err, cause) {
				t.Errorf("Translate(%v) does not wrap the cause", cause)
			}
			var pe *pgconn.PgError
			if errors.As(err, &pe) != (tt.wantCode != "") || (pe != nil && pe.Code != tt.wantCode) {
				t.Errorf("Translate(%v): cause %v, want SQLSTATE %q", cause, pe, tt.wantCode)
			}
		})
	}
	// The pool is still usable after the cancellations.
	var one int
	if err := db.Write.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 after the cases = %d, %v", one, err)
	}
}

func TestTranslateWithoutDatabase(t *testing.T) {
	known := apperr.New("comuni.Find", apperr.NotFound, "comune %s not found", "019999")
	wrapped := fmt.Errorf("loading: %w", known)
	tests := []struct {
		name     string
		err      error
		wantKind apperr.Kind
		same     bool // returned unchanged
	}{
		{"an apperr passes through", known, apperr.NotFound, true},
		{"a wrapped apperr passes through", wrapped, apperr.NotFound, true},
		{"an apperr around a cancellation keeps its kind", apperr.Wrap("x", apperr.Invalid, context.Canceled, "bad"), apperr.Invalid, true},
		{"a bare cancellation", context.Canceled, apperr.Canceled, false},
		{"a wrapped cancellation", fmt.Errorf("copy: %w", context.Canceled), apperr.Canceled, false},
		{"a bare deadline", context.DeadlineExceeded, apperr.Unavailable, false},
		{"no rows, wrapped", fmt.Errorf("scan: %w", pgx.ErrNoRows), apperr.NotFound, false},
		{"a closed transaction", pgx.ErrTxClosed, apperr.Unavailable, false},
		{"an admin shutdown", &pgconn.PgError{Code: "57P01"}, apperr.Unavailable, false},
		{"too many connections", &pgconn.PgError{Code: "53300"}, apperr.Unavailable, false},
		{"a connection that broke under a query", io.ErrUnexpectedEOF, apperr.Unavailable, false},
		{"a connection reset by a remote server", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, apperr.Unavailable, false},
		{"a plain error", errors.New("boom"), apperr.Internal, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := store.Translate("test.Op", tt.err)
			if k := apperr.KindOf(got); k != tt.wantKind {
				t.Errorf("Translate(%v) kind = %v, want %v", tt.err, k, tt.wantKind)
			}
			if tt.same && got != tt.err {
				t.Errorf("Translate(%v) = %v, want it unchanged", tt.err, got)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Translate(%v) = %v, which does not wrap it", tt.err, got)
			}
		})
	}
	if got := store.Translate("test.Op", nil); got != nil {
		t.Fatalf("Translate(nil) = %v, want nil", got)
	}
	// Internal errors show no message: the cause is only logged.
	if msg := apperr.Message(store.Translate("test.Op", errors.New("password=secret"))); msg != "" {
		t.Fatalf("Translate(plain).Msg = %q, want none", msg)
	}
}

func TestTranslateUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nobody listens, the connection is refused.
	_, err := pgx.Connect(ctx, "postgres://atlante@127.0.0.1:1/atlante?connect_timeout=5")
	if err == nil {
		t.Fatal("connected to 127.0.0.1:1")
	}
	got := store.Translate("test.Op", err)
	if k := apperr.KindOf(got); k != apperr.Unavailable || apperr.Message(got) != "the database is not available" {
		t.Fatalf("Translate(%v) = %v (%v), want Unavailable", err, got, k)
	}
}

func TestVersions(t *testing.T) {
	db := storetest.NewDB(t)
	ctx := context.Background()
	vs, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		t.Fatalf("NewVersions: %v", err)
	}
	comuni, civici := vs.Of("comuni"), vs.Of("civici")
	if comuni < 1 || civici < 1 {
		t.Fatalf("Of(comuni), Of(civici) = %d, %d, want versions of at least 1 (every layer table is registered)", comuni, civici)
	}
	tests := []struct {
		name   string
		tables []string
		want   int64
	}{
		{"none", nil, 0},
		{"unknown table", []string{"no_such_table"}, 0},
		{"one", []string{"comuni"}, comuni},
		{"two are summed", []string{"comuni", "civici"}, comuni + civici},
		{"unknown tables add nothing", []string{"comuni", "no_such_table", "civici"}, comuni + civici},
	}
	for _, tt := range tests {
		if got := vs.Of(tt.tables...); got != tt.want {
			t.Errorf("Of(%v) = %d, want %d (%s)", tt.tables, got, tt.want, tt.name)
		}
	}

	// One statement is one bump, whatever the rows it touches; the
	// version is seen after Refresh, not before.
	if _, err := db.Write.Exec(ctx, insertComuneSQL, "019035", "Crema"); err != nil {
		t.Fatal(err)
	}
	if got := vs.Of("comuni"); got != comuni {
		t.Fatalf("Of(comuni) before Refresh = %d, want %d", got, comuni)
	}
	if err := vs.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if got := vs.Of("comuni"); got != comuni+1 {
		t.Fatalf("Of(comuni) after an insert = %d, want %d", got, comuni+1)
	}
	if got := vs.Of("comuni", "civici"); got != comuni+1+civici {
		t.Fatalf("Of(comuni, civici) = %d, want %d", got, comuni+1+civici)
	}
	// A statement that changes no row still bumps: the trigger is
	// per statement, and a cache must never keep a stale tile.
	if _, err := db.Write.Exec(ctx, `UPDATE comuni SET name = name WHERE istat_code = '000000'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(ctx, `UPDATE comuni SET name = 'Crema (CR)'`); err != nil {
		t.Fatal(err)
	}
	if err := vs.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := vs.Of("comuni"); got != comuni+3 {
		t.Fatalf("Of(comuni) after two more statements = %d, want %d", got, comuni+3)
	}
	if got := vs.Of("civici"); got != civici {
		t.Fatalf("Of(civici) = %d after writes to comuni only, want %d", got, civici)
	}
}

func TestVersionsPoll(t *testing.T) {
	db := storetest.NewDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vs, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	before := vs.Of("comuni")
	var logs strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		vs.Poll(ctx, 10*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	if _, err := db.Write.Exec(ctx, insertComuneSQL, "019035", "Crema"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for vs.Of("comuni") == before {
		if time.Now().After(deadline) {
			t.Fatalf("Of(comuni) = %d 5 s after a write, want it bumped by Poll", before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Poll still running 5 s after its context was cancelled")
	}
	// A cancelled poll is not an outage.
	if logs.Len() != 0 {
		t.Fatalf("Poll logged %q", logs.String())
	}
}

// TestVersionsInTx checks that a write through Versions.InTx is known to
// the same Versions when InTx returns, that a failed transaction changes
// nothing, and that a nil Versions still runs the transaction.
func TestVersionsInTx(t *testing.T) {
	db := storetest.NewDB(t)
	ctx := context.Background()
	vs, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	before := vs.Of("comuni")
	insert := func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, insertComuneSQL, "019035", "Crema")
		return err
	}
	if err := vs.InTx(ctx, db.Write, insert); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if got := vs.Of("comuni"); got != before+1 {
		t.Fatalf("Of(comuni) when InTx returned = %d, want %d", got, before+1)
	}

	errStop := errors.New("stop")
	err = vs.InTx(ctx, db.Write, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, insertComuneSQL, "019001", "Agnadello"); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if got := vs.Of("comuni"); got != before+1 {
		t.Fatalf("Of(comuni) after a rolled-back write = %d, want %d", got, before+1)
	}

	var none *store.Versions
	if err := none.InTx(ctx, db.Write, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE comuni SET name = 'Crema (CR)'`)
		return err
	}); err != nil {
		t.Fatalf("nil Versions: InTx: %v", err)
	}
	var name string
	if err := db.Read.QueryRow(ctx, `SELECT name FROM comuni`).Scan(&name); err != nil || name != "Crema (CR)" {
		t.Fatalf("nil Versions: the write did not commit: %q, %v", name, err)
	}
}

// TestVersionsNeverGoBack checks that a refresh that read older numbers
// (one that started before a concurrent refresh and finished after it)
// does not turn a version back, which would make caches serve data older
// than what this instance already served.
func TestVersionsNeverGoBack(t *testing.T) {
	db := storetest.NewDB(t)
	ctx := context.Background()
	vs, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(ctx, insertComuneSQL, "019035", "Crema"); err != nil {
		t.Fatal(err)
	}
	if err := vs.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	seen := vs.Of("comuni")
	// What an older read would return.
	if _, err := db.Write.Exec(ctx, `UPDATE layer_versions SET version = version - 1 WHERE table_name = 'comuni'`); err != nil {
		t.Fatal(err)
	}
	if err := vs.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := vs.Of("comuni"); got != seen {
		t.Fatalf("Of(comuni) after reading an older version = %d, want %d kept", got, seen)
	}
}
