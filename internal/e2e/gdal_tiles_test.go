package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	mercator "github.com/paulmach/orb/project"

	"github.com/cremasco/atlante/internal/testserver"
)

// gdalCremaBox is a box of about 5 by 4.5 km around the centre of Crema, in
// CRS84, that reaches into Capergnanica, Madignano and Ripalta Cremasca
// (ISTAT's boundaries).
var gdalCremaBox = orb.Bound{Min: orb.Point{9.66, 45.34}, Max: orb.Point{9.72, 45.38}}

// TestGdalTileset opens the comuni vector tiles as a tile set with GDAL's
// MVT driver: the zoom level's directory over HTTP, described by the
// service's TileJSON. What GDAL reports must be the layer: its attributes,
// Crema's name, and the comuni inside a box as the items endpoint counts
// them.
func TestGdalTileset(t *testing.T) {
	ogrinfo := requireGDAL(t, "ogrinfo")
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	src := "MVT:" + s.URL + "/tiles/comuni/12"
	opts := []string{"-oo", "TILE_EXTENSION=mvt", "-oo", "METADATA_FILE=" + s.URL + "/tiles/comuni.json"}

	summary := gdal(t, ogrinfo, append([]string{"-ro", "-so", src, "comuni"}, opts...)...)
	for _, want := range []string{"Layer name: comuni", "ZOOM_LEVEL=12", "Pseudo-Mercator", "istat_code: String", "name: String", "consortium:"} {
		if !strings.Contains(summary, want) {
			t.Errorf("ogrinfo -so %s: no %q in\n%s", src, want, summary)
		}
	}

	min, max := mercator.WGS84.ToMercator(gdalCremaBox.Min), mercator.WGS84.ToMercator(gdalCremaBox.Max)
	spat := []string{"-spat", fmt.Sprint(min[0]), fmt.Sprint(min[1]), fmt.Sprint(max[0]), fmt.Sprint(max[1])}
	out := gdal(t, ogrinfo, append(append([]string{"-ro", "-q", src, "comuni"}, opts...), spat...)...)
	got := distinct(regexp.MustCompile(`istat_code \(String\) = (\d{6})`).FindAllStringSubmatch(out, -1))
	want := itemCodes(t, s, gdalCremaBox)
	if len(want) < 2 || !slices.Equal(got, want) {
		t.Errorf("GDAL read comuni %v from the tiles in %v, the items endpoint has %v", got, gdalCremaBox, want)
	}
	if !regexp.MustCompile(`(?s)istat_code \(String\) = 019035\n\s+name \(String\) = Crema\n`).MatchString(out) {
		t.Errorf("GDAL did not read Crema (019035) with its name from the tiles:\n%.3000s", out)
	}
	if errs := clientErrors(t, s); len(errs) > 0 {
		t.Errorf("the server refused requests from GDAL:\n%s", strings.Join(errs, "\n"))
	}
}

// TestGdalOGCAPITiles opens a collection with GDAL's OGC API driver and
// API=TILES, which follows the collection's tilesets-vector link, the
// tileset's tiling-scheme link (parsing the tile matrix set) and its item
// template.
//
// Debian 12's GDAL 3.6.2 stops there: in its build the driver's vector-tile
// code is compiled out (gdalogcapidataset.cpp guards it with
// OGR_ENABLE_DRIVER_GML, which CMake defines only after it has configured
// frmts/ogcapi; its strings, e.g. "vectorType", are not in libgdal.so.32),
// so the open fails without a word once the tile matrix set is read. On
// such a GDAL the test checks that GDAL read every document and reported no
// error on any (a tile matrix set it cannot parse, a missing link or
// template is an ERROR line); on a GDAL that reads vector tiles it checks
// the features.
func TestGdalOGCAPITiles(t *testing.T) {
	ogrinfo := requireGDAL(t, "ogrinfo")
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	src := "OGCAPI:" + s.URL + "/collections/comuni"
	// The driver takes the area in the tile matrix set's CRS (EPSG:3857).
	min, max := mercator.WGS84.ToMercator(gdalCremaBox.Min), mercator.WGS84.ToMercator(gdalCremaBox.Max)
	args := []string{"-ro", "-q", "-oo", "API=TILES",
		"-oo", fmt.Sprint("MINX=", min[0]), "-oo", fmt.Sprint("MINY=", min[1]),
		"-oo", fmt.Sprint("MAXX=", max[0]), "-oo", fmt.Sprint("MAXY=", max[1]),
		src, "Zoom level 12"}

	ctx, cancel := context.WithTimeout(context.Background(), gdalBudget)
	defer cancel()
	cmd := exec.CommandContext(ctx, ogrinfo, args...)
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()

	if strings.Contains(stderr.String(), "ERROR") {
		t.Fatalf("ogrinfo %s reported an error on the service's documents:\n%s", src, stderr.String())
	}
	for _, route := range []string{"/collections/{collectionId}", "/collections/{collectionId}/tiles",
		"/collections/{collectionId}/tiles/{tileMatrixSetId}", "/tileMatrixSets/{tileMatrixSetId}"} {
		if n := routeHits(t, s, route, "200"); n == 0 {
			t.Errorf("GDAL did not read %s (requests answered 200: %d)", route, n)
		}
	}
	if errs := clientErrors(t, s); len(errs) > 0 {
		t.Errorf("the server refused requests from GDAL:\n%s", strings.Join(errs, "\n"))
	}
	if err != nil {
		if routeHits(t, s, "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", "200") > 0 {
			t.Fatalf("ogrinfo read tiles and still failed: %v\n%s", err, stdout.String())
		}
		t.Logf("this GDAL follows OGC API – Tiles up to the tile matrix set but reads no vector tiles (Debian's 3.6.2 build): %v", err)
		return
	}
	out := stdout.String()
	if !regexp.MustCompile(`(?s)istat_code \(String\) = 019035\n\s+name \(String\) = Crema\n`).MatchString(out) {
		t.Errorf("GDAL read no Crema (019035) from the tiles of zoom 12:\n%.3000s", out)
	}
}

// distinct returns the sorted distinct first groups of regexp matches.
func distinct(matches [][]string) []string {
	var out []string
	for _, m := range matches {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// itemCodes returns the sorted istat codes of the comuni that intersect b,
// as the items endpoint answers.
func itemCodes(t *testing.T, s *testserver.Server, b orb.Bound) []string {
	t.Helper()
	u := fmt.Sprintf("%s/collections/comuni/items?limit=100&bbox=%v,%v,%v,%v", s.URL, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", u, res.StatusCode, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if err != nil {
		t.Fatal(err)
	}
	return codes(fc)
}

// routeHits returns how many requests to a route were answered with the
// status, from the server's request metrics.
func routeHits(t *testing.T, s *testserver.Server, route, status string) int {
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
	re := regexp.MustCompile(`(?m)^atlante_http_request_duration_seconds_count\{method="GET",route="` + regexp.QuoteMeta(route) + `",status="` + status + `"\} (\d+)$`)
	n := 0
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		var v int
		fmt.Sscan(m[1], &v)
		n += v
	}
	return n
}
