package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// pgBouncerPoolSize is the server connections PgBouncer keeps for the test
// database, whatever the number of clients.
const pgBouncerPoolSize = 5

// startPgBouncer runs Debian's pgbouncer in transaction pooling mode in
// front of the database at dbURL (a Unix-socket URL), on a socket of its
// own, until the test ends. It returns the URL of the database through it
// and the URL of its admin console. As the cluster's server, it runs as the
// postgres OS user when the tests run as root.
func startPgBouncer(t testing.TB, dbURL string) (through, admin string) {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		t.Fatal("pgbouncer is not installed: run make test, which installs it (Debian package pgbouncer)")
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	sock, dbname := u.Query().Get("host"), strings.TrimPrefix(u.Path, "/")
	port := u.Query().Get("port")
	if port == "" {
		port = "5432"
	}
	dir := reachableTempDir(t)
	const listen = 6432 // names the socket file only: no TCP listener
	ini := fmt.Sprintf(`[databases]
atlante = host=%s port=%s dbname=%s user=atlante connect_query='SET statement_timeout = 25000; SET max_parallel_workers_per_gather = 0'

[pgbouncer]
unix_socket_dir = %s
listen_port = %d
auth_type = trust
auth_file = %s/userlist.txt
admin_users = atlante
pool_mode = transaction
default_pool_size = %d
max_client_conn = 500
logfile = %s/pgbouncer.log
server_reset_query =
`, sock, port, dbname, dir, listen, dir, pgBouncerPoolSize, dir)
	for name, content := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": `"atlante" ""` + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = dir
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("pgbouncer did not stop on SIGTERM")
		}
	})
	through = fmt.Sprintf("postgres://atlante@/atlante?host=%s&port=%d", dir, listen)
	admin = fmt.Sprintf("postgres://atlante@/pgbouncer?host=%s&port=%d&default_query_exec_mode=simple_protocol", dir, listen)
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			conn.Close(context.Background())
			return through, admin
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("pgbouncer exited: %v\n%s", err, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer does not answer: %v", err)
		}
	}
}

// TestServeThroughPgBouncer runs three `serve` processes through PgBouncer
// in transaction pooling mode: every endpoint family works through it with
// --database-pgbouncer (and serve refuses to start without it, naming the
// startup parameter PgBouncer refused), and under load from all three the
// server sees at most PgBouncer's pool of connections.
func TestServeThroughPgBouncer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	direct := storetest.NewURL(t)
	tokens := demoDatabase(t, direct)
	through, admin := startPgBouncer(t, direct)

	// pgx's defaults meet transaction pooling: a startup parameter it
	// refuses. With the flag: unnamed statements, and the server's
	// statement_timeout from PgBouncer's connect_query.
	if _, err := store.Open(ctx, store.Config{URL: through, StatementTimeout: 25 * time.Second}); err == nil || !strings.Contains(err.Error(), "statement_timeout") {
		t.Errorf("store.Open through PgBouncer without PgBouncer mode: %v; want PgBouncer's refusal of statement_timeout", err)
	}
	db, err := store.Open(ctx, store.Config{URL: through, PgBouncer: true})
	if err != nil {
		t.Fatal(err)
	}
	var timeout, workers string
	err = db.Write.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('max_parallel_workers_per_gather')").Scan(&timeout, &workers)
	db.Close()
	if err != nil || timeout != "25s" || workers != "0" {
		t.Errorf("statement_timeout, max_parallel_workers_per_gather through PgBouncer = %q, %q, %v; want 25s and 0 from its connect_query", timeout, workers, err)
	}

	const poolSize = 8
	globals := []string{"--database-url", through + "&pool_max_conns=" + strconv.Itoa(poolSize), "--database-pgbouncer"}
	serveArgs := []string{"--version-poll", "200ms"}
	ins := []*instance{
		startServe(t, "a", "", globals, serveArgs),
		startServe(t, "b", "", globals, serveArgs),
		startServe(t, "c", "", globals, serveArgs),
	}
	a := ins[0]

	conn, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var scenario, community int64
	var lon, lat float64
	if err := conn.QueryRow(ctx, `SELECT s.id, ST_X(p), ST_Y(p), (SELECT min(id) FROM cer_communities)
		FROM cp_scenarios s, ST_PointOnSurface(s.geom) p WHERE s.istat_code = '019035' ORDER BY s.id LIMIT 1`).Scan(&scenario, &lon, &lat, &community); err != nil {
		t.Fatal(err)
	}
	point := fmt.Sprintf(`{"type":"Point","coordinates":[%f,%f]}`, lon, lat)
	square := fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[1]f,%[2]f],[%[3]f,%[2]f],[%[3]f,%[4]f],[%[1]f,%[4]f],[%[1]f,%[2]f]]]}`, lon-0.01, lat-0.01, lon+0.01, lat+0.01)
	families := []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/collections", "", "", 200},
		{"GET", "/collections/comuni/items?limit=5", "", "", 200},
		{"GET", "/collections/comuni/items/019035", "", "", 200},
		{"GET", fmt.Sprintf("/collections/civici/items?limit=50&bbox=%f,%f,%f,%f", lon-0.01, lat-0.01, lon+0.01, lat+0.01), "", "", 200},
		{"GET", "/collections/scenarios/queryables", "", "", 200},
		{"GET", "/tiles/comuni.json", "", "", 200},
		{"GET", "/tiles/civici/12/2170/1468.mvt", "", "", 200},
		{"GET", "/collections/scenarios/tiles/WebMercatorQuad/12/1468/2170", "", "", 200},
		{"GET", "/coverage/stats?comune=019035", "", "", 200},
		{"POST", "/coverage/stats", "", square, 200},
		{"GET", "/coverage/search?q=via+roma", "", "", 200},
		{"GET", fmt.Sprintf("/coverage/nearest?lon=%f&lat=%f&radius=500", lon, lat), "", "", 200},
		{"GET", "/civil-protection/plans", "", "", 200},
		{"GET", fmt.Sprintf("/civil-protection/scenarios/%d/exposure", scenario), "", "", 200},
		{"GET", "/civil-protection/plans/019035/crisis-unit", tokens["editor"], "", 200},
		{"POST", "/civil-protection/plans/019035/crisis-unit", tokens["editor"], `{"role":"volontariato","name":"Volontario di PgBouncer","phone":"+39 000 777 0042"}`, 201},
		{"GET", "/energy/communities", "", "", 200},
		{"GET", fmt.Sprintf("/energy/communities/%d/eligibility", community), "", "", 200},
		{"GET", "/energy/comuni/019035/figures", "", "", 200},
		{"GET", fmt.Sprintf("/energy/zones/at?lon=%f&lat=%f", lon, lat), "", "", 200},
	}
	for _, f := range families {
		mustDo(t, f.want, a.base+f.path, f.method, f.token, f.body)
	}
	// Writes, each in a transaction of its own; the other instances follow.
	h, _ := mustDo(t, http.StatusCreated, a.base+"/collections/strategic-buildings/items", "POST", tokens["editor"],
		`{"type":"Feature","properties":{"istat_code":"019035","kind":"scuola","name":"Scuola di PgBouncer"},"geometry":`+point+`}`,
		"Content-Type", "application/geo+json")
	loc, tag := h.Get("Location"), h.Get("ETag")
	h, _ = mustDo(t, http.StatusOK, loc, "PATCH", tokens["editor"], `{"properties":{"name":"Scuola di PgBouncer, rinominata"}}`,
		"Content-Type", "application/merge-patch+json", "If-Match", tag)
	path, _ := neturlPath(loc)
	for _, in := range ins[1:] {
		waitFor(t, in.name+" shows the PATCH made through a", 10*time.Second, func() bool {
			_, _, b := httpDo(in.base+path, "GET", "", "")
			return strings.Contains(string(b), "rinominata")
		})
	}
	mustDo(t, http.StatusNoContent, loc, "DELETE", tokens["editor"], "", "If-Match", h.Get("ETag"))

	// Load from the three instances; count connections meanwhile.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	var requests int
	for i := range 3 * 6 {
		in := ins[i%3]
		wg.Go(func() {
			for j := i; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				f := families[j%len(families)]
				if f.method != "GET" {
					continue
				}
				st, _, b := httpDo(in.base+f.path, f.method, f.token, f.body)
				mu.Lock()
				requests++
				if st != f.want {
					failures = append(failures, fmt.Sprintf("%s %s = %d %.200s", f.method, f.path, st, b))
				}
				mu.Unlock()
			}
		})
	}
	adminConn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adminConn.Close(ctx)
	maxServer, maxClients, maxBouncerServer := 0, 0, 0
	for range 20 {
		time.Sleep(150 * time.Millisecond)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		maxServer = max(maxServer, n)
		cl, sv := pools(t, adminConn)
		maxClients, maxBouncerServer = max(maxClients, cl), max(maxBouncerServer, sv)
	}
	close(stop)
	wg.Wait()
	t.Logf("3 instances x pool_max_conns=%d through PgBouncer (transaction pooling, default_pool_size=%d): %d requests, %d failed; "+
		"at most %d client connections at PgBouncer, %d server connections by PgBouncer, %d backends at PostgreSQL",
		poolSize, pgBouncerPoolSize, requests, len(failures), maxClients, maxBouncerServer, maxServer)
	for i, f := range failures {
		if i == 10 {
			break
		}
		t.Error(f)
	}
	if maxServer > pgBouncerPoolSize {
		t.Errorf("%d backends at PostgreSQL for the test database, want at most PgBouncer's pool of %d", maxServer, pgBouncerPoolSize)
	}
	if maxClients <= pgBouncerPoolSize {
		t.Errorf("at most %d client connections at PgBouncer: the load did not need more than the pool", maxClients)
	}
}

// pools sums PgBouncer's client and server connections of database
// "atlante" (SHOW POOLS on the admin console).
func pools(t testing.TB, admin *pgx.Conn) (clients, servers int) {
	t.Helper()
	rows, err := admin.Query(context.Background(), "SHOW POOLS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]any{}
		for i, fd := range rows.FieldDescriptions() {
			col[fd.Name] = vals[i]
		}
		if col["database"] != "atlante" {
			continue
		}
		num := func(name string) int {
			switch v := col[name].(type) {
			case int64:
				return int(v)
			case int32:
				return int(v)
			case string:
				n, _ := strconv.Atoi(v)
				return n
			}
			return 0
		}
		clients += num("cl_active") + num("cl_waiting")
		servers += num("sv_active") + num("sv_idle") + num("sv_used") + num("sv_tested") + num("sv_login")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return clients, servers
}
