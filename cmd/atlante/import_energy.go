package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/energy/energyimport"
	"github.com/cremasco/atlante/internal/importer"
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

// energyInput are the kinds of the energy imports' errors about the input
// (they name the file, the row and the field; NotFound: an unknown
// community).
var energyInput = []apperr.Kind{apperr.Invalid, apperr.Unprocessable, apperr.NotFound}

func energyImportZones(ctx context.Context, cmd *cli.Command) error {
	imp := fileImport{what: "import zones", usage: "atlante import zones [--replace] [--crs EPSG:nnnn] zones.geojson", input: energyInput}
	env, err := imp.start(cmd)
	if err != nil {
		return err
	}
	return imp.load(ctx, cmd, env, func(ctx context.Context, d *database, _ func(importer.Progress)) (string, error) {
		start := time.Now()
		sum, err := energyimport.Zones(ctx, energy.NewStore(d.Write, d.Write, nil), env.path, energyimport.ZoneOptions{
			CRS: env.crs, Layer: cmd.String("layer"), CodeProperty: cmd.String("code-property"),
			Replace: cmd.Bool("replace"), Source: cmd.String("source"),
			Limits: env.limits,
		})
		if err != nil {
			return "", err
		}
		env.logger.Info("primary-substation zones imported", "file", env.path, "inserted", sum.Inserted, "updated", sum.Updated,
			"deleted", sum.Deleted, "duration", time.Since(start).Round(time.Millisecond))
		return fmt.Sprintf("%s: %d zones inserted, %d updated, %d deleted\n", env.path, sum.Inserted, sum.Updated, sum.Deleted), nil
	})
}

func energyImportSites(ctx context.Context, cmd *cli.Command) error {
	imp := fileImport{what: "import sites", usage: "atlante import sites --community ID [--replace] sites.csv", input: energyInput}
	env, err := imp.start(cmd)
	if err != nil {
		return err
	}
	community := cmd.Int("community")
	if community <= 0 {
		return fmt.Errorf("%s: --community: %d is not a community id", imp.what, community)
	}
	return imp.load(ctx, cmd, env, func(ctx context.Context, d *database, _ func(importer.Progress)) (string, error) {
		start := time.Now()
		sum, err := energyimport.Sites(ctx, energy.NewStore(d.Write, d.Write, nil), env.path, int64(community), energyimport.SiteOptions{
			CRS: env.crs, Replace: cmd.Bool("replace"), Source: cmd.String("source"),
			Limits: env.limits,
		})
		if err != nil {
			return "", err
		}
		env.logger.Info("energy community sites imported", "file", env.path, "community", community, "inserted", sum.Inserted,
			"deleted", sum.Deleted, "duration", time.Since(start).Round(time.Millisecond))
		return fmt.Sprintf("%s: %d sites added to community %d, %d deleted\n", env.path, sum.Inserted, community, sum.Deleted), nil
	})
}
