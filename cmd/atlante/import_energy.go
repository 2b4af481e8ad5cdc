package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/energy/energyimport"
)

// energyImportCommands are the energy-community imports: `atlante import
// zones` and `atlante import sites`.
func energyImportCommands() []*cli.Command {
	return []*cli.Command{energyZonesCommand(), energySitesCommand()}
}

func energyZonesCommand() *cli.Command {
	return &cli.Command{
		Name:      "zones",
		Usage:     "import GSE primary-substation zones (GeoJSON or zipped Shapefile) in one transaction",
		ArgsUsage: "FILE",
		Description: "Reads FILE (GeoJSON, or a zipped Shapefile or .shp) whose features are the zones (\"aree convenzionali\") of the\n" +
			"primary substations as GSE publishes them: property code (the 11-character code, e.g. AC001E00934; also codice,\n" +
			"cod_cp, or the property --code-property names), name and distributor, and a Polygon or MultiPolygon in the file's\n" +
			"CRS. Zones are inserted or updated by code; --replace deletes the zones not in FILE. The first bad feature fails\n" +
			"the import, naming the feature, its line and the field; nothing is changed. See README.md, Energy communities.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "crs", Usage: "CRS of FILE, e.g. EPSG:32632; overrides the GeoJSON crs member or .prj (default: the file's, else CRS84)"},
			&cli.StringFlag{Name: "code-property", Usage: "the property holding the zone code, when it is not code, codice, cod_cp, codice_cp, cod_ac or codice_ac"},
			&cli.StringFlag{Name: "layer", Usage: "the Shapefile to read from an archive holding several"},
			&cli.StringFlag{Name: "source", Usage: "where the zones come from, stored with each (default: from the file name)"},
			&cli.BoolFlag{Name: "replace", Usage: "delete the zones that are not in FILE"},
		},
		Action: energyImportZones,
	}
}

func energySitesCommand() *cli.Command {
	return &cli.Command{
		Name:      "sites",
		Usage:     "import the member sites of an energy community (CSV or GeoJSON) in one transaction",
		ArgsUsage: "FILE",
		Description: "Reads FILE, a CSV (header kind;name;category;pv_kw;storage_kwh;consumption_kwh;lon;lat[;istat_code], \";\" or\n" +
			"\",\" separated, UTF-8) or GeoJSON Points with the same properties, and adds the sites to the community --community.\n" +
			"kind is producer, consumer or prosumer; category public_building, school, company, condominium, household or\n" +
			"other. An empty istat_code is derived from the point; the point must lie in that comune, which must be one of\n" +
			"the community's. The first bad row fails the import, naming the line and the field; nothing is changed.\n" +
			"--replace deletes the community's sites first. See README.md, Energy communities.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "community", Usage: "id of the community the sites join (see GET /energy/communities)", Required: true},
			&cli.StringFlag{Name: "crs", Usage: "CRS of the coordinates, e.g. EPSG:32632 (default: the GeoJSON's, else CRS84 longitude, latitude)"},
			&cli.StringFlag{Name: "source", Usage: "where the sites come from, stored with each (default: from the file name)"},
			&cli.BoolFlag{Name: "replace", Usage: "delete the community's sites first"},
		},
		Action: energyImportSites,
	}
}

// energyImportArgs checks the one FILE argument and the --crs flag, and
// builds the logger.
func energyImportArgs(cmd *cli.Command, what, usage string) (string, geo.SRID, *slog.Logger, error) {
	if cmd.NArg() != 1 {
		return "", 0, nil, fmt.Errorf("%s: want one FILE, got %d arguments (%s)", what, cmd.NArg(), usage)
	}
	path := cmd.Args().First()
	var srid geo.SRID
	if s := cmd.String("crs"); s != "" {
		var err error
		if srid, err = geo.ParseCRS(s); err != nil {
			var ge *geo.Error
			if errors.As(err, &ge) {
				return "", 0, nil, fmt.Errorf("--crs: %s", ge.Msg)
			}
			return "", 0, nil, fmt.Errorf("--crs: %w", err)
		}
	}
	logger, err := newLogger(cmd)
	if err != nil {
		return "", 0, nil, err
	}
	// Before starting a database for nothing.
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", 0, nil, fmt.Errorf("%s: %s: no such file", what, path)
		}
		return "", 0, nil, fmt.Errorf("%s: %w", what, err)
	}
	return path, srid, logger, nil
}

// energyImportError shows an error about the input as its message alone
// (it names the file, the row and the field); other errors pass with what
// the command was.
func energyImportError(what string, err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Msg == "" || (ae.Kind != apperr.Invalid && ae.Kind != apperr.Unprocessable && ae.Kind != apperr.NotFound) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return errors.New(what + ": " + ae.Msg)
}

func energyImportZones(ctx context.Context, cmd *cli.Command) error {
	const what = "import zones"
	path, srid, logger, err := energyImportArgs(cmd, what, "atlante import zones [--replace] [--crs EPSG:nnnn] zones.geojson")
	if err != nil {
		return err
	}
	d, err := openDatabase(ctx, cmd, logger, true, adminTimeout)
	if err != nil {
		return err
	}
	defer d.close(logger)
	start := time.Now()
	sum, err := energyimport.Zones(ctx, energy.NewStore(d.Write, d.Write), path, energyimport.ZoneOptions{
		CRS: srid, Layer: cmd.String("layer"), CodeProperty: cmd.String("code-property"),
		Replace: cmd.Bool("replace"), Source: cmd.String("source"),
	})
	if err != nil {
		return energyImportError(what, err)
	}
	logger.Info("primary-substation zones imported", "file", path, "inserted", sum.Inserted, "updated", sum.Updated,
		"deleted", sum.Deleted, "duration", time.Since(start).Round(time.Millisecond))
	fmt.Printf("%s: %d zones inserted, %d updated, %d deleted\n", path, sum.Inserted, sum.Updated, sum.Deleted)
	return nil
}

func energyImportSites(ctx context.Context, cmd *cli.Command) error {
	const what = "import sites"
	path, srid, logger, err := energyImportArgs(cmd, what, "atlante import sites --community ID [--replace] sites.csv")
	if err != nil {
		return err
	}
	community := cmd.Int("community")
	if community <= 0 {
		return fmt.Errorf("%s: --community: %d is not a community id", what, community)
	}
	d, err := openDatabase(ctx, cmd, logger, true, adminTimeout)
	if err != nil {
		return err
	}
	defer d.close(logger)
	start := time.Now()
	sum, err := energyimport.Sites(ctx, energy.NewStore(d.Write, d.Write), path, int64(community), energyimport.SiteOptions{
		CRS: srid, Replace: cmd.Bool("replace"), Source: cmd.String("source"),
	})
	if err != nil {
		return energyImportError(what, err)
	}
	logger.Info("energy community sites imported", "file", path, "community", community, "inserted", sum.Inserted,
		"deleted", sum.Deleted, "duration", time.Since(start).Round(time.Millisecond))
	fmt.Printf("%s: %d sites added to community %d, %d deleted\n", path, sum.Inserted, community, sum.Deleted)
	return nil
}
