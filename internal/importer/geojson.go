package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
)

// GeoJSONReader streams the features of a GeoJSON file: a FeatureCollection
// (RFC 7946 §3.3), a single Feature, or a sequence of Features one after the
// other (newline-delimited GeoJSON, or a GeoJSON text sequence of RFC 8142,
// whose record separators are read as white space).
//
// The CRS is, in order: OpenOptions.CRS, the file's crs member in the
// GeoJSON 2008 form ({"type":"name","properties":{"name":
// "urn:ogc:def:crs:EPSG::32632"}}, still written by ogr2ogr for projected
// data), or CRS84 as RFC 7946 prescribes. Positions keep x and y; a third
// (height) or further number is dropped.
//
// Syntax errors and a truncated file are reported at their line and column;
// a malformed feature at the line and column where it starts, with the
// member that is wrong.
//
// Each feature is decoded whole, so its text is bounded by
// Limits.MaxFeature (checked as the bytes come in, before the decoder holds
// them), and the features of a file by Limits.MaxFeatures.
type GeoJSONReader struct {
	name     string
	closer   io.Closer
	size     int64
	lines    *lineTracker
	dec      *json.Decoder
	override geo.SRID
	lim      Limits
	valueAt  int64 // where the value being decoded starts (or the space before it)

	srid geo.SRID // from the crs member; 0 until one is seen

	depth      int // 0: between top-level values; 1: in a top-level object; 2: in its features array
	index      int // next feature index
	collection bool
	typ        string                     // the top-level object's type member
	members    map[string]json.RawMessage // of a top-level Feature
	memberPos  int64
	sawValue   bool
	eof        bool
}

// OpenGeoJSON opens a GeoJSON file for reading.
func OpenGeoJSON(path string, opts OpenOptions) (*GeoJSONReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError("importer.OpenGeoJSON", path, err)
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	r := NewGeoJSONReader(f, path, opts)
	r.closer, r.size = f, size
	return r, nil
}

// NewGeoJSONReader reads GeoJSON from r; name is used in messages. Only
// opts.CRS applies.
func NewGeoJSONReader(r io.Reader, name string, opts OpenOptions) *GeoJSONReader {
	br := bufio.NewReaderSize(r, maxRead)
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		br.Discard(3) // a UTF-8 byte order mark, which RFC 8259 §8.1 lets parsers ignore
	}
	lim := opts.Limits.withDefaults()
	// The decoder reads at most one chunk past the value it decodes.
	chunk := int(min(maxRead, max(lim.MaxFeature/8, 512)))
	t := &lineTracker{r: br, lastNL: -1, chunk: chunk, max: lim.MaxFeature + int64(chunk)}
	dec := json.NewDecoder(t)
	dec.UseNumber()
	return &GeoJSONReader{name: name, lines: t, dec: dec, override: opts.CRS, lim: lim}
}

// Format returns "GeoJSON".
func (r *GeoJSONReader) Format() string { return "GeoJSON" }

// Name returns the name given to the reader.
func (r *GeoJSONReader) Name() string { return r.name }

// SRID returns the CRS of the geometries: the override, the crs member seen
// so far, or WGS84 (CRS84).
func (r *GeoJSONReader) SRID() geo.SRID {
	switch {
	case r.override != 0:
		return r.override
	case r.srid != 0:
		return r.srid
	}
	return geo.WGS84
}

// Progress counts bytes.
func (r *GeoJSONReader) Progress() Progress {
	return Progress{Done: r.lines.n, Total: r.size, Unit: "bytes"}
}

// Close closes the file opened by OpenGeoJSON.
func (r *GeoJSONReader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

const opGeoJSON = "importer.GeoJSON"

// errAt reports a problem at byte offset off of the file.
func (r *GeoJSONReader) errAt(off int64, feature, field, msg string) error {
	line, col := r.lines.position(off)
	return fileError(opGeoJSON, r.name, line, col, feature, field, msg, nil)
}

// jsonErr turns an error of the JSON decoder into one at its place; at is
// the offset to use when the error carries none.
func (r *GeoJSONReader) jsonErr(err error, at int64, context string) error {
	if r.lines.err != nil {
		return r.tooLarge()
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return r.errAt(r.syntaxErrorOffset(se), "", "", "malformed JSON"+context+": "+se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return r.errAt(r.lines.n, "", "", "unexpected end of file"+context+" (the file is truncated)")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return r.errAt(at, "", "", "malformed GeoJSON"+context+": "+te.Error())
	}
	// A read error of the underlying file.
	return fileError(opGeoJSON, r.name, 0, 0, "", "", "cannot read the file"+context, err)
}

// syntaxErrorOffset finds where a syntax error of Decode is. The offset in
// the error counts the bytes the decoder's scanner has seen over all values,
// not the bytes of the stream; but the failed value is still in the
// decoder's buffer from InputOffset on, so a fresh decoder over that buffer
// counts from the value's start.
func (r *GeoJSONReader) syntaxErrorOffset(se *json.SyntaxError) int64 {
	start := r.dec.InputOffset()
	data, _ := io.ReadAll(r.dec.Buffered())
	var raw json.RawMessage
	var fresh *json.SyntaxError
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&raw); errors.As(err, &fresh) && fresh.Offset > 0 {
		return start + fresh.Offset - 1
	}
	return start
}

// token reads the next JSON token; at end of input inside a value it says
// the file is truncated.
func (r *GeoJSONReader) token(context string) (json.Token, error) {
	at := r.dec.InputOffset()
	t, err := r.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Token's offsets are not reliable; InputOffset is where it stopped.
			return nil, r.errAt(r.dec.InputOffset(), "", "", "malformed JSON"+context+": "+se.Error())
		}
		return nil, r.jsonErr(err, at, context)
	}
	return t, nil
}

// Next returns the next feature or io.EOF.
func (r *GeoJSONReader) Next() (Feature, error) {
	if r.eof {
		return Feature{}, io.EOF
	}
	for {
		switch r.depth {
		case 0:
			if !r.dec.More() {
				// Nothing but whitespace may follow, and something must have come.
				_, err := r.dec.Token()
				if errors.Is(err, io.EOF) {
					if !r.sawValue {
						return Feature{}, r.errAt(0, "", "", "the file is empty, want a GeoJSON FeatureCollection")
					}
					r.eof = true
					return Feature{}, io.EOF
				}
				if r.lines.err != nil {
					return Feature{}, r.tooLarge()
				}
				return Feature{}, r.errAt(r.dec.InputOffset(), "", "", "malformed JSON: unexpected text after the GeoJSON object")
			}
			t, err := r.token("")
			if err != nil {
				return Feature{}, err
			}
			start := r.dec.InputOffset() - 1 // the token just read
			r.valueAt = start
			if d, ok := t.(json.Delim); !ok || d != '{' {
				return Feature{}, r.errAt(start, "", "", "want a GeoJSON object ({\"type\": \"FeatureCollection\", ...}), found "+tokenText(t))
			}
			r.sawValue = true
			r.depth, r.collection, r.typ, r.members, r.memberPos = 1, false, "", nil, start
		case 1:
			if !r.dec.More() {
				if _, err := r.token(""); err != nil { // the closing }
					return Feature{}, err
				}
				r.depth = 0
				f, ok, err := r.endTopLevel()
				if err != nil {
					return Feature{}, err
				}
				if ok {
					return f, nil
				}
				continue
			}
			t, err := r.token("")
			if err != nil {
				return Feature{}, err
			}
			key, _ := t.(string)
			if err := r.member(key); err != nil {
				return Feature{}, err
			}
		case 2:
			if !r.dec.More() {
				if _, err := r.token(" in the features array"); err != nil { // the closing ]
					return Feature{}, err
				}
				r.depth = 1
				continue
			}
			if r.index >= r.lim.MaxFeatures {
				return Feature{}, r.tooMany(r.valueStart())
			}
			context := fmt.Sprintf(" in features[%d]", r.index)
			at := r.dec.InputOffset()
			r.valueAt = r.valueStart()
			var raw json.RawMessage
			if err := r.dec.Decode(&raw); err != nil {
				return Feature{}, r.jsonErr(err, at, context)
			}
			end := r.dec.InputOffset()
			start := end - int64(len(raw))
			f, err := r.feature(raw, start, r.index, fmt.Sprintf("features[%d]", r.index))
			r.index++
			r.lines.release(end)
			return f, err
		}
	}
}

// valueStart is where the next value starts: the decoder's offset is
// before the comma and spaces that precede it.
func (r *GeoJSONReader) valueStart() int64 {
	at := r.dec.InputOffset()
	var b [64]byte
	n, _ := io.ReadFull(r.dec.Buffered(), b[:])
	for i := range n {
		switch b[i] {
		case ' ', '\t', '\r', '\n', ',':
			continue
		}
		return at + int64(i)
	}
	return at
}

// tooLarge reports the value that went past Limits.MaxFeature, where it starts.
func (r *GeoJSONReader) tooLarge() error {
	what := "a GeoJSON object"
	switch {
	case r.depth == 2:
		what = fmt.Sprintf("features[%d]", r.index)
	case r.depth == 1 && r.typ == "Feature":
		what = fmt.Sprintf("feature %d", r.index)
	}
	line, col := r.lines.position(max(r.valueAt, r.lines.base))
	msg := fmt.Sprintf("%s is larger than %s", what, byteCount(r.lim.MaxFeature))
	if r.lines.tooManyLines {
		msg = fmt.Sprintf("%s spans more than %s lines", what, thousands(r.lim.MaxFeature/8))
	}
	return fileError(opGeoJSON, r.name, line, col, "", "", msg+"; if the file is right, raise the limit with --max-feature-size", nil)
}

// tooMany reports a file with more than Limits.MaxFeatures features, at
// the first feature too many.
func (r *GeoJSONReader) tooMany(at int64) error {
	return r.errAt(at, "", "", fmt.Sprintf("more than %s features: more than an import takes at once; split the file",
		thousands(int64(r.lim.MaxFeatures))))
}

// member reads the value of key in a top-level object.
func (r *GeoJSONReader) member(key string) error {
	at := r.dec.InputOffset()
	switch key {
	case "features":
		t, err := r.token(" in the features member")
		if err != nil {
			return err
		}
		if t == nil { // "features": null
			r.collection = true
			return nil
		}
		if d, ok := t.(json.Delim); !ok || d != '[' {
			return r.errAt(at, "", "features", "want an array of Features, found "+tokenText(t))
		}
		r.collection, r.depth = true, 2
		return nil
	case "type":
		var v any
		if err := r.dec.Decode(&v); err != nil {
			return r.jsonErr(err, at, "")
		}
		s, ok := v.(string)
		if !ok {
			return r.errAt(at, "", "type", "want a string such as \"FeatureCollection\"")
		}
		r.typ = s
		return nil
	case "crs":
		var raw json.RawMessage
		if err := r.dec.Decode(&raw); err != nil {
			return r.jsonErr(err, at, " in the crs member")
		}
		return r.crs(raw, r.dec.InputOffset()-int64(len(raw)))
	}
	var raw json.RawMessage
	if err := r.dec.Decode(&raw); err != nil {
		return r.jsonErr(err, at, "")
	}
	switch key {
	case "id", "properties", "geometry":
		// Members of a top-level Feature; kept until its type is known.
		if r.members == nil {
			r.members = map[string]json.RawMessage{}
		}
		r.members[key] = raw
	}
	return nil
}

// endTopLevel finishes a top-level object: a FeatureCollection has nothing
// more to give, a Feature is returned.
func (r *GeoJSONReader) endTopLevel() (Feature, bool, error) {
	switch {
	case r.collection && (r.typ == "FeatureCollection" || r.typ == ""):
		return Feature{}, false, nil
	case r.collection:
		return Feature{}, false, r.errAt(r.memberPos, "", "type", strconv.Quote(truncate(r.typ, 40))+" with a features member; want \"FeatureCollection\"")
	case r.typ == "Feature":
		if r.index >= r.lim.MaxFeatures {
			return Feature{}, false, r.tooMany(r.memberPos)
		}
		obj := map[string]json.RawMessage{"type": json.RawMessage(`"Feature"`)}
		for k, v := range r.members {
			obj[k] = v
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			return Feature{}, false, r.errAt(r.memberPos, "", "", "malformed Feature")
		}
		i := r.index
		r.index++
		f, err := r.feature(raw, r.memberPos, i, fmt.Sprintf("feature %d", i))
		r.lines.release(r.dec.InputOffset())
		return f, true, err
	case r.typ == "":
		return Feature{}, false, r.errAt(r.memberPos, "", "type", "missing; want a GeoJSON FeatureCollection or Feature")
	}
	return Feature{}, false, r.errAt(r.memberPos, "", "type", strconv.Quote(truncate(r.typ, 40))+" is not supported here; want a FeatureCollection or a Feature")
}

// crs reads the crs member of GeoJSON 2008 (see geo.ParseCRSMember).
func (r *GeoJSONReader) crs(raw json.RawMessage, at int64) error {
	if r.override != 0 {
		return nil // --crs wins; the member is not even checked
	}
	if string(raw) == "null" {
		return nil
	}
	srid, err := geo.ParseCRSMember(raw)
	if err != nil {
		var ge *geo.Error
		msg := err.Error()
		if errors.As(err, &ge) {
			msg = ge.Msg
		}
		return r.errAt(at, "", "crs", msg+"; or give --crs EPSG:nnnn")
	}
	if r.srid != 0 && r.srid != srid {
		return r.errAt(at, "", "crs", fmt.Sprintf("%s contradicts the earlier crs %s", srid, r.srid))
	}
	r.srid = srid
	return nil
}

// rawFeature is a GeoJSON Feature (RFC 7946 §3.2) before its members are checked.
type rawFeature struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Properties json.RawMessage `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

// feature decodes one Feature that starts at byte offset start of the file.
func (r *GeoJSONReader) feature(raw json.RawMessage, start int64, index int, ref string) (Feature, error) {
	line, col := r.lines.position(start)
	f := Feature{Index: index, Line: line, Column: col, ref: ref}
	bad := func(field, msg string) (Feature, error) {
		return Feature{}, fileError(opGeoJSON, r.name, line, col, f.Ref(), field, msg, nil)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return bad("", "want a Feature object, found "+valueKind(raw))
	}
	var rf rawFeature
	if err := json.Unmarshal(raw, &rf); err != nil {
		return bad("", "malformed Feature: "+err.Error())
	}
	id, err := featureID(rf.ID)
	if err != nil {
		return bad("id", err.Error())
	}
	f.ID = id
	if rf.Type != "Feature" {
		if rf.Type == "" {
			return bad("type", "missing; want \"Feature\"")
		}
		return bad("type", strconv.Quote(truncate(rf.Type, 40))+" is not \"Feature\"")
	}
	if f.Properties, err = decodeProperties(rf.Properties); err != nil {
		return bad("properties", err.Error())
	}
	if f.Geometry, err = decodeGeometry(rf.Geometry, 0); err != nil {
		return bad("geometry", err.Error())
	}
	// Before any check that grows with the geometry (GEOS above all).
	if err := geo.DefaultLimits.Check(f.Geometry); err != nil {
		return bad("geometry", err.Error())
	}
	return f, nil
}

// featureID reads a Feature's id: a string or a number (RFC 7946 §3.2).
func featureID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	}
	return "", fmt.Errorf("want a string or a number, found %s", valueKind(raw))
}

// decodeProperties reads a properties object; null gives no properties.
// Nested objects and arrays are kept as their JSON text.
func decodeProperties(raw json.RawMessage) (Properties, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Properties{}, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("want an object or null, found %s", valueKind(raw))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	p := make(Properties, len(m))
	for k, v := range m {
		if len(v) == 0 {
			continue
		}
		switch v[0] {
		case '{', '[':
			p[k] = string(v)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
		p[k] = x
	}
	return p, nil
}

// maxGeometryDepth bounds the nesting of GeometryCollections while
// decoding; deeper ones would be refused by geo.DefaultLimits anyway.
const maxGeometryDepth = 8

// rawGeometry is a GeoJSON geometry object (RFC 7946 §3.1) before its
// coordinates are decoded.
type rawGeometry struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
}

// decodeGeometry turns a GeoJSON geometry into orb; null gives nil. Only the
// structure is checked here (types, arrays, positions of 2 or more numbers);
// validity (ring sizes, closure, self-intersections) is for geo/repair.
func decodeGeometry(raw json.RawMessage, depth int) (orb.Geometry, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("want a geometry object or null, found %s", valueKind(raw))
	}
	var g rawGeometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	if g.Type == "GeometryCollection" {
		if depth >= maxGeometryDepth {
			return nil, fmt.Errorf("GeometryCollections nested more than %d deep", maxGeometryDepth)
		}
		c := make(orb.Collection, 0, len(g.Geometries))
		for i, m := range g.Geometries {
			mg, err := decodeGeometry(m, depth+1)
			if err != nil {
				return nil, fmt.Errorf("geometries[%d]: %w", i, err)
			}
			if mg == nil {
				return nil, fmt.Errorf("geometries[%d]: null in a GeometryCollection", i)
			}
			c = append(c, mg)
		}
		return c, nil
	}
	if len(g.Coordinates) == 0 || string(g.Coordinates) == "null" {
		if g.Type == "" {
			return nil, errors.New("type: missing; want Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon or GeometryCollection")
		}
		return nil, fmt.Errorf("coordinates: missing in a %s", truncate(g.Type, 40))
	}
	wrong := func(want string) error {
		return fmt.Errorf("coordinates: want %s for a %s", want, g.Type)
	}
	switch g.Type {
	case "Point":
		var c []float64
		if json.Unmarshal(g.Coordinates, &c) != nil {
			return nil, wrong("a position [x, y]")
		}
		p, err := position(c)
		if err != nil {
			return nil, fmt.Errorf("coordinates: %w", err)
		}
		return p, nil
	case "MultiPoint", "LineString":
		var c [][]float64
		if json.Unmarshal(g.Coordinates, &c) != nil {
			return nil, wrong("an array of positions")
		}
		ps, err := positions(c)
		if err != nil {
			return nil, fmt.Errorf("coordinates%w", err)
		}
		if g.Type == "MultiPoint" {
			return orb.MultiPoint(ps), nil
		}
		return orb.LineString(ps), nil
	case "MultiLineString", "Polygon":
		var c [][][]float64
		if json.Unmarshal(g.Coordinates, &c) != nil {
			return nil, wrong("an array of arrays of positions")
		}
		if g.Type == "Polygon" {
			p, err := polygon(c)
			if err != nil {
				return nil, fmt.Errorf("coordinates%w", err)
			}
			return p, nil
		}
		ml := make(orb.MultiLineString, len(c))
		for i, l := range c {
			ps, err := positions(l)
			if err != nil {
				return nil, fmt.Errorf("coordinates[%d]%w", i, err)
			}
			ml[i] = orb.LineString(ps)
		}
		return ml, nil
	case "MultiPolygon":
		var c [][][][]float64
		if json.Unmarshal(g.Coordinates, &c) != nil {
			return nil, wrong("an array of polygons (arrays of rings)")
		}
		mp := make(orb.MultiPolygon, len(c))
		for i, pc := range c {
			p, err := polygon(pc)
			if err != nil {
				return nil, fmt.Errorf("coordinates[%d]%w", i, err)
			}
			mp[i] = p
		}
		return mp, nil
	case "":
		return nil, errors.New("type: missing")
	}
	return nil, fmt.Errorf("type: %s is not a GeoJSON geometry type", strconv.Quote(truncate(g.Type, 40)))
}

func polygon(c [][][]float64) (orb.Polygon, error) {
	p := make(orb.Polygon, len(c))
	for i, rc := range c {
		ps, err := positions(rc)
		if err != nil {
			return nil, fmt.Errorf("[%d]%w", i, err)
		}
		p[i] = orb.Ring(ps)
	}
	return p, nil
}

// positions converts an array of positions; its error starts with the
// index ("[3]: ...").
func positions(c [][]float64) ([]orb.Point, error) {
	ps := make([]orb.Point, len(c))
	for i, pc := range c {
		p, err := position(pc)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		ps[i] = p
	}
	return ps, nil
}

// position keeps x and y of a position of 2 or more numbers (RFC 7946
// §3.1.1: x, y and an optional height).
func position(c []float64) (orb.Point, error) {
	if len(c) < 2 {
		return orb.Point{}, fmt.Errorf("a position has %d numbers, want x and y", len(c))
	}
	return orb.Point{c[0], c[1]}, nil
}

// valueKind names the kind of a JSON value for messages.
func valueKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func tokenText(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		return string(t)
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// truncate shortens s for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// lineTracker counts what passes through it so that a byte offset of the
// stream can be turned into a line and a column. It keeps the offsets of
// the newlines after the release point only, so its memory is bounded by the
// feature being read plus the decoder's read-ahead, not by the file.
//
// With max set, a read fails once more than max bytes, or more than max/8
// newlines, have come in after the release point: the value being decoded
// is too large, and neither it nor its newlines are held any further.
type lineTracker struct {
	r      io.Reader
	n      int64   // bytes read so far
	base   int64   // release point: offsets before it are no longer asked for
	lines  int     // newlines before base
	lastNL int64   // offset of the last newline before base, -1 if none
	nls    []int64 // offsets of the newlines at or after base
	chunk  int     // the most one read passes on; 0: maxRead
	max    int64   // 0: no limit

	err          error
	tooManyLines bool
}

// maxRead caps each read, so the decoder never runs far ahead.
const maxRead = 64 << 10

func (t *lineTracker) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	chunk := t.chunk
	if chunk == 0 {
		chunk = maxRead
	}
	if len(p) > chunk {
		p = p[:chunk]
	}
	n, err := t.r.Read(p)
	// RFC 8142 record separators: never valid in JSON text, so reading
	// them as spaces cannot change the meaning of valid GeoJSON.
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], 0x1e)
		if j < 0 {
			break
		}
		p[i+j] = ' '
		i += j + 1
	}
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		t.nls = append(t.nls, t.n+int64(i+j))
		i += j + 1
	}
	t.n += int64(n)
	if t.max > 0 && (t.n-t.base > t.max || int64(len(t.nls)) > t.max/8) {
		t.tooManyLines = t.n-t.base <= t.max
		t.err = &limitError{msg: "a GeoJSON value too large"}
		return 0, t.err
	}
	return n, err
}

// release forgets the newlines before off.
func (t *lineTracker) release(off int64) {
	if off <= t.base {
		return
	}
	k := sort.Search(len(t.nls), func(i int) bool { return t.nls[i] >= off })
	if k > 0 {
		t.lines += k
		t.lastNL = t.nls[k-1]
		// Copy down rather than reslice, so the array does not grow forever.
		t.nls = append(t.nls[:0], t.nls[k:]...)
	}
	t.base = off
}

// position returns the 1-based line and column (in bytes) of the byte at
// offset off.
func (t *lineTracker) position(off int64) (line, col int) {
	if off < t.base {
		off = t.base
	}
	if off > t.n {
		off = t.n
	}
	k := sort.Search(len(t.nls), func(i int) bool { return t.nls[i] >= off })
	prev := t.lastNL
	if k > 0 {
		prev = t.nls[k-1]
	}
	return t.lines + k + 1, int(off - prev)
}
