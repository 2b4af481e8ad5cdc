package hostile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo/geotest"
)

// maxGenerated bounds what one generator may make, so that a typo in the
// corpus cannot exhaust the test's memory.
const maxGenerated = 64 << 20

// generators make the bodies (or header values, or query values) too big
// or too regular to write out in the corpus. Each takes its arguments as
// written after its name.
var generators = map[string]func(args []string) ([]byte, error){
	// repeat N TEXT: TEXT (all after the space that follows N, spaces
	// included) N times.
	"repeat": func(a []string) ([]byte, error) {
		n, err := count(a, 0)
		if err != nil {
			return nil, err
		}
		text := a[1]
		if text == "" || n*len(text) > maxGenerated {
			return nil, fmt.Errorf("repeat: want a count and a text, at most %d bytes", maxGenerated)
		}
		return bytes.Repeat([]byte(text), n), nil
	},
	// deep-array N: N nested arrays, [[[…]]].
	"deep-array": func(a []string) ([]byte, error) {
		n, err := count(a, 0)
		if err != nil {
			return nil, err
		}
		return append(bytes.Repeat([]byte("["), n), bytes.Repeat([]byte("]"), n)...), nil
	},
	// deep-object N: N nested objects, {"a":{"a":…1}}.
	"deep-object": func(a []string) ([]byte, error) {
		n, err := count(a, 0)
		if err != nil {
			return nil, err
		}
		return append(append(bytes.Repeat([]byte(`{"a":`), n), '1'), bytes.Repeat([]byte("}"), n)...), nil
	},
	// members N: an object of N distinct members.
	"members": func(a []string) ([]byte, error) {
		n, err := count(a, 0)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.WriteByte('{')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"m%d":%d`, i, i)
		}
		b.WriteByte('}')
		return b.Bytes(), nil
	},
	// numbers N: an array of N zeros.
	"numbers": func(a []string) ([]byte, error) {
		n, err := count(a, 0)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return []byte("[]"), nil
		}
		return append(append([]byte("[0"), bytes.Repeat([]byte(",0"), n-1)...), ']'), nil
	},
	// digits N: a JSON number of N digits.
	"digits": func(a []string) ([]byte, error) {
		n, err := count(a, 0)
		if err != nil {
			return nil, err
		}
		return bytes.Repeat([]byte("9"), max(n, 1)), nil
	},
	// positions N: a Polygon whose one ring is the same position N times.
	"positions": func(a []string) ([]byte, error) {
		n, err := count(a, 0)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.WriteString(`{"type":"Polygon","coordinates":[[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("[9.68,45.36]")
		}
		b.WriteString("]]}")
		return b.Bytes(), nil
	},
	// geometry KIND ARGS: an adversarial GeoJSON geometry around Crema
	// from geo/geotest (see geometry).
	"geometry": func(a []string) ([]byte, error) {
		if len(a) == 0 {
			return nil, fmt.Errorf("geometry: want a kind")
		}
		g, err := geometry(a[0], a[1:])
		if err != nil {
			return nil, err
		}
		return json.Marshal(geojson.NewGeometry(orb.Round(g, 1e7)))
	},
	// hex BYTES: the bytes written in hexadecimal (invalid UTF-8, NUL).
	"hex": func(a []string) ([]byte, error) {
		if len(a) != 1 {
			return nil, fmt.Errorf("hex: want one argument")
		}
		return hex.DecodeString(a[0])
	},
}

// geometry returns the geotest geometry of a kind with its integer
// arguments.
func geometry(kind string, a []string) (orb.Geometry, error) {
	n := make([]int, len(a))
	for i := range a {
		v, err := count(a, i)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	want := func(k int) error {
		if len(n) != k {
			return fmt.Errorf("geometry %s: want %d numbers", kind, k)
		}
		return nil
	}
	crema := orb.Point{9.65, 45.35}
	switch kind {
	case "circle": // circle N: a valid polygon of N vertices
		if err := want(1); err != nil {
			return nil, err
		}
		return orb.Polygon{geotest.Circle(crema, 0.01, max(n[0]-1, 3), false)}, nil
	case "random": // random N: issue 8's self-intersecting polygon
		if err := want(1); err != nil {
			return nil, err
		}
		return geotest.RandomPolygon(max(n[0], 4), 8), nil
	case "spikes":
		if err := want(1); err != nil {
			return nil, err
		}
		return geotest.Spikes(n[0]), nil
	case "accordion":
		if err := want(1); err != nil {
			return nil, err
		}
		return geotest.Accordion(n[0]), nil
	case "spiral":
		if err := want(1); err != nil {
			return nil, err
		}
		return geotest.Spiral(n[0]), nil
	case "holes": // holes H V C: H holes of V vertices, C crossings
		if err := want(3); err != nil {
			return nil, err
		}
		return geotest.Holes(n[0], n[1], n[2]), nil
	case "parts": // parts K V C
		if err := want(3); err != nil {
			return nil, err
		}
		return geotest.Parts(n[0], n[1], n[2]), nil
	case "rings": // rings P R V
		if err := want(3); err != nil {
			return nil, err
		}
		return geotest.Rings(n[0], n[1], n[2]), nil
	case "grid": // grid H V N
		if err := want(3); err != nil {
			return nil, err
		}
		return geotest.Grid(n[0], n[1], n[2]), nil
	case "nested": // nested D: GeometryCollections D deep
		if err := want(1); err != nil {
			return nil, err
		}
		return geotest.Nested(n[0]), nil
	}
	return nil, fmt.Errorf("geometry: unknown kind %q", kind)
}

func count(a []string, i int) (int, error) {
	if i >= len(a) {
		return 0, fmt.Errorf("want a count as argument %d", i+1)
	}
	n, err := strconv.Atoi(a[i])
	if err != nil || n < 0 || n > maxGenerated {
		return 0, fmt.Errorf("%q is not a count", a[i])
	}
	return n, nil
}

// generate runs the generator line "name args...". The arguments of
// repeat are its count and the text, verbatim.
func generate(line string) ([]byte, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil, fmt.Errorf("gen: empty")
	}
	if f[0] == "repeat" {
		_, rest, _ := strings.Cut(line, " ")
		n, text, _ := strings.Cut(rest, " ")
		f = []string{"repeat", n, text}
	}
	g, ok := generators[f[0]]
	if !ok {
		return nil, fmt.Errorf("gen: unknown generator %q", f[0])
	}
	out, err := g(f[1:])
	if err != nil {
		return nil, fmt.Errorf("gen %s: %v", f[0], err)
	}
	if len(out) > maxGenerated {
		return nil, fmt.Errorf("gen %s: %d bytes, more than %d", line, len(out), maxGenerated)
	}
	return out, nil
}
