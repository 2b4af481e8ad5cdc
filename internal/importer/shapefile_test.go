package importer

import (
	"archive/zip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/charmap"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
)

// istatPRJ is the .prj of ISTAT's "confini amministrativi" Shapefiles
// (WGS 84 / UTM zone 32N, ESRI WKT as ISTAT ships it).
const istatPRJ = `PROJCS["WGS_1984_UTM_Zone_32N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`

// testComune is one record of a test Shapefile in ISTAT's layout.
type testComune struct {
	code  string // PRO_COM_T; "" leaves the field blank
	name  string
	prov  int // COD_PROV, numeric as in ISTAT's DBF
	parts [][]shp.Point
}

// cwSquare is a square ring drawn clockwise, as Shapefile outer rings are.
func cwSquare(x, y, size float64) []shp.Point {
	return []shp.Point{{X: x, Y: y}, {X: x, Y: y + size}, {X: x + size, Y: y + size}, {X: x + size, Y: y}, {X: x, Y: y}}
}

// ccwSquare is a square ring drawn counter-clockwise, as Shapefile holes are.
func ccwSquare(x, y, size float64) []shp.Point {
	return []shp.Point{{X: x, Y: y}, {X: x + size, Y: y}, {X: x + size, Y: y + size}, {X: x, Y: y + size}, {X: x, Y: y}}
}

// Around Crema in EPSG:32632.
const x0, y0 = 550000.0, 5020000.0

// istatTestComuni: a comune with a hole, a multipart comune whose hole is
// listed before its own outer ring, a Latin-1 name, and a comune of
// another province.
func istatTestComuni() []testComune {
	return []testComune{
		{code: "019035", name: "Crema", prov: 19, parts: [][]shp.Point{
			cwSquare(x0, y0, 2000), ccwSquare(x0+500, y0+500, 1000),
		}},
		{code: "019036", name: "Cremona", prov: 19, parts: [][]shp.Point{
			cwSquare(x0+3000, y0, 1000), ccwSquare(x0+5200, y0+200, 200), cwSquare(x0+5000, y0, 1000),
		}},
		{code: "019010", name: "Cà d'Andrea", prov: 19, parts: [][]shp.Point{
			cwSquare(x0, y0+3000, 1000),
		}},
		{code: "016024", name: "Bergamo", prov: 16, parts: [][]shp.Point{
			cwSquare(x0, y0+6000, 1500),
		}},
	}
}

type shpOptions struct {
	utf8    bool   // write names in UTF-8 with a .cpg saying so; Latin-1 without .cpg otherwise
	prj     string // "" writes istatPRJ; "-" writes none
	noCode  bool   // leave out PRO_COM_T and PRO_COM
	corrupt func(dir, base string)
}

// writeShapefile writes cs as dir/base.shp (+ .shx, .dbf, .prj, .cpg) with
// the ISTAT fields and returns the .shp path.
func writeShapefile(tb testing.TB, dir, base string, cs []testComune, o shpOptions) string {
	tb.Helper()
	path := filepath.Join(dir, base+".shp")
	w, err := shp.Create(path, shp.POLYGON)
	if err != nil {
		tb.Fatal(err)
	}
	fields := []shp.Field{
		shp.StringField("PRO_COM_T", 6), shp.NumberField("PRO_COM", 6),
		shp.StringField("COMUNE", 40), shp.NumberField("COD_PROV", 3), shp.NumberField("COD_UTS", 3),
	}
	if err := w.SetFields(fields); err != nil {
		tb.Fatal(err)
	}
	latin1 := charmap.ISO8859_1.NewEncoder()
	for _, c := range cs {
		row := int(w.Write((*shp.Polygon)(shp.NewPolyLine(c.parts))))
		name := c.name
		if !o.utf8 {
			if name, err = latin1.String(c.name); err != nil {
				tb.Fatal(err)
			}
		}
		var procom int
		if c.code != "" && !o.noCode {
			for _, d := range c.code {
				procom = procom*10 + int(d-'0')
			}
			mustAttr(tb, w.WriteAttribute(row, 0, c.code))
			mustAttr(tb, w.WriteAttribute(row, 1, procom))
		}
		mustAttr(tb, w.WriteAttribute(row, 2, name))
		mustAttr(tb, w.WriteAttribute(row, 3, c.prov))
		mustAttr(tb, w.WriteAttribute(row, 4, c.prov))
	}
	w.Close()
	// go-shp v0.1.1 names the table "<base>dbf", without the dot.
	if err := os.Rename(filepath.Join(dir, base+"dbf"), filepath.Join(dir, base+".dbf")); err != nil {
		tb.Fatal(err)
	}
	switch o.prj {
	case "":
		writeFile(tb, filepath.Join(dir, base+".prj"), istatPRJ)
	case "-":
	default:
		writeFile(tb, filepath.Join(dir, base+".prj"), o.prj)
	}
	if o.utf8 {
		writeFile(tb, filepath.Join(dir, base+".cpg"), "UTF-8\n")
	}
	if o.corrupt != nil {
		o.corrupt(dir, base)
	}
	return path
}

func mustAttr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// zipFiles writes the files of each .shp in shps (with all their sidecar
// files) into zipPath under dirInZip/.
func zipFiles(tb testing.TB, zipPath, dirInZip string, shps ...string) string {
	tb.Helper()
	out, err := os.Create(zipPath)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for _, s := range shps {
		base := strings.TrimSuffix(filepath.Base(s), ".shp")
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(s), base+".*"))
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil {
				tb.Fatal(err)
			}
			f, err := zw.Create(dirInZip + "/" + filepath.Base(m))
			if err != nil {
				tb.Fatal(err)
			}
			f.Write(b)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	out.Close()
	return zipPath
}

// istatZip writes the test comuni as an ISTAT-like archive and returns its path.
func istatZip(tb testing.TB, o shpOptions) string {
	tb.Helper()
	dir := tb.TempDir()
	s := writeShapefile(tb, dir, "Com01012026_g_WGS84", istatTestComuni(), o)
	return zipFiles(tb, filepath.Join(dir, "Limiti01012026_g.zip"), "Com01012026_g", s)
}

func readShapefile(tb testing.TB, path string, opts OpenOptions) ([]Feature, geo.SRID, error) {
	tb.Helper()
	r, err := Open(path, opts)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	var fs []Feature
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return fs, r.SRID(), nil
		}
		if err != nil {
			return fs, r.SRID(), err
		}
		fs = append(fs, f)
	}
}

func TestShapefileReader(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"zipped, Latin-1 without .cpg", func(t *testing.T) string { return istatZip(t, shpOptions{}) }},
		{"zipped, UTF-8 with .cpg", func(t *testing.T) string { return istatZip(t, shpOptions{utf8: true}) }},
		{"unzipped .shp", func(t *testing.T) string {
			return writeShapefile(t, t.TempDir(), "comuni", istatTestComuni(), shpOptions{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, srid, err := readShapefile(t, tt.path(t), OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 4 || srid != geo.UTM32N {
				t.Fatalf("read %d features in %s, want 4 in EPSG:32632", len(fs), srid)
			}
			crema := fs[0].Geometry.(orb.MultiPolygon)
			if len(crema) != 1 || len(crema[0]) != 2 {
				t.Errorf("Crema = %d polygons, first with %d rings; want 1 with 2 (outer and hole)", len(crema), len(crema[0]))
			}
			if ringArea(crema[0][0]) <= 0 || ringArea(crema[0][1]) >= 0 {
				t.Errorf("Crema rings not oriented as RFC 7946 (outer counter-clockwise, hole clockwise)")
			}
			cremona := fs[1].Geometry.(orb.MultiPolygon)
			if len(cremona) != 2 || len(cremona[0]) != 1 || len(cremona[1]) != 2 {
				t.Errorf("Cremona = %v, want 2 polygons, the second with the hole", cremona)
			}
			tests := []struct{ key, want string }{
				{"COMUNE", "Cà d'Andrea"}, {"PRO_COM_T", "019010"}, {"pro_com", "19010"}, {"COD_PROV", "19"},
			}
			for _, p := range tests {
				if got, _, _ := fs[2].Properties.Text(p.key); got != p.want {
					t.Errorf("record 3 %s = %q, want %q", p.key, got, p.want)
				}
			}
			if fs[2].Ref() != "record 3" {
				t.Errorf("Ref = %q, want record 3", fs[2].Ref())
			}
		})
	}
}

func TestShapefileReaderErrors(t *testing.T) {
	truncate := func(ext string, keep int64) func(dir, base string) {
		return func(dir, base string) {
			if err := os.Truncate(filepath.Join(dir, base+ext), keep); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name string
		opts shpOptions
		want string
	}{
		{"no .prj", shpOptions{prj: "-"}, "no .prj file beside the .shp"},
		{"unknown .prj", shpOptions{prj: `PROJCS["Lambert_Somewhere",UNIT["Meter",1.0]]`}, `prj: unknown CRS: unknown CRS "Lambert_Somewhere"`},
		{"truncated .shp", shpOptions{corrupt: truncate(".shp", 300)}, "the .shp is truncated"},
		{"truncated .dbf", shpOptions{corrupt: truncate(".dbf", 300)}, "the .dbf is unreadable"},
		{"not a shapefile", shpOptions{corrupt: func(dir, base string) {
			writeFile(t, filepath.Join(dir, base+".shp"), strings.Repeat("x", 200))
		}}, "not a shapefile"},
		{"no .dbf", shpOptions{corrupt: func(dir, base string) { os.Remove(filepath.Join(dir, base+".dbf")) }}, "no .dbf file"},
		{"fewer records than shapes", shpOptions{corrupt: func(dir, base string) {
			// Overwrite the record count of the .dbf header with 3.
			f, err := os.OpenFile(filepath.Join(dir, base+".dbf"), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte{3, 0, 0, 0}, 4)
			f.Close()
		}}, "record 4: the .shp has more shapes than the 3 records of the .dbf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := istatZip(t, tt.opts)
			_, _, err := readShapefile(t, path, OpenOptions{})
			if err == nil {
				t.Fatalf("read: no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "Limiti01012026_g.zip") {
				t.Errorf("read: error %q, want it to name the file and contain %q", err, tt.want)
			}
			if k := apperr.KindOf(err); k != apperr.Invalid {
				t.Errorf("read: kind %v, want invalid", k)
			}
		})
	}
}

func TestShapefileLayers(t *testing.T) {
	dir := t.TempDir()
	com := writeShapefile(t, dir, "Com2026", istatTestComuni(), shpOptions{})
	prov := writeShapefile(t, dir, "ProvCM2026", istatTestComuni()[:1], shpOptions{})
	z := zipFiles(t, filepath.Join(dir, "two.zip"), "Limiti", com, prov)
	tests := []struct {
		name  string
		opts  OpenOptions
		wantN int
		want  string // error
	}{
		{"ambiguous", OpenOptions{}, 0, "the archive holds 2 shapefiles (Limiti/Com2026.shp, Limiti/ProvCM2026.shp); choose one with --layer"},
		{"preferred", OpenOptions{PreferLayer: "com"}, 4, ""},
		{"by name", OpenOptions{Layer: "provcm2026", PreferLayer: "com"}, 1, ""},
		{"by prefix", OpenOptions{Layer: "Prov"}, 1, ""},
		{"no such layer", OpenOptions{Layer: "Reg"}, 0, `no single layer "Reg"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _, err := readShapefile(t, z, tt.opts)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("read: error %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil || len(fs) != tt.wantN {
				t.Fatalf("read: %d features, %v; want %d", len(fs), err, tt.wantN)
			}
		})
	}
}

func TestAssemblePolygon(t *testing.T) {
	ring := func(ps []shp.Point) orb.Ring {
		r := make(orb.Ring, len(ps))
		for i, p := range ps {
			r[i] = orb.Point{p.X, p.Y}
		}
		return r
	}
	tests := []struct {
		name  string
		rings []orb.Ring
		want  []int // rings per polygon
	}{
		{"one outer", []orb.Ring{ring(cwSquare(0, 0, 10))}, []int{1}},
		{"hole first", []orb.Ring{ring(ccwSquare(2, 2, 2)), ring(cwSquare(0, 0, 10))}, []int{2}},
		{"island in a hole in an island", []orb.Ring{
			ring(cwSquare(0, 0, 100)), ring(ccwSquare(10, 10, 80)), ring(cwSquare(20, 20, 60)), ring(ccwSquare(30, 30, 10)),
		}, []int{2, 2}},
		{"hole touching its shell", []orb.Ring{ring(cwSquare(0, 0, 10)), ring(ccwSquare(0, 0, 5))}, []int{2}},
		{"orphan hole becomes an outer ring", []orb.Ring{ring(cwSquare(0, 0, 10)), ring(ccwSquare(20, 20, 5))}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp := assemblePolygon(tt.rings)
			var got []int
			for _, p := range mp {
				got = append(got, len(p))
				for j, r := range p {
					if (j == 0) != (ringArea(r) > 0) {
						t.Errorf("polygon ring %d is not oriented as RFC 7946", j)
					}
				}
			}
			if len(got) != len(tt.want) || !equalInts(got, tt.want) {
				t.Errorf("assemblePolygon = rings per polygon %v, want %v", got, tt.want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
