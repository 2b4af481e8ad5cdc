package geo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// ParseBBox parses the value of the OGC API – Features bbox query parameter
// (OGC 17-069r4 §7.15.3): "minx,miny,maxx,maxy" or, with heights,
// "minx,miny,minz,maxx,maxy,maxz" (the heights are checked and ignored). The
// coordinates are CRS84 longitude and latitude, so they must lie in -180..180
// and -90..90. Numbers are plain decimals (an exponent is allowed; hex, NaN
// and Inf are not); spaces around a number are tolerated. minx > maxx, which
// the standard reads as a box crossing the antimeridian, is refused: Atlante's
// data never crosses it. The error is an *Error for field "bbox".
func ParseBBox(s string) (orb.Bound, error) {
	if strings.TrimSpace(s) == "" {
		return orb.Bound{}, errorf("bbox", "is empty, want minx,miny,maxx,maxy")
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, errorf("bbox", fmt.Sprintf("want 4 or 6 comma-separated numbers, got %d", len(parts)))
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := parseNumber(p)
		if err != nil {
			return orb.Bound{}, errorf("bbox", fmt.Sprintf("value %d (%s) %s", i+1, quote(p), err.Error()))
		}
		v[i] = f
	}
	if len(v) == 6 {
		v = []float64{v[0], v[1], v[3], v[4]}
	}
	names := [4]string{"minx", "miny", "maxx", "maxy"}
	for i, f := range v {
		lim := 180.0
		axis := "longitude"
		if i%2 == 1 {
			lim, axis = 90, "latitude"
		}
		if f < -lim || f > lim {
			return orb.Bound{}, errorf("bbox", fmt.Sprintf("%s %s is outside the %s range %g..%g", names[i], formatNumber(f), axis, -lim, lim))
		}
	}
	if v[0] > v[2] {
		return orb.Bound{}, errorf("bbox", fmt.Sprintf("minx %s is greater than maxx %s (boxes crossing the antimeridian are not supported)", formatNumber(v[0]), formatNumber(v[2])))
	}
	if v[1] > v[3] {
		return orb.Bound{}, errorf("bbox", fmt.Sprintf("miny %s is greater than maxy %s", formatNumber(v[1]), formatNumber(v[3])))
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// FormatBBox formats b as a bbox query value "minx,miny,maxx,maxy", the
// inverse of ParseBBox, for links. Numbers use the shortest form that parses
// back to the same float64.
func FormatBBox(b orb.Bound) string {
	return formatNumber(b.Min[0]) + "," + formatNumber(b.Min[1]) + "," +
		formatNumber(b.Max[0]) + "," + formatNumber(b.Max[1])
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// parseNumber parses a decimal number: optional sign, digits with an optional
// fraction, optional exponent. It refuses what strconv.ParseFloat would also
// take but no client means: hex floats, underscores, "Inf", "NaN".
func parseNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("is empty, want a number")
	}
	if !isDecimal(t) {
		f, err := strconv.ParseFloat(t, 64)
		switch {
		case err == nil && (math.IsInf(f, 0) || math.IsNaN(f)):
			return 0, fmt.Errorf("is not a finite decimal number")
		case err == nil:
			return 0, fmt.Errorf("is not a decimal number")
		}
		return 0, fmt.Errorf("is not a number")
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		// Only overflow gets here: "1e999" is well-formed but infinite.
		return 0, fmt.Errorf("is not a finite decimal number")
	}
	return f, nil
}

// isDecimal reports whether s is [+-]digits[.digits][(e|E)[+-]digits], with
// digits on at least one side of the point.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// ParseBBoxIn parses a bbox whose coordinates are in c (Part 2's
// bbox-crs): four numbers, or six with heights, in c's axis order, so
// minLat,minLon,maxLat,maxLon for EPSG:4326 and minN,minE,maxN,maxE for
// EPSG:6707. The bound returned is x (longitude, easting) first, as orb
// and PostGIS hold it. Degrees must lie in -180..180 and -90..90; metres
// are clipped to c.Domain, and a box wholly outside it is an error (it is
// usually one with its axes swapped). CRS84 is ParseBBox. The error is an
// *Error for field "bbox".
func ParseBBoxIn(s string, c CRS) (orb.Bound, error) {
	if c.IsCRS84() {
		return ParseBBox(s)
	}
	axes := [2]string{"easting", "northing"}
	switch {
	case c.Geographic:
		axes = [2]string{"latitude", "longitude"}
	case c.NorthFirst:
		axes = [2]string{"northing", "easting"}
	}
	order := "min " + axes[0] + ", min " + axes[1] + ", max " + axes[0] + ", max " + axes[1]
	if strings.TrimSpace(s) == "" {
		return orb.Bound{}, errorf("bbox", "is empty, want "+order+" ("+c.String()+")")
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, errorf("bbox", fmt.Sprintf("want 4 or 6 comma-separated numbers (%s in %s), got %d", order, c, len(parts)))
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := parseNumber(p)
		if err != nil {
			return orb.Bound{}, errorf("bbox", fmt.Sprintf("value %d (%s) %s", i+1, quote(p), err.Error()))
		}
		v[i] = f
	}
	if len(v) == 6 {
		v = []float64{v[0], v[1], v[3], v[4]}
	}
	for i := range 2 {
		if v[i] > v[i+2] {
			return orb.Bound{}, errorf("bbox", fmt.Sprintf("the min %s %s is greater than the max %s %s (%s takes %s)",
				axes[i], plainNumber(v[i]), axes[i], plainNumber(v[i+2]), c, order))
		}
	}
	b := bnd(v[0], v[1], v[2], v[3])
	if c.NorthFirst {
		b = bnd(v[1], v[0], v[3], v[2])
	}
	if c.Geographic {
		for i, f := range v {
			lim, axis := 90.0, axes[i%2]
			if axis == "longitude" {
				lim = 180
			}
			if f < -lim || f > lim {
				return orb.Bound{}, errorf("bbox", fmt.Sprintf("value %d (%s) is outside the %s range %g..%g (%s takes %s)",
					i+1, plainNumber(f), axis, -lim, lim, c, order))
			}
		}
		return b, nil
	}
	clipped, ok := c.Clip(b)
	if !ok {
		d := c.Domain
		lo, hi := [2]float64{d.Min[0], d.Min[1]}, [2]float64{d.Max[0], d.Max[1]}
		if c.NorthFirst {
			lo, hi = [2]float64{d.Min[1], d.Min[0]}, [2]float64{d.Max[1], d.Max[0]}
		}
		return orb.Bound{}, errorf("bbox", fmt.Sprintf("lies outside the area of %s (%s %s..%s, %s %s..%s): %s takes %s",
			c, axes[0], plainNumber(lo[0]), plainNumber(hi[0]), axes[1], plainNumber(lo[1]), plainNumber(hi[1]), c, order))
	}
	return clipped, nil
}

// Clip returns the part of b (x first) in c's Domain; ok is false when
// they do not meet.
func (c CRS) Clip(b orb.Bound) (clipped orb.Bound, ok bool) {
	if !b.Intersects(c.Domain) {
		return orb.Bound{}, false
	}
	return orb.Bound{Min: orb.Point{max(b.Min[0], c.Domain.Min[0]), max(b.Min[1], c.Domain.Min[1])},
		Max: orb.Point{min(b.Max[0], c.Domain.Max[0]), min(b.Max[1], c.Domain.Max[1])}}, true
}

// FormatBBoxIn formats b (x first) as a bbox value in c's axis order, the
// inverse of ParseBBoxIn for links.
func FormatBBoxIn(b orb.Bound, c CRS) string {
	if c.NorthFirst {
		b = bnd(b.Min[1], b.Min[0], b.Max[1], b.Max[0])
	}
	return plainNumber(b.Min[0]) + "," + plainNumber(b.Min[1]) + "," + plainNumber(b.Max[0]) + "," + plainNumber(b.Max[1])
}

// plainNumber formats f without an exponent when it is of a size a
// coordinate has (5023825.87, not 5.02382587e+06), in the shortest form
// that parses back to f.
func plainNumber(f float64) string {
	if math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return formatNumber(f)
}
