// Package auth holds API tokens and what they allow. Tokens are bearer
// secrets stored only as SHA-256 hashes; each has a role and the comuni it
// acts on. Public layers need no token; writes and personal data do.
//
// Roles:
//   - admin: everything, everywhere;
//   - editor: writes the data of its comuni (scenarios, areas, buildings,
//     crisis unit, energy sites), reads their personal data, submits and
//     reopens their plans;
//   - validator: submits, validates, returns and reopens the plans of its
//     comuni and reads their personal data;
//   - private-reader: reads the personal data of its comuni.
package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/cremasco/atlante/internal/apperr"
)

// Role is what a token may do.
type Role string

// The roles.
const (
	Admin         Role = "admin"
	Editor        Role = "editor"
	Validator     Role = "validator"
	PrivateReader Role = "private-reader"
)

// Roles lists the roles in order of power.
var Roles = []Role{Admin, Editor, Validator, PrivateReader}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	if slices.Contains(Roles, Role(s)) {
		return Role(s), nil
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", apperr.Invalidf("auth.ParseRole", "role", "%q is not one of %s", s, strings.Join(names, ", "))
}

// Action is something a caller wants to do to the data of one comune.
type Action string

// The actions that need a token.
const (
	Write       Action = "write"        // create, change or delete data of the comune
	ReadPrivate Action = "read-private" // read personal data (the crisis unit)
	Submit      Action = "submit"       // submit the comune's plan for validation
	Validate    Action = "validate"     // validate or return a submitted plan
	Reopen      Action = "reopen"       // open a new version of a validated plan
)

// Actions lists the actions in the order people meet them.
var Actions = []Action{Write, ReadPrivate, Submit, Validate, Reopen}

// allowed says which roles may take each action (admin may take all).
var allowed = map[Action][]Role{
	Write:       {Editor},
	ReadPrivate: {Editor, Validator, PrivateReader},
	Submit:      {Editor, Validator},
	Validate:    {Validator},
	Reopen:      {Editor, Validator},
}

// Actions returns what a token of this role may do in its comuni, in the
// order of Actions: what a client shows before anyone tries (the map's
// sign-in). Can stays the check.
func (r Role) Actions() []Action {
	var out []Action
	for _, a := range Actions {
		if r == Admin || slices.Contains(allowed[a], r) {
			out = append(out, a)
		}
	}
	return out
}

// Principal is the authenticated caller.
type Principal struct {
	TokenID int64
	Name    string
	Role    Role
	Comuni  []string // ISTAT codes; ignored for admin
}

// Covers reports whether the principal's scope includes the comune.
func (p *Principal) Covers(istat string) bool {
	return p != nil && (p.Role == Admin || slices.Contains(p.Comuni, istat))
}

// Can returns nil when the principal may take action a on the data of the
// comune istat: Unauthorized without a principal, Forbidden outside the
// role or the scope.
func (p *Principal) Can(a Action, istat string) error {
	const op = "auth.Can"
	if p == nil {
		return apperr.New(op, apperr.Unauthorized, "this needs an API token: send Authorization: Bearer <token>")
	}
	if p.Role != Admin && !slices.Contains(allowed[a], p.Role) {
		return apperr.New(op, apperr.Forbidden, "a %s token may not %s", p.Role, a)
	}
	if !p.Covers(istat) {
		return apperr.New(op, apperr.Forbidden, "this token does not act on comune %s", istat)
	}
	return nil
}

type principalKey struct{}

// WithPrincipal returns a context carrying the authenticated caller.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller, or nil for an anonymous one.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
