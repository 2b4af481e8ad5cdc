package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/tiles"
)

// tileLayer returns the layer named by {layer} or {collectionId}.
func (s *Server) tileLayer(r *http.Request) (*catalog.Layer, error) {
	id := chi.URLParam(r, "layer")
	if id == "" {
		id = chi.URLParam(r, "collectionId")
	}
	return s.layer(id)
}

// tileAddress returns the z, x, y of a tile request: /tiles/{layer}/{z}/{x}/{y}.mvt,
// or the OGC API – Tiles path's {tileMatrix}/{tileRow}/{tileCol} (z/y/x).
func tileAddress(r *http.Request) (z, x, y string, err error) {
	if tms := chi.URLParam(r, "tileMatrixSetId"); tms != "" {
		if err := checkTileMatrixSet(tms); err != nil {
			return "", "", "", err
		}
		return chi.URLParam(r, "tileMatrix"), chi.URLParam(r, "tileCol"), chi.URLParam(r, "tileRow"), nil
	}
	return chi.URLParam(r, "z"), chi.URLParam(r, "x"), chi.URLParam(r, "y"), nil
}

func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) error {
	l, err := s.tileLayer(r)
	if err != nil {
		return err
	}
	z, x, y, err := tileAddress(r)
	if err != nil {
		return err
	}
	t, err := geo.ParseTile(z, x, y)
	if err != nil {
		var ge *geo.Error
		if errors.As(err, &ge) {
			return apperr.Invalidf("httpapi.tile", ge.Field, "%s", ge.Msg)
		}
		return apperr.Wrap("httpapi.tile", apperr.Invalid, err, "%s", err.Error())
	}
	if err := tiles.CheckZoom(l, t); err != nil {
		return err
	}
	annotate(r, slog.String("layer", l.ID), slog.String("tile", fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y)))
	h := w.Header()
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.TileMaxAge.Seconds())))
	h.Set("Vary", "Accept-Encoding")
	// The tag depends on the layer's definition and data version only, so a
	// revalidation costs no query; gzip and identity bodies have their own.
	if notModified(w, r, s.tileTag(r, s.tiles.ETag(l))) {
		return nil
	}
	tile, err := s.tiles.Tile(r.Context(), l, t)
	if err != nil {
		return err
	}
	h.Set("ETag", s.tileTag(r, tile.ETag))
	h.Set("Content-Type", mediaMVT)
	var data []byte
	if acceptsGzip(r) {
		data, err = tile.Gzip()
		if len(data) > 0 {
			// The Compress middleware leaves an encoded response alone.
			h.Set("Content-Encoding", "gzip")
		}
	} else {
		data, err = tile.Plain()
	}
	if err != nil {
		return err
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	annotate(r, slog.Int("tile_bytes", len(data)))
	_, err = w.Write(data)
	return err
}

// handleTileJSON describes a layer's tiles as TileJSON 3.0.0.
func (s *Server) handleTileJSON(w http.ResponseWriter, r *http.Request) error {
	l, err := s.tileLayer(r)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.TileMaxAge.Seconds())))
	h.Set("Vary", "Accept-Encoding")
	// The extent in it follows the data: the tag carries the data version.
	if notModified(w, r, s.layerTag(l)) {
		return nil
	}
	b, ok, err := s.features.Extent(r.Context(), l)
	if err != nil {
		return err
	}
	bounds := []float64{-180, -85.051129, 180, 85.051129}
	if ok {
		bounds = bboxArray(b)
	}
	fields := map[string]string{}
	for _, a := range tileAttributes(l) {
		fields[a.Name] = a.Description
		if a.Description == "" && a.Property != nil {
			fields[a.Name] = string(a.Property.Type)
		}
	}
	base := s.baseURL(r)
	tj := map[string]any{
		"tilejson":    "3.0.0",
		"name":        l.Title,
		"description": l.Description,
		"scheme":      "xyz",
		"tiles":       []string{base + "/tiles/" + l.ID + "/{z}/{x}/{y}.mvt"},
		"minzoom":     l.MinZoom,
		"maxzoom":     l.MaxZoom,
		"bounds":      bounds,
		"center":      []float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, float64(max(l.MinZoom, min(10, l.MaxZoom)))},
		"vector_layers": []map[string]any{{
			"id": l.ID, "description": l.Title, "minzoom": l.MinZoom, "maxzoom": l.MaxZoom, "fields": fields,
		}},
	}
	if l.Attribution != "" {
		tj["attribution"] = l.Attribution
	}
	return writeJSON(w, http.StatusOK, mediaJSON, tj)
}

// tileTag is the entity tag of a tile as r gets it: the tiles service's
// tag (layer definition and data version), the build, and the coding.
func (s *Server) tileTag(r *http.Request, tag string) string {
	return codingTag(r, `"`+s.build+"-"+strings.Trim(tag, `"`)+`"`)
}
