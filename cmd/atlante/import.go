package main

import "github.com/urfave/cli/v3"

func importCommand() *cli.Command {
	return &cli.Command{Name: "import", Usage: "load official files into the database"}
}
