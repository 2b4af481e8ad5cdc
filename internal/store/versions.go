package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Versions tracks the data version of every table that backs a layer (the
// layer_versions table, bumped by a statement trigger on each write). Caches
// key their entries by version, so an instance never serves data older than
// one poll interval, and all instances agree without talking to each other.
// A write made through this instance (InTx) re-reads the versions before it
// returns, so the instance that wrote sees its write at once.
//
// With a read replica (Reads), the versions are read from where public
// reads go: a cache entry is then never keyed by a version newer than the
// data it holds (the version is read before the data, and a replica only
// moves forward). Reads return from the primary to the replica only once
// the replica's versions have reached those held here (rejoin).
type Versions struct {
	reads *Reads
	sem   chan struct{} // one refresh or rejoin at a time
	mu    sync.RWMutex
	v     map[string]int64
}

// NewVersions reads the current versions once, from pool (a
// *pgxpool.Pool) or from where reads go (a *Reads, which one Versions at
// most may follow).
func NewVersions(ctx context.Context, pool Querier) (*Versions, error) {
	var reads *Reads
	switch p := pool.(type) {
	case *Reads:
		reads = p
	case *pgxpool.Pool:
		reads = NewReads(p, nil, 0, nil)
	default:
		return nil, errors.New("store: versions are read from a pool or from Reads")
	}
	vs := &Versions{reads: reads, sem: make(chan struct{}, 1), v: map[string]int64{}}
	reads.mu.Lock()
	reads.versions = vs
	reads.mu.Unlock()
	return vs, vs.Refresh(ctx)
}

func (vs *Versions) lock(ctx context.Context) error {
	select {
	case vs.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (vs *Versions) unlock() { <-vs.sem }

// Refresh reads the versions now. A table's version only grows, so a
// refresh that read before a concurrent one never turns its newer numbers
// back: the larger version wins.
func (vs *Versions) Refresh(ctx context.Context) error {
	if err := vs.lock(ctx); err != nil {
		return Translate("store.Versions.Refresh", err)
	}
	defer vs.unlock()
	m, err := readVersions(ctx, vs.reads.Pool())
	if err != nil {
		return err
	}
	vs.merge(m)
	return nil
}

// merge takes the larger of each version.
func (vs *Versions) merge(m map[string]int64) {
	vs.mu.Lock()
	for name, v := range vs.v {
		if m[name] < v {
			m[name] = v
		}
	}
	vs.v = m
	vs.mu.Unlock()
}

// rejoin sends reads back to the replica if its versions have reached the
// ones held (read from the primary meanwhile): no refresh runs between the
// comparison and the switch.
func (vs *Versions) rejoin(ctx context.Context, r *Reads) bool {
	if err := vs.lock(ctx); err != nil {
		return false
	}
	defer vs.unlock()
	rctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	m, err := readVersions(rctx, r.replica)
	if err != nil {
		return false
	}
	vs.mu.RLock()
	behind := false
	for name, v := range vs.v {
		behind = behind || m[name] < v
	}
	vs.mu.RUnlock()
	if behind {
		return false
	}
	r.fromReplica.Store(true)
	vs.merge(m)
	return true
}

func readVersions(ctx context.Context, pool *pgxpool.Pool) (map[string]int64, error) {
	rows, err := pool.Query(ctx, `SELECT table_name, version FROM layer_versions`)
	if err != nil {
		return nil, Translate("store.Versions.Refresh", err)
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return nil, Translate("store.Versions.Refresh", err)
		}
		m[name] = v
	}
	if err := rows.Err(); err != nil {
		return nil, Translate("store.Versions.Refresh", err)
	}
	return m, nil
}

// refreshTimeout bounds the re-read after a write; the write itself has
// committed by then.
const refreshTimeout = 5 * time.Second

// InTx runs fn in one transaction on pool (store.InTx) and, once it has
// committed, re-reads the versions, so that this instance's counts, extents
// and tiles show the write to the very next request instead of after the
// next poll. Other instances learn of it by polling. A nil Versions (a
// one-off command) only runs the transaction.
//
// The re-read asks where public reads go: with a read replica it sees the
// write once the replica has replayed it, never before the data.
func (vs *Versions) InTx(ctx context.Context, pool Beginner, fn func(pgx.Tx) error) error {
	if err := InTx(ctx, pool, fn); err != nil || vs == nil {
		return err
	}
	// The write is committed: a client that leaves now must not leave this
	// instance stale, and a failed re-read is no failed write (the poll
	// retries and logs an outage).
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	_ = vs.Refresh(rctx)
	return nil
}

// Poll refreshes every interval until ctx is done, logging failures once
// per outage.
func (vs *Versions) Poll(ctx context.Context, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := vs.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			logger.Warn("cannot refresh data versions; caches may serve stale data", "err", err)
			failing = true
		case err == nil && failing:
			logger.Info("data versions refreshed again")
			failing = false
		}
	}
}

// Of returns a number that changes whenever any of tables changes: the sum
// of their versions, each of which only grows. A nil Versions knows no
// version: 0.
func (vs *Versions) Of(tables ...string) int64 {
	if vs == nil {
		return 0
	}
	vs.mu.RLock()
	defer vs.mu.RUnlock()
	var sum int64
	for _, t := range tables {
		sum += vs.v[t]
	}
	return sum
}
