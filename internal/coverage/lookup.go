package coverage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store"
)

// civicoColumns are the columns scanned by scanCivico.
const civicoColumns = `v.id, v.anncsu_id, v.istat_code, coalesce(c.name, ''), v.street, v.number, v.suffix,
	ST_X(v.geom), ST_Y(v.geom), v.synthetic, v.best_status, v.best_technology, v.best_down_mbps`

func scanCivico(row pgx.Row, extra ...any) (Civico, error) {
	var v Civico
	err := row.Scan(append([]any{&v.ID, &v.ANNCSUID, &v.ISTATCode, &v.Comune, &v.Street, &v.Number, &v.Suffix,
		&v.Lon, &v.Lat, &v.Synthetic, &v.BestStatus, &v.BestTech, &v.BestMbps}, extra...)...)
	return v, err
}

// withOffers fills the offers of the civic numbers, best first: ranked as
// the best offer is chosen (see the package documentation and refresh.go),
// so the first offer is always the best one.
func (s *Store) withOffers(ctx context.Context, vs []Civico) error {
	if len(vs) == 0 {
		return nil
	}
	ids := make([]int64, len(vs))
	idx := map[int64]int{}
	for i, v := range vs {
		ids[i] = v.ID
		idx[v.ID] = i
		vs[i].Offers = []Offer{}
	}
	rows, err := s.pool.Query(ctx, `
		SELECT civico_id, programme, operator, technology, max_down_mbps, status, to_char(status_date, 'YYYY-MM-DD'), source
		FROM coverage_offers WHERE civico_id = ANY($1)
		ORDER BY civico_id, CASE status WHEN 'active' THEN 3 WHEN 'connectable' THEN 3 WHEN 'in_works' THEN 2 ELSE 1 END DESC,
			max_down_mbps DESC, (status = 'active') DESC, array_position(ARRAY['FTTH', 'FTTC', 'FWA', 'other'], technology),
			programme, operator`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var o Offer
		if err := rows.Scan(&id, &o.Programme, &o.Operator, &o.Technology, &o.MaxDownMbps, &o.Status, &o.StatusDate, &o.Source); err != nil {
			return err
		}
		vs[idx[id]].Offers = append(vs[idx[id]].Offers, o)
	}
	return rows.Err()
}

// FindCivico returns a civic number with its offers.
func (s *Store) FindCivico(ctx context.Context, id int64) (Civico, error) {
	const op = "coverage.FindCivico"
	v, err := scanCivico(s.pool.QueryRow(ctx, `SELECT `+civicoColumns+` FROM civici_coverage v LEFT JOIN comuni c USING (istat_code) WHERE v.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, apperr.New(op, apperr.NotFound, "no civic number %d", id)
	}
	if err != nil {
		return v, store.Translate(op, err)
	}
	vs := []Civico{v}
	if err := s.withOffers(ctx, vs); err != nil {
		return v, store.Translate(op, err)
	}
	return vs[0], nil
}

// MaxRadius bounds the reverse lookup, in metres.
const MaxRadius = 5000

// Nearest returns the civic number nearest to lon/lat within radius metres,
// with its offers and its distance.
func (s *Store) Nearest(ctx context.Context, lon, lat, radius float64) (Civico, error) {
	const op = "coverage.Nearest"
	// The KNN order runs on the Web Mercator index (locally isotropic, so
	// nearest there is nearest on the ground); the distance is geodesic.
	var d float64
	v, err := scanCivico(s.pool.QueryRow(ctx, `
		WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g)
		SELECT `+civicoColumns+`, ST_Distance(v.geom::geography, p.g::geography)
		FROM p, LATERAL (SELECT * FROM civici_coverage v ORDER BY v.geom_3857 <-> ST_Transform(p.g, 3857) LIMIT 1) v
		LEFT JOIN comuni c USING (istat_code)`, lon, lat), &d)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, apperr.New(op, apperr.NotFound, "no civic numbers are loaded")
	}
	if err != nil {
		return v, store.Translate(op, err)
	}
	if d > radius {
		return v, apperr.New(op, apperr.NotFound, "no civic number within %g m of %g,%g (the nearest is %.0f m away)", radius, lon, lat, d)
	}
	d = float64(int(d*10+0.5)) / 10
	v.Distance = &d
	vs := []Civico{v}
	if err := s.withOffers(ctx, vs); err != nil {
		return v, store.Translate(op, err)
	}
	return vs[0], nil
}

// Address is an address as a person types it.
type Address struct {
	Comune string // ISTAT code
	Street string
	Number *int
	Suffix string
}

// FindByAddress finds the civic number at an address, tolerant of case,
// accents, apostrophes, abbreviations ("V.", "P.ZA") and a missing "Via":
// the exact street key first, then the comune's street whose key contains
// it or resembles it most (trigram similarity of at least 0.5).
func (s *Store) FindByAddress(ctx context.Context, a Address) (Civico, error) {
	const op = "coverage.FindByAddress"
	key := StreetKey(a.Street)
	if key == "" {
		return Civico{}, apperr.Invalidf(op, "street", "%q has no letters or digits", a.Street)
	}
	var streetKey, street, comune string
	err := s.pool.QueryRow(ctx, `
		SELECT s.street_key, s.street, coalesce(c.name, s.istat_code) FROM coverage_streets s LEFT JOIN comuni c USING (istat_code)
		WHERE s.istat_code = $1 AND (s.street_key = $2 OR s.street_key LIKE '% ' || $2 OR similarity(s.street_key, $2) >= 0.5)
		ORDER BY s.street_key = $2 DESC, s.street_key LIKE '% ' || $2 DESC, similarity(s.street_key, $2) DESC, s.civici DESC
		LIMIT 1`, a.Comune, key).Scan(&streetKey, &street, &comune)
	if errors.Is(err, pgx.ErrNoRows) {
		return Civico{}, apperr.New(op, apperr.NotFound, "no street like %q in comune %s", a.Street, a.Comune)
	}
	if err != nil {
		return Civico{}, store.Translate(op, err)
	}
	suffix := strings.ToUpper(strings.TrimSpace(a.Suffix))
	v, err := scanCivico(s.pool.QueryRow(ctx, `SELECT `+civicoColumns+`
		FROM civici_coverage v LEFT JOIN comuni c USING (istat_code)
		WHERE v.istat_code = $1 AND v.street_key = $2 AND v.number IS NOT DISTINCT FROM $3 AND upper(v.suffix) = $4
		ORDER BY v.id LIMIT 1`, a.Comune, streetKey, a.Number, suffix))
	if errors.Is(err, pgx.ErrNoRows) {
		// Say which street was understood, as registered, and which
		// numbers it has.
		var lo, hi *int
		if err := s.pool.QueryRow(ctx, `SELECT min(number), max(number) FROM civici WHERE istat_code = $1 AND street_key = $2`,
			a.Comune, streetKey).Scan(&lo, &hi); err != nil {
			return Civico{}, store.Translate(op, err)
		}
		numbers := ""
		if lo != nil && hi != nil {
			numbers = fmt.Sprintf(" (its numbers run from %d to %d)", *lo, *hi)
		}
		return Civico{}, apperr.New(op, apperr.NotFound, "%s, %s has no number %s%s%s", street, comune, numberText(a.Number), suffix, numbers)
	}
	if err != nil {
		return Civico{}, store.Translate(op, err)
	}
	vs := []Civico{v}
	if err := s.withOffers(ctx, vs); err != nil {
		return v, store.Translate(op, err)
	}
	return vs[0], nil
}

func numberText(n *int) string {
	if n == nil {
		return "SNC"
	}
	return strconv.Itoa(*n)
}
