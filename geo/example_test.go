package geo_test

import (
	"fmt"

	"github.com/cremasco/atlante/geo"
	"github.com/paulmach/orb/maptile"
)

func ExampleParseTile() {
	t, err := geo.ParseTile("14", "8633", "5873")
	fmt.Println(t.Z, t.X, t.Y, err)

	_, err = geo.ParseTile("3", "9", "0")
	fmt.Println(err)
	_, err = geo.ParseTile("abc", "0", "0")
	fmt.Println(err)
	// Output:
	// 14 8633 5873 <nil>
	// x: 9 is outside 0..7 at zoom 3
	// z: "abc" is not an integer
}

func ExampleTileBounds3857() {
	b := geo.TileBounds3857(maptile.New(1, 0, 1))
	fmt.Printf("%.2f %.2f %.2f %.2f\n", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	fmt.Printf("%.4f\n", geo.PixelSize(14, 4096))
	// Output:
	// 0.00 0.00 20037508.34 20037508.34
	// 0.5972
}

func ExampleParseBBox() {
	b, err := geo.ParseBBox("9.45,45.25,9.85,45.55")
	fmt.Println(b.Min, b.Max, err)
	fmt.Println(geo.FormatBBox(b))

	_, err = geo.ParseBBox("9.45,abc,9.85,45.55")
	fmt.Println(err)
	_, err = geo.ParseBBox("9.45,45.25,9.85")
	fmt.Println(err)
	// Output:
	// [9.45 45.25] [9.85 45.55] <nil>
	// 9.45,45.25,9.85,45.55
	// bbox: value 2 ("abc") is not a number
	// bbox: want 4 or 6 comma-separated numbers, got 3
}

func ExampleParseCRS() {
	for _, s := range []string{
		"http://www.opengis.net/def/crs/EPSG/0/32632",
		"urn:ogc:def:crs:OGC:1.3:CRS84",
		"EPSG:3857",
	} {
		srid, err := geo.ParseCRS(s)
		fmt.Println(srid, srid.URI(), err)
	}
	_, err := geo.ParseCRS("EPSG:0")
	fmt.Println(err)
	// Output:
	// EPSG:32632 http://www.opengis.net/def/crs/EPSG/0/32632 <nil>
	// EPSG:4326 http://www.opengis.net/def/crs/OGC/1.3/CRS84 <nil>
	// EPSG:3857 http://www.opengis.net/def/crs/EPSG/0/3857 <nil>
	// crs: EPSG code 0 is outside 1..998999
}

func ExampleParsePRJ() {
	srid, err := geo.ParsePRJ(`PROJCS["RDN2008_UTM_zone_32N",GEOGCS["GCS_RDN2008",DATUM["D_Rete_Dinamica_Nazionale_2008",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]`)
	fmt.Println(srid, err)

	_, err = geo.ParsePRJ(`PROJCS["Custom_Grid",UNIT["Meter",1.0]]`)
	fmt.Println(err)
	// Output:
	// EPSG:7791 <nil>
	// prj: unknown CRS "Custom_Grid" (PROJCS); give its EPSG code with --crs EPSG:nnnn
}
