package geo

import (
	"strings"
	"testing"
)

// istatPRJ is the .prj of ISTAT's "confini amministrativi" Shapefiles.
const istatPRJ = `PROJCS["WGS_1984_UTM_Zone_32N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`

// ogcWKT7791 is OGC WKT1 as gdalsrsinfo -o wkt1 prints EPSG:7791: the inner
// GEOGCS carries its own AUTHORITY, which must not win.
const ogcWKT7791 = `PROJCS["RDN2008 / UTM zone 32N",
    GEOGCS["RDN2008",
        DATUM["Rete_Dinamica_Nazionale_2008",
            SPHEROID["GRS 1980",6378137,298.257222101,
                AUTHORITY["EPSG","7019"]],
            AUTHORITY["EPSG","1132"]],
        PRIMEM["Greenwich",0,
            AUTHORITY["EPSG","8901"]],
        UNIT["degree",0.0174532925199433,
            AUTHORITY["EPSG","9122"]],
        AUTHORITY["EPSG","6706"]],
    PROJECTION["Transverse_Mercator"],
    PARAMETER["latitude_of_origin",0],
    PARAMETER["central_meridian",9],
    PARAMETER["scale_factor",0.9996],
    PARAMETER["false_easting",500000],
    PARAMETER["false_northing",0],
    UNIT["metre",1,
        AUTHORITY["EPSG","9001"]],
    AXIS["Easting",EAST],
    AXIS["Northing",NORTH],
    AUTHORITY["EPSG","7791"]]
`

// esri returns the ESRI WKT1 GDAL writes to a .prj for a projected CRS
// called name on a geographic CRS called gcs (parameters abridged).
func esri(name, gcs string) string {
	return `PROJCS["` + name + `",GEOGCS["` + gcs + `",DATUM["D_X",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]`
}

func esriGeog(name string) string {
	return `GEOGCS["` + name + `",DATUM["D_X",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
}

// prjTests is shared with FuzzParsePRJ as its seed corpus.
var prjTests = []struct {
	name    string
	in      string
	want    SRID
	wantErr string // substring of the message; "" means success
}{
	{name: "ISTAT", in: istatPRJ, want: UTM32N},
	{name: "ISTAT with BOM and newline", in: "\ufeff" + istatPRJ + "\r\n", want: UTM32N},
	{name: "OGC WKT1 outer authority wins", in: ogcWKT7791, want: 7791},
	{name: "WGS84 UTM 33N", in: esri("WGS_1984_UTM_Zone_33N", "GCS_WGS_1984"), want: 32633},
	{name: "ETRS89 UTM 32N esri", in: esri("ETRS_1989_UTM_Zone_32N", "GCS_ETRS_1989"), want: 25832},
	{name: "ETRS89 UTM 32N epsg name", in: esri("ETRS89_UTM_zone_32N", "ETRS89"), want: 25832},
	{name: "ETRS89 UTM 33N", in: esri("ETRS_1989_UTM_Zone_33N", "GCS_ETRS_1989"), want: 25833},
	{name: "RDN2008 UTM 32N as GDAL writes it", in: esri("RDN2008_UTM_zone_32N", "GCS_RDN2008"), want: 7791},
	{name: "RDN2008 UTM 32N title case", in: esri("RDN2008_UTM_Zone_32N", "GCS_RDN2008"), want: 7791},
	{name: "RDN2008 UTM 32N EPSG name", in: esri("RDN2008 / UTM zone 32N", "RDN2008"), want: 7791},
	{name: "RDN2008 UTM 33N", in: esri("RDN2008_UTM_Zone_33N", "GCS_RDN2008"), want: 7792},
	{name: "IGM95 UTM 32N", in: esri("IGM_1995_UTM_Zone_32N", "GCS_IGM_1995"), want: 3064},
	{name: "Gauss-Boaga west", in: esri("Monte_Mario_Italy_1", "GCS_Monte_Mario"), want: 3003},
	{name: "Gauss-Boaga west EPSG name", in: esri("Monte Mario / Italy zone 1", "Monte Mario"), want: 3003},
	{name: "Gauss-Boaga east", in: esri("Monte_Mario_Italy_2", "GCS_Monte_Mario"), want: 3004},
	{name: "ED50 UTM 32N", in: esri("ED_1950_UTM_Zone_32N", "GCS_European_1950"), want: 23032},
	{name: "ED50 UTM 33N", in: esri("ED_1950_UTM_Zone_33N", "GCS_European_1950"), want: 23033},
	{name: "Pseudo-Mercator", in: esri("WGS 84 / Pseudo-Mercator", "WGS 84"), want: WebMercator},
	{name: "Web Mercator esri", in: esri("WGS_1984_Web_Mercator_Auxiliary_Sphere", "GCS_WGS_1984"), want: WebMercator},
	{name: "WGS84 geographic", in: esriGeog("GCS_WGS_1984"), want: WGS84},
	{name: "WGS 84 geographic EPSG name", in: esriGeog("WGS 84"), want: WGS84},
	{name: "ETRS89 geographic", in: esriGeog("GCS_ETRS_1989"), want: 4258},
	{name: "RDN2008 geographic", in: esriGeog("GCS_RDN2008"), want: 6706},
	{name: "round brackets", in: `GEOGCS("GCS_WGS_1984",DATUM("D_WGS_1984",SPHEROID("WGS_1984",6378137.0,298.257223563)))`, want: WGS84},
	{name: "authority on geographic", in: `GEOGCS["whatever",DATUM["D"],AUTHORITY["EPSG","4258"]]`, want: 4258},
	{name: "authority lower case", in: `PROJCS["whatever",AUTHORITY["epsg","32633"]]`, want: 32633},
	{name: "authority not EPSG falls back to name", in: `PROJCS["WGS_1984_UTM_Zone_32N",AUTHORITY["ESRI","102100"]]`, want: UTM32N},
	{name: "inner authority ignored", in: `PROJCS["Unknown_Grid",GEOGCS["GCS_WGS_1984",AUTHORITY["EPSG","4326"]]]`, wantErr: `prj: unknown CRS "Unknown_Grid" (PROJCS); give its EPSG code with --crs EPSG:nnnn`},
	{name: "compound", in: `COMPD_CS["x",PROJCS["WGS_1984_UTM_Zone_32N",UNIT["Meter",1.0]],VERT_CS["h",VERT_DATUM["v",2005]]]`, want: UTM32N},
	{name: "WKT2 with ID", in: `PROJCRS["RDN2008 / UTM zone 32N",BASEGEOGCRS["RDN2008",ID["EPSG",6706]],ID["EPSG",7791]]`, want: 7791},
	{name: "WKT2 by name", in: `GEOGCRS["WGS 84",DATUM["World Geodetic System 1984"]]`, want: WGS84},
	{name: "escaped quote in name", in: `PROJCS["a""b",UNIT["Meter",1.0]]`, wantErr: `unknown CRS "a\"b" (PROJCS)`},
	{name: "unknown projected", in: esri("Gauss_Boaga_Custom", "GCS_Monte_Mario"), wantErr: `prj: unknown CRS "Gauss_Boaga_Custom" (PROJCS); give its EPSG code with --crs EPSG:nnnn`},
	{name: "unknown geographic", in: esriGeog("GCS_Tokyo"), wantErr: `prj: unknown CRS "GCS_Tokyo" (GEOGCS)`},
	{name: "projected does not fall back to its datum", in: esri("UTM_Custom", "GCS_WGS_1984"), wantErr: `unknown CRS "UTM_Custom"`},
	{name: "empty", in: "", wantErr: "prj: is empty, want a WKT CRS definition"},
	{name: "blank", in: " \n", wantErr: "prj: is empty"},
	{name: "not WKT", in: "EPSG:32632", wantErr: "prj: malformed WKT"},
	{name: "unclosed", in: `PROJCS["WGS_1984_UTM_Zone_32N",GEOGCS["GCS_WGS_1984"]`, wantErr: "prj: malformed WKT: PROJCS is not closed"},
	{name: "unclosed string", in: `PROJCS["WGS_1984_UTM_Zone_32N]`, wantErr: "prj: malformed WKT: string is not closed"},
	{name: "mismatched brackets", in: `PROJCS["WGS_1984_UTM_Zone_32N")`, wantErr: "prj: malformed WKT: want , or ]"},
	{name: "trailing garbage", in: istatPRJ + "]", wantErr: "prj: malformed WKT: unexpected text at byte"},
	{name: "two definitions", in: istatPRJ + istatPRJ, wantErr: "prj: malformed WKT: unexpected text"},
	{name: "empty argument", in: `PROJCS["x",,]`, wantErr: "prj: malformed WKT: want a value"},
	{name: "no name", in: `PROJCS[UNIT["Meter",1.0]]`, wantErr: "prj: PROJCS has no name"},
	{name: "empty name", in: `PROJCS["",UNIT["Meter",1.0]]`, wantErr: "prj: PROJCS has no name"},
	{name: "not a CRS", in: `DATUM["D_WGS_1984"]`, wantErr: `prj: "DATUM" is not a projected or geographic CRS`},
	{name: "geocentric", in: `GEOCCS["WGS 84",DATUM["D"]]`, wantErr: "is not a projected or geographic CRS"},
	{name: "bad authority code", in: `PROJCS["x",AUTHORITY["EPSG","abc"]]`, wantErr: `prj: EPSG code "abc" in "PROJCS AUTHORITY" is not an integer`},
	{name: "authority code zero", in: `PROJCS["x",AUTHORITY["EPSG","0"]]`, wantErr: "prj: EPSG code 0 is outside 1..998999"},
	{name: "too deep", in: strings.Repeat("A[", 40) + strings.Repeat("]", 40), wantErr: "nested more than 16 levels deep"},
	{name: "too large", in: strings.Repeat(" ", maxPRJ+1), wantErr: "more than a CRS definition needs"},
}

func TestParsePRJ(t *testing.T) {
	t.Parallel()
	for _, tt := range prjTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePRJ(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParsePRJ(%.60q) = %v, want error containing %q", tt.in, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParsePRJ(%.60q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePRJ(%.60q) error = %v, want %v", tt.in, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("ParsePRJ(%.60q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestPRJNamesNormalised keeps the table's keys in the form lookups use.
func TestPRJNamesNormalised(t *testing.T) {
	t.Parallel()
	for k, v := range prjNames {
		if got := normalizeCRSName(k); got != k {
			t.Errorf("normalizeCRSName(%q) = %q, want the key unchanged (SRID %d)", k, got, v)
		}
		if !v.Valid() {
			t.Errorf("prjNames[%q] = %d, want a valid SRID", k, v)
		}
	}
}

func TestNormalizeCRSName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"RDN2008 / UTM zone 32N", "rdn2008_utm_zone_32n"},
		{"RDN2008_UTM_Zone_32N", "rdn2008_utm_zone_32n"},
		{"  WGS 84 / Pseudo-Mercator ", "wgs_84_pseudo_mercator"},
		{"Monte Mario / Italy zone 1", "monte_mario_italy_zone_1"},
		{"__x__", "x"},
		{"", ""},
		{"à", ""},
	}
	for _, tt := range tests {
		if got := normalizeCRSName(tt.in); got != tt.want {
			t.Errorf("normalizeCRSName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
