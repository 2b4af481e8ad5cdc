package demo

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
)

// BenchFiles are the files WriteBenchData writes.
type BenchFiles struct {
	Comuni         string // national scale only: the synthetic comuni
	Civici, Offers string
	Rows, Offered  int
}

// WriteBenchData writes a synthetic address register of n civic numbers in
// the ANNCSU file format (UTF-8 with BOM, ";" separator, decimal comma)
// and a coverage file for it in Atlante's format, into dir. The civic
// numbers cluster around the real town centres of the Cremasco as real
// addresses do (Crema holds a tenth of them). For benchmarks only.
func WriteBenchData(dir string, n int) (BenchFiles, error) {
	ms, err := comuni.Members()
	if err != nil {
		return BenchFiles{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return BenchFiles{}, err
	}
	targets := civiciTargets(ms, n, n/10)
	var cs []demoComune
	for _, m := range ms {
		// Without boundaries, each comune is the disc of its area around its
		// centroid.
		r := math.Sqrt(m.AreaKm2*1e6/math.Pi) / metresPerDegreeLat
		c := m.Centroid
		k := math.Cos(c[1] * math.Pi / 180)
		contains := func(p orb.Point) bool { return math.Hypot((p[0]-c[0])*k, p[1]-c[1]) <= r }
		cs = append(cs, generateStreets(m, contains, targets[m.ISTATCode]))
	}
	files := BenchFiles{Civici: filepath.Join(dir, "anncsu.csv"), Offers: filepath.Join(dir, "coverage.csv")}

	// The ANNCSU access id of each civic number is its position in the file.
	ids := map[string]int{}
	key := func(code, street string, num *int, suffix string) string {
		return code + "|" + street + "|" + strconv.Itoa(*num) + "|" + suffix
	}
	err = writeFile(files.Civici, func(w *bufio.Writer) {
		w.WriteString("\ufeffCODICE_ISTAT;CODICE_COMUNE;ODONIMO;CIVICO;ESPONENTE;PROGRESSIVO_ACCESSO;COORD_X_COMUNE;COORD_Y_COMUNE\n")
		for _, c := range cs {
			for _, st := range c.streets {
				for _, v := range st.civici {
					files.Rows++
					ids[key(v.ISTATCode, v.Street, v.Number, v.Suffix)] = files.Rows
					fmt.Fprintf(w, "%s;%s;%s;%d;%s;%d;%s;%s\n", v.ISTATCode, c.member.CadastralCode,
						strings.ToUpper(v.Street), *v.Number, v.Suffix, files.Rows, decimalComma(v.Lon), decimalComma(v.Lat))
				}
			}
		}
	})
	if err != nil {
		return files, err
	}
	err = writeFile(files.Offers, func(w *bufio.Writer) {
		w.WriteString(coverageHeader + "\n")
		for _, o := range generateOffers(cs) {
			files.Offered++
			date := ""
			if o.StatusDate != nil {
				date = o.StatusDate.Format("2006-01-02")
			}
			fmt.Fprintf(w, "%d;;;;;%s;%s;%s;%d;%s;%s\n", ids[key(o.ISTATCode, o.Street, o.Number, o.Suffix)],
				o.Programme, o.Operator, o.Technology, o.MaxDownMbps, o.Status, date)
		}
	})
	return files, err
}

// coverageHeader is the header of Atlante's coverage file (data/README.md).
const coverageHeader = "anncsu_id;istat_code;street;number;suffix;programme;operator;technology;max_down_mbps;status;status_date"

func decimalComma(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', 7, 64), ".", ",", 1)
}

func writeFile(path string, write func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	write(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchRegionCentre is the middle of the area of the national-scale benchmark's synthetic comuni:
// about the size of Lombardy (23,900 km², 1,500 comuni), centred on it.
var benchRegionCentre = orb.Point{9.8, 45.55}

// benchComuneKm2 is the area of one synthetic comune, about Lombardy's
// average (23,900 km² / 1,502 comuni).
const benchComuneKm2 = 16.0

// benchProvinces splits the grid into 4 x 3 blocks, each one province of
// about 125 comuni (Lombardy has 12 provinces).
const benchProvincesX, benchProvincesY = 4, 3

// benchComune is one synthetic comune of the national-scale benchmark.
type benchComune struct {
	member comuni.Member
	ring   orb.Ring
}

// benchGrid lays n synthetic comuni on a grid of jittered quadrilaterals
// over a region around benchRegionCentre: neighbours share their borders
// exactly (no gaps, no overlaps), each border bends through three jittered
// points, and each comune's town centre lies off its middle. Codes are
// ISTAT-like: a province code 901–912 (no real province has a code above
// 111) and a three-digit number within the province.
func benchGrid(n int) []benchComune {
	nx := int(math.Ceil(math.Sqrt(float64(n) * 5 / 3)))
	ny := (n + nx - 1) / nx
	side := math.Sqrt(benchComuneKm2) * 1000 // metres
	dLat := side / metresPerDegreeLat
	dLon := side / (metresPerDegreeLat * math.Cos(benchRegionCentre[1]*math.Pi/180))
	lon0 := benchRegionCentre[0] - float64(nx)*dLon/2
	lat0 := benchRegionCentre[1] - float64(ny)*dLat/2
	r := seed("bench", "grid")
	// Corner (i, j) of the grid, jittered inside the grid only.
	corners := make([][]orb.Point, nx+1)
	for i := range corners {
		corners[i] = make([]orb.Point, ny+1)
		for j := range corners[i] {
			jx, jy := 0.0, 0.0
			if i > 0 && i < nx {
				jx = (r.Float64() - 0.5) * 0.5 * dLon
			}
			if j > 0 && j < ny {
				jy = (r.Float64() - 0.5) * 0.5 * dLat
			}
			corners[i][j] = orb.Point{lon0 + float64(i)*dLon + jx, lat0 + float64(j)*dLat + jy}
		}
	}
	// border returns the points strictly between corners a and b, bent
	// sideways by a jitter seeded by the border's identity, so both comuni
	// that share it draw it alike.
	border := func(a, b orb.Point, outer bool, id string) []orb.Point {
		br := seed(comuni.ISTATCode(id), "border")
		dx, dy := b[0]-a[0], b[1]-a[1]
		var out []orb.Point
		for k := 1; k <= 3; k++ {
			t := float64(k) / 4
			off := 0.0
			if !outer {
				off = (br.Float64() - 0.5) * 0.16
			}
			out = append(out, orb.Point{a[0] + t*dx - off*dy, a[1] + t*dy + off*dx})
		}
		return out
	}
	edgeID := func(kind string, i, j int) string { return fmt.Sprintf("%s%d,%d", kind, i, j) }
	reversed := func(ps []orb.Point) []orb.Point { slices.Reverse(ps); return ps }
	seq := map[int]int{}
	var out []benchComune
	for j := 0; j < ny && len(out) < n; j++ {
		for i := 0; i < nx && len(out) < n; i++ {
			sw, se, ne, nw := corners[i][j], corners[i+1][j], corners[i+1][j+1], corners[i][j+1]
			// Counter-clockwise (RFC 7946): south, east, north, west borders.
			// Horizontal border (i, j) runs from corner (i, j) eastwards,
			// vertical border (i, j) from corner (i, j) northwards.
			ring := orb.Ring{sw}
			ring = append(ring, border(sw, se, j == 0, edgeID("h", i, j))...)
			ring = append(ring, se)
			ring = append(ring, border(se, ne, i+1 == nx, edgeID("v", i+1, j))...)
			ring = append(ring, ne)
			ring = append(ring, reversed(border(nw, ne, j+1 == ny, edgeID("h", i, j+1)))...)
			ring = append(ring, nw)
			ring = append(ring, reversed(border(sw, nw, i == 0, edgeID("v", i, j)))...)
			ring = append(ring, sw)
			prov := 901 + i*benchProvincesX/nx + benchProvincesX*(j*benchProvincesY/ny)
			seq[prov]++
			code := comuni.ISTATCode(fmt.Sprintf("%03d%03d", prov, seq[prov]))
			// The town centre: off the middle, inside the inner half.
			c := orb.Point{(sw[0] + se[0] + ne[0] + nw[0]) / 4, (sw[1] + se[1] + ne[1] + nw[1]) / 4}
			c[0] += (r.Float64() - 0.5) * 0.3 * dLon
			c[1] += (r.Float64() - 0.5) * 0.3 * dLat
			idx := len(out)
			out = append(out, benchComune{ring: ring, member: comuni.Member{
				ISTATCode:     code,
				Name:          fmt.Sprintf("Comune sintetico %s", code),
				ProvinceCode:  fmt.Sprintf("%03d", prov),
				CadastralCode: fmt.Sprintf("%c%03d", 'U'+idx/1000, idx%1000),
				Centroid:      c,
				AreaKm2:       benchComuneKm2,
			}})
		}
	}
	return out
}

// benchTargets shares total civic numbers among n comuni: log-normal sizes
// (a few towns of tens of thousands, most comuni of a few thousand), at
// least 50 each, summing to total exactly.
func benchTargets(n, total int) []int {
	r := seed("bench", "targets")
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = math.Exp(0.9 * r.NormFloat64())
		sum += w[i]
	}
	out := make([]int, n)
	left := total
	for i := range out {
		out[i] = max(50, int(float64(total)*w[i]/sum))
		left -= out[i]
	}
	for i := 0; left != 0; i = (i + 1) % n {
		switch {
		case left > 0:
			out[i]++
			left--
		case out[i] > 50:
			out[i]--
			left++
		}
	}
	return out
}

// WriteNationalBenchData writes the national-scale benchmark: comuni
// synthetic comuni on a grid the size of a region (comuni.geojson, in the
// format of `atlante import comuni`), civici civic numbers spread over them
// (anncsu.csv) and their offers (coverage.csv). It streams one comune at a
// time, so memory stays flat whatever the size. For benchmarks only.
func WriteNationalBenchData(dir string, civici, ncomuni int) (BenchFiles, error) {
	if ncomuni < 1 || civici < 50*ncomuni {
		return BenchFiles{}, fmt.Errorf("demo: %d civic numbers over %d comuni: need at least 50 per comune", civici, ncomuni)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return BenchFiles{}, err
	}
	grid := benchGrid(ncomuni)
	targets := benchTargets(len(grid), civici)
	files := BenchFiles{Comuni: filepath.Join(dir, "comuni.geojson"), Civici: filepath.Join(dir, "anncsu.csv"), Offers: filepath.Join(dir, "coverage.csv")}
	err := writeFile(files.Comuni, func(w *bufio.Writer) {
		w.WriteString(`{"type":"FeatureCollection","features":[` + "\n")
		for i, c := range grid {
			if i > 0 {
				w.WriteString(",\n")
			}
			fmt.Fprintf(w, `{"type":"Feature","properties":{"pro_com_t":%q,"name":%q,"cod_prov":%q,"cod_catastale":%q},"geometry":{"type":"Polygon","coordinates":[[`,
				c.member.ISTATCode, c.member.Name, c.member.ProvinceCode, c.member.CadastralCode)
			for k, p := range c.ring {
				if k > 0 {
					w.WriteByte(',')
				}
				fmt.Fprintf(w, "[%.7f,%.7f]", p[0], p[1])
			}
			w.WriteString("]]}}")
		}
		w.WriteString("\n]}\n")
	})
	if err != nil {
		return files, err
	}
	civ, err := os.Create(files.Civici)
	if err != nil {
		return files, err
	}
	defer civ.Close()
	off, err := os.Create(files.Offers)
	if err != nil {
		return files, err
	}
	defer off.Close()
	cw, ow := bufio.NewWriterSize(civ, 1<<20), bufio.NewWriterSize(off, 1<<20)
	cw.WriteString("\ufeffCODICE_ISTAT;CODICE_COMUNE;ODONIMO;CIVICO;ESPONENTE;PROGRESSIVO_ACCESSO;COORD_X_COMUNE;COORD_Y_COMUNE\n")
	ow.WriteString(coverageHeader + "\n")
	for i, c := range grid {
		poly := orb.Polygon{c.ring}
		dc := generateStreets(c.member, func(p orb.Point) bool { return planar.PolygonContains(poly, p) }, targets[i])
		for _, st := range dc.streets {
			for _, v := range st.civici {
				files.Rows++
				fmt.Fprintf(cw, "%s;%s;%s;%d;%s;%d;%s;%s\n", v.ISTATCode, c.member.CadastralCode,
					strings.ToUpper(v.Street), *v.Number, v.Suffix, files.Rows, decimalComma(v.Lon), decimalComma(v.Lat))
				for _, o := range nationalOffers(c.member.ISTATCode, targets[i], v) {
					files.Offered++
					fmt.Fprintf(ow, "%d;;;;;%s;%s;%s;%d;%s;%s\n", files.Rows, o.Programme, o.Operator, o.Technology, o.MaxDownMbps, o.Status, o.date)
				}
			}
		}
	}
	if err := cw.Flush(); err != nil {
		return files, err
	}
	if err := ow.Flush(); err != nil {
		return files, err
	}
	if err := civ.Close(); err != nil {
		return files, err
	}
	return files, off.Close()
}

type benchOffer struct {
	coverage.OfferRow
	date string
}

// nationalOffers gives one civic number its offers, in proportions shaped
// like the national picture: the public FTTH networks in the smaller comuni
// (Aree Bianche in about a third, the grey-area plan in a fifth), commercial
// FTTH in towns, FTTC and FWA everywhere.
func nationalOffers(code comuni.ISTATCode, size int, v coverage.CivicoRow) []benchOffer {
	kind := seed(code, "programme").Float64()
	r := seed(code, fmt.Sprintf("offer %s %d %s", v.Street, *v.Number, v.Suffix))
	date := func() string {
		return time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(7*365)).Format("2006-01-02")
	}
	var out []benchOffer
	hasFTTH := false
	switch {
	case size < 4000 && kind < 0.35 && r.Float64() < 0.7:
		out = append(out, benchOffer{coverage.OfferRow{Programme: "aree_bianche", Operator: "Open Fiber", Technology: "FTTH", MaxDownMbps: 1000,
			Status: pick(r, map[string]int{"active": 35, "connectable": 50, "in_works": 10, "planned": 5})}, date()})
		hasFTTH = true
	case kind >= 0.35 && kind < 0.55 && r.Float64() < 0.4:
		out = append(out, benchOffer{coverage.OfferRow{Programme: "aree_grigie", Operator: "FiberCop", Technology: "FTTH", MaxDownMbps: 1000,
			Status: pick(r, map[string]int{"connectable": 55, "in_works": 30, "planned": 15})}, date()})
		hasFTTH = true
	}
	switch x := r.Float64(); {
	case size >= 8000 && x < 0.45 && !hasFTTH:
		out = append(out, benchOffer{coverage.OfferRow{Programme: "commercial", Operator: "FiberCop", Technology: "FTTH", MaxDownMbps: 2500, Status: "active"}, ""})
	case x < 0.55:
		out = append(out, benchOffer{coverage.OfferRow{Programme: "commercial", Operator: "TIM", Technology: "FTTC",
			MaxDownMbps: []int{30, 100, 200}[r.IntN(3)], Status: "active"}, ""})
	case x < 0.75:
		out = append(out, benchOffer{coverage.OfferRow{Programme: "commercial", Operator: "Eolo", Technology: "FWA",
			MaxDownMbps: []int{30, 100, 300}[r.IntN(3)], Status: "connectable"}, ""})
	}
	return out
}
