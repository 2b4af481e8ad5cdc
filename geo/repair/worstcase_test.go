package repair

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/geotest"
)

// worstCases are the adversarial geometries of BenchmarkWorstCase, at
// geo.DefaultLimits (see geotest for each), made only when measured.
func worstCases() []struct {
	name string
	g    func() orb.Geometry
} {
	l := geo.DefaultLimits
	overlapsSide := int(math.Sqrt(2 * float64(l.Overlaps)))
	return []struct {
		name string
		g    func() orb.Geometry
	}{
		{"random-2000", func() orb.Geometry { return geotest.RandomPolygon(2000, 1) }},
		{"random-at-vertices", func() orb.Geometry { return geotest.RandomPolygon(l.Vertices, 1) }},
		{"spikes-at-vertices", func() orb.Geometry { return geotest.Spikes(l.Vertices) }},
		{"spikes-at-crossings", func() orb.Geometry { return geotest.Spikes(3*l.Crossings + 5) }},
		{"circle-at-vertices", func() orb.Geometry {
			return orb.Polygon{geotest.Circle(orb.Point{9.65, 45.35}, 0.05, l.Vertices-1, false)}
		}},
		{"comb-at-vertices", func() orb.Geometry { return geotest.Comb(1000, l.Vertices-3000) }},
		{"accordion-at-overlaps", func() orb.Geometry { return geotest.Accordion(overlapsSide) }},
		{"accordion-over-overlaps", func() orb.Geometry { return geotest.Accordion(overlapsSide + 200) }},
		{"accordion-at-vertices", func() orb.Geometry { return geotest.Accordion(l.Vertices) }},
		{"spiral-20000", func() orb.Geometry { return geotest.Spiral(20_000) }},
		{"grid-at-crossings", func() orb.Geometry { return geotest.Grid(15, 14, l.Vertices) }},
		{"holes-at-limit", func() orb.Geometry { return geotest.Holes(l.Holes, l.Vertices/l.Holes-1, l.Crossings) }},
		{"parts-at-limit", func() orb.Geometry { return geotest.Parts(l.Parts, l.Vertices/l.Parts, l.Crossings) }},
		{"rings-at-limit", func() orb.Geometry { return geotest.Rings(l.Parts, l.Rings, l.Vertices) }},
		{"depth-at-limit", func() orb.Geometry { return geotest.Nested(l.Depth) }},
	}
}

// BenchmarkWorstCase checks each adversarial geometry and reports, beside
// the time, cpu-ms/op (the process's CPU time per Check, steadier than
// the time on a shared machine), what Check answered and peak-MB: how far
// the process's resident memory rose above what it held before (VmHWM,
// which counts GEOS's C heap that Go's allocation counters do not see).
// Run one case per process for that figure:
//
//	go test -run '^$' -bench 'WorstCase/spikes-at-vertices$' -benchtime 5x ./geo/repair
//
// (internal/loadtest/geometry.sh runs them all that way). Before the case,
// the Go heap's free memory is given back to the system, so that the
// growth is what Check needs beyond the input.
func BenchmarkWorstCase(b *testing.B) {
	for _, tc := range worstCases() {
		b.Run(tc.name, func(b *testing.B) {
			g := tc.g()
			c := NewChecker()
			debug.FreeOSMemory() // what the process holds now is the input, not garbage
			resetPeak()
			before, cpu0 := rss(), cpuTime()
			var err error
			for b.Loop() {
				_, err = c.Check(g)
			}
			b.ReportMetric(float64(peakRSS()-before)/(1<<20), "peak-MB")
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

// rss is the process's resident set size now, in bytes.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		panic(fmt.Sprint("statm: ", err))
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		panic(fmt.Sprint("statm: ", err))
	}
	return resident * int64(os.Getpagesize())
}

// resetPeak resets the process's peak resident set size (VmHWM) to its
// current size (Linux's /proc/PID/clear_refs, value 5).
func resetPeak() {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		panic(fmt.Sprint("clear_refs: ", err))
	}
}

// peakRSS is the process's peak resident set size (VmHWM) since
// resetPeak, in bytes: GEOS's C heap included, which Go's allocation
// counters do not see.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		panic(fmt.Sprint("status: ", err))
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscan(v, &kb); err != nil {
				panic(fmt.Sprint("VmHWM: ", err))
			}
			return kb << 10
		}
	}
	panic("no VmHWM in /proc/self/status")
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
