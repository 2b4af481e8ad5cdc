package viewer

import (
	"fmt"
	"net/url"
	"strings"
)

// Config is what the page learns from the server at /viewer/config.json:
// the basemap to draw under the data, if any, and whether the database
// holds the synthetic demo data (so the page can say so).
type Config struct {
	Basemap *Basemap `json:"basemap"` // null: no basemap (the default; the map works offline)
	Demo    bool     `json:"demo"`
}

// Basemap is an online basemap configured by the operator
// (--basemap, --basemap-attribution).
type Basemap struct {
	// Type is "raster" for an XYZ tile template
	// (https://host/{z}/{x}/{y}.png) or "style" for a MapLibre style URL.
	Type        string `json:"type"`
	URL         string `json:"url"`
	Attribution string `json:"attribution"` // plain text
}

// osmAttribution is the credit OpenStreetMap's tile policy asks for.
const osmAttribution = "© OpenStreetMap contributors"

// ParseBasemap checks a basemap URL and its attribution: an http(s) URL
// with {z}, {x} and {y} is a raster template, any other http(s) URL a
// MapLibre style. A raster basemap needs its attribution, except
// OpenStreetMap's own tiles, whose credit is known. An empty URL is no
// basemap (nil).
func ParseBasemap(rawURL, attribution string) (*Basemap, error) {
	rawURL = strings.TrimSpace(rawURL)
	attribution = strings.TrimSpace(attribution)
	if rawURL == "" {
		if attribution != "" {
			return nil, fmt.Errorf("an attribution without a basemap URL: give --basemap too")
		}
		return nil, nil
	}
	if _, rest, ok := strings.Cut(rawURL, "://"); ok {
		if host, _, _ := strings.Cut(rest, "/"); strings.ContainsAny(host, "{}") {
			return nil, fmt.Errorf("%q: the host must be written out ({s} and other placeholders in the host are not supported: MapLibre does not expand them)", rawURL)
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%q is not an http(s) URL: give a MapLibre style URL or a tile template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png", rawURL)
	}
	if strings.ContainsAny(attribution, "<>") {
		return nil, fmt.Errorf("the attribution is plain text: leave out HTML (%q)", attribution)
	}
	b := &Basemap{Type: "style", URL: rawURL, Attribution: attribution}
	placeholders := 0
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if strings.Contains(rawURL, p) {
			placeholders++
		}
	}
	switch placeholders {
	case 0:
	case 3:
		b.Type = "raster"
		if b.Attribution == "" && u.Host == "tile.openstreetmap.org" {
			b.Attribution = osmAttribution
		}
		if b.Attribution == "" {
			return nil, fmt.Errorf("the tiles of %s need their credit: give --basemap-attribution (e.g. %q)", u.Host, "© OpenStreetMap contributors")
		}
	default:
		return nil, fmt.Errorf("%q: a tile template needs all of {z}, {x} and {y}", rawURL)
	}
	return b, nil
}

// Origin is the basemap's origin (scheme://host[:port]), which the
// page's Content-Security-Policy must allow; "" for no basemap.
func (b *Basemap) Origin() string {
	if b == nil {
		return ""
	}
	u, err := url.Parse(b.URL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
