package cql2

import (
	"strings"
	"testing"
)

// polygonFilter is S_INTERSECTS with a closed ring of n vertices.
func polygonFilter(n int) string {
	var b strings.Builder
	b.WriteString("comune = 'Crema' AND S_INTERSECTS(geom, POLYGON((")
	for i := 0; i < n-1; i++ {
		b.WriteString(formatNumber(9.6+float64(i)*1e-5) + " " + formatNumber(45.3+float64(i%7)*1e-4) + ", ")
	}
	b.WriteString("9.6 45.3)))")
	return b.String()
}

func BenchmarkParseText(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   string
	}{
		{"example16", readFile(b, "testdata/standard/text/example16.txt")},
		{"polygon10k", polygonFilter(10000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseText(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseJSON(b *testing.B) {
	e, err := ParseText(polygonFilter(10000))
	if err != nil {
		b.Fatal(err)
	}
	polygon, err := JSON(e)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"example16", []byte(readFile(b, "testdata/standard/json/example16.json"))},
		{"polygon10k", polygon},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseJSON(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRefuse measures how soon hostile input at the length limit is
// refused.
func BenchmarkRefuse(b *testing.B) {
	orChain := strings.Repeat("a = 1 OR ", DefaultLimits.MaxLength/9)
	jsonNumbers := "[" + strings.Repeat("0,", DefaultLimits.MaxLength/2-1) + "0]"
	b.Run("text-or-chain", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseText(orChain); err == nil {
				b.Fatal("parsed")
			}
		}
	})
	b.Run("json-numbers", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseJSON([]byte(jsonNumbers)); err == nil {
				b.Fatal("parsed")
			}
		}
	})
}
