package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// bboxTests is shared with FuzzParseBBox as its seed corpus.
var bboxTests = []struct {
	name    string
	in      string
	want    orb.Bound
	wantErr string // exact message; "" means success
}{
	{name: "cremasco", in: "9.45,45.25,9.85,45.55", want: bound(9.45, 45.25, 9.85, 45.55)},
	{name: "integers", in: "9,45,10,46", want: bound(9, 45, 10, 46)},
	{name: "negative", in: "-3.5,-40.25,-3,-40", want: bound(-3.5, -40.25, -3, -40)},
	{name: "whole world", in: "-180,-90,180,90", want: bound(-180, -90, 180, 90)},
	{name: "point box", in: "9.6,45.3,9.6,45.3", want: bound(9.6, 45.3, 9.6, 45.3)},
	{name: "exponent", in: "9.5e0,4.53E1,9.6,45.4", want: bound(9.5, 45.3, 9.6, 45.4)},
	{name: "leading dot and plus", in: "+.5,-.5,1.,1", want: bound(0.5, -0.5, 1, 1)},
	{name: "spaces around numbers", in: "9.45, 45.25, 9.85, 45.55", want: bound(9.45, 45.25, 9.85, 45.55)},
	{name: "six values", in: "9.45,45.25,0,9.85,45.55,100", want: bound(9.45, 45.25, 9.85, 45.55)},
	{name: "empty", in: "", wantErr: "bbox: is empty, want minx,miny,maxx,maxy"},
	{name: "blank", in: "  ", wantErr: "bbox: is empty, want minx,miny,maxx,maxy"},
	{name: "three values", in: "1,2,3", wantErr: "bbox: want 4 or 6 comma-separated numbers, got 3"},
	{name: "five values", in: "1,2,3,4,5", wantErr: "bbox: want 4 or 6 comma-separated numbers, got 5"},
	{name: "seven values", in: "1,2,3,4,5,6,7", wantErr: "bbox: want 4 or 6 comma-separated numbers, got 7"},
	{name: "one value", in: "1", wantErr: "bbox: want 4 or 6 comma-separated numbers, got 1"},
	{name: "semicolons", in: "1;2;3;4", wantErr: "bbox: want 4 or 6 comma-separated numbers, got 1"},
	{name: "trailing comma", in: "1,2,3,4,", wantErr: "bbox: want 4 or 6 comma-separated numbers, got 5"},
	{name: "not a number", in: "1,abc,3,4", wantErr: `bbox: value 2 ("abc") is not a number`},
	{name: "empty value", in: "1,,3,4", wantErr: `bbox: value 2 ("") is empty, want a number`},
	{name: "NaN", in: "NaN,1,2,3", wantErr: `bbox: value 1 ("NaN") is not a finite decimal number`},
	{name: "Inf", in: "1,2,+Inf,3", wantErr: `bbox: value 3 ("+Inf") is not a finite decimal number`},
	{name: "infinity", in: "1,2,3,infinity", wantErr: `bbox: value 4 ("infinity") is not a finite decimal number`},
	{name: "overflow", in: "1e999,2,3,4", wantErr: `bbox: value 1 ("1e999") is not a finite decimal number`},
	{name: "hex float", in: "0x1p3,2,3,4", wantErr: `bbox: value 1 ("0x1p3") is not a decimal number`},
	{name: "underscore", in: "1_0,2,30,4", wantErr: `bbox: value 1 ("1_0") is not a decimal number`},
	{name: "inner space", in: "1 0,2,30,4", wantErr: `bbox: value 1 ("1 0") is not a number`},
	{name: "bare dot", in: ".,2,3,4", wantErr: `bbox: value 1 (".") is not a number`},
	{name: "bare exponent", in: "1e,2,3,4", wantErr: `bbox: value 1 ("1e") is not a number`},
	{name: "six with bad z", in: "1,2,x,3,4,5", wantErr: `bbox: value 3 ("x") is not a number`},
	{name: "minx > maxx", in: "10,45,9,46", wantErr: "bbox: minx 10 is greater than maxx 9 (boxes crossing the antimeridian are not supported)"},
	{name: "miny > maxy", in: "9,46,10,45", wantErr: "bbox: miny 46 is greater than maxy 45"},
	{name: "longitude too big", in: "9,45,180.5,46", wantErr: "bbox: maxx 180.5 is outside the longitude range -180..180"},
	{name: "longitude too small", in: "-181,45,9,46", wantErr: "bbox: minx -181 is outside the longitude range -180..180"},
	{name: "latitude too big", in: "9,45,10,91", wantErr: "bbox: maxy 91 is outside the latitude range -90..90"},
	{name: "latitude too small", in: "9,-90.1,10,46", wantErr: "bbox: miny -90.1 is outside the latitude range -90..90"},
	{name: "metres not degrees", in: "550000,5000000,560000,5010000", wantErr: "bbox: minx 550000 is outside the longitude range -180..180"},
	{name: "lat,lon order", in: "45.25,9.45,45.55,9.85", want: bound(45.25, 9.45, 45.55, 9.85)},
}

func bound(minx, miny, maxx, maxy float64) orb.Bound {
	return orb.Bound{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}
}

func TestParseBBox(t *testing.T) {
	t.Parallel()
	for _, tt := range bboxTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseBBox(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseBBox(%q) = %v, want error %q", tt.in, got, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("ParseBBox(%q) error = %q, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBBox(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("ParseBBox(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatBBox(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   orb.Bound
		want string
	}{
		{bound(9.45, 45.25, 9.85, 45.55), "9.45,45.25,9.85,45.55"},
		{bound(-180, -90, 180, 90), "-180,-90,180,90"},
		{bound(0, 0, 1e-7, 0.1), "0,0,1e-07,0.1"},
		{bound(9.4544082, 44.937179, 10.5968547, 45.5044779), "9.4544082,44.937179,10.5968547,45.5044779"},
	}
	for _, tt := range tests {
		got := FormatBBox(tt.in)
		if got != tt.want {
			t.Errorf("FormatBBox(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := ParseBBox(got)
		if err != nil || back != tt.in {
			t.Errorf("ParseBBox(FormatBBox(%v)) = %v, %v, want %v, nil", tt.in, back, err, tt.in)
		}
	}
}

func TestFormatBBoxRoundTripsAwkwardFloats(t *testing.T) {
	t.Parallel()
	b := bound(1.0/3, -math.SmallestNonzeroFloat64, math.Nextafter(9, 10), math.Nextafter(90, 0))
	got, err := ParseBBox(FormatBBox(b))
	if err != nil || got != b {
		t.Errorf("ParseBBox(FormatBBox(%v)) = %v, %v, want %v, nil", b, got, err, b)
	}
}
