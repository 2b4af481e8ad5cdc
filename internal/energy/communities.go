package energy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/plaintext"
	"github.com/cremasco/atlante/internal/store"
)

// CommunityInput is a community as a client sends it. For a change (a
// merge patch) absent members are left alone; to clear the referent send
// "" or null. name, status and comuni cannot be cleared: null for them is
// refused.
type CommunityInput struct {
	Name     *string   `json:"name"`
	Status   *string   `json:"status"`
	Referent *string   `json:"referent"`
	Comuni   *[]string `json:"comuni"`

	nulls []string // members sent as null, in the order of communityMembers
}

// communityMembers are the members of a community object, with what each
// must be.
var communityMembers = []struct{ name, want string }{
	{"name", "a string"},
	{"status", "a string, one of " + strings.Join(Statuses, ", ")},
	{"referent", "a string"},
	{"comuni", "a list of ISTAT codes (strings), e.g. [\"019035\"]"},
}

// memberName is a JSON member name plain enough to be quoted back.
var memberName = regexp.MustCompile(`^[A-Za-z0-9_]{1,40}$`)

// UnmarshalJSON reads a community object. Unlike encoding/json's default
// it tells an explicit null from an absent member (see CommunityInput),
// and refuses unknown members and wrong types naming the member.
func (in *CommunityInput) UnmarshalJSON(b []byte) error {
	const op = "energy.CommunityInput"
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return apperr.New(op, apperr.Invalid, "the body is not a JSON object with name, status, referent and comuni")
	}
	*in = CommunityInput{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.ContainsFunc(communityMembers, func(m struct{ name, want string }) bool { return m.name == k }) {
			field := "body"
			if memberName.MatchString(k) {
				field = k
			}
			return apperr.Invalidf(op, field, "unknown member; a community has name, status, referent and comuni")
		}
	}
	for _, m := range communityMembers {
		v, ok := raw[m.name]
		if !ok {
			continue
		}
		if string(bytes.TrimSpace(v)) == "null" {
			in.nulls = append(in.nulls, m.name)
			continue
		}
		var dst any
		switch m.name {
		case "name":
			dst = &in.Name
		case "status":
			dst = &in.Status
		case "referent":
			dst = &in.Referent
		case "comuni":
			dst = &in.Comuni
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return apperr.Invalidf(op, m.name, "want %s", m.want)
		}
	}
	return nil
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// checkIfMatch compares an If-Match header with the row's version; empty
// or "*" matches anything.
func checkIfMatch(op, ifMatch string, version int64) error {
	if ifMatch == "" || ifMatch == "*" {
		return nil
	}
	for _, tag := range strings.Split(ifMatch, ",") {
		if strings.TrimSpace(tag) == etag(version) {
			return nil
		}
	}
	return apperr.New(op, apperr.Precondition,
		"the community changed since you read it (its ETag is now %s): read it again and reapply your change", etag(version))
}

// community is a checked CommunityInput.
type community struct {
	name, status, referent string
	comuni                 []string
}

// check validates the input over base (the current community on a change,
// zero on create); with full every required member must be present.
func (in CommunityInput) check(op string, base community, full bool) (community, error) {
	c := base
	for _, k := range in.nulls {
		switch k {
		case "referent":
			c.referent = "" // null clears, as in a merge patch (RFC 7396)
		case "comuni":
			return c, apperr.Invalidf(op, k, "is required; send the list of ISTAT codes of the comuni the community involves")
		case "status":
			return c, apperr.Invalidf(op, k, "is required; one of %s", strings.Join(Statuses, ", "))
		default:
			return c, apperr.Invalidf(op, k, "is required")
		}
	}
	for _, t := range []struct {
		field string
		v     *string
	}{{"name", in.Name}, {"status", in.Status}, {"referent", in.Referent}} {
		if t.v != nil {
			if err := plaintext.Check(*t.v, plaintext.Line, 0); err != nil {
				return c, apperr.Invalidf(op, t.field, "%s", err)
			}
		}
	}
	if in.Name != nil {
		c.name = strings.TrimSpace(*in.Name)
	}
	if in.Status != nil {
		c.status = *in.Status
	}
	if in.Referent != nil {
		c.referent = strings.TrimSpace(*in.Referent)
	}
	if in.Comuni != nil {
		c.comuni = nil
		for _, code := range *in.Comuni {
			code = strings.TrimSpace(code)
			if !istatPattern.MatchString(code) {
				return c, apperr.Invalidf(op, "comuni", "%q is not an ISTAT code (6 digits, e.g. 019035)", truncate(code, 20))
			}
			if !slices.Contains(c.comuni, code) {
				c.comuni = append(c.comuni, code)
			}
		}
		slices.Sort(c.comuni)
	}
	switch {
	case c.name == "" && (full || in.Name != nil):
		return c, apperr.Invalidf(op, "name", "is required")
	case len([]rune(c.name)) > 200:
		return c, apperr.Invalidf(op, "name", "longer than 200 characters")
	case c.status == "" && full:
		return c, apperr.Invalidf(op, "status", "is required; one of %s", strings.Join(Statuses, ", "))
	case len(c.comuni) == 0 && (full || in.Comuni != nil):
		return c, apperr.Invalidf(op, "comuni", "give the ISTAT codes of the comuni the community involves (at least one)")
	case len(c.comuni) > 100:
		return c, apperr.Invalidf(op, "comuni", "at most 100 comuni")
	case len([]rune(c.referent)) > 200:
		return c, apperr.Invalidf(op, "referent", "longer than 200 characters")
	case strings.Contains(c.referent, "@") || phonePattern.MatchString(c.referent):
		return c, apperr.Invalidf(op, "referent", "give the name of the referent organisation, not contact details (no e-mail addresses or phone numbers)")
	case strings.Contains(c.name, "@") || phonePattern.MatchString(c.name):
		return c, apperr.Invalidf(op, "name", "a name may not hold e-mail addresses or phone numbers")
	}
	if err := oneOf(op, "status", c.status, Statuses); err != nil {
		return c, err
	}
	return c, nil
}

// allowAll checks that p may write the data of every comune in codes.
func allowAll(p *auth.Principal, codes ...[]string) error {
	for _, cs := range codes {
		for _, c := range cs {
			if err := p.Can(auth.Write, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkComuni refuses codes that are not loaded comuni.
func checkComuni(ctx context.Context, tx pgx.Tx, op string, codes []string) error {
	var missing []string
	err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(c ORDER BY c), '{}') FROM unnest($1::text[]) AS c
		WHERE NOT EXISTS (SELECT 1 FROM comuni WHERE istat_code = c)`, codes).Scan(&missing)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return apperr.Invalidf(op, "comuni", "%s: no such comune loaded", strings.Join(missing, ", "))
	}
	return nil
}

func communityJSON(ctx context.Context, tx pgx.Tx, id int64) ([]byte, error) {
	var b []byte
	err := tx.QueryRow(ctx, `SELECT to_jsonb(c) FROM cer_communities c WHERE id = $1`, id).Scan(&b)
	return b, err
}

// auditCommunity writes one audit row per comune the change concerns, so
// that each comune's log shows it.
func auditCommunity(ctx context.Context, tx pgx.Tx, p *auth.Principal, actor, action string, id int64, comuni []string, before, after []byte) error {
	var tok *int64
	if p != nil {
		actor = p.Name
		if p.TokenID != 0 {
			tok = &p.TokenID
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (token_id, actor, action, collection, object_id, istat_code, before, after)
		SELECT $1, $2, $3, $4, $5, c, $7, $8 FROM unnest($6::text[]) AS c`,
		tok, actor, action, LayerCommunities, strconv.FormatInt(id, 10), comuni, before, after)
	return err
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, c := range b {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

const insertCommunitySQL = `INSERT INTO cer_communities (name, status, referent, comuni, source, synthetic)
	VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`

// CreateCommunity adds a community. The caller's token must cover every
// comune it lists.
func (s *Store) CreateCommunity(ctx context.Context, p *auth.Principal, in CommunityInput) (CommunityDetail, error) {
	const op = "energy.CreateCommunity"
	if p == nil {
		return CommunityDetail{}, p.Can(auth.Write, "") // Unauthorized
	}
	c, err := in.check(op, community{}, true)
	if err != nil {
		return CommunityDetail{}, err
	}
	if err := allowAll(p, c.comuni); err != nil {
		return CommunityDetail{}, err
	}
	return s.insertCommunity(ctx, op, p, "", c, "edited in Atlante", false)
}

// ImportCommunity adds a community for a trusted caller (the command line,
// the demo): no token is checked; actor names the caller in the audit log.
func (s *Store) ImportCommunity(ctx context.Context, in CommunityInput, opts LoadOptions) (CommunityDetail, error) {
	const op = "energy.ImportCommunity"
	c, err := in.check(op, community{}, true)
	if err != nil {
		return CommunityDetail{}, err
	}
	if opts.Source == "" {
		opts.Source = "imported"
	}
	return s.insertCommunity(ctx, op, nil, opts.actor(), c, opts.Source, opts.Synthetic)
}

func (s *Store) insertCommunity(ctx context.Context, op string, p *auth.Principal, actor string, c community, source string, synthetic bool) (CommunityDetail, error) {
	var id int64
	err := s.versions.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		if err := checkComuni(ctx, tx, op, c.comuni); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, insertCommunitySQL, c.name, c.status, c.referent, c.comuni, source, synthetic).Scan(&id); err != nil {
			return nameConflict(err, c.name)
		}
		after, err := communityJSON(ctx, tx, id)
		if err != nil {
			return err
		}
		return auditCommunity(ctx, tx, p, actor, "create", id, c.comuni, nil, after)
	})
	if err != nil {
		return CommunityDetail{}, store.Translate(op, err)
	}
	return s.findCommunity(ctx, s.primary, id)
}

// nameConflict says which name is taken when the unique index refuses it.
func nameConflict(err error, name string) error {
	if apperr.KindOf(store.Translate("", err)) == apperr.Conflict {
		return apperr.Wrap("energy", apperr.Conflict, err, "a community named %q exists already", truncate(name, 60))
	}
	return err
}

// lockCommunity locks a community row and returns it as checked input,
// with its version.
func lockCommunity(ctx context.Context, tx pgx.Tx, op string, id int64) (community, int64, error) {
	var c community
	var version int64
	err := tx.QueryRow(ctx, `SELECT name, status, referent, comuni, version FROM cer_communities WHERE id = $1 FOR UPDATE`, id).
		Scan(&c.name, &c.status, &c.referent, &c.comuni, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, 0, apperr.New(op, apperr.NotFound, "no community %d", id)
	}
	return c, version, err
}

// UpdateCommunity applies a merge patch to a community. The caller's token
// must cover every comune it lists before and after the change; ifMatch,
// when given, must be its current ETag.
func (s *Store) UpdateCommunity(ctx context.Context, p *auth.Principal, id int64, in CommunityInput, ifMatch string) (CommunityDetail, error) {
	const op = "energy.UpdateCommunity"
	if p == nil {
		return CommunityDetail{}, p.Can(auth.Write, "")
	}
	err := s.versions.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		old, version, err := lockCommunity(ctx, tx, op, id)
		if err != nil {
			return err
		}
		// The scope before the version: a caller outside it learns nothing
		// of the community's state.
		if err := allowAll(p, old.comuni); err != nil {
			return err
		}
		c, err := in.check(op, old, false)
		if err != nil {
			return err
		}
		if err := allowAll(p, c.comuni); err != nil {
			return err
		}
		if err := checkIfMatch(op, ifMatch, version); err != nil {
			return err
		}
		if err := checkComuni(ctx, tx, op, c.comuni); err != nil {
			return err
		}
		var stranded []string
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT istat_code ORDER BY istat_code), '{}') FROM cer_sites
			WHERE community_id = $1 AND NOT istat_code = ANY ($2)`, id, c.comuni).Scan(&stranded); err != nil {
			return err
		}
		if len(stranded) > 0 {
			return apperr.New(op, apperr.Conflict, "comuni: the community has member sites in %s: move or delete them before dropping the comune",
				strings.Join(stranded, ", "))
		}
		before, err := communityJSON(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cer_communities SET name = $2, status = $3, referent = $4, comuni = $5 WHERE id = $1`,
			id, c.name, c.status, c.referent, c.comuni); err != nil {
			return nameConflict(err, c.name)
		}
		after, err := communityJSON(ctx, tx, id)
		if err != nil {
			return err
		}
		return auditCommunity(ctx, tx, p, "", "update", id, union(old.comuni, c.comuni), before, after)
	})
	if err != nil {
		return CommunityDetail{}, store.Translate(op, err)
	}
	return s.findCommunity(ctx, s.primary, id)
}

// DeleteCommunity removes a community without members. The caller's token
// must cover every comune it lists.
func (s *Store) DeleteCommunity(ctx context.Context, p *auth.Principal, id int64, ifMatch string) error {
	const op = "energy.DeleteCommunity"
	if p == nil {
		return p.Can(auth.Write, "")
	}
	err := s.versions.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		old, version, err := lockCommunity(ctx, tx, op, id)
		if err != nil {
			return err
		}
		if err := allowAll(p, old.comuni); err != nil {
			return err
		}
		if err := checkIfMatch(op, ifMatch, version); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM cer_sites WHERE community_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.New(op, apperr.Conflict, "the community has %s: delete them first (collection %s)", count(n, "member site", "member sites"), LayerSites)
		}
		before, err := communityJSON(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cer_communities WHERE id = $1`, id); err != nil {
			return err
		}
		return auditCommunity(ctx, tx, p, "", "delete", id, old.comuni, before, nil)
	})
	return store.Translate(op, err)
}
