package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
)

// archive is a zip archive read under Limits. Its directory may hold at
// most MaxMembers entries, checked before archive/zip has built more than
// that many; what its members expand to is counted as it is read, against
// MaxExpanded for all of them and MaxRatio times each one's compressed
// size. The sizes the archive declares are not trusted: a member declaring
// a small size is cut short by archive/zip, and the compressed size a ratio
// is taken against is bounded by the bytes the archive really has.
type archive struct {
	*zip.Reader
	file     *os.File
	dir      *budgetReaderAt
	path     string
	size     int64 // of the archive file
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
	dir := &budgetReaderAt{r: f, left: budget}
	zr, err := zip.NewReader(dir, st.Size())
	if err != nil {
		f.Close()
		if errors.Is(err, errDirectoryBudget) {
			return nil, fileError(op, path, 0, 0, "", "", fmt.Sprintf("the archive's directory is larger than %s: more than %s members, not an archive of data files",
				byteCount(budget), thousands(int64(lim.MaxMembers))), nil)
		}
		return nil, fileError(op, path, 0, 0, "", "", "not a readable zip archive", err)
	}
	dir.left = -1 // from here on, the members' limits apply
	if len(zr.File) > lim.MaxMembers {
		f.Close()
		return nil, fileError(op, path, 0, 0, "", "", fmt.Sprintf("the archive holds %s members, more than the %s allowed: not an archive of data files",
			thousands(int64(len(zr.File))), thousands(int64(lim.MaxMembers))), nil)
	}
	return &archive{Reader: zr, file: f, dir: dir, path: path, size: st.Size(), lim: lim}, nil
}

// Close closes the archive file.
func (a *archive) Close() error { return a.file.Close() }

// open opens member m, counting what it expands to.
func (a *archive) open(m *zip.File) (io.ReadCloser, error) {
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	// The compressed data cannot be longer than what follows its start in
	// the archive, whatever the directory says.
	compressed := int64(min(m.CompressedSize64, uint64(a.size)))
	if off, err := m.DataOffset(); err == nil && off >= 0 && off <= a.size {
		compressed = min(compressed, a.size-off)
	}
	return &memberReader{rc: rc, a: a, name: m.Name, compressed: max(compressed, 1)}, nil
}

// memberReader reads one member of an archive, failing as soon as the
// archive or the member expands beyond its limits.
type memberReader struct {
	rc         io.ReadCloser
	a          *archive
	name       string
	compressed int64 // bytes of compressed data, at most
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
	case m.n > RatioFloor && m.n/m.compressed >= lim.MaxRatio:
		m.err = &limitError{msg: fmt.Sprintf("%s expands to more than %d times its compressed size of %s: a zip bomb? If the archive is right, raise the limit with --max-ratio",
			m.name, lim.MaxRatio, byteCount(m.compressed))}
	}
	if m.err != nil {
		return 0, m.err
	}
	return n, err
}

func (m *memberReader) Close() error { return m.rc.Close() }

// errDirectoryBudget ends the reading of a zip directory that is too large.
var errDirectoryBudget = errors.New("importer: zip directory larger than allowed")

// budgetReaderAt fails once left bytes have been read through it; left < 0
// means no limit.
type budgetReaderAt struct {
	r    io.ReaderAt
	left int64
}

func (b *budgetReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if b.left >= 0 {
		if int64(len(p)) > b.left {
			return 0, errDirectoryBudget
		}
		b.left -= int64(len(p))
	}
	return b.r.ReadAt(p, off)
}
