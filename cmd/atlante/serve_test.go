package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cremasco/atlante/internal/localpg"
)

// TestServeRestartsKilledCluster runs `atlante serve` over its own embedded
// cluster, kills the postmaster with SIGKILL, and checks that readiness and
// data requests come back without an operator, and that meanwhile every
// answer is 200 or 503 with Retry-After, never 500. The time from the kill
// to the first good answer is logged, not asserted: it depends on the
// machine.
func TestServeRestartsKilledCluster(t *testing.T) {
	// As root the server runs as postgres, which must reach the data dir:
	// t.TempDir's parent is mode 0700.
	dir := t.TempDir()
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	t.Cleanup(func() {
		// serve stops the cluster it started; this is for a failed test.
		c, err := localpg.New(localpg.Options{DataDir: dataDir})
		if err != nil {
			t.Error(err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Remove(ctx); err != nil {
			t.Error(err)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr

	ctx, cancel := context.WithCancel(context.Background())
	var serveErr error
	served := make(chan struct{})
	go func() {
		defer close(served)
		serveErr = run(ctx, []string{"atlante", "--data-dir", dataDir, "--log-format", "text", "--log-level", "warn",
			"serve", "--addr", addr, "--demo", "--version-poll", "200ms"})
	}()
	// Runs before the removal above: serve stops its cluster first.
	t.Cleanup(func() {
		cancel()
		select {
		case <-served:
		case <-time.After(time.Minute):
			t.Error("serve did not stop within a minute of its context")
		}
	})

	client := &http.Client{Timeout: 10 * time.Second}
	type answer struct {
		status     int
		retryAfter string
		body       string
	}
	get := func(path string) (answer, error) {
		res, err := client.Get(base + path)
		if err != nil {
			return answer{}, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return answer{res.StatusCode, res.Header.Get("Retry-After"), string(b)}, nil
	}
	// wait polls path until it answers 200, and returns how long that took.
	wait := func(path string, budget time.Duration) time.Duration {
		t.Helper()
		begin := time.Now()
		for {
			a, err := get(path)
			if err == nil && a.status == http.StatusOK {
				return time.Since(begin)
			}
			select {
			case <-served:
				t.Fatalf("serve ended: %v", serveErr)
			case <-time.After(50 * time.Millisecond):
			}
			if time.Since(begin) > budget {
				t.Fatalf("GET %s: no 200 after %v; last %+v, %v", path, budget, a, err)
			}
		}
	}
	const data = "/coverage/search?q=via+roma"
	wait("/readyz", 5*time.Minute) // initdb, migrations and the demo
	if a, err := get(data); err != nil || a.status != http.StatusOK || !strings.Contains(a.body, "Via Roma") {
		t.Fatalf("GET %s before the kill = %+v, %v; want 200 with Via Roma", data, a, err)
	}

	for round := 1; round <= 2; round++ {
		pid := postmasterPID(dataDir)
		if pid == 0 {
			t.Fatalf("round %d: no postmaster.pid in %s", round, dataDir)
		}
		// Clients keep asking while the server is down and coming back.
		stop := make(chan struct{})
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			bad []string
			n   int
		)
		for c := range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					path := data
					if c == 0 {
						path = "/readyz"
					}
					a, err := get(path)
					mu.Lock()
					n++
					switch {
					case err != nil:
						bad = append(bad, fmt.Sprintf("GET %s: %v", path, err))
					case a.status == http.StatusServiceUnavailable && a.retryAfter == "":
						bad = append(bad, fmt.Sprintf("GET %s: 503 without Retry-After", path))
					case a.status != http.StatusOK && a.status != http.StatusServiceUnavailable:
						bad = append(bad, fmt.Sprintf("GET %s: status %d, want 200 or 503: %.300s", path, a.status, a.body))
					}
					mu.Unlock()
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
		time.Sleep(100 * time.Millisecond)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill -9 %d: %v", pid, err)
		}
		killed := time.Now()
		// Readiness may still say yes through a pooled connection to an
		// orphaned backend: wait for a new postmaster first.
		deadline := killed.Add(2 * time.Minute)
		for p := pid; p == pid || p == 0; p = postmasterPID(dataDir) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no new postmaster 2 min after the kill", round)
			}
			time.Sleep(20 * time.Millisecond)
		}
		restarted := time.Since(killed)
		wait("/readyz", 2*time.Minute)
		ready := time.Since(killed)
		wait(data, 2*time.Minute)
		answered := time.Since(killed)
		time.Sleep(time.Second) // more answers after the restart, over the recovered pools
		close(stop)
		wg.Wait()
		t.Logf("round %d: after kill -9 of the postmaster: new postmaster %v, /readyz 200 %v, %s 200 %v; %d requests meanwhile",
			round, restarted.Round(time.Millisecond), ready.Round(time.Millisecond), data, answered.Round(time.Millisecond), n)
		for i, b := range bad {
			if i == 10 {
				t.Errorf("... and %d more", len(bad)-10)
				break
			}
			t.Error(b)
		}
		if len(bad) > 0 {
			t.FailNow()
		}
	}

	cancel()
	select {
	case <-served:
		if serveErr != nil {
			t.Fatalf("serve: %v", serveErr)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop within a minute of its context")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "pg", "pgdata", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("postmaster.pid after serve ended: %v; serve must stop the cluster it started", err)
	}
}

// postmasterPID reads postmaster.pid of dataDir's cluster: 0 while there is
// none or a new postmaster is writing it.
func postmasterPID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, "pg", "pgdata", "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(line)
	return pid
}
