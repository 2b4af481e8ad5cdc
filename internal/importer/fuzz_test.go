package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// FuzzGeoJSON feeds the GeoJSON reader arbitrary bytes. It must never panic;
// it returns either features or an Invalid error that says where in the
// file the problem is. Features it returns survive a round trip through
// GeoJSON unchanged, and the comuni mapping step (which runs geo/repair) on
// the same input must not panic either.
func FuzzGeoJSON(f *testing.F) {
	feature := func(props, geom string) string {
		return `{"type":"Feature","properties":` + props + `,"geometry":` + geom + `}`
	}
	crema := `{"pro_com_t":"019035","name":"Crema","cod_prov":"019","cod_catastale":"D142"}`
	seeds := []string{
		``,
		`{}`,
		`[]`,
		`{"type":"FeatureCollection","features":[]}`,
		`{"type":"FeatureCollection","features":[` + feature(crema, `{"type":"Polygon","coordinates":`+square+`}`) + `]}`,
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32632"}},"features":[` + feature(`{"PRO_COM":19035,"COMUNE":"Crema"}`, `{"type":"MultiPolygon","coordinates":[[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,4],[4,4],[2,2]]]]}`) + `]}`,
		feature(crema, `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`) + "\n" + feature(`{}`, `null`),
		feature(crema, `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3]},{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}]}`),
		`{"type":"FeatureCollection","features":[` + feature(crema, `{"type":"Polygon","coordinates":[[[0,0],[1],[1,1]]]}`) + `]}`,
		"{\"type\":\"FeatureCollection\",\n\"features\":[\n{\"type\":}]}",
		`{"type":"Feature","id":{},"properties":5}`,
		`{"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":1e400}},"features":[]}`,
		// Past the small limits the fuzzer also reads with.
		`{"type":"FeatureCollection","name":"` + strings.Repeat("n", 300) + `","features":[]}`,
		`{"type":"FeatureCollection","features":[` + feature(`{"name":"`+strings.Repeat("x", 300)+`"}`, `null`) + `]}`,
		feature(`{}`, `null`) + "\n" + feature(`{}`, `null`) + "\n" + feature(`{}`, `null`) + "\n" + feature(`{}`, `null`),
		`{"type":"Feature",` + strings.Repeat("\n", 100) + `"properties":{}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// The head of a real file, cut mid-feature.
	if b, err := os.ReadFile(storetest.SharedData(f, "cremona-comuni-32632.geojson")); err == nil {
		f.Add(b[:4096])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := readBytes(data)
		// Limits refuse a file or read it as it is, never otherwise.
		limited, lerr := readBytesLimits(data, Limits{MaxFeature: 256, MaxFeatures: 3})
		if lerr != nil {
			checkReadError(t, lerr)
		} else if err != nil || !reflect.DeepEqual(limited, fs) {
			t.Fatalf("within the limits: %d features; without: %d features, %v", len(limited), len(fs), err)
		}
		if err != nil {
			checkReadError(t, err)
			return
		}
		// Round trip: what we read, written back, reads the same.
		again, err := readBytes([]byte(encodeFeatures(fs)))
		if err != nil {
			t.Fatalf("re-reading %d features: %v", len(fs), err)
		}
		if len(again) != len(fs) {
			t.Fatalf("round trip: %d features, want %d", len(again), len(fs))
		}
		for i := range fs {
			if !reflect.DeepEqual(again[i].Geometry, fs[i].Geometry) {
				t.Fatalf("round trip of feature %d: geometry %v, want %v", i, again[i].Geometry, fs[i].Geometry)
			}
		}
		// The mapping step on the same bytes: an error or comuni, no panic.
		r := NewGeoJSONReader(strings.NewReader(string(data)), "t.geojson", OpenOptions{})
		cs, rep, err := ReadComuni(context.Background(), r, ComuniOptions{})
		if err == nil && rep.Read != len(cs)+len(rep.Rejected) {
			t.Fatalf("ReadComuni: read %d, comuni %d, rejected %d", rep.Read, len(cs), len(rep.Rejected))
		}
	})
}

func readBytes(data []byte) ([]Feature, error) {
	return readBytesLimits(data, Limits{})
}

func readBytesLimits(data []byte, lim Limits) ([]Feature, error) {
	r := NewGeoJSONReader(strings.NewReader(string(data)), "t.geojson", OpenOptions{Limits: lim})
	var fs []Feature
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return fs, nil
		}
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
}

func checkReadError(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
		t.Fatalf("error %v (%T), want an Invalid *apperr.Error", err, err)
	}
	if !strings.HasPrefix(ae.Msg, "t.geojson:") {
		t.Fatalf("error message %q does not start with the file name", ae.Msg)
	}
}

// encodeFeatures writes features as a GeoJSON FeatureCollection (geometry
// only), the way the reader reads them back.
func encodeFeatures(fs []Feature) string {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, f := range fs {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"type":"Feature","properties":{},"geometry":`)
		writeGeometry(&b, f.Geometry)
		b.WriteString("}")
	}
	b.WriteString("]}")
	return b.String()
}

func writeGeometry(b *strings.Builder, g orb.Geometry) {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	pt := func(p orb.Point) string { return "[" + num(p[0]) + "," + num(p[1]) + "]" }
	pts := func(ps []orb.Point) string {
		s := make([]string, len(ps))
		for i, p := range ps {
			s[i] = pt(p)
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	poly := func(p orb.Polygon) string {
		s := make([]string, len(p))
		for i, r := range p {
			s[i] = pts(r)
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	switch g := g.(type) {
	case nil:
		b.WriteString("null")
	case orb.Point:
		fmt.Fprintf(b, `{"type":"Point","coordinates":%s}`, pt(g))
	case orb.MultiPoint:
		fmt.Fprintf(b, `{"type":"MultiPoint","coordinates":%s}`, pts(g))
	case orb.LineString:
		fmt.Fprintf(b, `{"type":"LineString","coordinates":%s}`, pts(g))
	case orb.MultiLineString:
		s := make([]string, len(g))
		for i, l := range g {
			s[i] = pts(l)
		}
		fmt.Fprintf(b, `{"type":"MultiLineString","coordinates":[%s]}`, strings.Join(s, ","))
	case orb.Polygon:
		fmt.Fprintf(b, `{"type":"Polygon","coordinates":%s}`, poly(g))
	case orb.MultiPolygon:
		s := make([]string, len(g))
		for i, p := range g {
			s[i] = poly(p)
		}
		fmt.Fprintf(b, `{"type":"MultiPolygon","coordinates":[%s]}`, strings.Join(s, ","))
	case orb.Collection:
		b.WriteString(`{"type":"GeometryCollection","geometries":[`)
		for i, m := range g {
			if i > 0 {
				b.WriteString(",")
			}
			writeGeometry(b, m)
		}
		b.WriteString("]}")
	default:
		panic(fmt.Sprintf("unexpected geometry %T", g))
	}
}

// FuzzShapeRecord feeds the .shp record decoder arbitrary bytes: an error or
// a geometry, never a panic or an allocation beyond the record.
func FuzzShapeRecord(f *testing.F) {
	dir := f.TempDir()
	shpPath := writeShapefile(f, dir, "seed", istatTestComuni(), shpOptions{})
	if b, err := os.ReadFile(shpPath); err == nil && len(b) > 100 {
		// Each record: 8-byte header, then content; seed with the contents.
		for at := 100; at+8 <= len(b); {
			n := 2 * (int(b[at+4])<<24 | int(b[at+5])<<16 | int(b[at+6])<<8 | int(b[at+7]))
			if at+8+n > len(b) {
				break
			}
			f.Add(b[at+8 : at+8+n])
			at += 8 + n
		}
	}
	f.Add([]byte{5, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return // the reader never passes less than the shape type
		}
		parseShape(data)
	})
}

// FuzzDBF feeds the .dbf reader arbitrary bytes.
func FuzzDBF(f *testing.F) {
	dir := f.TempDir()
	writeShapefile(f, dir, "seed", istatTestComuni(), shpOptions{})
	if b, err := os.ReadFile(filepath.Join(dir, "seed.dbf")); err == nil {
		f.Add(b, "")
		f.Add(b, "UTF-8")
		f.Add(b, "1252")
		// A header announcing more records than the file holds.
		lying := bytes.Clone(b)
		copy(lying[4:8], []byte{0xff, 0xff, 0xff, 0x7f})
		f.Add(lying, "")
	}
	f.Fuzz(func(t *testing.T, data []byte, cpg string) {
		d, err := newDBFReader(bytes.NewReader(data), cpg, int64(len(data)))
		if err != nil {
			return
		}
		// The count was checked against the file: every record is there.
		if d.records > 0 && int64(d.records)*int64(d.recLen) > int64(len(data)) {
			t.Fatalf("%d records of %d bytes announced in %d bytes, and the header was accepted", d.records, d.recLen, len(data))
		}
		for i := 0; i < 50; i++ {
			if _, _, err := d.next(); err != nil {
				return
			}
		}
	})
}
