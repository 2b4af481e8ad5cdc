package demo

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/internal/comuni"
)

// BenchFiles are the files WriteBenchData writes.
type BenchFiles struct {
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
