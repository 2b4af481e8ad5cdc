package energy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store"
)

// Zone is a primary-substation zone.
type Zone struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Distributor string `json:"distributor"`
	Synthetic   bool   `json:"synthetic"`
}

// Member is a member site of a community with its zone.
type Member struct {
	ID             int64   `json:"id"`
	CommunityID    int64   `json:"community_id"`
	Kind           string  `json:"kind"`
	Name           string  `json:"name"`
	Category       string  `json:"category"`
	PVKW           float64 `json:"pv_kw"`
	StorageKWh     float64 `json:"storage_kwh"`
	ConsumptionKWh float64 `json:"consumption_kwh"`
	ISTATCode      string  `json:"istat_code"`
	Lon            float64 `json:"lon"`
	Lat            float64 `json:"lat"`
	// ZoneCode is the member's zone (nil outside every zone); BorderZones
	// lists every zone covering the point when there is more than one.
	ZoneCode    *string  `json:"zone_code"`
	BorderZones []string `json:"border_zones,omitempty"`
	OverLimit   bool     `json:"over_1mw"`
	Synthetic   bool     `json:"synthetic"`
}

// Reason codes of an ineligible community.
const (
	ReasonNoMembers    = "no_members"
	ReasonOutside      = "outside_zones"
	ReasonSeveralZones = "several_zones"
	ReasonOverLimit    = "plant_over_1mw"
)

// Reason says why a community does not meet one rule, and which members
// are concerned.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Zones groups the members by zone (several_zones).
	Zones []ZoneMembers `json:"zones,omitempty"`
	// Members are the ids of the members concerned.
	Members []int64 `json:"members,omitempty"`
}

// ZoneMembers are the members of a community in one zone.
type ZoneMembers struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	Members []int64 `json:"members"`
}

// Rules describes the rules as implemented, for clients.
type Rules struct {
	MaxPlantKW float64  `json:"max_plant_kw"`
	SameZone   string   `json:"same_zone"`
	BorderRule string   `json:"border_rule"`
	Sources    []string `json:"sources"`
}

// RulesApplied are the rules Eligibility applies.
var RulesApplied = Rules{
	MaxPlantKW: MaxPlantKW,
	SameZone:   "every member lies in a primary-substation zone, and all in the same one",
	BorderRule: "a point covered by several zones (on a shared border) belongs to the zone whose code comes first in byte order; border_zones lists them all",
	Sources: []string{
		"D.Lgs. 8 novembre 2021 n. 199, art. 8 c. 1 lett. a (plants of at most 1 MW) and lett. b (energy shared under the same primary substation), art. 31",
		"DM MASE 7 dicembre 2023 n. 414 (Decreto CACER), art. 3 c. 2 lett. d and art. 4 c. 1",
		"ARERA, delibera 727/2022/R/eel, Testo integrato autoconsumo diffuso (TIAD)",
		"GSE, Regole operative per l'accesso al servizio per l'autoconsumo diffuso (CACER), and GSE's map of the aree convenzionali of the cabine primarie",
	},
}

// Eligibility is whether a community meets the rules, and why not.
type Eligibility struct {
	Community CommunityRef `json:"community"`
	Eligible  bool         `json:"eligible"`
	// Zone is the zone of all the members, when they share one.
	Zone    *Zone    `json:"zone"`
	Reasons []Reason `json:"reasons"`
	Members []Member `json:"members"`
	Rules   Rules    `json:"rules"`
}

// CommunityRef names a community.
type CommunityRef struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// Evaluate applies the rules to the members of one community, in the order
// a promoter would fix them: no members; members outside every zone;
// members in several zones; plants over 1 MW. zones names the zones (by
// code) for the messages. It is pure: the zones of the members come from
// the database (cer_site_zones).
func Evaluate(members []Member, zones map[string]Zone) []Reason {
	reasons := []Reason{}
	if len(members) == 0 {
		return append(reasons, Reason{Code: ReasonNoMembers,
			Message: "the community has no members: add its member sites (producers, consumers, prosumers)"})
	}
	var outside, over []int64
	byZone := map[string][]int64{}
	for _, m := range members {
		if m.ZoneCode == nil {
			outside = append(outside, m.ID)
		} else {
			byZone[*m.ZoneCode] = append(byZone[*m.ZoneCode], m.ID)
		}
		if m.PVKW > MaxPlantKW {
			over = append(over, m.ID)
		}
	}
	if len(outside) > 0 {
		reasons = append(reasons, Reason{Code: ReasonOutside, Members: outside,
			Message: fmt.Sprintf("%s outside every primary-substation zone: every member must be under a primary substation (check the point, or load the zones that cover it)",
				count(len(outside), "member is", "members are"))})
	}
	if len(byZone) > 1 {
		codes := make([]string, 0, len(byZone))
		for c := range byZone {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		r := Reason{Code: ReasonSeveralZones}
		var parts []string
		for _, c := range codes {
			r.Zones = append(r.Zones, ZoneMembers{Code: c, Name: zones[c].Name, Members: byZone[c]})
			r.Members = append(r.Members, byZone[c]...)
			parts = append(parts, fmt.Sprintf("%s: %s", c, count(len(byZone[c]), "member", "members")))
		}
		slices.Sort(r.Members)
		r.Message = fmt.Sprintf("the members are under %d primary substations (%s): all must be under the same one for their shared energy to count",
			len(codes), strings.Join(parts, "; "))
		reasons = append(reasons, r)
	}
	if len(over) > 0 {
		var parts []string
		for _, m := range members {
			if m.PVKW > MaxPlantKW {
				parts = append(parts, fmt.Sprintf("%s, %s kW", m.Name, formatKW(m.PVKW)))
			}
		}
		reasons = append(reasons, Reason{Code: ReasonOverLimit, Members: over,
			Message: fmt.Sprintf("%s over 1 MW (%s): each plant must be at most %d kW",
				count(len(over), "plant is", "plants are"), strings.Join(parts, "; "), MaxPlantKW)})
	}
	return reasons
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func formatKW(kw float64) string {
	if kw == math.Trunc(kw) {
		return fmt.Sprintf("%.0f", kw)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", kw), "0"), ".")
}

// membersSQL reads the members of some communities with their zones (see
// cer_site_zones for the border rule).
const membersSQL = `
SELECT s.id, s.community_id, s.kind, s.name, s.category, s.pv_kw, s.storage_kwh, s.consumption_kwh, s.istat_code,
       round(ST_X(s.geom)::numeric, 7)::float8, round(ST_Y(s.geom)::numeric, 7)::float8, sz.zone_code, sz.zone_codes, s.synthetic
FROM cer_sites s JOIN cer_site_zones sz ON sz.site_id = s.id
WHERE s.community_id = ANY($1)
ORDER BY s.community_id, s.id`

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// findMembers returns the members of the communities, by community.
func findMembers(ctx context.Context, q querier, ids []int64) (map[int64][]Member, error) {
	rows, err := q.Query(ctx, membersSQL, ids)
	if err != nil {
		return nil, err
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) {
		var m Member
		var codes []string
		err := r.Scan(&m.ID, &m.CommunityID, &m.Kind, &m.Name, &m.Category, &m.PVKW, &m.StorageKWh, &m.ConsumptionKWh,
			&m.ISTATCode, &m.Lon, &m.Lat, &m.ZoneCode, &codes, &m.Synthetic)
		if len(codes) > 1 {
			m.BorderZones = codes
		}
		m.OverLimit = m.PVKW > MaxPlantKW
		return m, err
	})
	if err != nil {
		return nil, err
	}
	out := map[int64][]Member{}
	for _, m := range ms {
		out[m.CommunityID] = append(out[m.CommunityID], m)
	}
	return out, nil
}

// zonesOf returns the zones the members are in, by code.
func zonesOf(ctx context.Context, q querier, ms []Member) (map[string]Zone, error) {
	var codes []string
	for _, m := range ms {
		if m.ZoneCode != nil && !slices.Contains(codes, *m.ZoneCode) {
			codes = append(codes, *m.ZoneCode)
		}
	}
	zones := map[string]Zone{}
	if len(codes) == 0 {
		return zones, nil
	}
	rows, err := q.Query(ctx, `SELECT code, name, distributor, synthetic FROM cer_zones WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, err
	}
	zs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Zone])
	if err != nil {
		return nil, err
	}
	for _, z := range zs {
		zones[z.Code] = z
	}
	return zones, nil
}

// sharedZone returns the zone of all members when they all have the same
// one.
func sharedZone(ms []Member, zones map[string]Zone) *Zone {
	if len(ms) == 0 {
		return nil
	}
	for _, m := range ms {
		if m.ZoneCode == nil || *m.ZoneCode != *ms[0].ZoneCode {
			return nil
		}
	}
	z := zones[*ms[0].ZoneCode]
	return &z
}

// Eligibility says whether community id meets the rules, and why not: each
// member with its zone, and for each broken rule the members concerned.
func (s *Store) Eligibility(ctx context.Context, id int64) (Eligibility, error) {
	const op = "energy.Eligibility"
	var e Eligibility
	err := s.read.QueryRow(ctx, `SELECT id, name, status FROM cer_communities WHERE id = $1`, id).
		Scan(&e.Community.ID, &e.Community.Name, &e.Community.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, apperr.New(op, apperr.NotFound, "no community %d", id)
	}
	if err != nil {
		return e, store.Translate(op, err)
	}
	byCommunity, err := findMembers(ctx, s.read, []int64{id})
	if err != nil {
		return e, store.Translate(op, err)
	}
	e.Members = byCommunity[id]
	if e.Members == nil {
		e.Members = []Member{}
	}
	zones, err := zonesOf(ctx, s.read, e.Members)
	if err != nil {
		return e, store.Translate(op, err)
	}
	e.Reasons = Evaluate(e.Members, zones)
	e.Eligible = len(e.Reasons) == 0
	e.Zone = sharedZone(e.Members, zones)
	e.Rules = RulesApplied
	return e, nil
}

// ZoneAnswer is the zone at a point and the communities in it.
type ZoneAnswer struct {
	Lon  float64 `json:"lon"`
	Lat  float64 `json:"lat"`
	Zone Zone    `json:"zone"`
	// BorderZones lists every zone covering the point when there is more
	// than one (see the border rule).
	BorderZones []string `json:"border_zones,omitempty"`
	// Comune is the comune the point lies in, when one is loaded.
	Comune *ComuneRef `json:"comune"`
	// Communities have members in the zone, or have none yet and list the
	// point's comune.
	Communities []ZoneCommunity `json:"communities"`
}

// ComuneRef names a comune.
type ComuneRef struct {
	ISTATCode string `json:"istat_code"`
	Name      string `json:"name"`
}

// ZoneCommunity is a community as seen from a zone.
type ZoneCommunity struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Status        string `json:"status"`
	Eligible      bool   `json:"eligible"`
	Members       int    `json:"members"`
	MembersInZone int    `json:"members_in_zone"`
	// CouldJoin: every member of the community is in this zone (or it has
	// none yet), so a new member here keeps the same-substation rule. It
	// says nothing of the community's other problems (see Eligible).
	CouldJoin bool `json:"could_join"`
	// ComuneListed: the community already lists the point's comune; a
	// site there can be added only once it does.
	ComuneListed bool `json:"comune_listed"`
}

const zoneAtSQL = `
WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g), zs AS (SELECT cer_zones_at(p.g) AS codes FROM p)
SELECT z.code, z.name, z.distributor, z.synthetic, zs.codes,
       (SELECT c.istat_code FROM comuni c, p WHERE ST_Covers(c.geom, p.g) ORDER BY c.istat_code LIMIT 1)
FROM zs JOIN cer_zones z ON z.code = zs.codes[1]`

// zoneCommunitiesSQL lists the communities with members in zone $1, and
// those without members that list comune $2.
const zoneCommunitiesSQL = `
SELECT c.id, c.name, c.status, e.eligible, e.members, coalesce(n.in_zone, 0)::integer, coalesce($2 = ANY (c.comuni), false)
FROM cer_communities c
JOIN cer_community_eligibility e ON e.community_id = c.id
LEFT JOIN (
	SELECT s.community_id, count(*) AS in_zone
	FROM cer_sites s JOIN cer_site_zones sz ON sz.site_id = s.id
	WHERE sz.zone_code = $1 GROUP BY s.community_id
) n ON n.community_id = c.id
WHERE n.in_zone > 0 OR (e.members = 0 AND $2 = ANY (c.comuni))
ORDER BY c.name, c.id`

// ZoneAt returns the primary-substation zone at lon, lat (CRS84) and the
// communities in it; NotFound outside every zone.
func (s *Store) ZoneAt(ctx context.Context, lon, lat float64) (ZoneAnswer, error) {
	const op = "energy.ZoneAt"
	a := ZoneAnswer{Lon: lon, Lat: lat}
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return a, apperr.New(op, apperr.Invalid, "%g, %g is not a longitude, latitude in CRS84", lon, lat)
	}
	var codes []string
	var comune *string
	err := s.read.QueryRow(ctx, zoneAtSQL, lon, lat).Scan(&a.Zone.Code, &a.Zone.Name, &a.Zone.Distributor, &a.Zone.Synthetic, &codes, &comune)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, apperr.New(op, apperr.NotFound, "%g, %g is outside every primary-substation zone loaded", lon, lat)
	}
	if err != nil {
		return a, store.Translate(op, err)
	}
	if len(codes) > 1 {
		a.BorderZones = codes
	}
	code := ""
	if comune != nil {
		code = *comune
		a.Comune = &ComuneRef{ISTATCode: code}
		if err := s.read.QueryRow(ctx, `SELECT name FROM comuni WHERE istat_code = $1`, code).Scan(&a.Comune.Name); err != nil {
			return a, store.Translate(op, err)
		}
	}
	rows, err := s.read.Query(ctx, zoneCommunitiesSQL, a.Zone.Code, code)
	if err != nil {
		return a, store.Translate(op, err)
	}
	a.Communities, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ZoneCommunity, error) {
		var c ZoneCommunity
		err := r.Scan(&c.ID, &c.Name, &c.Status, &c.Eligible, &c.Members, &c.MembersInZone, &c.ComuneListed)
		c.CouldJoin = c.MembersInZone == c.Members
		return c, err
	})
	if err != nil {
		return a, store.Translate(op, err)
	}
	if a.Communities == nil {
		a.Communities = []ZoneCommunity{}
	}
	return a, nil
}
