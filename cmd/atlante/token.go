package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/comuni"
)

func tokenCommand() *cli.Command {
	with := func(f func(ctx context.Context, s *auth.Store, cmd *cli.Command) error) cli.ActionFunc {
		return func(ctx context.Context, cmd *cli.Command) error {
			logger, err := newLogger(cmd)
			if err != nil {
				return err
			}
			d, err := openDatabase(ctx, cmd, logger, true, adminTimeout)
			if err != nil {
				return err
			}
			defer d.close(logger)
			return f(ctx, auth.NewStore(d.Write), cmd)
		}
	}
	return &cli.Command{
		Name:  "token",
		Usage: "create, list and revoke API tokens (writes and personal data need one)",
		Commands: []*cli.Command{
			{
				Name:  "create",
				Usage: "create a token and print its secret (shown once)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "role", Required: true, Usage: "admin, editor, validator or private-reader"},
					&cli.StringFlag{Name: "comuni", Usage: "comma-separated ISTAT codes the token acts on (not for admin)"},
					&cli.StringFlag{Name: "name", Required: true, Usage: "who or what uses the token"},
				},
				Action: with(func(ctx context.Context, s *auth.Store, cmd *cli.Command) error {
					role, err := auth.ParseRole(cmd.String("role"))
					if err != nil {
						return err
					}
					var codes []string
					for _, c := range strings.Split(cmd.String("comuni"), ",") {
						if c = strings.TrimSpace(c); c == "" {
							continue
						}
						code, err := comuni.ParseISTATCode(c)
						if err != nil {
							return fmt.Errorf("--comuni: %w", err)
						}
						codes = append(codes, string(code))
					}
					secret, t, err := s.CreateToken(ctx, cmd.String("name"), role, codes)
					if err != nil {
						return err
					}
					fmt.Fprintf(os.Stderr, "token %d (%s, %s, comuni %s) created; keep the secret, it is not shown again:\n",
						t.ID, t.Name, t.Role, strings.Join(t.Comuni, ","))
					fmt.Println(secret)
					return nil
				}),
			},
			{
				Name:  "list",
				Usage: "list tokens (never their secrets)",
				Action: with(func(ctx context.Context, s *auth.Store, _ *cli.Command) error {
					ts, err := s.ListTokens(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tNAME\tROLE\tCOMUNI\tPREFIX\tCREATED\tLAST USED\tREVOKED")
					for _, t := range ts {
						last, rev := "-", "-"
						if t.LastUsedAt != nil {
							last = t.LastUsedAt.Format("2006-01-02 15:04")
						}
						if t.RevokedAt != nil {
							rev = t.RevokedAt.Format("2006-01-02 15:04")
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s…\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, strings.Join(t.Comuni, ","),
							t.Prefix, t.CreatedAt.Format("2006-01-02 15:04"), last, rev)
					}
					return w.Flush()
				}),
			},
			{
				Name:      "revoke",
				Usage:     "revoke a token by id; it stops working at once",
				ArgsUsage: "ID",
				Action: with(func(ctx context.Context, s *auth.Store, cmd *cli.Command) error {
					id, err := strconv.ParseInt(cmd.Args().First(), 10, 64)
					if err != nil || cmd.Args().Len() != 1 {
						return fmt.Errorf("give the id of the token to revoke (see atlante token list)")
					}
					if err := s.RevokeToken(ctx, id); err != nil {
						return err
					}
					fmt.Printf("token %d revoked\n", id)
					return nil
				}),
			},
		},
	}
}
