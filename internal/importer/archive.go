package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// archive is a zip archive read under Limits. Its directory may hold at
// most MaxMembers entries, checked before archive/zip has built more than
// that many; what its members expand to is counted as it is read, against
// MaxExpanded for all of them and MaxRatio times the compressed bytes read
// for each. No size the archive declares is trusted: the compressed bytes
// are counted as archive/zip reads them from the file, and a member longer
// than it declares is cut short by archive/zip.
type archive struct {
	*zip.Reader
	file     *os.File
	at       *archiveReaderAt
	path     string
	lim      Limits
	expanded int64 // read out of all members so far
}

// dirBytesPerMember is what the directory may spend per allowed member:
// an entry is 46 bytes plus its name, extra fields and comment.
const dirBytesPerMember = 1 << 10

// openArchive opens the zip archive at path. op names the caller in errors.
func openArchive(op, path string, lim Limits) (*archive, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(op, path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, openError(op, path, err)
	}
	// archive/zip reads every entry of the directory, whatever count the
	// archive declares, and keeps each one (a few hundred bytes): bound
	// what it may read.
	budget := int64(lim.MaxMembers)*dirBytesPerMember + 128<<10
	at := &archiveReaderAt{r: f, budget: budget}
	zr, err := zip.NewReader(at, st.Size())
	if err != nil {
		f.Close()
		if errors.Is(err, errDirectoryBudget) {
			return nil, fileError(op, path, 0, 0, "", "", fmt.Sprintf("the archive's directory is larger than %s: more than %s members, not an archive of data files",
				byteCount(budget), thousands(int64(lim.MaxMembers))), nil)
		}
		return nil, fileError(op, path, 0, 0, "", "", "not a readable zip archive", err)
	}
	at.budget = -1 // from here on, the members' limits apply
	if len(zr.File) > lim.MaxMembers {
		f.Close()
		return nil, fileError(op, path, 0, 0, "", "", fmt.Sprintf("the archive holds %s members, more than the %s allowed: not an archive of data files",
			thousands(int64(len(zr.File))), thousands(int64(lim.MaxMembers))), nil)
	}
	return &archive{Reader: zr, file: f, at: at, path: path, lim: lim}, nil
}

// Close closes the archive file.
func (a *archive) Close() error { return a.file.Close() }

// open opens member m, counting what it expands to and the compressed
// bytes that gives.
func (a *archive) open(m *zip.File) (io.ReadCloser, error) {
	start, err := m.DataOffset()
	if err != nil {
		return nil, err
	}
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	mr := &memberReader{rc: rc, a: a, name: m.Name, start: start, end: start + int64(min(m.CompressedSize64, math.MaxInt64/2))}
	a.at.open = append(a.at.open, mr)
	return mr, nil
}

// memberReader reads one member of an archive, failing as soon as the
// archive or the member expands beyond its limits.
type memberReader struct {
	rc         io.ReadCloser
	a          *archive
	name       string
	start, end int64 // of its compressed data in the archive
	compressed int64 // bytes of that read so far
	n          int64 // bytes read out of it so far
	err        error
}

func (m *memberReader) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.rc.Read(p)
	m.n += int64(n)
	m.a.expanded += int64(n)
	lim := m.a.lim
	switch {
	case m.a.expanded > lim.MaxExpanded:
		m.err = &limitError{msg: fmt.Sprintf("the archive expands to more than %s (at %s); if it is right, raise the limit with --max-expanded",
			byteCount(lim.MaxExpanded), m.name)}
	case m.n > RatioFloor && m.n/max(m.compressed, 1) >= lim.MaxRatio:
		m.err = &limitError{msg: fmt.Sprintf("%s expands to more than %d times its compressed size (%s from %s): a zip bomb? If the archive is right, raise the limit with --max-ratio",
			m.name, lim.MaxRatio, byteCount(m.n), byteCount(m.compressed))}
	}
	if m.err != nil {
		return 0, m.err
	}
	return n, err
}

func (m *memberReader) Close() error {
	open := m.a.at.open
	for i, o := range open {
		if o == m {
			m.a.at.open = append(open[:i], open[i+1:]...)
			break
		}
	}
	return m.rc.Close()
}

// errDirectoryBudget ends the reading of a zip directory that is too large.
var errDirectoryBudget = errors.New("importer: zip directory larger than allowed")

// archiveReaderAt is the archive file as archive/zip reads it: while the
// directory is read, it fails once budget bytes have been read (budget < 0:
// no limit); it counts the bytes read from the compressed data of each
// member being read.
type archiveReaderAt struct {
	r      io.ReaderAt
	budget int64
	open   []*memberReader
}

func (a *archiveReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if a.budget >= 0 {
		if int64(len(p)) > a.budget {
			return 0, errDirectoryBudget
		}
		a.budget -= int64(len(p))
	}
	n, err := a.r.ReadAt(p, off)
	for _, m := range a.open {
		if lo, hi := max(off, m.start), min(off+int64(n), m.end); lo < hi {
			m.compressed += hi - lo
		}
	}
	return n, err
}
