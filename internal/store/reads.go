package store

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier runs statements: a pool, a transaction, or Reads.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Begin(ctx context.Context) (pgx.Tx, error)
}

// DefaultMaxLag is how far behind the primary a replica may fall before
// public reads leave it.
const DefaultMaxLag = 10 * time.Second

// Replica states, as /readyz reports them.
const (
	ReplicaNone     = "none"     // no DATABASE_READ_URL
	ReplicaOK       = "ok"       // streaming, within the lag bound
	ReplicaLagging  = "lagging"  // reachable, but further behind than the bound
	ReplicaDown     = "down"     // unreachable or failing
	ReplicaPromoted = "promoted" // not in recovery: no longer a standby of the primary
	ReplicaUnknown  = "unknown"  // not measured yet, or the primary cannot be asked
)

// ReadsStatus is what Reads knows about the replica.
type ReadsStatus struct {
	Replica     string        // one of the Replica* states
	Lag         time.Duration // replay lag when measured (0: caught up)
	FromReplica bool          // public reads go to the replica now
	Err         string        // why the replica is down, for the operator
	Checked     time.Time     // when it was last measured
}

// Reads sends public reads to the read replica while it is a healthy
// standby of the primary, within MaxLag of it, and to the primary
// otherwise, without a restart either way. Without a replica every read
// goes to the primary. Exec and Begin always go to the primary: they are
// for writes, and a transaction must see its own.
//
// Lag is measured against the primary, not from the replica's replay
// timestamp (which stands still while the primary is idle): each check
// notes the primary's flushed WAL position and its time, and the replica's
// lag is the age of the oldest noted position it has not replayed yet.
//
// Caches are keyed by data versions (Versions), which must never be ahead
// of the data they key. While reads go to the primary the versions are
// read from the primary; reads return to the replica only once its
// versions have caught up with those the instance holds (see Versions), so
// that no entry built from the replica is stored under a newer version.
type Reads struct {
	primary, replica *pgxpool.Pool
	maxLag           time.Duration
	log              *slog.Logger

	fromReplica atomic.Bool
	status      atomic.Pointer[ReadsStatus]

	mu       sync.Mutex // check
	samples  []walSample
	failed   int       // consecutive checks the replica failed
	versions *Versions // gates the return to the replica; nil: none
}

type walSample struct {
	at  time.Time
	lsn int64
}

// maxSamples bounds the positions kept while a replica stands still; past
// it every other one is dropped (the oldest is kept: it gives the lag).
const maxSamples = 4096

// NewReads routes reads between primary and replica (nil: none). Until the
// first Check, reads go to the primary.
func NewReads(primary, replica *pgxpool.Pool, maxLag time.Duration, logger *slog.Logger) *Reads {
	if maxLag <= 0 {
		maxLag = DefaultMaxLag
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reads{primary: primary, replica: replica, maxLag: maxLag, log: logger}
	st := ReplicaNone
	if replica != nil {
		st = ReplicaUnknown
	}
	r.status.Store(&ReadsStatus{Replica: st})
	return r
}

// Primary returns the primary's pool.
func (r *Reads) Primary() *pgxpool.Pool { return r.primary }

// Replica returns the replica's pool, nil without one.
func (r *Reads) Replica() *pgxpool.Pool { return r.replica }

// MaxLag returns the lag bound.
func (r *Reads) MaxLag() time.Duration { return r.maxLag }

// Status returns the replica's last measured state.
func (r *Reads) Status() ReadsStatus {
	st := *r.status.Load()
	st.FromReplica = r.fromReplica.Load()
	return st
}

// Pool returns the pool public reads go to now.
func (r *Reads) Pool() *pgxpool.Pool {
	if r.replica != nil && r.fromReplica.Load() {
		return r.replica
	}
	return r.primary
}

// Query runs a public read where reads go now.
func (r *Reads) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return r.Pool().Query(ctx, sql, args...)
}

// QueryRow runs a public read where reads go now.
func (r *Reads) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return r.Pool().QueryRow(ctx, sql, args...)
}

// SendBatch runs a batch of public reads where reads go now.
func (r *Reads) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return r.Pool().SendBatch(ctx, b)
}

// Exec runs a statement on the primary.
func (r *Reads) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return r.primary.Exec(ctx, sql, args...)
}

// Begin starts a transaction on the primary.
func (r *Reads) Begin(ctx context.Context) (pgx.Tx, error) { return r.primary.Begin(ctx) }

// Monitor checks the replica every interval until ctx is done. Without a
// replica it returns at once.
func (r *Reads) Monitor(ctx context.Context, interval time.Duration) {
	if r.replica == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkTimeout bounds each query of a check.
const checkTimeout = 5 * time.Second

// downAfter is how many checks in a row a replica must fail to count as
// down: one slow answer on a loaded machine must not move the reads.
const downAfter = 2

// Check measures the replica once and routes reads accordingly.
func (r *Reads) Check(ctx context.Context) {
	if r.replica == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := *r.status.Load()
	now := time.Now()
	st := ReadsStatus{Checked: now}

	// The primary's position first, the replica's replay second: a replica
	// that has caught up then has replayed at least this position.
	pctx, cancel := context.WithTimeout(ctx, checkTimeout)
	var primaryLSN int64
	perr := r.primary.QueryRow(pctx, `SELECT (pg_current_wal_flush_lsn() - '0/0')::bigint`).Scan(&primaryLSN)
	cancel()
	if perr == nil && (len(r.samples) == 0 || primaryLSN > r.samples[len(r.samples)-1].lsn) {
		r.samples = append(r.samples, walSample{at: now, lsn: primaryLSN})
		if len(r.samples) > maxSamples {
			kept := r.samples[:1]
			for i := 1; i < len(r.samples); i += 2 {
				kept = append(kept, r.samples[i])
			}
			r.samples = kept
		}
	}

	rctx, cancel := context.WithTimeout(ctx, checkTimeout)
	var inRecovery bool
	var replayLSN *int64
	rerr := r.replica.QueryRow(rctx, `SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0')::bigint`).Scan(&inRecovery, &replayLSN)
	cancel()
	switch {
	case ctx.Err() != nil:
		return // shutting down: keep the last state
	case rerr != nil:
		st.Replica, st.Err = ReplicaDown, Translate("store.Reads.Check", rerr).Error()
		if r.failed++; r.failed < downAfter && (prev.Replica == ReplicaOK || prev.Replica == ReplicaLagging) {
			st.Replica, st.Lag = prev.Replica, prev.Lag // once is not yet down
		}
	case !inRecovery || replayLSN == nil:
		st.Replica = ReplicaPromoted
	case perr != nil:
		// The primary cannot be asked: the lag is unknown. Reads stay
		// where they are (a replica keeps public reads up while the
		// primary is away).
		st.Replica, st.Err, st.Lag = ReplicaUnknown, "the primary does not answer: "+Translate("store.Reads.Check", perr).Error(), prev.Lag
	default:
		i := 0
		for i < len(r.samples) && r.samples[i].lsn <= *replayLSN {
			i++
		}
		r.samples = append(r.samples[:0], r.samples[i:]...)
		if len(r.samples) > 0 {
			st.Lag = now.Sub(r.samples[0].at)
		}
		st.Replica = ReplicaOK
		if st.Lag > r.maxLag {
			st.Replica = ReplicaLagging
		}
	}
	if rerr == nil {
		r.failed = 0
	}
	r.status.Store(&st)

	switch st.Replica {
	case ReplicaOK:
		if !r.fromReplica.Load() && r.rejoin(ctx) {
			r.log.Info("public reads go to the read replica", "lag", st.Lag.Round(time.Millisecond), "max_lag", r.maxLag)
		}
	case ReplicaUnknown:
		if prev.Replica != ReplicaUnknown && !prev.Checked.IsZero() {
			r.log.Warn("cannot measure the read replica's lag", "err", st.Err, "reads_from_replica", r.fromReplica.Load())
		}
	default:
		if r.fromReplica.Swap(false) || prev.Replica != st.Replica {
			r.log.Warn("public reads go to the primary", "replica", st.Replica, "lag", st.Lag.Round(time.Millisecond), "max_lag", r.maxLag, "err", st.Err)
		}
	}
}

// rejoin sends reads back to the replica, once its data versions have
// caught up with those the instance holds.
func (r *Reads) rejoin(ctx context.Context) bool {
	if r.versions == nil {
		r.fromReplica.Store(true)
		return true
	}
	return r.versions.rejoin(ctx, r)
}
