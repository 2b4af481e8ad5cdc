package energyimport_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/energy/energyimport"
	"github.com/cremasco/atlante/internal/store/storetest"
)

func TestEnergyImportSitesCSV(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		rows    int
		errText string // the error message starts with this; "" for no error
		field   string
	}{
		{"comma", "kind,name,category,pv_kw,storage_kwh,consumption_kwh,lon,lat\nprosumer,School,school,40,,60000,9.69,45.36\n", 1, "", ""},
		{"semicolon, decimal comma, BOM, any case, aliases",
			"\ufeffKIND;Name;Category;PV_KW;X;Y;istat_code\nprosumer;Scuola;school;40,5;9,69;45,36;019035\nconsumer;Casa;household;;9,70;45,37;\n", 2, "", ""},
		{"blank lines are skipped", "kind,name,category,lon,lat\n\nconsumer,A,household,9.69,45.36\n\n", 1, "", ""},
		{"missing column", "kind,name,lon,lat\nconsumer,A,9.69,45.36\n", 0, "f.csv: line 1: category: missing column", "category"},
		{"bad number names line and field", "kind,name,category,pv_kw,lon,lat\nprosumer,A,school,40,9.69,45.36\nprosumer,B,school,forty,9.69,45.36\n", 0,
			`f.csv: line 3: pv_kw: "forty" is not a number`, "pv_kw"},
		{"missing coordinate", "kind,name,category,lon,lat\nconsumer,A,household,,45.36\n", 0, "f.csv: line 2: lon: missing", "lon"},
		{"wrong field count", "kind,name,category,lon,lat\nconsumer,A,household,9.69\n", 0, "f.csv: line 2: row: 4 fields, but the header has 5", "row"},
		{"bad quoting", "kind,name,category,lon,lat\nconsumer,\"A,household,9.69,45.36\n", 0, "f.csv: line 2", "row"},
		{"empty", "", 0, "f.csv: header: the file is empty", "header"},
		{"header only", "kind,name,category,lon,lat\n", 0, "f.csv: rows: the file holds no sites", "rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := energyimport.ReadSitesCSV(strings.NewReader(tt.csv), "f.csv")
			if tt.errText == "" {
				if err != nil || len(rows) != tt.rows {
					t.Fatalf("ReadSitesCSV = %d rows, %v; want %d rows", len(rows), err, tt.rows)
				}
				return
			}
			if apperr.KindOf(err) != apperr.Invalid || !strings.HasPrefix(apperr.Message(err), tt.errText) {
				t.Fatalf("ReadSitesCSV error = %v, want one starting %q", err, tt.errText)
			}
			if f := apperr.Fields(err); len(f) != 1 || f[0].Field != tt.field {
				t.Errorf("fields = %v, want %s", f, tt.field)
			}
		})
	}
	rows, _ := energyimport.ReadSitesCSV(strings.NewReader(tests[1].csv), "f.csv")
	if r := rows[0]; r.Kind != "prosumer" || r.PVKW != 40.5 || r.Point[0] != 9.69 || r.Point[1] != 45.36 || r.ISTATCode != "019035" || r.Ref != "line 2" {
		t.Errorf("row = %+v", r)
	}
	if r := rows[1]; r.PVKW != 0 || r.ISTATCode != "" {
		t.Errorf("row with empty figures = %+v", r)
	}
}

func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// zonesGeoJSON are two zones around Crema sharing the edge lon = 9.69.
const zonesGeoJSON = `{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"codice": "AC001E00001", "nome": "West", "distributore": "Test"},
 "geometry": {"type": "Polygon", "coordinates": [[[9.66, 45.34], [9.69, 45.34], [9.69, 45.38], [9.66, 45.38], [9.66, 45.34]]]}},
{"type": "Feature", "properties": {"codice": "AC001E00002", "nome": "East", "distributore": "Test"},
 "geometry": {"type": "Polygon", "coordinates": [[[9.69, 45.34], [9.72, 45.34], [9.72, 45.38], [9.69, 45.38], [9.69, 45.34]]]}}
]}`

func TestEnergyImportFiles(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	if err := demo.Load(ctx, db.Write, slog.New(slog.NewTextHandler(io.Discard, nil)), "comuni"); err != nil {
		t.Fatal(err)
	}
	st := energy.NewStore(db.Write, db.Read, nil)
	counts := func() (zones, sites, audit int) {
		t.Helper()
		if err := db.Read.QueryRow(ctx, `SELECT (SELECT count(*) FROM cer_zones), (SELECT count(*) FROM cer_sites), (SELECT count(*) FROM audit_log)`).
			Scan(&zones, &sites, &audit); err != nil {
			t.Fatal(err)
		}
		return
	}

	sum, err := energyimport.Zones(ctx, st, write(t, "zones.geojson", zonesGeoJSON), energyimport.ZoneOptions{})
	if err != nil || sum.Inserted != 2 {
		t.Fatalf("Zones = %+v, %v; want 2 inserted", sum, err)
	}
	// A bad feature fails the import, names it, and changes nothing.
	bad := strings.Replace(zonesGeoJSON, `"AC001E00002"`, `"AC-2"`, 1)
	bad = strings.Replace(bad, `"AC001E00001"`, `"AC001E00009"`, 1)
	_, err = energyimport.Zones(ctx, st, write(t, "bad.geojson", bad), energyimport.ZoneOptions{Replace: true})
	if msg := apperr.Message(err); apperr.KindOf(err) != apperr.Invalid || !strings.Contains(msg, "bad.geojson: line 4, features[1]: code: \"AC-2\" is not a GSE zone code") {
		t.Errorf("Zones(bad code) = %v", err)
	}
	if z, _, _ := counts(); z != 2 {
		t.Errorf("after a failed zones import: %d zones, want 2", z)
	}
	noCode := strings.ReplaceAll(zonesGeoJSON, `"codice"`, `"id_cabina"`)
	if _, err := energyimport.Zones(ctx, st, write(t, "nocode.geojson", noCode), energyimport.ZoneOptions{}); apperr.KindOf(err) != apperr.Invalid ||
		!strings.Contains(apperr.Message(err), "code: missing") {
		t.Errorf("Zones(no code property) = %v", err)
	}
	if sum, err := energyimport.Zones(ctx, st, write(t, "nocode.geojson", noCode), energyimport.ZoneOptions{CodeProperty: "id_cabina"}); err != nil || sum.Updated != 2 {
		t.Errorf("Zones(--code-property) = %+v, %v; want 2 updated", sum, err)
	}
	// The same zones in UTM 32N, with the crs member ogr2ogr writes.
	utm := `{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32632"}}, "features": [
{"type": "Feature", "properties": {"code": "AC001E00003"}, "geometry": {"type": "Polygon", "coordinates": [[[560000, 5020000], [561000, 5020000], [561000, 5021000], [560000, 5021000], [560000, 5020000]]]}}]}`
	if sum, err := energyimport.Zones(ctx, st, write(t, "utm.geojson", utm), energyimport.ZoneOptions{}); err != nil || sum.Inserted != 1 {
		t.Errorf("Zones(EPSG:32632) = %+v, %v", sum, err)
	}
	var lon float64
	if err := db.Read.QueryRow(ctx, `SELECT ST_X(ST_Centroid(geom)) FROM cer_zones WHERE code = 'AC001E00003'`).Scan(&lon); err != nil || lon < 9.7 || lon > 9.8 {
		t.Errorf("UTM zone centroid longitude = %g, %v; want about 9.77", lon, err)
	}

	in := energy.CommunityInput{Name: new(string), Status: new(string), Comuni: &[]string{"019035"}}
	*in.Name, *in.Status = "CER test", "proposed"
	c, err := st.ImportCommunity(ctx, in, energy.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	z0, s0, a0 := counts()
	badSites := "kind;name;category;pv_kw;consumption_kwh;lon;lat\nprosumer;Scuola;school;40;60000;9,685;45,36\nprosumer;Capannone;company;-20;1000;9,686;45,361\n"
	_, err = energyimport.Sites(ctx, st, write(t, "sites.csv", badSites), c.ID, energyimport.SiteOptions{})
	if msg := apperr.Message(err); apperr.KindOf(err) != apperr.Invalid || !strings.HasSuffix(msg, "sites.csv: line 3: pv_kw: -20 is not a power in kW between 0 and 100000") {
		t.Errorf("Sites(negative kW) = %v", err)
	}
	if z, s, a := counts(); z != z0 || s != s0 || a != a0 {
		t.Errorf("after a failed sites import: %d zones, %d sites, %d audit rows; want %d, %d, %d", z, s, a, z0, s0, a0)
	}
	good := strings.Replace(badSites, "-20", "20", 1)
	sum, err = energyimport.Sites(ctx, st, write(t, "sites.csv", good), c.ID, energyimport.SiteOptions{})
	if err != nil || sum.Inserted != 2 {
		t.Fatalf("Sites = %+v, %v; want 2 inserted", sum, err)
	}
	if _, s, a := counts(); s != s0+2 || a != a0+2 {
		t.Errorf("after importing 2 sites: %d sites, %d audit rows; want %d, %d", s, a, s0+2, a0+2)
	}
	e, err := st.Eligibility(ctx, c.ID)
	if err != nil || !e.Eligible || e.Zone == nil || e.Zone.Code != "AC001E00001" {
		t.Errorf("Eligibility after import = %+v, %v; want eligible in AC001E00001", e, err)
	}
	sitesGeoJSON := `{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"kind": "consumer", "name": "Casa", "category": "household", "consumption_kwh": 2500}, "geometry": {"type": "Point", "coordinates": [9.70, 45.36]}},
{"type": "Feature", "properties": {"kind": "consumer", "name": "Negozio", "category": "company"}, "geometry": {"type": "LineString", "coordinates": [[9.70, 45.36], [9.71, 45.36]]}}]}`
	_, err = energyimport.Sites(ctx, st, write(t, "sites.geojson", sitesGeoJSON), c.ID, energyimport.SiteOptions{})
	if msg := apperr.Message(err); !strings.Contains(msg, "sites.geojson: line 3, features[1]: geometry: a LineString; a site is a Point") {
		t.Errorf("Sites(GeoJSON line) = %v", err)
	}
	one := strings.Replace(sitesGeoJSON, `"LineString", "coordinates": [[9.70, 45.36], [9.71, 45.36]]`, `"Point", "coordinates": [9.701, 45.361]`, 1)
	if sum, err := energyimport.Sites(ctx, st, write(t, "sites.geojson", one), c.ID, energyimport.SiteOptions{Replace: true}); err != nil || sum.Inserted != 2 || sum.Deleted != 2 {
		t.Errorf("Sites(GeoJSON, replace) = %+v, %v; want 2 inserted, 2 deleted", sum, err)
	}
	if _, err := energyimport.Sites(ctx, st, write(t, "sites.geojson", one), 424242, energyimport.SiteOptions{}); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("Sites(unknown community) = %v, want not found", err)
	}
	// Coordinates in UTM with --crs.
	utmSites := "kind,name,category,consumption_kwh,x,y\nconsumer,Casa UTM,household,2000,553500,5023000\n"
	if sum, err := energyimport.Sites(ctx, st, write(t, "utm.csv", utmSites), c.ID, energyimport.SiteOptions{CRS: geo.SRID(32632)}); err != nil || sum.Inserted != 1 {
		t.Errorf("Sites(UTM) = %+v, %v; want 1 inserted", sum, err)
	}
	var x, y float64
	if err := db.Read.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM cer_sites WHERE name = 'Casa UTM'`).Scan(&x, &y); err != nil || x < 9.6 || x > 9.75 || y < 45.3 || y > 45.4 {
		t.Errorf("UTM site at %g, %g (%v); want near Crema", x, y, err)
	}
}
