package civilprotection

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/plaintext"
	"github.com/cremasco/atlante/internal/store"
)

var istatPattern = regexp.MustCompile(`^[0-9]{6}$`)

// checkISTAT refuses anything but a 6-digit ISTAT code.
func checkISTAT(op, s string) error {
	if !istatPattern.MatchString(s) {
		return apperr.New(op, apperr.NotFound, "no comune %q: an ISTAT code has 6 digits, e.g. 019035", truncate(s, 20))
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Plan is a comune's civil-protection plan as the public sees it.
type Plan struct {
	ISTATCode        string     `json:"istat_code"`
	Name             string     `json:"name"`
	Status           string     `json:"status"` // draft, submitted, validated, returned, or none
	Version          *int       `json:"version"`
	StatusSince      *time.Time `json:"status_since"`
	ValidatedAt      *time.Time `json:"validated_at"`
	ValidatedVersion *int       `json:"validated_version"`
	HasValidatedPlan bool       `json:"has_validated_plan"`
	// Counts and History are filled by FindPlan only.
	Counts  *PlanCounts    `json:"counts,omitempty"`
	History []HistoryEntry `json:"history,omitempty"`
}

// PlanCounts counts the public data of a plan.
type PlanCounts struct {
	Scenarios          int `json:"scenarios"`
	EmergencyAreas     int `json:"emergency_areas"`
	StrategicBuildings int `json:"strategic_buildings"`
}

// HistoryEntry is one transition of a plan. Actor and Reason are set only
// for callers who may read the comune's private data.
type HistoryEntry struct {
	Version int       `json:"version"`
	From    *string   `json:"from"`
	To      string    `json:"to"`
	At      time.Time `json:"at"`
	Role    *string   `json:"role"`
	Actor   *string   `json:"actor,omitempty"`
	Reason  *string   `json:"reason,omitempty"`
}

// PlanFilter selects plans.
type PlanFilter struct {
	Status string // one of Statuses, or "" for all
}

const planColumns = `istat_code, name, status, version, status_since, validated_at, validated_version, has_validated_plan`

func scanPlan(row pgx.Row) (Plan, error) {
	var p Plan
	err := row.Scan(&p.ISTATCode, &p.Name, &p.Status, &p.Version, &p.StatusSince, &p.ValidatedAt, &p.ValidatedVersion, &p.HasValidatedPlan)
	return p, err
}

// findPlansSQL lists the plans of the consortium's comuni (the plan-status
// layer, without geometry).
const findPlansSQL = `SELECT ` + planColumns + ` FROM cp_plan_status WHERE ($1 = '' OR status = $1) ORDER BY istat_code`

// FindPlans lists the plans of the consortium's comuni, with status "none"
// where a comune has none yet.
func (s *Store) FindPlans(ctx context.Context, f PlanFilter) ([]Plan, error) {
	const op = "civilprotection.FindPlans"
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, apperr.Invalidf(op, "status", "%q is not one of %s", truncate(f.Status, 30), strings.Join(Statuses, ", "))
	}
	rows, err := s.read.Query(ctx, findPlansSQL, f.Status)
	if err != nil {
		return nil, store.Translate(op, err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Plan, error) { return scanPlan(r) })
	if err != nil {
		return nil, store.Translate(op, err)
	}
	return ps, nil
}

// findPlanSQL reads any comune's plan (also outside the consortium).
const findPlanSQL = `
SELECT c.istat_code, c.name, coalesce(p.status, 'none'), p.version, p.status_since, p.validated_at, p.validated_version,
       p.validated_at IS NOT NULL,
       (SELECT count(*) FROM cp_scenarios x WHERE x.istat_code = c.istat_code),
       (SELECT count(*) FROM cp_emergency_areas x WHERE x.istat_code = c.istat_code),
       (SELECT count(*) FROM cp_buildings x WHERE x.istat_code = c.istat_code)
FROM comuni c LEFT JOIN cp_plans p USING (istat_code)
WHERE c.istat_code = $1`

const planHistorySQL = `
SELECT version, from_status, to_status, at, role, actor, reason
FROM cp_plan_history WHERE istat_code = $1 ORDER BY at, id`

// FindPlan returns a comune's plan with its counts and history. The
// history's actors and reasons are shown to callers who may read the
// comune's private data (see the package documentation); p may be nil.
func (s *Store) FindPlan(ctx context.Context, p *auth.Principal, istat string) (Plan, error) {
	return s.findPlan(ctx, s.read, p, istat)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) findPlan(ctx context.Context, q querier, p *auth.Principal, istat string) (Plan, error) {
	const op = "civilprotection.FindPlan"
	if err := checkISTAT(op, istat); err != nil {
		return Plan{}, err
	}
	var pl Plan
	var c PlanCounts
	err := q.QueryRow(ctx, findPlanSQL, istat).Scan(&pl.ISTATCode, &pl.Name, &pl.Status, &pl.Version, &pl.StatusSince,
		&pl.ValidatedAt, &pl.ValidatedVersion, &pl.HasValidatedPlan, &c.Scenarios, &c.EmergencyAreas, &c.StrategicBuildings)
	if errors.Is(err, pgx.ErrNoRows) {
		return Plan{}, apperr.New(op, apperr.NotFound, "no comune %s", istat)
	}
	if err != nil {
		return Plan{}, store.Translate(op, err)
	}
	pl.Counts = &c
	private := p.Can(auth.ReadPrivate, istat) == nil
	rows, err := q.Query(ctx, planHistorySQL, istat)
	if err != nil {
		return Plan{}, store.Translate(op, err)
	}
	pl.History, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (HistoryEntry, error) {
		var h HistoryEntry
		var actor string
		var reason *string
		err := r.Scan(&h.Version, &h.From, &h.To, &h.At, &h.Role, &actor, &reason)
		if private {
			h.Actor, h.Reason = &actor, reason
		}
		return h, err
	})
	if err != nil {
		return Plan{}, store.Translate(op, err)
	}
	if pl.History == nil {
		pl.History = []HistoryEntry{}
	}
	return pl, nil
}

// Transition is a step of a plan's lifecycle.
type Transition string

// The transitions.
const (
	Submit   Transition = "submit"
	Validate Transition = "validate"
	Return   Transition = "return"
	Reopen   Transition = "reopen"
)

// Transitions lists them in lifecycle order.
var Transitions = []Transition{Submit, Validate, Return, Reopen}

// transitionRule is who may take a transition, from which statuses, to
// which.
type transitionRule struct {
	action auth.Action
	from   []string
	to     string
}

var rules = map[Transition]transitionRule{
	Submit:   {auth.Submit, []string{"draft", "returned"}, "submitted"},
	Validate: {auth.Validate, []string{"submitted"}, "validated"},
	Return:   {auth.Validate, []string{"submitted"}, "returned"},
	Reopen:   {auth.Reopen, []string{"validated"}, "draft"},
}

// Action returns what a token must be allowed to do to take t.
func (t Transition) Action() auth.Action { return rules[t].action }

// possible says, for a status, what may happen next.
var possible = map[string]string{
	"draft":     "is a draft; only submit is possible",
	"submitted": "is submitted; only validate or return is possible",
	"validated": "is validated; only reopen is possible",
	"returned":  "was returned; only submit is possible",
}

// MaxReason bounds the reason of a transition, in characters.
const MaxReason = 2000

// ChangePlan takes a transition of the comune's plan on behalf of p, with
// an optional reason (required to return a plan), and returns the plan
// after it. In one transaction it locks the plan row, checks the status,
// changes it, and writes the history entry and an audit row. The caller is
// checked before anything is read, so a caller without the right learns
// nothing about the plan.
func (s *Store) ChangePlan(ctx context.Context, p *auth.Principal, istat string, t Transition, reason string) (Plan, error) {
	const op = "civilprotection.ChangePlan"
	rule, ok := rules[t]
	if !ok {
		return Plan{}, apperr.New(op, apperr.NotFound, "no transition %q", truncate(string(t), 20))
	}
	if err := p.Can(rule.action, istat); err != nil {
		return Plan{}, err
	}
	if err := checkISTAT(op, istat); err != nil {
		return Plan{}, err
	}
	reason = strings.TrimSpace(reason)
	if t == Return && reason == "" {
		return Plan{}, apperr.Invalidf(op, "reason", "say why the plan is returned, e.g. {\"reason\": \"the shelter capacity is missing\"}")
	}
	if err := plaintext.Check(reason, plaintext.Block, MaxReason); err != nil {
		return Plan{}, apperr.Invalidf(op, "reason", "%s", err)
	}
	var why *string
	if reason != "" {
		why = &reason
	}
	a := actorOf(p)
	var out Plan
	err := s.versions.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		var status string
		var before []byte
		err := tx.QueryRow(ctx, `SELECT status, to_jsonb(p) FROM cp_plans p WHERE istat_code = $1 FOR UPDATE`, istat).Scan(&status, &before)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM comuni WHERE istat_code = $1)`, istat).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return apperr.New(op, apperr.NotFound, "no comune %s", istat)
			}
			return apperr.New(op, apperr.Conflict, "comune %s has no plan yet: a plan starts as a draft with its first scenario, emergency area, strategic building or crisis-unit member", istat)
		}
		if err != nil {
			return err
		}
		if !slices.Contains(rule.from, status) {
			return apperr.New(op, apperr.Conflict, "plan %s %s", istat, possible[status])
		}
		var after []byte
		var version int
		if err := tx.QueryRow(ctx, changePlanSQL, istat, rule.to, t == Reopen).Scan(&version, &after); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cp_plan_history (istat_code, version, from_status, to_status, actor, token_id, role, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, istat, version, status, rule.to, a.Name, a.tokenID(), a.role(), why); err != nil {
			return err
		}
		if err := audit(ctx, tx, a, "transition", collectionPlans, istat, istat, before, after, why); err != nil {
			return err
		}
		out, err = s.findPlan(ctx, tx, p, istat)
		return err
	})
	return out, store.Translate(op, err)
}

// changePlanSQL moves a plan to status $2; $3 opens a new version.
// Validating records when and which version.
const changePlanSQL = `
UPDATE cp_plans p SET
	status = $2,
	status_since = now(),
	version = p.version + CASE WHEN $3 THEN 1 ELSE 0 END,
	validated_at = CASE WHEN $2 = 'validated' THEN now() ELSE p.validated_at END,
	validated_version = CASE WHEN $2 = 'validated' THEN p.version ELSE p.validated_version END
WHERE istat_code = $1
RETURNING version, to_jsonb(p)`
