// Package data embeds Atlante's reference and demo input files; see
// README.md in this directory for their sources and formats.
package data

import "embed"

// FS holds the CSV and GeoJSON files of this directory.
//
//go:embed *.csv *.geojson
var FS embed.FS
