package coverage

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/store"
)

// Suggestion is one answer of the address search: a civic number, a
// street or a comune.
type Suggestion struct {
	Kind      string    `json:"kind"` // "civico", "street" or "comune"
	Label     string    `json:"label"`
	ISTATCode string    `json:"istat_code"`
	Comune    string    `json:"comune"`
	Street    string    `json:"street"`
	StreetID  string    `json:"street_id,omitempty"` // the street's feature id in the streets layer
	Civici    int       `json:"civici,omitempty"`
	ID        int64     `json:"id,omitempty"` // of a civic number
	Number    *int      `json:"number,omitempty"`
	Suffix    string    `json:"suffix,omitempty"`
	Lon       float64   `json:"lon"`
	Lat       float64   `json:"lat"`
	BBox      []float64 `json:"bbox,omitempty"` // of a street's civic numbers, or of a comune
	Status    *string   `json:"best_status,omitempty"`
	Mbps      *int      `json:"best_down_mbps,omitempty"`

	// A street that lacks the house number typed says so: the number as
	// typed, the lowest and highest numbers it has, and the civic number
	// closest in number.
	MissingNumber string      `json:"missing_number,omitempty"`
	NumberRange   []int       `json:"number_range,omitempty"`
	Nearest       *Suggestion `json:"nearest,omitempty"`
}

// StreetID is the feature id of a street in the streets layer:
// "019035-VIA-ROMA" (migration 00030).
func StreetID(istatCode, streetKey string) string {
	return istatCode + "-" + strings.ReplaceAll(streetKey, " ", "-")
}

// civicoText writes a house number with its esponente: "12", "12A",
// "12 BIS".
func civicoText(n *int, suffix string) string {
	switch {
	case suffix == "":
		return numberText(n)
	case len(suffix) == 1:
		return numberText(n) + suffix
	}
	return numberText(n) + " " + suffix
}

// How a street's name matches the typed one, best first; a tier is worth
// ten points of a result's score, and how well the comune was named adds
// the rest (see penalty).
const streetTierSQL = `CASE
	WHEN s.street_key = $1 THEN 0
	WHEN s.street_core = $2 THEN 1
	WHEN s.street_key LIKE '% ' || $2 THEN 2
	WHEN s.street_core = ANY($4) OR length($2) >= 4 AND (` + oneEditSQL + `) THEN 3
	WHEN s.street_key LIKE $1 || '%' OR s.street_core LIKE $2 || '%' THEN 4
	WHEN s.street_key LIKE '% ' || $2 || '%' THEN 5
	ELSE 6 END`

// oneEditSQL: the key or its core one edit away from the typed one; the
// length test first, so that long names cost nothing.
const oneEditSQL = `abs(length(s.street_key) - length($1)) <= 1 AND levenshtein_less_equal(s.street_key, $1, 1) <= 1
	OR abs(length(s.street_core) - length($2)) <= 1 AND levenshtein_less_equal(s.street_core, $2, 1) <= 1`

// streetColumns are scanned by scanStreet.
const streetColumns = `s.istat_code, coalesce(c.name, ''), s.street, s.street_key, s.civici, s.number_min, s.number_max,
	ST_X(s.geom), ST_Y(s.geom), s.west, s.south, s.east, s.north, ` + streetTierSQL + ` AS tier, similarity(s.street_key, $1) AS sim,
	coalesce(st.civici, 0)`

// streetMatchSQL is what a typed street may match, in a comune: the same
// name, with or without its type word, the name with two letters swapped
// ($4, see swaps), the start of a name (typing), and from three letters on
// a word of it or a similar name — trigrams of the name without its type
// word, which would make every "via ..." look alike; word similarity for
// a typo in a name typed without its first name ("mazzni" for Giuseppe
// Mazzini) — or one edit away ("doma" for Roma). Names longer than 60
// letters exist nowhere: such a text is matched exactly or by its start,
// and costs no fuzzy comparison.
const streetMatchSQL = `(s.street_key = $1 OR s.street_core = $2 OR s.street_core = ANY($4)
	OR s.street_key LIKE $1 || '%' OR s.street_core LIKE $2 || '%'
	OR length($2) BETWEEN 3 AND 60 AND (s.street_key LIKE '% ' || $2 || '%' OR s.street_core % $2 OR $2 <% s.street_key)
	OR length($2) BETWEEN 4 AND 60 AND (` + oneEditSQL + `))`

// searchComuneStreetsSQL looks in the named comuni, where every street of
// a comune (a few hundred) can be compared.
const searchComuneStreetsSQL = `SELECT ` + streetColumns + `
FROM coverage_streets s LEFT JOIN comuni c USING (istat_code) LEFT JOIN coverage_comuni_stats st USING (istat_code)
WHERE s.istat_code = ANY($5) AND ` + streetMatchSQL + `
ORDER BY tier, sim DESC, st.civici DESC NULLS LAST, s.civici DESC, s.istat_code, s.street_key
LIMIT $3`

// searchStreetsSQL looks in every comune, through indexes only: each
// branch of the union is an index scan (the trigram indexes serve LIKE and
// similarity), so the work follows the candidates, not the size of the
// register. Word similarity and edit distance, which no index serves,
// are left to searchComuneStreetsSQL.
const searchStreetsSQL = `WITH m AS (
	SELECT istat_code, street_key FROM coverage_streets WHERE street_key = $1
	UNION SELECT istat_code, street_key FROM coverage_streets WHERE street_core = $2
	UNION SELECT istat_code, street_key FROM coverage_streets WHERE street_core = ANY($4)
	UNION SELECT istat_code, street_key FROM coverage_streets WHERE street_key LIKE $1 || '%'
	UNION SELECT istat_code, street_key FROM coverage_streets WHERE street_core LIKE $2 || '%'
	UNION SELECT istat_code, street_key FROM coverage_streets WHERE length($2) BETWEEN 3 AND 60 AND street_key LIKE '% ' || $2 || '%'
	UNION SELECT istat_code, street_key FROM coverage_streets WHERE length($2) BETWEEN 3 AND 60 AND street_core % $2
)
SELECT ` + streetColumns + `
FROM m JOIN coverage_streets s USING (istat_code, street_key)
	LEFT JOIN comuni c USING (istat_code) LEFT JOIN coverage_comuni_stats st USING (istat_code)
ORDER BY tier, sim DESC, st.civici DESC NULLS LAST, s.civici DESC, s.istat_code, s.street_key
LIMIT $3`

// civiciAtSQL finds the civic numbers with the typed number (and
// esponente, if one was typed) on each street, without esponente first.
const civiciAtSQL = `SELECT q.i, v.id, v.number, v.suffix, ST_X(v.geom), ST_Y(v.geom), v.best_status, v.best_down_mbps
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(code, key, i)
CROSS JOIN LATERAL (
	SELECT v.* FROM civici_coverage v
	WHERE v.istat_code = q.code AND v.street_key = q.key AND v.number = $3 AND ($4 = '' OR upper(v.suffix) = $4)
	ORDER BY v.suffix <> '', v.suffix, v.id LIMIT 5
) v
ORDER BY q.i`

// nearestCivicoSQL finds, on each street, the civic number closest in
// number to the typed one (the lower on a tie; the typed esponente, then
// none, on the same number).
const nearestCivicoSQL = `SELECT q.i, v.id, v.number, v.suffix, ST_X(v.geom), ST_Y(v.geom), v.best_status, v.best_down_mbps
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(code, key, i)
CROSS JOIN LATERAL (
	SELECT v.* FROM civici_coverage v
	WHERE v.istat_code = q.code AND v.street_key = q.key AND v.number IS NOT NULL
	ORDER BY abs(v.number - $3), v.number, upper(v.suffix) = $4 DESC, v.suffix <> '', v.suffix, v.id LIMIT 1
) v`

// comuniPlacesSQL gives comuni as search answers: a point inside each
// and its extent.
const comuniPlacesSQL = `SELECT c.istat_code, c.name, ST_X(p), ST_Y(p), ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom)
FROM comuni c CROSS JOIN LATERAL ST_PointOnSurface(c.geom) AS p WHERE c.istat_code = ANY($1)`

// candidate is a street or comune found by some reading of the query,
// with its score (lower is better).
type candidate struct {
	Suggestion
	key   string
	score int
	sim   float64
	size  int  // civic numbers in the comune: the main town first
	lo    *int // the street's lowest and highest house numbers
	hi    *int
	civ   []Suggestion
	near  *Suggestion
}

// penalty is what naming the comune less well costs a result: nothing
// named (5) is worse than a comune typed with a typo (4), half typed (3)
// or in full (1), so that "via roma 12 crema" shows Crema's Via Roma first.
func penalty(match int, comuneGiven bool) int {
	switch {
	case match == comuneExact || comuneGiven:
		return 1
	case match == comunePrefix:
		return 3
	case match == comuneTypo:
		return 4
	}
	return 5
}

// Search answers the address search. It reads the query as people type
// it (see ParseQuery and Query.Readings), finds the streets that match in
// the comune named (or in comune, an ISTAT code, when given; else
// anywhere), and answers, best first: comuni when the query names only a
// comune; with a house number, its civic numbers — a street that lacks it
// comes as a street with the range of its numbers and the nearest one —;
// streets otherwise. At most limit answers.
func (s *Store) Search(ctx context.Context, q, comune string, limit int) ([]Suggestion, error) {
	const op = "coverage.Search"
	query := ParseQuery(q)
	if len(strings.Join(query.Words, "")) < 2 {
		return []Suggestion{}, nil
	}
	cs, err := s.comuneNames(ctx, comune)
	if err != nil {
		return nil, store.Translate(op, err)
	}
	found := map[string]*candidate{}
	var comuniWanted []string
	comuneScore := map[string]int{}
	for _, rd := range query.Readings(cs) {
		codes := rd.ISTATCodes
		if comune != "" {
			codes = []string{comune}
		}
		if len(rd.Street) == 0 || onlyTypes(rd.Street) {
			// Only a comune was named ("crema"; "via crema" read as
			// "via" in Crema): the comune is an answer, after the
			// streets that match somehow when a type word was typed too.
			// A type word alone ("via") names no street: every street
			// would match.
			if rd.Match == comuneNone {
				continue
			}
			score := 10 * rd.Match
			if len(rd.Street) > 0 {
				score += 60
			}
			for _, c := range codes {
				if old, ok := comuneScore[c]; !ok || score < old {
					comuneScore[c] = score
				}
				if !slices.Contains(comuniWanted, c) {
					comuniWanted = append(comuniWanted, c)
				}
			}
			continue
		}
		key := strings.Join(rd.Street, " ")
		if len(key) < 2 {
			continue
		}
		core := streetCore(key)
		sql, args := searchStreetsSQL, []any{key, core, limit, swaps(core)}
		if len(codes) > 0 {
			sql, args = searchComuneStreetsSQL, append(args, codes)
		}
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return nil, store.Translate(op, err)
		}
		pen := penalty(rd.Match, comune != "")
		streets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (candidate, error) {
			var c candidate
			var tier int
			c.Kind = "street"
			c.BBox = make([]float64, 4)
			err := r.Scan(&c.ISTATCode, &c.Comune, &c.Street, &c.key, &c.Civici, &c.lo, &c.hi, &c.Lon, &c.Lat,
				&c.BBox[0], &c.BBox[1], &c.BBox[2], &c.BBox[3], &tier, &c.sim, &c.size)
			c.score = 10*tier + pen
			return c, err
		})
		if err != nil {
			return nil, store.Translate(op, err)
		}
		for _, c := range streets {
			id := c.ISTATCode + "|" + c.key
			if old, ok := found[id]; !ok || c.score < old.score {
				c.Label = c.Street + ", " + c.Comune
				c.StreetID = StreetID(c.ISTATCode, c.key)
				found[id] = &c
			}
		}
	}
	// A comune named in full restricts the answers to its streets, when
	// it has one that matches at least by a word.
	named := map[string]bool{}
	for _, c := range found {
		if c.score%10 == penalty(comuneExact, false) && c.score < 60 {
			named[c.ISTATCode] = true
		}
	}
	cands := make([]*candidate, 0, len(found)+len(comuniWanted))
	for _, c := range found {
		if len(named) == 0 || named[c.ISTATCode] {
			cands = append(cands, c)
		}
	}
	if len(named) > 0 {
		comuniWanted = nil
	}
	// Beside a name that matches, names that only look alike are noise.
	if slices.ContainsFunc(cands, func(c *candidate) bool { return c.score < 30 }) {
		cands = slices.DeleteFunc(cands, func(c *candidate) bool { return c.score >= 60 })
		for c, sc := range comuneScore {
			if sc >= 60 {
				comuniWanted = slices.DeleteFunc(comuniWanted, func(x string) bool { return x == c })
			}
		}
	}
	byScore := func(a, b *candidate) int {
		return cmp.Or(cmp.Compare(a.score, b.score), cmp.Compare(b.sim, a.sim), cmp.Compare(b.size, a.size),
			cmp.Compare(b.Civici, a.Civici), cmp.Compare(a.Comune, b.Comune), cmp.Compare(a.Street, b.Street))
	}
	slices.SortFunc(cands, byScore)
	if len(cands) > limit {
		cands = cands[:limit]
	}
	if query.Number != nil {
		if err := s.civiciOf(ctx, cands, query); err != nil {
			return nil, store.Translate(op, err)
		}
	}
	if len(comuniWanted) > 0 {
		comuni, err := s.comunePlaces(ctx, comuniWanted)
		if err != nil {
			return nil, store.Translate(op, err)
		}
		for _, c := range comuni {
			c.score = comuneScore[c.ISTATCode]
			cands = append(cands, c)
		}
	}
	// With a house number, among streets that match as well, those that
	// have it come first.
	slices.SortStableFunc(cands, func(a, b *candidate) int {
		if c := cmp.Compare(a.score, b.score); c != 0 {
			return c
		}
		if query.Number != nil {
			if c := cmp.Compare(min(len(b.civ), 1), min(len(a.civ), 1)); c != 0 {
				return c
			}
		}
		return byScore(a, b)
	})
	out := []Suggestion{}
	for _, c := range cands {
		switch {
		case len(c.civ) > 0:
			out = append(out, c.civ...)
		case query.Number != nil && c.Kind == "street":
			c.MissingNumber = query.NumberText
			if c.lo != nil && c.hi != nil {
				c.NumberRange = []int{*c.lo, *c.hi}
			}
			c.Nearest = c.near
			out = append(out, c.Suggestion)
		default:
			out = append(out, c.Suggestion)
		}
		if len(out) >= limit {
			return out[:limit], nil
		}
	}
	return out, nil
}

// swaps lists the words with two adjacent letters swapped ("RMOA" for
// "ROMA"), the typo that an edit distance counts twice: at most 40.
func swaps(core string) []string {
	out := []string{}
	for i := 0; i+1 < len(core) && i < 40; i++ {
		if core[i] == core[i+1] || core[i] == ' ' || core[i+1] == ' ' {
			continue
		}
		b := []byte(core)
		b[i], b[i+1] = b[i+1], b[i]
		out = append(out, string(b))
	}
	return out
}

// comuneNames lists the comuni a query may name: only code when given.
func (s *Store) comuneNames(ctx context.Context, code string) ([]ComuneName, error) {
	rows, err := s.pool.Query(ctx, `SELECT istat_code, name FROM comuni WHERE $1 = '' OR istat_code = $1 ORDER BY istat_code`, code)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ComuneName, error) {
		var code, name string
		err := r.Scan(&code, &name)
		return NewComuneName(code, name), err
	})
}

// comunePlaces makes comuni into answers.
func (s *Store) comunePlaces(ctx context.Context, codes []string) ([]*candidate, error) {
	rows, err := s.pool.Query(ctx, comuniPlacesSQL, codes)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*candidate, error) {
		c := &candidate{Suggestion: Suggestion{Kind: "comune", BBox: make([]float64, 4)}}
		err := r.Scan(&c.ISTATCode, &c.Comune, &c.Lon, &c.Lat, &c.BBox[0], &c.BBox[1], &c.BBox[2], &c.BBox[3])
		c.Label = c.Comune
		return c, err
	})
}

// civiciOf finds the typed civic number on each street (c.civ) and, on
// those that lack it, the nearest (c.near): two queries for all streets.
func (s *Store) civiciOf(ctx context.Context, cands []*candidate, q Query) error {
	var codes, keys []string
	var streets []*candidate
	for _, c := range cands {
		if c.Kind == "street" {
			codes, keys, streets = append(codes, c.ISTATCode), append(keys, c.key), append(streets, c)
		}
	}
	if len(streets) == 0 {
		return nil
	}
	scan := func(sql string, codes, keys []string, into func(c *candidate, v Suggestion)) error {
		rows, err := s.pool.Query(ctx, sql, codes, keys, *q.Number, q.Suffix)
		if err != nil {
			return err
		}
		var i int
		var v Suggestion
		_, err = pgx.ForEachRow(rows, []any{&i, &v.ID, &v.Number, &v.Suffix, &v.Lon, &v.Lat, &v.Status, &v.Mbps}, func() error {
			c := streets[i-1]
			v.Kind, v.ISTATCode, v.Comune, v.Street, v.StreetID = "civico", c.ISTATCode, c.Comune, c.Street, c.StreetID
			v.Label = c.Street + " " + civicoText(v.Number, v.Suffix) + ", " + c.Comune
			into(c, v)
			return nil
		})
		return err
	}
	if err := scan(civiciAtSQL, codes, keys, func(c *candidate, v Suggestion) { c.civ = append(c.civ, v) }); err != nil {
		return err
	}
	// The nearest on the streets that lack the number: positions in
	// streets are kept by sending every street, with an empty key for
	// those that have it.
	missing := slices.Clone(keys)
	anyMissing := false
	for i, c := range streets {
		if len(c.civ) > 0 {
			missing[i] = ""
		} else {
			anyMissing = true
		}
	}
	if !anyMissing {
		return nil
	}
	return scan(nearestCivicoSQL, codes, missing, func(c *candidate, v Suggestion) { c.near = &v }) // v is a copy
}
