// Command tilecmp compares two sets of vector tiles fetched from two servers
// (or two versions of one), decoded with orb's encoding/mvt: same layers,
// same features by id, same properties, and every vertex within a tile
// unit. bench.sh's tiles-compare step uses it to check that a faster tile
// is still the same tile.
//
//	tilecmp DIR_A DIR_B
//
// Each directory holds tiles named z-x-y.mvt (uncompressed), as
// bench.sh fetches them. Features without an MVT id are matched by the
// first of the properties istat_code, code, id that they have.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tilecmp DIR_A DIR_B")
		os.Exit(2)
	}
	names, err := filepath.Glob(filepath.Join(os.Args[1], "*.mvt"))
	if err != nil || len(names) == 0 {
		fmt.Fprintf(os.Stderr, "tilecmp: no tiles in %s\n", os.Args[1])
		os.Exit(2)
	}
	var same, equivalent, features int
	var problems []string
	for _, a := range names {
		name := filepath.Base(a)
		da, errA := os.ReadFile(a)
		db, errB := os.ReadFile(filepath.Join(os.Args[2], name))
		if err := errors.Join(errA, errB); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if bytes.Equal(da, db) {
			same++
			continue
		}
		n, err := compare(da, db)
		features += n
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		equivalent++
	}
	fmt.Printf("tilecmp tiles=%d identical=%d equivalent=%d different=%d features_compared=%d\n",
		len(names), same, equivalent, len(problems), features)
	for i, p := range problems {
		if i == 20 {
			fmt.Printf("... and %d more\n", len(problems)-20)
			break
		}
		fmt.Println(p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// compare returns the number of features compared and the first difference.
func compare(da, db []byte) (int, error) {
	la, err := decode(da)
	if err != nil {
		return 0, fmt.Errorf("A: %w", err)
	}
	lb, err := decode(db)
	if err != nil {
		return 0, fmt.Errorf("B: %w", err)
	}
	if !slices.Equal(layerNames(la), layerNames(lb)) {
		return 0, fmt.Errorf("layers %v, %v", layerNames(la), layerNames(lb))
	}
	n := 0
	for i := range la {
		fa, fb := byKey(la[i].Features), byKey(lb[i].Features)
		if len(fa) != len(fb) {
			return n, fmt.Errorf("layer %s: %d features, %d", la[i].Name, len(fa), len(fb))
		}
		for k, a := range fa {
			b, ok := fb[k]
			if !ok {
				return n, fmt.Errorf("layer %s: feature %s only in A", la[i].Name, k)
			}
			if err := sameFeature(a, b); err != nil {
				return n, fmt.Errorf("layer %s: feature %s: %w", la[i].Name, k, err)
			}
			n++
		}
	}
	return n, nil
}

func decode(data []byte) (mvt.Layers, error) {
	if len(data) == 0 {
		return nil, nil
	}
	ls, err := mvt.Unmarshal(data)
	if err != nil {
		return nil, err
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return ls, nil
}

func layerNames(ls mvt.Layers) []string {
	var ns []string
	for _, l := range ls {
		ns = append(ns, l.Name)
	}
	return ns
}

// byKey indexes features by id, or by an identifying property, or (cells
// of aggregated tiles, which have neither) by position.
func byKey(fs []*geojson.Feature) map[string]*geojson.Feature {
	m := make(map[string]*geojson.Feature, len(fs))
	for i, f := range fs {
		k := fmt.Sprintf("#%d", i)
		switch {
		case f.ID != nil:
			k = fmt.Sprint(f.ID)
		case f.Properties["istat_code"] != nil:
			k = fmt.Sprint(f.Properties["istat_code"])
		case f.Properties["code"] != nil:
			k = fmt.Sprint(f.Properties["code"])
		default:
			if p, ok := f.Geometry.(orb.Point); ok {
				k = fmt.Sprintf("@%.0f,%.0f", p[0], p[1])
			}
		}
		m[k] = f
	}
	return m
}

func sameFeature(a, b *geojson.Feature) error {
	if len(a.Properties) != len(b.Properties) {
		return fmt.Errorf("properties %v, %v", a.Properties, b.Properties)
	}
	for k, v := range a.Properties {
		if b.Properties[k] != v {
			return fmt.Errorf("property %s = %v, %v", k, v, b.Properties[k])
		}
	}
	if a.Geometry.GeoJSONType() != b.Geometry.GeoJSONType() {
		return fmt.Errorf("geometry %s, %s", a.Geometry.GeoJSONType(), b.Geometry.GeoJSONType())
	}
	pa, pb := points(a.Geometry), points(b.Geometry)
	if len(pa) != len(pb) {
		return fmt.Errorf("%d vertices, %d", len(pa), len(pb))
	}
	for i := range pa {
		if math.Abs(pa[i][0]-pb[i][0]) > 1 || math.Abs(pa[i][1]-pb[i][1]) > 1 {
			return fmt.Errorf("vertex %d at %v, %v (more than a tile unit apart)", i, pa[i], pb[i])
		}
	}
	return nil
}

// points lists the vertices of g in order.
func points(g orb.Geometry) []orb.Point {
	var ps []orb.Point
	switch g := g.(type) {
	case orb.Point:
		ps = append(ps, g)
	case orb.MultiPoint:
		ps = append(ps, g...)
	case orb.LineString:
		ps = append(ps, g...)
	case orb.MultiLineString:
		for _, l := range g {
			ps = append(ps, l...)
		}
	case orb.Polygon:
		for _, r := range g {
			ps = append(ps, r...)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				ps = append(ps, r...)
			}
		}
	}
	return ps
}
