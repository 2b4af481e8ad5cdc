package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/coverage"
)

// IssueKind says why a row was not loaded.
type IssueKind string

// The kinds of row issues.
const (
	IssueInvalid       IssueKind = "invalid"        // a field is malformed or out of range
	IssueNoCoordinates IssueKind = "no coordinates" // an address without a position
	IssueOutsideItaly  IssueKind = "outside Italy"  // a position outside Italy's bounding box
	IssueDuplicate     IssueKind = "duplicate"      // repeats an earlier row
	IssueUnmatched     IssueKind = "unmatched"      // an offer for a civic number that is not loaded
)

// A RowIssue is a row of a CSV file that was not loaded (or, for a
// duplicate that was kept, only reported), and why.
type RowIssue struct {
	Line   int       // line of the row in the file (the header is line 1)
	Column string    // the column at fault, as the header spells it; "" for the row as a whole
	Kind   IssueKind // what kind of problem
	Reason string    // what is wrong, for people
}

// Text formats the issue as "file:line: COLUMN: reason".
func (i RowIssue) Text(file string) string {
	s := location(file, i.Line, 0)
	if i.Column != "" {
		s += i.Column + ": "
	}
	return s + i.Reason
}

// at formats the issue without the file: "line 7: COLUMN: reason".
func (i RowIssue) at() string {
	s := fmt.Sprintf("line %d: ", i.Line)
	if i.Column != "" {
		s += i.Column + ": "
	}
	return s + i.Reason
}

// RowReport says what an import of a CSV file did.
type RowReport struct {
	File   string // the file, and for an archive the member read
	Format string // "ANNCSU" or "coverage"
	// Read counts the data rows read; Inserted and Updated the rows loaded;
	// Unchanged the known civic numbers a load found as they were.
	Read, Inserted, Updated, Unchanged int
	// Skipped are the rows not loaded, in line order: malformed, without
	// coordinates, outside Italy, duplicates, offers matching no civic number.
	// Of the rows found unloadable while reading, the first maxListed are
	// listed; the others are counted in Unlisted.
	Skipped []RowIssue
	// Unlisted counts by kind the skipped rows not in Skipped.
	Unlisted map[IssueKind]int
	// Duplicates are the rows that repeat an earlier one; those not loaded
	// are in Skipped too (a civic number at the address of another, with an
	// ANNCSU access of its own, is loaded and only reported).
	Duplicates []RowIssue
	// Loaded is false when the database was not changed.
	Loaded   bool
	Duration time.Duration
}

// Counts counts the skipped rows by kind, listed or not.
func (r *RowReport) Counts() map[IssueKind]int {
	m := map[IssueKind]int{}
	for _, i := range r.Skipped {
		m[i.Kind]++
	}
	for k, n := range r.Unlisted {
		m[k] += n
	}
	return m
}

// SkippedCount counts the skipped rows, listed or not.
func (r *RowReport) SkippedCount() int {
	n := len(r.Skipped)
	for _, u := range r.Unlisted {
		n += u
	}
	return n
}

// maxListed bounds the rows found unloadable while reading that a report
// lists one by one: a file of millions of bad rows must not fill memory
// with their reasons.
const maxListed = 10000

// skip records a row not loaded: listed, or counted beyond maxListed.
func (r *RowReport) skip(i RowIssue) {
	if len(r.Skipped) < maxListed {
		r.Skipped = append(r.Skipped, i)
		return
	}
	if r.Unlisted == nil {
		r.Unlisted = map[IssueKind]int{}
	}
	r.Unlisted[i.Kind]++
}

// Summary is the report as text for people: one line of counts, then up to
// max skipped rows (max <= 0: all), then the duplicates that were loaded.
func (r *RowReport) Summary(max int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s]: read %d rows, inserted %d, updated %d", r.File, r.Format, r.Read, r.Inserted, r.Updated)
	if r.Unchanged > 0 {
		fmt.Fprintf(&b, ", unchanged %d", r.Unchanged)
	}
	fmt.Fprintf(&b, ", skipped %d", r.SkippedCount())
	counts := r.Counts()
	var parts []string
	for _, k := range []IssueKind{IssueInvalid, IssueNoCoordinates, IssueOutsideItaly, IssueDuplicate, IssueUnmatched} {
		if n := counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	kept := 0
	for _, d := range r.Duplicates {
		if !r.skipped(d.Line) {
			kept++
		}
	}
	if len(r.Duplicates) > 0 {
		fmt.Fprintf(&b, ", duplicates %d", len(r.Duplicates))
		if kept > 0 {
			fmt.Fprintf(&b, " (%d loaded)", kept)
		}
	}
	if !r.Loaded {
		b.WriteString("; nothing was changed")
	}
	b.WriteString("\n")
	shown := 0
	for _, i := range r.Skipped {
		if max > 0 && shown == max {
			break
		}
		b.WriteString("  skipped " + i.Text(r.File) + "\n")
		shown++
	}
	if more := r.SkippedCount() - shown; more > 0 {
		fmt.Fprintf(&b, "  … and %d more skipped rows\n", more)
	}
	shown = 0
	for _, d := range r.Duplicates {
		if r.skipped(d.Line) {
			continue
		}
		if max > 0 && shown == max {
			fmt.Fprintf(&b, "  … and %d more duplicates loaded\n", kept-shown)
			break
		}
		b.WriteString("  loaded duplicate " + d.Text(r.File) + "\n")
		shown++
	}
	return b.String()
}

// skipped says whether the row at line was skipped (Skipped is sorted).
func (r *RowReport) skipped(line int) bool {
	_, found := slices.BinarySearchFunc(r.Skipped, line, func(i RowIssue, l int) int { return i.Line - l })
	return found
}

// addLoaded merges what a load reports into the report; kind classifies
// the loader's skipped rows that are not duplicates.
func (r *RowReport) addLoaded(sum coverage.LoadSummary, kind IssueKind) {
	dups := map[int]bool{}
	for _, p := range sum.Duplicates {
		dups[p.Line] = true
		r.Duplicates = append(r.Duplicates, RowIssue{Line: p.Line, Kind: IssueDuplicate, Reason: p.Reason})
	}
	for _, p := range sum.Skipped {
		k := kind
		if dups[p.Line] {
			k = IssueDuplicate
		}
		r.Skipped = append(r.Skipped, RowIssue{Line: p.Line, Kind: k, Reason: p.Reason})
	}
	byLine := func(a, b RowIssue) int { return a.Line - b.Line }
	slices.SortStableFunc(r.Skipped, byLine)
	slices.SortStableFunc(r.Duplicates, byLine)
	r.Inserted, r.Updated, r.Unchanged = sum.Inserted, sum.Updated, sum.Unchanged
}

// strictError is the error of a strict import with skipped rows: the
// first of them, where it is, and why nothing was imported.
func strictError(op string, rep *RowReport) error {
	what := "1 row was skipped"
	if n := rep.SkippedCount(); n > 1 {
		what = fmt.Sprintf("the first of %d rows skipped", n)
	}
	return apperr.New(op, apperr.Invalid, "%s (%s; strict mode is on, so nothing was imported)", rep.Skipped[0].Text(rep.File), what)
}

// Bad rows: a file in which more than half of the rows read are invalid or
// outside Italy, once there are badRowsFloor of them, is not the file it
// claims to be (or not one to load): the import stops there rather than
// grinding through millions of rows. Rows without coordinates do not count:
// the register lacks positions for whole comuni.
const badRowsFloor = 1000

// badRows is the error of a file with too many bad rows; first is the
// first of them.
func badRows(op string, rep *RowReport, first RowIssue, bad, read int, what string) error {
	return apperr.New(op, apperr.Invalid, "%s: %s of the first %s rows are invalid (the first: %s): not %s? The import stopped there and nothing was imported",
		rep.File, thousands(int64(bad)), thousands(int64(read)), first.at(), what)
}

// noRows is the error of a file none of whose rows can be loaded.
func noRows(op string, rep *RowReport) error {
	return apperr.New(op, apperr.Invalid, "%s: none of its %s rows can be loaded (the first: %s); nothing was imported",
		rep.File, thousands(int64(rep.SkippedCount())), rep.Skipped[0].at())
}

// rowOptions are what the CSV imports have in common.
type rowOptions struct {
	strict   bool
	what     string // what the file should be, for messages: "an ANNCSU address file"
	progress func(Progress)
	read     func() // called when the whole file has been read
}

// rowSeq streams the rows of f through parse into the loader: rows with a
// problem are recorded in rep and left out. A file-level error, in strict
// mode the first row with a problem, too many bad rows (see badRowsFloor),
// or a file none of whose rows can be loaded ends the sequence with an
// error, which makes the load roll back and comes back from it.
func rowSeq[T any](ctx context.Context, op string, f *csvFile, rep *RowReport, opts rowOptions,
	parse func([]string, int) (T, *RowIssue)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		fail := func(err error) { yield(zero, err) }
		defer func() { rep.Read = f.read }()
		bad, loadable := 0, 0
		var firstBad RowIssue
		for n := 0; ; n++ {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				if opts.progress != nil {
					opts.progress(f.progress())
				}
			}
			rec, line, err := f.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fail(err)
				return
			}
			row, issue := parse(rec, line)
			if issue != nil {
				rep.skip(*issue)
				if opts.strict {
					fail(apperr.New(op, apperr.Invalid, "%s (strict mode is on: the import stopped at this row and nothing was imported)", issue.Text(rep.File)))
					return
				}
				if issue.Kind != IssueNoCoordinates {
					if bad++; bad == 1 {
						firstBad = *issue
					}
				}
				if bad >= badRowsFloor && 2*bad > f.read {
					fail(badRows(op, rep, firstBad, bad, f.read, opts.what))
					return
				}
				continue
			}
			loadable++
			if !yield(row, nil) {
				return
			}
		}
		rep.Read = f.read
		if opts.progress != nil {
			p := f.progress()
			if p.Total > 0 {
				p.Done = p.Total
			}
			opts.progress(p)
		}
		if opts.read != nil {
			opts.read()
		}
		if loadable == 0 && rep.SkippedCount() > 0 {
			fail(noRows(op, rep))
		}
	}
}

// loadError explains why a load failed: the reader's own error when the
// rows ended with one, the strict rule when rows were skipped, else the
// loader's error with the file's name.
func loadError(op string, rep *RowReport, strict bool, err error) error {
	var ae *apperr.Error
	switch {
	case errors.As(err, &ae) && strings.HasPrefix(ae.Op, "importer."):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case strict && len(rep.Skipped) > 0 && apperr.KindOf(err) == apperr.Invalid:
		return strictError(op, rep)
	}
	return fmt.Errorf("%s: %w", rep.File, err)
}

// Field parsers shared by the CSV formats. Each returns a reason for
// people on failure.

// fieldText trims a field; rec may be shorter than the header.
func fieldText(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// checkFieldCount accepts a row with as many fields as the header, or more
// when the extra ones are empty (a separator at the end of the line).
func checkFieldCount(rec []string, header int) *RowIssue {
	if len(rec) < header {
		return &RowIssue{Kind: IssueInvalid, Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), header)}
	}
	for _, f := range rec[header:] {
		if strings.TrimSpace(f) != "" {
			return &RowIssue{Kind: IssueInvalid, Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), header)}
		}
	}
	return nil
}

// maxHouseNumber bounds a civic number: five digits cover every Italian
// numbering, metric ones included.
const maxHouseNumber = 99999

// parseHouseNumber reads a civic number: digits, or empty or SNC ("senza
// numero civico") for none.
func parseHouseNumber(s string) (*int, string) {
	if s == "" || isSNC(s) {
		return nil, ""
	}
	if !allDigits(s) {
		return nil, fmt.Sprintf("%q is not a house number (digits, or SNC for none; a suffix such as A or BIS goes in its own column)", truncate(s, 20))
	}
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 9 || n > maxHouseNumber {
		return nil, fmt.Sprintf("%q is not a house number (at most %d)", truncate(s, 20), maxHouseNumber)
	}
	return &n, ""
}

// isSNC recognises "senza numero civico": SNC, S.N.C., snc.
func isSNC(s string) bool {
	return strings.EqualFold(strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), " ", ""), "SNC")
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maxSuffix bounds an esponente.
const maxSuffix = 10

// parseSuffix normalises an esponente: upper case, without the separators
// people put before it ("/A", "-bis" → A, BIS), letters and digits only.
func parseSuffix(s string) (string, string) {
	t := strings.ToUpper(strings.TrimLeft(s, "/- "))
	if t == "" {
		return "", ""
	}
	if len(t) > maxSuffix {
		return "", fmt.Sprintf("%q is longer than %d characters", truncate(s, 20), maxSuffix)
	}
	for _, r := range t {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", fmt.Sprintf("%q is not a suffix (letters and digits, e.g. A or BIS)", truncate(s, 20))
		}
	}
	return t, ""
}

// parseID reads a positive integer identifier; "" gives 0.
func parseID(s string) (int64, string) {
	if s == "" {
		return 0, ""
	}
	if !allDigits(s) || len(s) > 18 {
		return 0, fmt.Sprintf("%q is not an identifier (a positive whole number)", truncate(s, 20))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Sprintf("%q is not an identifier (a positive whole number)", truncate(s, 20))
	}
	return n, ""
}

// parseDecimal reads a decimal number written with a comma or a point
// ("9,5591598", "45.44"), with an optional sign: no exponents, thousands
// separators, NaN or infinities.
func parseDecimal(s string) (float64, string) {
	bad := func() (float64, string) {
		return 0, fmt.Sprintf("%q is not a number", truncate(s, 30))
	}
	t := s
	if t != "" && (t[0] == '-' || t[0] == '+') {
		t = t[1:]
	}
	if t == "" || len(t) > 30 {
		return bad()
	}
	seps, digits := 0, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ',' || c == '.':
			seps++
		default:
			return bad()
		}
	}
	if seps > 1 || digits == 0 {
		return bad()
	}
	f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil {
		return bad()
	}
	return f, ""
}

// hasControl says whether s holds a control character (a line break
// inside a quoted field, a tab): never part of a name.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// streetKeys memoises coverage.StreetKey: a register repeats each street
// name for every civic number on it, and the key costs microseconds.
type streetKeys map[string]string

func (m streetKeys) key(street string) string {
	if k, ok := m[street]; ok {
		return k
	}
	if len(m) > 1<<16 {
		clear(m)
	}
	k := coverage.StreetKey(street)
	m[street] = k
	return k
}
