package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/repair"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/features"
)

// maxPolygonBody bounds a posted area: a detailed comune boundary is a few
// hundred KB.
const maxPolygonBody = 4 << 20

func (s *Server) coverageRoutes(r chi.Router) {
	r.Get("/coverage/stats", s.handle(s.handleCoverageStats))
	r.With(s.heavy(limitCoverageStats)).Post("/coverage/stats", s.handle(s.handleCoverageStats))
	r.Get("/coverage/search", s.handle(s.handleCoverageSearch))
	r.Get("/coverage/address", s.handle(s.handleCoverageAddress))
	r.Get("/coverage/nearest", s.handle(s.handleCoverageNearest))
	r.Get("/coverage/civici/{id}", s.handle(s.handleCoverageCivico))
}

// allowParams rejects query parameters an endpoint does not know.
func allowParams(r *http.Request, known ...string) error {
	for k, v := range r.URL.Query() {
		found := false
		for _, n := range known {
			if k == n {
				found = true
			}
		}
		if !found && len(known) == 0 {
			return apperr.Invalidf("httpapi", k, "unknown query parameter; this resource takes none")
		}
		if !found {
			return apperr.Invalidf("httpapi", k, "unknown query parameter; parameters are %s", strings.Join(known, ", "))
		}
		if len(v) > 1 {
			return apperr.Invalidf("httpapi", k, "given %d times; give it once", len(v))
		}
	}
	return nil
}

// wantsCSV reports whether the client asked for CSV (?f=csv or Accept).
func wantsCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("f"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return strings.Contains(r.Header.Get("Accept"), "text/csv"), nil
	default:
		return false, apperr.Invalidf("httpapi", "f", "%q is not a supported format; use json or csv", f)
	}
}

func (s *Server) handleCoverageStats(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r, "comune", "bbox", "by", "f", "crs"); err != nil {
		return err
	}
	q := r.URL.Query()
	var area coverage.Area
	given := 0
	if c := q.Get("comune"); c != "" {
		code, err := comuni.ParseISTATCode(c)
		if err != nil {
			return apperr.Invalidf("httpapi.stats", "comune", "%s", err)
		}
		area.Comune = string(code)
		given++
	}
	if b := q.Get("bbox"); b != "" {
		bb, err := geo.ParseBBox(b)
		if err != nil {
			return apperr.Invalidf("httpapi.stats", "bbox", "%s", strings.TrimPrefix(err.Error(), "bbox: "))
		}
		area.BBox = &bb
		given++
	}
	var crs *geo.CRS
	if v := q.Get("crs"); v != "" {
		c, err := features.ParseCRS("crs", v)
		if err != nil {
			return err
		}
		crs = &c
	}
	if r.Method == http.MethodPost {
		g, c, note, err := decodeArea(r, crs)
		if err != nil {
			return err
		}
		area.Polygon, area.SRID = g, c.SRID
		given++
		if note != "" {
			w.Header().Set("Atlante-Geometry-Repaired", note)
		}
	}
	if given != 1 {
		return apperr.New("httpapi.stats", apperr.Invalid,
			"give exactly one area: ?comune=ISTAT code, ?bbox=minLon,minLat,maxLon,maxLat, or POST a GeoJSON Polygon or MultiPolygon")
	}
	byComune := false
	switch by := q.Get("by"); by {
	case "", "none":
	case "comune":
		byComune = true
	default:
		return apperr.Invalidf("httpapi.stats", "by", "%q is not supported; use by=comune", by)
	}
	csvOut, err := wantsCSV(r)
	if err != nil {
		return err
	}
	st, err := s.coverage.Stats(r.Context(), area, byComune)
	if err != nil {
		return err
	}
	annotate(r, slog.Int("civici", st.Civici))
	if !csvOut {
		return writeJSON(w, http.StatusOK, mediaJSON, st)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="coverage-stats.csv"`)
	cw := csv.NewWriter(w)
	cw.Write(coverage.CSVHeader())
	for _, c := range st.Comuni {
		cw.Write(coverage.CSVRecord(c.ISTATCode, c.Name, c.Counts))
	}
	cw.Write(coverage.CSVRecord("", "total", st.Counts))
	cw.Flush()
	return cw.Error()
}

// decodeArea reads a GeoJSON Polygon or MultiPolygon (a geometry, a
// Feature, or a FeatureCollection of one feature) and checks it with GEOS:
// invalid areas are refused with the reason (422), safely repairable ones
// are repaired and the repair is reported. Its CRS is CRS84, or one of
// those served (see areaCRS). The area returned is x (longitude, easting)
// first, in the CRS returned.
func decodeArea(r *http.Request, param *geo.CRS) (orb.Geometry, geo.CRS, string, error) {
	const op = "httpapi.area"
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxPolygonBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, geo.CRS{}, "", apperr.New(op, apperr.TooLarge, "the area is larger than %d MB", maxPolygonBody>>20)
	}
	if err != nil {
		return nil, geo.CRS{}, "", apperr.Wrap(op, apperr.Invalid, err, "cannot read the request body")
	}
	var probe struct {
		Type string          `json:"type"`
		CRS  json.RawMessage `json:"crs"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, geo.CRS{}, "", apperr.Wrap(op, apperr.Invalid, err, "%s", bodyProblem(body, err))
	}
	crs, swap, err := areaCRS(param, probe.CRS)
	if err != nil {
		return nil, geo.CRS{}, "", err
	}
	var g orb.Geometry
	switch probe.Type {
	case "Feature":
		f, err := decodeGeoJSON(op, body, geojson.UnmarshalFeature)
		if apperr.KindOf(err) == apperr.Invalid {
			return nil, geo.CRS{}, "", err
		}
		if err != nil {
			return nil, geo.CRS{}, "", apperr.Wrap(op, apperr.Invalid, err, "%s", geojsonProblem("Feature", err))
		}
		g = f.Geometry
	case "FeatureCollection":
		fc, err := decodeGeoJSON(op, body, geojson.UnmarshalFeatureCollection)
		if apperr.KindOf(err) == apperr.Invalid {
			return nil, geo.CRS{}, "", err
		}
		if err != nil {
			return nil, geo.CRS{}, "", apperr.Wrap(op, apperr.Invalid, err, "%s", geojsonProblem("FeatureCollection", err))
		}
		if len(fc.Features) != 1 {
			return nil, geo.CRS{}, "", apperr.New(op, apperr.Invalid, "a FeatureCollection must hold exactly one feature, this one has %d", len(fc.Features))
		}
		if fc.Features[0] == nil { // "features": [null]
			return nil, geo.CRS{}, "", apperr.New(op, apperr.Invalid, "the FeatureCollection's feature is null; send a GeoJSON Feature")
		}
		g = fc.Features[0].Geometry
	case "Polygon", "MultiPolygon":
		gg, err := decodeGeoJSON(op, body, geojson.UnmarshalGeometry)
		if apperr.KindOf(err) == apperr.Invalid {
			return nil, geo.CRS{}, "", err
		}
		if err != nil {
			return nil, geo.CRS{}, "", apperr.Wrap(op, apperr.Invalid, err, "%s", geojsonProblem(probe.Type, err))
		}
		g = gg.Geometry()
	case "":
		return nil, geo.CRS{}, "", apperr.New(op, apperr.Invalid, "the body is not GeoJSON: it has no type member")
	default:
		return nil, geo.CRS{}, "", apperr.New(op, apperr.Unprocessable, "the area must be a Polygon or MultiPolygon, not a %s", probe.Type)
	}
	if g == nil {
		return nil, geo.CRS{}, "", apperr.New(op, apperr.Invalid, "the feature has no geometry")
	}
	if err := geometryLimits(op, "area", g); err != nil {
		return nil, geo.CRS{}, "", err
	}
	if swap {
		g = geo.SwapXY(g)
	}
	b := g.Bound()
	if d := crs.Domain; !d.Contains(b.Min) || !d.Contains(b.Max) {
		if crs.IsCRS84() {
			return nil, geo.CRS{}, "", apperr.New(op, apperr.Unprocessable, "coordinates outside longitude -180..180 / latitude -90..90: is the area in CRS84 (lon, lat)? For another CRS give ?crs=, e.g. ?crs=EPSG:7791")
		}
		if crs.Geographic {
			return nil, geo.CRS{}, "", apperr.New(op, apperr.Unprocessable, "coordinates outside longitude -180..180 / latitude -90..90: is the area in %s, %s?", crs, crs.Name)
		}
		order := "easting, northing"
		if swap {
			order = "northing, easting"
		}
		return nil, geo.CRS{}, "", apperr.New(op, apperr.Unprocessable, "coordinates outside the area of %s (%s): is the area in it, as %s?", crs, crs.Name, order)
	}
	if err := r.Context().Err(); err != nil {
		return nil, geo.CRS{}, "", err // the client left: start no GEOS work for it
	}
	mp, res, err := repair.NewChecker().Polygonal(g)
	if err != nil {
		if le := limitProblem(op, "area", err); le != err {
			return nil, geo.CRS{}, "", le
		}
		return nil, geo.CRS{}, "", apperr.Wrap(op, apperr.Unprocessable, err, "invalid area: %s", err)
	}
	return mp, crs, res.Note, nil
}

// areaCRS is the CRS of a posted area: the crs query parameter (Part 2:
// coordinates in the CRS's axis order, so latitude first for EPSG:4326),
// or the body's crs member of GeoJSON 2008, still written by ogr2ogr
// (its §3: always x, y, i.e. longitude or easting first), or CRS84. Both
// at once are refused, since they order axes differently. swap tells
// that the coordinates are north first.
func areaCRS(param *geo.CRS, member json.RawMessage) (c geo.CRS, swap bool, err error) {
	const op = "httpapi.area"
	if len(member) == 0 || string(member) == "null" {
		if param == nil {
			return geo.CRS84, false, nil
		}
		return *param, param.NorthFirst, nil
	}
	if param != nil {
		return geo.CRS{}, false, apperr.Invalidf(op, "crs", "give the CRS once: as ?crs= (axis order of the CRS) or as the body's crs member (x, y order), not both")
	}
	srid, err := geo.ParseCRSMember(member)
	if err == nil {
		for _, s := range geo.SupportedCRSs()[1:] {
			if s.SRID == srid {
				c = s
			}
		}
		if c.SRID == 0 {
			_, err = geo.LookupCRS(srid.String())
		}
	}
	if err != nil {
		var ge *geo.Error
		msg := err.Error()
		if errors.As(err, &ge) {
			msg = ge.Msg
		}
		return geo.CRS{}, false, apperr.Invalidf(op, "crs", "crs member: %s", msg)
	}
	if c.SRID == geo.WGS84 {
		c = geo.CRS84 // GeoJSON 2008 puts longitude first
	}
	return c, false, nil
}

// bodyProblem and geojsonProblem say what is wrong with a posted document
// in words a client can act on: the decoders' own messages name Go types
// ("cannot unmarshal array into Go value of type struct { ... }"), which
// are internals.
func bodyProblem(body []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case !json.Valid(body) && errors.As(err, &se):
		return "the body is not JSON: " + se.Error()
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("the body is not GeoJSON: its member %q is a JSON %s", te.Field, te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("the body must be a GeoJSON object, not a JSON %s", te.Value)
	}
	return "the body is not JSON"
}

func geojsonProblem(what string, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// The body is valid JSON: a member the decoder needs is missing.
		return "malformed GeoJSON " + what + ": a member is missing (a geometry needs type and coordinates, a feature its geometry)"
	case errors.As(err, &te):
		return fmt.Sprintf("malformed GeoJSON %s: a JSON %s where GeoJSON wants something else (coordinates are arrays of numbers)", what, te.Value)
	}
	return "malformed GeoJSON " + what
}

func (s *Server) handleCoverageSearch(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r, "q", "comune", "limit"); err != nil {
		return err
	}
	q := r.URL.Query()
	text := strings.TrimSpace(q.Get("q"))
	if text == "" {
		return apperr.Invalidf("httpapi.search", "q", "give the address to search, e.g. q=via roma 12, crema")
	}
	if len(text) > 200 {
		return apperr.Invalidf("httpapi.search", "q", "longer than 200 characters")
	}
	limit := 10
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 50 {
			return apperr.Invalidf("httpapi.search", "limit", "%q is not an integer in 1..50", l)
		}
		limit = n
	}
	var code string
	if c := q.Get("comune"); c != "" {
		cc, err := comuni.ParseISTATCode(c)
		if err != nil {
			return apperr.Invalidf("httpapi.search", "comune", "%s", err)
		}
		code = string(cc)
	}
	res, err := s.coverage.Search(r.Context(), text, code, limit)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	return writeJSON(w, http.StatusOK, mediaJSON, map[string]any{"query": text, "results": res})
}

func (s *Server) handleCoverageAddress(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r, "comune", "street", "number", "suffix"); err != nil {
		return err
	}
	q := r.URL.Query()
	code, err := comuni.ParseISTATCode(q.Get("comune"))
	if err != nil {
		return apperr.Invalidf("httpapi.address", "comune", "%s", err)
	}
	street := strings.TrimSpace(q.Get("street"))
	if street == "" || len(street) > 200 {
		return apperr.Invalidf("httpapi.address", "street", "give the street name (up to 200 characters)")
	}
	a := coverage.Address{Comune: string(code), Street: street, Suffix: q.Get("suffix")}
	if n := q.Get("number"); n != "" && !strings.EqualFold(n, "snc") {
		num, err := strconv.Atoi(n)
		if err != nil || num < 0 || num > 99999 {
			return apperr.Invalidf("httpapi.address", "number", "%q is not a house number (0..99999, or SNC)", n)
		}
		a.Number = &num
	}
	v, err := s.coverage.FindByAddress(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mediaJSON, v)
}

func parseCoord(r *http.Request, name string, lo, hi float64) (float64, error) {
	v := r.URL.Query().Get(name)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f || f < lo || f > hi {
		return 0, apperr.Invalidf("httpapi", name, "%q is not a number in %g..%g", v, lo, hi)
	}
	return f, nil
}

func (s *Server) handleCoverageNearest(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r, "lon", "lat", "radius"); err != nil {
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
	radius := 100.0
	if r.URL.Query().Get("radius") != "" {
		if radius, err = parseCoord(r, "radius", 0, coverage.MaxRadius); err != nil {
			return err
		}
	}
	v, err := s.coverage.Nearest(r.Context(), lon, lat, radius)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mediaJSON, v)
}

func (s *Server) handleCoverageCivico(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.New("httpapi.civico", apperr.NotFound, "no civic number %q", chi.URLParam(r, "id"))
	}
	v, err := s.coverage.FindCivico(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mediaJSON, v)
}
