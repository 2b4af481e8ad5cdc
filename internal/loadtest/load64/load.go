package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cremasco/atlante/internal/hostile"
)

// tally counts answers; one per client, merged at the end.
type tally struct {
	requests, hostile int
	byClass           [6]int // 1xx..5xx by first digit; [0] unused
	shed              int    // 503 with Retry-After: the concurrency limit
	closedOK          int    // closed without an answer where the corpus allows it
	closed            int    // closed without an answer otherwise
	timeouts          int
	connErrors        int
	durations         []time.Duration
	examples          []string // the first errors, for the report
}

func (t *tally) add(o *tally) {
	t.requests += o.requests
	t.hostile += o.hostile
	for i := range t.byClass {
		t.byClass[i] += o.byClass[i]
	}
	t.shed += o.shed
	t.closedOK += o.closedOK
	t.closed += o.closed
	t.timeouts += o.timeouts
	t.connErrors += o.connErrors
	t.durations = append(t.durations, o.durations...)
	for _, e := range o.examples {
		if len(t.examples) < 20 {
			t.examples = append(t.examples, e)
		}
	}
}

func (t *tally) example(r *hostile.Request, what string) {
	if len(t.examples) < 5 {
		target := r.Method + " " + r.Path
		if r.Raw != nil {
			target = fmt.Sprintf("%.60q (raw)", firstLine(r.Raw))
		}
		t.examples = append(t.examples, fmt.Sprintf("%.100s: %s", target, what))
	}
}

func firstLine(raw []byte) []byte {
	line, _, _ := strings.Cut(string(raw), "\r\n")
	return []byte(line)
}

// record classifies one answer.
func (t *tally) record(r *hostile.Request, a hostile.Answer) {
	t.requests++
	t.durations = append(t.durations, a.Took)
	switch {
	case a.Closed && hostile.WantOf(r.Spec).AllowsClosed():
		t.closedOK++
	case a.Closed:
		t.closed++
		t.example(r, "closed without an answer")
	case a.TimedOut:
		t.timeouts++
		t.example(r, fmt.Sprintf("no whole answer within the bound (status %d)", a.Status))
	case a.Status == 0:
		t.connErrors++
		t.example(r, fmt.Sprintf("connection error: %v", a.Err))
	case a.Status == http.StatusServiceUnavailable && a.Header.Get("Retry-After") != "" &&
		strings.Contains(string(a.Body), "at most"):
		t.shed++
	default:
		t.byClass[a.Status/100]++
		if a.Status >= 500 {
			t.example(r, fmt.Sprintf("status %d: %.200s", a.Status, a.Body))
		}
		if a.Err != nil {
			t.connErrors++
			t.example(r, fmt.Sprintf("status %d, then %v", a.Status, a.Err))
		}
	}
}

// errors is the count of what fails the run.
func (t *tally) errors(strict bool) int {
	n := t.byClass[5] + t.closed + t.timeouts + t.connErrors
	if strict {
		n += t.shed
	}
	return n
}

func (t *tally) print(d time.Duration) {
	slices.Sort(t.durations)
	q := func(p float64) time.Duration {
		if len(t.durations) == 0 {
			return 0
		}
		return t.durations[min(len(t.durations)-1, int(p*float64(len(t.durations))))].Round(time.Millisecond)
	}
	fmt.Printf("requests %d (%.0f/s), %d hostile: 2xx %d, 3xx %d, 4xx %d, 5xx %d; shed (503 + Retry-After of the concurrency limit) %d\n",
		t.requests, float64(t.requests)/d.Seconds(), t.hostile, t.byClass[2], t.byClass[3], t.byClass[4], t.byClass[5], t.shed)
	fmt.Printf("errors: 5xx %d, closed without an answer %d (and %d where the corpus allows it), over the bound %d, connection errors %d\n",
		t.byClass[5], t.closed, t.closedOK, t.timeouts, t.connErrors)
	fmt.Printf("latency: p50 %s, p90 %s, p99 %s, max %s\n", q(0.5), q(0.9), q(0.99), q(1))
	for _, e := range t.examples {
		fmt.Println("  " + e)
	}
}

// loadRun runs conns clients for d, each sending a hostile request with
// probability share and an ordinary GET otherwise.
func loadRun(c *hostile.Client, conns int, d time.Duration, share float64, seed uint64,
	corpus []*hostile.Request, normal []string) *tally {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	total := &tally{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			t := &tally{}
			for ctx.Err() == nil {
				var r *hostile.Request
				if rng.Float64() < share {
					r = corpus[rng.IntN(len(corpus))]
					t.hostile++
				} else {
					r = &hostile.Request{Method: http.MethodGet, Path: normal[rng.IntN(len(normal))], Header: http.Header{},
						Spec: hostile.Spec{Want: "2xx|4xx"}}
				}
				// Each request has the whole bound, even the last ones.
				t.record(r, c.Send(context.Background(), r))
			}
			mu.Lock()
			total.add(t)
			mu.Unlock()
		})
	}
	wg.Wait()
	return total
}
