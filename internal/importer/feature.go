package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
)

// A Feature is one record of an input file, in the file's CRS.
type Feature struct {
	// Index is the 0-based position of the feature in the file: features[Index]
	// of a GeoJSON FeatureCollection, record Index+1 of a Shapefile.
	Index int
	// ID is the feature's own identifier (the GeoJSON "id" member), or "".
	ID string
	// Line and Column locate the start of the feature in a text file (1-based);
	// 0 when the format has no lines.
	Line, Column int
	// Properties are the feature's attributes.
	Properties Properties
	// Geometry is nil for a feature without geometry.
	Geometry orb.Geometry

	ref string // how the file's format names the feature: "features[3]", "record 4"
}

// Ref names the feature the way its format counts: "features[3]" in GeoJSON,
// "record 4" in a Shapefile (records count from 1 there), with its id when it
// has one.
func (f Feature) Ref() string {
	s := f.ref
	if s == "" {
		s = fmt.Sprintf("feature %d", f.Index)
	}
	if f.ID != "" {
		s += " (id " + strconv.Quote(f.ID) + ")"
	}
	return s
}

// Properties are a feature's attributes. Values are string, json.Number,
// bool or nil, whatever the format: GeoJSON numbers and numeric DBF fields
// are json.Number, so that 19 and "019" can both be read as codes.
type Properties map[string]any

// Lookup returns the value of the first of keys present in p, matching names
// without regard to case (PRO_COM_T, pro_com_t), and the key found. A null
// value counts as absent.
func (p Properties) Lookup(keys ...string) (any, string, bool) {
	for _, k := range keys {
		if v, ok := p[k]; ok && v != nil {
			return v, k, true
		}
	}
	for _, k := range keys {
		for pk, v := range p {
			if v != nil && strings.EqualFold(pk, k) {
				return v, pk, true
			}
		}
	}
	return nil, "", false
}

// Text returns the value of the first of keys present as trimmed text:
// strings as they are, numbers as written (integral decimals such as 19.000
// as integers), booleans as true/false. ok is false when none of keys is
// present or the value is blank.
func (p Properties) Text(keys ...string) (s, key string, ok bool) {
	v, key, found := p.Lookup(keys...)
	if !found {
		return "", "", false
	}
	switch v := v.(type) {
	case string:
		s = strings.TrimSpace(v)
	case json.Number:
		s = numberText(v)
	case bool:
		s = strconv.FormatBool(v)
	default:
		s = strings.TrimSpace(fmt.Sprint(v))
	}
	return s, key, s != ""
}

// numberText writes an integral number without fraction or exponent, and
// any other number as it was written.
func numberText(n json.Number) string {
	s := strings.TrimSpace(string(n))
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return s
}

// A Reader yields the features of one file, one at a time.
type Reader interface {
	// Next returns the next feature, or io.EOF after the last one. Any
	// other error is final and names the file and the place in it.
	Next() (Feature, error)
	// SRID is the CRS of the geometries. It is final once Next has returned
	// io.EOF (a GeoJSON crs member may follow the features).
	SRID() geo.SRID
	// Progress says how far the reader has got.
	Progress() Progress
	// Format names the file format, e.g. "GeoJSON" or "Shapefile".
	Format() string
	// Name names the file in messages: its path, and for an archive the
	// member read ("Limiti.zip (Com/Com.shp)").
	Name() string
	Close() error
}

// Progress is how far a reader has got: Done of Total Units ("bytes" or
// "records"); Total is 0 when unknown.
type Progress struct {
	Done, Total int64
	Unit        string
}

// OpenOptions say how to read a file.
type OpenOptions struct {
	// CRS overrides the CRS the file declares (GeoJSON crs member, .prj).
	// 0 means: use the file's.
	CRS geo.SRID
	// Layer chooses the Shapefile in a zip that holds several, by its base
	// name (without directory and extension) or a unique prefix of it,
	// ignoring case.
	Layer string
	// PreferLayer, when Layer is empty and a zip holds several Shapefiles,
	// picks the only one whose base name starts with it (ignoring case).
	// ISTAT's boundary archives hold Com…, ProvCM…, Reg… and RipGeo….
	PreferLayer string
	// Limits bound what the file may make the reader read (zero: the defaults).
	Limits Limits
}

// Open opens the file at path with the reader its format needs: a zipped
// Shapefile (.zip), a Shapefile with its sidecar files (.shp, .dbf, .prj,
// .cpg) or GeoJSON (.geojson, .json, or anything else starting with '{').
// The caller must Close the reader.
func Open(path string, opts OpenOptions) (Reader, error) {
	const op = "importer.Open"
	if opts.CRS != 0 && !opts.CRS.Valid() {
		return nil, apperr.Invalidf(op, "crs", "%s is not a valid SRID", opts.CRS)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".zip":
		return OpenShapefile(path, opts)
	case ".shp":
		return OpenShapefile(path, opts)
	case ".geojson", ".json":
		return OpenGeoJSON(path, opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(op, path, err)
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return OpenShapefile(path, opts)
	case bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"), []byte("{")):
		return OpenGeoJSON(path, opts)
	}
	return nil, apperr.New(op, apperr.Invalid, "%s: unknown file format; want GeoJSON (.geojson, .json), a zipped Shapefile (.zip) or a .shp with its .dbf and .prj", path)
}

// openError reports a file that cannot be opened.
func openError(op, path string, err error) error {
	if os.IsNotExist(err) {
		return apperr.Wrap(op, apperr.Invalid, err, "%s: no such file", path)
	}
	return apperr.Wrap(op, apperr.Invalid, err, "%s: cannot read the file", path)
}

// location formats "file:line:column: " (or "file: " without a line).
func location(file string, line, col int) string {
	switch {
	case line > 0 && col > 0:
		return fmt.Sprintf("%s:%d:%d: ", file, line, col)
	case line > 0:
		return fmt.Sprintf("%s:%d: ", file, line)
	}
	return file + ": "
}

// fileError is an Invalid error about the input file: where (file, line,
// column, feature), which field, and what is wrong. The message is safe to
// show; cause, if any, is only logged.
func fileError(op, file string, line, col int, feature, field, msg string, cause error) *apperr.Error {
	m := location(file, line, col)
	if feature != "" {
		m += feature + ": "
	}
	if field != "" {
		m += field + ": "
	}
	m += msg
	e := &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: m, Err: cause}
	if field != "" {
		e.Fields = []apperr.FieldError{{Field: field, Reason: msg}}
	}
	return e
}
