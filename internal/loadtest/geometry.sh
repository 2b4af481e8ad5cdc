#!/usr/bin/env bash
# Geometry limits: the worst case at each limit of geo.DefaultLimits.
#   bench   one process per case of geo/repair's BenchmarkWorstCase: time, CPU
#           and peak RSS growth (getrusage, so GEOS's C heap counts)
#   server  POST /coverage/stats with each adversarial area against a running
#           `atlante serve`: status, time per request, and the server's peak RSS
#           growth (VmHWM, reset before each case) with CONC requests at once
# Loads only 127.0.0.1; stops the server and the cluster it started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${BENCH_DIR:-/tmp/atl-geom}
PORT=${PORT:-18101}
N=${N:-20}        # requests per case
CONC=${CONC:-4}   # at once (the default --heavy-requests)
STEPS=${*:-bench server}
mkdir -p "$OUT"
cd "$ROOT"

bench() {
	go test -c -o "$OUT/repair.test" ./geo/repair
	for c in random-2000 random-at-vertices spikes-at-vertices spikes-at-crossings circle-at-vertices comb-at-vertices \
		accordion-at-overlaps accordion-over-overlaps accordion-at-vertices spiral-20000 grid-at-crossings holes-at-limit parts-at-limit \
		rings-at-limit depth-at-limit; do
		"$OUT/repair.test" -test.run '^$' -test.bench "WorstCase/$c\$" -test.benchtime 5x | grep -E '^Benchmark|refused|accepted' |
			sed 's/worstcase_test.go:[0-9]*: //'
	done
}

kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }

# ticks PID: user+system clock ticks of a process; pg_ticks: of the
# cluster's postmaster, its live children and the reaped ones.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
	local pm; pm=$(head -1 "$OUT/db/pg/pgdata/postmaster.pid")
	{ awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"; for c in $(pgrep -P "$pm"); do ticks "$c"; done; } | awk '{s += $1} END {print s}'
}

server() {
	go build -o "$OUT/atlante" ./cmd/atlante
	go run ./internal/loadtest/geombodies "$OUT/bodies"
	"$OUT/atlante" serve --demo --data-dir "$OUT/db" --addr "127.0.0.1:$PORT" --log-level warn > "$OUT/serve.log" 2>&1 &
	SERVER_PID=$!
	local pid=$SERVER_PID
	trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; "$OUT/atlante" db stop --data-dir "$OUT/db" >/dev/null 2>&1 || true' EXIT
	for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 1; done
	# warm up: one request of each kind
	curl -s -o /dev/null -X POST -H 'Content-Type: application/geo+json' --data-binary @"$OUT/bodies/circle-at-vertices.geojson" "http://127.0.0.1:$PORT/coverage/stats"
	local hz; hz=$(getconf CLK_TCK)
	printf '%-24s %6s %9s %7s %7s %9s %8s %7s %11s\n' case KB status p50_s max_s atl_cpu_ms pg_cpu_ms rss_MB peak+_MB/req
	for f in "$OUT"/bodies/*.geojson; do
		sleep 1 # let the previous case settle
		local name; name=$(basename "$f" .geojson)
		echo 5 > "/proc/$pid/clear_refs"
		local rss0; rss0=$(kb VmRSS $pid)
		local a0 p0; a0=$(ticks $pid); p0=$(pg_ticks)
		seq "$N" | xargs -P "$CONC" -I{} curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST \
			-H 'Content-Type: application/geo+json' --data-binary @"$f" "http://127.0.0.1:$PORT/coverage/stats" > "$OUT/$name.times"
		local hwm; hwm=$(kb VmHWM $pid)
		local a1 p1; a1=$(ticks $pid); p1=$(pg_ticks)
		sort -k2 -n "$OUT/$name.times" | awk -v name="$name" -v kb="$(($(stat -c %s "$f") / 1024))" -v rss0="$rss0" -v hwm="$hwm" -v conc="$CONC" \
			-v acpu="$(( (a1 - a0) * 1000 / hz / N ))" -v pcpu="$(( (p1 - p0) * 1000 / hz / N ))" '
			{ s[NR] = $2; codes[$1]++ }
			END { c = ""; for (k in codes) c = c k "x" codes[k] " ";
			      printf "%-24s %6d %9s %7.3f %7.3f %9d %8d %7.0f %11.1f\n", name, kb, c, s[int((NR+1)/2)], s[NR], acpu, pcpu, rss0/1024, (hwm-rss0)/1024/conc }'
	done
}

for s in $STEPS; do "$s"; done
