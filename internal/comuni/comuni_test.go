package comuni_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/comuni"
)

var parseISTATTests = []struct {
	in      string
	want    comuni.ISTATCode
	wantErr bool
}{
	{"019035", "019035", false},
	{"019001", "019001", false},
	{"108052", "108052", false},
	{"999999", "999999", false},
	{"000001", "000001", false},
	// The numeric PRO_COM, as ISTAT's DBF and many CSVs carry it.
	{"19035", "019035", false},
	{"1001", "001001", false},
	{"1", "000001", false},

	{"", "", true},
	{"0", "", true},
	{"000000", "", true}, // no comune has code 0, in either spelling
	{"-19035", "", true},
	{"+19035", "", true},
	{"01903", "", true},   // 5 digits with a leading zero: a truncated code
	{"0019035", "", true}, // 7 digits
	{"1019035", "", true},
	{" 019035", "", true},
	{"019035 ", "", true},
	{"019035\n", "", true},
	{"19035\n", "", true},
	{"019 035", "", true},
	{"19,035", "", true},
	{"19_035", "", true},
	{"0x4a5b", "", true},
	{"1e4", "", true},
	{"Crema", "", true},
	{"D142", "", true},
	{"٠١٩٠٣٥", "", true}, // Arabic-Indic digits
	{"０１９０３５", "", true}, // full-width digits
}

func TestParseISTATCode(t *testing.T) {
	for _, tt := range parseISTATTests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			got, err := comuni.ParseISTATCode(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseISTATCode(%q) = %q, want an error", tt.in, got)
				}
				if got != "" || !strings.Contains(err.Error(), strconv.Quote(tt.in)) || !strings.Contains(err.Error(), "6 digits") {
					t.Fatalf("ParseISTATCode(%q) = %q, %q; want no code and an error quoting the input and saying 6 digits", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseISTATCode(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// FuzzParseISTATCode: no panic; a code is always 6 ASCII digits, not all
// zero, parses back to itself, and stands for the number given.
func FuzzParseISTATCode(f *testing.F) {
	for _, tt := range parseISTATTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := comuni.ParseISTATCode(s)
		if err != nil {
			if code != "" {
				t.Fatalf("ParseISTATCode(%q) = %q with error %v", s, code, err)
			}
			return
		}
		if !sixDigits.MatchString(string(code)) || code == "000000" {
			t.Fatalf("ParseISTATCode(%q) = %q, want 6 digits, not all zero", s, code)
		}
		again, err := comuni.ParseISTATCode(string(code))
		if err != nil || again != code {
			t.Fatalf("ParseISTATCode(%q) = %q, %v; want it to parse back to itself", code, again, err)
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("ParseISTATCode(%q) = %q, but %q is not a number", s, code, s)
		}
		if want := comuni.ISTATCode(fmt.Sprintf("%06d", n)); code != want {
			t.Fatalf("ParseISTATCode(%q) = %q, want %q", s, code, want)
		}
	})
}

func TestMembers(t *testing.T) {
	ms, err := comuni.Members()
	if err != nil {
		t.Fatalf("Members() = %v", err)
	}
	if len(ms) != 48 {
		t.Fatalf("Members() = %d comuni, want the 48 of the Cremasco", len(ms))
	}
	codes := map[comuni.ISTATCode]string{}
	names := map[string]bool{}
	ppc := 0
	for _, m := range ms {
		if other, dup := codes[m.ISTATCode]; dup {
			t.Errorf("code %s is both %s and %s", m.ISTATCode, other, m.Name)
		}
		codes[m.ISTATCode] = m.Name
		if names[m.Name] {
			t.Errorf("name %s appears twice", m.Name)
		}
		names[m.Name] = true
		if again, err := comuni.ParseISTATCode(string(m.ISTATCode)); err != nil || again != m.ISTATCode {
			t.Errorf("%s: code %q is not a canonical ISTAT code", m.Name, m.ISTATCode)
		}
		if m.ProvinceCode != "019" || !strings.HasPrefix(string(m.ISTATCode), "019") {
			t.Errorf("%s (%s): province %s, want 019 (Cremona)", m.Name, m.ISTATCode, m.ProvinceCode)
		}
		if !regexp.MustCompile(`^[A-Z][0-9]{3}$`).MatchString(m.CadastralCode) {
			t.Errorf("%s: cadastral code %q, want a letter and 3 digits", m.Name, m.CadastralCode)
		}
		// The Cremasco lies within about 9.4..9.95 E, 45.2..45.55 N.
		if lon, lat := m.Centroid[0], m.Centroid[1]; lon < 9.4 || lon > 9.95 || lat < 45.2 || lat > 45.55 {
			t.Errorf("%s: centroid %v outside the Cremasco", m.Name, m.Centroid)
		}
		if m.AreaKm2 <= 0 || m.AreaKm2 > 100 {
			t.Errorf("%s: area %g km², want 0..100", m.Name, m.AreaKm2)
		}
		if m.PPCProject {
			ppc++
		}
		if !comuni.IsMember(m.ISTATCode) {
			t.Errorf("IsMember(%s) = false for %s", m.ISTATCode, m.Name)
		}
	}
	if codes["019035"] != "Crema" {
		t.Errorf("019035 is %q, want Crema", codes["019035"])
	}
	if ppc == 0 || ppc == len(ms) {
		t.Errorf("%d of %d comuni in the civil-protection plan project, want some but not all", ppc, len(ms))
	}
	// Cremona (019036) is in the province but not in the Cremasco.
	for _, code := range []comuni.ISTATCode{"019036", "015146", "", "19035"} {
		if comuni.IsMember(code) {
			t.Errorf("IsMember(%q) = true, want false", code)
		}
	}
	// Members returns the same list every time.
	again, _ := comuni.Members()
	if len(again) != len(ms) || again[0] != ms[0] {
		t.Errorf("a second Members() differs from the first")
	}
}
