package store

import (
	"context"
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
type Versions struct {
	pool *pgxpool.Pool
	mu   sync.RWMutex
	v    map[string]int64
}

// NewVersions reads the current versions once.
func NewVersions(ctx context.Context, pool *pgxpool.Pool) (*Versions, error) {
	vs := &Versions{pool: pool, v: map[string]int64{}}
	return vs, vs.Refresh(ctx)
}

// Refresh reads the versions now. A table's version only grows, so a
// refresh that read before a concurrent one never turns its newer numbers
// back: the larger version wins.
func (vs *Versions) Refresh(ctx context.Context) error {
	rows, err := vs.pool.Query(ctx, `SELECT table_name, version FROM layer_versions`)
	if err != nil {
		return Translate("store.Versions.Refresh", err)
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return Translate("store.Versions.Refresh", err)
		}
		m[name] = v
	}
	if err := rows.Err(); err != nil {
		return Translate("store.Versions.Refresh", err)
	}
	vs.mu.Lock()
	for name, v := range vs.v {
		if m[name] < v {
			m[name] = v
		}
	}
	vs.v = m
	vs.mu.Unlock()
	return nil
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
// The re-read uses the pool the versions are read from: with a read replica
// it sees the write once the replica has it, never before the data.
func (vs *Versions) InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
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
