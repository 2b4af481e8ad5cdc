package importer

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/internal/apperr"
)

// anncsuHeader is a header as the register writes it, with columns the
// importer ignores and one name in another case.
const anncsuHeader = "\ufeffCODICE_COMUNE;Codice_Istat;PROGRESSIVO_NAZIONALE;ODONIMO;CIVICO;ESPONENTE;PROGRESSIVO_ACCESSO;COORD_X_COMUNE;COORD_Y_COMUNE;QUOTA\n"

// anncsuRows are lines 2.. of the test register; the comment after each
// says what the importer must make of it.
var anncsuRows = []string{
	"D142;019035;1;VIA ROMA;1;;1001;9,6857;45,3614;79",        // 2: loaded
	"D142;019035;1;VIA ROMA;3;A;1002;9,6858;45,3615;79",       // 3: loaded, suffix A
	"D142;19035;2;PIAZZA GARIBALDI;SNC;;1003;9,6861;45,3620;", // 4: loaded, no number, code padded
	"D142;019035;3;VIA NICOLÒ D'ARCO;5;;1004;9,6870;45,3630;", // 5: loaded, accent and apostrophe
	"D142;019035;1;VIA ROMA;7;;1005;;;",                       // 6: no coordinates
	"D142;019035;1;VIA ROMA;9;;1006;9.55.1;45,36;",            // 7: bad X
	"D142;019035;1;VIA ROMA;12a;;1007;9,68;45,36;",            // 8: bad number
	"D142;019035;1;VIA ROMA;11;;1001;9,69;45,37;",             // 9: access 1001 again: skipped
	"D142;019035;1;Via  Roma;1;;1008;9,6857;45,3614;",         // 10: address of line 2, own access: loaded, reported
	"D142;019035;1;VIA ROMA;13;;;9,69;45,37;",                 // 11: loaded, no access
	"D142;019035;1;V. ROMA;13;;;9,69;45,37;",                  // 12: address of line 11, no access: skipped
	"D142;019035;1;VIA ROMA;15;;1009;45,36;9,68;",             // 13: X and Y swapped
	"D142;019035;1;VIA ROMA;17;bis;1010;9,6901;45,3701;",      // 14: loaded, suffix BIS
}

func anncsuText(rows []string) string {
	return anncsuHeader + strings.Join(rows, "\r\n") + "\r\n"
}

// writeZip writes an archive holding the given members.
func writeZip(tb testing.TB, path string, members map[string]string) string {
	tb.Helper()
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(out)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write([]byte(members[n]))
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	out.Close()
	return path
}

// issueLines lists "line kind column" of issues, for comparing.
func issueLines(is []RowIssue) []string {
	var out []string
	for _, i := range is {
		out = append(out, fmt.Sprintf("%d %s %s", i.Line, i.Kind, i.Column))
	}
	return out
}

// checksum fingerprints the tables an import may write, to prove that a
// failed import changed nothing.
func checksum(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var sums []string
	for _, table := range []string{"civici", "coverage_offers", "network_routes", "coverage_streets", "coverage_cells", "layer_versions"} {
		var s string
		err := pool.QueryRow(context.Background(),
			`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM `+table+` t`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, table+"="+s)
	}
	return strings.Join(sums, " ")
}

func TestImportCivici(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	text := anncsuText(anncsuRows)
	plain := filepath.Join(dir, "anncsu.csv")
	writeFile(t, plain, text)
	zipped := writeZip(t, filepath.Join(dir, "anncsu.zip"), map[string]string{"ANNCSU_019035/indirizzi.csv": text, "ANNCSU_019035/LEGGIMI.pdf": "%PDF"})
	wantSkipped := []string{
		"6 no coordinates ", "7 invalid COORD_X_COMUNE", "8 invalid CIVICO", "9 duplicate ", "12 duplicate ", "13 outside Italy COORD_X_COMUNE",
	}
	wantDups := []string{"9 duplicate ", "10 duplicate ", "12 duplicate "}
	for _, tt := range []struct {
		name, path, file string
	}{
		{"csv", plain, plain},
		{"zip", zipped, zipped + " (ANNCSU_019035/indirizzi.csv)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			im, pool := newImporter(t)
			rep, err := im.Civici(ctx, tt.path, CiviciOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(rep.Summary(0))
			if rep.File != tt.file || rep.Read != 13 || rep.Inserted != 7 || rep.Updated != 0 || !rep.Loaded {
				t.Errorf("report: file %q, read %d, inserted %d, updated %d, loaded %v; want %q, 13, 7, 0, true", rep.File, rep.Read, rep.Inserted, rep.Updated, rep.Loaded, tt.file)
			}
			if got := issueLines(rep.Skipped); !slices.Equal(got, wantSkipped) {
				t.Errorf("skipped = %q, want %q", got, wantSkipped)
			}
			if got := issueLines(rep.Duplicates); !slices.Equal(got, wantDups) {
				t.Errorf("duplicates = %q, want %q", got, wantDups)
			}
			summary := rep.Summary(0)
			for _, want := range []string{
				"read 13 rows, inserted 7, updated 0, skipped 6 (2 invalid, 1 no coordinates, 1 outside Italy, 2 duplicate), duplicates 3 (1 loaded)",
				tt.file + `:7: COORD_X_COMUNE: "9.55.1" is not a number`,
				tt.file + `:8: CIVICO: "12a" is not a house number`,
				tt.file + ":6: no coordinates (COORD_X_COMUNE and COORD_Y_COMUNE are empty)",
				tt.file + ":9: repeats ANNCSU access 1001 of line 2",
				tt.file + ":12: repeats the address of line 11",
				tt.file + ":13: COORD_X_COMUNE: (45.36 9.68) is outside Italy; COORD_X_COMUNE and COORD_Y_COMUNE look swapped",
				"loaded duplicate " + tt.file + ":10: repeats the address of line 2 with ANNCSU access 1008 of its own (loaded)",
			} {
				if !strings.Contains(summary, want) {
					t.Errorf("Summary() does not contain %q:\n%s", want, summary)
				}
			}

			type civico struct {
				anncsu                   *int64
				istat, street, key, suff string
				number                   *int
				lon, lat                 float64
			}
			rows, err := pool.Query(ctx, `SELECT anncsu_id, istat_code, street, street_key, number, suffix, ST_X(geom), ST_Y(geom) FROM civici ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var c civico
				if err := rows.Scan(&c.anncsu, &c.istat, &c.street, &c.key, &c.number, &c.suff, &c.lon, &c.lat); err != nil {
					t.Fatal(err)
				}
				id, num := "-", "SNC"
				if c.anncsu != nil {
					id = fmt.Sprint(*c.anncsu)
				}
				if c.number != nil {
					num = fmt.Sprint(*c.number)
				}
				got = append(got, fmt.Sprintf("%s %s %s|%s %s%s %.4f %.4f", id, c.istat, c.street, c.key, num, c.suff, c.lon, c.lat))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			want := []string{
				"1001 019035 VIA ROMA|VIA ROMA 1 9.6857 45.3614",
				"1002 019035 VIA ROMA|VIA ROMA 3A 9.6858 45.3615",
				"1003 019035 PIAZZA GARIBALDI|PIAZZA GARIBALDI SNC 9.6861 45.3620",
				"1004 019035 VIA NICOLÒ D'ARCO|VIA NICOLO D ARCO 5 9.6870 45.3630",
				"1008 019035 Via  Roma|VIA ROMA 1 9.6857 45.3614",
				"- 019035 VIA ROMA|VIA ROMA 13 9.6900 45.3700",
				"1010 019035 VIA ROMA|VIA ROMA 17BIS 9.6901 45.3701",
			}
			if !slices.Equal(got, want) {
				t.Errorf("civici =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			var streets int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_streets WHERE istat_code = '019035'`).Scan(&streets); err != nil {
				t.Fatal(err)
			}
			if streets != 3 {
				t.Errorf("coverage_streets has %d streets, want 3: the summaries are refreshed with the load", streets)
			}
		})
	}

	t.Run("again", func(t *testing.T) {
		im, pool := newImporter(t)
		if _, err := im.Civici(ctx, plain, CiviciOptions{}); err != nil {
			t.Fatal(err)
		}
		// The same file: nothing new, nothing rewritten.
		rep, err := im.Civici(ctx, plain, CiviciOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Inserted != 0 || rep.Updated != 0 || rep.Unchanged != 7 {
			t.Errorf("same file again: inserted %d, updated %d, unchanged %d; want 0, 0, 7", rep.Inserted, rep.Updated, rep.Unchanged)
		}
		// One civic number moved, one new.
		moved := slices.Clone(anncsuRows)
		moved[1] = "D142;019035;1;VIA ROMA;3;A;1002;9,6868;45,3625;79"
		moved = append(moved, "D142;019035;1;VIA ROMA;19;;1011;9,6902;45,3702;")
		path := filepath.Join(t.TempDir(), "anncsu.csv")
		writeFile(t, path, anncsuText(moved))
		if rep, err = im.Civici(ctx, path, CiviciOptions{}); err != nil {
			t.Fatal(err)
		}
		if rep.Inserted != 1 || rep.Updated != 1 || rep.Unchanged != 6 {
			t.Errorf("changed file: inserted %d, updated %d, unchanged %d; want 1, 1, 6", rep.Inserted, rep.Updated, rep.Unchanged)
		}
		var lon float64
		if err := pool.QueryRow(ctx, `SELECT ST_X(geom) FROM civici WHERE anncsu_id = 1002`).Scan(&lon); err != nil {
			t.Fatal(err)
		}
		if lon != 9.6868 {
			t.Errorf("moved civic number at lon %v, want 9.6868", lon)
		}
	})
}

func TestImportCiviciZipLayers(t *testing.T) {
	dir := t.TempDir()
	two := writeZip(t, filepath.Join(dir, "two.zip"), map[string]string{
		"a/Crema.csv":    anncsuText(anncsuRows[:2]),
		"a/Ombriano.csv": anncsuText(anncsuRows[2:4]),
	})
	im, _ := newImporter(t)
	_, err := im.Civici(context.Background(), two, CiviciOptions{})
	if err == nil || !strings.Contains(err.Error(), "the archive holds 2 CSV files (a/Crema.csv, a/Ombriano.csv); choose one with --layer") {
		t.Errorf("archive with two CSVs: error %v, want one asking for --layer", err)
	}
	rep, err := im.Civici(context.Background(), two, CiviciOptions{Layer: "ombr"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.File != two+" (a/Ombriano.csv)" || rep.Inserted != 2 {
		t.Errorf("--layer ombr: file %q, inserted %d; want the Ombriano member, 2", rep.File, rep.Inserted)
	}
}

// TestImportCiviciFailuresChangeNothing loads a register and then fails
// imports in different ways: each names the file and line, and leaves
// every table as it was.
func TestImportCiviciFailuresChangeNothing(t *testing.T) {
	ctx := context.Background()
	im, pool := newImporter(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, content)
		return p
	}
	if _, err := im.Civici(ctx, write("base.csv", anncsuText(anncsuRows)), CiviciOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Coverage(ctx, write("base-coverage.csv", coverageText(",", coverageRows)), CoverageOptions{}); err != nil {
		t.Fatal(err)
	}
	before := checksum(t, pool)
	// Rows that would change the database if a failed import let them through.
	fresh := []string{"D142;019035;1;VIA MAZZINI;1;;2001;9,7;45,37;", "D142;019035;1;VIA MAZZINI;2;;2002;9,7;45,37;"}
	long := make([]string, 0, 5000)
	for i := range 5000 {
		long = append(long, fmt.Sprintf("D142;019035;1;VIA CAVOUR;%d;;%d;9,7;45,37;", i+1, 3000+i))
	}
	tests := []struct {
		name string
		path string
		opts CiviciOptions
		want []string
	}{
		{"missing column", write("nocol.csv", strings.Replace(anncsuText(fresh), "COORD_Y_COMUNE", "COORD_Z", 1)), CiviciOptions{},
			[]string{"nocol.csv:1: column COORD_Y_COMUNE is missing from the header"}},
		{"wrong separator", write("comma.csv", strings.ReplaceAll(anncsuText(fresh), ";", "\t")), CiviciOptions{},
			[]string{"comma.csv:1: columns CODICE_ISTAT, ODONIMO, CIVICO, PROGRESSIVO_ACCESSO, COORD_X_COMUNE, COORD_Y_COMUNE are missing"}},
		{"strict with a bad row", write("strict.csv", anncsuText(append(slices.Clone(fresh), anncsuRows[5]))), CiviciOptions{Strict: true},
			[]string{"strict.csv:4: COORD_X_COMUNE: \"9.55.1\" is not a number (strict mode is on: the import stopped at this row and nothing was imported)"}},
		{"strict with a duplicate", write("dup.csv", anncsuText(append(slices.Clone(fresh), fresh[0]))), CiviciOptions{Strict: true},
			[]string{"dup.csv:4: repeats ANNCSU access 2001 of line 2 (1 row was skipped; strict mode is on, so nothing was imported)"}},
		{"not UTF-8 after thousands of rows", write("latin1.csv", anncsuText(append(slices.Clone(long), "D142;019035;1;VIA NICOL\xd2;1;;9001;9,7;45,37;"))), CiviciOptions{},
			[]string{"latin1.csv:5002: ODONIMO: not UTF-8 text"}},
		{"malformed quoting", write("quote.csv", anncsuText(append(slices.Clone(long), `D142;019035;1;"VIA "ROMA";1;;9002;9,7;45,37;`))), CiviciOptions{},
			[]string{"quote.csv:5002:", "malformed CSV"}},
		{"empty file", write("empty.csv", ""), CiviciOptions{}, []string{"empty.csv: the file is empty"}},
		{"UTF-16", write("utf16.csv", "\xff\xfeC\x00"), CiviciOptions{}, []string{"utf16.csv:1: the file is UTF-16 text"}},
		{"no such file", filepath.Join(dir, "nothing.csv"), CiviciOptions{}, []string{"nothing.csv: no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := im.Civici(ctx, tt.path, tt.opts)
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
			if after := checksum(t, pool); after != before {
				t.Errorf("the failed import changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	num := func(n int) *int { return &n }
	for _, tt := range []struct {
		in   string
		want *int
		bad  bool
	}{
		{"12", num(12), false}, {"0", num(0), false}, {"", nil, false}, {"SNC", nil, false}, {"s.n.c.", nil, false},
		{"12a", nil, true}, {"-1", nil, true}, {"1.5", nil, true}, {"100000", nil, true}, {"0099", num(99), false},
	} {
		got, reason := parseHouseNumber(tt.in)
		if (reason != "") != tt.bad || (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("parseHouseNumber(%q) = %v, %q; want %v, bad %v", tt.in, got, reason, tt.want, tt.bad)
		}
	}
	for _, tt := range []struct {
		in   string
		want float64
		bad  bool
	}{
		{"9,5591598", 9.5591598, false}, {"45.44", 45.44, false}, {"-3,5", -3.5, false}, {"+7", 7, false},
		{"9.55.1", 0, true}, {"1,234.5", 0, true}, {"1e3", 0, true}, {"NaN", 0, true}, {"Inf", 0, true}, {",", 0, true}, {"", 0, true}, {"0x1p3", 0, true},
	} {
		got, reason := parseDecimal(tt.in)
		if (reason != "") != tt.bad || got != tt.want {
			t.Errorf("parseDecimal(%q) = %v, %q; want %v, bad %v", tt.in, got, reason, tt.want, tt.bad)
		}
	}
	for _, tt := range []struct{ in, want string }{{"a", "A"}, {"/bis", "BIS"}, {" - b", "B"}, {"", ""}, {"A B", "!"}, {"è", "!"}} {
		got, reason := parseSuffix(tt.in)
		if reason != "" {
			got = "!"
		}
		if got != tt.want {
			t.Errorf("parseSuffix(%q) = %q (%s), want %q", tt.in, got, reason, tt.want)
		}
	}
}
