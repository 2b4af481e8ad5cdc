package hostile

import (
	"context"
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
	reqs := make([]*Request, len(specs))
	for i, s := range specs {
		r, err := Resolve(s, vars)
		if err != nil {
			return nil, err
		}
		reqs[i] = r
	}
	results := make([]Result, len(specs))
	send := func(c *Client, i int) {
		a := c.Send(ctx, reqs[i])
		results[i] = Result{Request: reqs[i], Answer: a, Bad: Check(reqs[i], a, secrets)}
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
