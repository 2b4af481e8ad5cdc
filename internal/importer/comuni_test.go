package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// newImporter gives the test a fresh migrated database and an Importer on it.
func newImporter(t *testing.T) (*Importer, *pgxpool.Pool) {
	t.Helper()
	db := storetest.NewDB(t)
	return New(db.Write, nil), db.Write
}

func count(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM comuni`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportSharedGeoJSON(t *testing.T) {
	ctx := context.Background()
	im, pool := newImporter(t)
	files := []string{"cremona-comuni.geojson", "cremona-comuni-32632.geojson"}
	wantSRID := []geo.SRID{geo.WGS84, geo.UTM32N, geo.UTM32N}

	// The 4326 file, then the 32632 file, then the 32632 file again.
	for i, name := range append(files, files[1]) {
		rep, err := im.Comuni(ctx, storetest.SharedData(t, name), ComuniOptions{})
		if err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
		// The first import inserts, the others (same codes) update.
		wantIns, wantUpd := 113, 0
		if i > 0 {
			wantIns, wantUpd = 0, 113
		}
		if rep.Read != 113 || rep.Inserted != wantIns || rep.Updated != wantUpd || len(rep.Rejected) != 0 || rep.SRID != wantSRID[i] || !rep.ISTAT {
			t.Errorf("import %s: %+v; want read 113, inserted %d, updated %d, none rejected, %s, ISTAT", name, rep, wantIns, wantUpd, wantSRID[i])
		}
		var area float64
		var source, prov string
		var consortium bool
		if err := pool.QueryRow(ctx, `SELECT ST_Area(geom::geography) / 1e6, source, province_code, consortium FROM comuni WHERE istat_code = '019035'`).Scan(&area, &source, &prov, &consortium); err != nil {
			t.Fatal(err)
		}
		if area < 34.64*0.99 || area > 34.64*1.01 {
			t.Errorf("import %s: Crema is %.3f km², want 34.64 ± 1%%", name, area)
		}
		if !strings.Contains(source, name) || prov != "019" || !consortium {
			t.Errorf("import %s: Crema source %q, province %q, consortium %v", name, source, prov, consortium)
		}
		if n := count(t, pool); n != 113 {
			t.Errorf("import %s: %d comuni stored, want 113", name, n)
		}
	}

	// The two files hold the same geometries: import the 4326 one into a
	// second database and compare comune by comune.
	im2, pool2 := newImporter(t)
	if _, err := im2.Comuni(ctx, storetest.SharedData(t, files[0]), ComuniOptions{}); err != nil {
		t.Fatal(err)
	}
	var maxDist, maxAreaDiff float64
	rows, err := pool2.Query(ctx, `SELECT istat_code, ST_AsBinary(geom) FROM comuni ORDER BY istat_code`)
	if err != nil {
		t.Fatal(err)
	}
	type g struct {
		code string
		wkb  []byte
	}
	var gs []g
	for rows.Next() {
		var x g
		if err := rows.Scan(&x.code, &x.wkb); err != nil {
			t.Fatal(err)
		}
		gs = append(gs, x)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, x := range gs {
		var d, a float64
		// Hausdorff distance in metres (UTM) and relative area difference.
		err := pool.QueryRow(ctx, `
			SELECT ST_HausdorffDistance(ST_Transform(c.geom, 32632), ST_Transform(o.g, 32632)),
			       abs(ST_Area(c.geom::geography) - ST_Area(o.g::geography)) / ST_Area(c.geom::geography)
			FROM comuni c, (SELECT ST_SetSRID(ST_GeomFromWKB($2), 4326) AS g) o
			WHERE c.istat_code = $1`, x.code, x.wkb).Scan(&d, &a)
		if err != nil {
			t.Fatal(err)
		}
		maxDist, maxAreaDiff = max(maxDist, d), max(maxAreaDiff, a)
	}
	if len(gs) != 113 || maxDist > 0.1 || maxAreaDiff > 1e-4 {
		t.Errorf("4326 vs 32632 file: %d comuni, max Hausdorff distance %.4f m, max area difference %.2g; want 113, < 0.1 m, < 1e-4", len(gs), maxDist, maxAreaDiff)
	}
}

func TestImportShapefile(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name                        string
		path                        func(t *testing.T) string
		province                    string
		wantRead, wantIns, wantSkip int
		wantCodes                   string
	}{
		{"zip, all provinces", func(t *testing.T) string { return istatZip(t, shpOptions{}) }, "", 4, 4, 0, "016024,019010,019035,019036"},
		{"zip, province 019", func(t *testing.T) string { return istatZip(t, shpOptions{}) }, "019", 4, 3, 1, "019010,019035,019036"},
		{"zip, province 19", func(t *testing.T) string { return istatZip(t, shpOptions{utf8: true}) }, "19", 4, 3, 1, "019010,019035,019036"},
		{"unzipped .shp, province 016", func(t *testing.T) string {
			return writeShapefile(t, t.TempDir(), "Com2026", istatTestComuni(), shpOptions{})
		}, "016", 4, 1, 3, "016024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, pool := newImporter(t)
			rep, err := im.Comuni(ctx, tt.path(t), ComuniOptions{Province: tt.province})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Read != tt.wantRead || rep.Inserted != tt.wantIns || rep.Skipped != tt.wantSkip || rep.Format != "Shapefile" || rep.SRID != geo.UTM32N || !rep.ISTAT {
				t.Errorf("report %+v; want read %d, inserted %d, skipped %d, Shapefile in EPSG:32632, ISTAT", rep, tt.wantRead, tt.wantIns, tt.wantSkip)
			}
			var codes string
			if err := pool.QueryRow(ctx, `SELECT string_agg(istat_code, ',' ORDER BY istat_code) FROM comuni`).Scan(&codes); err != nil {
				t.Fatal(err)
			}
			if codes != tt.wantCodes {
				t.Errorf("stored %s, want %s", codes, tt.wantCodes)
			}
			if tt.province == "016" {
				return
			}
			var holes, parts int
			var area float64
			var name, prov string
			if err := pool.QueryRow(ctx, `SELECT ST_NumInteriorRings(ST_GeometryN(geom, 1)), ST_Area(ST_Transform(geom, 32632)) FROM comuni WHERE istat_code = '019035'`).Scan(&holes, &area); err != nil {
				t.Fatal(err)
			}
			if holes != 1 || area < 2.99e6 || area > 3.01e6 {
				t.Errorf("Crema: %d holes, %.0f m²; want 1 hole, 2000² − 1000² = 3,000,000 m²", holes, area)
			}
			if err := pool.QueryRow(ctx, `SELECT ST_NumGeometries(geom) FROM comuni WHERE istat_code = '019036'`).Scan(&parts); err != nil {
				t.Fatal(err)
			}
			if parts != 2 {
				t.Errorf("Cremona: %d parts, want 2", parts)
			}
			if err := pool.QueryRow(ctx, `SELECT name, province_code FROM comuni WHERE istat_code = '019010'`).Scan(&name, &prov); err != nil {
				t.Fatal(err)
			}
			if name != "Cà d'Andrea" || prov != "019" {
				t.Errorf("019010: name %q, province %q; want \"Cà d'Andrea\", 019", name, prov)
			}
		})
	}
}

// invalidGeoJSON writes a file in EPSG:32632 with three comuni: a valid
// one, one with a spike (repairable), and a bow-tie (not repairable).
func invalidGeoJSON(t *testing.T) string {
	t.Helper()
	const head = `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32632"}},"features":[`
	feature := func(id, code, name, coords string) string {
		return `{"type":"Feature","id":"` + id + `","properties":{"pro_com_t":"` + code + `","name":"` + name + `","cod_prov":"019"},"geometry":{"type":"Polygon","coordinates":` + coords + `}}`
	}
	valid := feature("a", "019035", "Crema", `[[[550000,5020000],[552000,5020000],[552000,5022000],[550000,5022000],[550000,5020000]]]`)
	// A spike: out to (554000.001, 5021000) and straight back along the
	// same line; MakeValid drops the collapsed part, the area is unchanged.
	spike := feature("b", "019036", "Cremona", `[[[553000,5020000],[555000,5020000],[555000,5021000],[556000,5021000],[555000,5021000],[555000,5022000],[553000,5022000],[553000,5020000]]]`)
	bowtie := feature("c", "019010", "Bow Tie", `[[[557000,5020000],[559000,5022000],[559000,5020000],[557000,5022000],[557000,5020000]]]`)
	path := filepath.Join(t.TempDir(), "invalid.geojson")
	writeFile(t, path, head+"\n"+valid+",\n"+spike+",\n"+bowtie+"\n]}\n")
	return path
}

func TestImportInvalidGeometries(t *testing.T) {
	ctx := context.Background()
	im, pool := newImporter(t)
	path := invalidGeoJSON(t)

	// --strict: the bow-tie fails everything.
	rep, err := im.Comuni(ctx, path, ComuniOptions{Strict: true})
	if err == nil {
		t.Fatal("strict import: no error, want the bow-tie to fail it")
	}
	t.Log(err)
	if k := apperr.KindOf(err); k != apperr.Unprocessable || !strings.Contains(err.Error(), "019010") || !strings.Contains(err.Error(), "self-intersection") {
		t.Errorf("strict import: error %q (%v), want an unprocessable error naming 019010 and its self-intersection", err, k)
	}
	if rep == nil || rep.Loaded || len(rep.Rejected) != 1 {
		t.Errorf("strict import: report %+v, want one rejection and nothing loaded", rep)
	}
	if n := count(t, pool); n != 0 {
		t.Fatalf("strict import changed the database: %d comuni", n)
	}

	// Default: the spike is repaired, the bow-tie left out.
	rep, err = im.Comuni(ctx, path, ComuniOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 3 || rep.Inserted != 2 || len(rep.Repaired) != 1 || len(rep.Rejected) != 1 {
		t.Fatalf("import: %+v; want read 3, inserted 2, 1 repaired, 1 rejected", rep)
	}
	rej := rep.Rejected[0]
	if rej.Code != "019010" || rej.Feature != `features[2] (id "c")` || !strings.Contains(rej.Reason, "self-intersection") {
		t.Errorf("rejected = %+v; want features[2] (id \"c\") 019010 with a self-intersection", rej)
	}
	if fix := rep.Repaired[0]; fix.Code != "019036" || fix.Feature != `features[1] (id "b")` || fix.Reason == "" {
		t.Errorf("repaired = %+v; want features[1] (id \"b\") 019036 with a note", fix)
	}
	summary := rep.Summary()
	t.Log(summary)
	for _, want := range []string{"read 3, inserted 2, updated 0, repaired 1, rejected 1", "  repaired features[1] (id \"b\") 019036 Cremona: ", "  rejected features[2] (id \"c\") 019010 Bow Tie: self-intersection"} {
		if !strings.Contains(summary, want) {
			t.Errorf("Summary() = %q, want it to contain %q", summary, want)
		}
	}
	var valid bool
	var area float64
	if err := pool.QueryRow(ctx, `SELECT ST_IsValid(geom), ST_Area(ST_Transform(geom, 32632)) FROM comuni WHERE istat_code = '019036'`).Scan(&valid, &area); err != nil {
		t.Fatal(err)
	}
	if !valid || area < 3.99e6 || area > 4.01e6 {
		t.Errorf("repaired 019036: valid %v, %.0f m²; want valid, 4,000,000 m²", valid, area)
	}
}

func TestImportFailuresChangeNothing(t *testing.T) {
	ctx := context.Background()
	shared := storetest.SharedData(t, "cremona-comuni-32632.geojson")
	data, err := os.ReadFile(shared)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, content)
		return p
	}
	noCode := strings.Replace(string(data), `"pro_com_t": "019035", "pro_com": 19035, `, ``, 1)
	if noCode == string(data) {
		t.Fatal("test set-up: Crema's code not found in the shared file")
	}
	tests := []struct {
		name string
		path string
		opts ComuniOptions
		want []string // in the message
	}{
		{"truncated file", write("half.geojson", string(data[:len(data)/2])), ComuniOptions{},
			[]string{"half.geojson:", "unexpected end of file in features[", "(the file is truncated)"}},
		{"malformed JSON", write("bad.geojson", strings.Replace(string(data), `"name": "Crema"`, `"name": Crema"`, 1)), ComuniOptions{},
			[]string{"bad.geojson:40:", "malformed JSON in features[33]: invalid character 'C'"}},
		{"unknown CRS in the file", write("crs.geojson", strings.Replace(string(data), "EPSG::32632", "EPSG::99999x", 1)), ComuniOptions{},
			[]string{"crs.geojson:4:", "crs: unknown CRS"}},
		{"CRS unknown to PostGIS", shared, ComuniOptions{CRS: 990000},
			[]string{"crs: unknown CRS EPSG:990000: PostGIS has no definition"}},
		{"CRS unknown to PostGIS in the file", write("crs2.geojson", strings.Replace(string(data), "EPSG::32632", "EPSG::990001", 1)), ComuniOptions{},
			[]string{"crs2.geojson: crs: unknown CRS EPSG:990001: PostGIS has no definition"}},
		{"projected coordinates without a CRS", write("nocrs.geojson", strings.Replace(string(data), `"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::32632" } },`, ``, 1)), ComuniOptions{},
			[]string{"nocrs.geojson:7:1: features[0]: ", "geometry: coordinates such as", "are not longitude and latitude", "--crs"}},
		{"feature without a code", write("nocode.geojson", noCode), ComuniOptions{},
			[]string{"nocode.geojson:40:1: features[33]: pro_com_t: missing"}},
		{"unreadable shapefile", istatZip(t, shpOptions{corrupt: func(dir, base string) {
			os.Truncate(filepath.Join(dir, base+".shp"), 400)
		}}), ComuniOptions{}, []string{"Limiti01012026_g.zip (Com01012026_g/Com01012026_g_WGS84.shp)", "truncated"}},
		{"shapefile row without a code", istatZip(t, shpOptions{noCode: true}), ComuniOptions{},
			[]string{"Limiti01012026_g.zip (Com01012026_g/Com01012026_g_WGS84.shp): record 1: PRO_COM_T: missing"}},
		{"bad province filter", shared, ComuniOptions{Province: "CR"}, []string{`province: "CR" is not an ISTAT province code`}},
		{"province without comuni", shared, ComuniOptions{Province: "098"}, []string{"no comune of province 098 to import (113 features read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, pool := newImporter(t)
			if _, err := im.Comuni(ctx, storetest.SharedData(t, "cremona-comuni.geojson"), ComuniOptions{Province: "019"}); err != nil {
				t.Fatal(err)
			}
			var before string
			if err := pool.QueryRow(ctx, `SELECT md5(string_agg(istat_code || name || ST_AsEWKB(geom)::text || updated_at::text, ',' ORDER BY istat_code)) FROM comuni`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			_, err := im.Comuni(ctx, tt.path, tt.opts)
			if err == nil {
				t.Fatalf("import: no error, want one containing %q", tt.want)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("import: error %q, want it to contain %q", err, w)
				}
			}
			if k := apperr.KindOf(err); k != apperr.Invalid {
				t.Errorf("import: kind %v, want invalid", k)
			}
			var after string
			if err := pool.QueryRow(ctx, `SELECT md5(string_agg(istat_code || name || ST_AsEWKB(geom)::text || updated_at::text, ',' ORDER BY istat_code)) FROM comuni`).Scan(&after); err != nil {
				t.Fatal(err)
			}
			if n := count(t, pool); n != 113 || after != before {
				t.Errorf("the failed import changed the database: %d comuni (want 113), content changed %v", n, after != before)
			}
		})
	}
}
