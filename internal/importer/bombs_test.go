package importer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
)

// zipRepeated writes an archive of one deflated member: head, chunk n
// times, then tail. Gigabytes of it sit in kilobytes on disk and are
// written in milliseconds: the chunk is deflated once, with its own last
// 32 KiB as the history (which it is, after the first), and its
// compressed bytes repeated. The chunk must be at least 32 KiB.
func zipRepeated(tb testing.TB, path, member, head, chunk string, n int, tail string) string {
	tb.Helper()
	if len(chunk) < 32<<10 {
		tb.Fatalf("chunk of %d bytes, want at least 32 KiB", len(chunk))
	}
	deflate := func(dict, text string) []byte {
		var b bytes.Buffer
		fw, err := flate.NewWriterDict(&b, flate.BestCompression, []byte(dict))
		if err != nil {
			tb.Fatal(err)
		}
		io.WriteString(fw, text)
		fw.Flush() // ends byte-aligned, not final: blocks can follow
		return b.Bytes()
	}
	history := chunk[len(chunk)-32<<10:]
	first, again, last := deflate("", head+chunk), deflate(history, chunk), deflate(history, tail)
	final := []byte{0x03, 0x00} // an empty final block
	crc := crc32.Update(0, crc32.IEEETable, []byte(head))
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, []byte(chunk))
	}
	crc = crc32.Update(crc, crc32.IEEETable, []byte(tail))
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: member, Method: zip.Deflate, CRC32: crc,
		CompressedSize64:   uint64(len(first) + (n-1)*len(again) + len(last) + len(final)),
		UncompressedSize64: uint64(len(head) + n*len(chunk) + len(tail)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	w.Write(first)
	for range n - 1 {
		w.Write(again)
	}
	w.Write(last)
	w.Write(final)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// numbered are rows of one field, "0" to "4999", as in the adversarial
// register: each a bad row (one field, the header has ten).
func numbered() string {
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.String()
}

// TestImportBombs feeds the civic-number import the files that took
// gigabytes and minutes: each fails fast, with a message naming the file,
// the place and the limit, reading little of the file, and changes nothing.
func TestImportBombs(t *testing.T) {
	ctx := context.Background()
	im, pool := newImporter(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.csv")
	writeFile(t, base, anncsuText(anncsuRows))
	if _, err := im.Civici(ctx, base, CiviciOptions{}); err != nil {
		t.Fatal(err)
	}
	before := checksum(t, pool)
	header := strings.TrimPrefix(anncsuHeader, "\ufeff")

	// One line of 20 MiB of zeros after the header (the file seen was 1.1 GB).
	zeros := strings.Repeat("0", 64<<10)
	hugeLine := zipRepeated(t, filepath.Join(dir, "line.zip"), "ANNCSU.csv", header, zeros, 320, "\n")
	// 24 MiB of the same row without coordinates (with a long street name,
	// so that the test parses few rows): ~1000:1, a bomb of rows that are
	// each within the limits.
	same := "D142;019035;1;VIA " + strings.Repeat("X", 60000) + ";1;;;;;\n"
	ratio := zipRepeated(t, filepath.Join(dir, "ratio.zip"), "ANNCSU.csv", header, same, (24<<20)/len(same), "")
	// 400,000 bad rows (the file seen had 37 million).
	bad := strings.Repeat(numbered(), 2)
	rows := zipRepeated(t, filepath.Join(dir, "rows.zip"), "ANNCSU.csv", header, bad, 40, "")
	// Three good rows, then the bad ones.
	mixed := zipRepeated(t, filepath.Join(dir, "mixed.zip"), "ANNCSU.csv",
		header+"D142;019035;1;VIA GARIBALDI;1;;5001;9,7;45,37;\nD142;019035;1;VIA GARIBALDI;2;;5002;9,7;45,37;\nD142;019035;1;VIA GARIBALDI;3;;5003;9,7;45,37;\n",
		bad, 40, "")
	// A row without coordinates (not a bad row), then the bad ones.
	noCoords := zipRepeated(t, filepath.Join(dir, "nocoords.zip"), "ANNCSU.csv", header+"D142;019035;1;VIA GARIBALDI;9;;;;;\n", bad, 40, "")
	for _, f := range []string{hugeLine, ratio, rows} {
		if st, err := os.Stat(f); err != nil || st.Size() > 100<<10 {
			t.Fatalf("%s: %v bytes on disk, want a small bomb (%v)", f, st.Size(), err)
		}
	}

	tests := []struct {
		name     string
		path     string
		opts     CiviciOptions
		want     []string
		maxRead  int // data rows the import may read before it stops
		wantRead int // -1: any up to maxRead
	}{
		{"one huge line", hugeLine, CiviciOptions{}, []string{"line.zip (ANNCSU.csv):2: longer than 65,536 bytes: not an ANNCSU address file?"}, 0, 0},
		{"expands 1000 times", ratio, CiviciOptions{}, []string{"ratio.zip (ANNCSU.csv): ANNCSU.csv expands to more than 100 times its compressed size", "raise the limit with --max-ratio"}, 300, -1},
		{"strict stops at the first bad row", rows, CiviciOptions{Strict: true},
			[]string{"rows.zip (ANNCSU.csv):2: has 1 fields, the header has 10 (strict mode is on: the import stopped at this row and nothing was imported)"}, 1, 1},
		{"all bad", rows, CiviciOptions{},
			[]string{"rows.zip (ANNCSU.csv): 1,000 of the first 1,000 rows are invalid (the first: line 2: has 1 fields, the header has 10): not an ANNCSU address file?"}, 1000, 1000},
		{"mostly bad", mixed, CiviciOptions{},
			[]string{"mixed.zip (ANNCSU.csv): 1,000 of the first 1,003 rows are invalid (the first: line 5: has 1 fields"}, 1003, 1003},
		{"strict, after good rows", mixed, CiviciOptions{Strict: true}, []string{"mixed.zip (ANNCSU.csv):5: has 1 fields"}, 4, 4},
		{"bad after a row without coordinates", noCoords, CiviciOptions{},
			[]string{"nocoords.zip (ANNCSU.csv): 1,000 of the first 1,001 rows are invalid (the first: line 3: has 1 fields"}, 1001, 1001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := im.Civici(ctx, tt.path, tt.opts)
			if err == nil {
				t.Fatalf("import: no error, want one containing %q", tt.want)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("import: error %q, want it to contain %q", err, w)
				}
			}
			if k := apperr.KindOf(err); k != apperr.Invalid {
				t.Errorf("import: kind %v, want invalid", k)
			}
			read := 0
			if rep != nil {
				read = rep.Read
				if rep.Loaded || rep.Inserted+rep.Updated > 0 {
					t.Errorf("report: loaded %v, inserted %d, updated %d; want nothing loaded", rep.Loaded, rep.Inserted, rep.Updated)
				}
				if len(rep.Skipped) > 10000 {
					t.Errorf("report lists %d skipped rows; want at most 10,000", len(rep.Skipped))
				}
			}
			if read > tt.maxRead || tt.wantRead >= 0 && read != tt.wantRead {
				t.Errorf("import read %d rows before it stopped, want %d (at most %d)", read, tt.wantRead, tt.maxRead)
			}
			if after := checksum(t, pool); after != before {
				t.Errorf("the failed import changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
