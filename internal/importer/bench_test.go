package importer

import (
	"context"
	"testing"

	"github.com/cremasco/atlante/internal/store/storetest"
)

// BenchmarkReadComuni reads, checks and maps the 113 comuni of the province
// of Cremona (real ISTAT shapes, EPSG:32632): the per-file cost of an import
// before the database.
func BenchmarkReadComuni(b *testing.B) {
	path := storetest.SharedData(b, "cremona-comuni-32632.geojson")
	for b.Loop() {
		r, err := Open(path, OpenOptions{})
		if err != nil {
			b.Fatal(err)
		}
		cs, _, err := ReadComuni(context.Background(), r, ComuniOptions{})
		r.Close()
		if err != nil || len(cs) != 113 {
			b.Fatalf("ReadComuni: %d comuni, %v", len(cs), err)
		}
	}
}
