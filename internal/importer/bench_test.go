package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/store/storetest"
)

// BenchmarkReadComuni reads, checks and maps the 113 comuni of the province
// of Cremona (real ISTAT shapes, EPSG:32632): the per-file cost of an import
// before the database.
func BenchmarkReadComuni(b *testing.B) {
	path := storetest.SharedData(b, "cremona-comuni-32632.geojson")
	for b.Loop() {
		r, err := Open(path, OpenOptions{})
		if err != nil {
			b.Fatal(err)
		}
		cs, _, err := ReadComuni(context.Background(), r, ComuniOptions{})
		r.Close()
		if err != nil || len(cs) != 113 {
			b.Fatalf("ReadComuni: %d comuni, %v", len(cs), err)
		}
	}
}

// BenchmarkReadANNCSU reads and maps 200,000 rows of a register shaped like
// the real one, plain and zipped: the reading side of `import civici`, where
// the limits are checked (b.SetBytes: the text's size).
func BenchmarkReadANNCSU(b *testing.B) {
	text := anncsuHeader + randomRegister(200000)
	dir := b.TempDir()
	plain := filepath.Join(dir, "anncsu.csv")
	writeFile(b, plain, text)
	zipped := writeZip(b, filepath.Join(dir, "anncsu.zip"), map[string]string{"anncsu.csv": text})
	for _, path := range []string{plain, zipped} {
		b.Run(filepath.Ext(path)[1:], func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				f, err := openCSV(path, csvOptions{})
				if err != nil {
					b.Fatal(err)
				}
				a, err := newANNCSUReader(f)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					rec, line, err := f.next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if _, issue := a.parse(rec, line); issue == nil {
						n++
					}
				}
				f.Close()
				if n != 200000 {
					b.Fatalf("%d rows loaded, want 200000", n)
				}
			}
		})
	}
}

// randomRegister writes n rows of a register in anncsuHeader's columns.
func randomRegister(n int) string {
	rnd := rand.New(rand.NewPCG(1, 2))
	var s strings.Builder
	for i := range n {
		// A few hundred streets, as in the register of a town.
		fmt.Fprintf(&s, "D142;019035;%d;VIA %c%c;%d;;%d;9,%07d;45,%07d;79\n",
			i, 'A'+rnd.IntN(20), 'A'+rnd.IntN(20), rnd.IntN(500), i+1, 5000000+rnd.IntN(4e6), 3000000+rnd.IntN(4e6))
	}
	return s.String()
}
