package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/repair"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/store"
)

// Importer loads files into the database.
type Importer struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// New returns an Importer writing through pool and logging to logger.
func New(pool *pgxpool.Pool, logger *slog.Logger) *Importer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Importer{pool: pool, logger: logger}
}

// The property names a comune's attributes are read from, in order of
// preference, matched without regard to case: Atlante's own names, the
// ISTAT shapefile fields, and those of the openpolis/geojson-italy exports.
var (
	codeKeys      = []string{"istat_code", "PRO_COM_T", "com_istat_code", "PRO_COM", "com_istat_code_num"}
	nameKeys      = []string{"name", "COMUNE", "nome", "denominazione"}
	provinceKeys  = []string{"province_code", "COD_PROV", "COD_UTS", "prov_istat_code"}
	cadastralKeys = []string{"cadastral_code", "cod_catastale", "com_catasto_code", "codice_catastale"}
	// istatKeys are the field names that mark ISTAT boundaries (or a direct
	// derivative of them), which must carry ISTAT's attribution.
	istatKeys = []string{"PRO_COM_T", "PRO_COM", "COD_UTS", "com_istat_code"}
)

var (
	provincePattern  = regexp.MustCompile(`^[0-9]{1,3}$`)
	cadastralPattern = regexp.MustCompile(`^[A-Z][0-9]{3}$`)
)

// ComuniOptions say how to import municipal boundaries.
type ComuniOptions struct {
	// CRS overrides the CRS the file declares; 0 uses the file's.
	CRS geo.SRID
	// Province keeps only the comuni of this ISTAT province ("019" or 19);
	// "" keeps all.
	Province string
	// Strict fails the whole import when any geometry is rejected; by
	// default rejected features are left out and listed in the report.
	Strict bool
	// Layer chooses the Shapefile of an archive holding several (by default
	// the one whose name starts with "Com", as in ISTAT's archives).
	Layer string
	// Source is stored with every comune as where its boundary comes from;
	// by default it is derived from the file name.
	Source string
	// Progress, if set, is called as features are read (often: throttle it).
	Progress func(Progress)
	// Limits bound what the file may make the import read (zero: the defaults).
	Limits Limits
}

// Issue is a feature that was repaired or rejected, and why.
type Issue struct {
	Feature string     // how the file names it: "features[12]", "record 13", with its id
	Code    string     // the ISTAT code, when it could be read
	Name    string     // the comune's name, when it could be read
	Reason  string     // what was repaired, or why it was rejected
	At      *orb.Point // where, in the file's CRS, when known
}

// String formats the issue for a summary line.
func (i Issue) String() string {
	s := i.Feature
	if i.Code != "" {
		s += " " + i.Code
	}
	if i.Name != "" {
		s += " " + i.Name
	}
	return s + ": " + i.Reason
}

// Report says what an import did.
type Report struct {
	File   string
	Format string
	SRID   geo.SRID
	// Read counts the features read; Skipped those outside the province
	// filter; Inserted and Updated the comuni loaded, by ISTAT code;
	// Deleted the rows an import replaced (routes with --replace).
	Read, Skipped, Inserted, Updated, Deleted int
	Province                                  string // the province filter, if any
	Repaired, Rejected                        []Issue
	// ISTAT says the file carries ISTAT boundaries (its fields are ISTAT's:
	// PRO_COM_T, ...), which must be shown with comuni.Attribution.
	ISTAT bool
	// Loaded is false when the database was not changed.
	Loaded   bool
	Duration time.Duration
}

// Summary is the report as text for people: one line of counts, then one
// line per repaired or rejected feature.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s, %s]: read %d, inserted %d, updated %d, repaired %d, rejected %d",
		r.File, r.Format, r.SRID, r.Read, r.Inserted, r.Updated, len(r.Repaired), len(r.Rejected))
	if r.Province != "" {
		fmt.Fprintf(&b, ", skipped %d (not in province %s)", r.Skipped, r.Province)
	}
	if r.Deleted > 0 {
		fmt.Fprintf(&b, ", replaced %d", r.Deleted)
	}
	if !r.Loaded {
		b.WriteString("; nothing was changed")
	}
	b.WriteString("\n")
	for _, i := range r.Repaired {
		b.WriteString("  repaired " + i.String() + "\n")
	}
	for _, i := range r.Rejected {
		b.WriteString("  rejected " + i.String() + "\n")
	}
	return b.String()
}

// Comuni imports the municipal boundaries of the file at path (GeoJSON, a
// zipped Shapefile or a .shp, see Open) in one transaction: comuni are
// inserted or, when their ISTAT code is known, updated; no other row is
// touched. Geometries are checked with geo/repair: repaired when that is
// safe, rejected otherwise (see ComuniOptions.Strict). On error nothing is
// changed; the report is returned whenever the whole file could be read,
// also with the error of a strict import.
func (im *Importer) Comuni(ctx context.Context, path string, opts ComuniOptions) (*Report, error) {
	const op = "importer.Comuni"
	start := time.Now()
	if opts.Province != "" {
		p, err := parseProvince(opts.Province)
		if err != nil {
			return nil, apperr.Invalidf(op, "province", "%v", err)
		}
		opts.Province = p
	}
	if opts.CRS != 0 {
		known, err := sridKnown(ctx, im.pool, opts.CRS)
		if err != nil {
			return nil, err
		}
		if !known {
			return nil, apperr.Invalidf(op, "crs", "unknown CRS %s: PostGIS has no definition for it (spatial_ref_sys)", opts.CRS)
		}
	}
	r, err := Open(path, OpenOptions{CRS: opts.CRS, Layer: opts.Layer, PreferLayer: "com", Limits: opts.Limits})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cs, rep, err := ReadComuni(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	if opts.Strict && len(rep.Rejected) > 0 {
		return rep, rep.strictRejection(op, "geometry", "geometries")
	}
	if len(cs) == 0 {
		what := "no comune"
		if opts.Province != "" {
			what = "no comune of province " + opts.Province
		}
		return rep, apperr.New(op, apperr.Invalid, "%s: %s to import (%d features read, %d rejected)", rep.File, what, rep.Read, len(rep.Rejected))
	}
	if opts.CRS == 0 {
		known, err := sridKnown(ctx, im.pool, rep.SRID)
		if err != nil {
			return rep, err
		}
		if !known {
			return rep, fileError(op, rep.File, 0, 0, "", "crs", fmt.Sprintf("unknown CRS %s: PostGIS has no definition for it (spatial_ref_sys); give the right one with --crs", rep.SRID), nil)
		}
	}
	if opts.Source == "" {
		opts.Source = defaultSource(path, rep.ISTAT)
	}
	for i := range cs {
		cs[i].Source = opts.Source
	}
	sum, err := comuni.NewStore(im.pool).Upsert(ctx, cs, rep.SRID)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", rep.File, err)
	}
	rep.Inserted, rep.Updated, rep.Loaded = sum.Inserted, sum.Updated, true
	rep.Duration = time.Since(start)
	im.logger.Info("comuni imported", "file", path, "format", rep.Format, "srid", int(rep.SRID),
		"read", rep.Read, "inserted", rep.Inserted, "updated", rep.Updated, "repaired", len(rep.Repaired),
		"rejected", len(rep.Rejected), "skipped", rep.Skipped, "duration", rep.Duration.Round(time.Millisecond))
	return rep, nil
}

// defaultSource labels imported boundaries with their file.
func defaultSource(path string, istat bool) string {
	if istat {
		return "ISTAT, Confini delle unità amministrative a fini statistici (" + filepath.Base(path) + ")"
	}
	return "imported from " + filepath.Base(path)
}

// ReadComuni reads every feature of r and maps it to a comune: code, name,
// province and cadastral code from the properties, the geometry checked and
// repaired with geo/repair. Features outside opts.Province are skipped
// before anything else is checked. A feature without a valid code or name,
// a duplicate code, or a malformed file is an error; a geometry that cannot
// be safely repaired is left out and listed in the report's Rejected;
// opts.Strict is for the caller to apply. No database is needed.
func ReadComuni(ctx context.Context, r Reader, opts ComuniOptions) ([]comuni.Comune, *Report, error) {
	const op = "importer.ReadComuni"
	file := r.Name()
	rep := &Report{File: file, Format: r.Format(), Province: opts.Province}
	codeField := "pro_com_t"
	if r.Format() == "Shapefile" {
		codeField = "PRO_COM_T"
	}
	checker := repair.NewChecker()
	seen := map[comuni.ISTATCode]string{}
	var cs []comuni.Comune
	type place struct {
		ref       string
		line, col int
	}
	var where []place // of cs[i] in the file
	for {
		if rep.Read%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, rep, err
			}
		}
		if opts.Strict && len(rep.Rejected) > 0 {
			break // the import fails: reading on would only cost time
		}
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, rep, err
		}
		rep.Read++
		if opts.Progress != nil {
			opts.Progress(r.Progress())
		}
		bad := func(field, format string, args ...any) error {
			return fileError(op, file, f.Line, f.Column, f.Ref(), field, fmt.Sprintf(format, args...), nil)
		}

		codeText, codeKey, hasCode := f.Properties.Text(codeKeys...)
		var code comuni.ISTATCode
		if hasCode {
			if code, err = comuni.ParseISTATCode(codeText); err != nil {
				return nil, rep, bad(codeKey, "%v", err)
			}
		}
		prov, provKey, hasProv := f.Properties.Text(provinceKeys...)
		if hasProv {
			if prov, err = parseProvince(prov); err != nil {
				return nil, rep, bad(provKey, "%v", err)
			}
		} else if hasCode {
			prov = string(code[:3]) // PRO_COM_T is the province code followed by 3 digits
		}
		if opts.Province != "" && prov != "" && prov != opts.Province {
			rep.Skipped++
			continue
		}
		if !hasCode {
			return nil, rep, bad(codeField, "missing: every comune needs its ISTAT code (pro_com_t, PRO_COM_T, PRO_COM or istat_code)")
		}
		if _, _, ok := f.Properties.Lookup(istatKeys...); ok {
			rep.ISTAT = true
		}
		name, _, ok := f.Properties.Text(nameKeys...)
		if !ok {
			return nil, rep, bad("name", "missing: comune %s has no name (property name or COMUNE)", code)
		}
		cad, cadKey, hasCad := f.Properties.Text(cadastralKeys...)
		if hasCad {
			cad = strings.ToUpper(cad)
			if !cadastralPattern.MatchString(cad) {
				return nil, rep, bad(cadKey, "%q is not a cadastral (Belfiore) code, want a letter and 3 digits such as D142", truncate(cad, 20))
			}
		}
		if prev, dup := seen[code]; dup {
			return nil, rep, bad(codeKey, "ISTAT code %s appears twice (also in %s)", code, prev)
		}
		seen[code] = f.Ref()

		issue := Issue{Feature: f.Ref(), Code: string(code), Name: name}
		mp, res, err := checker.Polygonal(f.Geometry)
		if err != nil {
			var re *repair.Error
			if !errors.As(err, &re) {
				return nil, rep, bad("geometry", "cannot be checked: %v", err)
			}
			issue.Reason, issue.At = re.Reason, re.Location
			rep.Rejected = append(rep.Rejected, issue)
			continue
		}
		if res.Repaired {
			issue.Reason = res.Note
			rep.Repaired = append(rep.Repaired, issue)
		}
		where = append(where, place{f.Ref(), f.Line, f.Column})
		cs = append(cs, comuni.Comune{
			ISTATCode: code, Name: name, ProvinceCode: prov, CadastralCode: cad, Geom: mp,
		})
	}
	rep.SRID = r.SRID()
	if opts.Progress != nil {
		p := r.Progress()
		if p.Total > 0 {
			p.Done = p.Total
		}
		opts.Progress(p)
	}
	// A crs member after the features can still turn WGS84 into something
	// else, but not the other way: check the ranges only for the final CRS.
	if rep.SRID == geo.WGS84 {
		for i, c := range cs {
			if err := checkLonLat(c.Geom); err != nil {
				w := where[i]
				return nil, rep, fileError(op, file, w.line, w.col, w.ref, "geometry", err.Error(), nil)
			}
		}
	}
	return cs, rep, nil
}

// parseProvince normalises an ISTAT province code: 19 and "019" give "019".
func parseProvince(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !provincePattern.MatchString(s) {
		return "", fmt.Errorf("%q is not an ISTAT province code (up to 3 digits, e.g. 019 for Cremona)", truncate(s, 20))
	}
	n, _ := strconv.Atoi(s)
	if n == 0 {
		return "", fmt.Errorf("%q is not an ISTAT province code (province codes start at 001)", s)
	}
	return fmt.Sprintf("%03d", n), nil
}

// checkLonLat catches projected coordinates in a file taken as CRS84: a
// GeoJSON file in UTM without a crs member would otherwise be stored at
// nonsense places.
func checkLonLat(mp orb.MultiPolygon) error {
	b := mp.Bound()
	if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 || math.IsNaN(b.Min[0]) {
		return fmt.Errorf("coordinates such as (%s %s) are not longitude and latitude, but the file declares no other CRS; give it with --crs (ISTAT boundaries are EPSG:32632)",
			strconv.FormatFloat(b.Min[0], 'f', -1, 64), strconv.FormatFloat(b.Min[1], 'f', -1, 64))
	}
	return nil
}

const sridKnownSQL = `SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)`

// sridKnown says whether PostGIS can convert from srid, so that an unknown
// CRS is reported as such before anything is written.
func sridKnown(ctx context.Context, pool *pgxpool.Pool, srid geo.SRID) (bool, error) {
	var ok bool
	err := pool.QueryRow(ctx, sridKnownSQL, int(srid)).Scan(&ok)
	return ok, store.Translate("importer.sridKnown", err)
}

// strictRejection is the error of a strict import that rejected features
// (the reading stops at the first): nothing is imported, and each
// rejection is named.
func (r *Report) strictRejection(op, one, many string) error {
	lines := make([]string, len(r.Rejected))
	for i, iss := range r.Rejected {
		lines[i] = iss.String()
	}
	what := "1 " + one + " was"
	if len(r.Rejected) > 1 {
		what = fmt.Sprintf("%d %s were", len(r.Rejected), many)
	}
	return apperr.New(op, apperr.Unprocessable, "%s: %s rejected and strict mode is on, so the import stopped there and nothing was imported: %s",
		r.File, what, strings.Join(lines, "; "))
}
