package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/cremasco/atlante/internal/demo"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "load the synthetic demo dataset (real comune names and ISTAT codes, made-up geometry)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "if-empty", Usage: "only when the database has no comuni yet"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			logger, err := newLogger(cmd)
			if err != nil {
				return err
			}
			d, err := openDatabase(ctx, cmd, logger, true, adminTimeout)
			if err != nil {
				return err
			}
			defer d.close(logger)
			if cmd.Bool("if-empty") {
				return demo.LoadIfEmpty(ctx, d.Write, logger)
			}
			return demo.Load(ctx, d.Write, logger)
		},
	}
}
