// Package migrations embeds Atlante's SQL migrations: all DDL, the views
// behind layers and the SQL tile functions. They are applied in order by
// store.Migrate (pressly/goose).
package migrations

import "embed"

// FS holds the numbered *.sql migration files.
//
//go:embed *.sql
var FS embed.FS
