// Package store owns Atlante's connections to PostgreSQL: the pgx pools
// (primary and optional read replica), migrations, transactions, COPY, and the
// translation of PostgreSQL errors into apperr kinds.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/tracelog"

	"github.com/cremasco/atlante/internal/apperr"
)

// Config says how to reach the database.
type Config struct {
	URL              string        // primary, read-write
	ReadURL          string        // optional read replica for public reads
	MaxConns         int32         // per pool; 0 means pgxpool's default
	StatementTimeout time.Duration // server-side backstop for every statement; 0 means 60s
	// SerialQueries turns off parallel query plans: a server under
	// concurrent load has no idle core for them, and measured on 2 cores
	// they cost throughput (bbox pages of 10,000 civici: 83 -> 100 per s).
	SerialQueries bool
	// MaxLag is how far the replica may fall behind before public reads
	// go to the primary; 0 means DefaultMaxLag.
	MaxLag time.Duration
	// PgBouncer says the URLs lead to PgBouncer in transaction pooling
	// mode: no named prepared statements (pgx's default statement cache)
	// and no startup parameters PgBouncer refuses (statement_timeout and
	// the parallel-query switch must then be set on the server: ALTER ROLE
	// ... SET, or PgBouncer's connect_query).
	PgBouncer bool
	Logger    *slog.Logger
}

// DB holds the pools. Write goes to the primary; Read is the replica's pool
// when one is configured and the primary's otherwise; Reads routes public
// reads between them by the replica's health (see Reads).
type DB struct {
	Write *pgxpool.Pool
	Read  *pgxpool.Pool
	Reads *Reads
}

// replicaPingTimeout bounds the start-up check of the replica, which may
// be away: the service starts anyway and reads from the primary.
const replicaPingTimeout = 5 * time.Second

// Open connects the pools and pings the primary, so a bad URL fails at
// start-up. A replica that does not answer yet is only logged: public
// reads go to the primary until Reads finds it healthy.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.URL == "" {
		return nil, errors.New("store: no database URL")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w, err := newPool(ctx, cfg.URL, cfg)
	if err != nil {
		return nil, err
	}
	if err := ping(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	db := &DB{Write: w, Read: w}
	var replica *pgxpool.Pool
	if cfg.ReadURL != "" && cfg.ReadURL != cfg.URL {
		r, err := newPool(ctx, cfg.ReadURL, cfg)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("store: read replica: %w", err)
		}
		pctx, cancel := context.WithTimeout(ctx, replicaPingTimeout)
		if err := ping(pctx, r); err != nil {
			logger.Warn("the read replica does not answer; public reads go to the primary until it does", "err", err)
		}
		cancel()
		db.Read, replica = r, r
	}
	db.Reads = NewReads(w, replica, cfg.MaxLag, logger)
	if cfg.PgBouncer {
		checkServerTimeout(ctx, w, logger)
	}
	return db, nil
}

// checkServerTimeout warns when, through PgBouncer, the server has no
// statement_timeout of its own: Atlante cannot set it there.
func checkServerTimeout(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) {
	var timeout string
	if err := pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&timeout); err != nil {
		logger.Warn("cannot read statement_timeout through PgBouncer", "err", err)
		return
	}
	if timeout == "0" {
		logger.Warn("through PgBouncer the server's statement_timeout is off: set it for Atlante's role (ALTER ROLE ... SET statement_timeout = '25s') or in PgBouncer's connect_query; request deadlines still cancel queries")
	}
}

// Close closes the pools.
func (db *DB) Close() {
	if db.Read != db.Write {
		db.Read.Close()
	}
	db.Write.Close()
}

func newPool(ctx context.Context, url string, cfg Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may contain the URL and so a password: keep it out.
		return nil, errors.New("store: cannot parse the database URL")
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	timeout := cfg.StatementTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	rp := pc.ConnConfig.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = "atlante"
	}
	rp["timezone"] = "UTC"
	if cfg.PgBouncer {
		// Transaction pooling hands each transaction to any server
		// connection: a named prepared statement made on one is missing on
		// the next. Unnamed statements with cached descriptions work, unless
		// the URL chose a mode itself.
		if !strings.Contains(url, "default_query_exec_mode") {
			pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
		}
	} else {
		rp["statement_timeout"] = fmt.Sprint(timeout.Milliseconds())
		if cfg.SerialQueries {
			rp["max_parallel_workers_per_gather"] = "0"
		}
	}
	// A cancelled context sends a cancel request to PostgreSQL, so the query
	// stops there too; pgx's default only drops the socket.
	pc.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: 50 * time.Millisecond, DeadlineDelay: 2 * time.Second}
	}
	if cfg.Logger != nil && cfg.Logger.Enabled(ctx, slog.LevelDebug) {
		pc.ConnConfig.Tracer = &tracelog.TraceLog{Logger: sqlLogger{cfg.Logger}, LogLevel: tracelog.LogLevelDebug}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return pool, nil
}

func ping(ctx context.Context, pool *pgxpool.Pool) error {
	if err := pool.Ping(ctx); err != nil {
		c := pool.Config().ConnConfig
		return fmt.Errorf("store: database unreachable (%s@%s/%s): %w", c.User, c.Host, c.Database, err)
	}
	return nil
}

// sqlLogger sends pgx's trace lines to slog at debug level.
type sqlLogger struct{ l *slog.Logger }

func (s sqlLogger) Log(ctx context.Context, _ tracelog.LogLevel, msg string, data map[string]any) {
	attrs := make([]slog.Attr, 0, len(data))
	for k, v := range data {
		if k == "args" {
			continue // arguments may hold personal data or tokens
		}
		attrs = append(attrs, slog.Any(k, v))
	}
	s.l.LogAttrs(ctx, slog.LevelDebug, "sql "+msg, attrs...)
}

// Beginner starts transactions: a pool, or Reads (on the primary).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// InTx runs fn in a transaction on pool: committed when fn returns nil,
// rolled back otherwise.
func InTx(ctx context.Context, pool Beginner, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, fn)
}

// ConflictCode is the SQLSTATE our triggers raise when a change conflicts
// with an object's state (a frozen plan); its message is shown to users.
const ConflictCode = "AT409"

// TerritoryCode is the SQLSTATE of the territory rule (migration 00011): a
// feature's geometry lies outside the comune its istat_code names. Its
// message names the comune and the distance and is shown to users.
const TerritoryCode = "AT422"

// Translate maps an error from pgx to an apperr kind where its meaning is
// known and wraps it with op. Errors that already carry a kind pass through.
func Translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &apperr.Error{Op: op, Kind: apperr.Canceled, Msg: "request cancelled", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &apperr.Error{Op: op, Kind: apperr.Unavailable, Msg: "the query took too long", Err: err}
	case errors.Is(err, pgx.ErrNoRows):
		return &apperr.Error{Op: op, Kind: apperr.NotFound, Msg: "not found", Err: err}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case ConflictCode:
			// Raised by our own triggers with a message written for users.
			return &apperr.Error{Op: op, Kind: apperr.Conflict, Msg: pe.Message, Err: err}
		case TerritoryCode:
			return &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: "geometry: " + pe.Message, Err: err,
				Fields: []apperr.FieldError{{Field: "geometry", Reason: pe.Message}}}
		case "23514":
			msg := "rejected by a database constraint"
			if pe.ConstraintName != "" {
				msg += " (" + pe.ConstraintName + ")"
			}
			return &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: msg, Err: err}
		case "23502":
			msg := "a required value is missing"
			if pe.ColumnName != "" {
				return &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: pe.ColumnName + ": is required", Err: err,
					Fields: []apperr.FieldError{{Field: pe.ColumnName, Reason: "is required"}}}
			}
			return &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: msg, Err: err}
		case "23505":
			return &apperr.Error{Op: op, Kind: apperr.Conflict, Msg: "already exists", Err: err}
		case "23503":
			return &apperr.Error{Op: op, Kind: apperr.Conflict, Msg: "refers to something that does not exist, or is still referred to", Err: err}
		case "22P02", "22023", "XX000":
			return &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: "rejected by a database constraint", Err: err}
		case "57014":
			return &apperr.Error{Op: op, Kind: apperr.Unavailable, Msg: "the query took too long", Err: err}
		case "53300", "57P01", "57P02", "57P03":
			return &apperr.Error{Op: op, Kind: apperr.Unavailable, Msg: "the database is not available", Err: err}
		}
	}
	if pgconn.SafeToRetry(err) || errors.Is(err, pgx.ErrTxClosed) {
		return &apperr.Error{Op: op, Kind: apperr.Unavailable, Msg: "the database is not available", Err: err}
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return &apperr.Error{Op: op, Kind: apperr.Unavailable, Msg: "the database is not available", Err: err}
	}
	if lostConnection(err) {
		return &apperr.Error{Op: op, Kind: apperr.Unavailable, Msg: "the connection to the database was lost", Err: err}
	}
	return &apperr.Error{Op: op, Kind: apperr.Internal, Err: err}
}

// lostConnection reports whether err is the connection breaking under a
// query: the server died without a word (killed with its postmaster, a
// restart, a network cut). pgx returns the bare read error then, e.g.
// io.ErrUnexpectedEOF; the pool drops the connection and the next request
// gets a new one.
func lostConnection(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}
