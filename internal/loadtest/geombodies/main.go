// Command geombodies writes the adversarial areas of the "Geometry limits"
// load test (see ../README.md) as GeoJSON request bodies, one file per
// case, into the directory given as its argument.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/geotest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: geombodies DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "geombodies:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	l := geo.DefaultLimits
	cases := map[string]orb.Geometry{
		"random-2000":           geotest.RandomPolygon(2000, 1),
		"random-20000":          geotest.RandomPolygon(20_000, 1),
		"random-at-vertices":    geotest.RandomPolygon(l.Vertices, 1),
		"spikes-at-crossings":   geotest.Spikes(3*l.Crossings + 5),
		"circle-at-vertices":    orb.Polygon{geotest.Circle(orb.Point{9.65, 45.35}, 0.05, l.Vertices-1, false)},
		"accordion-at-overlaps": geotest.Accordion(int(math.Sqrt(2 * float64(l.Overlaps)))),
		"holes-at-limit":        geotest.Holes(l.Holes, l.Vertices/l.Holes-1, l.Crossings),
		"parts-at-limit":        geotest.Parts(l.Parts, l.Vertices/l.Parts, l.Crossings),
		"rings-at-limit":        geotest.Rings(l.Parts, l.Rings, l.Vertices),
		"grid-at-crossings":     geotest.Grid(15, 14, l.Vertices),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, g := range cases {
		b, err := json.Marshal(geojson.NewGeometry(orb.Round(g, 1e7)))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".geojson"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
