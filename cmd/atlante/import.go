package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	return &cli.Command{
		Name:  "import",
		Usage: "load official files into the database",
		Commands: []*cli.Command{
			importComuniCommand(),
		},
	}
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
	if cmd.NArg() != 1 {
		return fmt.Errorf("import comuni: want one FILE, got %d arguments (atlante import comuni [--province 019] FILE)", cmd.NArg())
	}
	path := cmd.Args().First()
	opts := importer.ComuniOptions{
		Province: cmd.String("province"),
		Strict:   cmd.Bool("strict"),
		Layer:    cmd.String("layer"),
		Source:   cmd.String("source"),
	}
	if s := cmd.String("crs"); s != "" {
		srid, err := geo.ParseCRS(s)
		if err != nil {
			var ge *geo.Error
			if errors.As(err, &ge) {
				return fmt.Errorf("--crs: %s", ge.Msg)
			}
			return fmt.Errorf("--crs: %w", err)
		}
		opts.CRS = srid
	}
	logger, err := newLogger(cmd)
	if err != nil {
		return err
	}
	// Before starting a database for nothing.
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("import comuni: %s: no such file", path)
		}
		return fmt.Errorf("import comuni: %w", err)
	}
	d, err := openDatabase(ctx, cmd, logger, true, adminTimeout)
	if err != nil {
		return err
	}
	defer d.close(logger)

	var bar *progressbar.ProgressBar
	if term.IsTerminal(int(os.Stderr.Fd())) {
		opts.Progress = func(p importer.Progress) {
			if bar == nil {
				bar = newProgressBar(p)
			}
			bar.Set64(p.Done)
		}
	} else {
		opts.Progress = importer.LogProgress(logger, path, 5*time.Second)
	}

	rep, err := importer.New(d.Write, logger).Comuni(ctx, path, opts)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(os.Stderr)
	}
	if rep != nil {
		fmt.Print(rep.Summary())
	}
	if err != nil {
		return importError(err)
	}
	if rep.ISTAT {
		fmt.Println(comuni.Attribution)
	}
	return nil
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

// importError shows an error about the input as its message alone (it
// names the file and the place in it), with the cause if there is one;
// other errors pass unchanged.
func importError(err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Kind != apperr.Invalid && ae.Kind != apperr.Unprocessable) || ae.Msg == "" {
		return fmt.Errorf("import comuni: %w", err)
	}
	msg := ae.Msg
	if ae.Err != nil {
		msg += " (" + ae.Err.Error() + ")"
	}
	return errors.New("import comuni: " + msg)
}
