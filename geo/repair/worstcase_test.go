package repair

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"syscall"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/geotest"
)

// worstCases are the adversarial geometries of BenchmarkWorstCase, at
// geo.DefaultLimits (see geotest for each).
func worstCases() []struct {
	name string
	g    orb.Geometry
} {
	l := geo.DefaultLimits
	overlapsSide := int(math.Sqrt(2 * float64(l.Overlaps)))
	return []struct {
		name string
		g    orb.Geometry
	}{
		{"random-2000", geotest.RandomPolygon(2000, 1)},
		{"random-at-vertices", geotest.RandomPolygon(l.Vertices, 1)},
		{"spikes-at-vertices", geotest.Spikes(l.Vertices)},
		{"spikes-at-crossings", geotest.Spikes(3*l.Crossings + 5)},
		{"circle-at-vertices", orb.Polygon{geotest.Circle(orb.Point{9.65, 45.35}, 0.05, l.Vertices-1, false)}},
		{"comb-at-vertices", geotest.Comb(1000, l.Vertices-3000)},
		{"accordion-at-overlaps", geotest.Accordion(overlapsSide)},
		{"accordion-over-overlaps", geotest.Accordion(overlapsSide + 200)},
		{"accordion-at-vertices", geotest.Accordion(l.Vertices)},
		{"grid-at-crossings", geotest.Grid(15, 14, l.Vertices)},
		{"holes-at-limit", geotest.Holes(l.Holes, l.Vertices/l.Holes-1, l.Crossings)},
		{"parts-at-limit", geotest.Parts(l.Parts, l.Vertices/l.Parts, l.Crossings)},
		{"rings-at-limit", geotest.Rings(l.Parts, l.Rings, l.Vertices)},
		{"depth-at-limit", geotest.Nested(l.Depth)},
	}
}

// BenchmarkWorstCase checks each adversarial geometry and reports, beside
// the time, what Check answered and peak-MB: the growth of the process's
// peak resident memory (getrusage ru_maxrss, which counts GEOS's C heap
// that Go's allocation counters do not see). The peak is per process, so
// run one case per process for that figure:
//
//	go test -run '^$' -bench 'WorstCase/spikes-at-vertices$' -benchtime 5x ./geo/repair
//
// (internal/loadtest/geometry.sh runs them all that way).
func BenchmarkWorstCase(b *testing.B) {
	for _, tc := range worstCases() {
		b.Run(tc.name, func(b *testing.B) {
			c := NewChecker()
			before, cpu0 := maxRSS(), cpuTime()
			var err error
			for b.Loop() {
				_, err = c.Check(tc.g)
			}
			b.ReportMetric(float64(maxRSS()-before)/(1<<20), "peak-MB")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			if err != nil {
				b.Logf("%s: refused: %v", tc.name, err)
			} else {
				b.Logf("%s: accepted", tc.name)
			}
		})
	}
}

// cpuTime is the CPU time the process has used (user and system), in
// nanoseconds: steadier than wall time on a shared machine.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(fmt.Sprint("getrusage: ", err))
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// maxRSS is the process's peak resident set size in bytes.
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(fmt.Sprint("getrusage: ", err))
	}
	return ru.Maxrss << 10
}

// TestCheckLimits: Check refuses a geometry over a limit before any GEOS
// call, with an *Error whose cause is the *geo.LimitError, and still
// repairs what fits.
func TestCheckLimits(t *testing.T) {
	t.Parallel()
	c := NewChecker()
	tests := []struct {
		name  string
		g     orb.Geometry
		limit string // "" when accepted
	}{
		{"random polygon of 2,000 vertices", geotest.RandomPolygon(2000, 3), "crossings"},
		{"vertices", orb.Polygon{geotest.Circle(orb.Point{9.65, 45.35}, 0.01, geo.DefaultLimits.Vertices, false)}, "vertices"},
		{"accordion", geotest.Accordion(3000), "overlaps"},
		{"holes", geotest.Holes(geo.DefaultLimits.Holes+1, 5, 0), "holes"},
		{"a collection member", orb.Collection{orb.Point{9.6, 45.3}, geotest.RandomPolygon(500, 1)}, "crossings"},
		{"spikes within the crossings limit are repaired", geotest.Spikes(3*geo.DefaultLimits.Crossings + 5), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Check(tt.g)
			if tt.limit == "" {
				if err != nil || !res.Repaired {
					t.Fatalf("Check = %+v, %v, want a repair", res.Note, err)
				}
				return
			}
			var e *Error
			var le *geo.LimitError
			if !errors.As(err, &e) || !errors.As(err, &le) || le.Limit != tt.limit || !strings.Contains(e.Reason, le.Msg) {
				t.Fatalf("Check = %v, want an *Error caused by the %s limit", err, tt.limit)
			}
		})
	}
}
