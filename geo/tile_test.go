package geo

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// tileTests is shared with FuzzParseTile as its seed corpus.
var tileTests = []struct {
	name    string
	z, x, y string
	want    maptile.Tile
	wantErr string // exact message; "" means success
}{
	{name: "root", z: "0", x: "0", y: "0", want: maptile.New(0, 0, 0)},
	{name: "crema z14", z: "14", x: "8632", y: "5872", want: maptile.New(8632, 5872, 14)},
	{name: "last tile z3", z: "3", x: "7", y: "7", want: maptile.New(7, 7, 3)},
	{name: "max zoom", z: "24", x: "16777215", y: "0", want: maptile.New(16777215, 0, 24)},
	{name: "z not integer", z: "abc", x: "0", y: "0", wantErr: `z: "abc" is not an integer`},
	{name: "z empty", z: "", x: "0", y: "0", wantErr: `z: is empty, want a non-negative integer`},
	{name: "z too deep", z: "25", x: "0", y: "0", wantErr: `z: 25 is outside 0..24`},
	{name: "z exponent", z: "1e3", x: "0", y: "0", wantErr: `z: "1e3" is not an integer`},
	{name: "z leading space", z: " 1", x: "0", y: "0", wantErr: `z: " 1" is not an integer`},
	{name: "z trailing space", z: "1 ", x: "0", y: "0", wantErr: `z: "1 " is not an integer`},
	{name: "z plus", z: "+1", x: "0", y: "0", wantErr: `z: "+1" is not an integer`},
	{name: "z minus zero", z: "-0", x: "0", y: "0", wantErr: `z: "-0" is not an integer`},
	{name: "z negative", z: "-1", x: "0", y: "0", wantErr: `z: "-1" is not an integer`},
	{name: "z hex", z: "0x1f", x: "0", y: "0", wantErr: `z: "0x1f" is not an integer`},
	{name: "z leading zero", z: "03", x: "0", y: "0", wantErr: `z: "03" has a leading zero`},
	{name: "z underscore", z: "1_0", x: "0", y: "0", wantErr: `z: "1_0" is not an integer`},
	{name: "z unicode digit", z: "١", x: "0", y: "0", wantErr: `z: "١" is not an integer`},
	{name: "z overlong", z: "99999999999999999999", x: "0", y: "0", wantErr: `z: "99999999999999999999" is too large`},
	{name: "z dot", z: "3.0", x: "0", y: "0", wantErr: `z: "3.0" is not an integer`},
	{name: "x outside", z: "3", x: "9", y: "0", wantErr: `x: 9 is outside 0..7 at zoom 3`},
	{name: "x just outside", z: "3", x: "8", y: "0", wantErr: `x: 8 is outside 0..7 at zoom 3`},
	{name: "x at zoom 0", z: "0", x: "1", y: "0", wantErr: `x: 1 is outside 0..0 at zoom 0`},
	{name: "x not integer", z: "3", x: "a", y: "0", wantErr: `x: "a" is not an integer`},
	{name: "x leading zero", z: "3", x: "00", y: "0", wantErr: `x: "00" has a leading zero`},
	{name: "x overlong", z: "24", x: "123456789", y: "0", wantErr: `x: "123456789" is too large`},
	{name: "x max uint32+1", z: "24", x: "4294967296", y: "0", wantErr: `x: "4294967296" is too large`},
	{name: "y outside", z: "3", x: "0", y: "8", wantErr: `y: 8 is outside 0..7 at zoom 3`},
	{name: "y outside max zoom", z: "24", x: "0", y: "16777216", wantErr: `y: 16777216 is outside 0..16777215 at zoom 24`},
	{name: "y with extension", z: "3", x: "0", y: "1.pbf", wantErr: `y: "1.pbf" is not an integer`},
	{name: "y long garbage quoted short", z: "3", x: "0", y: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		wantErr: `y: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"… is not an integer`},
}

func TestParseTile(t *testing.T) {
	t.Parallel()
	for _, tt := range tileTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTile(tt.z, tt.x, tt.y)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseTile(%q, %q, %q) = %v, want error %q", tt.z, tt.x, tt.y, got, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("ParseTile(%q, %q, %q) error = %q, want %q", tt.z, tt.x, tt.y, err, tt.wantErr)
				}
				var ge *Error
				if !errors.As(err, &ge) {
					t.Errorf("ParseTile(%q, %q, %q) error is %T, want *geo.Error", tt.z, tt.x, tt.y, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTile(%q, %q, %q) error = %v, want %v", tt.z, tt.x, tt.y, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("ParseTile(%q, %q, %q) = %v, want %v", tt.z, tt.x, tt.y, got, tt.want)
			}
		})
	}
}

func TestTileBounds3857(t *testing.T) {
	t.Parallel()
	const h = earthHalfCircumference
	tests := []struct {
		name string
		tile maptile.Tile
		want orb.Bound
	}{
		{"world", maptile.New(0, 0, 0), orb.Bound{Min: orb.Point{-h, -h}, Max: orb.Point{h, h}}},
		{"z1 north-west", maptile.New(0, 0, 1), orb.Bound{Min: orb.Point{-h, 0}, Max: orb.Point{0, h}}},
		{"z1 south-east", maptile.New(1, 1, 1), orb.Bound{Min: orb.Point{0, -h}, Max: orb.Point{h, 0}}},
		{"z2 (1,2)", maptile.New(1, 2, 2), orb.Bound{Min: orb.Point{-h / 2, -h / 2}, Max: orb.Point{0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := TileBounds3857(tt.tile)
			if !boundNear(got, tt.want, 1e-6) {
				t.Errorf("TileBounds3857(%v) = %v, want %v", tt.tile, got, tt.want)
			}
		})
	}
}

// TestTileBounds3857MatchesOrb checks the metre envelope against orb's
// lon/lat tile bounds projected with the spherical Mercator formulas.
func TestTileBounds3857MatchesOrb(t *testing.T) {
	t.Parallel()
	for _, tile := range []maptile.Tile{maptile.New(8632, 5872, 14), maptile.New(269, 183, 9), maptile.New(3, 5, 4)} {
		ll := tile.Bound()
		want := orb.Bound{Min: mercator(ll.Min), Max: mercator(ll.Max)}
		if got := TileBounds3857(tile); !boundNear(got, want, 1e-3) {
			t.Errorf("TileBounds3857(%v) = %v, want %v", tile, got, want)
		}
	}
}

func mercator(p orb.Point) orb.Point {
	const r = 6378137
	return orb.Point{r * p[0] * math.Pi / 180, r * math.Log(math.Tan(math.Pi/4+p[1]*math.Pi/360))}
}

func boundNear(a, b orb.Bound, eps float64) bool {
	for i := 0; i < 2; i++ {
		if math.Abs(a.Min[i]-b.Min[i]) > eps || math.Abs(a.Max[i]-b.Max[i]) > eps {
			return false
		}
	}
	return true
}

func TestPixelSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		z      maptile.Zoom
		extent uint32
		want   float64
	}{
		{0, 4096, 2 * earthHalfCircumference / 4096},
		{0, 0, 2 * earthHalfCircumference / 4096},
		{0, 256, 156543.03392804097},
		{14, 4096, 2 * earthHalfCircumference / 16384 / 4096},
		{24, 4096, 2 * earthHalfCircumference / (1 << 24) / 4096},
	}
	for _, tt := range tests {
		if got := PixelSize(tt.z, tt.extent); math.Abs(got-tt.want) > 1e-9*tt.want {
			t.Errorf("PixelSize(%d, %d) = %v, want %v", tt.z, tt.extent, got, tt.want)
		}
	}
}

func BenchmarkParseTile(b *testing.B) {
	for b.Loop() {
		if _, err := ParseTile("14", "8632", "5872"); err != nil {
			b.Fatal(err)
		}
	}
}
