package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
)

// coverageRows are lines 2.. of the test coverage file (fields separated
// by "|", replaced by the separator under test), for the civic numbers of
// anncsuRows; the comment after each says what the importer must make of it.
var coverageRows = []string{
	"1001|||||aree_bianche|Open Fiber|FTTH|1000|active|2024-05-01",               // 2: by access
	"|019035|V. Roma|3|a|commercial|TIM|FTTC|200|active|",                        // 3: VIA ROMA 3 A, written differently
	"|19035|P.zza Garibaldi|SNC||aree_grigie|FiberCop|FTTH|1000|planned|",        // 4: PIAZZA GARIBALDI without number
	"|019035|via Nicolò d’Arco|5||commercial|Eolo|FWA|100|connectable|",          // 5: accents and another apostrophe
	"9999|||||commercial|TIM|FTTC|100|active|",                                   // 6: no such access
	"|019035|Via Verdi|1||commercial|TIM|FTTC|100|active|",                       // 7: no such address
	"|019035|Via Roma|1||fibra|TIM|FTTC|100|active|",                             // 8: bad programme
	"1002|||||commercial|TIM|FTTC|0|active|",                                     // 9: bad speed
	"1002|||||commercial|TIM|FTTC|100|active|2024-13-01",                         // 10: bad date
	"1001|||||commercial|TIM|ADSL|20|active|",                                    // 11: bad technology
	"1010|||||commercial|tim|ftth|2500|In Works|2025-01-15",                      // 12: loaded, spelled loosely
	"1001|||||aree_bianche|Open Fiber|FTTH|1000|active|2024-05-01",               // 13: repeats line 2
	"|019035|PIAZZA  GARIBALDI|||aree_bianche|Open Fiber|FTTH|1000|connectable|", // 14: loaded, empty number = SNC
}

const coverageHeaderText = "anncsu_id|istat_code|street|number|suffix|programme|operator|technology|max_down_mbps|status|status_date"

func coverageText(sep string, rows []string) string {
	return strings.ReplaceAll(coverageHeaderText+"\n"+strings.Join(rows, "\n")+"\n", "|", sep)
}

func TestImportCoverage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	civici := filepath.Join(dir, "anncsu.csv")
	writeFile(t, civici, anncsuText(anncsuRows))
	wantSkipped := []string{
		"6 unmatched ", "7 unmatched ", "8 invalid programme", "9 invalid max_down_mbps", "10 invalid status_date",
		"11 invalid technology", "13 duplicate ",
	}
	for _, tt := range []struct{ name, sep, bom string }{
		{"comma", ",", ""},
		{"semicolon with BOM", ";", "\ufeff"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			im, pool := newImporter(t)
			if _, err := im.Civici(ctx, civici, CiviciOptions{}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "coverage.csv")
			writeFile(t, path, tt.bom+coverageText(tt.sep, coverageRows))
			rep, err := im.Coverage(ctx, path, CoverageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			summary := rep.Summary(0)
			t.Log(summary)
			if rep.Read != 13 || rep.Inserted != 6 || rep.Updated != 0 || !rep.Loaded {
				t.Errorf("report: read %d, inserted %d, updated %d, loaded %v; want 13, 6, 0, true", rep.Read, rep.Inserted, rep.Updated, rep.Loaded)
			}
			if got := issueLines(rep.Skipped); !slices.Equal(got, wantSkipped) {
				t.Errorf("skipped = %q, want %q", got, wantSkipped)
			}
			for _, want := range []string{
				"skipped 7 (4 invalid, 1 duplicate, 2 unmatched)",
				path + ":6: no civic number has ANNCSU access 9999",
				path + ":7: no civic number at VIA VERDI 1 in comune 019035",
				path + `:8: programme: "fibra" is not a programme (aree_bianche, aree_grigie, commercial)`,
				path + ":9: max_down_mbps: 0 is out of range (1..100000 Mbit/s)",
				path + `:10: status_date: "2024-13-01" is not a date (YYYY-MM-DD`,
				path + `:11: technology: "ADSL" is not a technology (FTTH, FTTC, FWA, other)`,
				path + ":13: repeats the offer of line 2",
			} {
				if !strings.Contains(summary, want) {
					t.Errorf("Summary() does not contain %q", want)
				}
			}
			rows, err := pool.Query(ctx, `
				SELECT coalesce(c.anncsu_id::text, '-'), c.street_key, coalesce(c.number::text, 'SNC') || c.suffix,
				       o.programme, o.operator, o.technology, o.max_down_mbps, o.status, coalesce(o.status_date::text, '')
				FROM coverage_offers o JOIN civici c ON c.id = o.civico_id ORDER BY c.id, o.programme`)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var id, key, num, prog, oper, tech, status, date string
				var mbps int
				if err := rows.Scan(&id, &key, &num, &prog, &oper, &tech, &mbps, &status, &date); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %s %s: %s %s %s %d %s %s", id, key, num, prog, oper, tech, mbps, status, date))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			want := []string{
				"1001 VIA ROMA 1: aree_bianche Open Fiber FTTH 1000 active 2024-05-01",
				"1002 VIA ROMA 3A: commercial TIM FTTC 200 active ",
				"1003 PIAZZA GARIBALDI SNC: aree_bianche Open Fiber FTTH 1000 connectable ",
				"1003 PIAZZA GARIBALDI SNC: aree_grigie FiberCop FTTH 1000 planned ",
				"1004 VIA NICOLO D ARCO 5: commercial Eolo FWA 100 connectable ",
				"1010 VIA ROMA 17BIS: commercial tim FTTH 2500 in_works 2025-01-15",
			}
			if !slices.Equal(got, want) {
				t.Errorf("offers =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// The summaries follow the load.
			var connectable int
			if err := pool.QueryRow(ctx, `SELECT connectable FROM coverage_comuni_stats WHERE istat_code = '019035'`).Scan(&connectable); err != nil {
				t.Fatal(err)
			}
			if connectable != 4 {
				t.Errorf("coverage_comuni_stats: %d civic numbers connectable in Crema, want 4", connectable)
			}

			// Loaded again: the same offers are updated, not doubled.
			if rep, err = im.Coverage(ctx, path, CoverageOptions{}); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_offers`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if rep.Inserted != 0 || rep.Updated != 6 || n != 6 {
				t.Errorf("again: inserted %d, updated %d, %d offers stored; want 0, 6, 6", rep.Inserted, rep.Updated, n)
			}
		})
	}
}

func TestImportCoverageFailuresChangeNothing(t *testing.T) {
	ctx := context.Background()
	im, pool := newImporter(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, content)
		return p
	}
	if _, err := im.Civici(ctx, write("anncsu.csv", anncsuText(anncsuRows)), CiviciOptions{}); err != nil {
		t.Fatal(err)
	}
	good := []string{coverageRows[0], coverageRows[1], coverageRows[2]}
	if _, err := im.Coverage(ctx, write("base.csv", coverageText(",", good[:1])), CoverageOptions{}); err != nil {
		t.Fatal(err)
	}
	before := checksum(t, pool)
	tests := []struct {
		name string
		path string
		opts CoverageOptions
		want []string
	}{
		{"missing column", write("nostatus.csv", strings.Replace(coverageText(",", good), ",status,", ",state,", 1)), CoverageOptions{},
			[]string{"nostatus.csv:1: column status is missing from the header"}},
		{"no key columns", write("nokey.csv", "programme,operator,technology,max_down_mbps,status\ncommercial,TIM,FTTC,100,active\n"), CoverageOptions{},
			[]string{"nokey.csv:1: the header has no anncsu_id and no istat_code, street, number"}},
		{"strict with an unmatched row", write("unmatched.csv", coverageText(",", append(slices.Clone(good), coverageRows[4]))), CoverageOptions{Strict: true},
			[]string{"unmatched.csv:5: no civic number has ANNCSU access 9999 (1 row was skipped; strict mode is on, so nothing was imported)"}},
		{"strict with a bad row", write("bad.csv", coverageText(";", append(slices.Clone(good), coverageRows[7]))), CoverageOptions{Strict: true},
			[]string{"bad.csv:5: max_down_mbps: 0 is out of range"}},
		{"malformed quoting", write("quote.csv", coverageText(",", append(slices.Clone(good), `"1002|||||commercial|TIM|FTTC|100|active|`))), CoverageOptions{},
			[]string{"quote.csv:5:", "malformed CSV", "extraneous or missing \" in quoted-field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := im.Coverage(ctx, tt.path, tt.opts)
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
