package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/store/storetest"
	"github.com/cremasco/atlante/internal/testserver"
)

var (
	wktAxisRE = regexp.MustCompile(`AXIS\["[^"]*",(north|east)`)
	wktCSRE   = regexp.MustCompile(`CS\[(ellipsoidal|Cartesian),2\]`)
	wktBBoxRE = regexp.MustCompile(`BBOX\[([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)\]`)
)

// TestCRSDefinitionsAgreeWithEPSG checks geo's table of CRSs against the
// EPSG dataset as GDAL's PROJ gives it (gdalsrsinfo, WKT2): the first
// axis (north for EPSG:4326, 4258 and 6707), degrees or metres, and that
// each Domain holds the CRS's area of use as PostGIS projects it, rounded
// outwards by less than 2 km.
func TestCRSDefinitionsAgreeWithEPSG(t *testing.T) {
	gdalsrsinfo := requireGDAL(t, "gdalsrsinfo")
	db := storetest.NewDB(t)
	for _, c := range geo.SupportedCRSs() {
		id := c.SRID.String()
		if c.IsCRS84() {
			id = "OGC:CRS84"
		}
		wkt := gdal(t, gdalsrsinfo, "-o", "wkt2_2019", id)
		axis, cs, bboxes := wktAxisRE.FindStringSubmatch(wkt), wktCSRE.FindStringSubmatch(wkt), wktBBoxRE.FindAllStringSubmatch(wkt, -1)
		if axis == nil || cs == nil || !c.Geographic && len(bboxes) == 0 {
			t.Fatalf("%s: no axis, coordinate system or area of use in\n%s", id, wkt)
		}
		if north := axis[1] == "north"; north != c.NorthFirst {
			t.Errorf("%s: EPSG's first axis points %s, geo says NorthFirst %v", id, axis[1], c.NorthFirst)
		}
		if geographic := cs[1] == "ellipsoidal"; geographic != c.Geographic {
			t.Errorf("%s: EPSG's coordinate system is %s, geo says Geographic %v", id, cs[1], c.Geographic)
		}
		if c.Geographic {
			continue
		}
		// BBOX[south, west, north, east] of the area of use, in degrees.
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(bboxes[len(bboxes)-1][i+1], 64)
		}
		var area orb.Bound
		if err := db.Read.QueryRow(context.Background(), `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT
			ST_Extent(ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.01), $5::int))::geometry e) x`,
			v[1], v[0], v[3], v[2], int(c.SRID)).Scan(&area.Min[0], &area.Min[1], &area.Max[0], &area.Max[1]); err != nil {
			t.Fatal(err)
		}
		d := c.Domain
		if !d.Contains(area.Min) || !d.Contains(area.Max) ||
			area.Min[0]-d.Min[0] > 2000 || area.Min[1]-d.Min[1] > 2000 || d.Max[0]-area.Max[0] > 2000 || d.Max[1]-area.Max[1] > 2000 {
			t.Errorf("%s: Domain %v, the area of use %v projects to %v", id, d, v, area)
		}
	}
}

// logBuffer collects the server's JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// served is a request line of the access log.
type served struct {
	Path   string `json:"path"`
	Query  string `json:"query"`
	Status int    `json:"status"`
}

// since returns the requests logged from line n on, and the new count.
func (l *logBuffer) since(n int) ([]served, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []served
	i := 0
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		i++
		var r struct {
			Msg string `json:"msg"`
			served
		}
		if i <= n || json.Unmarshal(sc.Bytes(), &r) != nil || r.Msg != "request" {
			continue
		}
		out = append(out, r.served)
	}
	return out, i
}

// transformedVertices returns, per comune, the vertices of its boundary
// as PostGIS's ST_Transform puts them in srid (x first), unrounded.
func transformedVertices(t *testing.T, s *testserver.Server, srid geo.SRID) map[string][][2]float64 {
	t.Helper()
	rows, err := s.DB.Read.Query(context.Background(), `SELECT c.istat_code, ST_X(d.geom), ST_Y(d.geom)
		FROM comuni c, ST_DumpPoints(ST_Transform(ST_ForcePolygonCCW(c.geom), $1::int)) d ORDER BY c.istat_code, d.path`, int(srid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][2]float64{}
	for rows.Next() {
		var code string
		var x, y float64
		if err := rows.Scan(&code, &x, &y); err != nil {
			t.Fatal(err)
		}
		out[code] = append(out[code], [2]float64{x, y})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareVertices checks what a client holds (per comune, vertices in
// its order) against ST_Transform within a centimetre; swapped says the
// client holds northing, easting.
func compareVertices(t *testing.T, who string, got, want map[string][][2]float64, swapped bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s holds %d comuni, the server has %d", who, len(got), len(want))
	}
	worst := 0.0
	for code, ws := range want {
		gs := got[code]
		if len(gs) != len(ws) {
			t.Errorf("%s: comune %s has %d vertices, ST_Transform gives %d", who, code, len(gs), len(ws))
			continue
		}
		for i, p := range gs {
			if swapped {
				p = [2]float64{p[1], p[0]}
			}
			d := math.Max(math.Abs(p[0]-ws[i][0]), math.Abs(p[1]-ws[i][1]))
			worst = math.Max(worst, d)
			if d > 0.01 {
				t.Errorf("%s: comune %s vertex %d is %v, ST_Transform gives %v (swapped %v)", who, code, i, p, ws[i], swapped)
				break
			}
		}
	}
	t.Logf("%s: farthest vertex %.4f m from ST_Transform", who, worst)
}

// checkServedIn checks that the server answered every items request of a
// client, in crs, and that the client paged.
func checkServedIn(t *testing.T, who string, reqs []served, c geo.CRS, minPages int) {
	t.Helper()
	pages := 0
	for _, r := range reqs {
		if !strings.HasSuffix(r.Path, "/items") {
			continue
		}
		pages++
		q, err := url.ParseQuery(r.Query)
		if err != nil || q.Get("crs") != c.URI() || r.Status != 200 {
			t.Errorf("%s asked %s?%s (status %d), want crs=%s answered", who, r.Path, r.Query, r.Status, c.URI())
		}
	}
	if pages < minPages {
		t.Errorf("%s made %d items requests, want at least %d: %+v", who, pages, minPages, reqs)
	}
}

// TestClientsInItalianCRSs has GDAL, QGIS and OWSLib read the comuni in
// the CRSs of Italian GIS users, requested from the server (OGC API –
// Features Part 2): what each wrote or holds must equal PostGIS's
// ST_Transform within a centimetre, in the CRS it labels the data with,
// and the server's log must show that crs= reached it on every page.
//
// GDAL 3.6 and QGIS 3.22, Debian 12's, predate Part 2 in their clients
// (GDAL 3.7 added the CRS open option, QGIS 3.30 reads the crs list): both
// forward the query of the dataset URL to every request, so the CRS is
// asked for there and the data labelled with -a_srs or setCrs. GDAL 3.7
// and later get the CRS open option instead.
func TestClientsInItalianCRSs(t *testing.T) {
	ogrinfo, ogr2ogr := requireGDAL(t, "ogrinfo"), requireGDAL(t, "ogr2ogr")
	requirePython(t, "qgis.core", "python3-qgis")
	requirePython(t, "owslib.ogcapi.features", "python3-owslib")
	logs := &logBuffer{}
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}, Timeout: time.Minute, Verbose: true,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	mark := 0

	t.Run("GDAL", func(t *testing.T) {
		_, mark = logs.since(mark)
		native := strings.Contains(gdal(t, ogrinfo, "--format", "OAPIF"), `name="CRS"`)
		for _, c := range []geo.CRS{geo.EPSG6707, geo.EPSG7791, geo.EPSG3003} {
			t.Run(c.String(), func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "comuni.geojson")
				args := []string{"-f", "GeoJSON", "-lco", "RFC7946=NO", out}
				swapped := false
				if native {
					// GDAL 3.7+: the driver asks for the CRS and puts
					// easting first itself.
					args = append(args, "-oo", "CRS="+c.SRID.String(), "OAPIF:"+s.URL+"/collections/comuni")
				} else {
					args = append(args, "OAPIF:"+s.URL+"/collections/comuni?crs="+url.QueryEscape(c.URI()), "-a_srs", c.SRID.String())
					swapped = c.NorthFirst // written as received
				}
				_, trace := gdalTrace(t, ogr2ogr, args...)
				var reqs []served
				reqs, mark = logs.since(mark)
				checkServedIn(t, "GDAL", reqs, c, 5) // 48 comuni in pages of 10
				for _, line := range strings.Split(requests(trace), "\n") {
					if strings.Contains(line, "/items") && !strings.Contains(line, "crs=") {
						t.Errorf("GDAL asked without crs: %s", line)
					}
				}
				if srs := gdal(t, ogrinfo, "-ro", "-so", out, "comuni"); !strings.Contains(srs, `ID["EPSG",`+strconv.Itoa(int(c.SRID))+`]`) {
					t.Errorf("the layer GDAL wrote is not in %s:\n%s", c, srs)
				}
				got := map[string][][2]float64{}
				for _, f := range readGeoJSON(t, out).Features {
					code := f.Properties.MustString("istat_code", "")
					for _, p := range f.Geometry.(orb.MultiPolygon) {
						for _, r := range p {
							for _, v := range r {
								got[code] = append(got[code], [2]float64{v[0], v[1]})
							}
						}
					}
				}
				compareVertices(t, "GDAL in "+c.String(), got, transformedVertices(t, s, c.SRID), swapped)
			})
		}
	})

	t.Run("QGIS", func(t *testing.T) {
		_, mark = logs.since(mark)
		c := geo.EPSG3003
		var got struct {
			Valid    bool   `json:"valid"`
			Provider string `json:"provider"`
			Declared string `json:"declared"`
			CRS      string `json:"crs"`
			Features []struct {
				ID       string       `json:"id"`
				Vertices [][2]float64 `json:"vertices"`
			} `json:"features"`
		}
		runPython(t, "qgis_crs.py", map[string]any{"url": s.URL, "collection": "comuni", "crs": c.URI(), "authid": c.SRID.String()}, &got)
		var reqs []served
		reqs, mark = logs.since(mark)
		if !got.Valid || got.Provider != "OAPIF" || got.CRS != "EPSG:3003" {
			t.Fatalf("QGIS layer: valid %v, provider %q, CRS %q (declared %q); want an OAPIF layer in EPSG:3003", got.Valid, got.Provider, got.CRS, got.Declared)
		}
		t.Logf("QGIS's OAPIF provider declared the layer %s", got.Declared)
		checkServedIn(t, "QGIS", reqs, c, 1)
		held := map[string][][2]float64{}
		for _, f := range got.Features {
			held[f.ID] = f.Vertices
		}
		compareVertices(t, "QGIS in EPSG:3003", held, transformedVertices(t, s, c.SRID), false)
	})

	t.Run("OWSLib", func(t *testing.T) {
		_, mark = logs.since(mark)
		// Crema's box in EPSG:4326, latitude first.
		var b orb.Bound
		if err := s.DB.Read.QueryRow(context.Background(), `SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM comuni WHERE istat_code = '019035'`).
			Scan(&b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1]); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Features []struct {
				ID       string `json:"id"`
				Geometry struct {
					Coordinates [][][][2]float64 `json:"coordinates"`
				} `json:"geometry"`
			} `json:"features"`
			BBox []string `json:"bbox"`
		}
		runPython(t, "owslib_crs.py", map[string]any{"url": s.URL, "collection": "comuni", "crs": geo.EPSG6707.URI(),
			"bbox": []float64{b.Min[1], b.Min[0], b.Max[1], b.Max[0]}, "bbox-crs": geo.EPSG4326.URI()}, &got)
		var reqs []served
		reqs, mark = logs.since(mark)
		var asked []string
		for _, r := range reqs {
			if strings.HasSuffix(r.Path, "/items") && r.Status == 200 {
				q, _ := url.ParseQuery(r.Query)
				asked = append(asked, q.Get("crs")+" "+q.Get("bbox-crs"))
			}
		}
		if want := []string{geo.EPSG6707.URI() + " ", " " + geo.EPSG4326.URI()}; !slices.Equal(asked, want) {
			t.Errorf("OWSLib's items requests asked crs, bbox-crs %q; want %q", asked, want)
		}
		held := map[string][][2]float64{}
		for _, f := range got.Features {
			for _, p := range f.Geometry.Coordinates {
				for _, r := range p {
					held[f.ID] = append(held[f.ID], r...)
				}
			}
		}
		compareVertices(t, "OWSLib in EPSG:6707", held, transformedVertices(t, s, geo.EPSG6707.SRID), true)
		want := serverCodes(t, s, "bbox="+geo.FormatBBox(b))
		if !slices.Equal(got.BBox, want) || !slices.Contains(want, "019035") {
			t.Errorf("OWSLib bbox in EPSG:4326 (lat, lon): %v; the server in CRS84: %v", got.BBox, want)
		}
	})

	if errs := clientErrors(t, s); len(errs) > 0 {
		t.Errorf("the server refused requests of the clients:\n%s", strings.Join(errs, "\n"))
	}
}
