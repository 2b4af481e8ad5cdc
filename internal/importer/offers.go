package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
)

// CoverageOptions say how to import a coverage file.
type CoverageOptions struct {
	// Strict fails the whole import when any row is skipped (malformed, or
	// matching no civic number); by default such rows are left out and listed.
	Strict bool
	// Layer chooses the .csv of an archive holding several.
	Layer string
	// Source is stored with every offer; by default derived from the file name.
	Source string
	// Progress, if set, is called as the file is read (often: throttle it).
	Progress func(Progress)
	// Limits bound what the file may make the import read (zero: the defaults).
	Limits Limits
}

// The columns of Atlante's coverage file (data/README.md).
const (
	colOfferANNCSU     = "anncsu_id"
	colOfferISTAT      = "istat_code"
	colOfferStreet     = "street"
	colOfferNumber     = "number"
	colOfferSuffix     = "suffix"
	colOfferProgramme  = "programme"
	colOfferOperator   = "operator"
	colOfferTechnology = "technology"
	colOfferMbps       = "max_down_mbps"
	colOfferStatus     = "status"
	colOfferDate       = "status_date"
)

// maxOperator bounds an operator's name.
const maxOperator = 100

// offerReader maps the rows of a coverage file to offers.
type offerReader struct {
	f                                                  *csvFile
	anncsu, istat, street, number, suffix              int
	programme, operator, technology, mbps, status, day int
	keys                                               streetKeys
}

// newOfferReader finds the columns of a coverage file: programme,
// operator, technology, max_down_mbps and status are required, and either
// anncsu_id or istat_code, street and number; suffix and status_date are
// optional.
func newOfferReader(f *csvFile) (*offerReader, error) {
	idx, err := f.requireColumns(colOfferProgramme, colOfferOperator, colOfferTechnology, colOfferMbps, colOfferStatus)
	if err != nil {
		return nil, err
	}
	o := &offerReader{f: f, programme: idx[0], operator: idx[1], technology: idx[2], mbps: idx[3], status: idx[4], keys: streetKeys{}}
	o.anncsu, _ = f.column(colOfferANNCSU)
	o.istat, _ = f.column(colOfferISTAT)
	o.street, _ = f.column(colOfferStreet)
	o.number, _ = f.column(colOfferNumber)
	o.suffix, _ = f.column(colOfferSuffix)
	o.day, _ = f.column(colOfferDate)
	if o.anncsu < 0 {
		var missing []string
		for _, c := range []struct {
			i    int
			name string
		}{{o.istat, colOfferISTAT}, {o.street, colOfferStreet}, {o.number, colOfferNumber}} {
			if c.i < 0 {
				missing = append(missing, c.name)
			}
		}
		if len(missing) > 0 {
			return nil, fileError(opCSV, f.name, 1, 0, "", "", fmt.Sprintf("the header has no anncsu_id and no %s: each row's civic number is found by anncsu_id, or by istat_code, street, number (and suffix)",
				strings.Join(missing, ", ")), nil)
		}
	}
	return o, nil
}

// closed finds s in a closed list, ignoring case, spaces and hyphens
// ("in works", "In-Works" → in_works); it returns the list's spelling.
func closed(s string, list []string) (string, bool) {
	t := strings.NewReplacer(" ", "_", "-", "_").Replace(s)
	for _, v := range list {
		if strings.EqualFold(t, v) {
			return v, true
		}
	}
	return "", false
}

// parse maps one record at line to an offer, or says why it cannot be
// loaded. A row with an anncsu_id is matched by it and its address
// columns are not read; otherwise the address must be complete.
func (o *offerReader) parse(rec []string, line int) (coverage.OfferRow, *RowIssue) {
	row := coverage.OfferRow{Line: line}
	h := o.f.header
	bad := func(col int, format string, args ...any) (coverage.OfferRow, *RowIssue) {
		name := ""
		if col >= 0 {
			name = h[col]
		}
		return coverage.OfferRow{}, &RowIssue{Line: line, Column: name, Kind: IssueInvalid, Reason: fmt.Sprintf(format, args...)}
	}
	if issue := checkFieldCount(rec, len(h)); issue != nil {
		issue.Line = line
		return coverage.OfferRow{}, issue
	}
	var reason string
	if row.ANNCSUID, reason = parseID(fieldText(rec, o.anncsu)); reason != "" {
		return bad(o.anncsu, "%s", reason)
	}
	if row.ANNCSUID == 0 {
		code := fieldText(rec, o.istat)
		if code == "" {
			return bad(o.istat, "missing: a row without anncsu_id needs istat_code, street and number")
		}
		c, err := comuni.ParseISTATCode(code)
		if err != nil {
			return bad(o.istat, "%v", err)
		}
		row.ISTATCode = string(c)
		if row.Street = fieldText(rec, o.street); row.Street == "" {
			return bad(o.street, "missing: a row without anncsu_id needs istat_code, street and number")
		}
		if hasControl(row.Street) {
			return bad(o.street, "%q contains a control character (a line break or tab)", truncate(row.Street, 40))
		}
		if o.keys.key(row.Street) == "" {
			return bad(o.street, "%q has no letters or digits", truncate(row.Street, 40))
		}
		if row.Number, reason = parseHouseNumber(fieldText(rec, o.number)); reason != "" {
			return bad(o.number, "%s", reason)
		}
		if row.Suffix, reason = parseSuffix(fieldText(rec, o.suffix)); reason != "" {
			return bad(o.suffix, "%s", reason)
		}
	}
	var ok bool
	p := fieldText(rec, o.programme)
	if row.Programme, ok = closed(p, coverage.Programmes); !ok {
		return bad(o.programme, "%q is not a programme (%s)", truncate(p, 30), strings.Join(coverage.Programmes, ", "))
	}
	row.Operator = fieldText(rec, o.operator)
	switch {
	case row.Operator == "":
		return bad(o.operator, "missing: every offer needs its operator")
	case len(row.Operator) > maxOperator:
		return bad(o.operator, "longer than %d bytes", maxOperator)
	case hasControl(row.Operator):
		return bad(o.operator, "%q contains a control character (a line break or tab)", truncate(row.Operator, 40))
	}
	t := fieldText(rec, o.technology)
	if row.Technology, ok = closed(t, coverage.Technologies); !ok {
		return bad(o.technology, "%q is not a technology (%s)", truncate(t, 30), strings.Join(coverage.Technologies, ", "))
	}
	m := fieldText(rec, o.mbps)
	n, err := strconv.Atoi(m)
	if err != nil || !allDigits(m) {
		return bad(o.mbps, "%q is not a whole number of Mbit/s", truncate(m, 30))
	}
	if n < 1 || n > 100000 {
		return bad(o.mbps, "%d is out of range (1..100000 Mbit/s)", n)
	}
	row.MaxDownMbps = n
	st := fieldText(rec, o.status)
	if row.Status, ok = closed(st, coverage.Statuses); !ok {
		return bad(o.status, "%q is not a status (%s)", truncate(st, 30), strings.Join(coverage.Statuses, ", "))
	}
	if d := fieldText(rec, o.day); d != "" {
		day, err := time.Parse(time.DateOnly, d)
		if err != nil || len(d) != len(time.DateOnly) {
			return bad(o.day, "%q is not a date (YYYY-MM-DD, e.g. 2025-06-30)", truncate(d, 30))
		}
		if day.Year() < 1990 || day.Year() > 2100 {
			return bad(o.day, "%s is not a plausible date (years 1990..2100)", d)
		}
		row.StatusDate = &day
	}
	return row, nil
}

// Coverage imports the coverage offers of a file in Atlante's coverage
// format (data/README.md) in one transaction: each row is checked and
// mapped, rows with a problem are left out and listed, and the rest is
// loaded with coverage.Store.LoadOffers, which matches each row to its
// civic number (by ANNCSU access, else by comune, street key, number and
// suffix) and lists the rows that match none. opts.Strict makes any
// skipped row fail the import. A file-level problem changes nothing.
func (im *Importer) Coverage(ctx context.Context, path string, opts CoverageOptions) (*RowReport, error) {
	const op = "importer.Coverage"
	start := time.Now()
	f, err := openCSV(path, csvOptions{layer: opts.Layer, what: "a coverage file", limits: opts.Limits})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	o, err := newOfferReader(f)
	if err != nil {
		return nil, err
	}
	rep := &RowReport{File: f.name, Format: "coverage"}
	if opts.Source == "" {
		opts.Source = "imported from " + filepath.Base(path)
	}
	rows := rowSeq(ctx, op, f, rep, rowOptions{strict: opts.Strict, what: "a coverage file", progress: opts.Progress, read: func() {
		im.logger.Info("file read, loading", "file", rep.File, "rows", rep.Read, "skipped", rep.SkippedCount())
	}}, o.parse)
	im.logger.Info("importing coverage offers", "file", rep.File)
	sum, err := coverage.NewStore(im.pool).LoadOffers(ctx, rows, coverage.LoadOptions{Source: opts.Source, Strict: opts.Strict})
	rep.addLoaded(sum, IssueUnmatched)
	rep.Duration = time.Since(start)
	if err != nil {
		rep.Inserted, rep.Updated, rep.Unchanged = 0, 0, 0
		return rep, loadError(op, rep, opts.Strict, err)
	}
	rep.Loaded = true
	im.logger.Info("coverage imported", "file", rep.File, "read", rep.Read, "inserted", rep.Inserted,
		"updated", rep.Updated, "skipped", rep.SkippedCount(), "unmatched", rep.Counts()[IssueUnmatched],
		"duration", rep.Duration.Round(time.Millisecond))
	return rep, nil
}
