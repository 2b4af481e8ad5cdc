package hostile

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Result is one request of a corpus run, its answer and what is wrong
// with it (nothing when it is right).
type Result struct {
	Request *Request
	Answer  Answer
	Bad     []string
}

// Run sends every spec to c and checks every answer (see Check). The specs
// are sent one after the other, in order, except those that stall, which
// run beside the others with the bound stallBound: each waits for the
// server's read timeout. vars fill the placeholders; secrets must never
// come back.
func Run(ctx context.Context, c *Client, stallBound time.Duration, specs []Spec, vars map[string]string, secrets []string) ([]Result, error) {
	// A missing value fails the run before anything is sent; bodies are
	// made when sent, one at a time, so that the corpus's megabytes are
	// never all held at once.
	for _, name := range Placeholders(specs) {
		if _, ok := vars[name]; !ok {
			return nil, fmt.Errorf("hostile: no value for {{%s}}", name)
		}
	}
	results := make([]Result, len(specs))
	send := func(c *Client, i int) {
		r, err := Resolve(specs[i], vars)
		if err != nil { // a generator's arguments (checked by TestCorpus)
			results[i] = Result{Request: &Request{Spec: specs[i]}, Bad: []string{err.Error()}}
			return
		}
		a := c.Send(ctx, r)
		results[i] = Result{Request: r, Answer: a, Bad: Check(r, a, secrets)}
		r.Body, r.Raw = nil, nil // the checks are done
	}
	var wg sync.WaitGroup
	slow := c.WithTimeout(stallBound)
	for i, s := range specs {
		if s.Stall {
			wg.Go(func() { send(slow, i) })
		}
	}
	for i, s := range specs {
		if !s.Stall {
			send(c, i)
		}
	}
	wg.Wait()
	return results, nil
}
