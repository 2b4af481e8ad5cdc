package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/store/storetest"
)

// TestServeInstances runs three `serve` processes on one database.
//
// A write through one instance shows through the others within their
// version poll: the count of a layer's features, the layer's tile (with a
// new ETag) and the buildings a scenario exposes. Then two of them run
// behind a small round-robin proxy, which (like nginx or HAProxy) polls
// /readyz and tries the next backend when a connection is refused, while
// clients read and write through it without pause; each instance in turn
// gets SIGTERM and is started again. Not one request may fail, and a
// request in flight at SIGTERM, held up for a second by a lock, must finish.
func TestServeInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewURL(t)
	tokens := demoDatabase(t, url, "comuni", "coverage", "civilprotection")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })

	const poll = 200 * time.Millisecond
	globals := []string{"--database-url", url}
	serveArgs := []string{"--version-poll", poll.String(), "--tile-cache-mb", "64", "--drain-delay", "500ms", "--shutdown-timeout", "20s"}
	a := startServe(t, "a", "", globals, serveArgs)
	b := startServe(t, "b", "", globals, serveArgs)
	c := startServe(t, "c", "", globals, serveArgs)

	var scenario int64
	var lon, lat float64
	if err := conn.QueryRow(ctx, `SELECT s.id, ST_X(p), ST_Y(p) FROM cp_scenarios s, ST_PointOnSurface(s.geom) p
		WHERE s.istat_code = '019035' ORDER BY s.id LIMIT 1`).Scan(&scenario, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{lon, lat}, 14)
	count := func(in *instance) float64 {
		t.Helper()
		_, body := mustDo(t, http.StatusOK, in.base+"/collections/strategic-buildings/items?limit=1", "GET", "", "")
		var page struct{ NumberMatched float64 }
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		return page.NumberMatched
	}
	tileTag := func(in *instance) string {
		h, _ := mustDo(t, http.StatusOK, fmt.Sprintf("%s/tiles/strategic-buildings/%d/%d/%d.mvt", in.base, tile.Z, tile.X, tile.Y), "GET", "", "")
		return h.Get("ETag")
	}
	exposes := func(in *instance, name string) bool {
		_, body := mustDo(t, http.StatusOK, fmt.Sprintf("%s/civil-protection/scenarios/%d/exposure", in.base, scenario), "GET", "", "")
		return bytes.Contains(body, []byte(name))
	}
	n0, tag0 := count(b), tileTag(b)
	for _, in := range []*instance{a, c} {
		if count(in) != n0 || tileTag(in) != tag0 {
			t.Fatalf("%s disagrees with b before any write", in.name)
		}
	}
	const name = "Scuola delle tre istanze"
	mustDo(t, http.StatusCreated, a.base+"/collections/strategic-buildings/items", "POST", tokens["editor"],
		fmt.Sprintf(`{"type":"Feature","properties":{"istat_code":"019035","kind":"scuola","name":%q},"geometry":{"type":"Point","coordinates":[%f,%f]}}`, name, lon, lat),
		"Content-Type", "application/geo+json")
	wrote := time.Now()
	// The writer sees its write at once.
	if got := count(a); got != n0+1 {
		t.Errorf("a right after its own write: %v buildings, want %v", got, n0+1)
	}
	if tileTag(a) == tag0 || !exposes(a, name) {
		t.Error("a right after its own write: old tile or exposure")
	}
	for _, in := range []*instance{b, c} {
		took := waitFor(t, in.name+" shows the write made through a", poll+10*time.Second, func() bool {
			return count(in) == n0+1 && tileTag(in) != tag0 && exposes(in, name)
		})
		t.Logf("%s showed the write made through a after %v (version poll %v)", in.name, (time.Since(wrote)).Round(time.Millisecond), poll)
		_ = took
	}
	c.stop(t)

	// Rolling restart under load, behind a proxy.
	px := newProxy(t, a, b)
	paths := []string{
		fmt.Sprintf("/tiles/civici/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y),
		"/tiles/comuni/10/543/365.mvt",
		"/collections/civici/items?limit=100",
		"/collections/comuni/items/019035",
		"/coverage/stats?comune=019035",
		"/coverage/search?q=via+roma",
		"/collections",
	}
	var (
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		requests atomic.Int64
		mu       sync.Mutex
		failures []string
	)
	fail := func(s string) {
		mu.Lock()
		failures = append(failures, s)
		mu.Unlock()
	}
	for i := range 4 {
		wg.Go(func() {
			for j := i; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				p := paths[j%len(paths)]
				st, _, body := httpDo(px.URL+p, "GET", "", "")
				requests.Add(1)
				if st != http.StatusOK {
					fail(fmt.Sprintf("GET %s = %d %.200s", p, st, body))
				}
			}
		})
	}
	// A writer: create and delete a building, again and again.
	wg.Go(func() {
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			st, h, body := httpDo(px.URL+"/collections/strategic-buildings/items", "POST", tokens["editor"],
				fmt.Sprintf(`{"type":"Feature","properties":{"istat_code":"019035","kind":"scuola","name":"Scuola di passaggio %d"},"geometry":{"type":"Point","coordinates":[%f,%f]}}`, k, lon, lat),
				"Content-Type", "application/geo+json")
			requests.Add(1)
			if st != http.StatusCreated {
				fail(fmt.Sprintf("POST = %d %.200s", st, body))
				continue
			}
			loc := h.Get("Location")
			// The Location names the instance that answered; delete through the proxy.
			if u, err := neturlPath(loc); err == nil {
				loc = px.URL + u
			}
			st, _, body = httpDo(loc, "DELETE", tokens["editor"], "")
			requests.Add(1)
			if st != http.StatusNoContent {
				fail(fmt.Sprintf("DELETE %s = %d %.200s", loc, st, body))
			}
		}
	})

	time.Sleep(time.Second)
	for _, in := range []*instance{a, b} {
		// A request in flight at SIGTERM: the lock holds it up for a second.
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE cp_buildings IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		slow := make(chan int, 1)
		go func() {
			st, _, _ := httpDo(in.base+"/collections/strategic-buildings/items?limit=5&istat_code=019072", "GET", "", "")
			slow <- st
		}()
		time.Sleep(300 * time.Millisecond)
		stopped := make(chan struct{})
		sigterm := time.Now()
		go func() {
			in.stop(t)
			close(stopped)
		}()
		time.Sleep(time.Second)
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if st := <-slow; st != http.StatusOK {
			t.Errorf("%s: the request in flight at SIGTERM = %d, want 200", in.name, st)
		}
		<-stopped
		t.Logf("%s stopped %v after SIGTERM (drain delay 500ms, a request held up 1.3s)", in.name, time.Since(sigterm).Round(time.Millisecond))
		in.start(t)
		waitFor(t, "the proxy sends to "+in.name+" again", 30*time.Second, func() bool { return px.healthy(in) })
		time.Sleep(time.Second)
	}
	close(stop)
	wg.Wait()
	t.Logf("rolling restart of 2 instances behind the proxy: %d requests, %d failed", requests.Load(), len(failures))
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more", len(failures)-10)
			break
		}
		t.Error(f)
	}
	if requests.Load() < 50 {
		t.Errorf("only %d requests during the rolling restart: the load did not run", requests.Load())
	}
}

// neturlPath returns the path and query of an absolute URL.
func neturlPath(u string) (string, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return "", err
	}
	return req.URL.RequestURI(), nil
}

// proxy is a minimal round-robin load balancer, as the tests need one: it
// polls each backend's /readyz every 50 ms and sends requests only to
// ready ones, and when a backend refuses the connection (nothing was sent)
// it tries the next.
type proxy struct {
	*httptest.Server
	backends []*instance
	ready    []atomic.Bool
	next     atomic.Uint64
	client   *http.Client
}

func newProxy(t testing.TB, backends ...*instance) *proxy {
	t.Helper()
	p := &proxy{backends: backends, ready: make([]atomic.Bool, len(backends)),
		client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, be := range backends {
		wg.Go(func() {
			for ctx.Err() == nil {
				st, _, _ := httpDo(be.base+"/readyz", "GET", "", "")
				p.ready[i].Store(st == http.StatusOK)
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}
	p.Server = httptest.NewServer(p)
	t.Cleanup(func() {
		p.Server.Close()
		cancel()
		wg.Wait()
	})
	return p
}

func (p *proxy) healthy(in *instance) bool {
	for i, be := range p.backends {
		if be == in {
			return p.ready[i].Load()
		}
	}
	return false
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n := len(p.backends)
	for attempt := 0; attempt < 4*n; attempt++ {
		i := int(p.next.Add(1) % uint64(n))
		if !p.ready[i].Load() {
			if attempt >= n {
				time.Sleep(50 * time.Millisecond) // none ready: wait for one
			}
			continue
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, p.backends[i].base+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		res, err := p.client.Do(req)
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			p.ready[i].Store(false) // refused: nothing was sent, try the next
			continue
		}
		if err != nil {
			http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
		res.Body.Close()
		return
	}
	http.Error(w, "proxy: no backend ready", http.StatusServiceUnavailable)
}
