package demo

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/store"
)

// The demo's civil-protection plans. The rivers are real — the Serio flows
// north to south through Crema into the Adda near Montodine, the Adda
// bounds the Cremasco to the west (Rivolta d'Adda, Spino d'Adda), the Oglio
// to the east (Soncino) — but their courses below are made-up polylines,
// and every shape, site, capacity, name of a person and contact is
// invented. Crisis-unit members are obviously fake: "Referente Demo
// 019035-1", +39 000 …, …@example.invalid.

// demoHazard is a made-up scenario: a buffer of Metres around a line (WKT,
// lon/lat), clipped to every consortium comune it touches, or to Comune
// only; without a line, the whole of Comune.
type demoHazard struct {
	Hazard, Title, Description string
	Severity                   int
	Metres                     float64
	Line                       string
	Comune                     string
}

// Made-up river courses (lon lat), roughly where the rivers run.
const (
	serioLine = "LINESTRING(9.705 45.490, 9.700 45.455, 9.693 45.430, 9.697 45.405, 9.692 45.385, 9.694 45.365, " +
		"9.700 45.345, 9.705 45.320, 9.708 45.300, 9.712 45.280, 9.720 45.262)"
	addaLine = "LINESTRING(9.525 45.500, 9.508 45.470, 9.495 45.440, 9.480 45.405, 9.488 45.375, 9.515 45.345, " +
		"9.560 45.320, 9.610 45.300, 9.650 45.285, 9.690 45.268, 9.720 45.258, 9.760 45.245)"
	oglioLine = "LINESTRING(9.895 45.480, 9.880 45.445, 9.868 45.415, 9.872 45.385, 9.885 45.355, 9.895 45.330)"
	// A made-up course of the SS 415 Paullese from the Adda to Crema.
	paulleseLine = "LINESTRING(9.470 45.385, 9.530 45.372, 9.590 45.372, 9.640 45.368, 9.680 45.366)"
)

func demoHazards() []demoHazard {
	var hs []demoHazard
	for _, r := range []struct{ name, line string }{{"del Serio", serioLine}, {"dell'Adda", addaLine}, {"dell'Oglio", oglioLine}} {
		hs = append(hs,
			demoHazard{Hazard: "idraulico", Title: "Esondazione " + r.name + " – pericolosità elevata (P3)", Severity: 4, Metres: 250, Line: r.line,
				Description: "Alluvioni frequenti. Scenario dimostrativo: fascia di 250 m attorno a un tracciato inventato " + r.name + "."},
			demoHazard{Hazard: "idraulico", Title: "Esondazione " + r.name + " – pericolosità media (P2)", Severity: 3, Metres: 700, Line: r.line,
				Description: "Alluvioni poco frequenti. Scenario dimostrativo: fascia di 700 m attorno a un tracciato inventato " + r.name + "."},
		)
	}
	hs = append(hs,
		demoHazard{Hazard: "industriale", Title: "Rilascio di sostanze pericolose – deposito chimico", Severity: 3, Metres: 600,
			Line: "POINT(9.668 45.372)", Comune: "019035", Description: "Scenario dimostrativo attorno a un sito industriale inventato."},
		demoHazard{Hazard: "industriale", Title: "Incendio in stabilimento – zona artigianale", Severity: 3, Metres: 500,
			Line: "POINT(9.760 45.300)", Comune: "019025", Description: "Scenario dimostrativo attorno a un sito industriale inventato."},
		demoHazard{Hazard: "trasporti", Title: "Trasporto di merci pericolose – SS 415 Paullese", Severity: 2, Metres: 150, Line: paulleseLine,
			Description: "Scenario dimostrativo: fascia di 150 m attorno a un tracciato inventato della strada."},
		demoHazard{Hazard: "ondate_calore", Title: "Ondate di calore – centro urbano", Severity: 2, Comune: "019035",
			Description: "Scenario dimostrativo esteso a tutto il comune."},
	)
	for _, code := range []string{"019025", "019035", "019067", "019084", "019097"} {
		hs = append(hs, demoHazard{Hazard: "neve", Title: "Nevicate intense", Severity: 2, Comune: code,
			Description: "Scenario dimostrativo esteso a tutto il comune."})
	}
	return hs
}

// demoScenariosSQL draws the scenarios of demoHazards in EPSG:32632
// (metres) and stores them clipped to each comune, in a fixed order.
const demoScenariosSQL = `
WITH h AS (
	SELECT u.*, CASE WHEN u.line = '' THEN NULL
		ELSE ST_Buffer(ST_Transform(ST_GeomFromText(u.line, 4326), 32632), u.metres, 'quad_segs=8') END AS buf
	FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::text[], $7::text[])
		WITH ORDINALITY AS u(hazard, title, description, severity, metres, line, comune, ord)
), c AS (
	SELECT istat_code, geom, ST_Transform(geom, 32632) AS g32 FROM comuni WHERE consortium
), pairs AS (
	SELECT h.ord, h.hazard, h.title, h.description, h.severity, c.istat_code,
		CASE WHEN h.buf IS NULL THEN c.geom
			ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(ST_Intersection(h.buf, c.g32), 4326)), 3)) END AS geom
	FROM h JOIN c ON (h.comune = '' OR c.istat_code = h.comune) AND (h.buf IS NULL OR ST_Intersects(h.buf, c.g32))
)
INSERT INTO cp_scenarios (istat_code, hazard, title, description, severity, source, synthetic, geom)
SELECT istat_code, hazard, title, description, severity, $8, true, geom
FROM pairs WHERE NOT ST_IsEmpty(geom) AND ST_Area(geom::geography) > 20000
ORDER BY ord, istat_code`

// demoPlace finds a point at (dx, dy) metres from a comune's centre,
// pulled towards the centre until it lies inside the boundary.
func demoPlace(m comuni.Member, b orb.MultiPolygon, dx, dy float64) orb.Point {
	mx := metresPerDegreeLat * math.Cos(m.Centroid[1]*math.Pi/180)
	for f := 1.0; f > 0.05; f /= 2 {
		p := orb.Point{m.Centroid[0] + dx*f/mx, m.Centroid[1] + dy*f/metresPerDegreeLat}
		if planar.MultiPolygonContains(b, p) {
			return p
		}
	}
	return m.Centroid
}

// demoRect is a w x h metre rectangle (counter-clockwise) around p.
func demoRect(p orb.Point, w, h float64) orb.Polygon {
	mx := metresPerDegreeLat * math.Cos(p[1]*math.Pi/180)
	dx, dy := w/2/mx, h/2/metresPerDegreeLat
	return orb.Polygon{{{p[0] - dx, p[1] - dy}, {p[0] + dx, p[1] - dy}, {p[0] + dx, p[1] + dy}, {p[0] - dx, p[1] + dy}, {p[0] - dx, p[1] - dy}}}
}

// demoRectInside places a rectangle at (dx, dy) from the centre, pulled in
// until all of it lies inside the boundary.
func demoRectInside(m comuni.Member, b orb.MultiPolygon, dx, dy, w, h float64) orb.Polygon {
	for f := 1.0; f > 0.05; f /= 2 {
		r := demoRect(demoPlace(m, b, dx*f, dy*f), w, h)
		inside := true
		for _, q := range r[0] {
			inside = inside && planar.MultiPolygonContains(b, q)
		}
		if inside {
			return r
		}
	}
	return demoRect(m.Centroid, w/4, h/4)
}

// demoRows collects rows for one unnest insert.
type demoRows struct {
	codes, kinds, names []string
	capacity            []int32
	geoms               [][]byte
}

func (d *demoRows) add(code, kind, name string, capacity int, g orb.Geometry) error {
	b, err := wkb.Marshal(g)
	if err != nil {
		return err
	}
	d.codes, d.kinds, d.names = append(d.codes, code), append(d.kinds, kind), append(d.names, name)
	d.capacity, d.geoms = append(d.capacity, int32(capacity)), append(d.geoms, b)
	return nil
}

// demoMember is a fake crisis-unit member.
type demoMember struct{ code, role, name, phone, email string }

// DemoMember returns the fake member n (from 1) of a comune's crisis unit:
// its name, phone and e-mail, so tests can look for them where they must
// never appear.
func DemoMember(code string, n int) (name, phone, email string) {
	return fmt.Sprintf("Referente Demo %s-%d", code, n), fmt.Sprintf("+39 000 %s %02d", code, n),
		fmt.Sprintf("referente.%s.%d@example.invalid", code, n)
}

// demoTransition is a step of a demo plan's made-up history.
type demoTransition struct {
	to     string
	at     string // RFC 3339
	role   auth.Role
	reason string
}

// demoPlans gives a few comuni a history, so every status is shown: Crema
// validated then reopened (a draft of version 2 with a validated version
// 1), Pianengo and Sergnano validated, Offanengo submitted, Ricengo
// returned. The others stay drafts.
var demoPlans = []struct {
	code  string
	steps []demoTransition
}{
	{"019035", []demoTransition{
		{"submitted", "2025-02-03T10:00:00Z", auth.Editor, ""},
		{"validated", "2025-02-20T11:30:00Z", auth.Validator, ""},
		{"draft", "2025-09-01T09:00:00Z", auth.Editor, "aggiornamento annuale delle aree di emergenza"},
	}},
	{"019072", []demoTransition{
		{"submitted", "2025-03-10T09:15:00Z", auth.Editor, ""},
		{"validated", "2025-03-28T15:00:00Z", auth.Validator, ""},
	}},
	{"019094", []demoTransition{
		{"submitted", "2025-05-05T08:30:00Z", auth.Editor, ""},
		{"validated", "2025-06-12T10:45:00Z", auth.Validator, ""},
	}},
	{"019062", []demoTransition{
		{"submitted", "2025-10-06T14:00:00Z", auth.Editor, ""},
	}},
	{"019079", []demoTransition{
		{"submitted", "2025-04-02T11:00:00Z", auth.Editor, ""},
		{"returned", "2025-04-15T16:20:00Z", auth.Validator, "mancano le capacità delle aree di accoglienza"},
	}},
}

// demoPlansSince is when every demo plan was started.
const demoPlansSince = "2025-01-15T09:00:00Z"

// resetDemoSQL removes the civil-protection demo rows of an earlier run.
// Comuni whose data is all synthetic are unfrozen and their plans (with
// their history) start over; a comune with real data keeps its plan, and
// a frozen one makes the reload fail with the plan's conflict.
var resetDemoSQL = []string{
	`CREATE TEMP TABLE cp_demo_comuni ON COMMIT DROP AS
	SELECT istat_code FROM (
		SELECT istat_code, synthetic FROM cp_scenarios UNION ALL SELECT istat_code, synthetic FROM cp_emergency_areas
		UNION ALL SELECT istat_code, synthetic FROM cp_buildings UNION ALL SELECT istat_code, synthetic FROM cp_crisis_unit
	) x GROUP BY istat_code HAVING bool_and(synthetic)`,
	`UPDATE cp_plans SET status = 'draft' WHERE istat_code IN (SELECT istat_code FROM cp_demo_comuni) AND status <> 'draft'`,
	`DELETE FROM cp_scenarios WHERE synthetic`,
	`DELETE FROM cp_emergency_areas WHERE synthetic`,
	`DELETE FROM cp_buildings WHERE synthetic`,
	`DELETE FROM cp_crisis_unit WHERE synthetic`,
	`DELETE FROM cp_plans WHERE istat_code IN (SELECT istat_code FROM cp_demo_comuni)`,
}

func loadCivilProtection(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	ms, err := comuni.Members()
	if err != nil {
		return "", err
	}
	bounds, err := loadBoundaries(ctx, pool)
	if err != nil {
		return "", store.Translate("demo.civilprotection", err)
	}
	var areas, buildings demoRows
	var members []demoMember
	var codes []string
	for _, m := range ms {
		b, ok := bounds[m.ISTATCode]
		if !ok {
			continue
		}
		code := string(m.ISTATCode)
		codes = append(codes, code)
		r := seed(m.ISTATCode, "civilprotection")
		add := func(d *demoRows, kind, name string, capacity int, g orb.Geometry) {
			if err == nil {
				err = d.add(code, kind, name, capacity, g)
			}
		}
		add(&buildings, "municipio", "Municipio di "+m.Name, 0, demoPlace(m, b, 30, 20))
		add(&buildings, "scuola", "Scuola primaria di "+m.Name, 0, demoPlace(m, b, -350, 250))
		add(&areas, "attesa", "Area di attesa 1 – "+m.Name, 150+50*r.IntN(6), demoPlace(m, b, 250, -200))
		if m.AreaKm2 > 10 {
			add(&areas, "attesa", "Area di attesa 2 – "+m.Name, 100+50*r.IntN(4), demoPlace(m, b, -600, -500))
		}
		add(&areas, "accoglienza", "Area di accoglienza – centro sportivo di "+m.Name, 100+25*r.IntN(8), demoRectInside(m, b, -700, 500, 120, 80))
		add(&areas, "ammassamento", "Area di ammassamento – "+m.Name, 50+10*r.IntN(5), demoRectInside(m, b, 1100, 800, 150, 100))
		n := 3
		if code == "019035" {
			add(&buildings, "ospedale", "Ospedale Maggiore di Crema", 0, demoPlace(m, b, 900, -700))
			add(&buildings, "caserma", "Caserma dei Vigili del Fuoco di Crema", 0, demoPlace(m, b, -1200, -400))
			add(&buildings, "sede_protezione_civile", "Sede della Protezione civile di Crema", 0, demoPlace(m, b, 1500, 600))
			add(&areas, "attesa", "Area di attesa 3 – Crema", 400, demoPlace(m, b, 1300, 1200))
			add(&areas, "accoglienza", "Area di accoglienza – palazzetto dello sport di Crema", 350, demoRectInside(m, b, 1800, -900, 100, 60))
			n = 5
		}
		for i, role := range []string{"sindaco", "referente_operativo_comunale", "tecnico_comunale", "polizia_locale", "volontariato"}[:n] {
			name, phone, email := DemoMember(code, i+1)
			members = append(members, demoMember{code, role, name, phone, email})
		}
	}
	if err != nil {
		return "", err
	}
	hs := demoHazards()
	cols := make([][]string, 5)
	var severities []int32
	var metres []float64
	for _, h := range hs {
		for i, v := range []string{h.Hazard, h.Title, h.Description, h.Line, h.Comune} {
			cols[i] = append(cols[i], v)
		}
		severities = append(severities, int32(h.Severity))
		metres = append(metres, h.Metres)
	}
	var scenarios int64
	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		for _, q := range resetDemoSQL {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, demoScenariosSQL, cols[0], cols[1], cols[2], severities, metres, cols[3], cols[4], Source)
		if err != nil {
			return err
		}
		scenarios = tag.RowsAffected()
		if _, err := tx.Exec(ctx, `INSERT INTO cp_buildings (istat_code, kind, name, synthetic, geom)
			SELECT code, kind, name, true, ST_SetSRID(ST_GeomFromWKB(g), 4326)
			FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY AS u(code, kind, name, g, i) ORDER BY i`,
			buildings.codes, buildings.kinds, buildings.names, buildings.geoms); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cp_emergency_areas (istat_code, kind, name, capacity, synthetic, geom)
			SELECT code, kind, name, capacity, true, ST_SetSRID(ST_GeomFromWKB(g), 4326)
			FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bytea[]) WITH ORDINALITY AS u(code, kind, name, capacity, g, i) ORDER BY i`,
			areas.codes, areas.kinds, areas.names, areas.capacity, areas.geoms); err != nil {
			return err
		}
		var mc, mr, mn, mp, me []string
		for _, m := range members {
			mc, mr, mn, mp, me = append(mc, m.code), append(mr, m.role), append(mn, m.name), append(mp, m.phone), append(me, m.email)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cp_crisis_unit (istat_code, role, name, phone, email, synthetic)
			SELECT code, role, name, phone, email, true
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(code, role, name, phone, email, i) ORDER BY i`,
			mc, mr, mn, mp, me); err != nil {
			return err
		}
		return setDemoPlans(ctx, tx, codes)
	})
	if err != nil {
		return "", store.Translate("demo.civilprotection", err)
	}
	return fmt.Sprintf("%d scenarios, %d emergency areas, %d strategic buildings, %d crisis-unit members (fake), "+
		"plans: Crema reopened after validation, 2 validated, 1 submitted, 1 returned, the rest drafts",
		scenarios, len(areas.codes), len(buildings.codes), len(members)), nil
}

// setDemoPlans gives the demo plans fixed dates and the histories of
// demoPlans, as if their transitions had been made through the API.
func setDemoPlans(ctx context.Context, tx pgx.Tx, codes []string) error {
	if _, err := tx.Exec(ctx, `UPDATE cp_plans SET status_since = $2 WHERE istat_code = ANY($1)`, codes, demoPlansSince); err != nil {
		return err
	}
	for _, p := range demoPlans {
		if !slices.Contains(codes, p.code) {
			continue
		}
		status, version := "draft", 1
		var validatedAt *time.Time
		var validatedVersion *int
		var since time.Time
		for _, st := range p.steps {
			at, err := time.Parse(time.RFC3339, st.at)
			if err != nil {
				return err
			}
			if st.to == "draft" {
				version++
			}
			if st.to == "validated" {
				v := version
				validatedAt, validatedVersion = &at, &v
			}
			var reason *string
			if st.reason != "" {
				reason = &st.reason
			}
			actor := "demo " + string(st.role) + " " + p.code
			if _, err := tx.Exec(ctx, `INSERT INTO cp_plan_history (istat_code, version, from_status, to_status, actor, role, at, reason)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.code, version, status, st.to, actor, string(st.role), at, reason); err != nil {
				return err
			}
			status, since = st.to, at
		}
		if _, err := tx.Exec(ctx, `UPDATE cp_plans SET status = $2, version = $3, status_since = $4, validated_at = $5, validated_version = $6
			WHERE istat_code = $1`, p.code, status, version, since, validatedAt, validatedVersion); err != nil {
			return err
		}
	}
	return nil
}

// TokenNamePrefix begins the name of every token CreateTokens makes.
const TokenNamePrefix = "demo token: "

// Token is a demo token with its secret.
type Token struct {
	auth.Token
	Secret string
}

// CreateTokens makes one token per role — admin; editor, validator and
// private-reader for Crema (019035) — so that edits, plan transitions and
// the crisis unit can be tried locally, after revoking the demo tokens of
// an earlier run. They are real tokens of the database they are made in:
// revoke them with `atlante token revoke ID`. Only for demo databases:
// the caller prints the secrets, which are never stored or logged.
func CreateTokens(ctx context.Context, pool *pgxpool.Pool) ([]Token, error) {
	s := auth.NewStore(pool)
	old, err := s.ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range old {
		if t.RevokedAt == nil && strings.HasPrefix(t.Name, TokenNamePrefix) {
			if err := s.RevokeToken(ctx, t.ID); err != nil {
				return nil, err
			}
		}
	}
	var out []Token
	for _, r := range auth.Roles {
		var cs []string
		name := TokenNamePrefix + string(r)
		if r != auth.Admin {
			cs = []string{"019035"}
			name += " for Crema (019035)"
		}
		secret, t, err := s.CreateToken(ctx, name, r, cs)
		if err != nil {
			return nil, err
		}
		out = append(out, Token{Token: t, Secret: secret})
	}
	return out, nil
}

// ActiveTokens returns the demo tokens that still work (without their
// secrets, which are not stored).
func ActiveTokens(ctx context.Context, pool *pgxpool.Pool) ([]auth.Token, error) {
	ts, err := auth.NewStore(pool).ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	var out []auth.Token
	for _, t := range ts {
		if t.RevokedAt == nil && strings.HasPrefix(t.Name, TokenNamePrefix) {
			out = append(out, t)
		}
	}
	return out, nil
}

// WriteTokens prints demo tokens for the person who ran `atlante demo`:
// role, secret, id and name, one per line.
func WriteTokens(w io.Writer, ts []Token) error {
	if _, err := fmt.Fprintln(w, "Demo tokens (real tokens of this database; list them with `atlante token list`, revoke with `atlante token revoke ID`):"); err != nil {
		return err
	}
	for _, t := range ts {
		if _, err := fmt.Fprintf(w, "  %-15s %s  (id %d, %s)\n", t.Role, t.Secret, t.ID, t.Name); err != nil {
			return err
		}
	}
	return nil
}
