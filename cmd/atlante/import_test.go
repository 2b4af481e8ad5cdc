package main

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/store/storetest"
)

const anncsuHeader = "CODICE_ISTAT;CODICE_COMUNE;ODONIMO;CIVICO;ESPONENTE;PROGRESSIVO_ACCESSO;COORD_X_COMUNE;COORD_Y_COMUNE\n"

// zipOf writes an archive of one member whose content write produces.
func zipOf(t *testing.T, path, member string, write func(io.Writer)) string {
	t.Helper()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	w, err := zw.Create(member)
	if err != nil {
		t.Fatal(err)
	}
	write(w)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportFailuresExitNonZero runs the import commands as main does
// (main exits 1 when run returns an error) on files that must fail: each
// fails, with the message naming the file, the place and the limit, and
// the database keeps what it had.
func TestImportFailuresExitNonZero(t *testing.T) {
	ctx := context.Background()
	url := storetest.NewURL(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte(anncsuHeader+"019035;D142;VIA ROMA;1;;1001;9,6857;45,3614\n019035;D142;VIA ROMA;3;;1002;9,6858;45,3615\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// One line of 4 MiB of zeros after the header.
	line := zipOf(t, filepath.Join(dir, "ANNCSU.zip"), "ANNCSU.csv", func(w io.Writer) {
		io.WriteString(w, anncsuHeader)
		io.WriteString(w, strings.Repeat("0", 4<<20)+"\n")
	})
	// 100,000 rows of one field each.
	rows := zipOf(t, filepath.Join(dir, "rows.zip"), "ANNCSU.csv", func(w io.Writer) {
		io.WriteString(w, anncsuHeader)
		for i := range 100000 {
			fmt.Fprintf(w, "%d\n", i%5000)
		}
	})
	goodZip := zipOf(t, filepath.Join(dir, "good.zip"), "ANNCSU.csv", func(w io.Writer) {
		b, _ := os.ReadFile(good)
		w.Write(b)
	})
	route := filepath.Join(dir, "routes.geojson")
	if err := os.WriteFile(route, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"programme":"commercial","operator":"`+
		strings.Repeat("T", 4000)+`","status":"active"},"geometry":{"type":"LineString","coordinates":[[9.68,45.36],[9.69,45.37]]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}

	civici := func() int {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM civici`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	atlante := func(args ...string) error {
		return run(ctx, append([]string{"atlante", "--database-url", url, "--log-level", "error", "--log-format", "text"}, args...))
	}
	if err := atlante("import", "civici", good); err != nil {
		t.Fatalf("import of a good file: %v", err)
	}
	if n := civici(); n != 2 {
		t.Fatalf("%d civici after the good import, want 2", n)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"a huge line", []string{"import", "civici", line}, "import civici: " + line + " (ANNCSU.csv):2: longer than 65,536 bytes: not an ANNCSU address file?"},
		{"all rows bad", []string{"import", "civici", rows}, "rows.zip (ANNCSU.csv): 1,000 of the first 1,000 rows are invalid"},
		{"strict", []string{"import", "civici", "--strict", rows}, "rows.zip (ANNCSU.csv):2: has 1 fields, the header has 8 (strict mode is on: the import stopped at this row"},
		{"expanded size", []string{"import", "civici", "--max-expanded", "100", goodZip}, "good.zip (ANNCSU.csv): the archive expands to more than 100 bytes (at ANNCSU.csv); if it is right, raise the limit with --max-expanded"},
		{"a bad size", []string{"import", "civici", "--max-expanded", "lots", goodZip}, `--max-expanded: "lots" is not a size`},
		{"a bad ratio", []string{"import", "coverage", "--max-ratio", "0", goodZip}, "--max-ratio: 0 is not a ratio"},
		{"feature size", []string{"import", "routes", "--max-feature-size", "1KiB", route}, "routes.geojson:1:41: features[0] is larger than 1,024 bytes; if the file is right, raise the limit with --max-feature-size"},
		{"feature size, civil protection", []string{"import", "scenarios", "--comune", "019035", "--max-feature-size", "1KiB", route},
			"import scenarios: " + route + ":1:41: features[0] is larger than 1,024 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := atlante(tt.args...)
			if err == nil {
				t.Fatalf("atlante %s: no error (exit status 0), want one containing %q", strings.Join(tt.args, " "), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("atlante %s: error %q, want it to contain %q", strings.Join(tt.args, " "), err, tt.want)
			}
			if n := civici(); n != 2 {
				t.Errorf("%d civici after the failed import, want the 2 loaded before", n)
			}
		})
	}
	// Within the limits, the same archive imports.
	if err := atlante("import", "civici", "--max-expanded", "1MiB", goodZip); err != nil {
		t.Errorf("import with --max-expanded 1MiB: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"100", 100}, {"64KiB", 64 << 10}, {"64kb", 64 << 10}, {"16GiB", 16 << 30}, {"8G", 8 << 30}, {" 2 MiB ", 2 << 20}, {"1TiB", 1 << 40},
		{"", -1}, {"0", -1}, {"-5", -1}, {"1.5GiB", -1}, {"GiB", -1}, {"9999999TiB", -1}, {"3XB", -1},
	} {
		got, err := parseSize(tt.in)
		if tt.want < 0 {
			if err == nil {
				t.Errorf("parseSize(%q) = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}
