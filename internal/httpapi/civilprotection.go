package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/civilprotection"
)

// maxSmallBody bounds a crisis-unit member or a transition's reason.
const maxSmallBody = 64 << 10

func (s *Server) civilProtectionRoutes(r chi.Router) {
	r.Get("/civil-protection/plans", s.handle(s.handlePlans))
	r.Get("/civil-protection/plans/{istat}", s.handle(s.handlePlan))
	for _, t := range civilprotection.Transitions {
		r.Post("/civil-protection/plans/{istat}/"+string(t), s.handle(s.handlePlanTransition(t)))
	}
	// What a member holds (fields only, public), for forms.
	r.Get(pathMemberSchema, s.handle(s.handleMemberSchema))
	// Personal data: every handler below needs a token (see package civilprotection).
	r.Get("/civil-protection/plans/{istat}/crisis-unit", s.handle(s.handleCrisisUnit))
	r.Post("/civil-protection/plans/{istat}/crisis-unit", s.handle(s.handleCreateMember))
	r.Get("/civil-protection/plans/{istat}/crisis-unit/{id}", s.handle(s.handleMember))
	r.Put("/civil-protection/plans/{istat}/crisis-unit/{id}", s.handle(s.handleChangeMember))
	r.Patch("/civil-protection/plans/{istat}/crisis-unit/{id}", s.handle(s.handleChangeMember))
	r.Delete("/civil-protection/plans/{istat}/crisis-unit/{id}", s.handle(s.handleDeleteMember))
	r.With(s.heavy(limitExposure)).Get("/civil-protection/scenarios/{id}/exposure", s.handle(s.handleExposure))
}

func (s *Server) handlePlans(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r, "status"); err != nil {
		return err
	}
	ps, err := s.civilProtection.FindPlans(r.Context(), civilprotection.PlanFilter{Status: r.URL.Query().Get("status")})
	if err != nil {
		return err
	}
	annotate(r, slog.Int("plans", len(ps)))
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{"plans": ps})
}

func (s *Server) handlePlan(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	p, err := s.civilProtection.FindPlan(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "istat"))
	if err != nil {
		return err
	}
	// The history shows more to some tokens (see package civilprotection).
	w.Header().Set("Vary", "Authorization")
	return writeJSON(w, http.StatusOK, mediaJSON, p)
}

func (s *Server) handlePlanTransition(t civilprotection.Transition) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := allowParams(r); err != nil {
			return err
		}
		// The caller before the body: an anonymous request learns nothing.
		if auth.FromContext(r.Context()) == nil {
			return (*auth.Principal)(nil).Can(auth.Submit, "")
		}
		// A map, so that an unknown member is refused rather than ignored.
		var body map[string]json.RawMessage
		if err := readSmallJSON(w, r, &body, true); err != nil {
			return err
		}
		var reason string
		for k, v := range body {
			if k != "reason" {
				field := "body"
				if memberName.MatchString(k) {
					field = k
				}
				return apperr.Invalidf("httpapi.transition", field, "unknown member; a transition takes only {\"reason\": \"…\"}")
			}
			if string(v) != "null" && json.Unmarshal(v, &reason) != nil {
				return apperr.Invalidf("httpapi.transition", "reason", "want a string")
			}
		}
		istat := chi.URLParam(r, "istat")
		p, err := s.civilProtection.ChangePlan(r.Context(), auth.FromContext(r.Context()), istat, t, reason)
		if err != nil {
			return err
		}
		annotate(r, slog.String("plan", istat), slog.String("transition", string(t)), slog.String("status", p.Status))
		return writeJSON(w, http.StatusOK, mediaJSON, p)
	}
}

// readSmallJSON decodes a small JSON object body into v. With optional, an
// empty body is fine. Decoding errors never quote the body: it may hold
// personal data.
func readSmallJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	const op = "httpapi.readJSON"
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSmallBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apperr.New(op, apperr.TooLarge, "the body may be at most %d KB", maxSmallBody>>10)
	}
	if err != nil {
		return apperr.Wrap(op, apperr.Invalid, err, "cannot read the request body")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if optional {
			return nil
		}
		return apperr.New(op, apperr.Invalid, "send a JSON object")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case mediaJSON, "application/merge-patch+json", "":
	default:
		return apperr.New(op, apperr.Invalid, "send JSON (Content-Type: %s), not %s", mediaJSON, truncateText(ct, 60))
	}
	if trimmed, ok := trimmedObject(body); !ok || !json.Valid(trimmed) {
		return apperr.New(op, apperr.Invalid, "the body is not a JSON object")
	}
	if err := checkNoDuplicates(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apperr.Invalidf(op, te.Field, "want a %s", te.Type)
		}
		return apperr.New(op, apperr.Invalid, "the body is not the expected JSON object")
	}
	return nil
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// privateResponse marks a response holding personal data: no shared or
// stored copies (RFC 9111 §5.2.2.5).
func privateResponse(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Vary", "Authorization")
}

func (s *Server) handleCrisisUnit(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	istat := chi.URLParam(r, "istat")
	ms, err := s.civilProtection.FindCrisisUnit(r.Context(), auth.FromContext(r.Context()), istat)
	if err != nil {
		return err
	}
	privateResponse(w)
	annotate(r, slog.String("plan", istat), slog.Int("members", len(ms)))
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{"istat_code": istat, "members": ms})
}

func (s *Server) handleMember(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	m, err := s.civilProtection.FindMember(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "istat"), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	privateResponse(w)
	if notModified(w, r, m.ETag()) {
		return nil
	}
	return writeMember(w, r, m, http.StatusOK)
}

func writeMember(w http.ResponseWriter, r *http.Request, m civilprotection.Member, status int) error {
	privateResponse(w)
	w.Header().Set("ETag", m.ETag())
	if status == http.StatusCreated {
		w.Header().Set("Location", r.URL.Path+"/"+strconv.FormatInt(m.ID, 10))
	}
	annotate(r, slog.String("plan", m.ISTATCode), slog.Int64("member", m.ID))
	return writeJSON(w, status, mediaJSON, m)
}

// readMember decodes a member body, after checking that there is a caller
// at all (an anonymous request learns nothing, not even about its body).
func readMember(w http.ResponseWriter, r *http.Request) (civilprotection.MemberInput, error) {
	if auth.FromContext(r.Context()) == nil {
		return nil, (*auth.Principal)(nil).Can(auth.Write, "")
	}
	var in map[string]any
	if err := readSmallJSON(w, r, &in, false); err != nil {
		return nil, err
	}
	return in, nil
}

func (s *Server) handleCreateMember(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	in, err := readMember(w, r)
	if err != nil {
		return err
	}
	m, err := s.civilProtection.CreateMember(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "istat"), in)
	if err != nil {
		return err
	}
	return writeMember(w, r, m, http.StatusCreated)
}

func (s *Server) handleChangeMember(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	in, err := readMember(w, r)
	if err != nil {
		return err
	}
	p, istat, id, ifMatch := auth.FromContext(r.Context()), chi.URLParam(r, "istat"), chi.URLParam(r, "id"), r.Header.Get("If-Match")
	var m civilprotection.Member
	if r.Method == http.MethodPatch {
		m, err = s.civilProtection.UpdateMember(r.Context(), p, istat, id, in, ifMatch)
	} else {
		m, err = s.civilProtection.ReplaceMember(r.Context(), p, istat, id, in, ifMatch)
	}
	if err != nil {
		return err
	}
	return writeMember(w, r, m, http.StatusOK)
}

func (s *Server) handleDeleteMember(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	istat, id := chi.URLParam(r, "istat"), chi.URLParam(r, "id")
	if err := s.civilProtection.DeleteMember(r.Context(), auth.FromContext(r.Context()), istat, id, r.Header.Get("If-Match")); err != nil {
		return err
	}
	annotate(r, slog.String("plan", istat), slog.String("member", id))
	privateResponse(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleExposure(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r, "limit"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.New("httpapi.exposure", apperr.NotFound, "no scenario %q", truncateText(chi.URLParam(r, "id"), 20))
	}
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > civilprotection.MaxNearAreas {
			return apperr.Invalidf("httpapi.exposure", "limit", "%q is not an integer in 1..%d", truncateText(l, 20), civilprotection.MaxNearAreas)
		}
		limit = n
	}
	e, err := s.civilProtection.Exposure(r.Context(), id, limit)
	if err != nil {
		return err
	}
	annotate(r, slog.Int64("scenario", id), slog.Int("civici", e.Civici.Count))
	return writeJSON(w, http.StatusOK, mediaJSON, e)
}
