package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
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

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
	"github.com/cremasco/atlante/internal/testserver"
)

// systemPython is Debian's Python, the one python3-qgis and python3-owslib
// install into (a python3 earlier on PATH, e.g. pyenv's, lacks them).
const systemPython = "/usr/bin/python3"

// pythonBudget bounds one client script; QGIS reads every collection,
// sixty thousand civic numbers among them.
const pythonBudget = 6 * time.Minute

// requirePython fails the test unless the system Python imports module.
func requirePython(t *testing.T, module, pkg string) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import "+module).CombinedOutput()
	if err != nil {
		t.Fatalf("%s cannot import %s (%v: %s): it is a real client of the API; run `make test`, which installs %s",
			systemPython, module, err, out, pkg)
	}
}

// runPython runs a script of testdata with the request as a JSON file
// and decodes the JSON it prints into v.
func runPython(t *testing.T, script string, req, v any) {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pythonBudget)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemPython, filepath.Join("testdata", script), in)
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		"XDG_RUNTIME_DIR="+t.TempDir())
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%.3000s", systemPython, script, err, stderr.String())
	}
	if err := json.Unmarshal([]byte(stdout.String()), v); err != nil {
		t.Fatalf("%s: %v: %.2000s\nstderr:\n%.2000s", script, err, stdout.String(), stderr.String())
	}
}

// clientsFixture prepares the demo for the questions the clients ask:
// ten scenarios last changed in 2025 (a datetime split), and energy sites
// whose first page holds whole kW only while a later site has 12.5 kW
// (the value GDAL and QGIS used to lose).
func clientsFixture(t *testing.T, s *testserver.Server) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`ALTER TABLE cp_scenarios DISABLE TRIGGER cp_scenarios_row_version, DISABLE TRIGGER cp_scenarios_plan_open`,
		`UPDATE cp_scenarios SET updated_at = '2025-06-01T12:00:00Z' WHERE id IN (SELECT id FROM cp_scenarios ORDER BY id LIMIT 10)`,
		`ALTER TABLE cp_scenarios ENABLE TRIGGER cp_scenarios_row_version, ENABLE TRIGGER cp_scenarios_plan_open`,
		`UPDATE cer_sites SET pv_kw = ceil(pv_kw)`,
		`UPDATE cer_sites SET pv_kw = 12.5 WHERE id = (SELECT max(id) FROM cer_sites WHERE kind <> 'consumer')`,
	} {
		if _, err := s.DB.Write.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// serverCollection is what the server says of a collection.
type serverCollection struct {
	layer         *catalog.Layer
	geometryType  string
	numberMatched int
	withValue     map[string]bool // property → the layer holds a non-null value of it
}

func serverCollections(t *testing.T, s *testserver.Server) []serverCollection {
	t.Helper()
	var cs struct {
		Collections []struct {
			ID           string `json:"id"`
			GeometryType string `json:"geometryType"`
		} `json:"collections"`
	}
	getJSON(t, s.URL+"/collections", &cs)
	var out []serverCollection
	for _, c := range cs.Collections {
		l, ok := s.Catalog.Layer(c.ID)
		if !ok {
			t.Fatalf("collection %s is not in the catalog", c.ID)
		}
		var page struct {
			NumberMatched int `json:"numberMatched"`
		}
		getJSON(t, s.URL+"/collections/"+c.ID+"/items?limit=1", &page)
		sc := serverCollection{layer: l, geometryType: c.GeometryType, numberMatched: page.NumberMatched, withValue: map[string]bool{}}
		for _, p := range l.FeatureProperties() {
			var has bool
			q := "SELECT EXISTS (SELECT 1 FROM " + l.Table.Sanitize() + " WHERE " + pgx.Identifier{p.Name}.Sanitize() + " IS NOT NULL)"
			if err := s.DB.Read.QueryRow(context.Background(), q).Scan(&has); err != nil {
				t.Fatal(err)
			}
			sc.withValue[p.Name] = has
		}
		if page.NumberMatched == 0 {
			t.Fatalf("collection %s is empty in the demo: the clients would prove nothing", c.ID)
		}
		out = append(out, sc)
	}
	return out
}

// TestGISClients reads every collection of the demo with the clients the
// comuni use — QGIS (OAPIF and vector tiles), GDAL (OAPIF) and OWSLib — and
// compares what each RECEIVED with the catalog and the server: geometry
// types, feature counts, field types, ids, fractional numbers, a datetime
// filter, queryables and paging. No request of theirs may be refused.
func TestGISClients(t *testing.T) {
	ogrinfo, ogr2ogr := requireGDAL(t, "ogrinfo"), requireGDAL(t, "ogr2ogr")
	requirePython(t, "qgis.core", "python3-qgis")
	requirePython(t, "owslib.ogcapi.features", "python3-owslib")
	s := testserver.Start(t, testserver.Options{Timeout: time.Minute})
	clientsFixture(t, s)
	cols := serverCollections(t, s)
	if len(cols) != len(s.Catalog.Layers()) {
		t.Fatalf("%d collections served, %d in the catalog", len(cols), len(s.Catalog.Layers()))
	}
	var ids []string
	for _, c := range cols {
		ids = append(ids, c.layer.ID)
	}
	sites := siteKW(t, s)

	t.Run("QGIS", func(t *testing.T) { testQGIS(t, s, cols, ids, sites) })
	t.Run("GDAL", func(t *testing.T) { testGDALTypes(t, s, cols, ogrinfo, ogr2ogr, sites) })
	t.Run("OWSLib", func(t *testing.T) { testOWSLib(t, s, ids) })

	if errs := clientErrors(t, s); len(errs) > 0 {
		t.Errorf("the server refused requests of the clients:\n%s", strings.Join(errs, "\n"))
	}
}

// siteKW returns pv_kw of every energy site as the server serves it, and
// checks that the fixture holds: whole numbers first, then 12.5.
func siteKW(t *testing.T, s *testserver.Server) map[int64]float64 {
	t.Helper()
	var fc struct {
		Features []struct {
			ID         int64 `json:"id"`
			Properties struct {
				PVkW float64 `json:"pv_kw"`
			} `json:"properties"`
		} `json:"features"`
	}
	getJSON(t, s.URL+"/collections/energy-sites/items?limit=1000", &fc)
	out := map[int64]float64{}
	for i, f := range fc.Features {
		out[f.ID] = f.Properties.PVkW
		if i < 10 && f.Properties.PVkW != math.Trunc(f.Properties.PVkW) {
			t.Fatalf("site %d on the first page has %v kW: the fixture wants whole numbers there", f.ID, f.Properties.PVkW)
		}
	}
	if !slices.Contains(slices.Collect(func(yield func(float64) bool) {
		for _, v := range out {
			if !yield(v) {
				return
			}
		}
	}), 12.5) || len(fc.Features) <= 10 {
		t.Fatalf("no site of 12.5 kW after the first page of 10: %v", out)
	}
	return out
}

// qgisType is the QGIS field type of a catalog type.
func qgisType(t catalog.Type) []string {
	return map[catalog.Type][]string{
		catalog.String: {"String"}, catalog.Integer: {"Integer", "Integer64"}, catalog.Number: {"Real"},
		catalog.Boolean: {"Boolean"}, catalog.Date: {"Date"}, catalog.DateTime: {"DateTime"},
	}[t]
}

func testQGIS(t *testing.T, s *testserver.Server, cols []serverCollection, ids []string, sites map[int64]float64) {
	// The vector tiles of the comuni, drawn with a style that fills Crema
	// only: red inside Crema, nothing in a neighbour.
	var inLon, inLat, outLon, outLat float64
	if err := s.DB.Read.QueryRow(context.Background(), `
		WITH c AS (SELECT geom FROM comuni WHERE istat_code = '019035'),
		     n AS (SELECT o.geom FROM comuni o, c WHERE o.istat_code <> '019035' ORDER BY o.geom <-> ST_Centroid(c.geom) LIMIT 1)
		SELECT ST_X(ST_PointOnSurface(c.geom)), ST_Y(ST_PointOnSurface(c.geom)), ST_X(ST_PointOnSurface(n.geom)), ST_Y(ST_PointOnSurface(n.geom)) FROM c, n`,
	).Scan(&inLon, &inLat, &outLon, &outLat); err != nil {
		t.Fatal(err)
	}
	req := map[string]any{
		"url":         s.URL,
		"collections": ids,
		"values":      map[string][]string{"energy-sites": {"id", "pv_kw"}, "plan-status": {"istat_code", "validated_at", "validated_version"}},
		"tiles": map[string]any{"url": s.URL + "/tiles/comuni/%7Bz%7D/%7Bx%7D/%7By%7D.mvt", "layer": "comuni",
			"field": "istat_code", "value": "019035", "inside": []float64{inLon, inLat}, "outside": []float64{outLon, outLat}},
	}
	var got struct {
		Layers map[string]struct {
			Valid    bool             `json:"valid"`
			Provider string           `json:"provider"`
			Geometry string           `json:"geometry"`
			Count    int              `json:"count"`
			Iterated int              `json:"iterated"`
			Fields   [][2]string      `json:"fields"`
			Values   []map[string]any `json:"values"`
		} `json:"layers"`
		Tiles struct {
			Valid   bool     `json:"valid"`
			Errors  []string `json:"errors"`
			Inside  [3]int   `json:"inside"`
			Outside [3]int   `json:"outside"`
		} `json:"tiles"`
	}
	runPython(t, "qgis_layers.py", req, &got)

	for _, c := range cols {
		l, q := c.layer, got.Layers[c.layer.ID]
		if !q.Valid || q.Provider != "OAPIF" {
			t.Errorf("%s: QGIS did not open it (valid %v, provider %q)", l.ID, q.Valid, q.Provider)
			continue
		}
		if q.Geometry != c.geometryType {
			t.Errorf("%s: QGIS types the layer %s, the server serves %s", l.ID, q.Geometry, c.geometryType)
		}
		if q.Count != c.numberMatched || q.Iterated != c.numberMatched {
			t.Errorf("%s: QGIS counts %d and reads %d features, the server has %d", l.ID, q.Count, q.Iterated, c.numberMatched)
		}
		fields := map[string]string{}
		for _, f := range q.Fields {
			fields[f[0]] = f[1]
		}
		for _, p := range l.FeatureProperties() {
			gotType, ok := fields[p.Name]
			switch {
			case !ok:
				t.Errorf("%s: QGIS has no field %s (fields %v)", l.ID, p.Name, q.Fields)
			case !slices.Contains(qgisType(p.Type), gotType) && c.withValue[p.Name]:
				t.Errorf("%s: QGIS types %s as %s, the catalog as %s", l.ID, p.Name, gotType, p.Type)
			case !slices.Contains(qgisType(p.Type), gotType):
				// QGIS types fields from the first page only; a property
				// null everywhere cannot be typed from data.
				t.Logf("%s: %s is null in every feature; QGIS types it %s", l.ID, p.Name, gotType)
			}
		}
	}

	// What QGIS read: 12.5 kW stays 12.5 after a first page of whole kW.
	qs := got.Layers["energy-sites"].Values
	if len(qs) != len(sites) {
		t.Errorf("QGIS read %d sites, the server has %d", len(qs), len(sites))
	}
	for _, v := range qs {
		id := int64(v["id"].(float64))
		if kw, _ := v["pv_kw"].(float64); kw != sites[id] {
			t.Errorf("site %d: QGIS read pv_kw %v, the server serves %v", id, v["pv_kw"], sites[id])
		}
	}
	// Validation dates arrive as dates, null or not.
	var plans struct {
		Plans []struct {
			ISTAT            string     `json:"istat_code"`
			ValidatedAt      *time.Time `json:"validated_at"`
			ValidatedVersion *int       `json:"validated_version"`
		} `json:"plans"`
	}
	getJSON(t, s.URL+"/civil-protection/plans", &plans)
	read := map[string]map[string]any{}
	for _, v := range got.Layers["plan-status"].Values {
		read[v["istat_code"].(string)] = v
	}
	validated := 0
	for _, p := range plans.Plans {
		v, ok := read[p.ISTAT]
		if !ok {
			continue // a comune outside the consortium
		}
		switch {
		case p.ValidatedAt == nil && v["validated_at"] != nil:
			t.Errorf("plan %s: QGIS read validated_at %v, the server has none", p.ISTAT, v["validated_at"])
		case p.ValidatedAt != nil:
			validated++
			at, err := time.Parse("2006-01-02T15:04:05.000", fmt.Sprint(v["validated_at"]))
			if err != nil || !at.Equal(p.ValidatedAt.UTC()) {
				t.Errorf("plan %s: QGIS read validated_at %v, the server has %v", p.ISTAT, v["validated_at"], p.ValidatedAt)
			}
			if vv, _ := v["validated_version"].(float64); int(vv) != *p.ValidatedVersion {
				t.Errorf("plan %s: QGIS read validated_version %v, the server has %d", p.ISTAT, v["validated_version"], *p.ValidatedVersion)
			}
		}
	}
	if validated == 0 {
		t.Errorf("no validated plan compared: the demo has some")
	}

	tl := got.Tiles
	if !tl.Valid || len(tl.Errors) > 0 {
		t.Errorf("QGIS vector tile layer: valid %v, errors %v", tl.Valid, tl.Errors)
	}
	if tl.Inside != [3]int{255, 0, 0} || tl.Outside != [3]int{255, 255, 255} {
		t.Errorf("QGIS drew %v inside Crema (%.5f, %.5f) and %v in its neighbour (%.5f, %.5f); want red, then white",
			tl.Inside, inLon, inLat, tl.Outside, outLon, outLat)
	}
}

// gdalType is the type ogrinfo prints for a field of a catalog type.
func gdalType(t catalog.Type) []string {
	return map[catalog.Type][]string{
		catalog.String: {"String"}, catalog.Integer: {"Integer", "Integer64"}, catalog.Number: {"Real"},
		catalog.Boolean: {"Integer(Boolean)"}, catalog.Date: {"Date"}, catalog.DateTime: {"DateTime"},
	}[t]
}

// ogrGeometry is ogrinfo's name of a GeoJSON geometry type.
var ogrGeometry = map[string]string{"Point": "Point", "MultiPoint": "Multi Point", "LineString": "Line String",
	"MultiLineString": "Multi Line String", "Polygon": "Polygon", "MultiPolygon": "Multi Polygon"}

var (
	ogrFieldRE    = regexp.MustCompile(`(?m)^([a-z_][a-z0-9_]*): ([A-Za-z0-9()]+) \(`)
	ogrGeometryRE = regexp.MustCompile(`(?m)^Geometry: (.+)$`)
	ogrCountRE    = regexp.MustCompile(`(?m)^Feature Count: (\d+)$`)
)

func testGDALTypes(t *testing.T, s *testserver.Server, cols []serverCollection, ogrinfo, ogr2ogr string, sites map[int64]float64) {
	src := "OAPIF:" + s.URL + "/"
	for _, c := range cols {
		l := c.layer
		t.Run(l.ID, func(t *testing.T) {
			out := gdal(t, ogrinfo, "-ro", "-so", src, l.ID)
			if m := ogrGeometryRE.FindStringSubmatch(out); m == nil || m[1] != ogrGeometry[c.geometryType] {
				t.Errorf("GDAL geometry %v, the server serves %s", m, c.geometryType)
			}
			if m := ogrCountRE.FindStringSubmatch(out); m == nil || m[1] != strconv.Itoa(c.numberMatched) {
				t.Errorf("GDAL feature count %v, the server has %d", m, c.numberMatched)
			}
			fields := map[string]string{}
			var names []string
			for _, m := range ogrFieldRE.FindAllStringSubmatch(out, -1) {
				fields[m[1]] = m[2]
				names = append(names, m[1])
			}
			for _, p := range l.FeatureProperties() {
				// GDAL reads the types from the describedBy schema: even a
				// property null on every feature is typed.
				if !slices.Contains(gdalType(p.Type), fields[p.Name]) {
					t.Errorf("GDAL types %s as %q, the catalog as %s", p.Name, fields[p.Name], p.Type)
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
				t.Errorf("GDAL lists a field twice: %v", names)
			}
		})
	}

	t.Run("datetime", func(t *testing.T) {
		// GDAL sends a comparison on a date-time field as a CQL2 filter
		// (the server lists cql-text), quoting the time as a string, which
		// the server reads as a timestamp.
		out := filepath.Join(t.TempDir(), "recent.geojson")
		_, trace := gdalTrace(t, ogr2ogr, "-f", "GeoJSON", out, src, "scenarios", "-where", "updated_at > '2026-01-01T00:00:00Z'")
		if !strings.Contains(trace, "filter=updated_at%20%3E%20'2026-01-01T00%3A00%3A00Z'&filter-lang=cql-text") {
			t.Errorf("GDAL did not send the condition as a filter; its requests:\n%s", requests(trace))
		}
		got := featureIDs(t, out)
		want := serverIDs(t, s, "scenarios", url.Values{"datetime": {"2026-01-01T00:00:00Z/.."}})
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("ogr2ogr -where updated_at > 2026: ids %v, the server's %v", got, want)
		}
		all := serverIDs(t, s, "scenarios", nil)
		if len(want) != len(all)-10 {
			t.Errorf("%d scenarios changed since 2026 of %d, the fixture made 10 older", len(want), len(all))
		}
	})

	t.Run("ids", func(t *testing.T) {
		// The id survives ogr2ogr to GeoJSON and to GeoPackage.
		want := serverIDs(t, s, "civici", url.Values{"istat_code": {"019035"}})
		for _, format := range []string{"GeoJSON", "GPKG"} {
			out := filepath.Join(t.TempDir(), "civici."+strings.ToLower(format))
			gdal(t, ogr2ogr, "-f", format, out, src, "civici", "-where", "istat_code = '019035'")
			asJSON := out
			if format == "GPKG" {
				asJSON = filepath.Join(t.TempDir(), "from-gpkg.geojson")
				gdal(t, ogr2ogr, "-f", "GeoJSON", asJSON, out)
			}
			if got := featureIDs(t, asJSON); !slices.Equal(got, want) || len(want) < 100 {
				t.Errorf("ogr2ogr to %s: ids %.20v… (%d), the server's %.20v… (%d)", format, got, len(got), want, len(want))
			}
		}
	})

	t.Run("fractions", func(t *testing.T) {
		for _, format := range []string{"GeoJSON", "GPKG"} {
			out := filepath.Join(t.TempDir(), "sites."+strings.ToLower(format))
			gdal(t, ogr2ogr, "-f", format, out, src, "energy-sites")
			asJSON := out
			if format == "GPKG" {
				asJSON = filepath.Join(t.TempDir(), "from-gpkg.geojson")
				gdal(t, ogr2ogr, "-f", "GeoJSON", asJSON, out)
			}
			fc := readGeoJSON(t, asJSON)
			if len(fc.Features) != len(sites) {
				t.Errorf("ogr2ogr to %s wrote %d sites, the server has %d", format, len(fc.Features), len(sites))
			}
			for _, f := range fc.Features {
				id := int64(f.Properties.MustFloat64("id", -1))
				if kw := f.Properties.MustFloat64("pv_kw", -1); kw != sites[id] {
					t.Errorf("ogr2ogr to %s: site %d pv_kw %v, the server serves %v", format, id, kw, sites[id])
				}
			}
		}
	})
}

// gdalTrace runs a GDAL tool with CPL_DEBUG on and returns its standard
// output and its trace (standard error), failing on an error.
func gdalTrace(t *testing.T, tool string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gdalBudget)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost", "CPL_DEBUG=ON")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || strings.Contains(stderr.String(), "ERROR") {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(tool), strings.Join(args, " "), err, requests(stderr.String()))
	}
	return stdout.String(), stderr.String()
}

// requests keeps the HTTP requests and errors of a GDAL trace.
func requests(trace string) string {
	var out []string
	for _, line := range strings.Split(trace, "\n") {
		if strings.Contains(line, "Fetch(") || strings.Contains(line, "ERROR") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// featureIDs returns the sorted id properties of a GeoJSON file.
func featureIDs(t *testing.T, path string) []int64 {
	t.Helper()
	var out []int64
	for _, f := range readGeoJSON(t, path).Features {
		id, ok := f.Properties["id"].(float64)
		if !ok {
			t.Fatalf("%s: a feature without its id: %v", path, f.Properties)
		}
		out = append(out, int64(id))
	}
	slices.Sort(out)
	return out
}

// serverIDs returns the sorted ids of an items query.
func serverIDs(t *testing.T, s *testserver.Server, collection string, q url.Values) []int64 {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", "10000")
	var fc struct {
		Features []struct {
			ID int64 `json:"id"`
		} `json:"features"`
		NumberMatched int `json:"numberMatched"`
	}
	getJSON(t, s.URL+"/collections/"+collection+"/items?"+q.Encode(), &fc)
	if fc.NumberMatched != len(fc.Features) {
		t.Fatalf("%s?%s: %d of %d features in one page", collection, q.Encode(), len(fc.Features), fc.NumberMatched)
	}
	var out []int64
	for _, f := range fc.Features {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}

func testOWSLib(t *testing.T, s *testserver.Server, ids []string) {
	req := map[string]any{
		"url":      s.URL,
		"page":     map[string]any{"collection": "scenarios", "limit": 7},
		"datetime": map[string]any{"collection": "scenarios", "value": "2026-01-01T00:00:00Z/.."},
		"big":      map[string]any{"collection": "civici", "limit": 20000},
	}
	var got struct {
		Collections []string `json:"collections"`
		Queryables  map[string]struct {
			ID         string   `json:"id"`
			Properties []string `json:"properties"`
		} `json:"queryables"`
		Paged struct {
			IDs           []int64 `json:"ids"`
			Pages         int     `json:"pages"`
			NumberMatched int     `json:"numberMatched"`
		} `json:"paged"`
		Datetime struct {
			NumberMatched int      `json:"numberMatched"`
			UpdatedAt     []string `json:"updated_at"`
		} `json:"datetime"`
		Big struct {
			NumberReturned int    `json:"numberReturned"`
			Features       int    `json:"features"`
			NumberMatched  int    `json:"numberMatched"`
			Next           string `json:"next"`
		} `json:"big"`
	}
	runPython(t, "owslib_client.py", req, &got)

	if !slices.Equal(got.Collections, ids) {
		t.Errorf("OWSLib lists the feature collections %v, the server %v", got.Collections, ids)
	}
	for _, id := range ids {
		l, _ := s.Catalog.Layer(id)
		q := got.Queryables[id]
		var want []string
		for _, qa := range features.Queryables(l) {
			want = append(want, qa.Name)
		}
		if q.ID != s.URL+"/collections/"+id+"/queryables" || !slices.Equal(q.Properties, want) {
			t.Errorf("%s: OWSLib read queryables %s %v, want %v", id, q.ID, q.Properties, want)
		}
	}

	all := serverIDs(t, s, "scenarios", nil)
	paged := slices.Clone(got.Paged.IDs)
	slices.Sort(paged)
	if !slices.Equal(paged, all) || got.Paged.NumberMatched != len(all) || got.Paged.Pages != len(all)/7+1 {
		t.Errorf("OWSLib paged %d scenarios in %d pages (numberMatched %d); the server has %d",
			len(got.Paged.IDs), got.Paged.Pages, got.Paged.NumberMatched, len(all))
	}

	if got.Datetime.NumberMatched != len(all)-10 || len(got.Datetime.UpdatedAt) != len(all)-10 {
		t.Errorf("OWSLib datetime=2026-01-01T00:00:00Z/..: %d matched (%d read), want %d", got.Datetime.NumberMatched, len(got.Datetime.UpdatedAt), len(all)-10)
	}
	for _, u := range got.Datetime.UpdatedAt {
		if at, err := time.Parse(time.RFC3339Nano, u); err != nil || at.Year() < 2026 {
			t.Errorf("OWSLib datetime=2026-01-01T00:00:00Z/..: a scenario updated at %s", u)
		}
	}

	// 20,000 asked, the maximum of 10,000 given, and the page says so.
	b := got.Big
	next, _ := url.Parse(b.Next)
	if b.NumberReturned != 10000 || b.Features != 10000 || b.NumberMatched <= 10000 ||
		next == nil || next.Query().Get("limit") != "10000" || next.Query().Get("cursor") == "" {
		t.Errorf("OWSLib limit=20000 on civici: %+v, want 10000 returned and a next link with a cursor", b)
	}
}
