package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/importer"
)

func importCommand() *cli.Command {
	cmds := append([]*cli.Command{
		importComuniCommand(),
		importCiviciCommand(),
		importCoverageCommand(),
		importRoutesCommand(),
	}, append(civilProtectionImportCommands(), energyImportCommands()...)...)
	for _, c := range cmds {
		// civici and coverage read CSV: no features.
		features := c.Name != "civici" && c.Name != "coverage"
		c.Flags = append(c.Flags, limitFlags(features)...)
	}
	return &cli.Command{
		Name:     "import",
		Usage:    "load official files into the database",
		Commands: cmds,
	}
}

// limitFlags raise the limits every import checks while reading its file
// (importer.Limits); the others (64 KiB lines, 10,000 members in an
// archive, 1,000,000 features) have no reason to be raised. features adds
// the one of feature files.
func limitFlags(features bool) []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "max-expanded", Value: "8GiB",
			Usage: "most that a zip archive may expand to, all members together (e.g. 16GiB; KiB, MiB, GiB, TiB)"},
		&cli.IntFlag{Name: "max-ratio", Value: importer.DefaultMaxRatio,
			Usage: "most times its compressed size that a zip member may expand to, beyond its first 16 MiB"},
	}
	if features {
		flags = append(flags, &cli.StringFlag{Name: "max-feature-size", Value: "64MiB",
			Usage: "largest GeoJSON feature or .shp record (e.g. 256MiB)"})
	}
	return flags
}

// importLimits reads the limit flags.
func importLimits(cmd *cli.Command) (importer.Limits, error) {
	var lim importer.Limits
	var err error
	if lim.MaxExpanded, err = parseSize(cmd.String("max-expanded")); err != nil {
		return lim, fmt.Errorf("--max-expanded: %w", err)
	}
	if cmd.String("max-feature-size") != "" { // the flag of feature files
		if lim.MaxFeature, err = parseSize(cmd.String("max-feature-size")); err != nil {
			return lim, fmt.Errorf("--max-feature-size: %w", err)
		}
	}
	if lim.MaxRatio = int64(cmd.Int("max-ratio")); lim.MaxRatio < 1 {
		return lim, fmt.Errorf("--max-ratio: %d is not a ratio; want a whole number such as 100", lim.MaxRatio)
	}
	return lim, nil
}

// parseSize reads a size in bytes: a whole number, with an optional unit
// KiB, MiB, GiB or TiB (KB, MB, GB, TB and K, M, G, T are read the same,
// as powers of 1024).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	shift := 0
	if t != "" {
		if i := strings.IndexByte("KMGT", t[len(t)-1]); i >= 0 {
			shift = 10 * (i + 1)
			t = strings.TrimSpace(t[:len(t)-1])
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is not a size; want e.g. 16GiB, 512MiB or a number of bytes", s)
	}
	return n << shift, nil
}

func importComuniCommand() *cli.Command {
	return &cli.Command{
		Name:      "comuni",
		Usage:     "import municipal boundaries (ISTAT zipped Shapefile, .shp or GeoJSON) in one transaction",
		ArgsUsage: "FILE",
		Description: "Reads FILE (a zipped Shapefile such as ISTAT's Limiti01012026_g.zip, a .shp with its .dbf and .prj,\n" +
			"or GeoJSON), checks every comune and its geometry, and inserts or updates the comuni by ISTAT code in one\n" +
			"transaction. A malformed file changes nothing. Geometries that cannot be repaired safely are left out and\n" +
			"listed (--strict: the import fails instead). See data/README.md for the formats and the repair rule.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "crs", Usage: "CRS of FILE, e.g. EPSG:32632; overrides the .prj or the GeoJSON crs member (default: the file's, else CRS84)"},
			&cli.StringFlag{Name: "province", Usage: "import only the comuni of this ISTAT province code, e.g. 019 (Cremona)"},
			&cli.BoolFlag{Name: "strict", Usage: "fail the whole import if any geometry is rejected"},
			&cli.StringFlag{Name: "layer", Usage: "the Shapefile to read from an archive holding several (default: the one named Com…)"},
			&cli.StringFlag{Name: "source", Usage: "where the boundaries come from, stored with each comune (default: from the file name)"},
		},
		Action: importComuni,
	}
}

func importComuni(ctx context.Context, cmd *cli.Command) error {
	imp := fileImport{what: "import comuni", usage: "atlante import comuni [--province 019] FILE", input: importerInput, cause: true}
	env, err := imp.start(cmd)
	if err != nil {
		return err
	}
	opts := importer.ComuniOptions{
		CRS:      env.crs,
		Province: cmd.String("province"),
		Strict:   cmd.Bool("strict"),
		Layer:    cmd.String("layer"),
		Source:   cmd.String("source"),
		Limits:   env.limits,
	}
	return imp.load(ctx, cmd, env, func(ctx context.Context, d *database, progress func(importer.Progress)) (string, error) {
		opts.Progress = progress
		rep, err := importer.New(d.Write, env.logger).Comuni(ctx, env.path, opts)
		if rep == nil {
			return "", err
		}
		summary := rep.Summary()
		if err == nil && rep.ISTAT {
			summary += comuni.Attribution + "\n"
		}
		return summary, err
	})
}

// newProgressBar draws reading progress on the terminal, in bytes for
// GeoJSON and records for Shapefiles.
func newProgressBar(p importer.Progress) *progressbar.ProgressBar {
	total := p.Total
	if total <= 0 {
		total = -1 // a spinner
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription("reading"),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
	}
	if p.Unit == "bytes" {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionSetItsString(p.Unit))
	}
	return progressbar.NewOptions64(total, opts...)
}

// fileImport is an import command of one FILE: start and load do the
// set-up every import shares, the command adds its flags and its call.
type fileImport struct {
	what  string        // the command, e.g. "import comuni"; starts every error
	usage string        // its command line, shown when FILE is missing
	input []apperr.Kind // kinds of the errors about the input, shown as their message alone
	cause bool          // with their cause, in parentheses
}

// importerInput are the kinds of the importer's errors about the input
// (they name the file, the place in it and the field).
var importerInput = []apperr.Kind{apperr.Invalid, apperr.Unprocessable}

// importEnv is what start checked and built.
type importEnv struct {
	path   string
	crs    geo.SRID // --crs when the command has it and it is given, else 0
	limits importer.Limits
	logger *slog.Logger
}

// start checks the one FILE argument and --crs, builds the logger, and
// fails early, before a database is started for nothing, when FILE
// cannot be read.
func (fi fileImport) start(cmd *cli.Command) (importEnv, error) {
	if cmd.NArg() != 1 {
		return importEnv{}, fmt.Errorf("%s: want one FILE, got %d arguments (%s)", fi.what, cmd.NArg(), fi.usage)
	}
	env := importEnv{path: cmd.Args().First()}
	if s := cmd.String("crs"); s != "" {
		srid, err := geo.ParseCRS(s)
		if err != nil {
			var ge *geo.Error
			if errors.As(err, &ge) {
				return importEnv{}, fmt.Errorf("--crs: %s", ge.Msg)
			}
			return importEnv{}, fmt.Errorf("--crs: %w", err)
		}
		env.crs = srid
	}
	var err error
	if env.limits, err = importLimits(cmd); err != nil {
		return importEnv{}, err
	}
	if env.logger, err = newLogger(cmd); err != nil {
		return importEnv{}, err
	}
	if _, err := os.Stat(env.path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return importEnv{}, fmt.Errorf("%s: %s: no such file", fi.what, env.path)
		}
		return importEnv{}, fmt.Errorf("%s: %w", fi.what, err)
	}
	return env, nil
}

// load opens (and migrates) the database, runs fn with a reporter of
// reading progress, prints the summary fn returns (also on failure, when
// it lists what was wrong) and shows fn's error as inputError does.
func (fi fileImport) load(ctx context.Context, cmd *cli.Command, env importEnv,
	fn func(ctx context.Context, d *database, progress func(importer.Progress)) (summary string, err error)) error {
	d, err := openDatabase(ctx, cmd, env.logger, true, adminTimeout)
	if err != nil {
		return err
	}
	defer d.close(env.logger)
	report, finish := progress(env.logger, env.path)
	summary, err := fn(ctx, d, report)
	finish()
	fmt.Print(summary)
	if err != nil {
		return fi.inputError(err)
	}
	return nil
}

// inputError shows an error about the input as its message alone (it
// names the file and the place in it), with the cause if fi says so;
// other errors pass wrapped with the command.
func (fi fileImport) inputError(err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Msg == "" || !slices.Contains(fi.input, ae.Kind) {
		return fmt.Errorf("%s: %w", fi.what, err)
	}
	msg := ae.Msg
	if fi.cause && ae.Err != nil {
		msg += " (" + ae.Err.Error() + ")"
	}
	return errors.New(fi.what + ": " + msg)
}

// progress shows how far reading has got: a progress bar on a terminal,
// else a log line every 5 s. finish ends the bar.
func progress(logger *slog.Logger, path string) (report func(importer.Progress), finish func()) {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return importer.LogProgress(logger, path, 5*time.Second), func() {}
	}
	var bar *progressbar.ProgressBar
	done := false
	finish = func() {
		if bar != nil && !done {
			bar.Finish()
			fmt.Fprintln(os.Stderr)
		}
		done = true
	}
	report = func(p importer.Progress) {
		if done {
			return
		}
		if bar == nil {
			bar = newProgressBar(p)
		}
		bar.Set64(p.Done)
		// Reading is over; what follows (the load) logs its own lines.
		if p.Total > 0 && p.Done >= p.Total {
			finish()
		}
	}
	return report, finish
}

func importCiviciCommand() *cli.Command {
	return &cli.Command{
		Name:      "civici",
		Usage:     "import civic numbers from an ANNCSU address file (CSV, or zipped) in one transaction",
		ArgsUsage: "FILE",
		Description: "Reads FILE as the ANNCSU register publishes it (UTF-8 with BOM, \";\" separator, decimal comma;\n" +
			"columns CODICE_ISTAT, ODONIMO, CIVICO, ESPONENTE, PROGRESSIVO_ACCESSO, COORD_X_COMUNE, COORD_Y_COMUNE;\n" +
			"others ignored), or a zip holding it. Civic numbers are inserted, or updated by access id (else address).\n" +
			"Rows without coordinates, with a bad field, outside Italy or repeating another are left out and listed\n" +
			"(--strict: the import fails instead). A malformed file changes nothing. See data/README.md.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "strict", Usage: "fail the whole import if any row is skipped"},
			&cli.StringFlag{Name: "source", Usage: "where the addresses come from, stored with each civic number (default: from the file name)"},
			&cli.StringFlag{Name: "layer", Usage: "the .csv to read from an archive holding several (base name or unique prefix)"},
			&cli.IntFlag{Name: "list", Value: 20, Usage: "list at most this many skipped rows (0: all)"},
		},
		Action: importCivici,
	}
}

func importCivici(ctx context.Context, cmd *cli.Command) error {
	imp := fileImport{what: "import civici", usage: "atlante import civici [--strict] ANNCSU.csv", input: importerInput, cause: true}
	env, err := imp.start(cmd)
	if err != nil {
		return err
	}
	opts := importer.CiviciOptions{Strict: cmd.Bool("strict"), Source: cmd.String("source"), Layer: cmd.String("layer"), Limits: env.limits}
	return imp.load(ctx, cmd, env, func(ctx context.Context, d *database, progress func(importer.Progress)) (string, error) {
		opts.Progress = progress
		rep, err := importer.New(d.Write, env.logger).Civici(ctx, env.path, opts)
		if rep == nil {
			return "", err
		}
		return rep.Summary(int(cmd.Int("list"))), err
	})
}

func importCoverageCommand() *cli.Command {
	return &cli.Command{
		Name:      "coverage",
		Usage:     "import coverage offers per civic number from Atlante's coverage CSV in one transaction",
		ArgsUsage: "FILE",
		Description: "Reads FILE in Atlante's coverage format (header anncsu_id;istat_code;street;number;suffix;programme;\n" +
			"operator;technology;max_down_mbps;status;status_date, \";\" or \",\" separated, UTF-8). Each row is matched to\n" +
			"its civic number by anncsu_id, else by comune, street (normalised: \"V. Roma\" = \"VIA ROMA\"), number and\n" +
			"suffix. Rows that match no civic number or have a bad field are left out and listed (--strict: the import\n" +
			"fails instead). Known offers (civic number, programme, operator, technology) are updated. See data/README.md.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "strict", Usage: "fail the whole import if any row is skipped"},
			&cli.StringFlag{Name: "source", Usage: "where the offers come from, stored with each (default: from the file name)"},
			&cli.StringFlag{Name: "layer", Usage: "the .csv to read from an archive holding several"},
			&cli.IntFlag{Name: "list", Value: 20, Usage: "list at most this many skipped rows (0: all)"},
		},
		Action: importCoverage,
	}
}

func importCoverage(ctx context.Context, cmd *cli.Command) error {
	imp := fileImport{what: "import coverage", usage: "atlante import coverage [--strict] coverage.csv", input: importerInput, cause: true}
	env, err := imp.start(cmd)
	if err != nil {
		return err
	}
	opts := importer.CoverageOptions{Strict: cmd.Bool("strict"), Source: cmd.String("source"), Layer: cmd.String("layer"), Limits: env.limits}
	return imp.load(ctx, cmd, env, func(ctx context.Context, d *database, progress func(importer.Progress)) (string, error) {
		opts.Progress = progress
		rep, err := importer.New(d.Write, env.logger).Coverage(ctx, env.path, opts)
		if rep == nil {
			return "", err
		}
		return rep.Summary(int(cmd.Int("list"))), err
	})
}

func importRoutesCommand() *cli.Command {
	return &cli.Command{
		Name:      "routes",
		Usage:     "import fibre network routes (GeoJSON LineString/MultiLineString) in one transaction",
		ArgsUsage: "FILE",
		Description: "Reads FILE (GeoJSON, or a zipped Shapefile or .shp of lines) whose features have properties programme\n" +
			"(aree_bianche, aree_grigie, commercial), operator, status (planned, in_works, connectable, active) and an\n" +
			"optional name. Geometries are checked with geo/repair and converted to EPSG:4326; features that fail are\n" +
			"left out and listed (--strict: the import fails instead). --replace first deletes the routes imported\n" +
			"before with the same --source (by default: from a file of the same name). See data/README.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "crs", Usage: "CRS of FILE, e.g. EPSG:32632; overrides the GeoJSON crs member or .prj (default: the file's, else CRS84)"},
			&cli.BoolFlag{Name: "replace", Usage: "delete the routes of the same source first"},
			&cli.BoolFlag{Name: "strict", Usage: "fail the whole import if any feature is rejected"},
			&cli.StringFlag{Name: "source", Usage: "where the routes come from, stored with each (default: from the file name)"},
			&cli.StringFlag{Name: "layer", Usage: "the Shapefile to read from an archive holding several"},
		},
		Action: importRoutes,
	}
}

func importRoutes(ctx context.Context, cmd *cli.Command) error {
	imp := fileImport{what: "import routes", usage: "atlante import routes [--replace] [--crs EPSG:nnnn] routes.geojson", input: importerInput, cause: true}
	env, err := imp.start(cmd)
	if err != nil {
		return err
	}
	opts := importer.RoutesOptions{CRS: env.crs, Replace: cmd.Bool("replace"), Strict: cmd.Bool("strict"), Source: cmd.String("source"), Layer: cmd.String("layer"), Limits: env.limits}
	return imp.load(ctx, cmd, env, func(ctx context.Context, d *database, progress func(importer.Progress)) (string, error) {
		opts.Progress = progress
		rep, err := importer.New(d.Write, env.logger).Routes(ctx, env.path, opts)
		if rep == nil {
			return "", err
		}
		return rep.Summary(), err
	})
}
