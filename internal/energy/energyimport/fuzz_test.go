package energyimport_test

import (
	"math"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/energy/energyimport"
)

// FuzzEnergySitesCSV: whatever the bytes, ReadSitesCSV returns either an
// Invalid error naming a field, or rows with finite coordinates and
// figures, each naming its line.
func FuzzEnergySitesCSV(f *testing.F) {
	for _, seed := range []string{
		"kind,name,category,pv_kw,storage_kwh,consumption_kwh,lon,lat\nprosumer,School,school,40,,60000,9.69,45.36\n",
		"\ufeffKIND;Name;Category;PV_KW;X;Y;istat_code\nprosumer;Scuola;school;40,5;9,69;45,36;019035\n",
		"kind,name,category,lon,lat\nconsumer,\"A,household,9.69,45.36\n",
		"kind,name,category,lon,lat\nconsumer,A,household,1e400,45\n",
		"kind,name,category,lon,lat,lon\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rows, err := energyimport.ReadSitesCSV(strings.NewReader(text), "f.csv")
		if err != nil {
			if apperr.KindOf(err) != apperr.Invalid || len(apperr.Fields(err)) != 1 || !strings.HasPrefix(apperr.Message(err), "f.csv") {
				t.Fatalf("error %v: want an Invalid error naming the file and one field", err)
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		for _, r := range rows {
			for _, v := range []float64{r.Point[0], r.Point[1], r.PVKW, r.StorageKWh, r.ConsumptionKWh} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("row %+v holds a non-finite number", r)
				}
			}
			if !strings.HasPrefix(r.Ref, "line ") {
				t.Fatalf("row ref %q does not name its line", r.Ref)
			}
		}
	})
}
