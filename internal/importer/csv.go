package importer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

const opCSV = "importer.CSV"

// csvFile streams the records of a delimited text file: UTF-8 with or
// without a byte order mark, ";" or "," as separator (whichever the header
// line has more of), quoting as RFC 4180 has it, plain or as the only
// .csv of a zip archive (or the one OpenOptions.Layer names). The first
// record is the header; columns are found by name, without regard to case.
//
// A file that is not UTF-8, has malformed quoting, repeats a column name,
// or has a line longer than Limits.MaxLine gives an error naming the file
// and the line: the file is not read on.
type csvFile struct {
	name    string // for messages: the path, or "archive.zip (member.csv)"
	what    string // what the file should be, for messages: "an ANNCSU address file"
	closers []io.Closer
	count   *countingReader
	lim     *lineLimiter
	size    int64
	r       *csv.Reader
	sep     rune
	header  []string
	cols    map[string]int // upper-case name → index
	line    int            // line of the record last read
	read    int            // data records read
}

// csvOptions say how to open a CSV file.
type csvOptions struct {
	layer  string // the member of an archive holding several
	what   string // what the file should be, for messages
	limits Limits
}

// openCSV opens the file at path (a .csv, or a zip archive holding one).
func openCSV(path string, opts csvOptions) (*csvFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(opCSV, path, err)
	}
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, openError(opCSV, path, err)
	}
	if strings.EqualFold(filepath.Ext(path), ".zip") || string(magic[:n]) == "PK\x03\x04" {
		f.Close()
		return openCSVZip(path, opts)
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	c := &csvFile{name: path, what: opts.what, closers: []io.Closer{f}, size: size}
	if err := c.init(f, opts.limits); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func openCSVZip(zipPath string, opts csvOptions) (*csvFile, error) {
	z, err := openArchive(opCSV, zipPath, opts.limits)
	if err != nil {
		return nil, err
	}
	var csvs []*zip.File
	for _, f := range z.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		if ext := strings.ToLower(path.Ext(f.Name)); ext == ".csv" || ext == ".txt" {
			csvs = append(csvs, f)
		}
	}
	// A .txt counts only when there is no .csv (some registers ship .txt).
	var onlyCSV []*zip.File
	for _, f := range csvs {
		if strings.EqualFold(path.Ext(f.Name), ".csv") {
			onlyCSV = append(onlyCSV, f)
		}
	}
	if len(onlyCSV) > 0 {
		csvs = onlyCSV
	}
	member, err := chooseLayer(csvs, ".csv", "CSV files", OpenOptions{Layer: opts.layer})
	if err != nil {
		z.Close()
		return nil, fileError(opCSV, zipPath, 0, 0, "", "", err.Error(), nil)
	}
	c := &csvFile{name: fmt.Sprintf("%s (%s)", zipPath, member.Name), what: opts.what, closers: []io.Closer{z},
		size: int64(min(member.UncompressedSize64, math.MaxInt64))}
	rc, err := z.open(member)
	if err != nil {
		c.Close()
		return nil, fileError(opCSV, c.name, 0, 0, "", "", "cannot read the member of the archive", err)
	}
	c.closers = append(c.closers, rc)
	if err := c.init(rc, opts.limits); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// maxHeader bounds the header line.
const maxHeader = 64 << 10

// maxColumns bounds the columns of the header: the formats read have a
// dozen or so.
const maxColumns = 1024

// csvBuffer is the read-ahead of the CSV parser.
const csvBuffer = 1 << 20

// init reads the header: byte order mark, separator, column names.
func (c *csvFile) init(r io.Reader, lim Limits) error {
	lim = lim.withDefaults()
	c.count = &countingReader{r: r}
	c.lim = newLineLimiter(c.count, lim.MaxLine)
	br := bufio.NewReaderSize(c.lim, csvBuffer)
	head, err := br.Peek(maxHeader)
	if le, ok := asLimit(err); ok && le.line <= 1 { // a later line's comes again when it is read
		return c.readError(err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		head = head[3:]
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return fileError(opCSV, c.name, 1, 0, "", "", "the file is UTF-16 text; want UTF-8 (convert it, e.g. iconv -f UTF-16 -t UTF-8)", nil)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return fileError(opCSV, c.name, 0, 0, "", "", "the file is empty, want a header line and rows", nil)
	}
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	} else if len(head) == maxHeader {
		return fileError(opCSV, c.name, 1, 0, "", "", fmt.Sprintf("the header line is longer than %d KB: not a CSV file", maxHeader>>10), nil)
	}
	c.sep = ';'
	if bytes.Count(first, []byte(",")) > bytes.Count(first, []byte(";")) {
		c.sep = ','
	}
	c.r = csv.NewReader(br)
	c.r.Comma = c.sep
	c.r.FieldsPerRecord = -1 // a short or long row is the row's problem, not the file's
	c.r.ReuseRecord = true
	header, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fileError(opCSV, c.name, 0, 0, "", "", "the file is empty, want a header line and rows", nil)
		}
		return c.readError(err)
	}
	if err := c.checkUTF8(header, 1); err != nil {
		return err
	}
	if len(header) > maxColumns {
		return fileError(opCSV, c.name, 1, 0, "", "", fmt.Sprintf("the header has %s columns, more than %s: %s", thousands(int64(len(header))), thousands(maxColumns), c.notWhat()), nil)
	}
	c.header = make([]string, len(header))
	c.cols = make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		c.header[i] = h
		if h == "" {
			continue
		}
		k := strings.ToUpper(h)
		if j, dup := c.cols[k]; dup {
			return fileError(opCSV, c.name, 1, 0, "", h, fmt.Sprintf("column %d repeats column %d (%s)", i+1, j+1, c.header[j]), nil)
		}
		c.cols[k] = i
	}
	c.line = 1
	return nil
}

// column returns the index of the first of names in the header (any
// case), and the name as the header writes it; -1 when none is there.
func (c *csvFile) column(names ...string) (int, string) {
	for _, n := range names {
		if i, ok := c.cols[strings.ToUpper(n)]; ok {
			return i, c.header[i]
		}
	}
	return -1, ""
}

// requireColumns finds every required column, or fails naming those
// missing and the separator read.
func (c *csvFile) requireColumns(names ...string) ([]int, error) {
	idx := make([]int, len(names))
	var missing []string
	for i, n := range names {
		idx[i], _ = c.column(n)
		if idx[i] < 0 {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		what := "column " + missing[0] + " is"
		if len(missing) > 1 {
			what = "columns " + strings.Join(missing, ", ") + " are"
		}
		return nil, fileError(opCSV, c.name, 1, 0, "", "", fmt.Sprintf("%s missing from the header (read with separator %q: %s)",
			what, c.sep, truncate(strings.Join(c.header, string(c.sep)), 200)), nil)
	}
	return idx, nil
}

// next returns the next data record and its line, or io.EOF. The record
// is reused by the following call.
func (c *csvFile) next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, io.EOF
		}
		return nil, 0, c.readError(err)
	}
	c.line, _ = c.r.FieldPos(0)
	c.read++
	if err := c.checkUTF8(rec, c.line); err != nil {
		return nil, 0, err
	}
	return rec, c.line, nil
}

// checkUTF8 refuses a record that is not UTF-8: the file is in another
// encoding, and its names would be stored garbled.
func (c *csvFile) checkUTF8(rec []string, line int) error {
	for i, f := range rec {
		if utf8.ValidString(f) {
			continue
		}
		col := ""
		if i < len(c.header) {
			col = c.header[i]
		}
		return fileError(opCSV, c.name, line, 0, "", col,
			"not UTF-8 text; the file must be UTF-8 (convert it, e.g. iconv -f WINDOWS-1252 -t UTF-8)", nil)
	}
	return nil
}

// readError reports a CSV syntax error (quoting) at its line and column,
// or the limit the text went past.
func (c *csvFile) readError(err error) error {
	// The limiter runs ahead of the parser: what comes first in the file
	// is the error.
	le, long := c.lim.err.(*limitError)
	var pe *csv.ParseError
	if errors.As(err, &pe) && (!long || pe.StartLine <= le.line) {
		return fileError(opCSV, c.name, pe.Line, pe.Column, "", "", "malformed CSV: "+pe.Err.Error(), nil)
	}
	if long {
		return fileError(opCSV, c.name, le.line, 0, "", "", le.msg+": "+c.notWhat(), nil)
	}
	if le, ok := asLimit(err); ok { // the archive's
		return fileError(opCSV, c.name, 0, 0, "", "", le.msg, nil)
	}
	return fileError(opCSV, c.name, c.line+1, 0, "", "", "cannot read the file", err)
}

// progress says how many bytes of the text have been read.
func (c *csvFile) progress() Progress {
	return Progress{Done: c.count.n, Total: c.size, Unit: "bytes"}
}

// Close closes the file or archive.
func (c *csvFile) Close() error {
	var first error
	for i := len(c.closers) - 1; i >= 0; i-- {
		if err := c.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	c.closers = nil
	return first
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// notWhat suggests what the file is when it breaks a limit.
func (c *csvFile) notWhat() string {
	if c.what == "" {
		return "not a CSV file?"
	}
	return "not " + c.what + "?"
}

// lineLimiter passes CSV text through and fails, before the parser
// buffers it, when a record gets longer than max bytes: a line, or lines
// joined by a quoted field (a quote that never closes would swallow the
// rest of the file). A newline ends a record when the quotes before it are
// even in number: RFC 4180 doubles a quote inside a quoted field. It
// counts the lines it passes, so that its error says where.
type lineLimiter struct {
	r      io.Reader
	max    int
	line   int  // the line being passed, from 1
	start  int  // the line where the record being passed starts
	n      int  // bytes of that record passed so far
	quoted bool // an odd number of quotes passed
	err    error
}

func newLineLimiter(r io.Reader, max int) *lineLimiter {
	return &lineLimiter{r: r, max: max, line: 1, start: 1}
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	record := 0 // where the record being passed starts in p, if it starts there
	for i := 0; i < n; {
		end := n
		if j := bytes.IndexByte(p[i:n], '\n'); j >= 0 {
			end = i + j
		}
		if bytes.Count(p[i:end], []byte{'"'})%2 == 1 {
			l.quoted = !l.quoted
		}
		l.n += end - i
		if l.n > l.max {
			msg := fmt.Sprintf("longer than %s", byteCount(int64(l.max)))
			if l.start < l.line {
				msg = fmt.Sprintf("this record runs on to line %d and is longer than %s (a quote that is never closed?)", l.line, byteCount(int64(l.max)))
			}
			l.err = &limitError{line: l.start, msg: msg}
			// Pass on the records before the long one; the error comes next.
			if record == 0 {
				return 0, l.err
			}
			return record, nil
		}
		if end == n {
			break
		}
		l.line++
		l.n++
		if !l.quoted {
			l.start, l.n, record = l.line, 0, end+1
		}
		i = end + 1
	}
	return n, err
}

// LimitLines passes the CSV text of r through, failing the read at the
// first record (a line, or lines joined by quotes) longer than
// lim.MaxLine bytes, before a CSV parser would hold it, with an Invalid
// *apperr.Error naming file and line. For CSV files read without this
// package's readers.
func LimitLines(r io.Reader, file string, lim Limits) io.Reader {
	return &namedLimiter{l: newLineLimiter(r, lim.withDefaults().MaxLine), file: file}
}

type namedLimiter struct {
	l    *lineLimiter
	file string
}

func (n *namedLimiter) Read(p []byte) (int, error) {
	k, err := n.l.Read(p)
	if le, ok := err.(*limitError); ok {
		return k, fileError(opCSV, n.file, le.line, 0, "", "", le.msg+": not a CSV file?", nil)
	}
	return k, err
}

// newCSVReader reads CSV text from r; name is used in messages. For tests
// and fuzzing.
func newCSVReader(r io.Reader, name string) (*csvFile, error) {
	return newCSVReaderLimits(r, name, Limits{})
}

// newCSVReaderLimits is newCSVReader with limits.
func newCSVReaderLimits(r io.Reader, name string, lim Limits) (*csvFile, error) {
	c := &csvFile{name: name}
	if err := c.init(r, lim); err != nil {
		return nil, err
	}
	return c, nil
}
