package importer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
)

// ShapefileReader streams the records of an ESRI Shapefile (ESRI White
// Paper, July 1998), zipped or as a .shp with its sidecar files: geometry
// from the .shp, attributes from the .dbf (decoded as the .cpg says, see
// dbfText), the CRS from the .prj (geo.ParsePRJ) unless OpenOptions.CRS
// overrides it. Polygon rings are assembled into MultiPolygons (see
// assemblePolygon). Z and M values are dropped; records marked deleted in the
// .dbf are skipped.
//
// The reader trusts no count in the files: a corrupt or truncated file gives
// an error naming the record, never a panic or an allocation larger than the
// data present. A .dbf header announcing more records than its file holds,
// or more than Limits.MaxFeatures, fails before any record is read; a .shp
// record is at most Limits.MaxFeature bytes; a zipped Shapefile is read
// under the archive limits (see Limits).
type ShapefileReader struct {
	name    string // for messages: the .shp, or "archive.zip (member.shp)"
	closers []io.Closer
	shp     *bufio.Reader
	dbf     *dbfReader
	srid    geo.SRID

	lim    Limits
	shpLen int64 // bytes of the .shp to read, header included
	offset int64 // bytes of the .shp read so far
	record int   // records read from the .shp
	buf    bytes.Buffer
	done   bool
}

const opShapefile = "importer.Shapefile"

// Shape types of the specification.
const (
	shapeNull        = 0
	shapePoint       = 1
	shapePolyLine    = 3
	shapePolygon     = 5
	shapeMultiPoint  = 8
	shapePointZ      = 11
	shapePolyLineZ   = 13
	shapePolygonZ    = 15
	shapeMultiPointZ = 18
	shapePointM      = 21
	shapePolyLineM   = 23
	shapePolygonM    = 25
	shapeMultiPointM = 28
)

// maxSidecar bounds the size of a .prj or .cpg file.
const maxSidecar = 64 << 10

// OpenShapefile opens a zipped Shapefile (path ending in .zip, or any file
// that is a zip archive) or a .shp with its .dbf, .prj and optional .cpg
// beside it (extensions in any case).
func OpenShapefile(path string, opts OpenOptions) (*ShapefileReader, error) {
	if strings.EqualFold(filepath.Ext(path), ".shp") {
		return openShapefileDir(path, opts)
	}
	return openShapefileZip(path, opts)
}

// fail reports a problem with the file as a whole.
func (r *ShapefileReader) fail(msg string, cause error) error {
	r.Close()
	return fileError(opShapefile, r.name, 0, 0, "", "", msg, cause)
}

func openShapefileDir(shpPath string, opts OpenOptions) (*ShapefileReader, error) {
	r := &ShapefileReader{name: shpPath}
	f, err := os.Open(shpPath)
	if err != nil {
		return nil, openError(opShapefile, shpPath, err)
	}
	r.closers = append(r.closers, f)
	st, err := f.Stat()
	if err != nil {
		return nil, r.fail("cannot read the file", err)
	}
	dir, base := filepath.Dir(shpPath), strings.TrimSuffix(filepath.Base(shpPath), filepath.Ext(shpPath))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, r.fail("cannot list the directory for the .dbf and .prj", err)
	}
	sidecar := func(ext string) string {
		for _, e := range entries {
			n := e.Name()
			if !e.IsDir() && strings.EqualFold(n, base+ext) {
				return filepath.Join(dir, n)
			}
		}
		return ""
	}
	open := func(ext string) (io.ReadCloser, int64, error) {
		p := sidecar(ext)
		if p == "" {
			return nil, 0, nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, st.Size(), nil
	}
	return r.init(f, st.Size(), open, opts)
}

func openShapefileZip(zipPath string, opts OpenOptions) (*ShapefileReader, error) {
	z, err := openArchive(opShapefile, zipPath, opts.Limits)
	if err != nil {
		return nil, err
	}
	r := &ShapefileReader{name: zipPath, closers: []io.Closer{z}}
	var shps []*zip.File
	for _, f := range z.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		if strings.EqualFold(path.Ext(f.Name), ".shp") {
			shps = append(shps, f)
		}
	}
	shp, err := chooseLayer(shps, ".shp", "shapefiles", opts)
	if err != nil {
		return nil, r.fail(err.Error(), nil)
	}
	r.name = fmt.Sprintf("%s (%s)", zipPath, shp.Name)
	prefix := strings.TrimSuffix(shp.Name, path.Ext(shp.Name))
	// archive/zip reads no more of a member than its declared size.
	open := func(ext string) (io.ReadCloser, int64, error) {
		for _, f := range z.File {
			if strings.EqualFold(f.Name, prefix+ext) {
				rc, err := z.open(f)
				return rc, int64(min(f.UncompressedSize64, math.MaxInt64)), err
			}
		}
		return nil, 0, nil
	}
	sf, err := z.open(shp)
	if err != nil {
		return nil, r.fail("cannot read the .shp in the archive", err)
	}
	r.closers = append(r.closers, sf)
	return r.init(sf, int64(min(shp.UncompressedSize64, math.MaxInt64)), open, opts)
}

// chooseLayer picks the member to read from an archive among shps, its
// members with extension ext (".shp", ".csv"); plural names them in
// messages ("shapefiles").
func chooseLayer(shps []*zip.File, ext, plural string, opts OpenOptions) (*zip.File, error) {
	base := func(f *zip.File) string {
		return strings.TrimSuffix(path.Base(f.Name), path.Ext(f.Name))
	}
	names := func(fs []*zip.File) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.Name)
		}
		sort.Strings(s)
		return strings.Join(s, ", ")
	}
	byPrefix := func(p string) []*zip.File {
		var out []*zip.File
		for _, f := range shps {
			if strings.HasPrefix(strings.ToLower(base(f)), strings.ToLower(p)) {
				out = append(out, f)
			}
		}
		return out
	}
	switch {
	case len(shps) == 0:
		return nil, fmt.Errorf("the archive holds no %s file", ext)
	case opts.Layer != "":
		for _, f := range shps {
			if strings.EqualFold(base(f), opts.Layer) || strings.EqualFold(f.Name, opts.Layer) {
				return f, nil
			}
		}
		if m := byPrefix(opts.Layer); len(m) == 1 {
			return m[0], nil
		}
		return nil, fmt.Errorf("no single layer %q in the archive; it holds %s", opts.Layer, names(shps))
	case len(shps) == 1:
		return shps[0], nil
	case opts.PreferLayer != "":
		if m := byPrefix(opts.PreferLayer); len(m) == 1 {
			return m[0], nil
		}
	}
	return nil, fmt.Errorf("the archive holds %d %s (%s); choose one with --layer", len(shps), plural, names(shps))
}

// init reads the headers: .shp, .dbf (required), .cpg and .prj. open
// opens the sidecar file with an extension and gives its size (nil when
// there is none).
func (r *ShapefileReader) init(shp io.Reader, size int64, open func(ext string) (io.ReadCloser, int64, error), opts OpenOptions) (*ShapefileReader, error) {
	r.lim = opts.Limits.withDefaults()
	readSidecar := func(ext string) (string, bool, error) {
		f, _, err := open(ext)
		if err != nil {
			return "", false, err
		}
		if f == nil {
			return "", false, nil
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxSidecar+1))
		if err != nil {
			return "", false, err
		}
		if len(b) > maxSidecar {
			return "", false, fmt.Errorf("the %s file is larger than %d bytes", ext, maxSidecar)
		}
		return string(b), true, nil
	}

	// The CRS first: without it nothing else matters.
	if opts.CRS != 0 {
		r.srid = opts.CRS
	} else {
		prj, ok, err := readSidecar(".prj")
		if err != nil {
			return nil, r.fail("cannot read the .prj", err)
		}
		if !ok {
			return nil, r.fail("no .prj file beside the .shp, so its CRS is unknown; give it with --crs EPSG:nnnn (ISTAT boundaries are EPSG:32632)", nil)
		}
		srid, err := geo.ParsePRJ(prj)
		if err != nil {
			msg := err.Error()
			var ge *geo.Error
			if errors.As(err, &ge) {
				msg = ge.Msg
			}
			r.Close()
			return nil, fileError(opShapefile, r.name, 0, 0, "", "prj", "unknown CRS: "+msg, nil)
		}
		r.srid = srid
	}

	cpg, _, err := readSidecar(".cpg")
	if err != nil {
		return nil, r.fail("cannot read the .cpg", err)
	}
	df, dbfSize, err := open(".dbf")
	if err != nil {
		if le, ok := asLimit(err); ok {
			return nil, r.fail(le.msg, nil)
		}
		return nil, r.fail("cannot read the .dbf", err)
	}
	if df == nil {
		return nil, r.fail("no .dbf file beside the .shp: the attributes are missing", nil)
	}
	r.closers = append(r.closers, df)
	dbf, err := newDBFReader(df, cpg, dbfSize)
	if err != nil {
		if le, ok := asLimit(err); ok {
			return nil, r.fail(le.msg, nil)
		}
		return nil, r.fail("the .dbf is unreadable: "+err.Error(), nil)
	}
	r.dbf = dbf
	if dbf.records > r.lim.MaxFeatures {
		return nil, r.fail(fmt.Sprintf("the .dbf announces %s records, more than the %s an import takes at once; split the file",
			thousands(int64(dbf.records)), thousands(int64(r.lim.MaxFeatures))), nil)
	}

	r.shp = bufio.NewReaderSize(shp, 256<<10)
	var h [100]byte
	if _, err := io.ReadFull(r.shp, h[:]); err != nil {
		if le, ok := asLimit(err); ok {
			return nil, r.fail(le.msg, nil)
		}
		return nil, r.fail("not a shapefile: the .shp has no complete header", nil)
	}
	if code := binary.BigEndian.Uint32(h[0:4]); code != 9994 {
		return nil, r.fail(fmt.Sprintf("not a shapefile: the .shp starts with file code %d, want 9994", code), nil)
	}
	r.offset = 100
	r.shpLen = 2 * int64(binary.BigEndian.Uint32(h[24:28]))
	if r.shpLen < 100 {
		return nil, r.fail(fmt.Sprintf("corrupt .shp header: file length %d bytes", r.shpLen), nil)
	}
	if size > 0 && r.shpLen > size {
		return nil, r.fail(fmt.Sprintf("the .shp is truncated: its header says %d bytes, the file has %d", r.shpLen, size), nil)
	}
	switch t := binary.LittleEndian.Uint32(h[32:36]); t {
	case shapeNull, shapePoint, shapePolyLine, shapePolygon, shapeMultiPoint,
		shapePointZ, shapePolyLineZ, shapePolygonZ, shapeMultiPointZ,
		shapePointM, shapePolyLineM, shapePolygonM, shapeMultiPointM:
	default:
		return nil, r.fail(fmt.Sprintf("shape type %d is not supported (MultiPatch or unknown)", t), nil)
	}
	return r, nil
}

// Format returns "Shapefile".
func (r *ShapefileReader) Format() string { return "Shapefile" }

// Name returns the .shp path, or the archive's path with the member read.
func (r *ShapefileReader) Name() string { return r.name }

// SRID returns the CRS from the .prj or the override.
func (r *ShapefileReader) SRID() geo.SRID { return r.srid }

// Progress counts records, out of the number the .dbf announces.
func (r *ShapefileReader) Progress() Progress {
	return Progress{Done: int64(r.record), Total: int64(r.dbf.records), Unit: "records"}
}

// Close closes the files.
func (r *ShapefileReader) Close() error {
	var first error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	r.closers = nil
	return first
}

// Next returns the next record that is not deleted, or io.EOF.
func (r *ShapefileReader) Next() (Feature, error) {
	for {
		if r.done {
			return Feature{}, io.EOF
		}
		if r.offset >= r.shpLen {
			r.done = true
			if _, _, err := r.dbf.next(); err != io.EOF {
				return Feature{}, fileError(opShapefile, r.name, 0, 0, "", "", fmt.Sprintf("the .dbf has %d records but the .shp only %d shapes", r.dbf.records, r.record), nil)
			}
			return Feature{}, io.EOF
		}
		index := r.record
		ref := fmt.Sprintf("record %d", index+1)
		g, err := r.nextShape()
		if le, ok := asLimit(err); ok {
			return Feature{}, fileError(opShapefile, r.name, 0, 0, ref, "", le.msg, nil)
		}
		if err != nil {
			return Feature{}, fileError(opShapefile, r.name, 0, 0, ref, "", err.Error(), nil)
		}
		r.record++
		props, deleted, err := r.dbf.next()
		if errors.Is(err, io.EOF) {
			return Feature{}, fileError(opShapefile, r.name, 0, 0, ref, "", fmt.Sprintf("the .shp has more shapes than the %d records of the .dbf", r.dbf.records), nil)
		}
		if le, ok := asLimit(err); ok {
			return Feature{}, fileError(opShapefile, r.name, 0, 0, ref, "", le.msg, nil)
		}
		if err != nil {
			return Feature{}, fileError(opShapefile, r.name, 0, 0, ref, "", "the .dbf is unreadable: "+err.Error(), nil)
		}
		if deleted {
			continue
		}
		if err := geo.DefaultLimits.Check(g); err != nil {
			return Feature{}, fileError(opShapefile, r.name, 0, 0, ref, "geometry", err.Error(), nil)
		}
		return Feature{Index: index, Properties: props, Geometry: g, ref: ref}, nil
	}
}

// nextShape reads one record of the .shp.
func (r *ShapefileReader) nextShape() (orb.Geometry, error) {
	var h [8]byte
	if _, err := io.ReadFull(r.shp, h[:]); err != nil {
		return nil, fmt.Errorf(".shp record header: %w", eofIsTruncation(err))
	}
	n := 2 * int64(binary.BigEndian.Uint32(h[4:8]))
	r.offset += 8
	if n < 4 || r.offset+n > r.shpLen {
		return nil, fmt.Errorf(".shp record of %d bytes does not fit in the file (corrupt or truncated)", n)
	}
	if n > r.lim.MaxFeature {
		return nil, &limitError{msg: fmt.Sprintf(".shp record of %s, more than %s; if the file is right, raise the limit with --max-feature-size",
			byteCount(n), byteCount(r.lim.MaxFeature))}
	}
	r.buf.Reset()
	// CopyN grows the buffer with the data actually read, so a lying
	// length cannot make us allocate gigabytes.
	if _, err := io.CopyN(&r.buf, r.shp, n); err != nil {
		return nil, fmt.Errorf(".shp: %w", eofIsTruncation(err))
	}
	r.offset += n
	return parseShape(r.buf.Bytes())
}

// parseShape decodes the content of one .shp record.
func parseShape(b []byte) (orb.Geometry, error) {
	le := binary.LittleEndian
	typ := le.Uint32(b[0:4])
	switch typ {
	case shapeNull:
		return nil, nil
	case shapePoint, shapePointZ, shapePointM:
		if len(b) < 20 {
			return nil, errors.New("point record too short")
		}
		return orb.Point{f64(b[4:]), f64(b[12:])}, nil
	case shapeMultiPoint, shapeMultiPointZ, shapeMultiPointM:
		if len(b) < 40 {
			return nil, errors.New("multipoint record too short")
		}
		np := int64(le.Uint32(b[36:40]))
		if 40+16*np > int64(len(b)) {
			return nil, fmt.Errorf("multipoint of %d points does not fit in its record", np)
		}
		mp := make(orb.MultiPoint, np)
		for i := range mp {
			mp[i] = orb.Point{f64(b[40+16*i:]), f64(b[48+16*i:])}
		}
		return mp, nil
	case shapePolyLine, shapePolyLineZ, shapePolyLineM, shapePolygon, shapePolygonZ, shapePolygonM:
		parts, err := parseParts(b)
		if err != nil {
			return nil, err
		}
		switch typ {
		case shapePolygon, shapePolygonZ, shapePolygonM:
			rings := make([]orb.Ring, len(parts))
			for i, p := range parts {
				rings[i] = orb.Ring(p)
			}
			return assemblePolygon(rings), nil
		}
		if len(parts) == 1 {
			return orb.LineString(parts[0]), nil
		}
		ml := make(orb.MultiLineString, len(parts))
		for i, p := range parts {
			ml[i] = orb.LineString(p)
		}
		return ml, nil
	}
	return nil, fmt.Errorf("shape type %d is not supported", typ)
}

// parseParts reads the parts of a PolyLine or Polygon record: box, part
// count, point count, part starts, points.
func parseParts(b []byte) ([][]orb.Point, error) {
	le := binary.LittleEndian
	if len(b) < 44 {
		return nil, errors.New("record too short for its parts")
	}
	nParts, nPoints := int64(le.Uint32(b[36:40])), int64(le.Uint32(b[40:44]))
	// The limits on incoming geometries, before allocating: a polygon's
	// parts are its rings, a line's its lines (the whole geometry is
	// checked again once assembled).
	if l := geo.DefaultLimits; nPoints > int64(l.Vertices) {
		return nil, fmt.Errorf("the shape has %s vertices; at most %s are accepted", geo.Thousands(int(nPoints)), geo.Thousands(l.Vertices))
	}
	if l := geo.DefaultLimits; nParts > int64(l.Rings) {
		return nil, fmt.Errorf("the shape has %s parts (rings or lines); at most %s are accepted", geo.Thousands(int(nParts)), geo.Thousands(l.Rings))
	}
	pts := 44 + 4*nParts
	if pts+16*nPoints > int64(len(b)) {
		return nil, fmt.Errorf("%d parts and %d points do not fit in the record", nParts, nPoints)
	}
	if nParts == 0 {
		return nil, nil
	}
	starts := make([]int64, nParts+1)
	for i := int64(0); i < nParts; i++ {
		starts[i] = int64(le.Uint32(b[44+4*i:]))
	}
	starts[nParts] = nPoints
	if starts[0] != 0 {
		return nil, fmt.Errorf("the first part starts at point %d, want 0", starts[0])
	}
	parts := make([][]orb.Point, nParts)
	for i := int64(0); i < nParts; i++ {
		from, to := starts[i], starts[i+1]
		if to < from || to > nPoints {
			return nil, fmt.Errorf("part %d has a bad start index %d", i+1, starts[i+1])
		}
		ps := make([]orb.Point, to-from)
		for j := range ps {
			at := pts + 16*(from+int64(j))
			ps[j] = orb.Point{f64(b[at:]), f64(b[at+8:])}
		}
		parts[i] = ps
	}
	return parts, nil
}

func f64(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
