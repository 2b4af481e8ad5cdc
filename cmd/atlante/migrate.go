package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/cremasco/atlante/internal/store"
)

// adminTimeout is the statement timeout of migrations, imports and the demo.
const adminTimeout = 30 * time.Minute

func migrateCommand() *cli.Command {
	with := func(f func(ctx context.Context, d *database, cmd *cli.Command) error) cli.ActionFunc {
		return func(ctx context.Context, cmd *cli.Command) error {
			logger, err := newLogger(cmd)
			if err != nil {
				return err
			}
			d, err := openDatabase(ctx, cmd, logger, false, adminTimeout)
			if err != nil {
				return err
			}
			defer d.close(logger)
			return f(ctx, d, cmd)
		}
	}
	return &cli.Command{
		Name:  "migrate",
		Usage: "apply or inspect the database migrations embedded in the binary",
		Commands: []*cli.Command{
			{Name: "up", Usage: "apply every pending migration", Action: func(ctx context.Context, cmd *cli.Command) error {
				logger, err := newLogger(cmd)
				if err != nil {
					return err
				}
				d, err := openDatabase(ctx, cmd, logger, true, adminTimeout)
				if err != nil {
					return err
				}
				d.close(logger)
				return nil
			}},
			{Name: "down", Usage: "roll back the newest migration", Action: with(func(ctx context.Context, d *database, cmd *cli.Command) error {
				logger, _ := newLogger(cmd)
				return store.MigrateDown(ctx, d.Write, logger)
			})},
			{Name: "status", Usage: "print the applied and the newest version", Action: with(func(ctx context.Context, d *database, _ *cli.Command) error {
				cur, latest, err := store.MigrationStatus(ctx, d.Write)
				if err != nil {
					return err
				}
				fmt.Printf("applied %d, newest %d\n", cur, latest)
				return nil
			})},
		},
	}
}
