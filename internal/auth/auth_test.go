package auth_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/store/storetest"
)

func TestCan(t *testing.T) {
	t.Parallel()
	own, other := "019035", "019002"
	tokens := map[auth.Role]*auth.Principal{}
	for _, r := range auth.Roles {
		tokens[r] = &auth.Principal{Name: string(r), Role: r, Comuni: []string{own}}
	}
	ok, unauth, forbid := apperr.Kind(-1), apperr.Unauthorized, apperr.Forbidden
	tests := []struct {
		role   auth.Role // "" = anonymous
		action auth.Action
		own    apperr.Kind
		other  apperr.Kind
	}{
		{"", auth.Write, unauth, unauth},
		{"", auth.ReadPrivate, unauth, unauth},
		{"", auth.Validate, unauth, unauth},
		{auth.Admin, auth.Write, ok, ok},
		{auth.Admin, auth.ReadPrivate, ok, ok},
		{auth.Admin, auth.Submit, ok, ok},
		{auth.Admin, auth.Validate, ok, ok},
		{auth.Admin, auth.Reopen, ok, ok},
		{auth.Editor, auth.Write, ok, forbid},
		{auth.Editor, auth.ReadPrivate, ok, forbid},
		{auth.Editor, auth.Submit, ok, forbid},
		{auth.Editor, auth.Validate, forbid, forbid},
		{auth.Editor, auth.Reopen, ok, forbid},
		{auth.Validator, auth.Write, forbid, forbid},
		{auth.Validator, auth.ReadPrivate, ok, forbid},
		{auth.Validator, auth.Submit, ok, forbid},
		{auth.Validator, auth.Validate, ok, forbid},
		{auth.Validator, auth.Reopen, ok, forbid},
		{auth.PrivateReader, auth.Write, forbid, forbid},
		{auth.PrivateReader, auth.ReadPrivate, ok, forbid},
		{auth.PrivateReader, auth.Submit, forbid, forbid},
		{auth.PrivateReader, auth.Validate, forbid, forbid},
		{auth.PrivateReader, auth.Reopen, forbid, forbid},
	}
	kind := func(err error) apperr.Kind {
		if err == nil {
			return ok
		}
		return apperr.KindOf(err)
	}
	for _, tt := range tests {
		p := tokens[tt.role]
		if got := kind(p.Can(tt.action, own)); got != tt.own {
			t.Errorf("%q.Can(%s, own comune) = %v, want %v", tt.role, tt.action, got, tt.own)
		}
		if got := kind(p.Can(tt.action, other)); got != tt.other {
			t.Errorf("%q.Can(%s, other comune) = %v, want %v", tt.role, tt.action, got, tt.other)
		}
	}
}

// TestRoleActions checks that what a role says it may do is what Can lets
// it do in its own comune, and that the list is the one people read.
func TestRoleActions(t *testing.T) {
	t.Parallel()
	want := map[auth.Role][]auth.Action{
		auth.Admin:         {auth.Write, auth.ReadPrivate, auth.Submit, auth.Validate, auth.Reopen},
		auth.Editor:        {auth.Write, auth.ReadPrivate, auth.Submit, auth.Reopen},
		auth.Validator:     {auth.ReadPrivate, auth.Submit, auth.Validate, auth.Reopen},
		auth.PrivateReader: {auth.ReadPrivate},
	}
	for _, r := range auth.Roles {
		got := r.Actions()
		if !slices.Equal(got, want[r]) {
			t.Errorf("%s.Actions() = %v, want %v", r, got, want[r])
		}
		p := &auth.Principal{Role: r, Comuni: []string{"019035"}}
		for _, a := range auth.Actions {
			if may := p.Can(a, "019035") == nil; may != slices.Contains(got, a) {
				t.Errorf("%s: Can(%s) allows = %v, but Actions() lists it = %v", r, a, may, !may)
			}
		}
	}
}

func TestTokens(t *testing.T) {
	db := storetest.NewDB(t)
	s := auth.NewStore(db.Write)
	ctx := context.Background()
	secret, tok, err := s.CreateToken(ctx, "ufficio tecnico Crema", auth.Editor, []string{"019035"})
	if err != nil {
		t.Fatal(err)
	}
	var stored int
	if err := db.Read.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE position($1::bytea IN hash) > 0 OR prefix = $2`,
		[]byte(secret), secret).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Error("the secret is stored in clear")
	}
	p, err := s.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("Authenticate(new token) = %v", err)
	}
	if p.TokenID != tok.ID || p.Role != auth.Editor || len(p.Comuni) != 1 || p.Comuni[0] != "019035" {
		t.Errorf("Authenticate = %+v, want token %d, editor of 019035", p, tok.ID)
	}
	for _, bad := range []string{"", "atl_", secret + "x", "Bearer " + secret, secret[:len(secret)-1]} {
		if _, err := s.Authenticate(ctx, bad); apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("Authenticate(%q) = %v, want unauthorized", bad, err)
		}
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, secret); apperr.KindOf(err) != apperr.Unauthorized {
		t.Errorf("Authenticate(revoked) = %v, want unauthorized", err)
	}
	if err := s.RevokeToken(ctx, tok.ID); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("RevokeToken(twice) = %v, want not found", err)
	}
	if _, _, err := s.CreateToken(ctx, "x", auth.Editor, nil); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("CreateToken(editor without comuni) = %v, want invalid", err)
	}
	ts, err := s.ListTokens(ctx)
	if err != nil || len(ts) != 1 || ts[0].RevokedAt == nil {
		t.Errorf("ListTokens = %+v, %v; want the one revoked token", ts, err)
	}
}
