package httpapi

import (
	"net/http"

	"github.com/cremasco/atlante/internal/auth"
)

// whoAmI is what a token may learn about itself: its name, role, comuni and
// the actions its role allows there. Never the secret, nor its hash.
type whoAmI struct {
	Name      string        `json:"name"`
	Role      auth.Role     `json:"role"`
	Comuni    []string      `json:"comuni"`     // ISTAT codes; empty for admin
	AllComuni bool          `json:"all_comuni"` // admin: every comune
	Actions   []auth.Action `json:"actions"`    // in the comuni above
}

// handleWhoAmI answers who the sent token is, so that a client (the map's
// sign-in) can say what it may do before trying. Without a token it is 401,
// like every endpoint that needs one; a bad token never gets here (see
// authenticate).
func (s *Server) handleWhoAmI(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	p := auth.FromContext(r.Context())
	if p == nil {
		return p.Can(auth.ReadPrivate, "") // Unauthorized
	}
	comuni := p.Comuni
	if p.Role == auth.Admin || comuni == nil {
		comuni = []string{}
	}
	actions := p.Role.Actions()
	if actions == nil {
		actions = []auth.Action{}
	}
	// It names the token's holder: like personal data, never stored on the way.
	privateResponse(w)
	return writeJSON(w, http.StatusOK, mediaJSON, whoAmI{
		Name: p.Name, Role: p.Role, Comuni: comuni, AllComuni: p.Role == auth.Admin, Actions: actions,
	})
}
