package features

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/store"
)

// Precision is the number of decimals of GeoJSON coordinates: 1e-7 degrees
// is about a centimetre.
const Precision = 7

// Service runs feature queries for the layers of a catalog.
type Service struct {
	pool     store.Querier // public reads: a pool, or store.Reads
	versions *store.Versions
	// counts caches numberMatched per layer, data version and filter, so
	// paging through a large result counts once, not once per page.
	counts *lru.Cache[string, int64]

	mu      sync.Mutex
	extents map[string]extent
}

type extent struct {
	version    int64
	bound      orb.Bound
	ok         bool
	start, end *time.Time
}

// New returns a Service reading from pool (a *pgxpool.Pool or store.Reads).
func New(pool store.Querier, versions *store.Versions) *Service {
	counts, _ := lru.New[string, int64](4096) // size is positive: cannot fail
	return &Service{pool: pool, versions: versions, counts: counts, extents: map[string]extent{}}
}

// Page describes the page of features that Items streamed.
type Page struct {
	// NumberMatched is the number of features the query selects, or -1
	// when unknown: a page after a cursor reports it only from the cache
	// of counts, so that it never costs a count of everything it skips.
	NumberMatched  int64
	NumberReturned int
	// Next is where the next page starts; nil after the last page.
	Next *Cursor
}

// featureSQL is the select list that makes PostgreSQL write one GeoJSON
// Feature per row as text, for single features; pages use pageSQL and
// featureEncoder, which write the same Features at a fraction of the cost
// (json_build_object looks up the output of every value's type each row).
func featureSQL(l *catalog.Layer) string { return featureSQLIn(l, geo.CRS84) }

// featureSQLIn is featureSQL with the coordinates in c.
func featureSQLIn(l *catalog.Layer, c geo.CRS) string {
	var b strings.Builder
	b.WriteString(`'{"type":"Feature","id":' || to_json(t.`)
	b.WriteString(pgx.Identifier{l.IDColumn}.Sanitize())
	b.WriteString(`)::text || ',"geometry":' || COALESCE(`)
	b.WriteString(geoJSONSQL(l, true, c))
	b.WriteString(`, 'null') || ',"properties":' || `)
	props := l.FeatureProperties()
	if len(props) == 0 {
		b.WriteString(`'{}'`)
	} else {
		b.WriteString(`json_build_object(`)
		for i, p := range props {
			if i > 0 {
				b.WriteString(", ")
			}
			// Property names are validated identifiers, so they are safe as
			// SQL string literals too.
			col := "t." + pgx.Identifier{p.Name}.Sanitize()
			if p.Type == catalog.Number {
				// A whole number with a decimal point, as appendJSONValue
				// writes it.
				col = `(regexp_replace(to_json(` + col + `)::text, '^(-?[0-9]+)$', '\1.0'))::json`
			}
			fmt.Fprintf(&b, "'%s', %s", p.Name, col)
		}
		b.WriteString(`)::text`)
	}
	b.WriteString(` || '}'`)
	return b.String()
}

// geoJSONSQL is the expression of the GeoJSON geometry of a row of l in
// c, with the decimals c.Decimals asks for. In CRS84, the stored axis
// order, it is the plain ST_AsGeoJSON pages always had; otherwise PostGIS
// transforms (PROJ picks the operation, see geo.EPSG3003) and, for a CRS
// whose first axis is latitude or northing, swaps the axes (Part 2: the
// order of the CRS's definition). Polygons are made counterclockwise
// first (RFC 7946 §3.1.6) unless ccw is false for a layer of points, so
// that a client that swaps back gets RFC 7946 rings. No crs member is
// written (options 0; RFC 7946 removed it): the Content-Crs header says it.
func geoJSONSQL(l *catalog.Layer, ccw bool, c geo.CRS) string {
	geom := "t." + pgx.Identifier{l.Geom}.Sanitize()
	if ccw {
		geom = "ST_ForcePolygonCCW(" + geom + ")"
	}
	if c.IsCRS84() {
		return fmt.Sprintf("ST_AsGeoJSON(%s, %d)", geom, Precision)
	}
	if c.SRID != geo.WGS84 {
		geom = fmt.Sprintf("ST_Transform(%s, %d)", geom, int(c.SRID))
	}
	if c.NorthFirst {
		geom = "ST_FlipCoordinates(" + geom + ")"
	}
	return fmt.Sprintf("ST_AsGeoJSON(%s, %d, 0)", geom, c.Decimals())
}

// A projected bbox is cut into chords of bboxChord metres, at most
// bboxSegments a side, before it is transformed to WGS 84, where its
// straight sides bend. Measured with PostGIS in EPSG:6707, 3003 and
// 32632 around Crema: the chords stray from the true sides by 1.3 mm on
// boxes up to 128 km (2,049 vertices at most), 7 mm on one of 300 km;
// the corners alone stray by 50 m on a box of 50 km.
const (
	bboxChord    = 250.0
	bboxSegments = 512
)

// bboxSQL is the expression of the box q.BBox in WGS 84 (SRID 4326),
// whose values it appends to args, for ST_Intersects with the stored
// geometry, so that the GiST index selects the candidates.
func bboxSQL(q Query, args []any) (string, []any) {
	b, c := *q.BBox, q.BBoxCRS
	args = append(args, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	n := len(args)
	srid := geo.WGS84
	if !c.IsCRS84() {
		srid = c.SRID
	}
	// ST_Envelope turns a degenerate box (a point, or a line when
	// minx = maxx or miny = maxy) into a point or line: ST_MakeEnvelope
	// alone gives a zero-area polygon that intersects nothing.
	env := fmt.Sprintf("ST_Envelope(ST_MakeEnvelope($%d, $%d, $%d, $%d, %d))", n-3, n-2, n-1, n, int(srid))
	switch {
	case srid == geo.WGS84:
		return env, args
	case c.Geographic:
		// Sides of constant latitude and longitude stay such from
		// ETRS89 to WGS 84: the corners suffice.
		return "ST_Transform(" + env + ", 4326)", args
	}
	// A projected box is not a box in WGS 84: its sides are cut into
	// short chords that follow their curve.
	seg := max(max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])/bboxSegments, bboxChord)
	args = append(args, seg)
	return fmt.Sprintf("ST_Transform(ST_Segmentize(%s, $%d), 4326)", env, len(args)), args
}

// boxTest is how a condition tests q.BBox.
type boxTest int

const (
	boxIndexed boxTest = iota // ST_Intersects with the box: the GiST index finds the candidates
	boxNone                   // not at all: the key ranges select the box (pointInBox on its edge)
)

// where builds the WHERE clause for q, appending the values to args; box
// says how it tests the bbox.
func where(l *catalog.Layer, q Query, args []any, box boxTest) (string, []any) {
	conds, args := conditions(l, q, args, box)
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// conditions returns the conditions of q, appending their values to args.
func conditions(l *catalog.Layer, q Query, args []any, box boxTest) ([]string, []any) {
	var conds []string
	if q.CQL != nil {
		conds = append(conds, q.CQL.condition(len(args)))
		args = append(args, q.CQL.args...)
	}
	geom := "t." + pgx.Identifier{l.Geom}.Sanitize()
	switch {
	case q.BBox == nil, box == boxNone:
	default:
		var env string
		env, args = bboxSQL(q, args)
		conds = append(conds, fmt.Sprintf("ST_Intersects(%s, %s)", geom, env))
	}
	for _, f := range q.Filters {
		args = append(args, f.Value)
		// An integer is compared as bigint whatever the column's width: a
		// value beyond an int2 or int4 column matches nothing, where the
		// driver would refuse to encode it into the column's type.
		cast := ""
		if f.Property.Type == catalog.Integer {
			cast = "::bigint"
		}
		conds = append(conds, fmt.Sprintf("t.%s = $%d%s", pgx.Identifier{f.Property.Name}.Sanitize(), len(args), cast))
	}
	if q.Datetime != nil && l.Temporal != nil {
		var c string
		if c, args = temporalCond(l, *q.Datetime, args); c != "" {
			conds = append(conds, c)
		}
	}
	return conds, args
}

// keyedOrder says whether q's pages are in page key order: a bbox in
// longitude and latitude on a layer with a page key. Other pages stay in
// id order, where a filter without a box is better served: the planner
// may walk the order's index testing every row, which finds the matches
// of a small area in id order after some thousand rows, in page key order
// only after every civic number that precedes the area (a triangle of
// 1,400 civici: 70-220 ms).
func keyedOrder(l *catalog.Layer, q Query) bool {
	return l.PageKey != "" && q.BBox != nil && (q.BBoxCRS.IsCRS84() || q.BBoxCRS.SRID == geo.WGS84)
}

// pointInBox is the condition that a point of l lies in the lon/lat box
// b, appending its values to args: the same as ST_Intersects for a point,
// but the planner cannot take it to the GiST index, which would read the
// whole box for every key range.
func pointInBox(l *catalog.Layer, b orb.Bound, args []any) (string, []any) {
	geom := "t." + pgx.Identifier{l.Geom}.Sanitize()
	args = append(args, b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	n := len(args)
	return fmt.Sprintf("ST_X(%s) BETWEEN $%d AND $%d AND ST_Y(%s) BETWEEN $%d AND $%d", geom, n-3, n-2, geom, n-1, n), args
}

// boxKeys returns the page key ranges that cover q's bbox, nil when its
// pages are not in page key order.
func boxKeys(l *catalog.Layer, q Query) []keyRange {
	if !keyedOrder(l, q) {
		return nil
	}
	return keyRanges(*q.BBox, keyRangeBudget)
}

// temporalCond selects the features whose time intersects in (Part 1,
// /req/core/fc-time-response). A feature without a time (a null instant,
// or an interval null at both ends) matches every datetime, as the
// standard asks of features not associated with a temporal geometry; a
// null interval bound is open.
func temporalCond(l *catalog.Layer, in Interval, args []any) (string, []any) {
	// bound returns a placeholder for t in the type of property p: a date
	// property compares with the date of t in UTC.
	bound := func(p string, t time.Time) string {
		if prop, _ := l.Property(p); prop.Type == catalog.Date {
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
		args = append(args, t)
		return "$" + strconv.Itoa(len(args))
	}
	col := func(p string) string { return "t." + pgx.Identifier{p}.Sanitize() }
	var parts []string
	if t := l.Temporal; t.Instant != "" {
		c := col(t.Instant)
		if in.Start != nil {
			parts = append(parts, c+" >= "+bound(t.Instant, *in.Start))
		}
		if in.End != nil {
			parts = append(parts, c+" <= "+bound(t.Instant, *in.End))
		}
		if len(parts) == 0 {
			return "", args
		}
		return "(" + c + " IS NULL OR (" + strings.Join(parts, " AND ") + "))", args
	}
	t := l.Temporal
	if in.End != nil {
		parts = append(parts, "("+col(t.Start)+" IS NULL OR "+col(t.Start)+" <= "+bound(t.Start, *in.End)+")")
	}
	if in.Start != nil {
		parts = append(parts, "("+col(t.End)+" IS NULL OR "+col(t.End)+" >= "+bound(t.End, *in.Start)+")")
	}
	return strings.Join(parts, " AND "), args
}

// Items streams the features of one page to emit, one GeoJSON Feature per
// call; the slice is only valid during the call. It returns the page
// counts once the last feature was emitted.
func (s *Service) Items(ctx context.Context, l *catalog.Layer, q Query, emit func(feature []byte) error) (Page, error) {
	const op = "features.Items"
	keys := boxKeys(l, q)
	box := boxIndexed
	if keys != nil {
		box = boxNone // the key ranges select the box (see pageSQL)
	}
	w, args := where(l, q, nil, box)
	filtered := w != ""
	if q.After != nil && q.After.keyed != (keys != nil) {
		// ParseQuery refuses such a cursor; a Query made in code must too.
		return Page{}, apperr.Invalidf(op, "cursor", "is not a page cursor of this query: follow the next link of a page, or start again without cursor")
	}
	if q.After != nil {
		var c string
		c, args = afterCond(l, *q.After, args)
		if w == "" {
			w = " WHERE " + c
		} else {
			w += " AND " + c
		}
		// The ranges before the cursor hold nothing for this page, and
		// the one that holds it starts there.
		for len(keys) > 0 && keys[0].hi <= q.After.Key {
			keys = keys[1:]
		}
		if len(keys) > 0 {
			keys[0].lo = max(keys[0].lo, q.After.Key)
		}
	}
	// One row more than the page tells whether another page follows.
	args = append(args, q.Limit+1, q.Offset)
	limit, offset := len(args)-1, len(args)
	deferred := q.After != nil || filtered || q.Offset >= deferFrom*q.Limit
	var kr *rangesSQL
	if keys != nil {
		// Key ranges read a page's rows and no others from the start
		// (deferred pageSQL would read them twice). With an offset, the
		// rows it skips are found without the view's joins, which in
		// page key order are an index probe per row, not the merge join
		// of id order (10,000 civici at offset 50,000: 82 ms of
		// PostgreSQL in one query, 35 ms deferred); each skipped row is
		// still read from the table, for the test of edge ranges.
		deferred = q.Offset > 0
		var test string
		test, args = pointInBox(l, *q.BBox, args)
		los, his, edges := []int64{}, []int64{}, []bool{} // not nil: empty arrays past the last range
		for _, r := range keys {
			los, his, edges = append(los, r.lo), append(his, r.hi), append(edges, r.edge)
		}
		args = append(args, los, his, edges)
		kr = &rangesSQL{param: len(args) - 2, edgeTest: test}
	}
	sql := pageSQL(l, w, limit, offset, kr, deferred, q.CRS)

	// Every column in text: numbers and booleans as PostgreSQL prints
	// them, the rest escaped here (see appendFeature).
	// Planned for its values each time (an unnamed statement; the
	// description is cached): a generic plan of a cached statement
	// guesses 33 rows for any bbox, and so read the whole box and sorted
	// it for every page after a cursor (21 ms for 10 of 43,000 civici in
	// a box) where the plan for the values walks the id index from the
	// cursor (0.1 ms).
	opts := []any{pgx.QueryExecModeCacheDescribe, pgx.QueryResultFormats{pgx.TextFormatCode}}
	rows, err := s.pool.Query(ctx, sql, append(opts, args...)...)
	if err != nil {
		return Page{}, store.Translate(op, filterError(op, q, err))
	}
	enc := newFeatureEncoder(l)
	page := Page{NumberMatched: -1}
	var last Cursor
	for rows.Next() {
		vals := rows.RawValues()
		if page.NumberReturned == q.Limit {
			page.Next = &last
			break
		}
		if page.NumberReturned == q.Limit-1 {
			last = cursorFrom(l, enc.props, vals, kr != nil)
		}
		if err := emit(enc.appendFeature(vals)); err != nil {
			rows.Close()
			return page, err
		}
		page.NumberReturned++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, store.Translate(op, filterError(op, q, err))
	}
	switch {
	case q.After != nil:
		// Where a page after a cursor starts is not known: it reports
		// the count only when it costs nothing.
		page.NumberMatched = s.cachedCount(l, q)
	case page.Next == nil && (page.NumberReturned > 0 || q.Offset == 0):
		// The last page tells the total without counting.
		page.NumberMatched = int64(q.Offset + page.NumberReturned)
	default:
		page.NumberMatched, err = s.count(ctx, l, q)
	}
	return page, err
}

// afterCond is the condition that selects the rows after cursor c in
// page order (see pageSQL), appending its values to args.
func afterCond(l *catalog.Layer, c Cursor, args []any) (string, []any) {
	id := "t." + pgx.Identifier{l.IDColumn}.Sanitize()
	args = append(args, c.key)
	key := "$" + strconv.Itoa(len(args))
	if l.IDType == catalog.Integer {
		// As in where: any int64 compares, whatever the column's width.
		key += "::bigint"
	}
	if c.keyed {
		args = append(args, c.Key)
		return fmt.Sprintf("(t.%s, %s) > ($%d::bigint, %s)", pgx.Identifier{l.PageKey}.Sanitize(), id, len(args), key), args
	}
	if rank := nullRank(l); rank != "" {
		args = append(args, c.Rank)
		return fmt.Sprintf("(%s, %s) > ($%d::int, %s)", rank, id, len(args), key), args
	}
	return id + " > " + key, args
}

// nullRank is the expression of the number of nulls among a layer's
// ValuesFirst properties, "" without them.
func nullRank(l *catalog.Layer) string {
	var nulls []string
	for _, p := range l.ValuesFirst {
		nulls = append(nulls, "(t."+pgx.Identifier{p}.Sanitize()+" IS NULL)::int")
	}
	if len(nulls) == 0 {
		return ""
	}
	return "(" + strings.Join(nulls, " + ") + ")"
}

// deferFrom is the offset, in pages, from which pageSQL finds the page by
// id first. Measured on civici (1M rows, a view with a LEFT JOIN): a page
// of 10,000 costs PostgreSQL about 8 ms + 0.45 µs per skipped row in one
// query, 29 ms + 0.15 µs per skipped row deferred, even at 7 pages.
// Filtered pages and pages after a cursor are always deferred: there the
// view's join, planned for the whole table, read the best offers from
// the first id on (a merge join) or all of them (a hash join) for every
// page — 56 to 280 ms for a page of 10 to 1,000 civici in a bbox, against
// 0.1 to 40 ms with the join done per row of the page.
const deferFrom = 8

// rangesSQL is what pageSQL needs of the page key ranges of a bbox: the
// first of three parameters, arrays of the ranges' starts, ends and edge
// flags (see keyRange), and the condition that tests a point against the
// box, for the ranges on its edge.
type rangesSQL struct {
	param    int
	edgeTest string
}

// pageSQL selects one page of a layer as the columns appendFeature reads:
// the id, the geometry as GeoJSON, then the properties in catalog order
// (and last the page key of a layer that has one, for the cursor).
//
// LIMIT and OFFSET ($limit, $offset) apply in a subquery, because
// PostgreSQL evaluates a select list below LIMIT: with the formatting on
// the same level it formatted every row it skipped too (a page at offset
// 150,000 built 151,000 features to send 1,000). Far into a layer
// (deferred) even reading the skipped rows costs more than it needs: a
// view's LEFT JOINs run for each of them. Then the page is found by id
// alone (subquery k; the planner drops joins that add no column it reads)
// and its rows are fetched by id (the lateral subquery; OFFSET 0 keeps it
// one index probe per row), which relies on the id column being the
// layer's unique, indexed key, as Item does.
//
// Pages are in id order, except that a layer's ValuesFirst columns put
// the rows with the fewest nulls among them first (afterCond follows the
// same order). A bbox of a layer with a page key is in (page key, id)
// order: with its key ranges (kr; where then has no box condition) the
// page walks the index on (page key, id) range after range, in order, each
// range read only as far as the page needs, and the points of ranges on
// the box's edge tested against it: the nested loop over the ranges keeps
// their order, and so the page is the first rows in page order. A range
// inside the box has no test, so that the planner, which cannot know the
// range, walks the index for a small page rather than read and sort the
// range (a page of 10 after a cursor: 1.6 ms with the test, 0.3 without).
// The geometry is written in crs (see geoJSONSQL).
func pageSQL(l *catalog.Layer, where string, limit, offset int, kr *rangesSQL, deferred bool, crs geo.CRS) string {
	id := pgx.Identifier{l.IDColumn}.Sanitize()
	order, kCols, kOrder := "t."+id, "t."+id, "k."+id
	if rank := nullRank(l); rank != "" {
		order, kCols, kOrder = rank+", "+order, kCols+", "+rank+" AS k_rank", "k.k_rank, "+kOrder
	}
	pageKey := ""
	if kr != nil {
		pageKey = pgx.Identifier{l.PageKey}.Sanitize()
		order, kCols, kOrder = "t."+pageKey+", t."+id, "t."+id+", t."+pageKey, "k."+pageKey+", k."+id
	}
	var b strings.Builder
	// Points need no pass to orient rings.
	fmt.Fprintf(&b, "SELECT t.%s, %s", id, geoJSONSQL(l, !strings.HasSuffix(l.GeomType, "Point"), crs))
	for _, p := range l.FeatureProperties() {
		col := "t." + pgx.Identifier{p.Name}.Sanitize()
		switch p.Type {
		case catalog.Date, catalog.DateTime:
			// JSON's ISO 8601 form, whatever the session's DateStyle.
			col = "to_json(" + col + ")"
		}
		b.WriteString(", " + col)
	}
	if pageKey != "" {
		b.WriteString(", t." + pageKey)
	}
	table := l.Table.Sanitize()
	if !deferred && kr == nil {
		fmt.Fprintf(&b, " FROM (SELECT * FROM %s t%s ORDER BY %s LIMIT $%d OFFSET $%d) t ORDER BY %s",
			table, where, order, limit, offset, order)
		return b.String()
	}
	k := fmt.Sprintf("SELECT %s FROM %s t%s ORDER BY %s LIMIT $%d OFFSET $%d", kCols, table, where, order, limit, offset)
	if kr != nil {
		and := " AND "
		if where == "" {
			and = " WHERE "
		}
		inRange := fmt.Sprintf("%s%st.%s >= r.lo AND t.%s < r.hi AND (NOT r.edge OR %s) ORDER BY %s",
			where, and, pageKey, pageKey, kr.edgeTest, order)
		unnest := fmt.Sprintf("unnest($%d::bigint[], $%d::bigint[], $%d::boolean[]) AS r(lo, hi, edge)", kr.param, kr.param+1, kr.param+2)
		if !deferred {
			// From the start: the rows of the ranges are the page's, read
			// once with their joins (no row is skipped).
			fmt.Fprintf(&b, " FROM %s, LATERAL (SELECT * FROM %s t%s LIMIT $%d) t LIMIT $%d OFFSET $%d",
				unnest, table, inRange, limit, limit, offset)
			return b.String()
		}
		k = fmt.Sprintf("SELECT k.%s, k.%s FROM %s, LATERAL (SELECT %s FROM %s t%s LIMIT $%d::bigint + $%d::bigint) k LIMIT $%d OFFSET $%d",
			id, pageKey, unnest, kCols, table, inRange, limit, offset, limit, offset)
	}
	fmt.Fprintf(&b, " FROM (%s) k, LATERAL (SELECT * FROM %s t WHERE t.%s = k.%s OFFSET 0) t ORDER BY %s",
		k, table, id, id, kOrder)
	return b.String()
}

// featureEncoder assembles GeoJSON Features from the text columns of
// pageSQL into one reused buffer. It writes what featureSQL writes.
type featureEncoder struct {
	intID bool
	props []catalog.Property
	keys  [][]byte // `"name":` per property, the first after '{', the rest after ','
	buf   []byte
}

func newFeatureEncoder(l *catalog.Layer) *featureEncoder {
	e := &featureEncoder{intID: l.IDType == catalog.Integer, props: l.FeatureProperties()}
	for i, p := range e.props {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		// Property names are validated identifiers: nothing to escape.
		e.keys = append(e.keys, []byte(sep+`"`+p.Name+`":`))
	}
	return e
}

// appendFeature returns the Feature of one row; the slice is valid until
// the next call.
func (e *featureEncoder) appendFeature(vals [][]byte) []byte {
	b := append(e.buf[:0], `{"type":"Feature","id":`...)
	switch {
	case vals[0] == nil:
		b = append(b, "null"...)
	case e.intID:
		b = append(b, vals[0]...)
	default:
		b = appendJSONString(b, vals[0])
	}
	b = append(b, `,"geometry":`...)
	if vals[1] == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, vals[1]...)
	}
	b = append(b, `,"properties":`...)
	if len(e.props) == 0 {
		b = append(b, '{')
	}
	for i, p := range e.props {
		b = append(b, e.keys[i]...)
		b = appendJSONValue(b, p.Type, vals[2+i])
	}
	b = append(b, "}}"...)
	e.buf = b
	return b
}

// appendJSONValue appends the JSON of a property's text value as
// json_build_object writes it: numbers as they are (NaN and the infinities
// as strings), booleans as true or false, dates already JSON, the rest as
// strings. A whole Number gets a decimal point (12.0): clients type a field
// from the values they see first, and one that saw only 12 made pv_kw an
// integer field and then lost 12.5 (GDAL rounded it, QGIS nulled it).
func appendJSONValue(b []byte, t catalog.Type, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch t {
	case catalog.Integer:
		if isJSONNumber(v) {
			return append(b, v...)
		}
	case catalog.Number:
		if isJSONNumber(v) {
			b = append(b, v...)
			if !bytes.ContainsAny(v, ".eE") {
				b = append(b, ".0"...)
			}
			return b
		}
	case catalog.Boolean:
		if len(v) == 1 && v[0] == 't' {
			return append(b, "true"...)
		}
		if len(v) == 1 && v[0] == 'f' {
			return append(b, "false"...)
		}
	case catalog.Date, catalog.DateTime:
		return append(b, v...) // to_json's output
	}
	return appendJSONString(b, v)
}

// isJSONNumber reports whether PostgreSQL's text of a number is a JSON
// number (RFC 8259 §6), which it is unless it is NaN, Infinity or
// -Infinity: number output functions print no leading '+' or '.'.
func isJSONNumber(v []byte) bool {
	if len(v) > 1 && v[0] == '-' {
		v = v[1:]
	}
	return len(v) > 0 && v[0] >= '0' && v[0] <= '9'
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s (valid UTF-8, as PostgreSQL sends text) as a
// JSON string, escaping what RFC 8259 §7 requires, as PostgreSQL's
// escape_json does.
func appendJSONString(b, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// cachedCount returns the count of q's features if the cache holds it for
// the current data version, -1 otherwise.
func (s *Service) cachedCount(l *catalog.Layer, q Query) int64 {
	if n, ok := s.counts.Get(countKey(l, q, s.versions.Of(l.SourceTables()...))); ok {
		return n
	}
	return -1
}

// Count returns the number of features q selects (whatever its page),
// cached per data version.
func (s *Service) Count(ctx context.Context, l *catalog.Layer, q Query) (int64, error) {
	return s.count(ctx, l, q)
}

func (s *Service) count(ctx context.Context, l *catalog.Layer, q Query) (int64, error) {
	key := countKey(l, q, s.versions.Of(l.SourceTables()...))
	if n, ok := s.counts.Get(key); ok {
		return n, nil
	}
	sql, args := countSQL(l, q)
	var n int64
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, store.Translate("features.count", filterError("features.count", q, err))
	}
	s.counts.Add(key, n)
	return n, nil
}

// countSQL is the query of the number of features q selects. With a page
// key and a lon/lat bbox it sums the key ranges of the box: those inside it
// from the index on (page key, id) alone, without reading a row (a box of
// 43,000 civic numbers: 60 ms with the GiST index, which rechecks every
// row), and only the points of the ranges on its edge one by one.
func countSQL(l *catalog.Layer, q Query) (string, []any) {
	table := l.Table.Sanitize()
	keys := boxKeys(l, q)
	if keys == nil {
		w, args := where(l, q, nil, boxIndexed)
		return "SELECT count(*) FROM " + table + " t" + w, args
	}
	others, args := conditions(l, q, nil, boxNone)
	plain, args := pointInBox(l, *q.BBox, args)
	var inLo, inHi, edgeLo, edgeHi []int64
	for _, r := range keys {
		if r.edge {
			edgeLo, edgeHi = append(edgeLo, r.lo), append(edgeHi, r.hi)
		} else {
			inLo, inHi = append(inLo, r.lo), append(inHi, r.hi)
		}
	}
	key := "t." + pgx.Identifier{l.PageKey}.Sanitize()
	sum := func(lo, hi int, conds []string) string {
		conds = append([]string{fmt.Sprintf("%s >= r.lo AND %s < r.hi", key, key)}, conds...)
		return fmt.Sprintf("(SELECT coalesce(sum(c.n), 0) FROM unnest($%d::bigint[], $%d::bigint[]) AS r(lo, hi),"+
			" LATERAL (SELECT count(*) AS n FROM %s t WHERE %s) c)", lo, hi, table, strings.Join(conds, " AND "))
	}
	args = append(args, append([]int64{}, inLo...), append([]int64{}, inHi...), append([]int64{}, edgeLo...), append([]int64{}, edgeHi...))
	n := len(args)
	return "SELECT (" + sum(n-3, n-2, others) + " + " + sum(n-1, n, append(others, plain)) + ")::bigint", args
}

func countKey(l *catalog.Layer, q Query, version int64) string {
	v := q.Values(0)
	v.Del("limit")
	v.Del("crs") // the count is the same in every CRS
	return l.ID + "\x00" + strconv.FormatInt(version, 10) + "\x00" + v.Encode()
}

// Item returns one feature as GeoJSON, its coordinates in crs (the zero
// CRS is CRS84).
func (s *Service) Item(ctx context.Context, l *catalog.Layer, id string, crs geo.CRS) ([]byte, error) {
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
	sql := "SELECT " + featureSQLIn(l, crs) + " FROM " + l.Table.Sanitize() + " t WHERE t." +
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
	e, err := s.extent(ctx, l)
	return e.bound, e.ok, err
}

// TemporalExtent returns the first and last time of the layer's features
// (its Temporal properties); nil where open or unknown, both nil for a
// layer without time. It is cached with Extent.
func (s *Service) TemporalExtent(ctx context.Context, l *catalog.Layer) (start, end *time.Time, err error) {
	e, err := s.extent(ctx, l)
	return e.start, e.end, err
}

// extentSQL selects the spatial extent and the first and last time of a
// layer. Dates count from midnight UTC, whatever the session's TimeZone.
func extentSQL(l *catalog.Layer) string {
	asTime := func(agg, p string) string {
		x := agg + "(t." + pgx.Identifier{p}.Sanitize() + ")"
		if prop, _ := l.Property(p); prop.Type == catalog.Date {
			x = "(" + x + ")::timestamp AT TIME ZONE 'UTC'"
		}
		return x
	}
	lo, hi := "NULL::timestamptz", "NULL::timestamptz"
	if t := l.Temporal; t != nil && t.Instant != "" {
		lo, hi = asTime("min", t.Instant), asTime("max", t.Instant)
	} else if t != nil {
		// An interval open at one end opens the extent there.
		open := func(p string) string { return "bool_or(t." + pgx.Identifier{p}.Sanitize() + " IS NULL)" }
		lo = "CASE WHEN " + open(t.Start) + " THEN NULL ELSE " + asTime("min", t.Start) + " END"
		hi = "CASE WHEN " + open(t.End) + " THEN NULL ELSE " + asTime("max", t.End) + " END"
	}
	return "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), lo, hi FROM (SELECT ST_Extent(t." +
		pgx.Identifier{l.Geom}.Sanitize() + ") AS e, " + lo + " AS lo, " + hi + " AS hi FROM " + l.Table.Sanitize() + " t) x"
}

func (s *Service) extent(ctx context.Context, l *catalog.Layer) (extent, error) {
	v := s.versions.Of(l.SourceTables()...)
	s.mu.Lock()
	e, hit := s.extents[l.ID]
	s.mu.Unlock()
	if hit && e.version == v {
		return e, nil
	}
	var minx, miny, maxx, maxy *float64
	e = extent{version: v}
	if err := s.pool.QueryRow(ctx, extentSQL(l)).Scan(&minx, &miny, &maxx, &maxy, &e.start, &e.end); err != nil {
		return extent{}, store.Translate("features.Extent", err)
	}
	if minx != nil {
		e.bound, e.ok = orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}, true
	}
	for _, t := range []*time.Time{e.start, e.end} {
		if t != nil {
			*t = t.UTC()
		}
	}
	s.mu.Lock()
	s.extents[l.ID] = e
	s.mu.Unlock()
	return e, nil
}
