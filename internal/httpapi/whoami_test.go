package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/testserver"
)

// TestWhoAmI checks that a token learns its name, role, comuni and what it
// may do there, that nobody learns anything without one, and that the
// answer is never stored on the way.
func TestWhoAmI(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	store := auth.NewStore(s.DB.Write)
	token := func(name string, role auth.Role, comuni ...string) string {
		secret, _, err := store.CreateToken(context.Background(), name, role, comuni)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	type answer struct {
		Name      string   `json:"name"`
		Role      string   `json:"role"`
		Comuni    []string `json:"comuni"`
		AllComuni bool     `json:"all_comuni"`
		Actions   []string `json:"actions"`
	}
	tests := []struct {
		name   string
		secret string
		want   answer
	}{
		{"editor", token("Ufficio tecnico, Crema", auth.Editor, crema, "019072"),
			answer{"Ufficio tecnico, Crema", "editor", []string{crema, "019072"}, false, []string{"write", "read-private", "submit", "reopen"}}},
		{"validator", token("Protezione civile", auth.Validator, crema),
			answer{"Protezione civile", "validator", []string{crema}, false, []string{"read-private", "submit", "validate", "reopen"}}},
		{"private reader", token("Prefettura", auth.PrivateReader, crema),
			answer{"Prefettura", "private-reader", []string{crema}, false, []string{"read-private"}}},
		{"admin", token("consorzio", auth.Admin),
			answer{"consorzio", "admin", []string{}, true, []string{"write", "read-private", "submit", "validate", "reopen"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, s.URL+"/auth/whoami", http.StatusOK, "Authorization", "Bearer "+tt.secret)
			checkMediaType(t, res, "application/json")
			var got answer
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.Role != tt.want.Role || !slices.Equal(got.Comuni, tt.want.Comuni) ||
				got.AllComuni != tt.want.AllComuni || !slices.Equal(got.Actions, tt.want.Actions) {
				t.Errorf("GET /auth/whoami = %+v, want %+v", got, tt.want)
			}
			if bytes.Contains(body, []byte(tt.secret)) || bytes.Contains(body, []byte(tt.secret[:8])) {
				t.Errorf("the answer holds the secret or its prefix: %s", body)
			}
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			if v := res.Header.Get("Vary"); !strings.Contains(v, "Authorization") {
				t.Errorf("Vary = %q, want Authorization", v)
			}
		})
	}

	t.Run("without a token", func(t *testing.T) {
		res, body := get(t, s.URL+"/auth/whoami", http.StatusUnauthorized)
		checkMediaType(t, res, "application/problem+json")
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		if !bytes.Contains(body, []byte("Bearer")) {
			t.Errorf("the problem does not say how to send a token: %s", body)
		}
	})
	t.Run("revoked token", func(t *testing.T) {
		secret, tok, err := store.CreateToken(context.Background(), "revoked", auth.Editor, []string{crema})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.RevokeToken(context.Background(), tok.ID); err != nil {
			t.Fatal(err)
		}
		get(t, s.URL+"/auth/whoami", http.StatusUnauthorized, "Authorization", "Bearer "+secret)
	})
	t.Run("unknown parameter", func(t *testing.T) {
		get(t, s.URL+"/auth/whoami?token=x", http.StatusBadRequest, "Authorization", "Bearer "+tests[0].secret)
	})
	t.Run("OPTIONS", func(t *testing.T) {
		res, _ := do(t, http.MethodOptions, s.URL+"/auth/whoami")
		if got := res.Header.Get("Allow"); got != "GET, HEAD, OPTIONS" {
			t.Errorf("OPTIONS /auth/whoami: Allow = %q, want GET, HEAD, OPTIONS", got)
		}
	})
}

// TestMemberSchema checks the schema of a crisis-unit member against what
// the member endpoints accept: its writable fields are exactly the ones a
// member may be created with, its read-only ones are refused, and its role
// list is the domain's.
func TestMemberSchema(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	var sc struct {
		Properties map[string]struct {
			Type     any      `json:"type"`
			Enum     []string `json:"enum"`
			ReadOnly bool     `json:"readOnly"`
			Pattern  string   `json:"pattern"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	getJSON(t, s.URL+"/civil-protection/crisis-unit/schema", "application/schema+json", &sc)
	if got := sc.Properties["role"].Enum; !slices.Equal(got, civilprotection.CrisisRoles) {
		t.Errorf("role enum = %v, want %v", got, civilprotection.CrisisRoles)
	}
	if !slices.Equal(sc.Required, []string{"role", "name"}) {
		t.Errorf("required = %v, want [role name]", sc.Required)
	}
	secret, _, err := auth.NewStore(s.DB.Write).CreateToken(context.Background(), "editor", auth.Editor, []string{crema})
	if err != nil {
		t.Fatal(err)
	}
	// A member with every writable field of the schema, in its format.
	values := map[string]any{"role": sc.Properties["role"].Enum[0], "name": "Ufficio tecnico", "phone": "+39 0373 894000", "email": "tecnico@comune.crema.cr.it"}
	writable := map[string]any{}
	for name, p := range sc.Properties {
		if !p.ReadOnly {
			v, ok := values[name]
			if !ok {
				t.Fatalf("the schema has a writable %q this test does not know", name)
			}
			writable[name] = v
		}
	}
	post := func(body map[string]any) int {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/civil-protection/plans/"+crema+"/crisis-unit", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post(writable); got != http.StatusCreated {
		t.Errorf("POST a member with the schema's writable fields: %d, want 201", got)
	}
	for name, p := range sc.Properties {
		if p.ReadOnly {
			body := map[string]any{"role": "altro", "name": "x", name: "1"}
			if got := post(body); got != http.StatusBadRequest {
				t.Errorf("POST a member with read-only %q: %d, want 400", name, got)
			}
		}
	}
}
