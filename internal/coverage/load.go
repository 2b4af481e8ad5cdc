package coverage

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store"
)

// CivicoRow is one civic number to load. Line is the row's line in its file,
// for reports.
type CivicoRow struct {
	Line      int
	ANNCSUID  int64 // 0 when unknown
	ISTATCode string
	Street    string
	Number    *int
	Suffix    string
	Lon, Lat  float64
}

// Problem is one row a load did not take, with the reason.
type Problem struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// LoadSummary tells what a load did.
type LoadSummary struct {
	Rows       int       // rows received
	Inserted   int       // new rows
	Updated    int       // existing rows changed
	Unchanged  int       // existing rows matched that were already as loaded (civici)
	Skipped    []Problem // rows not loaded, with the reason
	Duplicates []Problem // rows that repeat an earlier one (also in Skipped when not loaded)
}

// LoadOptions describe where rows come from.
type LoadOptions struct {
	Source    string // provenance stored with every row
	Synthetic bool
	// Progress, when set, is called with the number of rows read so far.
	Progress func(rows int)
	// Strict makes any skipped row fail the whole load.
	Strict bool
}

// copyRows adapts an iterator to pgx.CopyFromSource so that rows stream
// from the file into COPY without being held in memory.
type copyRows[T any] struct {
	next     func() (T, error, bool)
	stop     func()
	row      []any
	err      error
	n        int
	progress func(int)
	encode   func(T) ([]any, error)
}

func newCopyRows[T any](rows iter.Seq2[T, error], progress func(int), encode func(T) ([]any, error)) *copyRows[T] {
	next, stop := iter.Pull2(rows)
	return &copyRows[T]{next: next, stop: stop, progress: progress, encode: encode}
}

func (c *copyRows[T]) Next() bool {
	r, err, ok := c.next()
	if !ok {
		return false
	}
	if err != nil {
		c.err = err
		return false
	}
	c.n++
	if c.progress != nil && c.n%10000 == 0 {
		c.progress(c.n)
	}
	c.row, c.err = c.encode(r)
	return c.err == nil
}

func (c *copyRows[T]) Values() ([]any, error) { return c.row, nil }
func (c *copyRows[T]) Err() error             { return c.err }

// copyError is the error of a COPY from c: the rows' own error when they
// ended with one. pgx sends it to the server as CopyFail, and the server
// answers with an error of its own (SQLSTATE 57014, which reads as a
// timeout), so the cause would be lost.
func (c *copyRows[T]) copyError(err error) error {
	if c.err != nil {
		return c.err
	}
	return err
}

const stageCiviciSQL = `CREATE TEMP TABLE civici_staging (
	line int, anncsu_id bigint, istat_code text, street text, street_key text,
	number int, suffix text, lon float8, lat float8, civico_id bigint) ON COMMIT DROP`

// Rows whose ANNCSU id or address repeats an earlier row are reported and
// dropped, keeping the first.
const civiciDuplicatesSQL = `
WITH d AS (
	SELECT line, anncsu_id, row_number() OVER (PARTITION BY anncsu_id ORDER BY line) AS k,
	       first_value(line) OVER (PARTITION BY anncsu_id ORDER BY line) AS first
	FROM civici_staging WHERE anncsu_id IS NOT NULL
)
DELETE FROM civici_staging s USING d WHERE s.line = d.line AND d.k > 1
RETURNING s.line, 'repeats ANNCSU access ' || s.anncsu_id || ' of line ' || d.first`

// A row without an ANNCSU access whose address repeats an earlier row is
// dropped like an id duplicate. A row with an access of its own at the
// address of an earlier row is loaded (ANNCSU gives some civic numbers
// more than one access) but reported, since an offer matched by address
// then goes to the first of them (civiciSharedAddressSQL).
const civiciAddressDuplicatesSQL = `
WITH d AS (
	SELECT line, row_number() OVER w AS k, first_value(line) OVER w AS first
	FROM civici_staging
	WINDOW w AS (PARTITION BY istat_code, street_key, number, suffix ORDER BY line)
)
DELETE FROM civici_staging s USING d WHERE s.line = d.line AND d.k > 1 AND s.anncsu_id IS NULL
RETURNING s.line, 'repeats the address of line ' || d.first`

// civiciSharedAddressSQL finds the repeated addresses with a hash
// aggregate first, so that only their rows are sorted.
const civiciSharedAddressSQL = `
WITH a AS (
	SELECT istat_code, street_key, coalesce(number, -1) AS number, suffix FROM civici_staging
	GROUP BY 1, 2, 3, 4 HAVING count(*) > 1
)
SELECT line, 'repeats the address of line ' || first || ' with ANNCSU access ' || anncsu_id || ' of its own (loaded)'
FROM (SELECT s.line, s.anncsu_id, row_number() OVER w AS k, first_value(s.line) OVER w AS first
      FROM civici_staging s JOIN a ON a.istat_code = s.istat_code AND a.street_key = s.street_key
           AND a.number = coalesce(s.number, -1) AND a.suffix = s.suffix
      WINDOW w AS (PARTITION BY s.istat_code, s.street_key, s.number, s.suffix ORDER BY s.line)) d
WHERE k > 1 AND anncsu_id IS NOT NULL
ORDER BY line`

// civiciMatchSQL finds the civic number each staged row updates: by
// ANNCSU id, or, for rows without one, by address (comune, street key,
// number, suffix). Separate statements keep the joins hashable.
const civiciMatchSQL = `
UPDATE civici_staging s SET civico_id = c.id FROM civici c
WHERE s.anncsu_id IS NOT NULL AND c.anncsu_id = s.anncsu_id;
UPDATE civici_staging s SET civico_id = c.id FROM civici c
WHERE s.anncsu_id IS NULL AND c.anncsu_id IS NULL AND c.istat_code = s.istat_code
  AND c.street_key = s.street_key AND coalesce(c.number, -1) = coalesce(s.number, -1) AND c.suffix = s.suffix`

// civiciUpdateSQL rewrites only the civic numbers that change: a register
// loaded again is mostly unchanged, and every rewritten row also rewrites
// its entries in every index (a million unchanged rows took 26 s to
// rewrite, 1.5 s to compare). It returns the rows changed and the rows
// matched.
const civiciUpdateSQL = `
WITH up AS (
	UPDATE civici c SET street = s.street, street_key = s.street_key, number = s.number, suffix = s.suffix,
		istat_code = s.istat_code, geom = ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), source = $1, synthetic = $2
	FROM civici_staging s
	WHERE c.id = s.civico_id AND (c.street, c.street_key, c.number, c.suffix, c.istat_code, c.source, c.synthetic, ST_X(c.geom), ST_Y(c.geom))
		IS DISTINCT FROM (s.street, s.street_key, s.number, s.suffix, s.istat_code, $1, $2, s.lon, s.lat)
	RETURNING 1
)
SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM civici_staging WHERE civico_id IS NOT NULL)`

const civiciInsertSQL = `
INSERT INTO civici (anncsu_id, istat_code, street, street_key, number, suffix, source, synthetic, geom)
SELECT s.anncsu_id, s.istat_code, s.street, s.street_key, s.number, s.suffix, $1, $2,
       ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)
FROM civici_staging s WHERE s.civico_id IS NULL ORDER BY s.line`

// civiciPlainIndexesSQL lists the indexes of civici that back no
// constraint (the GiST indexes and the address index), with their
// definitions, so that a large load can drop them and build them again
// from the catalog's own text.
const civiciPlainIndexesSQL = `
SELECT n.nspname, c.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = 'civici'::regclass AND NOT i.indisprimary AND NOT i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname`

// bulkInsertShare: when a load inserts at least this share of the rows
// civici will then hold (and at least bulkInsertMin rows), its plain
// indexes are dropped before the insert and built again after it. Building
// a GiST index from scratch (sorted) takes ~1.5 s for a million points;
// inserting a million points into the two GiST indexes took 12 s more
// than into none.
const (
	bulkInsertShare = 0.2
	bulkInsertMin   = 50000
)

// withoutIndexes runs insert with the plain indexes of civici dropped when
// the load is large, and builds them again after it, in tx. The dropped
// indexes hold an ACCESS EXCLUSIVE lock on civici until the load commits.
func withoutIndexes(ctx context.Context, tx pgx.Tx, insert func() error) error {
	var toInsert, existing int64
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM civici_staging WHERE civico_id IS NULL), (SELECT count(*) FROM civici)`).Scan(&toInsert, &existing); err != nil {
		return err
	}
	if toInsert < bulkInsertMin || float64(toInsert) < bulkInsertShare*float64(toInsert+existing) {
		return insert()
	}
	rows, err := tx.Query(ctx, civiciPlainIndexesSQL)
	if err != nil {
		return err
	}
	type index struct{ schema, name, def string }
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var i index
		err := r.Scan(&i.schema, &i.name, &i.def)
		return i, err
	})
	if err != nil {
		return err
	}
	for _, i := range idx {
		if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{i.schema, i.name}.Sanitize()); err != nil {
			return err
		}
	}
	if err := insert(); err != nil {
		return err
	}
	for _, i := range idx {
		if _, err := tx.Exec(ctx, i.def); err != nil {
			return fmt.Errorf("rebuild index %s: %w", i.name, err)
		}
	}
	// The planner should know the table's new size for the refresh and
	// for the loads that follow.
	_, err = tx.Exec(ctx, "ANALYZE civici")
	return err
}

// keyCache memoises StreetKey over one load: a register repeats each street
// name for every civic number on it, and the key costs several
// microseconds (seconds over a million rows, on COPY's critical path).
type keyCache map[string]string

func (m keyCache) key(street string) string {
	if k, ok := m[street]; ok {
		return k
	}
	if len(m) >= 1<<16 {
		clear(m)
	}
	k := StreetKey(street)
	m[street] = k
	return k
}

// LoadCivici loads civic numbers in one transaction: COPY into a staging
// table, duplicates reported and dropped, then an upsert and a refresh of
// the summaries. Rows must already be validated (see importer).
func (s *Store) LoadCivici(ctx context.Context, rows iter.Seq2[CivicoRow, error], opts LoadOptions) (LoadSummary, error) {
	const op = "coverage.LoadCivici"
	var sum LoadSummary
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, stageCiviciSQL); err != nil {
			return err
		}
		keys := keyCache{}
		src := newCopyRows(rows, opts.Progress, func(r CivicoRow) ([]any, error) {
			var id *int64
			if r.ANNCSUID != 0 {
				id = &r.ANNCSUID
			}
			key := keys.key(r.Street)
			if key == "" {
				return nil, apperr.New(op, apperr.Invalid, "line %d: street %q has no letters or digits", r.Line, r.Street)
			}
			return []any{r.Line, id, r.ISTATCode, r.Street, key, r.Number, r.Suffix, r.Lon, r.Lat}, nil
		})
		defer src.stop()
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"civici_staging"},
			[]string{"line", "anncsu_id", "istat_code", "street", "street_key", "number", "suffix", "lon", "lat"}, src)
		if err != nil {
			return src.copyError(err)
		}
		sum.Rows = int(n)
		if opts.Progress != nil {
			opts.Progress(sum.Rows)
		}
		for _, q := range []string{civiciDuplicatesSQL, civiciAddressDuplicatesSQL} {
			dups, err := collectProblems(ctx, tx, q)
			if err != nil {
				return err
			}
			sum.Duplicates = append(sum.Duplicates, dups...)
			sum.Skipped = append(sum.Skipped, dups...)
		}
		shared, err := collectProblems(ctx, tx, civiciSharedAddressSQL)
		if err != nil {
			return err
		}
		sum.Duplicates = append(sum.Duplicates, shared...)
		sortProblems(sum.Duplicates)
		sortProblems(sum.Skipped)
		if opts.Strict && len(sum.Skipped) > 0 {
			return apperr.New(op, apperr.Invalid, "%d rows would be skipped (first: line %d: %s); nothing was loaded",
				len(sum.Skipped), sum.Skipped[0].Line, sum.Skipped[0].Reason)
		}
		if _, err := tx.Exec(ctx, "ANALYZE civici_staging"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, civiciMatchSQL); err != nil {
			return err
		}
		var changed, matched int
		if err := tx.QueryRow(ctx, civiciUpdateSQL, opts.Source, opts.Synthetic).Scan(&changed, &matched); err != nil {
			return err
		}
		sum.Updated, sum.Unchanged = changed, matched-changed
		err = withoutIndexes(ctx, tx, func() error {
			tag, err := tx.Exec(ctx, civiciInsertSQL, opts.Source, opts.Synthetic)
			sum.Inserted = int(tag.RowsAffected())
			return err
		})
		if err != nil {
			return err
		}
		return refresh(ctx, tx)
	})
	return sum, store.Translate(op, err)
}

func collectProblems(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]Problem, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Problem, error) {
		var p Problem
		err := r.Scan(&p.Line, &p.Reason)
		return p, err
	})
	sortProblems(ps)
	return ps, err
}

// OfferRow is one coverage offer to load: for the civic number with the
// given ANNCSU id, or else at the given address.
type OfferRow struct {
	Line        int
	ANNCSUID    int64
	ISTATCode   string
	Street      string
	Number      *int
	Suffix      string
	Programme   string
	Operator    string
	Technology  string
	MaxDownMbps int
	Status      string
	StatusDate  *time.Time
}

const stageOffersSQL = `CREATE TEMP TABLE offers_staging (
	line int, anncsu_id bigint, istat_code text, street_key text, number int, suffix text,
	programme text, operator text, technology text, max_down_mbps int, status text, status_date date,
	civico_id bigint) ON COMMIT DROP`

const matchOffersSQL = `
UPDATE offers_staging s SET civico_id = c.id FROM civici c WHERE s.anncsu_id IS NOT NULL AND c.anncsu_id = s.anncsu_id;
UPDATE offers_staging s SET civico_id = m.id
FROM (SELECT DISTINCT ON (s.line) s.line, c.id FROM offers_staging s JOIN civici c
      ON c.istat_code = s.istat_code AND c.street_key = s.street_key AND coalesce(c.number, -1) = coalesce(s.number, -1) AND c.suffix = s.suffix
      WHERE s.civico_id IS NULL AND s.anncsu_id IS NULL ORDER BY s.line, c.id) m
WHERE s.line = m.line`

const unmatchedOffersSQL = `
SELECT line, CASE WHEN anncsu_id IS NOT NULL THEN 'no civic number has ANNCSU access ' || anncsu_id
	ELSE 'no civic number at ' || street_key || ' ' || coalesce(number::text, 'SNC') || suffix || ' in comune ' || istat_code END
FROM offers_staging WHERE civico_id IS NULL ORDER BY line`

const duplicateOffersSQL = `
WITH d AS (
	SELECT line, row_number() OVER w AS k, first_value(line) OVER w AS first FROM offers_staging
	WHERE civico_id IS NOT NULL
	WINDOW w AS (PARTITION BY civico_id, programme, operator, technology ORDER BY line)
)
DELETE FROM offers_staging s USING d WHERE s.line = d.line AND d.k > 1
RETURNING s.line, 'repeats the offer of line ' || d.first || ' for the same civic number, programme, operator and technology'`

const upsertOffersSQL = `
WITH up AS (
	INSERT INTO coverage_offers AS o (civico_id, programme, operator, technology, max_down_mbps, status, status_date, source)
	SELECT civico_id, programme, operator, technology, max_down_mbps, status, status_date, $1
	FROM offers_staging WHERE civico_id IS NOT NULL ORDER BY line
	ON CONFLICT (civico_id, programme, operator, technology) DO UPDATE SET
		max_down_mbps = EXCLUDED.max_down_mbps, status = EXCLUDED.status,
		status_date = EXCLUDED.status_date, source = EXCLUDED.source
	RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`

// LoadOffers loads coverage offers in one transaction. Rows that match no
// civic number are reported with their line and not loaded (in Strict mode
// they fail the load); known offers (same civic number, programme,
// operator, technology) are updated.
func (s *Store) LoadOffers(ctx context.Context, rows iter.Seq2[OfferRow, error], opts LoadOptions) (LoadSummary, error) {
	const op = "coverage.LoadOffers"
	var sum LoadSummary
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, stageOffersSQL); err != nil {
			return err
		}
		keys := keyCache{}
		src := newCopyRows(rows, opts.Progress, func(r OfferRow) ([]any, error) {
			var id *int64
			if r.ANNCSUID != 0 {
				id = &r.ANNCSUID
			}
			return []any{r.Line, id, r.ISTATCode, keys.key(r.Street), r.Number, r.Suffix,
				r.Programme, r.Operator, r.Technology, r.MaxDownMbps, r.Status, r.StatusDate}, nil
		})
		defer src.stop()
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"offers_staging"},
			[]string{"line", "anncsu_id", "istat_code", "street_key", "number", "suffix",
				"programme", "operator", "technology", "max_down_mbps", "status", "status_date"}, src)
		if err != nil {
			return src.copyError(err)
		}
		sum.Rows = int(n)
		if opts.Progress != nil {
			opts.Progress(sum.Rows)
		}
		if _, err := tx.Exec(ctx, "ANALYZE offers_staging"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, matchOffersSQL); err != nil {
			return err
		}
		unmatched, err := collectProblems(ctx, tx, unmatchedOffersSQL)
		if err != nil {
			return err
		}
		dups, err := collectProblems(ctx, tx, duplicateOffersSQL)
		if err != nil {
			return err
		}
		sum.Duplicates = dups
		sum.Skipped = append(unmatched, dups...)
		sortProblems(sum.Skipped)
		if opts.Strict && len(sum.Skipped) > 0 {
			return apperr.New(op, apperr.Invalid, "%d rows would be skipped (first: line %d: %s); nothing was loaded",
				len(sum.Skipped), sum.Skipped[0].Line, sum.Skipped[0].Reason)
		}
		if err := tx.QueryRow(ctx, upsertOffersSQL, opts.Source).Scan(&sum.Inserted, &sum.Updated); err != nil {
			return err
		}
		return refresh(ctx, tx)
	})
	return sum, store.Translate(op, err)
}

// Route is one network route to load.
type Route struct {
	Line      int // feature index in its file
	Programme string
	Operator  string
	Status    string
	Name      string
	Geom      orb.MultiLineString // EPSG:4326
}

// LoadRoutes loads network routes in one transaction. With replace, the
// routes of the same source are deleted first, so that re-loading a file
// does not double the network.
func (s *Store) LoadRoutes(ctx context.Context, routes []Route, opts LoadOptions, replace bool) (LoadSummary, error) {
	const op = "coverage.LoadRoutes"
	sum := LoadSummary{Rows: len(routes)}
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if replace {
			tag, err := tx.Exec(ctx, `DELETE FROM network_routes WHERE source = $1`, opts.Source)
			if err != nil {
				return err
			}
			sum.Updated = int(tag.RowsAffected())
		}
		rows := make([][]any, len(routes))
		for i, r := range routes {
			b, err := wkb.Marshal(r.Geom)
			if err != nil {
				return apperr.Wrap(op, apperr.Invalid, err, "feature %d: cannot encode geometry", r.Line)
			}
			var name *string
			if r.Name != "" {
				name = &r.Name
			}
			rows[i] = []any{r.Programme, r.Operator, r.Status, name, opts.Source, opts.Synthetic, b}
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE routes_staging (programme text, operator text, status text,
			name text, source text, synthetic boolean, wkb bytea) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"routes_staging"},
			[]string{"programme", "operator", "status", "name", "source", "synthetic", "wkb"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO network_routes (programme, operator, status, name, source, synthetic, geom)
			SELECT programme, operator, status, name, source, synthetic, ST_Multi(ST_SetSRID(ST_GeomFromWKB(wkb), 4326)) FROM routes_staging`)
		if err != nil {
			return err
		}
		sum.Inserted = int(tag.RowsAffected())
		return refresh(ctx, tx)
	})
	if err != nil {
		return sum, store.Translate(op, fmt.Errorf("%w", err))
	}
	return sum, nil
}
