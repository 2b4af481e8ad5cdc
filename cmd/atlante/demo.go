package main

import (
	"context"
	"fmt"
	"os"

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
		Commands: []*cli.Command{{
			Name:  "tokens",
			Usage: "replace the demo tokens (one per role) and print their secrets; the previous ones stop working",
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
				// Demo tokens only where the demo is: real databases get
				// their tokens one by one, named for who uses them.
				credits, err := demo.FindCredits(ctx, d.Write)
				if err != nil {
					return err
				}
				if !credits.Synthetic {
					return fmt.Errorf("this database holds no demo data: make tokens with `atlante token create --role ... --name ...`")
				}
				toks, err := demo.CreateTokens(ctx, d.Write)
				if err != nil {
					return err
				}
				return demo.WriteTokens(cmd.Root().Writer, toks)
			},
		}, {
			Name:  "bench-data",
			Usage: "write a synthetic ANNCSU address file and a coverage file of N civic numbers, for benchmarks",
			Flags: []cli.Flag{
				&cli.IntFlag{Name: "civici", Value: 1_000_000, Usage: "number of civic numbers"},
				&cli.StringFlag{Name: "out", Value: "bench/data", Usage: "directory to write anncsu.csv and coverage.csv into"},
				&cli.IntFlag{Name: "comuni", Usage: "national scale: spread the civic numbers over this many synthetic comuni on a region-sized grid (written to comuni.geojson) instead of the Cremasco"},
			},
			Action: func(ctx context.Context, cmd *cli.Command) error {
				var f demo.BenchFiles
				var err error
				if n := cmd.Int("comuni"); n > 0 {
					f, err = demo.WriteNationalBenchData(cmd.String("out"), cmd.Int("civici"), n)
				} else {
					f, err = demo.WriteBenchData(cmd.String("out"), cmd.Int("civici"))
				}
				if err != nil {
					return err
				}
				if f.Comuni != "" {
					fmt.Printf("%s: %d comuni\n", f.Comuni, cmd.Int("comuni"))
				}
				fmt.Printf("%s: %d civic numbers\n%s: %d offers\n", f.Civici, f.Rows, f.Offers, f.Offered)
				return nil
			},
		}},
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
				loaded, err := demo.LoadIfEmpty(ctx, d.Write, logger)
				if err != nil || !loaded {
					return err
				}
			} else if err := demo.Load(ctx, d.Write, logger); err != nil {
				return err
			}
			// Tokens are printed, never logged.
			toks, err := demo.CreateTokens(ctx, d.Write)
			if err != nil {
				return err
			}
			return demo.WriteTokens(os.Stdout, toks)
		},
	}
}
