package viewer

import (
	"strings"
	"testing"
)

func TestParseBasemap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, attribution string
		want             *Basemap // nil with wantErr "" means no basemap
		origin           string
		wantErr          string // part of the error
	}{
		{url: "", attribution: ""},
		{url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
			want:   &Basemap{Type: "raster", URL: "https://tile.openstreetmap.org/{z}/{x}/{y}.png", Attribution: "© OpenStreetMap contributors"},
			origin: "https://tile.openstreetmap.org"},
		{url: " https://tiles.example.org:8443/osm/{z}/{x}/{y}.png?key=1 ", attribution: "© Example, © OpenStreetMap contributors",
			want: &Basemap{Type: "raster", URL: "https://tiles.example.org:8443/osm/{z}/{x}/{y}.png?key=1",
				Attribution: "© Example, © OpenStreetMap contributors"},
			origin: "https://tiles.example.org:8443"},
		{url: "https://tiles.openfreemap.org/styles/liberty",
			want:   &Basemap{Type: "style", URL: "https://tiles.openfreemap.org/styles/liberty"},
			origin: "https://tiles.openfreemap.org"},
		{url: "http://localhost:8081/style.json", attribution: "Regione Lombardia",
			want:   &Basemap{Type: "style", URL: "http://localhost:8081/style.json", Attribution: "Regione Lombardia"},
			origin: "http://localhost:8081"},

		{url: "", attribution: "© Somebody", wantErr: "without a basemap URL"},
		{url: "tile.openstreetmap.org/{z}/{x}/{y}.png", wantErr: "not an http(s) URL"},
		{url: "ftp://example.org/{z}/{x}/{y}.png", wantErr: "not an http(s) URL"},
		{url: "javascript:alert(1)", wantErr: "not an http(s) URL"},
		{url: "https://user:secret@example.org/style.json", wantErr: "not an http(s) URL"},
		{url: "https://{s}.tile.example.org/{z}/{x}/{y}.png", attribution: "x", wantErr: "host must be written out"},
		{url: "https://tiles.example.org/{z}/{x}/{y}.png", wantErr: "--basemap-attribution"},
		{url: "https://tiles.example.org/{z}/{x}.png", attribution: "x", wantErr: "{z}, {x} and {y}"},
		{url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png", attribution: `<a href="x">OSM</a>`, wantErr: "plain text"},
	}
	for _, tt := range tests {
		got, err := ParseBasemap(tt.url, tt.attribution)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseBasemap(%q, %q) = %+v, %v; want an error saying %q", tt.url, tt.attribution, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseBasemap(%q, %q): %v", tt.url, tt.attribution, err)
			continue
		}
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("ParseBasemap(%q, %q) = %+v, want %+v", tt.url, tt.attribution, got, tt.want)
		}
		if o := got.Origin(); o != tt.origin {
			t.Errorf("ParseBasemap(%q).Origin() = %q, want %q", tt.url, o, tt.origin)
		}
	}
}
