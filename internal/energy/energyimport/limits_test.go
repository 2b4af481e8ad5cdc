package energyimport_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/energy/energyimport"
	"github.com/cremasco/atlante/internal/importer"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// TestEnergyImportLimits: the energy imports read their files under the
// importer's limits, and fail on them naming the file, the line and the
// limit, before the database is touched.
func TestEnergyImportLimits(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	st := energy.NewStore(db.Write, db.Read, nil)
	sites := write(t, "soci.csv", "kind;name;category;pv_kw;consumption_kwh;lon;lat\nprosumer;Scuola;school;40;60000;9,685;45,36\n"+
		"prosumer;"+strings.Repeat("X", 100000)+";company;20;1000;9,686;45,361\n")
	_, err := energyimport.Sites(ctx, st, sites, 1, energyimport.SiteOptions{})
	if msg := apperr.Message(err); apperr.KindOf(err) != apperr.Invalid || !strings.Contains(msg, "soci.csv:3: longer than 65,536 bytes: not a CSV file?") {
		t.Errorf("Sites(a line of 100 KB) = %v, want an invalid error naming line 3 and the limit", err)
	}
	zone := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"AC001E00001","name":"` + strings.Repeat("N", 5000) +
		`"},"geometry":{"type":"Polygon","coordinates":[[[9.6,45.3],[9.7,45.3],[9.7,45.4],[9.6,45.3]]]}}]}`
	_, err = energyimport.Zones(ctx, st, write(t, "zone.geojson", zone), energyimport.ZoneOptions{Limits: importer.Limits{MaxFeature: 4096}})
	if msg := apperr.Message(err); apperr.KindOf(err) != apperr.Invalid || !strings.Contains(msg, "zone.geojson:1:41: features[0] is larger than 4,096 bytes") {
		t.Errorf("Zones(a feature over --max-feature-size) = %v, want an invalid error naming the feature and the limit", err)
	}
	var n int
	if err := db.Read.QueryRow(ctx, `SELECT (SELECT count(*) FROM cer_zones) + (SELECT count(*) FROM cer_sites) + (SELECT count(*) FROM audit_log)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows after the failed imports (%v), want none", n, err)
	}
}
