// Package repair is Atlante's door guard for incoming geometries: every
// geometry an importer or a write request brings is checked here, and either
// accepted as is, repaired, or refused with a reason a person can act on. It
// is the only package that uses GEOS (through go-geos).
//
// # Limits
//
// Before anything else, and before any GEOS call, a geometry must fit the
// Checker's Limits (geo.DefaultLimits from NewChecker; see geo.Limits):
//
//   - at most 50,000 vertices, 10,000 rings, 1,000 parts (polygons of a
//     MultiPolygon, lines of a MultiLineString, members of collections) and
//     1,000 holes in one polygon, and GeometryCollections nested at most 4
//     deep;
//   - a Polygon or MultiPolygon may cross or touch itself (away from
//     consecutive edges) at most at 1,000 points, counted without GEOS by
//     geo.Limits.CheckCrossings;
//   - and finding those points may take at most 1,000,000 steps (pairs of
//     monotone runs of edges lying side by side), which also bounds GEOS's
//     own search; beyond, the geometry is refused as too intricate.
//
// A random polygon of 2,000 vertices, for instance, is refused with
//
//	the Polygon crosses or touches itself at more than 1,000 points (one is at (9.615 45.343)): fix it at the source
//
// GEOS cannot be interrupted once a call has started: these limits are what
// bound its time and memory, measured at each limit in
// internal/loadtest/README.md ("Geometry limits"). A geometry over a limit
// is refused with an *Error whose Err is the *geo.LimitError.
//
// # Checks
//
// Every geometry must be non-empty and have finite coordinates (no NaN or
// Inf). A LineString needs at least 2 distinct points; a polygon ring needs
// at least 4 points and at least 3 distinct ones. Points, MultiPoints and
// lines need nothing more. A polygon ring whose last point differs from its
// first is closed by repeating the first point; that counts as a repair.
//
// Polygons and MultiPolygons must also be valid in the OGC Simple Features
// sense, as GEOS's IsValid (and PostGIS's ST_IsValid) judge it. A valid
// geometry is returned unchanged: repeated consecutive points and clockwise
// shells are valid and are left alone.
//
// # The repair rule
//
// An invalid Polygon or MultiPolygon is rebuilt with GEOS MakeValid (the
// "structure" method, which unions a MultiPolygon's parts and subtracts the
// holes), and only the polygonal parts of the result are kept: lines and
// points left over from collapsed spikes are dropped. The repair is accepted
// only when it is safe:
//
//   - the polygonal result is not empty, and
//   - its area differs from the area the input meant by at most
//     MaxAreaChange (0.001 = 0.1% by default), relative to the larger of the
//     two, and
//   - the result, as returned (oriented, see below), is valid itself.
//
// The area the input meant is, over its polygons, the sum of |shoelace area
// of the exterior ring| minus the |shoelace areas| of its holes: what the
// author drew, counting every part once. Spikes, duplicate points, a hole or
// ring touching itself or its shell, tiny twists and slivers, and small
// overlaps between the parts of a MultiPolygon pass this rule. A bow-tie (its
// two lobes cancel in the shoelace sum), a large overlap between parts, a
// hole outside its shell or a duplicated hole do not: the result would be a
// different shape, so the geometry is refused with an *Error such as
//
//	self-intersection at (5 5): automatic repair would change the area by 100%, fix the geometry at the source
//
// A repaired geometry has counter-clockwise exterior rings and clockwise
// holes (RFC 7946 §3.1.6). A Polygon may come back as a MultiPolygon when the
// repair splits it.
//
// GEOS panics (go-geos turns GEOS errors into panics) are recovered inside
// Check and reported as an *Error for that one geometry.
package repair

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geos"

	"github.com/cremasco/atlante/geo"
)

// DefaultMaxAreaChange is the largest relative change of area NewChecker
// accepts from an automatic repair: 0.1%.
const DefaultMaxAreaChange = 0.001

// A Checker checks and repairs geometries. It holds its own GEOS context, so
// it is not safe for concurrent use: give each goroutine (each import) its
// own Checker.
type Checker struct {
	ctx *geos.Context

	// Limits bound the geometries Check accepts; they are checked before
	// any GEOS call (see the package documentation).
	Limits geo.Limits

	// MaxAreaChange is the largest relative change of area an automatic
	// repair may make (see the package documentation); 0 accepts only repairs
	// that keep the area exactly.
	MaxAreaChange float64
}

// NewChecker returns a Checker with MaxAreaChange = DefaultMaxAreaChange
// and Limits = geo.DefaultLimits.
func NewChecker() *Checker {
	return &Checker{ctx: geos.NewContext(), MaxAreaChange: DefaultMaxAreaChange, Limits: geo.DefaultLimits}
}

// An Error says why a geometry was refused. Reason is the complete
// human-readable explanation (it already mentions Location when there is
// one); Location, when known, is where the problem is, in the geometry's own
// coordinates, for pointing at it on a map. Err is the *geo.LimitError when
// the geometry exceeds one of the Checker's Limits, nil otherwise.
type Error struct {
	Reason   string
	Location *orb.Point
	Err      error
}

// Error returns Reason.
func (e *Error) Error() string { return e.Reason }

// Unwrap returns Err, so that errors.As finds a *geo.LimitError.
func (e *Error) Unwrap() error { return e.Err }

// limitError turns a *geo.LimitError into an *Error.
func limitError(err error) error {
	var le *geo.LimitError
	if errors.As(err, &le) {
		return &Error{Reason: le.Msg, Location: le.Location, Err: le}
	}
	return err
}

// A Result is a geometry that passed the checks. Repaired says whether
// Geometry differs from the input; Note then says what was repaired, e.g.
// "ring self-intersection at (9.6871 45.3612) fixed; area changed 0.002%".
type Result struct {
	Geometry orb.Geometry
	Repaired bool
	Note     string
}

// Check checks g and returns it unchanged, repaired, or an *Error, following
// the rules in the package documentation. g itself is never modified.
func (c *Checker) Check(g orb.Geometry) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{}, &Error{Reason: fmt.Sprintf("the geometry engine failed on this geometry: %v", r)}
		}
	}()
	if err := c.Limits.Check(g); err != nil {
		return Result{}, limitError(err)
	}
	return c.check(g)
}

// Polygonal checks g like Check and also requires a Polygon or MultiPolygon,
// returned as a MultiPolygon (a Polygon becomes its only member) beside the
// Result. Other types are refused with an *Error before any other check.
func (c *Checker) Polygonal(g orb.Geometry) (orb.MultiPolygon, Result, error) {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
	case nil:
		return nil, Result{}, &Error{Reason: "geometry is missing, expected Polygon or MultiPolygon"}
	default:
		return nil, Result{}, &Error{Reason: "expected Polygon or MultiPolygon, got " + typeName(g)}
	}
	res, err := c.Check(g)
	if err != nil {
		return nil, Result{}, err
	}
	switch r := res.Geometry.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{r}, res, nil
	case orb.MultiPolygon:
		return r, res, nil
	}
	// Check only returns polygonal results for polygonal input.
	return nil, Result{}, &Error{Reason: "expected Polygon or MultiPolygon, got " + typeName(res.Geometry)}
}

func (c *Checker) check(g orb.Geometry) (Result, error) {
	switch g := g.(type) {
	case nil:
		return Result{}, &Error{Reason: "geometry is missing"}
	case orb.Point:
		if err := checkFinite(g); err != nil {
			return Result{}, err
		}
		return Result{Geometry: g}, nil
	case orb.MultiPoint:
		if len(g) == 0 {
			return Result{}, &Error{Reason: "empty MultiPoint"}
		}
		for i, p := range g {
			if err := checkFinite(p); err != nil {
				return Result{}, prefix(fmt.Sprintf("point %d: ", i+1), err)
			}
		}
		return Result{Geometry: g}, nil
	case orb.LineString:
		if err := checkLine(g); err != nil {
			return Result{}, err
		}
		return Result{Geometry: g}, nil
	case orb.MultiLineString:
		if len(g) == 0 {
			return Result{}, &Error{Reason: "empty MultiLineString"}
		}
		for i, l := range g {
			if err := checkLine(l); err != nil {
				return Result{}, prefix(fmt.Sprintf("line %d: ", i+1), err)
			}
		}
		return Result{Geometry: g}, nil
	case orb.Polygon:
		return c.checkPolygonal(g, orb.MultiPolygon{g})
	case orb.MultiPolygon:
		if len(g) == 0 {
			return Result{}, &Error{Reason: "empty MultiPolygon"}
		}
		return c.checkPolygonal(g, g)
	case orb.Collection:
		return c.checkCollection(g)
	}
	return Result{}, &Error{Reason: "unsupported geometry type " + typeName(g)}
}

func (c *Checker) checkCollection(g orb.Collection) (Result, error) {
	if len(g) == 0 {
		return Result{}, &Error{Reason: "empty GeometryCollection"}
	}
	out := make(orb.Collection, len(g))
	var notes []string
	repaired := false
	for i, m := range g {
		r, err := c.check(m)
		if err != nil {
			return Result{}, prefix(fmt.Sprintf("member %d: ", i+1), err)
		}
		out[i] = r.Geometry
		if r.Repaired {
			repaired = true
			notes = append(notes, fmt.Sprintf("member %d: %s", i+1, r.Note))
		}
	}
	if !repaired {
		return Result{Geometry: g}, nil
	}
	return Result{Geometry: out, Repaired: true, Note: strings.Join(notes, "; ")}, nil
}

// checkPolygonal checks a Polygon or MultiPolygon g, given also as mp.
func (c *Checker) checkPolygonal(g orb.Geometry, mp orb.MultiPolygon) (Result, error) {
	_, single := g.(orb.Polygon)
	closed, nClosed, err := closeRings(mp, single)
	if err != nil {
		return Result{}, err
	}
	var notes []string
	if nClosed == 1 {
		notes = append(notes, "closed 1 unclosed ring")
	} else if nClosed > 1 {
		notes = append(notes, fmt.Sprintf("closed %d unclosed rings", nClosed))
	}

	if nClosed > 0 {
		// closed still shares with g the rings that were closed already; a
		// repaired geometry is returned oriented, so orient a copy before
		// judging it: in floating point, validity can depend on the direction.
		closed = closed.Clone()
		orient(closed)
	}
	// Before the first GEOS call: what GEOS would have to build, and the
	// work to find it, must fit the limits.
	if err := c.Limits.CheckCrossings(closed); err != nil {
		return Result{}, limitError(err)
	}
	gg, err := c.geom(asInput(closed, single))
	if err != nil {
		return Result{}, err
	}
	defer gg.Destroy()

	if gg.IsValid() {
		if nClosed == 0 {
			return Result{Geometry: g}, nil
		}
		return Result{Geometry: asInput(closed, single), Repaired: true, Note: strings.Join(notes, "; ")}, nil
	}

	what, loc := parseReason(gg.IsValidReason())
	if loc != nil {
		what += " at " + formatPoint(*loc)
	}
	refuse := func(why string) (Result, error) {
		return Result{}, &Error{Reason: what + ": " + why + ", fix the geometry at the source", Location: loc}
	}

	fixed := gg.MakeValidWithParams(geos.MakeValidStructure, geos.MakeValidDiscardCollapsed)
	if fixed == nil {
		return refuse("automatic repair failed")
	}
	defer fixed.Destroy()
	if !fixed.IsValid() {
		return refuse("automatic repair did not produce a valid geometry")
	}
	fg, err := wkb.Unmarshal(fixed.ToWKB())
	if err != nil {
		return refuse("automatic repair produced an unreadable geometry")
	}
	out := polygons(fg, nil)
	if len(out) == 0 {
		return refuse("automatic repair leaves no area")
	}

	want, got := intendedArea(closed), intendedArea(out)
	change := math.Abs(got-want) / math.Max(want, got)
	if math.IsNaN(change) || math.IsInf(change, 0) {
		return refuse("its area cannot be computed")
	}
	if !(change <= c.MaxAreaChange) {
		return refuse("automatic repair would change the area by " + formatPercent(change))
	}

	orient(out)
	// Make sure the oriented output, exactly as returned, passes Check again.
	og, err := c.geom(out)
	if err != nil {
		return refuse("automatic repair produced an unreadable geometry")
	}
	defer og.Destroy()
	if !og.IsValid() {
		return refuse("automatic repair did not produce a valid geometry")
	}
	note := what + " fixed; area "
	if change == 0 {
		note += "unchanged"
	} else {
		note += "changed " + formatPercent(change)
	}
	notes = append(notes, note)
	var geom orb.Geometry = out
	switch {
	case single && len(out) == 1:
		geom = out[0]
	case single:
		notes = append(notes, fmt.Sprintf("now a MultiPolygon of %d parts", len(out)))
	}
	return Result{Geometry: geom, Repaired: true, Note: strings.Join(notes, "; ")}, nil
}

// asInput returns mp as the input type: its only Polygon when single.
func asInput(mp orb.MultiPolygon, single bool) orb.Geometry {
	if single {
		return mp[0]
	}
	return mp
}

// geom converts g to a GEOS geometry through WKB.
func (c *Checker) geom(g orb.Geometry) (*geos.Geom, error) {
	b, err := wkb.Marshal(g)
	if err != nil {
		return nil, &Error{Reason: "cannot encode the geometry: " + err.Error()}
	}
	gg, err := c.ctx.NewGeomFromWKB(b)
	if err != nil {
		return nil, &Error{Reason: "the geometry engine cannot read the geometry: " + err.Error()}
	}
	return gg, nil
}

// closeRings checks the structure of every ring of mp and returns a copy in
// which unclosed rings are closed, with the number it closed. The input's
// rings are never modified. single says mp holds one Polygon, for messages.
func closeRings(mp orb.MultiPolygon, single bool) (orb.MultiPolygon, int, error) {
	out := make(orb.MultiPolygon, len(mp))
	n := 0
	for i, p := range mp {
		where := ""
		if !single {
			where = fmt.Sprintf("polygon %d: ", i+1)
		}
		if len(p) == 0 {
			return nil, 0, &Error{Reason: where + "empty Polygon"}
		}
		out[i] = make(orb.Polygon, len(p))
		for j, r := range p {
			name := "exterior ring"
			if j > 0 {
				name = fmt.Sprintf("hole %d", j)
			}
			for _, pt := range r {
				if err := checkFinite(pt); err != nil {
					return nil, 0, prefix(where+name+": ", err)
				}
			}
			if len(r) > 0 && r[0] != r[len(r)-1] {
				c := make(orb.Ring, len(r), len(r)+1)
				copy(c, r)
				r = append(c, r[0])
				n++
			}
			if len(r) < 4 {
				return nil, 0, &Error{Reason: fmt.Sprintf("%s%s has %d points, want at least 4", where, name, len(r))}
			}
			if distinct(r, 3) < 3 {
				return nil, 0, &Error{Reason: fmt.Sprintf("%s%s has fewer than 3 distinct points", where, name)}
			}
			out[i][j] = r
		}
	}
	return out, n, nil
}

// checkLine requires a finite LineString with at least 2 distinct points.
func checkLine(l orb.LineString) error {
	if len(l) == 0 {
		return &Error{Reason: "empty LineString"}
	}
	for _, p := range l {
		if err := checkFinite(p); err != nil {
			return err
		}
	}
	if distinct(l, 2) < 2 {
		return &Error{Reason: "LineString has fewer than 2 distinct points"}
	}
	return nil
}

func checkFinite(p orb.Point) error {
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &Error{Reason: fmt.Sprintf("coordinate (%v %v) is not a finite number", p[0], p[1])}
		}
	}
	return nil
}

// distinct counts the distinct points of ps, stopping at enough.
func distinct[S ~[]orb.Point](ps S, enough int) int {
	seen := make([]orb.Point, 0, enough)
	for _, p := range ps {
		dup := false
		for _, q := range seen {
			if p == q {
				dup = true
				break
			}
		}
		if !dup {
			seen = append(seen, p)
			if len(seen) == enough {
				break
			}
		}
	}
	return len(seen)
}

// polygons appends the polygons in g (a MakeValid result: Polygon,
// MultiPolygon or a collection of anything) to mp, dropping other types.
func polygons(g orb.Geometry, mp orb.MultiPolygon) orb.MultiPolygon {
	switch g := g.(type) {
	case orb.Polygon:
		if len(g) > 0 && len(g[0]) > 0 {
			mp = append(mp, g)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			mp = polygons(p, mp)
		}
	case orb.Collection:
		for _, m := range g {
			mp = polygons(m, mp)
		}
	}
	return mp
}

// intendedArea is Σ over polygons of |shoelace(shell)| − Σ |shoelace(hole)|:
// the area the author drew. For a valid MultiPolygon it is its area.
func intendedArea(mp orb.MultiPolygon) float64 {
	a := 0.0
	for _, p := range mp {
		for j, r := range p {
			if j == 0 {
				a += math.Abs(shoelace(r))
			} else {
				a -= math.Abs(shoelace(r))
			}
		}
	}
	return a
}

// shoelace returns the signed area of a closed ring, positive when it is
// counter-clockwise. Coordinates are shifted to the first point to keep
// precision with large (UTM) values.
func shoelace(r orb.Ring) float64 {
	if len(r) < 4 {
		return 0
	}
	x0, y0 := r[0][0], r[0][1]
	s := 0.0
	for i := 1; i < len(r)-1; i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s / 2
}

// orient makes exterior rings counter-clockwise and holes clockwise, the
// right-hand rule of RFC 7946 §3.1.6, in place.
func orient(mp orb.MultiPolygon) {
	for _, p := range mp {
		for j, r := range p {
			a := shoelace(r)
			if (j == 0 && a < 0) || (j > 0 && a > 0) {
				r.Reverse()
			}
		}
	}
}

// parseReason splits a GEOS validity reason such as "Self-intersection[5 5]"
// into "self-intersection" and the point.
func parseReason(s string) (string, *orb.Point) {
	what, rest, ok := strings.Cut(s, "[")
	what = strings.ToLower(strings.TrimSpace(what))
	if what == "" {
		what = "invalid geometry"
	}
	if !ok {
		return what, nil
	}
	f := strings.Fields(strings.TrimSuffix(rest, "]"))
	if len(f) < 2 {
		return what, nil
	}
	x, errX := strconv.ParseFloat(f[0], 64)
	y, errY := strconv.ParseFloat(f[1], 64)
	if errX != nil || errY != nil || math.IsNaN(x+y) || math.IsInf(x+y, 0) {
		return what, nil
	}
	return what, &orb.Point{x, y}
}

// formatPoint formats p as "(x y)" with 10 significant digits: enough for
// centimetres in degrees and in UTM metres, short enough to read.
func formatPoint(p orb.Point) string {
	return "(" + strconv.FormatFloat(p[0], 'g', 10, 64) + " " + strconv.FormatFloat(p[1], 'g', 10, 64) + ")"
}

// formatPercent formats a relative change as a percentage with at most three
// decimals.
func formatPercent(r float64) string {
	pct := math.Round(r*100*1000) / 1000
	if pct == 0 {
		return "less than 0.001%"
	}
	return strconv.FormatFloat(pct, 'f', -1, 64) + "%"
}

// prefix puts context in front of an *Error's Reason.
func prefix(p string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Reason: p + e.Reason, Location: e.Location, Err: e.Err}
	}
	return err
}

// typeName names g's type as GeoJSON does, plus orb's extra types.
func typeName(g orb.Geometry) string {
	switch g.(type) {
	case orb.Ring:
		return "Ring"
	case orb.Bound:
		return "Bound"
	case nil:
		return "nothing"
	}
	return g.GeoJSONType()
}
