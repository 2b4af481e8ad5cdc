package civilprotection

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/plaintext"
	"github.com/cremasco/atlante/internal/store"
)

// Member is a member of a comune's local crisis unit (UCL). Personal data:
// see the package documentation.
type Member struct {
	ID        int64     `json:"id"`
	ISTATCode string    `json:"istat_code"`
	Role      string    `json:"role"`
	Name      string    `json:"name"`
	Phone     *string   `json:"phone"`
	Email     *string   `json:"email"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ETag is the member's entity tag, for If-Match.
func (m Member) ETag() string { return etag(m.Version) }

// MemberInput is a member as a client sent it: the decoded JSON members
// role, name, phone and email. For an update (a JSON merge patch, RFC 7396)
// absent members are left alone and null clears phone or email.
type MemberInput map[string]any

// memberFields are the fields a client may send.
var memberFields = []string{"role", "name", "phone", "email"}

var fieldPattern = regexp.MustCompile(`^[a-z_]{1,40}$`)

// PhonePattern is the form of a member's phone number; MaxMemberName the
// length of a name, in characters. Both are published in the member's
// JSON Schema (httpapi), which the map's forms follow.
const (
	PhonePattern  = `^\+?[0-9][0-9 ./()-]{3,38}[0-9]$`
	MaxMemberName = 200
)

var phonePattern = regexp.MustCompile(PhonePattern)

// memberValues checks a member input; with full (create, replace) role and
// name are required and absent phone and email become null. Messages never
// quote a value: they are personal data and problem details are logged.
func memberValues(in MemberInput, full bool) (map[string]*string, error) {
	const op = "civilprotection.member"
	out := map[string]*string{}
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := in[k]
		if !slices.Contains(memberFields, k) {
			if k == "id" || k == "istat_code" || k == "version" || k == "updated_at" {
				return nil, apperr.Invalidf(op, k, "cannot be written")
			}
			// Only a plain field name is quoted back: a key could be anything.
			field := "field"
			if fieldPattern.MatchString(k) {
				field = k
			}
			return nil, apperr.Invalidf(op, field, "unknown field; a member has %s", strings.Join(memberFields, ", "))
		}
		if v == nil {
			if k == "role" || k == "name" {
				return nil, apperr.Invalidf(op, k, "is required")
			}
			out[k] = nil
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, apperr.Invalidf(op, k, "want a string")
		}
		if err := plaintext.Check(s, plaintext.Line, 0); err != nil {
			return nil, apperr.Invalidf(op, k, "%s", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			if k == "role" || k == "name" {
				return nil, apperr.Invalidf(op, k, "is required")
			}
			out[k] = nil
			continue
		}
		switch k {
		case "role":
			if !slices.Contains(CrisisRoles, s) {
				return nil, apperr.Invalidf(op, k, "not one of %s", strings.Join(CrisisRoles, ", "))
			}
		case "name":
			if utf8.RuneCountInString(s) > MaxMemberName {
				return nil, apperr.Invalidf(op, k, "want a name of at most %d characters", MaxMemberName)
			}
		case "phone":
			if !phonePattern.MatchString(s) {
				return nil, apperr.Invalidf(op, k, "not a phone number: want digits, spaces, and an optional leading +, e.g. +39 0373 000000")
			}
		case "email":
			a, err := mail.ParseAddress(s)
			if err != nil || a.Address != s || len(s) > 254 {
				return nil, apperr.Invalidf(op, k, "not an e-mail address: want name@domain")
			}
		}
		out[k] = &s
	}
	if full {
		for _, k := range memberFields {
			if _, ok := out[k]; !ok {
				if k == "role" || k == "name" {
					return nil, apperr.Invalidf(op, k, "is required")
				}
				out[k] = nil
			}
		}
	}
	return out, nil
}

const memberColumns = `id, istat_code, role, name, phone, email, version, updated_at`

func scanMember(row pgx.Row) (Member, error) {
	var m Member
	err := row.Scan(&m.ID, &m.ISTATCode, &m.Role, &m.Name, &m.Phone, &m.Email, &m.Version, &m.UpdatedAt)
	return m, err
}

// allowPrivate checks the caller for an action on a comune's crisis unit:
// the caller first (401, 403), so that nothing about the comune or its
// members is revealed to whoever may not see it, then the code (404).
func allowPrivate(op string, p *auth.Principal, a auth.Action, istat string) error {
	if err := p.Can(a, istat); err != nil {
		return err
	}
	return checkISTAT(op, istat)
}

// comuneExists returns NotFound for an unknown comune.
func comuneExists(ctx context.Context, q querier, op, istat string) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM comuni WHERE istat_code = $1)`, istat).Scan(&ok); err != nil {
		return store.Translate(op, err)
	}
	if !ok {
		return apperr.New(op, apperr.NotFound, "no comune %s", istat)
	}
	return nil
}

// FindCrisisUnit returns the members of a comune's crisis unit, for a
// caller who may read its private data.
func (s *Store) FindCrisisUnit(ctx context.Context, p *auth.Principal, istat string) ([]Member, error) {
	const op = "civilprotection.FindCrisisUnit"
	if err := allowPrivate(op, p, auth.ReadPrivate, istat); err != nil {
		return nil, err
	}
	if err := comuneExists(ctx, s.primary, op, istat); err != nil {
		return nil, err
	}
	rows, err := s.primary.Query(ctx, `SELECT `+memberColumns+` FROM cp_crisis_unit WHERE istat_code = $1
		ORDER BY array_position($2::text[], role), id`, istat, CrisisRoles)
	if err != nil {
		return nil, store.Translate(op, err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) { return scanMember(r) })
	if err != nil {
		return nil, store.Translate(op, err)
	}
	if ms == nil {
		ms = []Member{}
	}
	return ms, nil
}

// parseMemberID reads a member id from a URL; anything else is not found.
func parseMemberID(op, istat, id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(op, apperr.NotFound, "comune %s has no crisis-unit member %s", istat, truncate(id, 20))
	}
	return n, nil
}

// FindMember returns one member of a comune's crisis unit.
func (s *Store) FindMember(ctx context.Context, p *auth.Principal, istat, id string) (Member, error) {
	const op = "civilprotection.FindMember"
	if err := allowPrivate(op, p, auth.ReadPrivate, istat); err != nil {
		return Member{}, err
	}
	n, err := parseMemberID(op, istat, id)
	if err != nil {
		return Member{}, err
	}
	m, err := scanMember(s.primary.QueryRow(ctx, `SELECT `+memberColumns+` FROM cp_crisis_unit WHERE id = $1 AND istat_code = $2`, n, istat))
	if errors.Is(err, pgx.ErrNoRows) {
		return Member{}, apperr.New(op, apperr.NotFound, "comune %s has no crisis-unit member %d", istat, n)
	}
	return m, store.Translate(op, err)
}

func memberJSON(ctx context.Context, tx pgx.Tx, id int64) ([]byte, error) {
	var b []byte
	err := tx.QueryRow(ctx, `SELECT to_jsonb(m) FROM cp_crisis_unit m WHERE id = $1`, id).Scan(&b)
	return b, err
}

// CreateMember adds a member to a comune's crisis unit. The comune's plan
// must be open (a draft or returned); a comune without a plan gets a draft.
func (s *Store) CreateMember(ctx context.Context, p *auth.Principal, istat string, in MemberInput) (Member, error) {
	const op = "civilprotection.CreateMember"
	if err := allowPrivate(op, p, auth.Write, istat); err != nil {
		return Member{}, err
	}
	vals, err := memberValues(in, true)
	if err != nil {
		return Member{}, err
	}
	var m Member
	err = store.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		if err := comuneExists(ctx, tx, op, istat); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO cp_crisis_unit (istat_code, role, name, phone, email) VALUES ($1, $2, $3, $4, $5)
			RETURNING id`, istat, vals["role"], vals["name"], vals["phone"], vals["email"]).Scan(&id); err != nil {
			return err
		}
		after, err := memberJSON(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, actorOf(p), "create", collectionCrisisUnit, strconv.FormatInt(id, 10), istat, nil, after, nil); err != nil {
			return err
		}
		m, err = scanMember(tx.QueryRow(ctx, `SELECT `+memberColumns+` FROM cp_crisis_unit WHERE id = $1`, id))
		return err
	})
	return m, store.Translate(op, err)
}

// ReplaceMember replaces a member (PUT): role and name are required,
// absent phone and email are cleared.
func (s *Store) ReplaceMember(ctx context.Context, p *auth.Principal, istat, id string, in MemberInput, ifMatch string) (Member, error) {
	return s.changeMember(ctx, "civilprotection.ReplaceMember", "replace", p, istat, id, in, true, ifMatch)
}

// UpdateMember applies a JSON merge patch to a member (PATCH).
func (s *Store) UpdateMember(ctx context.Context, p *auth.Principal, istat, id string, in MemberInput, ifMatch string) (Member, error) {
	return s.changeMember(ctx, "civilprotection.UpdateMember", "update", p, istat, id, in, false, ifMatch)
}

// lockMember locks a member of the comune and returns its version.
func lockMember(ctx context.Context, tx pgx.Tx, op, istat string, id int64) (int64, error) {
	var version int64
	err := tx.QueryRow(ctx, `SELECT version FROM cp_crisis_unit WHERE id = $1 AND istat_code = $2 FOR UPDATE`, id, istat).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(op, apperr.NotFound, "comune %s has no crisis-unit member %d", istat, id)
	}
	return version, err
}

func (s *Store) changeMember(ctx context.Context, op, action string, p *auth.Principal, istat, id string, in MemberInput, full bool, ifMatch string) (Member, error) {
	if err := allowPrivate(op, p, auth.Write, istat); err != nil {
		return Member{}, err
	}
	n, err := parseMemberID(op, istat, id)
	if err != nil {
		return Member{}, err
	}
	vals, err := memberValues(in, full)
	if err != nil {
		return Member{}, err
	}
	var m Member
	err = store.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		version, err := lockMember(ctx, tx, op, istat, n)
		if err != nil {
			return err
		}
		if err := checkIfMatch(op, ifMatch, version); err != nil {
			return err
		}
		before, err := memberJSON(ctx, tx, n)
		if err != nil {
			return err
		}
		sets := []string{"version = version"} // an empty patch still answers with the member
		args := []any{n}
		for _, k := range memberFields {
			if v, ok := vals[k]; ok {
				args = append(args, v)
				sets = append(sets, fmt.Sprintf("%s = $%d", pgx.Identifier{k}.Sanitize(), len(args)))
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE cp_crisis_unit SET `+strings.Join(sets, ", ")+` WHERE id = $1`, args...); err != nil {
			return err
		}
		after, err := memberJSON(ctx, tx, n)
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, actorOf(p), action, collectionCrisisUnit, strconv.FormatInt(n, 10), istat, before, after, nil); err != nil {
			return err
		}
		m, err = scanMember(tx.QueryRow(ctx, `SELECT `+memberColumns+` FROM cp_crisis_unit WHERE id = $1`, n))
		return err
	})
	return m, store.Translate(op, err)
}

// DeleteMember removes a member from a comune's crisis unit.
func (s *Store) DeleteMember(ctx context.Context, p *auth.Principal, istat, id, ifMatch string) error {
	const op = "civilprotection.DeleteMember"
	if err := allowPrivate(op, p, auth.Write, istat); err != nil {
		return err
	}
	n, err := parseMemberID(op, istat, id)
	if err != nil {
		return err
	}
	err = store.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		version, err := lockMember(ctx, tx, op, istat, n)
		if err != nil {
			return err
		}
		if err := checkIfMatch(op, ifMatch, version); err != nil {
			return err
		}
		before, err := memberJSON(ctx, tx, n)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cp_crisis_unit WHERE id = $1`, n); err != nil {
			return err
		}
		return audit(ctx, tx, actorOf(p), "delete", collectionCrisisUnit, strconv.FormatInt(n, 10), istat, before, nil, nil)
	})
	return store.Translate(op, err)
}
