package energy

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store"
)

// Figures are the energy figures of a set of member sites: a community, or
// the sites of a comune.
type Figures struct {
	Members    int            `json:"members"`
	ByKind     map[string]int `json:"members_by_kind"`
	ByCategory map[string]int `json:"members_by_category"`
	// InstalledKW is the PV power of the members; StorageKWh their
	// batteries.
	InstalledKW float64 `json:"installed_kw"`
	StorageKWh  float64 `json:"storage_kwh"`
	// ProductionKWh is InstalledKW × YieldKWhPerKW; ConsumptionKWh the
	// members' yearly consumption as declared.
	ProductionKWh  float64 `json:"production_kwh_year"`
	ConsumptionKWh float64 `json:"consumption_kwh_year"`
	// SharedKWh is the shared-energy estimate: Simultaneity ×
	// min(production, consumption) for a community; for a comune, each
	// community's estimate shared out by its consumption in the comune.
	SharedKWh float64 `json:"shared_kwh_year"`
}

// Assumptions are the figures' constants and formulas, sent with them so
// that every number can be checked.
type Assumptions struct {
	YieldKWhPerKW float64 `json:"yield_kwh_per_kw_year"`
	Simultaneity  float64 `json:"simultaneity"`
	Production    string  `json:"production"`
	Shared        string  `json:"shared"`
	SharedComune  string  `json:"shared_comune"`
	YieldSource   string  `json:"yield_source"`
}

// AssumptionsApplied are the assumptions of every figure.
var AssumptionsApplied = Assumptions{
	YieldKWhPerKW: YieldKWhPerKW,
	Simultaneity:  Simultaneity,
	Production:    "production_kwh_year = installed_kw × yield_kwh_per_kw_year",
	Shared:        "shared_kwh_year = simultaneity × min(production_kwh_year, consumption_kwh_year), per community",
	SharedComune:  "for a comune: Σ over communities of the community's shared_kwh_year × (its members' consumption in the comune ÷ its consumption)",
	YieldSource: "1,250 kWh/kWp/year: PNRR M2C2 Investimento 1.2 planning figure for new CER photovoltaics (2,000 MW ≈ 2,500 GWh/year), " +
		"within the range usually given for well-oriented plants in the Po valley; the installed fleet of the province of Cremona did about 1,000 kWh/kW in 2019",
}

func newFigures() Figures {
	f := Figures{ByKind: map[string]int{}, ByCategory: map[string]int{}}
	for _, k := range Kinds {
		f.ByKind[k] = 0
	}
	for _, c := range Categories {
		f.ByCategory[c] = 0
	}
	return f
}

// add counts the members into f, without production or shared energy.
func (f *Figures) add(ms []Member) {
	for _, m := range ms {
		f.Members++
		f.ByKind[m.Kind]++
		f.ByCategory[m.Category]++
		f.InstalledKW += m.PVKW
		f.StorageKWh += m.StorageKWh
		f.ConsumptionKWh += m.ConsumptionKWh
	}
}

// finish computes production, rounds, and with community the shared
// estimate.
func (f *Figures) finish(community bool) {
	f.ProductionKWh = f.InstalledKW * YieldKWhPerKW
	if community {
		f.SharedKWh = Simultaneity * min(f.ProductionKWh, f.ConsumptionKWh)
	}
	f.InstalledKW, f.StorageKWh = round3(f.InstalledKW), round3(f.StorageKWh)
	f.ProductionKWh, f.ConsumptionKWh, f.SharedKWh = round3(f.ProductionKWh), round3(f.ConsumptionKWh), round3(f.SharedKWh)
}

// CommunityFigures returns the figures of a community's members.
func CommunityFigures(ms []Member) Figures {
	f := newFigures()
	f.add(ms)
	f.finish(true)
	return f
}

// Community is a renewable energy community with its figures and whether
// it meets the rules.
type Community struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	Referent  string    `json:"referent"`
	Comuni    []string  `json:"comuni"`
	Source    string    `json:"source"`
	Synthetic bool      `json:"synthetic"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	Eligible  bool      `json:"eligible"`
	// ZoneCode is the zone of all the members, when they share one.
	ZoneCode *string `json:"zone_code"`
	// Reasons are the rules it does not meet (see Eligibility).
	Reasons []Reason `json:"reasons"`
	Figures Figures  `json:"figures"`
}

// CommunityDetail is a community with its members, each with its zone.
type CommunityDetail struct {
	Community
	Members []Member `json:"members"`
}

// ETag is the community's entity tag for If-Match.
func (c Community) ETag() string { return etag(c.Version) }

// CommunityFilter narrows FindCommunities.
type CommunityFilter struct {
	Status string // one of Statuses, or "" for all
	Comune string // ISTAT code the community lists, or "" for all
}

const communitiesSQL = `
SELECT id, name, status, referent, comuni, source, synthetic, version, updated_at
FROM cer_communities
WHERE ($1 = '' OR status = $1) AND ($2 = '' OR $2 = ANY (comuni))
ORDER BY name, id`

func scanCommunities(rows pgx.Rows) ([]Community, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Community, error) {
		var c Community
		err := r.Scan(&c.ID, &c.Name, &c.Status, &c.Referent, &c.Comuni, &c.Source, &c.Synthetic, &c.Version, &c.UpdatedAt)
		c.UpdatedAt = c.UpdatedAt.UTC()
		return c, err
	})
}

// complete fills the figures and eligibility of cs and returns their
// members, by community.
func complete(ctx context.Context, q querier, cs []Community) (map[int64][]Member, error) {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	byCommunity, err := findMembers(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	var all []Member
	for _, ms := range byCommunity {
		all = append(all, ms...)
	}
	zones, err := zonesOf(ctx, q, all)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		ms := byCommunity[cs[i].ID]
		cs[i].Figures = CommunityFigures(ms)
		cs[i].Reasons = Evaluate(ms, zones)
		cs[i].Eligible = len(cs[i].Reasons) == 0
		if z := sharedZone(ms, zones); z != nil {
			cs[i].ZoneCode = &z.Code
		}
	}
	return byCommunity, nil
}

// FindCommunities lists the communities, by name, with their figures and
// eligibility.
func (s *Store) FindCommunities(ctx context.Context, f CommunityFilter) ([]Community, error) {
	const op = "energy.FindCommunities"
	if f.Status != "" {
		if err := oneOf(op, "status", f.Status, Statuses); err != nil {
			return nil, err
		}
	}
	if f.Comune != "" && !istatPattern.MatchString(f.Comune) {
		return nil, apperr.Invalidf(op, "comune", "%q is not an ISTAT code (6 digits, e.g. 019035)", truncate(f.Comune, 20))
	}
	rows, err := s.read.Query(ctx, communitiesSQL, f.Status, f.Comune)
	if err != nil {
		return nil, store.Translate(op, err)
	}
	cs, err := scanCommunities(rows)
	if err != nil {
		return nil, store.Translate(op, err)
	}
	if _, err := complete(ctx, s.read, cs); err != nil {
		return nil, store.Translate(op, err)
	}
	if cs == nil {
		cs = []Community{}
	}
	return cs, nil
}

// FindCommunity returns a community with its members, figures and
// eligibility.
func (s *Store) FindCommunity(ctx context.Context, id int64) (CommunityDetail, error) {
	return s.findCommunity(ctx, s.read, id)
}

func (s *Store) findCommunity(ctx context.Context, q querier, id int64) (CommunityDetail, error) {
	const op = "energy.FindCommunity"
	rows, err := q.Query(ctx, `SELECT id, name, status, referent, comuni, source, synthetic, version, updated_at
		FROM cer_communities WHERE id = $1`, id)
	if err != nil {
		return CommunityDetail{}, store.Translate(op, err)
	}
	cs, err := scanCommunities(rows)
	if err != nil {
		return CommunityDetail{}, store.Translate(op, err)
	}
	if len(cs) == 0 {
		return CommunityDetail{}, apperr.New(op, apperr.NotFound, "no community %d", id)
	}
	members, err := complete(ctx, q, cs)
	if err != nil {
		return CommunityDetail{}, store.Translate(op, err)
	}
	d := CommunityDetail{Community: cs[0], Members: members[id]}
	if d.Members == nil {
		d.Members = []Member{}
	}
	return d, nil
}

// ComuneFigures are the figures of a comune: its member sites, and the
// communities that list it.
type ComuneFigures struct {
	ISTATCode string `json:"istat_code"`
	Name      string `json:"name"`
	// Sites are the figures of the member sites that lie in the comune,
	// whatever their community; SharedKWh is their share of their
	// communities' shared energy (see AssumptionsApplied.SharedComune).
	Sites       Figures           `json:"sites"`
	Communities []ComuneCommunity `json:"communities"`
	Assumptions Assumptions       `json:"assumptions"`
}

// ComuneCommunity is a community that lists the comune, with its own
// figures and the members it has in the comune.
type ComuneCommunity struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	Eligible        bool    `json:"eligible"`
	MembersInComune int     `json:"members_in_comune"`
	Figures         Figures `json:"figures"`
}

// ComuneFigures returns the figures of comune istat.
func (s *Store) ComuneFigures(ctx context.Context, istat string) (ComuneFigures, error) {
	const op = "energy.ComuneFigures"
	cf := ComuneFigures{ISTATCode: istat, Assumptions: AssumptionsApplied}
	if !istatPattern.MatchString(istat) {
		return cf, apperr.Invalidf(op, "istat", "%q is not an ISTAT code (6 digits, e.g. 019035)", truncate(istat, 20))
	}
	err := s.read.QueryRow(ctx, `SELECT name FROM comuni WHERE istat_code = $1`, istat).Scan(&cf.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return cf, apperr.New(op, apperr.NotFound, "no comune %s", istat)
	}
	if err != nil {
		return cf, store.Translate(op, err)
	}
	// Every community with a member here lists the comune (a trigger sees
	// to it), so these are all the communities concerned.
	rows, err := s.read.Query(ctx, communitiesSQL, "", istat)
	if err != nil {
		return cf, store.Translate(op, err)
	}
	cs, err := scanCommunities(rows)
	if err != nil {
		return cf, store.Translate(op, err)
	}
	members, err := complete(ctx, s.read, cs)
	if err != nil {
		return cf, store.Translate(op, err)
	}
	cf.Sites = newFigures()
	cf.Communities = []ComuneCommunity{}
	var shared float64
	for _, c := range cs {
		var here []Member
		for _, m := range members[c.ID] {
			if m.ISTATCode == istat {
				here = append(here, m)
			}
		}
		cf.Sites.add(here)
		if c.Figures.ConsumptionKWh > 0 {
			var consumption float64
			for _, m := range here {
				consumption += m.ConsumptionKWh
			}
			// c.Figures is rounded to the Wh; the share is of that, so
			// the comuni of a community add up to its figure.
			shared += c.Figures.SharedKWh * consumption / c.Figures.ConsumptionKWh
		}
		cf.Communities = append(cf.Communities, ComuneCommunity{ID: c.ID, Name: c.Name, Status: c.Status, Eligible: c.Eligible,
			MembersInComune: len(here), Figures: c.Figures})
	}
	cf.Sites.finish(false)
	cf.Sites.SharedKWh = round3(shared)
	return cf, nil
}
