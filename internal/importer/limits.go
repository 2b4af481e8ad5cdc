package importer

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits bound the work an import does for its input. They are checked
// while the file is read, on the bytes actually read (never on the sizes a
// zip archive declares), so that a zip bomb or a file that is not what it
// claims fails with a message naming the limit before it costs memory or
// minutes. A zero field takes its default.
type Limits struct {
	// MaxExpanded bounds the bytes read out of a zip archive, all its
	// members together (default DefaultMaxExpanded).
	MaxExpanded int64
	// MaxRatio bounds how many times its compressed size a member of a zip
	// archive may expand to, once it has given RatioFloor bytes (default
	// DefaultMaxRatio). Real CSV and Shapefiles compress about 10:1.
	MaxRatio int64
	// MaxMembers bounds the entries of a zip archive (default DefaultMaxMembers).
	MaxMembers int
	// MaxLine bounds a line of a CSV file, and a record spanning lines
	// inside quotes (default DefaultMaxLine).
	MaxLine int
	// MaxFeature bounds the text of one GeoJSON feature and a record of a
	// .shp file (default DefaultMaxFeature).
	MaxFeature int64
	// MaxFeatures bounds the features of a GeoJSON file or Shapefile: every
	// feature import holds them until its transaction (default
	// DefaultMaxFeatures).
	MaxFeatures int
}

// The default limits.
const (
	// DefaultMaxExpanded is far above the national ANNCSU register (~4 GB).
	DefaultMaxExpanded = 8 << 30
	DefaultMaxRatio    = 100
	// RatioFloor is what any member may expand to whatever its ratio: small
	// files of blanks (a .dbf of empty fields) compress far better than 100:1.
	RatioFloor        = 16 << 20
	DefaultMaxMembers = 10000
	// DefaultMaxLine is 64 times the longest line of the real register.
	DefaultMaxLine = 64 << 10
	// DefaultMaxFeature holds a boundary or a flood area of a million vertices.
	DefaultMaxFeature  = 64 << 20
	DefaultMaxFeatures = 1000000
)

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	if l.MaxExpanded <= 0 {
		l.MaxExpanded = DefaultMaxExpanded
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultMaxMembers
	}
	if l.MaxLine <= 0 {
		l.MaxLine = DefaultMaxLine
	}
	if l.MaxFeature <= 0 {
		l.MaxFeature = DefaultMaxFeature
	}
	if l.MaxFeatures <= 0 {
		l.MaxFeatures = DefaultMaxFeatures
	}
	return l
}

// A limitError is a limit the input went past. The reader that meets it
// turns it into a file error at its place in the file; line is 0 when the
// limit is not about a line.
type limitError struct {
	line int
	msg  string
}

func (e *limitError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return e.msg
}

// asLimit finds a limitError in err.
func asLimit(err error) (*limitError, bool) {
	var le *limitError
	ok := errors.As(err, &le)
	return le, ok
}

// byteCount writes a number of bytes for people: "65,536 bytes", and
// beyond a mebibyte "16 MiB (16,777,216 bytes)".
func byteCount(n int64) string {
	exact := thousands(n) + " bytes"
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB (%s)", n>>30, exact)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB (%s)", n>>20, exact)
	}
	return exact
}

// thousands writes n with commas between thousands: 37,000,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
