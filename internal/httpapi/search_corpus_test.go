package httpapi_test

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/testserver"
)

// corpusCase is one line of testdata/search-corpus.tsv.
type corpusCase struct {
	line               int
	query              string
	kind, code, street string
	number             int
	suffix             string
	missing            string // the number the street lacks, as typed
	hasNumber, lacks   bool
}

var corpusNumber = regexp.MustCompile(`^([0-9]+)([A-Z]*)$`)

func readCorpus(tb testing.TB, name string) []corpusCase {
	tb.Helper()
	f, err := os.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var cs []corpusCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, "\t")
		c := corpusCase{line: n, query: fs[0]}
		bad := func() { tb.Fatalf("%s:%d: %q is not query, kind, ISTAT code[, street[, number]]", name, n, line) }
		if len(fs) < 3 {
			bad()
		}
		c.kind, c.code = fs[1], fs[2]
		switch {
		case c.kind == "comune" && len(fs) == 3:
		case c.kind == "street" && len(fs) == 4:
			c.street = fs[3]
		case c.kind == "street" && len(fs) == 5 && strings.HasPrefix(fs[4], "missing "):
			c.street, c.missing, c.lacks = fs[3], strings.TrimPrefix(fs[4], "missing "), true
		case c.kind == "civico" && len(fs) == 5:
			m := corpusNumber.FindStringSubmatch(fs[4])
			if m == nil {
				bad()
			}
			c.street, c.suffix, c.hasNumber = fs[3], m[2], true
			c.number, _ = strconv.Atoi(m[1])
		default:
			bad()
		}
		cs = append(cs, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return cs
}

// corpusAnswer is the part of a search result the corpus checks.
type corpusAnswer struct {
	Kind          string    `json:"kind"`
	Label         string    `json:"label"`
	ISTATCode     string    `json:"istat_code"`
	Street        string    `json:"street"`
	ID            int64     `json:"id"`
	Number        *int      `json:"number"`
	Suffix        string    `json:"suffix"`
	Lon           float64   `json:"lon"`
	Lat           float64   `json:"lat"`
	BBox          []float64 `json:"bbox"`
	MissingNumber string    `json:"missing_number"`
	NumberRange   []int     `json:"number_range"`
	Nearest       *struct {
		ID     int64  `json:"id"`
		Kind   string `json:"kind"`
		Number *int   `json:"number"`
		Suffix string `json:"suffix"`
	} `json:"nearest"`
}

// TestSearchCorpus asks /coverage/search every query of the corpus, as
// citizens type them, over the demo, and checks the first answer: the
// civic number, the street, or the comune expected; a street that lacks
// the number typed must say so, with the range of its numbers and the
// civic number nearest in number, as the address register has them.
func TestSearchCorpus(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	data := readCoverage(t, s)
	cases := readCorpus(t, "testdata/search-corpus.tsv")
	if len(cases) < 100 {
		t.Fatalf("the corpus has %d queries, want at least 100", len(cases))
	}
	hits := 0
	var misses []string
	for _, c := range cases {
		// What the corpus expects must exist in the demo.
		key := coverage.StreetKey(c.street)
		var onStreet []covCivico
		wantID := int64(0)
		for _, v := range data.civici {
			if v.comune == c.code && coverage.StreetKey(v.street) == key {
				onStreet = append(onStreet, v)
				if c.hasNumber && v.number != nil && *v.number == c.number && v.suffix == c.suffix {
					wantID = v.id
				}
			}
		}
		switch {
		case c.kind == "comune" && data.names[c.code] == "":
			t.Fatalf("corpus line %d: the demo has no comune %s", c.line, c.code)
		case c.kind != "comune" && len(onStreet) == 0:
			t.Fatalf("corpus line %d: the demo has no street %q in %s", c.line, c.street, c.code)
		case c.hasNumber && wantID == 0:
			t.Fatalf("corpus line %d: the demo has no %s %d%s in %s", c.line, c.street, c.number, c.suffix, c.code)
		}

		var r struct {
			Results []corpusAnswer `json:"results"`
		}
		getJSON(t, s.URL+"/coverage/search?q="+url.QueryEscape(c.query), "application/json", &r)
		got := "nothing"
		ok := false
		if len(r.Results) > 0 {
			a := r.Results[0]
			got = fmt.Sprintf("%s %s %q", a.Kind, a.ISTATCode, a.Label)
			switch c.kind {
			case "comune":
				// A comune to fly to: a point inside its extent.
				ok = a.Kind == "comune" && a.ISTATCode == c.code && len(a.BBox) == 4 &&
					a.BBox[0] < a.Lon && a.Lon < a.BBox[2] && a.BBox[1] < a.Lat && a.Lat < a.BBox[3]
			case "civico":
				ok = a.Kind == "civico" && a.ID == wantID
			case "street":
				ok = a.Kind == "street" && a.ISTATCode == c.code && coverage.StreetKey(a.Street) == key
				if ok && c.lacks {
					ok = checkMissing(t, c, a, onStreet)
				}
			}
		}
		if ok {
			hits++
		} else {
			misses = append(misses, fmt.Sprintf("line %d %q: got %s, want %s %s %s", c.line, c.query, got, c.kind, c.code, c.street))
		}
	}
	t.Logf("search corpus: %d of %d queries answered at rank 1 (%.1f%%)", hits, len(cases), 100*float64(hits)/float64(len(cases)))
	if len(misses) > 0 {
		t.Errorf("%d queries missed at rank 1:\n%s", len(misses), strings.Join(misses, "\n"))
	}
}

// checkMissing checks what a street that lacks the typed number says:
// the number as typed, its lowest and highest numbers, and the civic
// number closest in number (the lower on a tie; on the same number, the
// one without esponente).
func checkMissing(t *testing.T, c corpusCase, a corpusAnswer, onStreet []covCivico) bool {
	t.Helper()
	typed, _ := strconv.Atoi(regexp.MustCompile(`^[0-9]+`).FindString(c.missing))
	lo, hi := -1, -1
	var near *covCivico
	dist := func(v *covCivico) int { return max(*v.number-typed, typed-*v.number) }
	for i := range onStreet {
		v := &onStreet[i]
		if v.number == nil {
			continue
		}
		if lo < 0 || *v.number < lo {
			lo = *v.number
		}
		hi = max(hi, *v.number)
		if near == nil || dist(v) < dist(near) || dist(v) == dist(near) && (*v.number < *near.number ||
			*v.number == *near.number && (v.suffix == "" && near.suffix != "" || (v.suffix == "") == (near.suffix == "") && v.id < near.id)) {
			near = v
		}
	}
	good := true
	if a.MissingNumber != c.missing {
		t.Errorf("%q: missing_number = %q, want %q (as typed)", c.query, a.MissingNumber, c.missing)
		good = false
	}
	if len(a.NumberRange) != 2 || a.NumberRange[0] != lo || a.NumberRange[1] != hi {
		t.Errorf("%q: number_range = %v, want [%d %d]", c.query, a.NumberRange, lo, hi)
		good = false
	}
	if a.Nearest == nil || a.Nearest.Kind != "civico" || a.Nearest.ID != near.id {
		t.Errorf("%q: nearest = %+v, want civico %d (%d%s)", c.query, a.Nearest, near.id, *near.number, near.suffix)
		good = false
	}
	return good
}
