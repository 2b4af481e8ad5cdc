// Package viewer serves Atlante's browser map: an HTML page and MapLibre GL
// JS, embedded in the binary so the map works offline.
package viewer

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the viewer's files; "/" is the map page.
func Handler() http.Handler {
	sub, _ := fs.Sub(static, "static") // the directory is embedded: cannot fail
	return http.FileServerFS(sub)
}
