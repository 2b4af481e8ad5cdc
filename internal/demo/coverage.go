package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/store"
)

// The demo's coverage follows the territory's facts: the public "Aree
// Bianche" FTTH network reached 40 of the consortium's comuni (about
// 34,000 units, 360 km of network), the PNRR grey-area plan funds about
// 7,500 civic numbers in 20 comuni, the rest is commercial FTTC/FWA or
// nothing. The addresses and every number below are made up.
const (
	demoCivici         = 60000
	demoCremaCivici    = 6000
	demoWiredComuni    = 40
	demoBiancheUnits   = 34000
	demoGrigieComuni   = 20
	demoGrigieCivici   = 7500
	demoNetworkKm      = 360
	metresPerDegreeLat = 111320.0
)

// streetNames are common Italian street names; each comune uses a subset.
var streetNames = []string{
	"Via Roma", "Via Garibaldi", "Via Mazzini", "Via Cavour", "Via Dante Alighieri", "Via Marconi",
	"Via Verdi", "Via XX Settembre", "Via IV Novembre", "Via Matteotti", "Via Kennedy", "Via Manzoni",
	"Piazza della Chiesa", "Via San Giovanni Bosco", "Via Vittorio Emanuele II", "Via Libertà",
	"Via della Pace", "Via Europa", "Via dei Mille", "Viale Repubblica", "Via Sant'Agostino",
	"Via Papa Giovanni XXIII", "Via Leonardo da Vinci", "Via Galilei", "Via Don Milani", "Via Volta",
	"Via Pascoli", "Via Carducci", "Via Gramsci", "Via Fermi", "Via Monte Grappa", "Via Piave",
	"Via Cremona", "Via Milano", "Via Bergamo", "Via Brescia", "Via Lodi", "Via dei Mulini",
	"Via delle Cascine", "Vicolo Stretto", "Largo della Posta", "Corso Italia", "Piazza Garibaldi",
	"Via Bramante", "Via Serio", "Via Adda", "Via Oglio", "Via Indipendenza", "Via Cesare Battisti",
	"Via Nazario Sauro", "Via Gorizia", "Via Trento", "Via Trieste", "Via Solferino", "Via San Martino",
	"Via Aldo Moro", "Via Alcide De Gasperi", "Via Giacomo Leopardi", "Via Ugo Foscolo", "Via Petrarca",
	"Via Tasso", "Via Ariosto", "Via Puccini", "Via Rossini", "Via Donizetti", "Via Bellini",
	"Via Mascagni", "Via Boccaccio", "Via Colombo", "Via Vespucci", "Via Magellano", "Via dei Tigli",
	"Via dei Platani", "Via delle Rose", "Via dei Gelsi", "Via del Sole", "Via Campagna", "Via Molinara",
	"Via Santa Maria", "Via San Pietro", "Via San Rocco", "Via Sant'Antonio", "Via Castello",
	"Via Borgo", "Via Fiume", "Via Zara", "Via Pola", "Via Bixio", "Via Mameli", "Via Pellico",
	"Via Cairoli", "Via Goldoni", "Via Parini", "Via Alfieri", "Via Monti", "Via Giusti",
	"Via San Bernardino", "Via 25 Aprile", "Via Crema",
}

// demoStreet is a made-up street with its civic numbers.
type demoStreet struct {
	name   string
	line   orb.LineString // lon/lat
	civici []coverage.CivicoRow
}

// demoComune is the generated address register of one comune.
type demoComune struct {
	member  comuni.Member
	streets []demoStreet
	total   int
}

func seed(code comuni.ISTATCode, salt string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(string(code) + salt))
	return rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
}

// civiciTargets shares the demo's civic numbers among the comuni: Crema
// gets a few thousand, the others by area.
func civiciTargets(ms []comuni.Member, total, crema int) map[comuni.ISTATCode]int {
	var area float64
	for _, m := range ms {
		if m.ISTATCode != "019035" {
			area += m.AreaKm2
		}
	}
	out := map[comuni.ISTATCode]int{}
	rest := total - crema
	for _, m := range ms {
		if m.ISTATCode == "019035" {
			out[m.ISTATCode] = crema
			continue
		}
		// Half shared evenly, half by area: small comuni keep hundreds.
		out[m.ISTATCode] = int(float64(rest)/2/float64(len(ms)-1) + float64(rest)/2*m.AreaKm2/area)
	}
	return out
}

// generateStreets lays out streets radiating from the town centre, with
// civic numbers every 12-25 m on both sides, inside the comune's boundary.
func generateStreets(m comuni.Member, contains func(orb.Point) bool, target int) demoComune {
	r := seed(m.ISTATCode, "streets")
	c := demoComune{member: m}
	lon0, lat0 := m.Centroid[0], m.Centroid[1]
	mx := metresPerDegreeLat * math.Cos(lat0*math.Pi/180) // metres per degree of longitude
	toLonLat := func(x, y float64) orb.Point { return orb.Point{lon0 + x/mx, lat0 + y/metresPerDegreeLat} }
	names := slices.Clone(streetNames)
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	radius := math.Sqrt(m.AreaKm2*1e6/math.Pi) * 0.45 // the built-up core
	for si := 0; c.total < target && si < 100*len(names); si++ {
		name := names[si%len(names)]
		if si >= len(names) {
			name += " " + roman(si/len(names)+1) // Via Roma II, III, ...
		}
		// Streets start near the centre (addresses cluster there) and run outwards.
		d := math.Abs(r.NormFloat64()) * radius / 2
		a := r.Float64() * 2 * math.Pi
		x, y := d*math.Cos(a), d*math.Sin(a)
		dir := a + (r.Float64()-0.5)*1.2
		length := 200 + r.Float64()*900
		step := 12 + r.Float64()*13
		st := demoStreet{name: name}
		st.line = append(st.line, toLonLat(x, y))
		next := [2]int{1, 2} // odd numbers on one side, even on the other
		for s := 0.0; s < length && c.total < target; s += step {
			dir += (r.Float64() - 0.5) * 0.08 // streets bend a little
			x += step * math.Cos(dir)
			y += step * math.Sin(dir)
			for side := 0; side < 2; side++ {
				off := 9.0 * float64(2*side-1)
				p := toLonLat(x-off*math.Sin(dir), y+off*math.Cos(dir))
				if !contains(p) {
					continue
				}
				num := next[side]
				next[side] += 2
				st.civici = append(st.civici, coverage.CivicoRow{ISTATCode: string(m.ISTATCode), Street: name, Number: &num, Lon: p[0], Lat: p[1]})
				c.total++
				if r.IntN(25) == 0 { // a few "A" and "B" entrances
					for _, suf := range []string{"A", "B"}[:1+r.IntN(2)] {
						q := orb.Point{p[0] + (r.Float64()-0.5)*4/mx, p[1] + (r.Float64()-0.5)*4/metresPerDegreeLat}
						if !contains(q) { // on the border: the entrance would be in the neighbour
							continue
						}
						num := num
						st.civici = append(st.civici, coverage.CivicoRow{ISTATCode: string(m.ISTATCode), Street: name, Number: &num, Suffix: suf, Lon: q[0], Lat: q[1]})
						c.total++
					}
				}
			}
			st.line = append(st.line, toLonLat(x, y))
		}
		if len(st.civici) > 0 {
			c.streets = append(c.streets, st)
		}
	}
	return c
}

func loadBoundaries(ctx context.Context, pool *pgxpool.Pool) (map[comuni.ISTATCode]orb.MultiPolygon, error) {
	rows, err := pool.Query(ctx, `SELECT istat_code, ST_AsBinary(geom) FROM comuni`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[comuni.ISTATCode]orb.MultiPolygon{}
	for rows.Next() {
		var code string
		var b []byte
		if err := rows.Scan(&code, &b); err != nil {
			return nil, err
		}
		mp, err := decodeMultiPolygon(b)
		if err != nil {
			return nil, err
		}
		out[comuni.ISTATCode(code)] = mp
	}
	return out, rows.Err()
}

// generateCoverage builds the address register of every comune of the
// Cremasco that has a boundary.
func generateCoverage(ctx context.Context, pool *pgxpool.Pool) ([]demoComune, error) {
	ms, err := comuni.Members()
	if err != nil {
		return nil, err
	}
	bounds, err := loadBoundaries(ctx, pool)
	if err != nil {
		return nil, store.Translate("demo.coverage", err)
	}
	targets := civiciTargets(ms, demoCivici, demoCremaCivici)
	var out []demoComune
	for _, m := range ms {
		b, ok := bounds[m.ISTATCode]
		if !ok {
			continue
		}
		out = append(out, generateStreets(m, func(p orb.Point) bool { return planar.MultiPolygonContains(b, p) }, targets[m.ISTATCode]))
	}
	return out, nil
}

func allCivici(cs []demoComune) iter.Seq2[coverage.CivicoRow, error] {
	return func(yield func(coverage.CivicoRow, error) bool) {
		line := 0
		for _, c := range cs {
			for _, st := range c.streets {
				for _, v := range st.civici {
					line++
					v.Line = line
					if !yield(v, nil) {
						return
					}
				}
			}
		}
	}
}

// coveragePlan decides which comuni the public programmes reached: the
// Aree Bianche network all but the largest comuni (market areas), the
// grey-area plan twenty of the larger ones.
func coveragePlan(cs []demoComune) (bianche, grigie map[comuni.ISTATCode]bool) {
	bySize := slices.Clone(cs)
	slices.SortFunc(bySize, func(a, b demoComune) int { return b.total - a.total })
	bianche, grigie = map[comuni.ISTATCode]bool{}, map[comuni.ISTATCode]bool{}
	for i, c := range bySize {
		if i >= len(bySize)-demoWiredComuni {
			bianche[c.member.ISTATCode] = true
		}
		if i < demoGrigieComuni {
			grigie[c.member.ISTATCode] = true
		}
	}
	return bianche, grigie
}

func pick(r *rand.Rand, weights map[string]int) string {
	total := 0
	keys := make([]string, 0, len(weights))
	for k, w := range weights {
		total += w
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := r.IntN(total)
	for _, k := range keys {
		n -= weights[k]
		if n < 0 {
			return k
		}
	}
	return keys[len(keys)-1]
}

// generateOffers gives civic numbers their offers, consistent with the
// facts above.
func generateOffers(cs []demoComune) []coverage.OfferRow {
	bianche, grigie := coveragePlan(cs)
	wiredCivici := 0
	for _, c := range cs {
		if bianche[c.member.ISTATCode] {
			wiredCivici += c.total
		}
	}
	biancheShare := math.Min(1, float64(demoBiancheUnits)/float64(max(1, wiredCivici)))
	grigieCivici := 0
	for _, c := range cs {
		if grigie[c.member.ISTATCode] {
			grigieCivici += c.total
		}
	}
	grigieShare := math.Min(1, float64(demoGrigieCivici)/float64(max(1, grigieCivici))*1.4)
	var out []coverage.OfferRow
	date := func(r *rand.Rand) *time.Time {
		d := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(7*365))
		return &d
	}
	grigieLeft := demoGrigieCivici
	for _, c := range cs {
		r := seed(c.member.ISTATCode, "offers")
		for _, st := range c.streets {
			for _, v := range st.civici {
				base := coverage.OfferRow{ISTATCode: v.ISTATCode, Street: v.Street, Number: v.Number, Suffix: v.Suffix}
				hasFTTH := false
				if bianche[c.member.ISTATCode] && r.Float64() < biancheShare {
					o := base
					o.Programme, o.Operator, o.Technology, o.MaxDownMbps = "aree_bianche", "Open Fiber", "FTTH", 1000
					o.Status = pick(r, map[string]int{"active": 35, "connectable": 50, "in_works": 10, "planned": 5})
					o.StatusDate = date(r)
					out = append(out, o)
					hasFTTH = true
				} else if grigie[c.member.ISTATCode] && grigieLeft > 0 && r.Float64() < grigieShare {
					o := base
					o.Programme, o.Operator, o.Technology, o.MaxDownMbps = "aree_grigie", "FiberCop", "FTTH", 1000
					o.Status = pick(r, map[string]int{"connectable": 55, "in_works": 30, "planned": 15})
					o.StatusDate = date(r)
					out = append(out, o)
					grigieLeft--
					hasFTTH = true
				}
				// Commercial offers: FTTC where there is a cabinet nearby, FWA in
				// the countryside, sometimes FTTH in Crema.
				switch x := r.Float64(); {
				case c.member.ISTATCode == "019035" && x < 0.45 && !hasFTTH:
					o := base
					o.Programme, o.Operator, o.Technology, o.MaxDownMbps, o.Status = "commercial", "FiberCop", "FTTH", 2500, "active"
					out = append(out, o)
				case x < 0.55:
					o := base
					o.Programme, o.Operator, o.Technology = "commercial", "TIM", "FTTC"
					o.MaxDownMbps = []int{30, 100, 200}[r.IntN(3)]
					o.Status = "active"
					out = append(out, o)
				case x < 0.75:
					o := base
					o.Programme, o.Operator, o.Technology = "commercial", "Eolo", "FWA"
					o.MaxDownMbps = []int{30, 100, 300}[r.IntN(3)]
					o.Status = "connectable"
					out = append(out, o)
				}
			}
		}
	}
	for i := range out {
		out[i].Line = i + 1
	}
	return out
}

// generateRoutes draws the public network: along the streets of wired
// comuni and trunks between neighbouring wired town centres, until it
// measures about 360 km.
func generateRoutes(cs []demoComune) []coverage.Route {
	bianche, grigie := coveragePlan(cs)
	var routes []coverage.Route
	km := 0.0
	lengthKm := func(ls orb.LineString) float64 {
		var m float64
		for i := 1; i < len(ls); i++ {
			dx := (ls[i][0] - ls[i-1][0]) * metresPerDegreeLat * math.Cos(ls[i][1]*math.Pi/180)
			dy := (ls[i][1] - ls[i-1][1]) * metresPerDegreeLat
			m += math.Hypot(dx, dy)
		}
		return m / 1000
	}
	// Trunks: each wired comune to its nearest wired neighbour.
	for _, a := range cs {
		if !bianche[a.member.ISTATCode] {
			continue
		}
		var best *demoComune
		bestD := math.Inf(1)
		for i := range cs {
			b := &cs[i]
			if b.member.ISTATCode == a.member.ISTATCode || !bianche[b.member.ISTATCode] {
				continue
			}
			if d := planar.Distance(a.member.Centroid, b.member.Centroid); d < bestD {
				best, bestD = b, d
			}
		}
		if best != nil {
			ls := orb.LineString{a.member.Centroid, best.member.Centroid}
			routes = append(routes, coverage.Route{Programme: "aree_bianche", Operator: "Open Fiber", Status: "active",
				Name: "dorsale " + a.member.Name + " – " + best.member.Name, Geom: orb.MultiLineString{ls}})
			km += lengthKm(ls)
		}
	}
	// Distribution along streets, round-robin over the comuni so every
	// wired comune gets some before the budget runs out.
	for round := 0; km < demoNetworkKm && round < 200; round++ {
		added := false
		for _, c := range cs {
			code := c.member.ISTATCode
			if round >= len(c.streets) || !(bianche[code] || grigie[code]) {
				continue
			}
			st := c.streets[round]
			prog, op := "aree_bianche", "Open Fiber"
			if !bianche[code] {
				prog, op = "aree_grigie", "FiberCop"
			}
			routes = append(routes, coverage.Route{Programme: prog, Operator: op, Status: "active",
				Name: st.name + ", " + c.member.Name, Geom: orb.MultiLineString{st.line}})
			km += lengthKm(st.line)
			added = true
			if km >= demoNetworkKm {
				break
			}
		}
		if !added {
			break
		}
	}
	for i := range routes {
		routes[i].Line = i + 1
	}
	return routes
}

func loadCoverage(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	cs, err := generateCoverage(ctx, pool)
	if err != nil {
		return "", err
	}
	s := coverage.NewStore(pool)
	opts := coverage.LoadOptions{Source: Source, Synthetic: true, Strict: true}
	civ, err := s.LoadCivici(ctx, allCivici(cs), opts)
	if err != nil {
		return "", err
	}
	offers := generateOffers(cs)
	off, err := s.LoadOffers(ctx, rowsOf(offers), opts)
	if err != nil {
		return "", err
	}
	routes := generateRoutes(cs)
	rt, err := s.LoadRoutes(ctx, routes, opts, true)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d civic numbers (%d new), %d offers (%d new), %d network routes",
		civ.Rows, civ.Inserted, off.Rows, off.Inserted, rt.Inserted), nil
}

// rowsOf adapts a slice to the loaders' row iterators.
func rowsOf[T any](rows []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// roman writes 1..399 in Roman numerals, for numbered street names.
func roman(n int) string {
	var b []byte
	for _, v := range []struct {
		n int
		s string
	}{{100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for n >= v.n {
			b = append(b, v.s...)
			n -= v.n
		}
	}
	return string(b)
}
