#!/usr/bin/env bash
# bench.sh measures Atlante under load on this machine: a cold `make run`,
# comuni and civici tiles, items pages and coverage statistics over one
# million civic numbers. Every figure of internal/loadtest/README.md comes
# from one of its steps. Only loopback addresses are loaded; every run is
# bounded in time; the servers and the cluster it starts are stopped again.
#
#   internal/loadtest/bench.sh [step ...]
#
# Steps: setup coldrun comuni-tiles items stats civici-tiles sizes load64
# summary (default: all but coldrun). Figures are appended to RESULTS, one line per
# run; summary prints their medians.
#
# Environment: BENCH_DIR (default /tmp/atl-bench: binary, data, cluster,
# logs), PORT (18091), CIVICI (1000000), DURATION (seconds per wrk run, 10),
# CONNS (16), THREADS (wrk threads, 2), REPEAT (runs per figure; 3),
# LOAD_SECONDS (load64's run, 60), LOAD_CONNS (its connections, 64),
# RESULTS (BENCH_DIR/results.txt), ATLANTE (the binary; default: built from
# this tree into BENCH_DIR).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/atl-bench}
PORT=${PORT:-18091}
CIVICI=${CIVICI:-1000000}
DURATION=${DURATION:-10}
LOAD_SECONDS=${LOAD_SECONDS:-60}
LOAD_CONNS=${LOAD_CONNS:-64}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-3}
DB="$BENCH_DIR/db"
URL="http://127.0.0.1:$PORT"
RESULTS=${RESULTS:-$BENCH_DIR/results.txt} # appended to; summary reads it whole
SHARED=${SHARED:-$ROOT/../shared}       # the project's shared/ (real ISTAT boundaries)
# The Cremasco: the extent of the comuni layer.
BBOX=(9.4544 45.2321 9.9114 45.5045)

missing=""
for tool in wrk:wrk hey:hey jq:jq psql:postgresql-client curl:curl bc:bc git:git; do
	command -v "${tool%%:*}" >/dev/null || missing="$missing ${tool#*:}"
done
if [ -n "$missing" ]; then
	echo "bench.sh needs:$missing; install them with:  sudo apt-get install$missing" >&2
	exit 1
fi

mkdir -p "$BENCH_DIR"
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
result() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

ATLANTE=${ATLANTE:-}
if [ -z "$ATLANTE" ]; then
	ATLANTE="$BENCH_DIR/atlante"
	(cd "$ROOT" && go build -o "$ATLANTE" ./cmd/atlante)
fi

started_cluster=0
server_pid=""
cleanup() {
	stop_server
	if [ "$started_cluster" = 1 ]; then "$ATLANTE" db stop --data-dir "$DB" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

ensure_cluster() {
	if ! "$ATLANTE" db status --data-dir "$DB" 2>/dev/null | grep -q '^running'; then
		"$ATLANTE" db start --data-dir "$DB" --log-format text >/dev/null 2>&1
		started_cluster=1
	fi
	DBURL=$("$ATLANTE" db url --data-dir "$DB")
}

psql_q() { psql "$DBURL" -XAtq -c "$1"; }

# start_server FLAGS... starts `atlante serve` on PORT with the default log
# level (one JSON access line per request, to a file, as in production).
start_server() {
	stop_server
	"$ATLANTE" serve --addr "127.0.0.1:$PORT" --data-dir "$DB" --log-format json "$@" >"$BENCH_DIR/serve.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 1 100); do
		curl -sf -o /dev/null "$URL/healthz" && return 0
		sleep 0.1
	done
	log "server did not start; see $BENCH_DIR/serve.log"
	exit 1
}

stop_server() {
	if [ -n "$server_pid" ]; then
		kill -INT "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=""
	fi
}

# cpu_ticks PID: user+system clock ticks of one process.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# pg_ticks: user+system ticks of the cluster's postmaster, of its live
# children and of those already reaped (cutime+cstime), so that backends
# that exit during a run still count.
pg_ticks() {
	local pm
	pm=$(head -1 "$DB/pg/pgdata/postmaster.pid")
	{
		awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
		for c in $(pgrep -P "$pm"); do cpu_ticks "$c"; done
	} | awk '{s += $1} END {print s}'
}

# wrk_run NAME PATHFILE [HEADER]: one wrk run of DURATION seconds at CONNS
# connections; prints its RESULT line with the CPU seconds of the server
# and of PostgreSQL per request and the server's peak RSS during the run.
wrk_run() {
	local name=$1 paths=$2 header=${3:-} a0 p0 a1 p1 out hz
	hz=$(getconf CLK_TCK)
	echo 5 >"/proc/$server_pid/clear_refs" # reset VmHWM to the current RSS
	a0=$(cpu_ticks "$server_pid")
	p0=$(pg_ticks)
	out=$(PATHS="$paths" NTHREADS=$THREADS HEADER="$header" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency \
		-s "$HERE/paths.lua" "$URL" | grep '^RESULT')
	a1=$(cpu_ticks "$server_pid")
	p1=$(pg_ticks)
	local hwm reqs
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
	reqs=$(sed 's/.*reqs=\([0-9]*\).*/\1/' <<<"$out")
	result "$name ${out#RESULT } atlante_cpu_ms_per_req=$(echo "scale=2; ($a1 - $a0) * 1000 / $hz / $reqs" | bc)" \
		"pg_cpu_ms_per_req=$(echo "scale=2; ($p1 - $p0) * 1000 / $hz / $reqs" | bc) peak_rss_mb=$((hwm / 1024))"
}

# warm PATHFILE: request every path once (fills the tile cache).
warm() { sed "s|^|$URL|" "$1" | xargs -P 4 -I{} curl -s -o /dev/null {}; }

tile_paths() { # LAYER Z0 Z1 -> a path file
	local f="$BENCH_DIR/tiles-$1-z$2-$3.txt"
	awk -v minlon="${BBOX[0]}" -v minlat="${BBOX[1]}" -v maxlon="${BBOX[2]}" -v maxlat="${BBOX[3]}" -v z0="$2" -v z1="$3" \
		-f "$HERE/tiles.awk" | sed "s|^|/tiles/$1/|; s|$|.mvt|" >"$f"
	echo "$f"
}

step_setup() {
	ensure_cluster
	local n
	n=$(psql_q "SELECT count(*) FROM civici" 2>/dev/null || echo 0)
	if [ "$n" -ge "$CIVICI" ]; then
		log "setup: $n civic numbers already loaded"
		return
	fi
	log "setup: demo data, then the real ISTAT boundaries of the 48 comuni of the Cremasco"
	"$ATLANTE" demo --data-dir "$DB" --log-format text >"$BENCH_DIR/demo.log" 2>&1
	local codes
	codes=$(awk -F, '$7 == "yes" {printf "%s\"%s\"", sep, $1; sep = ","}' "$SHARED/data/comuni-facts.csv")
	jq -c "{type, features: [.features[] | select(.properties.pro_com_t as \$c | [$codes] | index(\$c))]}" \
		"$SHARED/data/cremona-comuni.geojson" >"$BENCH_DIR/cremasco-real.geojson"
	"$ATLANTE" import comuni "$BENCH_DIR/cremasco-real.geojson" --data-dir "$DB" --log-format text >/dev/null 2>&1
	# Only the bench file's civic numbers: drop the demo's.
	psql_q "TRUNCATE civici, coverage_offers, civici_best, civici_tile_cells, coverage_cells, coverage_streets, coverage_comuni_stats"
	if [ ! -f "$BENCH_DIR/data/anncsu.csv" ]; then
		"$ATLANTE" demo bench-data --civici "$CIVICI" --out "$BENCH_DIR/data" >&2
	fi
	local t0 t1 t2
	t0=$(date +%s.%N)
	"$ATLANTE" import civici "$BENCH_DIR/data/anncsu.csv" --data-dir "$DB" --log-format text >"$BENCH_DIR/import-civici.log" 2>&1
	t1=$(date +%s.%N)
	"$ATLANTE" import coverage "$BENCH_DIR/data/coverage.csv" --data-dir "$DB" --log-format text >"$BENCH_DIR/import-coverage.log" 2>&1
	t2=$(date +%s.%N)
	result "import civici=$(psql_q 'SELECT count(*) FROM civici') civici_s=$(echo "$t1 - $t0" | bc | cut -c1-5) coverage_s=$(echo "$t2 - $t1" | bc | cut -c1-5)"
	psql_q "VACUUM ANALYZE"
}

# coldrun: a fresh clone, `make run` until the map page answers (Go build
# cache and npm cache of this machine are warm).
step_coldrun() {
	local dir="$BENCH_DIR/fresh" port=$((PORT + 1)) t0 t1 pid
	rm -rf "$dir"
	git clone -q "$ROOT" "$dir"
	t0=$(date +%s.%N)
	(cd "$dir" && exec make run ADDR="127.0.0.1:$port" >"$BENCH_DIR/makerun.log" 2>&1) &
	for _ in $(seq 1 2400); do
		if curl -sf -o /dev/null -H 'Accept: text/html' "http://127.0.0.1:$port/"; then break; fi
		sleep 0.25
	done
	t1=$(date +%s.%N)
	result "coldrun make_run_to_map_s=$(echo "$t1 - $t0" | bc | cut -c1-5)"
	pid=$(pgrep -f "bin/atlante serve --demo --addr 127.0.0.1:$port" || true)
	[ -n "$pid" ] && kill -INT "$pid"
	sleep 2
	"$dir/bin/atlante" db stop --data-dir "$dir/.atlante" >/dev/null 2>&1 || true
	rm -rf "$dir"
}

repeat() { for _ in $(seq 1 "$REPEAT"); do "$@"; done; }

step_comuni_tiles() {
	ensure_cluster
	local z f
	for cache in 256 0; do
		start_server --tile-cache-mb "$cache"
		for z in 8 9 10 11 12 13 14; do
			f=$(tile_paths comuni "$z" "$z")
			[ "$cache" != 0 ] && warm "$f"
			repeat wrk_run "comuni-tiles z=$z cache_mb=$cache tiles=$(wc -l <"$f")" "$f"
		done
	done
	stop_server
}

step_items() {
	ensure_cluster
	start_server
	local f
	for limit in 1000 10000; do
		f="$BENCH_DIR/items-$limit.txt"
		for off in $(seq 0 "$limit" $((200000 - limit))); do echo "/collections/civici/items?limit=$limit&offset=$off"; done | shuf --random-source=<(yes) >"$f"
		curl -sf -o /dev/null "$URL$(head -1 "$f")" # numberMatched is counted once per filter, then cached
		repeat wrk_run "items limit=$limit offsets<200k" "$f"
	done
	# bbox windows of about 0.02 x 0.015 degrees across the Cremasco, 1000 per page
	f="$BENCH_DIR/items-bbox.txt"
	awk 'BEGIN { srand(1); for (i = 0; i < 200; i++) { x = 9.55 + rand() * 0.28; y = 45.30 + rand() * 0.14;
		printf "/collections/civici/items?limit=10000&bbox=%.4f,%.4f,%.4f,%.4f\n", x, y, x + 0.02, y + 0.015 } }' >"$f"
	repeat wrk_run "items limit=10000 bbox-windows" "$f"
	stop_server
}

step_stats() {
	ensure_cluster
	start_server
	curl -sf "$URL/collections/comuni/items/019035" >"$BENCH_DIR/crema.json"
	psql_q "SELECT ST_AsGeoJSON(ST_Union(geom), 7) FROM comuni" >"$BENCH_DIR/cremasco.json"
	local name body
	for name in crema cremasco; do
		body="$BENCH_DIR/$name.json"
		curl -sf -o /dev/null -X POST --data-binary @"$body" "$URL/coverage/stats" # warm the caches of PostgreSQL
		for _ in $(seq 1 "$REPEAT"); do
			hey -n 200 -c 4 -m POST -T application/geo+json -D "$body" "$URL/coverage/stats" >"$BENCH_DIR/hey.out"
			result "stats area=$name $(awk '/Requests\/sec/ {printf "rps=%s ", $2} / 50% in/ {printf "p50_ms=%.1f ", $3 * 1000}
				/ 99% in/ {printf "p99_ms=%.1f ", $3 * 1000} /Slowest/ {printf "max_ms=%.1f ", $2 * 1000}
				/\[200\]/ {printf "ok=%s", $2}' "$BENCH_DIR/hey.out")"
		done
	done
	stop_server
}

step_civici_tiles() {
	ensure_cluster
	local z f
	for cache in 0 256; do
		start_server --tile-cache-mb "$cache"
		for z in 10 12 14; do
			f=$(tile_paths civici "$z" "$z")
			[ "$cache" != 0 ] && warm "$f"
			repeat wrk_run "civici-tiles z=$z cache_mb=$cache tiles=$(wc -l <"$f")" "$f"
		done
		if [ "$cache" != 0 ]; then
			f=$(tile_paths civici 14 14)
			repeat wrk_run "civici-tiles z=14 cache_mb=$cache gzip" "$f" "Accept-Encoding: gzip"
		fi
	done
	stop_server
}

# sizes: every civici tile over the Cremasco from z8 to z16, one by one
# without cache: the largest tile and the slowest ones.
step_sizes() {
	ensure_cluster
	start_server --tile-cache-mb 0
	local f
	f=$(tile_paths civici 8 16)
	sed "s|^|$URL|" "$f" | while read -r u; do
		curl -s -o /dev/null -w "%{size_download} %{time_total} %{http_code} $u\n" "$u"
	done >"$BENCH_DIR/civici-sizes.txt"
	result "civici-tile-sizes tiles=$(wc -l <"$f") max_bytes=$(sort -n "$BENCH_DIR/civici-sizes.txt" | tail -1 | cut -d' ' -f1)" \
		"over_500KB=$(awk '$1 > 500 * 1024' "$BENCH_DIR/civici-sizes.txt" | wc -l) non200=$(awk '$3 != 200' "$BENCH_DIR/civici-sizes.txt" | wc -l)"
	log "slowest tiles:"
	sort -k2 -n -r "$BENCH_DIR/civici-sizes.txt" | head -5 >&2
	stop_server
}

# load64: LOAD_CONNS connections for LOAD_SECONDS over a mix of ordinary
# reads and the hostile corpus (internal/hostile), with tokens made for the
# run; counts answers by status class and the errors (5xx, connections
# closed or broken, answers over the 10 s bound) and fails on any.
step_load64() {
	ensure_cluster
	start_server
	local vars="$BENCH_DIR/load64-vars.txt" out="$BENCH_DIR/load64.out" a=("$ATLANTE" --data-dir "$DB" --log-format text)
	token() { "${a[@]}" token create --role "$1" ${2:+--comuni "$2"} --name "load64 $1 ${2:-}" 2>&1 | grep -o 'atl_[a-z0-9]*' | head -1; }
	{
		echo "editor=$(token editor 019035)"
		echo "other=$(token editor 019005)"
		echo "admin=$(token admin)"
		echo "reader=$(token private-reader 019035)"
		echo "validator=$(token validator 019035)"
		echo "revoked=$(token editor 019035)"
	} >"$vars"
	"${a[@]}" token revoke "$("${a[@]}" token list 2>/dev/null | awk 'NR == 2 {print $1}')" >/dev/null 2>&1
	psql "$DBURL" -XAtq -F= -c "
		SELECT 'scenario', min(id) FROM cp_scenarios WHERE istat_code = '019035'
		UNION ALL SELECT 'other_scenario', min(id) FROM cp_scenarios WHERE istat_code = '019005'
		UNION ALL SELECT 'building', min(id) FROM cp_buildings WHERE istat_code = '019035'
		UNION ALL SELECT 'area', min(id) FROM cp_emergency_areas WHERE istat_code = '019035' AND GeometryType(geom) = 'MULTIPOLYGON'
		UNION ALL SELECT 'member', min(id) FROM cp_crisis_unit WHERE istat_code = '019035'
		UNION ALL SELECT 'community', min(id) FROM cer_communities WHERE '019035' = ANY (comuni)
		UNION ALL SELECT 'site', min(id) FROM cer_sites WHERE istat_code = '019035'
		UNION ALL SELECT 'civico', min(id) FROM civici WHERE istat_code = '019035'" >>"$vars"
	(cd "$ROOT" && go build -o "$BENCH_DIR/load64" ./internal/loadtest/load64)
	local status=0
	"$BENCH_DIR/load64" -url "$URL" -vars "$vars" -conns "$LOAD_CONNS" -duration "${LOAD_SECONDS}s" | tee "$out" || status=$?
	result "load64 conns=$LOAD_CONNS seconds=$LOAD_SECONDS $(sed -n 's/^requests \([0-9]*\) (\([0-9]*\)\/s), \([0-9]*\) hostile: 2xx \([0-9]*\), 3xx \([0-9]*\), 4xx \([0-9]*\), 5xx \([0-9]*\); shed .* \([0-9]*\)$/requests=\1 rps=\2 hostile=\3 2xx=\4 3xx=\5 4xx=\6 5xx=\7 shed=\8/p' "$out")" \
		"$(sed -n 's/^errors: 5xx \([0-9]*\), closed without an answer \([0-9]*\).*over the bound \([0-9]*\), connection errors \([0-9]*\)$/closed=\2 over_bound=\3 conn_errors=\4/p' "$out")" \
		"$(sed -n 's/^latency: p50 \([^,]*\), p90 \([^,]*\), p99 \([^,]*\), max \(.*\)$/p50=\1 p99=\3 max=\4/p' "$out")" \
		"peak_rss_mb=$(($(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status") / 1024))"
	stop_server
	return "$status"
}

# summary: the median of every figure over the REPEAT runs in RESULTS.
step_summary() { awk -f "$HERE/summary.awk" "$RESULTS"; }

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(setup comuni-tiles items stats civici-tiles sizes load64 summary)
result "# $(date -u +%Y-%m-%dT%H:%MZ) $(git -C "$ROOT" describe --always --dirty) $(nproc) cores, conns=$CONNS duration=${DURATION}s repeat=$REPEAT"
for s in "${steps[@]}"; do
	log "step $s"
	"step_${s//-/_}"
done
