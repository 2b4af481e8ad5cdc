package importer

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
)

// readCSV opens path as the importers do and reads every record; it
// returns the records read and the error that ended them.
func readCSV(t *testing.T, path string, lim Limits) (int, *csvFile, error) {
	t.Helper()
	f, err := openCSV(path, csvOptions{what: "an ANNCSU address file", limits: lim})
	if err != nil {
		return 0, nil, err
	}
	t.Cleanup(func() { f.Close() })
	n := 0
	for {
		_, _, err := f.next()
		if errors.Is(err, io.EOF) {
			return n, f, nil
		}
		if err != nil {
			return n, f, err
		}
		n++
	}
}

// wantLimit asserts an Invalid error whose message contains want.
func wantLimit(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	t.Log(err)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
		t.Errorf("error %v (%T), want an Invalid *apperr.Error", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q, want it to contain %q", err, w)
		}
	}
}

// randomRows are n rows of a register that compress about 3:1, like the
// real one.
func randomRows(n int) string {
	rnd := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "D142;019035;1;VIA %X;%d;;%d;9,%07d;45,%07d;\n", rnd.Uint64(), rnd.IntN(500), i+1, rnd.IntN(1e7), rnd.IntN(1e7))
	}
	return b.String()
}

func TestCSVLineLimits(t *testing.T) {
	dir := t.TempDir()
	header := strings.TrimPrefix(anncsuHeader, "\ufeff")
	good := anncsuRows[0] + "\n"
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, text)
		return p
	}
	tests := []struct {
		name     string
		path     string
		lim      Limits
		want     []string
		wantRows int // records read before the error
	}{
		{"header line", write("header.csv", strings.Repeat("X", 100000)+"\n"+good), Limits{},
			[]string{"header.csv:1: longer than 65,536 bytes: not an ANNCSU address file?"}, 0},
		{"after 5000 good rows", write("late.csv", header+strings.Repeat(good, 5000)+strings.Repeat("9", 70000)+"\n"+good), Limits{},
			[]string{"late.csv:5002: longer than 65,536 bytes"}, 5000},
		{"a quote never closed", write("quote.csv", header+good+`D142;019035;1;"VIA ROMA;1;;1001;9,6857;45,3614;`+"\n"+strings.Repeat(good, 3000)), Limits{},
			[]string{"quote.csv:3: this record runs on to line", "and is longer than 65,536 bytes (a quote that is never closed?)"}, 1},
		{"a lower limit", write("low.csv", header+good+good+strings.Repeat("1;", 120)+"\n"), Limits{MaxLine: 200},
			[]string{"low.csv:4: longer than 200 bytes"}, 2},
		{"CRLF at the limit", write("crlf.csv", header+good+strings.Repeat("8", 199)+"\r\n"), Limits{MaxLine: 200}, nil, 2},
		{"too many columns", write("columns.csv", strings.Repeat("A;", 2000)+"\n"), Limits{},
			[]string{"columns.csv:1: the header has 2,001 columns, more than 1,024: not an ANNCSU address file?"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, err := readCSV(t, tt.path, tt.lim)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("read: %v, want no error", err)
				}
			} else {
				wantLimit(t, err, tt.want...)
			}
			if rows != tt.wantRows {
				t.Errorf("read %d records before the error, want %d", rows, tt.wantRows)
			}
		})
	}

	t.Run("a huge line is not read", func(t *testing.T) {
		path := zipRepeated(t, filepath.Join(dir, "line.zip"), "ANNCSU.csv", header+good, strings.Repeat("0", 64<<10), 16000, "\n") // 1 GiB
		_, f, err := readCSV(t, path, Limits{})
		wantLimit(t, err, "line.zip (ANNCSU.csv):3: longer than 65,536 bytes")
		// What was read: the header, a row, the read-ahead of one buffer.
		if f.count.n > 2*csvBuffer {
			t.Errorf("read %d bytes of the archive's 1 GiB, want at most %d", f.count.n, 2*csvBuffer)
		}
	})
}

func TestArchiveLimits(t *testing.T) {
	dir := t.TempDir()
	header := strings.TrimPrefix(anncsuHeader, "\ufeff")
	rows := randomRows(40000) // ~2.4 MB
	plain := writeZip(t, filepath.Join(dir, "plain.zip"), map[string]string{"ANNCSU.csv": header + rows})
	// The same row without coordinates, over and over: ~1000:1.
	same := "D142;019035;1;VIA " + strings.Repeat("X", 60000) + ";1;;;;;\n"

	t.Run("expanded size", func(t *testing.T) {
		_, _, err := readCSV(t, plain, Limits{MaxExpanded: 1 << 20})
		wantLimit(t, err, "plain.zip (ANNCSU.csv): the archive expands to more than 1 MiB (1,048,576 bytes) (at ANNCSU.csv); if it is right, raise the limit with --max-expanded")
		n, _, err := readCSV(t, plain, Limits{MaxExpanded: 4 << 20})
		if err != nil || n != 40000 {
			t.Errorf("with 4 MiB allowed: %d rows, %v; want 40000, no error", n, err)
		}
	})

	t.Run("ratio", func(t *testing.T) {
		bomb := zipRepeated(t, filepath.Join(dir, "bomb.zip"), "ANNCSU.csv", header, same, 400, "") // 24 MB
		_, f, err := readCSV(t, bomb, Limits{})
		wantLimit(t, err, "bomb.zip (ANNCSU.csv): ANNCSU.csv expands to more than 100 times its compressed size", "raise the limit with --max-ratio")
		if f.count.n > RatioFloor+csvBuffer {
			t.Errorf("read %d bytes, want the limit to stop it after %d", f.count.n, RatioFloor)
		}
		// Raised, the same archive is read to its end.
		if _, _, err := readCSV(t, bomb, Limits{MaxRatio: 2000}); err != nil {
			t.Errorf("with --max-ratio 2000: %v, want no error", err)
		}
		// Real registers compress far less, whatever their size.
		if _, _, err := readCSV(t, plain, Limits{MaxRatio: 10}); err != nil {
			t.Errorf("a register with --max-ratio 10: %v, want no error", err)
		}
	})

	t.Run("declared compressed size", func(t *testing.T) {
		// The directory says the bomb's compressed data is 1 GiB, so that
		// its ratio looks like 1:40; the archive has a few kilobytes.
		bomb := zipRepeated(t, filepath.Join(dir, "liar.zip"), "ANNCSU.csv", header, same, 400, "")
		lie(t, bomb, func(h *zip.FileHeader) { h.CompressedSize64 = 1 << 30 })
		_, _, err := readCSV(t, bomb, Limits{})
		wantLimit(t, err, "liar.zip (ANNCSU.csv): ANNCSU.csv expands to more than 100 times its compressed size")
	})

	t.Run("members", func(t *testing.T) {
		many := map[string]string{"ANNCSU.csv": header + anncsuRows[0] + "\n"}
		for i := range 10001 {
			many[fmt.Sprintf("x/%05d.txt", i)] = ""
		}
		path := writeZip(t, filepath.Join(dir, "members.zip"), many)
		_, _, err := readCSV(t, path, Limits{})
		wantLimit(t, err, "members.zip: the archive holds 10,002 members, more than the 10,000 allowed")
		// A directory beyond what the allowed members can take is not even
		// read to its end.
		_, _, err = readCSV(t, path, Limits{MaxMembers: 100})
		wantLimit(t, err, "members.zip: the archive's directory is larger than 233,472 bytes: more than 100 members")
	})
}

// lie rewrites the central directory entries of the archive at path with
// what change makes of their headers, keeping the data as it is.
func lie(t *testing.T, path string, change func(*zip.FileHeader)) {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range z.File {
		raw, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		h := f.FileHeader
		change(&h)
		w, err := zw.CreateRaw(&h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			t.Fatal(err)
		}
	}
	z.Close()
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGeoJSONLimits(t *testing.T) {
	feature := func(id int, name string) string {
		return fmt.Sprintf(`{"type":"Feature","id":%d,"properties":{"name":%q},"geometry":{"type":"Point","coordinates":[9.7,45.3]}}`, id, name)
	}
	collection := func(fs ...string) string {
		return "{\"type\":\"FeatureCollection\",\n\"features\":[\n" + strings.Join(fs, ",\n") + "\n]}\n"
	}
	big := strings.Repeat("x", 2<<20)
	tests := []struct {
		name  string
		text  string
		lim   Limits
		want  string
		wantN int // features read before the error
	}{
		{"a feature too large", collection(feature(1, "a"), feature(2, big), feature(3, "c")), Limits{MaxFeature: 1 << 20},
			"t.geojson:4:1: features[1] is larger than 1 MiB (1,048,576 bytes); if the file is right, raise the limit with --max-feature-size", 1},
		{"a feature of newlines", collection(feature(1, "a"), `{"type":"Feature",`+strings.Repeat("\n", 300000)+`"properties":{}}`), Limits{MaxFeature: 1 << 20},
			"t.geojson:4:1: features[1] spans more than 131,072 lines", 1},
		{"a single Feature too large", feature(1, big), Limits{MaxFeature: 1 << 20}, "t.geojson:1:1: feature 0 is larger than 1 MiB", 0},
		{"a member before the features", `{"type":"FeatureCollection","name":"` + big + `","features":[]}`, Limits{MaxFeature: 1 << 20},
			"t.geojson:1:1: a GeoJSON object is larger than 1 MiB", 0},
		{"too many features", collection(feature(1, "a"), feature(2, "b"), feature(3, "c"), feature(4, "d")), Limits{MaxFeatures: 3},
			"t.geojson:6:1: more than 3 features", 3},
		{"too many features in a sequence", feature(1, "a") + "\n" + feature(2, "b") + "\n" + feature(3, "c"), Limits{MaxFeatures: 2},
			"t.geojson:3:1: more than 2 features", 2},
		{"within the limits", collection(feature(1, "a"), feature(2, big[:1<<19]), feature(3, "c")), Limits{MaxFeature: 1 << 20, MaxFeatures: 3}, "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewGeoJSONReader(strings.NewReader(tt.text), "t.geojson", OpenOptions{Limits: tt.lim})
			n := 0
			var err error
			for {
				if _, err = r.Next(); err != nil {
					break
				}
				n++
			}
			if errors.Is(err, io.EOF) {
				err = nil
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("read: %v, want no error", err)
				}
			} else {
				wantLimit(t, err, tt.want)
			}
			if n != tt.wantN {
				t.Errorf("read %d features before the error, want %d", n, tt.wantN)
			}
			if r.lines.n > 2*(1<<20)+maxRead+(64<<10) && tt.lim.MaxFeature == 1<<20 {
				t.Errorf("read %d bytes, want the limit to stop the reading", r.lines.n)
			}
		})
	}
}

func TestShapefileLimits(t *testing.T) {
	tests := []struct {
		name string
		opts shpOptions
		lim  Limits
		want string
	}{
		{"records announced beyond the file", shpOptions{corrupt: func(dir, base string) {
			f, err := os.OpenFile(filepath.Join(dir, base+".dbf"), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte{0x80, 0x96, 0x98, 0}, 4) // 10,000,000
			f.Close()
		}}, Limits{}, "the .dbf is unreadable: its header announces 10,000,000 records of"},
		{"more records than allowed", shpOptions{}, Limits{MaxFeatures: 3}, "the .dbf announces 4 records, more than the 3 an import takes at once"},
		{"a record too large", shpOptions{}, Limits{MaxFeature: 100}, "record 1: .shp record of"},
		{"expanded size", shpOptions{}, Limits{MaxExpanded: 700}, "the archive expands to more than 700 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := istatZip(t, tt.opts)
			_, _, err := readShapefile(t, path, OpenOptions{Limits: tt.lim})
			wantLimit(t, err, "Limiti01012026_g.zip (Com01012026_g/Com01012026_g_WGS84.shp): ", tt.want)
		})
	}
	// The same file within the limits.
	if fs, _, err := readShapefile(t, istatZip(t, shpOptions{}), OpenOptions{Limits: Limits{MaxFeatures: 4, MaxFeature: 1 << 10}}); err != nil || len(fs) != 4 {
		t.Errorf("within the limits: %d features, %v; want 4, no error", len(fs), err)
	}
}

func TestLimitLines(t *testing.T) {
	text := "a,b\n1,2\n" + strings.Repeat("3", 200) + "\n"
	b, err := io.ReadAll(LimitLines(strings.NewReader(text), "sites.csv", Limits{MaxLine: 100}))
	wantLimit(t, err, "sites.csv:3: longer than 100 bytes: not a CSV file?")
	if string(b) != "a,b\n1,2\n" {
		t.Errorf("passed %q before the error, want the lines before the long one", b)
	}
	if b, err := io.ReadAll(LimitLines(strings.NewReader(text), "sites.csv", Limits{})); err != nil || string(b) != text {
		t.Errorf("within the limit: %q, %v; want the text unchanged", b, err)
	}
}

func TestRowReportCapsItsList(t *testing.T) {
	im, _ := newImporter(t)
	dir := t.TempDir()
	// 15,000 rows without coordinates (not bad rows: the register lacks
	// them for whole comuni), and one to load.
	text := anncsuHeader + strings.Repeat("D142;019035;1;VIA ROMA;1;;;;;\n", 15000) + anncsuRows[0] + "\n"
	path := filepath.Join(dir, "anncsu.csv")
	writeFile(t, path, text)
	rep, err := im.Civici(t.Context(), path, CiviciOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != maxListed || rep.SkippedCount() != 15000 || rep.Counts()[IssueNoCoordinates] != 15000 || rep.Inserted != 1 {
		t.Errorf("report: %d listed, %d skipped, %v, inserted %d; want %d, 15000, 15000 no coordinates, 1",
			len(rep.Skipped), rep.SkippedCount(), rep.Counts(), rep.Inserted, maxListed)
	}
	s := rep.Summary(20)
	for _, want := range []string{"read 15001 rows, inserted 1, updated 0, skipped 15000 (15000 no coordinates)", "… and 14980 more skipped rows"} {
		if !strings.Contains(s, want) {
			t.Errorf("Summary(20) does not contain %q:\n%.500s", want, s)
		}
	}
}

func TestByteCount(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{65536, "65,536 bytes"}, {1 << 20, "1 MiB (1,048,576 bytes)"}, {8 << 30, "8 GiB (8,589,934,592 bytes)"}, {999, "999 bytes"}, {-1234, "-1,234 bytes"}} {
		if got := byteCount(tt.n); got != tt.want {
			t.Errorf("byteCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
