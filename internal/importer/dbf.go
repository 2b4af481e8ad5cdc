package importer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// dbfReader reads the attribute table of a Shapefile (dBase III/IV .dbf)
// one record at a time.
type dbfReader struct {
	r       *bufio.Reader
	fields  []dbfField
	records int // as the header says
	read    int
	recLen  int
	buf     []byte
	text    func([]byte) string
}

type dbfField struct {
	name string
	typ  byte // C, N, F, L, D, ...
	size int
}

// maxDBFFields bounds the number of fields (dBase allows 255; some writers more).
const maxDBFFields = 2048

// newDBFReader reads the header of a .dbf. cpg is the content of the .cpg
// file ("" when there is none); size is the file's size, 0 when unknown.
func newDBFReader(r io.Reader, cpg string, size int64) (*dbfReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var h [32]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("header: %w", eofIsTruncation(err))
	}
	d := &dbfReader{
		r:       br,
		records: int(binary.LittleEndian.Uint32(h[4:8])),
		recLen:  int(binary.LittleEndian.Uint16(h[10:12])),
	}
	headerLen := int(binary.LittleEndian.Uint16(h[8:10]))
	text, err := dbfText(cpg, h[29])
	if err != nil {
		return nil, err
	}
	d.text = text
	consumed := 32
	for {
		b, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("field descriptors: %w", eofIsTruncation(err))
		}
		consumed++
		if b == 0x0d {
			break
		}
		if len(d.fields) >= maxDBFFields {
			return nil, fmt.Errorf("more than %d fields, or no end of the field descriptors", maxDBFFields)
		}
		var fd [32]byte
		fd[0] = b
		if _, err := io.ReadFull(br, fd[1:]); err != nil {
			return nil, fmt.Errorf("field descriptors: %w", eofIsTruncation(err))
		}
		consumed += 31
		name := fd[:11]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		d.fields = append(d.fields, dbfField{
			name: strings.TrimSpace(text(name)),
			typ:  fd[11],
			size: int(fd[16]),
		})
	}
	if consumed > headerLen {
		return nil, fmt.Errorf("header length %d is shorter than its %d field descriptors", headerLen, len(d.fields))
	}
	// dBase 7 and Visual FoxPro put more in the header; skip it.
	if _, err := io.CopyN(io.Discard, br, int64(headerLen-consumed)); err != nil {
		return nil, fmt.Errorf("header: %w", eofIsTruncation(err))
	}
	sum := 1
	for _, f := range d.fields {
		sum += f.size
	}
	if sum != d.recLen {
		return nil, fmt.Errorf("record length %d does not match its fields (%d bytes)", d.recLen, sum)
	}
	// The header's count, checked against the file before any record is
	// read: it is the progress total, and a lie must not cost a read of
	// gigabytes to find out.
	if need := int64(headerLen) + int64(d.records)*int64(d.recLen); size > 0 && need > size {
		return nil, fmt.Errorf("its header announces %s records of %d bytes, %s, but the file has %s: the file is truncated or corrupt",
			thousands(int64(d.records)), d.recLen, byteCount(need), byteCount(size))
	}
	d.buf = make([]byte, d.recLen)
	return d, nil
}

// next reads the next record. deleted reports a record marked deleted.
// It returns io.EOF after the last record the header announces.
func (d *dbfReader) next() (p Properties, deleted bool, err error) {
	if d.read >= d.records {
		return nil, false, io.EOF
	}
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		return nil, false, fmt.Errorf("record %d of %d: %w", d.read+1, d.records, eofIsTruncation(err))
	}
	d.read++
	switch d.buf[0] {
	case ' ':
	case '*':
		return nil, true, nil
	case 0x1a:
		return nil, false, fmt.Errorf("the file ends after %d of the %d records its header announces", d.read-1, d.records)
	default:
		return nil, false, fmt.Errorf("record %d: not a record (deletion flag %#x)", d.read, d.buf[0])
	}
	p = make(Properties, len(d.fields))
	at := 1
	for _, f := range d.fields {
		p[f.name] = d.value(f, d.buf[at:at+f.size])
		at += f.size
	}
	return p, false, nil
}

// value converts a field's bytes: text for C (and unknown types), a
// json.Number for N and F, a bool for L, "YYYYMMDD" for D; nil when blank.
func (d *dbfReader) value(f dbfField, b []byte) any {
	trimmed := strings.Trim(string(b), " \x00")
	switch f.typ {
	case 'N', 'F':
		if trimmed == "" || strings.Trim(trimmed, "*") == "" {
			return nil // blank, or the overflow marker
		}
		s := strings.TrimPrefix(trimmed, "+")
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return trimmed
		}
		return json.Number(s)
	case 'L':
		switch trimmed {
		case "T", "t", "Y", "y":
			return true
		case "F", "f", "N", "n":
			return false
		}
		return nil
	case 'D':
		if trimmed == "" {
			return nil
		}
		return trimmed
	}
	if trimmed == "" {
		return nil
	}
	return strings.TrimRight(d.text([]byte(trimmed)), " ")
}

func eofIsTruncation(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of file, the file is truncated")
	}
	return err
}

// dbfText chooses how to decode the text of a .dbf. A .cpg file names the
// code page (UTF-8, ISO-8859-1, 1252, ...). Without one, a value that is
// valid UTF-8 is UTF-8 (ASCII is both) and anything else is decoded with the
// code page of the language driver byte of the header, Windows-1252 when
// that says nothing: ISTAT and most Italian data is either UTF-8 or
// Latin-1/Windows-1252, and Latin-1 text with accents ("Cà d'Andrea") is
// almost never valid UTF-8. Even a file declared UTF-8 falls back to
// Windows-1252 for a value that is not valid UTF-8.
func dbfText(cpg string, ldid byte) (func([]byte) string, error) {
	fallback := ldidEncoding(ldid)
	if c := strings.TrimSpace(strings.TrimPrefix(cpg, "\ufeff")); c != "" {
		enc, err := cpgEncoding(c)
		if err != nil {
			return nil, err
		}
		if enc != unicode.UTF8 {
			return decodeWith(enc), nil
		}
	}
	latin := decodeWith(fallback)
	return func(b []byte) string {
		if utf8.Valid(b) {
			return string(b)
		}
		return latin(b)
	}, nil
}

func decodeWith(enc encoding.Encoding) func([]byte) string {
	dec := enc.NewDecoder()
	return func(b []byte) string {
		s, err := dec.Bytes(b)
		if err != nil {
			return strings.ToValidUTF8(string(b), "\ufffd")
		}
		return string(s)
	}
}

// cpgEncoding resolves the content of a .cpg file: an IANA name
// (UTF-8, ISO-8859-1, windows-1252), or a Windows code page number as ESRI
// writes it (65001, 1252, 28591; "ANSI 1252").
func cpgEncoding(name string) (encoding.Encoding, error) {
	n := strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(name), "ANSI"))
	switch strings.NewReplacer("-", "", "_", "", " ", "").Replace(n) {
	case "UTF8", "65001":
		return unicode.UTF8, nil
	case "LATIN1", "88591", "ISO88591", "28591":
		return charmap.ISO8859_1, nil
	case "LATIN9", "885915", "ISO885915", "28605":
		return charmap.ISO8859_15, nil
	case "1252", "CP1252", "WINDOWS1252":
		return charmap.Windows1252, nil
	case "1250", "CP1250", "WINDOWS1250":
		return charmap.Windows1250, nil
	case "437", "CP437", "OEM":
		return charmap.CodePage437, nil
	case "850", "CP850":
		return charmap.CodePage850, nil
	}
	enc, err := ianaindex.IANA.Encoding(strings.TrimSpace(name))
	if err != nil || enc == nil {
		return nil, fmt.Errorf(".cpg: unsupported code page %s", strconv.Quote(truncate(name, 40)))
	}
	return enc, nil
}

// ldidEncoding maps the language driver id of a dBase header to its code
// page, Windows-1252 when unknown.
func ldidEncoding(ldid byte) encoding.Encoding {
	switch ldid {
	case 0x01:
		return charmap.CodePage437
	case 0x02:
		return charmap.CodePage850
	case 0x64:
		return charmap.CodePage852
	case 0xc8:
		return charmap.Windows1250
	case 0xc9:
		return charmap.Windows1251
	}
	return charmap.Windows1252
}
