package features

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
)

// Precision is the number of decimals of GeoJSON coordinates: 1e-7 degrees
// is about a centimetre.
const Precision = 7

// Service runs feature queries for the layers of a catalog.
type Service struct {
	pool     *pgxpool.Pool
	versions *store.Versions
	// counts caches numberMatched per layer, data version and filter, so
	// paging through a large result counts once, not once per page.
	counts *lru.Cache[string, int64]

	mu      sync.Mutex
	extents map[string]extent
}

type extent struct {
	version int64
	bound   orb.Bound
	ok      bool
}

// New returns a Service reading from pool.
func New(pool *pgxpool.Pool, versions *store.Versions) *Service {
	counts, _ := lru.New[string, int64](4096) // size is positive: cannot fail
	return &Service{pool: pool, versions: versions, counts: counts, extents: map[string]extent{}}
}

// Page describes the page of features that Items streamed.
type Page struct {
	NumberMatched  int64
	NumberReturned int
}

// featureSQL is the select list that makes PostgreSQL write one GeoJSON
// Feature per row as text; Go copies those bytes to the client untouched.
func featureSQL(l *catalog.Layer) string {
	var b strings.Builder
	b.WriteString(`'{"type":"Feature","id":' || to_json(t.`)
	b.WriteString(pgx.Identifier{l.IDColumn}.Sanitize())
	// RFC 7946 §3.1.6: exterior rings counterclockwise, holes clockwise;
	// ST_ForcePolygonCCW leaves points and lines as they are.
	b.WriteString(`)::text || ',"geometry":' || COALESCE(ST_AsGeoJSON(ST_ForcePolygonCCW(t.`)
	b.WriteString(pgx.Identifier{l.Geom}.Sanitize())
	fmt.Fprintf(&b, `), %d), 'null') || ',"properties":' || `, Precision)
	if len(l.Properties) == 0 {
		b.WriteString(`'{}'`)
	} else {
		b.WriteString(`json_build_object(`)
		for i, p := range l.Properties {
			if i > 0 {
				b.WriteString(", ")
			}
			// Property names are validated identifiers, so they are safe as
			// SQL string literals too.
			fmt.Fprintf(&b, "'%s', t.%s", p.Name, pgx.Identifier{p.Name}.Sanitize())
		}
		b.WriteString(`)::text`)
	}
	b.WriteString(` || '}'`)
	return b.String()
}

// where builds the WHERE clause for q, appending the values to args.
func where(l *catalog.Layer, q Query, args []any) (string, []any) {
	var conds []string
	if q.BBox != nil {
		args = append(args, q.BBox.Min[0], q.BBox.Min[1], q.BBox.Max[0], q.BBox.Max[1])
		n := len(args)
		// ST_Envelope turns a degenerate box (a point, or a line when
		// minx = maxx or miny = maxy) into a point or line: ST_MakeEnvelope
		// alone gives a zero-area polygon that intersects nothing.
		conds = append(conds, fmt.Sprintf("ST_Intersects(t.%s, ST_Envelope(ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)))",
			pgx.Identifier{l.Geom}.Sanitize(), n-3, n-2, n-1, n))
	}
	for _, f := range q.Filters {
		args = append(args, f.Value)
		conds = append(conds, fmt.Sprintf("t.%s = $%d", pgx.Identifier{f.Property.Name}.Sanitize(), len(args)))
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Items streams the features of one page to emit, one GeoJSON Feature per
// call; the slice is only valid during the call. It returns the page
// counts once the last feature was emitted.
func (s *Service) Items(ctx context.Context, l *catalog.Layer, q Query, emit func(feature []byte) error) (Page, error) {
	const op = "features.Items"
	w, args := where(l, q, nil)
	args = append(args, q.Limit, q.Offset)
	sql := "SELECT " + featureSQL(l) + " FROM " + l.Table.Sanitize() + " t" + w +
		" ORDER BY t." + pgx.Identifier{l.IDColumn}.Sanitize() +
		fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(args)-1, len(args))

	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, store.Translate(op, err)
	}
	var page Page
	for rows.Next() {
		if err := emit(rows.RawValues()[0]); err != nil {
			rows.Close()
			return page, err
		}
		page.NumberReturned++
	}
	if err := rows.Err(); err != nil {
		return page, store.Translate(op, err)
	}
	// A short page tells the total without counting.
	if page.NumberReturned < q.Limit && (page.NumberReturned > 0 || q.Offset == 0) {
		page.NumberMatched = int64(q.Offset + page.NumberReturned)
		return page, nil
	}
	page.NumberMatched, err = s.count(ctx, l, q)
	return page, err
}

func (s *Service) count(ctx context.Context, l *catalog.Layer, q Query) (int64, error) {
	key := countKey(l, q, s.versions.Of(l.SourceTables()...))
	if n, ok := s.counts.Get(key); ok {
		return n, nil
	}
	w, args := where(l, q, nil)
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+l.Table.Sanitize()+" t"+w, args...).Scan(&n); err != nil {
		return 0, store.Translate("features.count", err)
	}
	s.counts.Add(key, n)
	return n, nil
}

func countKey(l *catalog.Layer, q Query, version int64) string {
	v := q.Values(0)
	v.Del("limit")
	return l.ID + "\x00" + strconv.FormatInt(version, 10) + "\x00" + v.Encode()
}

// Item returns one feature as GeoJSON.
func (s *Service) Item(ctx context.Context, l *catalog.Layer, id string) ([]byte, error) {
	const op = "features.Item"
	var key any = id
	if !validText(id) {
		return nil, apperr.New(op, apperr.NotFound, "collection %s has no feature %q", l.ID, id)
	}
	if l.IDType == catalog.Integer {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, apperr.New(op, apperr.NotFound, "collection %s has no feature %q", l.ID, id)
		}
		key = n
	}
	sql := "SELECT " + featureSQL(l) + " FROM " + l.Table.Sanitize() + " t WHERE t." +
		pgx.Identifier{l.IDColumn}.Sanitize() + " = $1"
	var b []byte
	if err := s.pool.QueryRow(ctx, sql, key).Scan(&b); err != nil {
		if err == pgx.ErrNoRows {
			return nil, apperr.New(op, apperr.NotFound, "collection %s has no feature %q", l.ID, id)
		}
		return nil, store.Translate(op, err)
	}
	return b, nil
}

// Extent returns the bounding box of the layer's data in CRS84; ok is false
// for an empty layer. It is cached per data version.
func (s *Service) Extent(ctx context.Context, l *catalog.Layer) (b orb.Bound, ok bool, err error) {
	v := s.versions.Of(l.SourceTables()...)
	s.mu.Lock()
	e, hit := s.extents[l.ID]
	s.mu.Unlock()
	if hit && e.version == v {
		return e.bound, e.ok, nil
	}
	var minx, miny, maxx, maxy *float64
	sql := "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(t." +
		pgx.Identifier{l.Geom}.Sanitize() + ") AS e FROM " + l.Table.Sanitize() + " t) x"
	if err := s.pool.QueryRow(ctx, sql).Scan(&minx, &miny, &maxx, &maxy); err != nil {
		return b, false, store.Translate("features.Extent", err)
	}
	if minx != nil {
		b, ok = orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}, true
	}
	s.mu.Lock()
	s.extents[l.ID] = extent{version: v, bound: b, ok: ok}
	s.mu.Unlock()
	return b, ok, nil
}
