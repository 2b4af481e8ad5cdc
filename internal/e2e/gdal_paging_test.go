package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/testserver"
)

// TestGdalFollowsCursorPages copies the civic numbers of a box with GDAL
// at a small page size, so that it walks hundreds of pages by their next
// links (cursors): it must receive every civic number of the box exactly
// once, as SQL selects them.
func TestGdalFollowsCursorPages(t *testing.T) {
	ogr2ogr := requireGDAL(t, "ogr2ogr")
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni", "coverage"}})
	out := filepath.Join(t.TempDir(), "civici.geojson")
	_, trace := gdalTrace(t, ogr2ogr, "-f", "GeoJSON", out, "OAPIF:"+s.URL+"/", "civici",
		"-oo", "PAGE_SIZE=25", "-spat", "9.68", "45.355", "9.70", "45.37")
	if n := strings.Count(trace, "cursor="); n < 20 {
		t.Errorf("GDAL followed %d cursor links, want many; its requests:\n%.3000s", n, requests(trace))
	}
	got := featureIDs(t, out)
	rows, err := s.DB.Read.Query(context.Background(), `SELECT id FROM civici
		WHERE ST_Intersects(geom, ST_MakeEnvelope(9.68, 45.355, 9.70, 45.37, 4326)) ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 500 {
		t.Fatalf("only %d civic numbers in the box: the test needs several hundred pages", len(want))
	}
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
	}
	missing, twice := 0, 0
	for _, id := range want {
		switch seen[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing > 0 || twice > 0 || len(got) != len(want) {
		t.Errorf("GDAL received %d features for the %d of the box: %d missing, %d more than once", len(got), len(want), missing, twice)
	}
	if errs := clientErrors(t, s); len(errs) > 0 {
		t.Errorf("the server refused requests from GDAL:\n%s", strings.Join(errs, "\n"))
	}
}
