// Package tiles serves Mapbox Vector Tiles for any catalog layer, built in
// PostGIS with ST_AsMVT over the WebMercatorQuad grid, and keeps the tiles
// it built in a per-instance cache keyed by the layer's data version.
package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/maptile"
	"golang.org/x/sync/singleflight"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
)

// MVT parameters: the tile extent in integer units and the buffer around it
// (in the same units) that keeps lines and polygon edges continuous across
// tile borders.
const (
	Extent = 4096
	Buffer = 64
)

// webMercatorWidth is the width of the WebMercatorQuad world in metres.
const webMercatorWidth = 2 * 20037508.342789244

// Tile is an encoded vector tile with its entity tag. The cache holds
// tiles gzipped, so a hit is sent as it is; a tile just built also has its
// raw bytes. At least one of Raw and Gzipped is set unless the tile is
// empty.
type Tile struct {
	Raw     []byte // the MVT bytes, when at hand
	Gzipped []byte // the MVT bytes gzipped, when at hand
	ETag    string // quoted, as sent in the ETag header
}

// Plain returns the MVT bytes, unzipping them when only the gzipped form
// is at hand (a cache hit for a client that does not accept gzip).
func (t Tile) Plain() ([]byte, error) {
	if t.Raw != nil || len(t.Gzipped) == 0 {
		return t.Raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(t.Gzipped))
	if err != nil {
		return nil, fmt.Errorf("tiles: gunzip: %w", err)
	}
	return io.ReadAll(zr)
}

// Gzip returns the gzipped MVT bytes, compressing them when only the raw
// form is at hand (the cache is off); nil for an empty tile.
func (t Tile) Gzip() ([]byte, error) {
	if t.Gzipped != nil || len(t.Raw) == 0 {
		return t.Gzipped, nil
	}
	return compress(t.Raw)
}

func compress(data []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed) // a valid level: cannot fail
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Service builds tiles for the layers of a catalog.
type Service struct {
	pool     store.Querier
	versions *store.Versions
	cache    *Cache
	group    singleflight.Group
	sql      map[string]string // per layer id, built once
	// per layer id with catalog.TileGeoms: the query that reads them, for
	// zooms up to TileGeoms.MaxZoom
	geomsSQL map[string]string

	pyrMu    sync.RWMutex
	pyramids map[string]*pyramid // prebuilt tiles per layer id (Prebuild)
}

// New returns a Service reading from pool with a cache of at most
// cacheBytes (0 disables the cache).
func New(cat *catalog.Catalog, pool store.Querier, versions *store.Versions, cacheBytes int64) *Service {
	s := &Service{pool: pool, versions: versions, cache: NewCache(cacheBytes), sql: map[string]string{}, geomsSQL: map[string]string{},
		pyramids: map[string]*pyramid{}}
	for _, l := range cat.Layers() {
		s.sql[l.ID] = tileSQL(l)
		if l.TileGeoms != nil {
			s.geomsSQL[l.ID] = tileGeomsSQL(l)
		}
	}
	return s
}

// CacheStats returns the tile cache's figures.
func (s *Service) CacheStats() CacheStats { return s.cache.Counters() }

// ETag returns the entity tag the tile would have now, without building it:
// it depends only on the layer definition and its data version, so a
// conditional request is answered without touching the database.
func (s *Service) ETag(l *catalog.Layer) string {
	return `"` + l.Hash() + "-" + strconv.FormatInt(s.versions.Of(l.SourceTables()...), 10) + `"`
}

// CheckZoom returns an error when the layer has no tiles at the tile's zoom.
func CheckZoom(l *catalog.Layer, t maptile.Tile) error {
	if int(t.Z) < l.MinZoom || int(t.Z) > l.MaxZoom {
		return apperr.New("tiles.CheckZoom", apperr.NotFound,
			"layer %s has tiles at zoom %d to %d, not %d", l.ID, l.MinZoom, l.MaxZoom, t.Z)
	}
	return nil
}

// Tile returns the tile t of layer l, from the cache or built in PostGIS.
// Concurrent requests for the same tile share one query.
func (s *Service) Tile(ctx context.Context, l *catalog.Layer, t maptile.Tile) (Tile, error) {
	if err := CheckZoom(l, t); err != nil {
		return Tile{}, err
	}
	etag := s.ETag(l)
	if gz, ok := s.prebuilt(l, etag, t); ok {
		return Tile{Gzipped: gz, ETag: etag}, nil
	}
	key := fmt.Sprintf("%s/%d/%d/%d@%s", l.ID, t.Z, t.X, t.Y, etag)
	if gz, ok := s.cache.Get(key); ok {
		return Tile{Gzipped: gz, ETag: etag}, nil
	}
	for {
		v, err, _ := s.group.Do(key, func() (any, error) {
			raw, err := s.build(ctx, l, t)
			if err != nil {
				if errors.Is(ctx.Err(), context.Canceled) {
					// Marked, so that the requests sharing this build
					// know it failed because its client left.
					return nil, apperr.Wrap("tiles.Tile", apperr.Canceled, err, "request cancelled")
				}
				return nil, err
			}
			tile := Tile{Raw: raw, ETag: etag}
			// Compressed once, for the cache; without a cache only the
			// clients that take gzip pay for it.
			if s.cache.Enabled() && len(raw) > 0 {
				if tile.Gzipped, err = compress(raw); err != nil {
					return nil, err
				}
				s.cache.Add(key, tile.Gzipped)
			}
			return tile, nil
		})
		if err != nil && apperr.KindOf(err) == apperr.Canceled && ctx.Err() == nil {
			continue // the request that built it went away; ours has not
		}
		if err != nil {
			return Tile{}, err
		}
		return v.(Tile), nil
	}
}

func (s *Service) build(ctx context.Context, l *catalog.Layer, t maptile.Tile) ([]byte, error) {
	var data []byte
	args := []any{int(t.Z), int(t.X), int(t.Y)}
	if len(l.TileFunc) == 0 {
		args = append(args, float64(Buffer)/Extent, Tolerance(t.Z))
	}
	sql := s.sql[l.ID]
	if l.TileGeoms != nil && int(t.Z) <= l.TileGeoms.MaxZoom {
		sql = s.geomsSQL[l.ID]
	}
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&data); err != nil {
		return nil, store.Translate("tiles.Tile", err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Tolerance is the simplification tolerance at zoom z in EPSG:3857 metres:
// half a tile unit, below what ST_AsMVTGeom's snapping to the grid keeps.
func Tolerance(z maptile.Zoom) float64 {
	return webMercatorWidth / math.Exp2(float64(z)) / Extent / 2
}

// tileSQL builds the tile query of a layer from catalog identifiers only.
// Arguments: $1 z, $2 x, $3 y, $4 margin (fraction of the tile), $5
// simplification tolerance in metres.
func tileSQL(l *catalog.Layer) string {
	if len(l.TileFunc) > 0 {
		return "SELECT " + l.TileFunc.Sanitize() + "($1, $2, $3)"
	}
	return mvtSQL(l, "")
}

// tileGeomsSQL builds the tile query of a layer whose geometries are
// simplified in advance (catalog.TileGeoms): the features are found by the
// layer's own index, as in tileSQL, and each one's geometry of the tile's
// zoom is looked up by id (simplified on the spot if missing). Same
// arguments as tileSQL. Measured with pgbench at z12 over the comuni with
// ~4,500 vertices each: 4–6× the tiles per second of simplifying per
// request; with ISTAT's ~50 vertices each, the same.
func tileGeomsSQL(l *catalog.Layer) string {
	return mvtSQL(l, l.TileGeoms.Table.Sanitize())
}

// mvtSQL is the generic tile query; with geomsTable it reads the
// geometries simplified in advance from that table.
func mvtSQL(l *catalog.Layer, geomsTable string) string {
	geomIdent := "t." + pgx.Identifier{l.Geom}.Sanitize()
	var geom3857, filter string
	if l.TileGeom != "" {
		geom3857 = "t." + pgx.Identifier{l.TileGeom}.Sanitize()
		filter = geom3857 + " && ST_TileEnvelope($1, $2, $3, margin => $4)"
	} else {
		geom3857 = "ST_Transform(" + geomIdent + ", 3857)"
		filter = geomIdent + " && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $4), 4326)"
	}
	if !strings.HasSuffix(l.GeomType, "Point") {
		geom3857 = "ST_Simplify(" + geom3857 + ", $5, true)"
		if geomsTable != "" {
			geom3857 = "coalesce((SELECT g.geom FROM " + geomsTable + " g WHERE g.id = t." +
				pgx.Identifier{l.IDColumn}.Sanitize() + " AND g.z = $1), " + geom3857 + ")"
		}
	} else {
		// Keep $5 referenced so every generic tile query takes the same
		// arguments.
		filter += " AND $5::float8 IS NOT NULL"
	}
	cols := []string{fmt.Sprintf("ST_AsMVTGeom(%s, ST_TileEnvelope($1, $2, $3), %d, %d, true) AS geom", geom3857, Extent, Buffer)}
	idIdent := pgx.Identifier{l.IDColumn}.Sanitize()
	cols = append(cols, "t."+idIdent)
	for _, p := range l.TileProps() {
		if p.Name == l.IDColumn {
			continue
		}
		cols = append(cols, "t."+pgx.Identifier{p.Name}.Sanitize())
	}
	asMVT := fmt.Sprintf("ST_AsMVT(m.*, '%s', %d, 'geom')", l.ID, Extent)
	if l.IDType == catalog.Integer {
		// Integer ids become MVT feature ids, which MapLibre uses for
		// feature state.
		asMVT = fmt.Sprintf("ST_AsMVT(m.*, '%s', %d, 'geom', '%s')", l.ID, Extent, l.IDColumn)
	}
	return "SELECT " + asMVT + " FROM (SELECT " + strings.Join(cols, ", ") +
		" FROM " + l.Table.Sanitize() + " t WHERE " + filter + ") m WHERE m.geom IS NOT NULL"
}
