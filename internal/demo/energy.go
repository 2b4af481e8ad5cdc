package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cremasco/atlante/internal/energy"
	"github.com/cremasco/atlante/internal/store"
)

// The demo's energy communities. The primary-substation zones are made up:
// the Voronoi cells of six invented substation points, clipped to the
// demo's comuni, with codes in GSE's 11-character form under an invented
// distributor number (AC999…). The places are real — the ex-Olivetti area
// of via Bramante in Crema, whose university building hosted the
// Università degli Studi di Milano's computer-science courses until 2020 —
// but every member, name and number is invented.

// demoSubstations are the invented substation points the zones grow from.
var demoSubstations = []struct {
	code, name string
	lon, lat   float64
}{
	{"AC999E00001", "Crema Nord (demo)", 9.686, 45.378},
	{"AC999E00002", "Crema Sud (demo)", 9.700, 45.318},
	{"AC999E00003", "Pandino (demo)", 9.545, 45.405},
	{"AC999E00004", "Sergnano (demo)", 9.700, 45.445},
	{"AC999E00005", "Romanengo (demo)", 9.805, 45.380},
	{"AC999E00006", "Castelleone (demo)", 9.775, 45.290},
}

// demoCommunity is an invented community and its members (CRS84 points;
// the comune of each is derived from the demo boundaries).
type demoCommunity struct {
	name, status, referent string
	comuni                 []string
	sites                  []energy.SiteRow
}

func site(kind, category, name string, pv, storage, consumption, lon, lat float64) energy.SiteRow {
	return energy.SiteRow{Ref: name, Kind: kind, Category: category, Name: name, PVKW: pv, StorageKWh: storage,
		ConsumptionKWh: consumption, Point: orb.Point{lon, lat}}
}

var demoCommunities = []demoCommunity{
	{
		// Eligible: every member under the "Crema Nord" substation, the
		// largest plant 350 kW.
		name: "CER Ex Olivetti Crema (demo)", status: "constituted", referent: "Associazione CER Ex Olivetti (demo)",
		comuni: []string{"019035"},
		sites: []energy.SiteRow{
			site("prosumer", "school", "Polo universitario di via Bramante, ex Olivetti (demo)", 180, 100, 420000, 9.6905, 45.3555),
			site("prosumer", "company", "Azienda cosmetica (demo)", 350, 200, 900000, 9.6932, 45.3548),
			site("consumer", "condominium", "Condominio via Bramante A (demo)", 0, 0, 48000, 9.6889, 45.3561),
			site("prosumer", "condominium", "Condominio via Bramante B (demo)", 20, 0, 52000, 9.6896, 45.3566),
			site("consumer", "condominium", "Condominio via Bramante C (demo)", 0, 0, 39000, 9.6911, 45.3569),
			site("consumer", "household", "Household 1, via Bramante (demo)", 0, 0, 2700, 9.6918, 45.3563),
			site("prosumer", "household", "Household 2, via Bramante (demo)", 6, 10, 3200, 9.6924, 45.3559),
		},
	},
	{
		// Not eligible on purpose: members under two substations and a
		// 1.5 MW plant.
		name: "CER Serio Nord (demo)", status: "constituting", referent: "Cooperativa energetica Serio (demo)",
		comuni: []string{"019072", "019094"},
		sites: []energy.SiteRow{
			site("producer", "company", "Impianto a terra Sergnano (demo)", 1500, 0, 20000, 9.6915, 45.4330),
			site("prosumer", "school", "Scuola primaria Sergnano (demo)", 40, 0, 60000, 9.6885, 45.4305),
			site("prosumer", "public_building", "Municipio Pianengo (demo)", 30, 0, 45000, 9.6972, 45.4035),
			site("consumer", "household", "Household, Pianengo (demo)", 0, 0, 3000, 9.6990, 45.4050),
		},
	},
	{
		// Eligible, still a proposal.
		name: "CER Pandino (demo)", status: "proposed", referent: "Associazione CER Pandino (demo)",
		comuni: []string{"019067"},
		sites: []energy.SiteRow{
			site("prosumer", "school", "Scuola secondaria Pandino (demo)", 60, 0, 70000, 9.5395, 45.4110),
			site("prosumer", "company", "Capannone artigianale Pandino (demo)", 200, 100, 150000, 9.5420, 45.4085),
			site("consumer", "condominium", "Condominio Pandino (demo)", 0, 0, 40000, 9.5370, 45.4098),
		},
	},
	{
		// Not eligible: no members yet.
		name: "CER Castelleone (demo)", status: "proposed", referent: "Comitato promotore CER Castelleone (demo)",
		comuni: []string{"019025"},
	},
}

// demoZonesSQL draws the zones: Voronoi cells of the substation points in
// metres (EPSG:32632), clipped to the union of the consortium's comuni.
const demoZonesSQL = `
WITH pts AS (
	SELECT code, ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 32632) AS g
	FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(code, lon, lat)
), area AS (
	SELECT ST_Union(ST_Transform(geom, 32632)) AS a FROM comuni WHERE consortium
), cells AS (
	SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(g), 0, (SELECT ST_Expand(a, 5000) FROM area)))).geom AS cell FROM pts
)
SELECT p.code, ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_Intersection(c.cell, area.a), 3)))
FROM pts p JOIN cells c ON ST_Contains(c.cell, p.g) CROSS JOIN area
WHERE area.a IS NOT NULL
ORDER BY p.code`

func loadEnergy(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	const op = "demo.energy"
	// Reloading replaces the demo's own rows and leaves real ones alone.
	for _, sql := range []string{
		`DELETE FROM cer_sites WHERE synthetic`,
		`DELETE FROM cer_communities c WHERE synthetic AND NOT EXISTS (SELECT 1 FROM cer_sites s WHERE s.community_id = c.id)`,
		`DELETE FROM cer_zones WHERE synthetic`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			return "", store.Translate(op, err)
		}
	}
	var codes []string
	var lons, lats []float64
	names := map[string]string{}
	for _, s := range demoSubstations {
		codes, lons, lats = append(codes, s.code), append(lons, s.lon), append(lats, s.lat)
		names[s.code] = s.name
	}
	rows, err := pool.Query(ctx, demoZonesSQL, codes, lons, lats)
	if err != nil {
		return "", store.Translate(op, err)
	}
	var zones []energy.ZoneRow
	for rows.Next() {
		var code string
		var b []byte
		if err := rows.Scan(&code, &b); err != nil {
			return "", store.Translate(op, err)
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return "", fmt.Errorf("zone %s: %w", code, err)
		}
		zones = append(zones, energy.ZoneRow{Ref: code, Code: code, Name: names[code], Distributor: "Distributore di esempio (demo)", Geom: g})
	}
	if err := rows.Err(); err != nil {
		return "", store.Translate(op, err)
	}
	if len(zones) == 0 {
		return "", fmt.Errorf("no comuni of the consortium are loaded: load the comuni step first")
	}
	st := energy.NewStore(pool, pool, nil)
	opts := energy.LoadOptions{Source: Source, Synthetic: true, Actor: "demo", File: "demo", SRID: 32632}
	if _, err := st.LoadZones(ctx, zones, opts); err != nil {
		return "", err
	}
	opts.SRID = 0
	sites := 0
	for _, dc := range demoCommunities {
		comuni := dc.comuni
		c, err := st.ImportCommunity(ctx, energy.CommunityInput{Name: &dc.name, Status: &dc.status, Referent: &dc.referent, Comuni: &comuni}, opts)
		if err != nil {
			return "", err
		}
		if len(dc.sites) == 0 {
			continue
		}
		sum, err := st.LoadSites(ctx, c.ID, dc.sites, opts)
		if err != nil {
			return "", err
		}
		sites += sum.Inserted
	}
	return fmt.Sprintf("%d primary-substation zones, %d energy communities, %d member sites", len(zones), len(demoCommunities), sites), nil
}
