package httpapi

import (
	"net/http"

	"github.com/cremasco/atlante/internal/civilprotection"
)

// pathMemberSchema is the JSON Schema of a crisis-unit member. The crisis
// unit is no layer (it is personal data), so it has no collection schema;
// this one says, in the shape of OGC API – Features Part 5, what a member
// holds and what a client may write, so that forms (the map's) follow the
// service instead of copying its lists. It describes fields, never data:
// it is public.
const pathMemberSchema = "/civil-protection/crisis-unit/schema"

// memberSchema is the schema of a member as GET …/crisis-unit/{id} sends
// it; readOnly marks what a client may not write.
func memberSchema(href string) ordered {
	readOnly := func(o ordered) ordered { return append(o, member{"readOnly", true}) }
	nullable := func(t string) []string { return []string{t, "null"} }
	return ordered{
		{"$schema", jsonSchema2020},
		{"$id", href},
		{"type", "object"},
		{"title", "Member of a comune's local crisis unit (UCL)"},
		{"description", "Personal data: served only to tokens that may read the comune's private data."},
		{"properties", ordered{
			{"id", readOnly(ordered{{"type", "integer"}, {"x-ogc-role", "id"}})},
			{"istat_code", readOnly(ordered{{"type", "string"}, {"description", "ISTAT code of the comune (from the path)"}})},
			{"role", ordered{{"type", "string"}, {"description", "role in the crisis unit"}, {"enum", civilprotection.CrisisRoles}}},
			{"name", ordered{{"type", "string"}, {"description", "name of the person or office"}, {"maxLength", civilprotection.MaxMemberName}}},
			{"phone", ordered{{"type", nullable("string")}, {"description", "phone number: digits, spaces, an optional leading +"},
				{"pattern", civilprotection.PhonePattern}}},
			{"email", ordered{{"type", nullable("string")}, {"description", "e-mail address"}, {"format", "email"}}},
			{"version", readOnly(ordered{{"type", "integer"}, {"description", "grows with each change (the ETag)"}})},
			{"updated_at", readOnly(ordered{{"type", "string"}, {"format", "date-time"}, {"description", "last change"}})},
		}},
		{"required", []string{"role", "name"}},
		{"additionalProperties", false},
	}
}

func (s *Server) handleMemberSchema(w http.ResponseWriter, r *http.Request) error {
	if _, err := onlyFormat(r, "json"); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mediaSchema, memberSchema(s.baseURL(r)+pathMemberSchema))
}
