// Command load64 loads a running Atlante with ordinary and hostile requests
// from many connections at once for a bounded time, and reports the
// answers by status class and the errors: 5xx, connections refused or
// broken, answers that did not arrive within the bound. It exits non-zero
// on any of them. The hostile requests are the corpus of package hostile;
// its placeholders (tokens, feature ids) come from -vars.
//
//	go run ./internal/loadtest/load64 -url http://127.0.0.1:18091 -vars vars.txt -conns 64 -duration 60s
//	go run ./internal/loadtest/load64 -url ... -vars vars.txt -once   # each corpus request once, checked
//
// Hostile writes that could succeed (a valid feature with a valid token)
// are left out of the load, so that it changes no data; requests that
// stall on purpose are left out too (they take the server's read
// timeout). A 503 with Retry-After from the concurrency limit of expensive
// requests (--heavy-requests) is load shedding, not an error: it is
// counted apart, and fails the run only with -strict.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cremasco/atlante/internal/hostile"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load64:", err)
		os.Exit(1)
	}
}

func run() error {
	base := flag.String("url", "http://127.0.0.1:18091", "the server")
	conns := flag.Int("conns", 64, "connections (clients) at once")
	duration := flag.Duration("duration", 30*time.Second, "how long to load")
	timeout := flag.Duration("timeout", 10*time.Second, "bound on one request, first byte to last")
	share := flag.Float64("hostile", 0.5, "share of hostile requests, 0..1")
	varsFile := flag.String("vars", "", "file of name=value lines: the corpus's tokens and ids")
	once := flag.Bool("once", false, "send each corpus request once, in order, check every answer, and stop")
	strict := flag.Bool("strict", false, "count a 503 of the concurrency limit as an error")
	seed := flag.Uint64("seed", 1, "random seed of the mix")
	skip := flag.String("skip", "", "leave out the corpus requests whose name matches this regular expression")
	flag.Parse()

	vars, err := readVars(*varsFile)
	if err != nil {
		return err
	}
	specs, err := hostile.Corpus()
	if err != nil {
		return err
	}
	if *skip != "" {
		re, err := regexp.Compile(*skip)
		if err != nil {
			return fmt.Errorf("-skip: %v", err)
		}
		specs = slices.DeleteFunc(specs, func(s hostile.Spec) bool { return re.MatchString(s.Name) })
	}
	if missing := missingVars(specs, vars); len(missing) > 0 {
		return fmt.Errorf("-vars lacks a value for %s", strings.Join(missing, ", "))
	}
	client, err := hostile.NewClient(*base, *timeout, *conns)
	if err != nil {
		return err
	}
	defer client.Close()
	if *once {
		return checkOnce(client, specs, vars)
	}
	var load []*hostile.Request
	for _, s := range specs {
		if s.Stall || mayWrite(s) {
			continue
		}
		r, err := hostile.Resolve(s, vars)
		if err != nil {
			return err
		}
		load = append(load, r)
	}
	normal := normalPaths(vars)
	fmt.Printf("load64: %s, %d connections for %s, %.0f%% hostile (%d corpus requests, %d ordinary paths), bound %s per request\n",
		*base, *conns, *duration, *share*100, len(load), len(normal), *timeout)
	t := loadRun(client, *conns, *duration, *share, *seed, load, normal)
	t.print(*duration)
	if n := t.errors(*strict); n > 0 {
		return fmt.Errorf("%d errors", n)
	}
	return nil
}

// readVars reads name=value lines.
func readVars(file string) (map[string]string, error) {
	vars := map[string]string{}
	if file == "" {
		return vars, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: %q is not name=value", file, line)
		}
		vars[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return vars, sc.Err()
}

func missingVars(specs []hostile.Spec, vars map[string]string) []string {
	var missing []string
	for _, name := range hostile.Placeholders(specs) {
		if vars[name] == "" {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	return missing
}

// mayWrite reports whether a hostile spec is a write that may succeed.
func mayWrite(s hostile.Spec) bool {
	switch s.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return false
	}
	if strings.HasPrefix(s.Path, "/coverage/stats") { // a POST that only reads
		return false
	}
	w := hostile.WantOf(s)
	for _, st := range []int{200, 201, 204} {
		if w.Allows(st) {
			return true
		}
	}
	return false
}

// checkOnce sends every corpus request once and checks its answer. The
// requests that stall wait for the server's read timeout (30 s for
// `atlante serve`), beside the others.
func checkOnce(c *hostile.Client, specs []hostile.Spec, vars map[string]string) error {
	start := time.Now()
	results, err := hostile.Run(context.Background(), c, 45*time.Second, specs, vars, secretsOf(vars))
	if err != nil {
		return err
	}
	failed := 0
	for _, res := range results {
		if len(res.Bad) > 0 {
			failed++
			fmt.Printf("line %d %s %s: %s (%s)\n", res.Request.Spec.Line, res.Request.Method, short(res.Request.Spec),
				strings.Join(res.Bad, "; "), res.Answer.Took.Round(time.Millisecond))
		}
	}
	fmt.Printf("load64 -once: %d requests in %s, %d failed\n", len(specs), time.Since(start).Round(time.Millisecond), failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d answers are wrong", failed, len(specs))
	}
	return nil
}

func short(s hostile.Spec) string {
	n := s.Name
	if len(n) > 120 {
		n = n[:120] + "…"
	}
	return n
}

// secretsOf are the token secrets among vars.
func secretsOf(vars map[string]string) []string {
	var out []string
	for _, v := range vars {
		if strings.HasPrefix(v, "atl_") {
			out = append(out, v)
		}
	}
	return out
}

// normalPaths are ordinary reads of every public family around Crema.
func normalPaths(vars map[string]string) []string {
	paths := []string{
		"/", "/conformance", "/collections", "/collections/comuni", "/collections/comuni/items/019035",
		"/collections/comuni/items?limit=48", "/tiles/comuni.json", "/tiles/civici.json", "/tileMatrixSets/WebMercatorQuad",
		"/collections/civici/tiles/WebMercatorQuad", "/collections/scenarios/queryables", "/civil-protection/plans",
		"/coverage/search?q=via%20roma", "/coverage/search?q=piazza%20garibaldi%201%2C%20crema", "/coverage/stats?comune=019035",
		"/coverage/stats?bbox=9.66,45.35,9.70,45.38", "/energy/communities", "/energy/zones/at?lon=9.68&lat=45.36",
		"/collections/scenarios/items?istat_code=019035", "/collections/emergency-areas/items?limit=50",
		"/viewer/js/main.js", "/healthz",
	}
	if v := vars["scenario"]; v != "" {
		paths = append(paths, "/civil-protection/scenarios/"+v+"/exposure", "/collections/scenarios/items/"+v)
	}
	if v := vars["community"]; v != "" {
		paths = append(paths, "/energy/communities/"+v+"/eligibility")
	}
	if v := vars["civico"]; v != "" {
		paths = append(paths, "/coverage/civici/"+v)
	}
	// Tiles and pages over the Cremasco.
	rng := rand.New(rand.NewPCG(7, 7))
	for range 200 {
		lon, lat := 9.55+rng.Float64()*0.3, 45.28+rng.Float64()*0.18
		z := 10 + rng.IntN(5)
		x, y := tileOf(lon, lat, z)
		layer := []string{"civici", "comuni", "network", "coverage-comuni", "scenarios"}[rng.IntN(5)]
		paths = append(paths,
			fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, z, x, y),
			fmt.Sprintf("/collections/civici/items?limit=100&bbox=%.4f,%.4f,%.4f,%.4f", lon, lat, lon+0.01, lat+0.008),
			fmt.Sprintf("/coverage/nearest?lon=%.5f&lat=%.5f&radius=300", lon, lat))
	}
	return paths
}

// tileOf is the WebMercatorQuad tile at zoom z holding lon, lat.
func tileOf(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	phi := lat * math.Pi / 180
	x := (lon + 180) / 360 * n
	y := (1 - math.Log(math.Tan(phi)+1/math.Cos(phi))/math.Pi) / 2 * n
	return int(x), int(y)
}
