package geo

import (
	"errors"
	"strconv"
	"testing"
)

// The fuzzers assert what every parser of untrusted input promises: no panic,
// either an *Error or a valid value, and round trips through the formatters.

func FuzzParseTile(f *testing.F) {
	for _, tt := range tileTests {
		f.Add(tt.z, tt.x, tt.y)
	}
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tile, err := ParseTile(z, x, y)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("ParseTile(%q, %q, %q) error is %T, want *geo.Error", z, x, y, err)
			}
			return
		}
		if tile.Z > MaxZoom || !tile.Valid() {
			t.Fatalf("ParseTile(%q, %q, %q) = %v, want z <= %d and x, y < 2^z", z, x, y, tile, MaxZoom)
		}
		// Canonical form: formatting the tile gives back the input.
		if got := [3]string{fmtUint(uint64(tile.Z)), fmtUint(uint64(tile.X)), fmtUint(uint64(tile.Y))}; got != [3]string{z, x, y} {
			t.Fatalf("ParseTile(%q, %q, %q) = %v, which formats as %q", z, x, y, tile, got)
		}
	})
}

func fmtUint(v uint64) string { return strconv.FormatUint(v, 10) }

func FuzzParseBBox(f *testing.F) {
	for _, tt := range bboxTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBBox(s)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("ParseBBox(%q) error is %T, want *geo.Error", s, err)
			}
			return
		}
		if !(b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1]) {
			t.Fatalf("ParseBBox(%q) = %v, want min <= max", s, b)
		}
		if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
			t.Fatalf("ParseBBox(%q) = %v, want it inside -180,-90,180,90", s, b)
		}
		back, err := ParseBBox(FormatBBox(b))
		if err != nil || back != b {
			t.Fatalf("ParseBBox(FormatBBox(%v)) = %v, %v, want %v, nil", b, back, err, b)
		}
	})
}

func FuzzParseCRS(f *testing.F) {
	for _, tt := range crsTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		srid, err := ParseCRS(s)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("ParseCRS(%q) error is %T, want *geo.Error", s, err)
			}
			return
		}
		if !srid.Valid() {
			t.Fatalf("ParseCRS(%q) = %d, want 1..%d", s, int(srid), MaxSRID)
		}
		for _, again := range []string{srid.URI(), srid.String()} {
			if got, err := ParseCRS(again); err != nil || got != srid {
				t.Fatalf("ParseCRS(%q) = %v, %v, want %v, nil (from %q)", again, got, err, srid, s)
			}
		}
	})
}

func FuzzParsePRJ(f *testing.F) {
	for _, tt := range prjTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		srid, err := ParsePRJ(s)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("ParsePRJ(%q) error is %T, want *geo.Error", s, err)
			}
			return
		}
		if !srid.Valid() {
			t.Fatalf("ParsePRJ(%q) = %d, want 1..%d", s, int(srid), MaxSRID)
		}
	})
}

func FuzzLookupCRS(f *testing.F) {
	for _, tt := range lookupTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := LookupCRS(s)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || ge.Field != "crs" {
				t.Fatalf("LookupCRS(%q) error = %#v, want a *geo.Error for crs", s, err)
			}
			return
		}
		if back, err := LookupCRS(c.URI()); err != nil || back != c {
			t.Fatalf("LookupCRS(%q) = %v, but its URI %q gives %v, %v", s, c, c.URI(), back, err)
		}
	})
}

func FuzzParseBBoxIn(f *testing.F) {
	for i, tt := range bboxInTests {
		f.Add(tt.in, i)
	}
	f.Fuzz(func(t *testing.T, s string, i int) {
		cs := SupportedCRSs()
		c := cs[uint(i)%uint(len(cs))]
		b, err := ParseBBoxIn(s, c)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || ge.Field != "bbox" {
				t.Fatalf("ParseBBoxIn(%q, %v) error = %#v, want a *geo.Error for bbox", s, c, err)
			}
			return
		}
		if !(b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1]) || !c.Domain.Contains(b.Min) || !c.Domain.Contains(b.Max) {
			t.Fatalf("ParseBBoxIn(%q, %v) = %v, want min <= max inside %v", s, c, b, c.Domain)
		}
		back, err := ParseBBoxIn(FormatBBoxIn(b, c), c)
		if err != nil || back != b {
			t.Fatalf("ParseBBoxIn(FormatBBoxIn(%v, %v)) = %v, %v", b, c, back, err)
		}
	})
}

func FuzzParseCRSMember(f *testing.F) {
	for _, tt := range crsMemberTests {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		srid, err := ParseCRSMember(b)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || ge.Field != "crs" {
				t.Fatalf("ParseCRSMember(%q) error = %#v, want a *geo.Error for crs", b, err)
			}
			return
		}
		if !srid.Valid() {
			t.Fatalf("ParseCRSMember(%q) = %v, not a valid SRID", b, srid)
		}
	})
}
