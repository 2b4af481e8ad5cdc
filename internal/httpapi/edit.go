package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/auth"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/features"
)

// maxFeatureBody bounds one posted feature.
const maxFeatureBody = 8 << 20

// editLayer returns the public, editable layer of the request.
func (s *Server) editLayer(r *http.Request) (*catalog.Layer, error) {
	l, err := s.layer(chi.URLParam(r, "collectionId"))
	if err != nil {
		return nil, err
	}
	if l.Edit == nil || s.writer == nil {
		return nil, apperr.New("httpapi.edit", apperr.NotAllowed, "%s is not allowed: collection %s is read-only", r.Method, l.ID)
	}
	return l, nil
}

// writeAccess builds the scope check of the caller for writes.
func writeAccess(r *http.Request) (features.Authorize, features.Actor, error) {
	p := auth.FromContext(r.Context())
	if p == nil {
		return nil, features.Actor{}, p.Can(auth.Write, "") // Unauthorized
	}
	return func(comune string) error { return p.Can(auth.Write, comune) }, features.Actor{TokenID: p.TokenID, Name: p.Name}, nil
}

// readFeature decodes a GeoJSON Feature body. With patch, absent members
// stay absent (RFC 7396 merge patch).
func readFeature(w http.ResponseWriter, r *http.Request, patch bool) (features.Input, error) {
	const op = "httpapi.readFeature"
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case mediaGeoJSON, mediaJSON, "application/merge-patch+json":
	default:
		return features.Input{}, apperr.New(op, apperr.Invalid, "send the feature as %s (Content-Type was %q)", mediaGeoJSON, ct)
	}
	// Writes take CRS84 (RFC 7946): a body declared in another CRS (Part
	// 2's Content-Crs, sent on writes by the draft Part 4) is refused, not
	// misread.
	if h := r.Header.Get("Content-Crs"); h != "" {
		if c, err := geo.LookupCRS(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h), "<"), ">")); err != nil || !c.IsCRS84() {
			return features.Input{}, apperr.Invalidf(op, "Content-Crs", "writes take CRS84 coordinates (longitude, latitude) only; send <%s> or no Content-Crs", geo.CRS84.URI())
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFeatureBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return features.Input{}, apperr.New(op, apperr.TooLarge, "a feature may be at most %d MB", maxFeatureBody>>20)
	}
	if err != nil {
		return features.Input{}, apperr.Wrap(op, apperr.Invalid, err, "cannot read the request body")
	}
	var f struct {
		Type       string          `json:"type"`
		ID         any             `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		return features.Input{}, apperr.Wrap(op, apperr.Invalid, err, "%s", bodyProblem(body, err))
	}
	if err := checkNoDuplicates(body); err != nil {
		return features.Input{}, err
	}
	if f.Type != "Feature" && !(patch && f.Type == "") {
		return features.Input{}, apperr.New(op, apperr.Invalid, "the body must be a GeoJSON Feature (type %q)", f.Type)
	}
	if patch && f.Properties == nil {
		// In a merge patch (RFC 7396) "properties": null would remove
		// every property, which no layer allows; absent is no change.
		var members map[string]json.RawMessage
		if json.Unmarshal(body, &members) == nil && string(members["properties"]) == "null" {
			return features.Input{}, apperr.Invalidf(op, "properties", "null would clear every property; send only the properties to change, e.g. {\"properties\": {\"name\": \"…\"}}")
		}
	}
	in := features.Input{ID: f.ID, Properties: f.Properties}
	if in.Properties == nil {
		in.Properties = map[string]any{}
	}
	if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		g, err := decodeGeoJSON(op, f.Geometry, geojson.UnmarshalGeometry)
		if apperr.KindOf(err) == apperr.Invalid {
			return features.Input{}, err
		}
		if err != nil {
			return features.Input{}, &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: "geometry: " + geojsonProblem("geometry", err), Err: err,
				Fields: []apperr.FieldError{{Field: "geometry", Reason: "malformed"}}}
		}
		in.Geometry, in.HasGeometry = g.Geometry(), true
	} else if string(f.Geometry) == "null" {
		in.HasGeometry = true // an explicit null: refused by the geometry check
	}
	return in, nil
}

func (s *Server) writeChange(w http.ResponseWriter, r *http.Request, l *catalog.Layer, ch features.Change, status int) error {
	w.Header().Set("ETag", ch.ETag)
	if ch.Repair != "" {
		w.Header().Set("Atlante-Geometry-Repaired", ch.Repair)
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", s.baseURL(r)+"/collections/"+l.ID+"/items/"+url.PathEscape(ch.ID))
	}
	annotate(r, slog.String("layer", l.ID), slog.String("feature", ch.ID))
	setContentCRS(w, geo.CRS84)
	w.Header().Set("Content-Type", mediaGeoJSON)
	w.WriteHeader(status)
	_, err := w.Write(ch.Feature)
	return err
}

func (s *Server) handleCreateItem(w http.ResponseWriter, r *http.Request) error {
	l, err := s.editLayer(r)
	if err != nil {
		return err
	}
	allow, actor, err := writeAccess(r)
	if err != nil {
		return err
	}
	in, err := readFeature(w, r, false)
	if err != nil {
		return err
	}
	ch, err := s.writer.Create(r.Context(), l, in, allow, actor)
	if err != nil {
		return err
	}
	return s.writeChange(w, r, l, ch, http.StatusCreated)
}

func (s *Server) handleReplaceItem(w http.ResponseWriter, r *http.Request) error {
	return s.handleChangeItem(w, r, false)
}

func (s *Server) handleUpdateItem(w http.ResponseWriter, r *http.Request) error {
	return s.handleChangeItem(w, r, true)
}

func (s *Server) handleChangeItem(w http.ResponseWriter, r *http.Request, patch bool) error {
	l, err := s.editLayer(r)
	if err != nil {
		return err
	}
	allow, actor, err := writeAccess(r)
	if err != nil {
		return err
	}
	in, err := readFeature(w, r, patch)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "featureId")
	var ch features.Change
	if patch {
		ch, err = s.writer.Update(r.Context(), l, id, in, r.Header.Get("If-Match"), allow, actor)
	} else {
		ch, err = s.writer.Replace(r.Context(), l, id, in, r.Header.Get("If-Match"), allow, actor)
	}
	if err != nil {
		return err
	}
	return s.writeChange(w, r, l, ch, http.StatusOK)
}

func (s *Server) handleDeleteItem(w http.ResponseWriter, r *http.Request) error {
	l, err := s.editLayer(r)
	if err != nil {
		return err
	}
	allow, actor, err := writeAccess(r)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "featureId")
	if err := s.writer.Delete(r.Context(), l, id, r.Header.Get("If-Match"), allow, actor); err != nil {
		return err
	}
	annotate(r, slog.String("layer", l.ID), slog.String("feature", id))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
