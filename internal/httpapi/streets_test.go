package httpapi_test

import (
	"math"
	"net/url"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestStreetsLayer checks the streets layer built from the address
// register: one line per street and comune, along its civic numbers, as
// features and as vector tiles from zoom 14, with the id the search gives.
func TestStreetsLayer(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "coverage"}})
	data := readCoverage(t, s)
	var onRoma []covCivico
	for _, v := range data.civici {
		if v.comune == crema && coverage.StreetKey(v.street) == "VIA ROMA" {
			onRoma = append(onRoma, v)
		}
	}
	if len(onRoma) < 10 {
		t.Fatalf("Crema's Via Roma has %d civic numbers in the demo, want some", len(onRoma))
	}

	p := items(t, s.URL+"/collections/streets/items?istat_code="+crema+"&street_key="+url.QueryEscape("VIA ROMA"))
	if len(p.Features) != 1 {
		t.Fatalf("streets of Crema named Via Roma: %d features, want 1", len(p.Features))
	}
	f := p.Features[0]
	if f.ID != "019035-VIA-ROMA" || f.Properties["street"] != "Via Roma" || f.Properties["civici"] != float64(len(onRoma)) {
		t.Errorf("Via Roma = id %v, %v; want id 019035-VIA-ROMA, street Via Roma, %d civici", f.ID, f.Properties, len(onRoma))
	}
	line, ok := f.Geometry.(orb.MultiLineString)
	if !ok || len(line) == 0 {
		t.Fatalf("Via Roma's geometry is %T, want a MultiLineString", f.Geometry)
	}
	// The demo puts civic numbers 9 m to either side of the street.
	for _, v := range onRoma {
		if d := metresToLine(v.p, line); d > 30 {
			t.Errorf("civic number %d (%s %v%s) lies %.0f m from the street's line", v.id, v.street, *v.number, v.suffix, d)
		}
	}
	get(t, s.URL+"/collections/streets/items/019035-VIA-ROMA", 200)

	// The search names the same feature.
	var r struct {
		Results []struct {
			Kind     string `json:"kind"`
			StreetID string `json:"street_id"`
		} `json:"results"`
	}
	getJSON(t, s.URL+"/coverage/search?q="+url.QueryEscape("via roma, crema"), "application/json", &r)
	if len(r.Results) == 0 || r.Results[0].StreetID != "019035-VIA-ROMA" {
		t.Errorf("search(via roma, crema) = %+v, want street_id 019035-VIA-ROMA first", r.Results)
	}

	// Tiles from zoom 14, with the name to place.
	mid := line[0][len(line[0])/2]
	tile := maptile.At(mid, 14)
	_, body := get(t, s.URL+tilePath("streets", tile), 200)
	found := false
	for _, l := range decodeTile(t, body, tile) {
		if l.Name != "streets" {
			t.Errorf("tile layer %q, want streets", l.Name)
			continue
		}
		for _, tf := range l.Features {
			if tf.Properties["street"] == "Via Roma" && tf.Properties["istat_code"] == crema && tf.Properties["street_key"] == "VIA ROMA" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("tile %v has no feature for Crema's Via Roma", tile)
	}
	get(t, s.URL+tilePath("streets", maptile.At(mid, 13)), 404)
}

// metresToLine is the distance from p to the nearest segment of ls, in
// metres, on a local plane (precise enough over a street).
func metresToLine(p orb.Point, ls orb.MultiLineString) float64 {
	const m = 111320.0 // metres per degree of latitude
	kx := m * math.Cos(p[1]*math.Pi/180)
	best := math.Inf(1)
	for _, l := range ls {
		for i := 1; i < len(l); i++ {
			ax, ay := (l[i-1][0]-p[0])*kx, (l[i-1][1]-p[1])*m
			bx, by := (l[i][0]-p[0])*kx, (l[i][1]-p[1])*m
			dx, dy := bx-ax, by-ay
			t := 0.0
			if n := dx*dx + dy*dy; n > 0 {
				t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/n))
			}
			best = math.Min(best, math.Hypot(ax+t*dx, ay+t*dy))
		}
	}
	return best
}
