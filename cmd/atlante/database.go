package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/cremasco/atlante/internal/localpg"
	"github.com/cremasco/atlante/internal/store"
)

// database is an open connection to Atlante's database, plus the embedded
// cluster when this process started it.
type database struct {
	*store.DB
	cluster  *localpg.Cluster // nil with DATABASE_URL or when the cluster was already running
	embedded *localpg.Cluster // nil with DATABASE_URL; the cluster in use, started or reused
}

// openDatabase connects to DATABASE_URL, or starts (or reuses) the embedded
// cluster of --data-dir. close stops the cluster only if this process
// started it, so a running server is never pulled from under its feet.
//
// statementTimeout is the server-side limit of every statement: short for
// serving, long for imports.
func openDatabase(ctx context.Context, cmd *cli.Command, logger *slog.Logger, migrate bool, statementTimeout time.Duration) (*database, error) {
	// Serving (short statements) runs each query on one core; imports and
	// migrations (long ones) may use parallel plans.
	serving := statementTimeout < adminTimeout
	url, readURL := cmd.String("database-url"), cmd.String("database-read-url")
	d := &database{}
	if url == "" {
		c, err := localpg.New(localpg.Options{DataDir: cmd.String("data-dir"), Logger: logger})
		if err != nil {
			return nil, err
		}
		started, err := c.Start(ctx)
		if err != nil {
			return nil, err
		}
		if started {
			d.cluster = c
		}
		d.embedded = c
		url = c.URL("atlante")
		readURL = ""
	}
	db, err := store.Open(ctx, store.Config{
		URL: url, ReadURL: readURL, Logger: logger,
		StatementTimeout: statementTimeout,
		SerialQueries:    serving,
		MaxLag:           cmd.Duration("replica-max-lag"), // serve's flag; 0 elsewhere (the default)
		PgBouncer:        cmd.Bool("database-pgbouncer"),
	})
	if err != nil {
		d.stopCluster(logger)
		return nil, err
	}
	d.DB = db
	if migrate {
		if err := store.Migrate(ctx, db.Write, logger); err != nil {
			d.close(logger)
			return nil, err
		}
	}
	return d, nil
}

// supervise restarts the embedded cluster whenever its postmaster dies,
// until ctx is done; with DATABASE_URL the database is someone else's to
// run, and it returns at once. A cluster that was running already (started
// by `atlante db start` or another Atlante process) is supervised too: it
// is the data dir's cluster all the same, and the lock in localpg makes
// several supervisors restart it once. The pools reconnect by themselves.
func (d *database) supervise(ctx context.Context) {
	if d.embedded != nil {
		d.embedded.Supervise(ctx, localpg.Supervision{})
	}
}

func (d *database) close(logger *slog.Logger) {
	if d.DB != nil {
		d.DB.Close()
	}
	d.stopCluster(logger)
}

func (d *database) stopCluster(logger *slog.Logger) {
	if d.cluster == nil {
		return
	}
	// The command's context may be cancelled already (Ctrl-C): stopping
	// needs its own.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := d.cluster.Stop(ctx); err != nil {
		logger.Error("cannot stop the embedded PostgreSQL cluster", "err", err)
		return
	}
	logger.Info("embedded PostgreSQL cluster stopped", "dir", d.cluster.Dir())
}

func dbCommand() *cli.Command {
	cluster := func(cmd *cli.Command) (*localpg.Cluster, *slog.Logger, error) {
		logger, err := newLogger(cmd)
		if err != nil {
			return nil, nil, err
		}
		if cmd.String("database-url") != "" {
			return nil, nil, fmt.Errorf("DATABASE_URL is set: Atlante uses that database and manages no cluster of its own")
		}
		c, err := localpg.New(localpg.Options{DataDir: cmd.String("data-dir"), Logger: logger})
		return c, logger, err
	}
	return &cli.Command{
		Name:  "db",
		Usage: "manage the embedded PostgreSQL cluster of --data-dir",
		Commands: []*cli.Command{
			{Name: "start", Usage: "start the cluster (initialising it on first use) and leave it running",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					c, logger, err := cluster(cmd)
					if err != nil {
						return err
					}
					started, err := c.Start(ctx)
					if err != nil {
						return err
					}
					logger.Info("embedded PostgreSQL cluster running", "started_now", started, "dir", c.Dir())
					fmt.Println(c.URL("atlante"))
					return nil
				}},
			{Name: "stop", Usage: "stop the cluster",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					c, _, err := cluster(cmd)
					if err != nil {
						return err
					}
					return c.Stop(ctx)
				}},
			{Name: "status", Usage: "say whether the cluster runs",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					c, _, err := cluster(cmd)
					if err != nil {
						return err
					}
					running, err := c.Running(ctx)
					if err != nil {
						return err
					}
					if running {
						fmt.Printf("running in %s\n%s\n", c.Dir(), c.URL("atlante"))
						return nil
					}
					fmt.Printf("not running (%s)\n", c.Dir())
					return nil
				}},
			{Name: "url", Usage: "print the connection URL of the cluster (for psql)",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					c, _, err := cluster(cmd)
					if err != nil {
						return err
					}
					fmt.Println(c.URL("atlante"))
					return nil
				}},
		},
	}
}
