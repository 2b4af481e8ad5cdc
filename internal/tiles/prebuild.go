package tiles

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
)

// Bounds of one prebuild of one layer. A layer prebuilds the zooms from
// its MinZoom down while their tiles over its extent add up to at most
// prebuildMaxTiles (comuni over the Cremasco: z0–z15, ~2,100 tiles), and
// stops adding tiles past its share of the prebuild budget or after
// prebuildMaxTime; the tiles it did not reach are built on request.
const (
	prebuildMaxTiles = 4096
	prebuildMaxTime  = 5 * time.Minute
	// A prebuild that shares the pool with live requests waits as long as
	// its last tile took (at most this), so it takes at most about half of
	// the database while the server is busy.
	prebuildMaxPause = 50 * time.Millisecond
)

// pyramid holds the prebuilt tiles of one layer at one data version.
type pyramid struct {
	etag  string
	mu    sync.RWMutex
	tiles map[maptile.Tile][]byte // gzipped; empty for an empty tile
	bytes int64
	// done: no more work at this version (every tile in, or the bounds
	// reached); complete: every tile in. failed: when a build failed.
	done, complete bool
	failed         time.Time
}

// prebuildRetry is how long a failed prebuild waits before it tries again.
const prebuildRetry = 30 * time.Second

func (p *pyramid) get(t maptile.Tile) ([]byte, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	gz, ok := p.tiles[t]
	return gz, ok
}

func (p *pyramid) add(t maptile.Tile, gz []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tiles[t] = gz
	p.bytes += int64(len(gz))
}

// PrebuildStats describes the prebuilt tiles of one layer.
type PrebuildStats struct {
	Layer string
	ETag  string
	Tiles int
	Bytes int64
	// Complete is true when every tile the bounds allow is built.
	Complete bool
}

// PrebuildStats returns what is prebuilt now, per layer.
func (s *Service) PrebuildStats() []PrebuildStats {
	s.pyrMu.RLock()
	defer s.pyrMu.RUnlock()
	var st []PrebuildStats
	for id, p := range s.pyramids {
		p.mu.RLock()
		st = append(st, PrebuildStats{Layer: id, ETag: p.etag, Tiles: len(p.tiles), Bytes: p.bytes, Complete: p.complete})
		p.mu.RUnlock()
	}
	return st
}

// prebuilt returns the prebuilt tile t of layer l at data version etag.
func (s *Service) prebuilt(l *catalog.Layer, etag string, t maptile.Tile) ([]byte, bool) {
	s.pyrMu.RLock()
	p := s.pyramids[l.ID]
	s.pyrMu.RUnlock()
	if p == nil || p.etag != etag {
		return nil, false
	}
	return p.get(t)
}

// Prebuild keeps the tiles of the catalog's Prebuild layers built in
// advance until ctx is done: every interval it compares each layer's data
// version with the one its tiles were built at, and rebuilds the layers
// that changed, one tile at a time. A rebuild whose layer changes again
// stops and starts over at the new version. Prebuilt tiles take at most
// budgetBytes (gzipped) in all; 0 disables prebuilding.
func (s *Service) Prebuild(ctx context.Context, cat *catalog.Catalog, budgetBytes int64, interval time.Duration, logger *slog.Logger) {
	var layers []*catalog.Layer
	for _, l := range cat.Layers() {
		if l.Prebuild {
			layers = append(layers, l)
		}
	}
	if budgetBytes <= 0 || len(layers) == 0 {
		return
	}
	share := budgetBytes / int64(len(layers))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for _, l := range layers {
			if ctx.Err() != nil {
				return
			}
			s.pyrMu.RLock()
			p := s.pyramids[l.ID]
			s.pyrMu.RUnlock()
			if p != nil && p.etag == s.ETag(l) && p.settled() {
				continue
			}
			start := time.Now()
			p, err := s.prebuild(ctx, l, share)
			switch {
			case errors.Is(err, errStale):
				logger.Info("tile prebuild restarted: the layer changed", "layer", l.ID)
			case err != nil && ctx.Err() == nil:
				logger.Warn("tile prebuild failed; tiles are built on request", "layer", l.ID, "err", err)
			case err == nil:
				logger.Info("tiles prebuilt", "layer", l.ID, "tiles", len(p.tiles), "bytes", p.bytes,
					"complete", p.complete, "duration_ms", time.Since(start).Milliseconds())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// errStale stops a prebuild whose layer changed under it.
var errStale = errors.New("tiles: layer changed during prebuild")

// prebuild builds the tiles of l at its current data version into a new
// pyramid, published at once so requests use each tile as soon as it is
// built.
func (s *Service) prebuild(ctx context.Context, l *catalog.Layer, budget int64) (*pyramid, error) {
	ctx, cancel := context.WithTimeout(ctx, prebuildMaxTime)
	defer cancel()
	etag := s.ETag(l)
	p := &pyramid{etag: etag, tiles: map[maptile.Tile][]byte{}}
	bound, ok, err := s.extent(ctx, l)
	if err != nil {
		return nil, err
	}
	if !ok { // no features: nothing to build
		p.done, p.complete = true, true
	}
	s.pyrMu.Lock()
	s.pyramids[l.ID] = p
	s.pyrMu.Unlock()
	if !ok {
		return p, nil
	}
	for _, t := range PrebuildTiles(l, bound, prebuildMaxTiles) {
		if s.ETag(l) != etag {
			return nil, errStale
		}
		if p.bytes >= budget {
			return p, p.finish(false)
		}
		t0 := time.Now()
		raw, err := s.build(ctx, l, t)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return p, p.finish(false) // out of time: the rest is built on request
		}
		if err != nil {
			p.fail()
			return nil, err
		}
		var gz []byte
		if len(raw) > 0 {
			if gz, err = compress(raw); err != nil {
				return nil, err
			}
		} else {
			gz = []byte{}
		}
		p.add(t, gz)
		if busy(s.pool) {
			// Live requests are running: leave them the database.
			pause := min(time.Since(t0), prebuildMaxPause)
			select {
			case <-ctx.Done():
				p.fail()
				return nil, ctx.Err()
			case <-time.After(pause):
			}
		}
	}
	return p, p.finish(true)
}

// finish marks the pyramid done (complete: with every tile); it returns
// nil, for the caller's return.
func (p *pyramid) finish(complete bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.complete = true, complete
	return nil
}

func (p *pyramid) fail() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = time.Now()
}

// settled reports whether the pyramid needs no build now: it is done, or
// it failed less than prebuildRetry ago.
func (p *pyramid) settled() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.done || (!p.failed.IsZero() && time.Since(p.failed) < prebuildRetry)
}

// extent returns the bounds of the layer's features in lon/lat.
func (s *Service) extent(ctx context.Context, l *catalog.Layer) (orb.Bound, bool, error) {
	var minX, minY, maxX, maxY *float64
	sql := "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(" +
		pgx.Identifier{l.Geom}.Sanitize() + ") AS e FROM " + l.Table.Sanitize() + ") x"
	if err := s.pool.QueryRow(ctx, sql).Scan(&minX, &minY, &maxX, &maxY); err != nil {
		return orb.Bound{}, false, store.Translate("tiles.extent", err)
	}
	if minX == nil {
		return orb.Bound{}, false, nil
	}
	return orb.Bound{Min: orb.Point{*minX, *minY}, Max: orb.Point{*maxX, *maxY}}, true, nil
}

// PrebuildTiles lists the tiles a prebuild of l builds over bound (lon/lat),
// zoom by zoom from l.MinZoom: every zoom whose tiles keep the total at
// most maxTiles.
func PrebuildTiles(l *catalog.Layer, bound orb.Bound, maxTiles int) []maptile.Tile {
	var ts []maptile.Tile
	for z := maptile.Zoom(l.MinZoom); int(z) <= l.MaxZoom; z++ {
		nw := maptile.At(orb.Point{bound.Min[0], bound.Max[1]}, z)
		se := maptile.At(orb.Point{bound.Max[0], bound.Min[1]}, z)
		n := int(se.X-nw.X+1) * int(se.Y-nw.Y+1)
		if len(ts)+n > maxTiles {
			break
		}
		for x := nw.X; x <= se.X; x++ {
			for y := nw.Y; y <= se.Y; y++ {
				ts = append(ts, maptile.New(x, y, z))
			}
		}
	}
	return ts
}

// busy reports whether live requests hold connections of the pool public
// reads go to now (the replica's or the primary's).
func busy(q store.Querier) bool {
	switch p := q.(type) {
	case *pgxpool.Pool:
		return p.Stat().AcquiredConns() > 0
	case interface{ Pool() *pgxpool.Pool }:
		return p.Pool().Stat().AcquiredConns() > 0
	}
	return false
}
