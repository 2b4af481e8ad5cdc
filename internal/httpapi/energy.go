package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/energy"
)

// maxEnergyBody bounds a posted community.
const maxEnergyBody = 64 << 10

// energyRoutes are the renewable-energy-community endpoints. Member sites
// are written through the generic OGC API – Features Part 4 endpoints of
// the energy-sites collection.
func (s *Server) energyRoutes(r chi.Router) {
	r.Get("/energy/communities", s.handle(s.handleEnergyCommunities))
	r.Post("/energy/communities", s.handle(s.handleEnergyCreateCommunity))
	r.Get("/energy/communities/{id}", s.handle(s.handleEnergyCommunity))
	r.Patch("/energy/communities/{id}", s.handle(s.handleEnergyUpdateCommunity))
	r.Delete("/energy/communities/{id}", s.handle(s.handleEnergyDeleteCommunity))
	r.Get("/energy/communities/{id}/eligibility", s.handle(s.handleEnergyEligibility))
	r.Get("/energy/zones/at", s.handle(s.handleEnergyZoneAt))
	r.Get("/energy/comuni/{istat}/figures", s.handle(s.handleEnergyComuneFigures))
}

// communityID parses the {id} of a community URL; anything but a positive
// integer names no community.
func communityID(r *http.Request) (int64, error) {
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New("httpapi.energy", apperr.NotFound, "no community %q", truncateEnergy(raw, 30))
	}
	return id, nil
}

func truncateEnergy(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (s *Server) handleEnergyCommunities(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r, "status", "comune"); err != nil {
		return err
	}
	f := energy.CommunityFilter{Status: r.URL.Query().Get("status")}
	if c := r.URL.Query().Get("comune"); c != "" {
		code, err := comuni.ParseISTATCode(c)
		if err != nil {
			return apperr.Invalidf("httpapi.energy", "comune", "%s", err)
		}
		f.Comune = string(code)
	}
	cs, err := s.energy.FindCommunities(r.Context(), f)
	if err != nil {
		return err
	}
	annotate(r, slog.Int("communities", len(cs)))
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{
		"communities": cs, "rules": energy.RulesApplied, "assumptions": energy.AssumptionsApplied,
	})
}

func (s *Server) handleEnergyCommunity(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	id, err := communityID(r)
	if err != nil {
		return err
	}
	c, err := s.energy.FindCommunity(r.Context(), id)
	if err != nil {
		return err
	}
	return s.writeCommunity(w, r, c, http.StatusOK)
}

// writeCommunity sends a community. Its entity tag is the community row's
// version, which If-Match must quote to change it; the body also shows its
// members and figures, which change without it, so If-None-Match is never
// answered 304 on it.
func (s *Server) writeCommunity(w http.ResponseWriter, r *http.Request, c energy.CommunityDetail, status int) error {
	w.Header().Set("ETag", c.ETag())
	if status == http.StatusCreated {
		w.Header().Set("Location", s.baseURL(r)+"/energy/communities/"+strconv.FormatInt(c.ID, 10))
	}
	annotate(r, slog.Int64("community", c.ID))
	return writeJSON(w, status, mediaJSON, map[string]any{"community": c, "assumptions": energy.AssumptionsApplied})
}

// readCommunity decodes a community (create) or a merge patch (PATCH).
func readCommunity(w http.ResponseWriter, r *http.Request) (energy.CommunityInput, error) {
	const op = "httpapi.readCommunity"
	var in energy.CommunityInput
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case mediaJSON, "application/merge-patch+json":
	default:
		return in, apperr.New(op, apperr.Invalid, "send the community as %s (Content-Type was %q)", mediaJSON, truncateEnergy(ct, 60))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEnergyBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return in, apperr.New(op, apperr.TooLarge, "a community may be at most %d KB", maxEnergyBody>>10)
	}
	if err != nil {
		return in, apperr.Wrap(op, apperr.Invalid, err, "cannot read the request body")
	}
	trimmed, ok := trimmedObject(body)
	if !ok || !json.Valid(trimmed) {
		return in, apperr.New(op, apperr.Invalid, "the body is not a JSON object")
	}
	if err := checkNoDuplicates(trimmed); err != nil {
		return in, err
	}
	// energy.CommunityInput decodes itself: null, unknown members and
	// wrong types are refused with the member's name.
	if err := json.Unmarshal(trimmed, &in); err != nil {
		if apperr.Message(err) != "" {
			return in, err
		}
		return in, apperr.Wrap(op, apperr.Invalid, err, "the body is not a community object")
	}
	return in, nil
}

func (s *Server) handleEnergyCreateCommunity(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	p := auth.FromContext(r.Context())
	if p == nil {
		return p.Can(auth.Write, "") // 401 before reading the body
	}
	in, err := readCommunity(w, r)
	if err != nil {
		return err
	}
	c, err := s.energy.CreateCommunity(r.Context(), p, in)
	if err != nil {
		return err
	}
	return s.writeCommunity(w, r, c, http.StatusCreated)
}

func (s *Server) handleEnergyUpdateCommunity(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	id, err := communityID(r)
	if err != nil {
		return err
	}
	p := auth.FromContext(r.Context())
	if p == nil {
		return p.Can(auth.Write, "")
	}
	in, err := readCommunity(w, r)
	if err != nil {
		return err
	}
	c, err := s.energy.UpdateCommunity(r.Context(), p, id, in, r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return s.writeCommunity(w, r, c, http.StatusOK)
}

func (s *Server) handleEnergyDeleteCommunity(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	id, err := communityID(r)
	if err != nil {
		return err
	}
	if err := s.energy.DeleteCommunity(r.Context(), auth.FromContext(r.Context()), id, r.Header.Get("If-Match")); err != nil {
		return err
	}
	annotate(r, slog.Int64("community", id))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleEnergyEligibility(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	id, err := communityID(r)
	if err != nil {
		return err
	}
	e, err := s.energy.Eligibility(r.Context(), id)
	if err != nil {
		return err
	}
	annotate(r, slog.Int64("community", id), slog.Bool("eligible", e.Eligible))
	return writeJSON(w, http.StatusOK, mediaJSON, e)
}

func (s *Server) handleEnergyZoneAt(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r, "lon", "lat"); err != nil {
		return err
	}
	lon, err := parseCoord(r, "lon", -180, 180)
	if err != nil {
		return err
	}
	lat, err := parseCoord(r, "lat", -90, 90)
	if err != nil {
		return err
	}
	a, err := s.energy.ZoneAt(r.Context(), lon, lat)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mediaJSON, a)
}

func (s *Server) handleEnergyComuneFigures(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	code, err := comuni.ParseISTATCode(chi.URLParam(r, "istat"))
	if err != nil {
		return apperr.Invalidf("httpapi.energy", "istat", "%s", err)
	}
	f, err := s.energy.ComuneFigures(r.Context(), string(code))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mediaJSON, f)
}
