package importer

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
)

// CiviciOptions say how to import an address register.
type CiviciOptions struct {
	// Strict fails the whole import when any row is skipped; by default
	// such rows are left out and listed in the report.
	Strict bool
	// Layer chooses the .csv of an archive holding several, by its base
	// name or a unique prefix of it.
	Layer string
	// Source is stored with every civic number as where it comes from; by
	// default it is derived from the file name.
	Source string
	// Progress, if set, is called as the file is read (often: throttle it).
	Progress func(Progress)
	// Limits bound what the file may make the import read (zero: the defaults).
	Limits Limits
}

// Italy's bounding box, with a margin: a position outside it is a mistake,
// most often X and Y swapped.
const (
	italyMinLon, italyMaxLon = 6.6, 18.6
	italyMinLat, italyMaxLat = 35.4, 47.1
)

// The ANNCSU columns read; any other column is ignored.
const (
	colISTAT     = "CODICE_ISTAT"
	colCadastral = "CODICE_COMUNE"
	colStreet    = "ODONIMO"
	colNumber    = "CIVICO"
	colSuffix    = "ESPONENTE"
	colAccess    = "PROGRESSIVO_ACCESSO"
	colX         = "COORD_X_COMUNE"
	colY         = "COORD_Y_COMUNE"
)

// anncsuReader maps the rows of an ANNCSU file to civic numbers.
type anncsuReader struct {
	f                                             *csvFile
	istat, street, number, suffix, access, x, y   int
	istatName, streetName, numberName, suffixName string
	accessName, xName, yName                      string
	keys                                          streetKeys
	codes                                         map[string]string // ISTAT code as written → 6 digits
}

// newANNCSUReader finds the columns of an ANNCSU file; a missing required
// column fails. ESPONENTE is optional.
func newANNCSUReader(f *csvFile) (*anncsuReader, error) {
	idx, err := f.requireColumns(colISTAT, colStreet, colNumber, colAccess, colX, colY)
	if err != nil {
		return nil, err
	}
	a := &anncsuReader{f: f, istat: idx[0], street: idx[1], number: idx[2], access: idx[3], x: idx[4], y: idx[5],
		keys: streetKeys{}, codes: map[string]string{}}
	a.istatName, a.streetName, a.numberName = f.header[a.istat], f.header[a.street], f.header[a.number]
	a.accessName, a.xName, a.yName = f.header[a.access], f.header[a.x], f.header[a.y]
	a.suffix, a.suffixName = f.column(colSuffix)
	return a, nil
}

// parse maps one record at line to a civic number, or says why it cannot
// be loaded. Every field is checked; the first problem is reported.
func (a *anncsuReader) parse(rec []string, line int) (coverage.CivicoRow, *RowIssue) {
	row := coverage.CivicoRow{Line: line}
	bad := func(col string, kind IssueKind, format string, args ...any) (coverage.CivicoRow, *RowIssue) {
		return coverage.CivicoRow{}, &RowIssue{Line: line, Column: col, Kind: kind, Reason: fmt.Sprintf(format, args...)}
	}
	if issue := checkFieldCount(rec, len(a.f.header)); issue != nil {
		issue.Line = line
		return coverage.CivicoRow{}, issue
	}
	code := fieldText(rec, a.istat)
	if code == "" {
		return bad(a.istatName, IssueInvalid, "missing: every civic number needs the ISTAT code of its comune")
	}
	istat, ok := a.codes[code]
	if !ok {
		c, err := comuni.ParseISTATCode(code)
		if err != nil {
			return bad(a.istatName, IssueInvalid, "%v", err)
		}
		istat = string(c)
		if len(a.codes) < 1<<14 {
			a.codes[code] = istat
		}
	}
	row.ISTATCode = istat
	row.Street = fieldText(rec, a.street)
	if row.Street == "" {
		return bad(a.streetName, IssueInvalid, "missing: every civic number needs its street")
	}
	if hasControl(row.Street) {
		return bad(a.streetName, IssueInvalid, "%q contains a control character (a line break or tab)", truncate(row.Street, 40))
	}
	if a.keys.key(row.Street) == "" {
		return bad(a.streetName, IssueInvalid, "%q has no letters or digits", truncate(row.Street, 40))
	}
	var reason string
	if row.Number, reason = parseHouseNumber(fieldText(rec, a.number)); reason != "" {
		return bad(a.numberName, IssueInvalid, "%s", reason)
	}
	if a.suffix >= 0 {
		if row.Suffix, reason = parseSuffix(fieldText(rec, a.suffix)); reason != "" {
			return bad(a.suffixName, IssueInvalid, "%s", reason)
		}
	}
	if row.ANNCSUID, reason = parseID(fieldText(rec, a.access)); reason != "" {
		return bad(a.accessName, IssueInvalid, "%s", reason)
	}
	xs, ys := fieldText(rec, a.x), fieldText(rec, a.y)
	switch {
	case xs == "" && ys == "":
		return bad("", IssueNoCoordinates, "no coordinates (%s and %s are empty)", a.xName, a.yName)
	case xs == "":
		return bad(a.xName, IssueNoCoordinates, "empty: no longitude")
	case ys == "":
		return bad(a.yName, IssueNoCoordinates, "empty: no latitude")
	}
	if row.Lon, reason = parseDecimal(xs); reason != "" {
		return bad(a.xName, IssueInvalid, "%s", reason)
	}
	if row.Lat, reason = parseDecimal(ys); reason != "" {
		return bad(a.yName, IssueInvalid, "%s", reason)
	}
	if col, reason := checkItaly(row.Lon, row.Lat, a.xName, a.yName); reason != "" {
		return bad(col, IssueOutsideItaly, "%s", reason)
	}
	return row, nil
}

// checkItaly refuses a position outside Italy, saying when X and Y look
// swapped; col is the column to blame.
func checkItaly(lon, lat float64, xName, yName string) (col, reason string) {
	inLon := func(v float64) bool { return v >= italyMinLon && v <= italyMaxLon }
	inLat := func(v float64) bool { return v >= italyMinLat && v <= italyMaxLat }
	if inLon(lon) && inLat(lat) {
		return "", ""
	}
	at := fmt.Sprintf("(%s %s)", strconv.FormatFloat(lon, 'f', -1, 64), strconv.FormatFloat(lat, 'f', -1, 64))
	if inLon(lat) && inLat(lon) {
		return xName, fmt.Sprintf("%s is outside Italy; %s and %s look swapped (X is the longitude, about 9.7 in the Cremasco; Y the latitude, about 45.4)", at, xName, yName)
	}
	if math.Abs(lon) > 180 || math.Abs(lat) > 90 {
		return xName, fmt.Sprintf("%s is not a longitude and latitude (projected coordinates? ANNCSU gives WGS 84 degrees)", at)
	}
	col = xName
	if inLon(lon) {
		col = yName
	}
	return col, fmt.Sprintf("%s is outside Italy (longitude %g..%g, latitude %g..%g)", at, italyMinLon, italyMaxLon, italyMinLat, italyMaxLat)
}

// Civici imports the civic numbers of an ANNCSU address file (see
// data/README.md) in one transaction: each row is checked and mapped,
// rows with a problem are left out and listed (opts.Strict: the import
// fails instead), and the rest is loaded with coverage.Store.LoadCivici,
// which inserts new civic numbers, updates known ones (by ANNCSU access,
// else by address) and reports duplicates. A file-level problem (missing
// column, not UTF-8, malformed quoting) fails the import and changes
// nothing. The report is returned whenever the file could be opened.
func (im *Importer) Civici(ctx context.Context, path string, opts CiviciOptions) (*RowReport, error) {
	const op = "importer.Civici"
	start := time.Now()
	f, err := openCSV(path, csvOptions{layer: opts.Layer, what: "an ANNCSU address file", limits: opts.Limits})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := newANNCSUReader(f)
	if err != nil {
		return nil, err
	}
	rep := &RowReport{File: f.name, Format: "ANNCSU"}
	if opts.Source == "" {
		opts.Source = "ANNCSU (" + filepath.Base(path) + ")"
	}
	rows := rowSeq(ctx, op, f, rep, rowOptions{strict: opts.Strict, what: "an ANNCSU address file", progress: opts.Progress, read: func() {
		im.logger.Info("file read, loading", "file", rep.File, "rows", rep.Read, "skipped", rep.SkippedCount())
	}}, a.parse)
	im.logger.Info("importing civic numbers", "file", rep.File)
	sum, err := coverage.NewStore(im.pool).LoadCivici(ctx, rows, coverage.LoadOptions{Source: opts.Source, Strict: opts.Strict})
	rep.addLoaded(sum, IssueDuplicate)
	rep.Duration = time.Since(start)
	if err != nil {
		rep.Inserted, rep.Updated, rep.Unchanged = 0, 0, 0
		return rep, loadError(op, rep, opts.Strict, err)
	}
	rep.Loaded = true
	im.logger.Info("civic numbers imported", "file", rep.File, "read", rep.Read, "inserted", rep.Inserted,
		"updated", rep.Updated, "unchanged", rep.Unchanged, "skipped", rep.SkippedCount(), "duplicates", len(rep.Duplicates),
		"duration", rep.Duration.Round(time.Millisecond))
	return rep, nil
}
