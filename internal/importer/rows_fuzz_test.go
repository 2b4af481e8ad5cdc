package importer

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/coverage"
)

var (
	istatRe  = regexp.MustCompile(`^[0-9]{6}$`)
	suffixRe = regexp.MustCompile(`^[A-Z0-9]{0,10}$`)
)

// readRows reads text as a CSV file named f.csv and parses every record
// with parse; it returns the rows, the issues, or the file-level error.
func readRows[T any](t *testing.T, text string, open func(*csvFile) (func([]string, int) (T, *RowIssue), error)) ([]T, []RowIssue, error) {
	t.Helper()
	f, err := newCSVReader(strings.NewReader(text), "f.csv")
	if err != nil {
		return nil, nil, err
	}
	parse, err := open(f)
	if err != nil {
		return nil, nil, err
	}
	var rows []T
	var issues []RowIssue
	for {
		rec, line, err := f.next()
		if errors.Is(err, io.EOF) {
			return rows, issues, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if line < 2 {
			t.Fatalf("record at line %d, after the header", line)
		}
		row, issue := parse(rec, line)
		if issue != nil {
			if issue.Line != line || issue.Reason == "" || !slices.Contains([]IssueKind{IssueInvalid, IssueNoCoordinates, IssueOutsideItaly}, issue.Kind) {
				t.Fatalf("issue %+v for the record at line %d", issue, line)
			}
			issues = append(issues, *issue)
			continue
		}
		rows = append(rows, row)
	}
}

// checkFileError asserts a file-level error is an Invalid *apperr.Error
// that names the file.
func checkFileError(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Invalid || !strings.HasPrefix(ae.Msg, "f.csv") {
		t.Fatalf("error %v (%T), want an Invalid *apperr.Error naming f.csv", err, err)
	}
}

func openANNCSU(f *csvFile) (func([]string, int) (coverage.CivicoRow, *RowIssue), error) {
	a, err := newANNCSUReader(f)
	if err != nil {
		return nil, err
	}
	return a.parse, nil
}

// checkCivico asserts what the loader and the database rely on.
func checkCivico(t *testing.T, r coverage.CivicoRow) {
	t.Helper()
	switch {
	case !istatRe.MatchString(r.ISTATCode):
		t.Fatalf("ISTAT code %q", r.ISTATCode)
	case strings.TrimSpace(r.Street) == "" || coverage.StreetKey(r.Street) == "" || hasControl(r.Street):
		t.Fatalf("street %q with key %q", r.Street, coverage.StreetKey(r.Street))
	case r.Number != nil && (*r.Number < 0 || *r.Number > maxHouseNumber):
		t.Fatalf("number %d", *r.Number)
	case !suffixRe.MatchString(r.Suffix):
		t.Fatalf("suffix %q", r.Suffix)
	case r.ANNCSUID < 0:
		t.Fatalf("access %d", r.ANNCSUID)
	case !(r.Lon >= italyMinLon && r.Lon <= italyMaxLon && r.Lat >= italyMinLat && r.Lat <= italyMaxLat):
		t.Fatalf("position (%v %v) outside Italy", r.Lon, r.Lat)
	}
}

// FuzzANNCSURow feeds the ANNCSU reader a header and arbitrary rows. It
// must never panic: every record gives a civic number the database takes,
// or an issue with its line; a malformed file gives an error naming it. A
// civic number written back in the register's format reads the same.
func FuzzANNCSURow(f *testing.F) {
	for _, r := range anncsuRows {
		f.Add(r)
	}
	for _, s := range []string{
		"", ";;;;;;;;;", `"D142";"019035";"1";"VIA ""ROMA""";"1";"";"1";"9,7";"45,3";""`,
		"D142;019035;1;VIA ROMA;1;;1;9,7;45,3;;;;", "D142;019035;1;VIA ROMA;1;;1;9,7",
		"D142;019035;1;'';1;;1;9,7;45,3;", "D142;0;1;VIA;1;;1;9,7;45,3;", "D142;019035;1;VIA\nROMA;1;;1;9,7;45,3;",
		"D142;019035;1;VIA ROMA;99999;ZZZZZZZZZZ;999999999999999999;18,6;47,1;", "D142;019035;1;VIA ROMA;1;;1;-0;-0;",
		"D142;019035;1;VIA ROMA;1;;1;9,7;45,3;\n\"", "\xff;\xfe",
		// Past the limits: a line of 70,000 bytes; a quote that never closes.
		"D142;019035;1;VIA ROMA;1;;1;9,7;45,3;\n" + strings.Repeat("9", 70000) + "\n",
		"D142;019035;1;\"VIA ROMA;1;;1;9,7;45,3;\n" + strings.Repeat("D142;019035;1;VIA ROMA;1;;1;9,7;45,3;\n", 2000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rows string) {
		civici, _, err := readRows(t, anncsuHeader+rows, openANNCSU)
		if err != nil {
			checkFileError(t, err)
			return
		}
		for _, c := range civici {
			checkCivico(t, c)
			// Round trip through the register's own format.
			num := "SNC"
			if c.Number != nil {
				num = strconv.Itoa(*c.Number)
			}
			id := ""
			if c.ANNCSUID != 0 {
				id = strconv.FormatInt(c.ANNCSUID, 10)
			}
			coord := func(v float64) string { return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1) }
			line := strings.Join([]string{"D142", c.ISTATCode, "1", csvQuote(c.Street), num, c.Suffix, id, coord(c.Lon), coord(c.Lat), ""}, ";")
			again, issues, err := readRows(t, anncsuHeader+line+"\n", openANNCSU)
			if err != nil || len(issues) > 0 || len(again) != 1 {
				t.Fatalf("re-reading %q: %v, %v", line, err, issues)
			}
			a := again[0]
			a.Line = c.Line
			if a.ISTATCode != c.ISTATCode || a.Street != c.Street || a.Suffix != c.Suffix || a.ANNCSUID != c.ANNCSUID ||
				a.Lon != c.Lon || a.Lat != c.Lat || (a.Number == nil) != (c.Number == nil) || a.Number != nil && *a.Number != *c.Number {
				t.Fatalf("round trip of %+v gave %+v", c, a)
			}
		}
	})
}

func csvQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func openOffers(f *csvFile) (func([]string, int) (coverage.OfferRow, *RowIssue), error) {
	o, err := newOfferReader(f)
	if err != nil {
		return nil, err
	}
	return o.parse, nil
}

// FuzzCoverageRow feeds the coverage reader a header and arbitrary rows,
// with either separator. It must never panic: every record gives an offer
// the database takes (with a civic number to look for) or an issue with its
// line; a malformed file gives an error naming it.
func FuzzCoverageRow(f *testing.F) {
	for _, r := range coverageRows {
		f.Add(",", r)
		f.Add(";", r)
	}
	for _, s := range []string{
		"", "||||||||||", "0|||||commercial|TIM|FTTC|1|active|", "|019035|'|1||commercial|TIM|FTTC|1|active|",
		"1|||||commercial|" + strings.Repeat("x", 101) + "|FTTC|1|active|", "1|||||commercial|TIM|FTTC|100001|active|",
		"1|||||commercial|TIM|FTTC|+5|active|", "1|||||commercial|TIM|FTTC|5|active|2024-2-1", "1|||||commercial|TIM|FTTC|5|active|0001-01-01",
		"|019035|Via Roma|1|/a|Aree-Grigie|TIM|fwa|5|in works|", `"1"|||||"commercial"|"TIM, Sparkle"|FTTC|5|active|`,
	} {
		f.Add(",", s)
	}
	f.Fuzz(func(t *testing.T, sep, rows string) {
		if sep != "," && sep != ";" {
			sep = ","
		}
		offers, _, err := readRows(t, coverageText(sep, nil)+strings.ReplaceAll(rows, "|", sep), openOffers)
		if err != nil {
			checkFileError(t, err)
			return
		}
		for _, o := range offers {
			switch {
			case o.ANNCSUID < 0:
				t.Fatalf("access %d", o.ANNCSUID)
			case o.ANNCSUID == 0 && (!istatRe.MatchString(o.ISTATCode) || coverage.StreetKey(o.Street) == "" || hasControl(o.Street) || !suffixRe.MatchString(o.Suffix)):
				t.Fatalf("no access and address %q %q %q", o.ISTATCode, o.Street, o.Suffix)
			case o.Number != nil && (*o.Number < 0 || *o.Number > maxHouseNumber):
				t.Fatalf("number %d", *o.Number)
			case !slices.Contains(coverage.Programmes, o.Programme), !slices.Contains(coverage.Technologies, o.Technology), !slices.Contains(coverage.Statuses, o.Status):
				t.Fatalf("programme %q, technology %q, status %q", o.Programme, o.Technology, o.Status)
			case strings.TrimSpace(o.Operator) == "" || len(o.Operator) > maxOperator || hasControl(o.Operator):
				t.Fatalf("operator %q", o.Operator)
			case o.MaxDownMbps < 1 || o.MaxDownMbps > 100000:
				t.Fatalf("max_down_mbps %d", o.MaxDownMbps)
			case o.StatusDate != nil && (o.StatusDate.Year() < 1990 || o.StatusDate.Year() > 2100):
				t.Fatalf("status_date %v", o.StatusDate)
			}
		}
	})
}

// chunks reads at most n bytes at a time.
type chunks struct {
	r io.Reader
	n int
}

func (c chunks) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// FuzzLineLimiter checks the CSV line limiter against a plain reading of
// the same text, whatever the sizes of the reads: records (lines joined
// while an odd number of quotes is open) of at most max bytes pass
// unchanged; at the first longer one the error names the line it starts
// on, and every record before it has been passed whole.
func FuzzLineLimiter(f *testing.F) {
	for _, s := range []string{
		"a;b\n1;2\n", "a;b\r\n" + strings.Repeat("x", 80) + "\r\n", "\"a\nb\nc\"\nd\n", "\"\"\"\n\n\n\n\"", "\n\n\n", "x\"y\"\"z\nw\n",
		anncsuHeader + strings.Join(anncsuRows, "\n"),
	} {
		f.Add([]byte(s), uint8(20), uint8(7))
		f.Add([]byte(s), uint8(63), uint8(255))
	}
	f.Fuzz(func(t *testing.T, text []byte, maxLine, chunk uint8) {
		m, c := int(maxLine)%64+1, int(chunk)+1
		out, err := io.ReadAll(newLineLimiter(chunks{bytes.NewReader(text), c}, m))
		// The reference, byte by byte.
		line, start, n, quoted, recStart, long := 1, 1, 0, false, 0, false
		for i, b := range text {
			if b == '\n' {
				if n > m {
					long = true
					break
				}
				line++
				n++
				if !quoted {
					start, n, recStart = line, 0, i+1
				}
				continue
			}
			if b == '"' {
				quoted = !quoted
			}
			if n++; n > m {
				long = true
				break
			}
		}
		if !bytes.HasPrefix(text, out) {
			t.Fatalf("passed %q, not a prefix of the text", out)
		}
		if !long {
			if err != nil || len(out) != len(text) {
				t.Fatalf("no record over %d bytes: passed %d of %d bytes, error %v; want all, no error", m, len(out), len(text), err)
			}
			return
		}
		le, ok := err.(*limitError)
		if !ok || le.line != start {
			t.Fatalf("a record over %d bytes from line %d: error %v; want a limit error at line %d", m, start, err, start)
		}
		if len(out) < recStart {
			t.Fatalf("passed %d bytes, want at least the %d before the long record", len(out), recStart)
		}
	})
}
