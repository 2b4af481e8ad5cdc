// Command atlante serves the territorial data of the Cremasco: comuni, fibre
// coverage, civil-protection plans and energy communities, as OGC API –
// Features, vector tiles and a browser map. See README.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "atlante:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	return command().Run(ctx, args)
}

func command() *cli.Command {
	return &cli.Command{
		Name:    "atlante",
		Usage:   "territorial data service of the Cremasco (OGC API – Features, vector tiles, map)",
		Version: version,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: "./.atlante", Sources: cli.EnvVars("ATLANTE_DATA_DIR"),
				Usage: "directory of the embedded PostgreSQL cluster, used when DATABASE_URL is unset"},
			&cli.StringFlag{Name: "database-url", Sources: cli.EnvVars("DATABASE_URL"),
				Usage: "PostgreSQL/PostGIS URL; when set, no embedded cluster is started"},
			&cli.StringFlag{Name: "database-read-url", Sources: cli.EnvVars("DATABASE_READ_URL"),
				Usage: "optional read replica (a hot standby of DATABASE_URL) for public reads"},
			&cli.BoolFlag{Name: "database-pgbouncer", Sources: cli.EnvVars("ATLANTE_DATABASE_PGBOUNCER"),
				Usage: "the database URLs lead to PgBouncer in transaction pooling mode: no named prepared statements, no startup parameters it refuses"},
			&cli.StringFlag{Name: "log-level", Value: "info", Sources: cli.EnvVars("ATLANTE_LOG_LEVEL"),
				Usage: "debug, info, warn or error (debug logs SQL)"},
			&cli.StringFlag{Name: "log-format", Value: "auto", Sources: cli.EnvVars("ATLANTE_LOG_FORMAT"),
				Usage: "text, json, or auto (text on a terminal, json otherwise)"},
		},
		Commands: []*cli.Command{
			serveCommand(),
			migrateCommand(),
			importCommand(),
			demoCommand(),
			dbCommand(),
			tokenCommand(),
		},
	}
}

// newLogger builds the one logger of the process.
func newLogger(cmd *cli.Command) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cmd.String("log-level"))); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", cmd.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f := cmd.String("log-format"); f {
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "auto":
		if term.IsTerminal(int(os.Stderr.Fd())) {
			return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format: %q is not text, json or auto", f)
	}
}
