package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/testserver"
)

// gdalBudget bounds one GDAL command.
const gdalBudget = 2 * time.Minute

// gdalCremasco is a generous box around the Cremasco, with room for the
// buffer of a vector tile.
var gdalCremasco = orb.Bound{Min: orb.Point{9.3, 45.1}, Max: orb.Point{10.0, 45.6}}

// gdalCremaTile is a zoom-12 tile that holds a point inside Crema.
var gdalCremaTile = maptile.New(2158, 1467, 12)

// requireGDAL returns the path of a GDAL command-line tool, failing the
// test when it is not installed.
func requireGDAL(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found (%v): GDAL is the reference client of the API; run `make test`, which installs gdal-bin", tool, err)
	}
	return p
}

// gdal runs a GDAL tool and returns its standard output; a non-zero exit
// or an ERROR line on standard error fails the test.
func gdal(t *testing.T, tool string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gdalBudget)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	// The server is local; a proxy in the environment must not see it.
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		// /vsicurl/ must not list "directories" of the tile URL.
		"GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || strings.Contains(stderr.String(), "ERROR") {
		t.Fatalf("%s %s: %v\nstderr:\n%s\nstdout:\n%.2000s", filepath.Base(tool), strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String()
}

// readGeoJSON decodes a GeoJSON file that ogr2ogr wrote.
func readGeoJSON(t *testing.T, path string) *geojson.FeatureCollection {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fc
}

// codes returns the sorted istat_code properties of fc.
func codes(fc *geojson.FeatureCollection) []string {
	var out []string
	for _, f := range fc.Features {
		out = append(out, f.Properties.MustString("istat_code", ""))
	}
	slices.Sort(out)
	return out
}

// clientErrors lists the routes that answered 4xx or 5xx so far, from the
// server's request metrics.
func clientErrors(t *testing.T, s *testserver.Server) []string {
	t.Helper()
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^atlante_http_request_duration_seconds_count\{(.*status="[45]\d\d".*)\} (\d+)$`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1]+": "+m[2])
	}
	return out
}

// extentRE matches ogrinfo's "Extent: (minx, miny) - (maxx, maxy)".
var extentRE = regexp.MustCompile(`Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)`)

// TestGdalOAPIF reads the service with GDAL's OGC API – Features driver:
// the collection listing, the layer summary, a full export and filters that
// GDAL passes on to the server. None of GDAL's requests may be refused.
func TestGdalOAPIF(t *testing.T) {
	ogrinfo, ogr2ogr := requireGDAL(t, "ogrinfo"), requireGDAL(t, "ogr2ogr")
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	src := "OAPIF:" + s.URL + "/"

	t.Run("list", func(t *testing.T) {
		out := gdal(t, ogrinfo, "-ro", src)
		if !regexp.MustCompile(`(?m)^\d+: comuni \(title: Comuni\) \(Multi Polygon\)$`).MatchString(out) {
			t.Errorf("ogrinfo %s does not list comuni as a Multi Polygon layer:\n%s", src, out)
		}
	})

	t.Run("summary", func(t *testing.T) {
		out := gdal(t, ogrinfo, "-ro", "-so", src, "comuni")
		for _, want := range []string{"Layer name: comuni", "Geometry: Multi Polygon", "Feature Count: 48", "istat_code: String", "consortium: Integer(Boolean)", "area_km2: Real"} {
			if !strings.Contains(out, want) {
				t.Errorf("ogrinfo -so: no %q in\n%s", want, out)
			}
		}
		m := extentRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("ogrinfo -so: no extent in\n%s", out)
		}
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		if !gdalCremasco.Contains(orb.Point{v[0], v[1]}) || !gdalCremasco.Contains(orb.Point{v[2], v[3]}) {
			t.Errorf("extent %v, want it inside the Cremasco %v (lon, lat order)", v, gdalCremasco)
		}
	})

	t.Run("export", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "comuni.geojson")
		gdal(t, ogr2ogr, "-f", "GeoJSON", out, src, "comuni")
		fc := readGeoJSON(t, out)
		cs := codes(fc)
		if len(cs) != 48 || len(slices.Compact(slices.Clone(cs))) != 48 {
			t.Fatalf("ogr2ogr wrote %d features (%d distinct codes), want 48", len(cs), len(slices.Compact(slices.Clone(cs))))
		}
		for _, f := range fc.Features {
			if !gdalCremasco.Contains(f.Geometry.Bound().Min) || !gdalCremasco.Contains(f.Geometry.Bound().Max) {
				t.Errorf("%s: bound %v outside the Cremasco", f.Properties.MustString("istat_code", ""), f.Geometry.Bound())
			}
			if f.Properties.MustString("name", "") == "" {
				t.Errorf("%v: no name", f.Properties)
			}
		}
		if !slices.Contains(cs, "019035") {
			t.Errorf("no Crema (019035) among %v", cs)
		}
	})

	t.Run("filters", func(t *testing.T) {
		// GDAL turns equality conditions on the filterable properties it
		// found in the OpenAPI document into query parameters, and -spat
		// into bbox; the server's own answers are the reference.
		tests := []struct {
			name  string
			args  []string
			query string // the same selection as an items query
		}{
			{"name", []string{"-where", "name = 'Crema'"}, "name=Crema"},
			{"istat_code", []string{"-where", "istat_code = '019035'"}, "istat_code=019035"},
			{"boolean_true", []string{"-where", "consortium = 1"}, "consortium=true"},
			{"boolean_false", []string{"-where", "consortium = 0"}, "consortium=false"},
			{"bbox", []string{"-spat", "9.6", "45.3", "9.7", "45.4"}, "bbox=9.6,45.3,9.7,45.4"},
			{"bbox_and_name", []string{"-spat", "9.6", "45.3", "9.7", "45.4", "-where", "name = 'Crema'"}, "bbox=9.6,45.3,9.7,45.4&name=Crema"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out.geojson")
				gdal(t, ogr2ogr, append([]string{"-f", "GeoJSON", out, src, "comuni"}, tt.args...)...)
				got := codes(readGeoJSON(t, out))
				if want := serverCodes(t, s, tt.query); !slices.Equal(got, want) {
					t.Errorf("ogr2ogr %v: got %v, want %v (items?%s)", tt.args, got, want, tt.query)
				}
			})
		}
		if got := serverCodes(t, s, "name=Crema"); !slices.Equal(got, []string{"019035"}) {
			t.Errorf("items?name=Crema = %v, want [019035]", got)
		}
	})

	t.Run("cql2", func(t *testing.T) {
		// The server lists cql-text among the filter languages of its
		// OpenAPI document, so GDAL sends the whole -where as a CQL2
		// filter (its debug trace shows the request); the features must
		// be those of the same condition in SQL.
		tests := []struct{ where, sql string }{
			{"name LIKE 'ripalta%'", "name ILIKE 'ripalta%'"},
			{"name ILIKE 'RIPALTA C%'", "name ILIKE 'ripalta c%'"},
			{"area_km2 > 20 AND consortium = 1", "area_km2 > 20 AND consortium"},
			{"name = 'Crema' OR name = 'Pianengo'", "name IN ('Crema', 'Pianengo')"},
			{"NOT (area_km2 < 10) AND name <> 'Crema'", "area_km2 >= 10 AND name <> 'Crema'"},
			{"cadastral_code IS NULL OR name = 'Moscazzano'", "cadastral_code IS NULL OR name = 'Moscazzano'"},
			{"name = 'Nessuno'", "false"},
		}
		for _, tt := range tests {
			t.Run(tt.where, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out.geojson")
				_, trace := gdalTrace(t, ogr2ogr, "-f", "GeoJSON", out, src, "comuni", "-where", tt.where)
				if !strings.Contains(trace, "filter=") || !strings.Contains(trace, "filter-lang=cql-text") {
					t.Errorf("GDAL did not send -where %q as a filter; its requests:\n%s", tt.where, requests(trace))
				}
				if got, want := codes(readGeoJSON(t, out)), sqlCodes(t, s, tt.sql); !slices.Equal(got, want) {
					t.Errorf("ogr2ogr -where %q: %v, SQL %q: %v", tt.where, got, tt.sql, want)
				}
			})
		}
	})

	// Every request GDAL made was understood: an unknown parameter or a
	// refused filter value shows up here even when GDAL hides it.
	if errs := clientErrors(t, s); len(errs) > 0 {
		t.Errorf("the server refused requests from GDAL:\n%s", strings.Join(errs, "\n"))
	}
}

// sqlCodes returns the sorted istat codes of the comuni that satisfy cond,
// in SQL.
func sqlCodes(t *testing.T, s *testserver.Server, cond string) []string {
	t.Helper()
	rows, err := s.DB.Read.Query(context.Background(), "SELECT istat_code FROM comuni WHERE "+cond+" ORDER BY istat_code")
	if err != nil {
		t.Fatalf("%s: %v", cond, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", cond, err)
	}
	return out
}

// serverCodes returns the sorted istat codes of an items query.
func serverCodes(t *testing.T, s *testserver.Server, query string) []string {
	t.Helper()
	res, err := http.Get(s.URL + "/collections/comuni/items?limit=1000&" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("items?%s: status %d: %.300s", query, res.StatusCode, b)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatalf("items?%s: %v", query, err)
	}
	return codes(fc)
}

// TestGdalMVT opens vector tiles of the service with GDAL's MVT driver,
// from a file and straight from the URL through /vsicurl/.
func TestGdalMVT(t *testing.T) {
	ogrinfo, ogr2ogr := requireGDAL(t, "ogrinfo"), requireGDAL(t, "ogr2ogr")
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	tile := gdalCremaTile
	tileURL := fmt.Sprintf("%s/tiles/comuni/%d/%d/%d.mvt", s.URL, tile.Z, tile.X, tile.Y)

	t.Run("file", func(t *testing.T) {
		res, err := http.Get(tileURL)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d, %v", tileURL, res.StatusCode, err)
		}
		// The driver reads z/x/y from a {z}/{x}/{y}.mvt path and then knows
		// where the tile is (EPSG:3857); otherwise it reports tile units.
		dir := filepath.Join(t.TempDir(), fmt.Sprint(tile.Z), fmt.Sprint(tile.X))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("%d.mvt", tile.Y))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		info := gdal(t, ogrinfo, "-ro", "-so", "MVT:"+path, "comuni")
		for _, want := range []string{"Layer name: comuni", "Pseudo-Mercator", "istat_code: String", "name: String"} {
			if !strings.Contains(info, want) {
				t.Errorf("ogrinfo MVT: no %q in\n%s", want, info)
			}
		}
		out := filepath.Join(t.TempDir(), "tile.geojson")
		gdal(t, ogr2ogr, "-f", "GeoJSON", "-t_srs", "EPSG:4326", out, "MVT:"+path, "comuni")
		fc := readGeoJSON(t, out)
		cs := codes(fc)
		if !slices.Contains(cs, "019035") {
			t.Errorf("GDAL found %v in tile %v, want Crema (019035) among them", cs, tile)
		}
		for _, f := range fc.Features {
			b := f.Geometry.Bound()
			if !gdalCremasco.Contains(b.Min) || !gdalCremasco.Contains(b.Max) {
				t.Errorf("%s: bound %v outside the Cremasco: the tile is not where GDAL thinks", f.Properties.MustString("istat_code", ""), b)
			}
		}
	})

	t.Run("vsicurl", func(t *testing.T) {
		out := gdal(t, ogrinfo, "-ro", "-al", "-q", "MVT:/vsicurl/"+tileURL)
		if !strings.Contains(out, "istat_code (String) = 019035") {
			t.Errorf("ogrinfo MVT:/vsicurl/%s: no Crema in\n%.3000s", tileURL, out)
		}
	})
}
