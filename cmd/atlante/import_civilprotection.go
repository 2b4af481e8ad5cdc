package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/user"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/importer"
)

// civilProtectionImportCommands are the bulk loads of civil-protection
// plans: `atlante import scenarios|areas|buildings FILE --comune CODE`.
func civilProtectionImportCommands() []*cli.Command {
	kinds := []struct {
		kind  civilprotection.ImportKind
		usage string
		props string
	}{
		{civilprotection.ImportScenarios, "import risk scenarios of one comune's civil-protection plan (GeoJSON Polygon/MultiPolygon)",
			"hazard (" + strings.Join(civilprotection.Hazards, ", ") + "), title, severity (1-4), and optional description and source"},
		{civilprotection.ImportAreas, "import emergency areas of one comune's civil-protection plan (GeoJSON Point/Polygon/MultiPolygon)",
			"kind (" + strings.Join(civilprotection.AreaKinds, ", ") + "), name and capacity (persons)"},
		{civilprotection.ImportBuildings, "import strategic buildings of one comune's civil-protection plan (GeoJSON Point)",
			"kind (" + strings.Join(civilprotection.BuildingKinds, ", ") + ") and name"},
	}
	var cmds []*cli.Command
	for _, k := range kinds {
		flags := []cli.Flag{
			&cli.StringFlag{Name: "comune", Required: true, Usage: "ISTAT code of the comune whose plan the features belong to, e.g. 019035"},
			&cli.BoolFlag{Name: "replace", Usage: "delete the comune's " + string(k.kind) + " first (in the same transaction)"},
			&cli.StringFlag{Name: "crs", Usage: "CRS of FILE, e.g. EPSG:32632; overrides the GeoJSON crs member or .prj (default: the file's, else CRS84)"},
		}
		if k.kind == civilprotection.ImportScenarios {
			flags = append(flags, &cli.StringFlag{Name: "source", Usage: "stored with scenarios that have no source property (default: from the file name)"})
		}
		cmds = append(cmds, &cli.Command{
			Name:      string(k.kind),
			Usage:     k.usage,
			ArgsUsage: "FILE",
			Description: "Reads FILE (GeoJSON, or a zipped Shapefile or .shp) whose features have properties " + k.props + ".\n" +
				"Every feature is checked (properties, and the geometry with geo/repair) and the whole file is loaded in ONE\n" +
				"transaction: one bad feature fails the import, naming the feature and the field, and nothing changes. The\n" +
				"comune's plan must be open (a draft or returned): a submitted or validated plan refuses the import.\n" +
				"Every row deleted or inserted is written to the audit log (action import).",
			Flags:  flags,
			Action: importCivilProtection(k.kind),
		})
	}
	return cmds
}

func importCivilProtection(kind civilprotection.ImportKind) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) error {
		what := "import " + string(kind)
		// The plan's state (Conflict) is about the input too.
		imp := fileImport{what: what, usage: "atlante " + what + " --comune 019035 [--replace] FILE.geojson",
			input: []apperr.Kind{apperr.Invalid, apperr.Unprocessable, apperr.Conflict}}
		env, err := imp.start(cmd)
		if err != nil {
			return err
		}
		code, err := comuni.ParseISTATCode(cmd.String("comune"))
		if err != nil {
			return fmt.Errorf("--comune: %w", err)
		}
		// Read before a database is started: a malformed file needs none.
		features, srid, err := readCivilProtectionFile(env.path, env.crs, env.limits)
		if err != nil {
			return imp.inputError(err)
		}
		actor := "command line"
		if u, err := user.Current(); err == nil && u.Username != "" {
			actor += " (" + u.Username + ")"
		}
		return imp.load(ctx, cmd, env, func(ctx context.Context, d *database, _ func(importer.Progress)) (string, error) {
			sum, err := civilprotection.NewStore(d.Write, d.Write, nil).Import(ctx, kind, features, civilprotection.ImportOptions{
				Comune: string(code), Replace: cmd.Bool("replace"), SRID: int(srid), File: env.path, Source: cmd.String("source"), Actor: actor,
			})
			if err != nil {
				return "", err
			}
			env.logger.Info("civil-protection data imported", "kind", string(kind), "file", env.path, "comune", string(code),
				"inserted", sum.Inserted, "deleted", sum.Deleted, "duration", sum.Duration)
			summary := fmt.Sprintf("%s: %d %s imported for comune %s", env.path, sum.Inserted, kind, code)
			if cmd.Bool("replace") {
				summary += fmt.Sprintf(", %d replaced", sum.Deleted)
			}
			return summary + "\n", nil
		})
	}
}

// readCivilProtectionFile reads every feature of path and the CRS of their
// geometries, within the import limits.
func readCivilProtectionFile(path string, crs geo.SRID, lim importer.Limits) ([]civilprotection.ImportFeature, geo.SRID, error) {
	r, err := importer.Open(path, importer.OpenOptions{CRS: crs, Limits: lim})
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	var fs []civilprotection.ImportFeature
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		ref := f.Ref()
		if f.Line > 0 {
			ref = fmt.Sprintf("line %d: %s", f.Line, ref)
		}
		fs = append(fs, civilprotection.ImportFeature{Ref: ref, Properties: f.Properties, Geometry: f.Geometry})
	}
	return fs, r.SRID(), nil
}
