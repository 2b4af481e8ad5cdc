#!/usr/bin/env bash
# bench.sh measures Atlante under load on this machine: a cold `make run`,
# comuni and civici tiles, items pages and coverage statistics over one
# million civic numbers. Every figure of internal/loadtest/README.md comes
# from one of its steps. Only loopback addresses are loaded; every run is
# bounded in time; the servers and the cluster it starts are stopped again.
#
#   internal/loadtest/bench.sh [step ...]
#
# Steps: setup coldrun comuni-tiles items filters stats civici-tiles sizes
# load64 summary (default: all but coldrun), and prebuild z14-ab base-ab
# tiles-compare peers stats-ab pgo pgo-ab (see README.md). Figures are appended to RESULTS, one
# line per run; summary prints their medians.
#
# National scale (not in the default list; its own cluster in
# BENCH_DIR/national): national-setup generates NATIONAL_COMUNI (1500)
# synthetic comuni on a region-sized grid and NATIONAL_CIVICI (5000000) civic
# numbers over them and times their import; national measures size,
# statistics, tiles, items and the rebuild after a 1 % update.
#
# Environment: BENCH_DIR (default /tmp/atl-bench: binary, data, cluster,
# logs), PORT (18091), CIVICI (1000000), DURATION (seconds per wrk run, 10),
# CONNS (16), THREADS (wrk threads, 2), REPEAT (runs per figure; 3),
# LOAD_SECONDS (load64's run, 60), LOAD_CONNS (its connections, 64),
# RESULTS (BENCH_DIR/results.txt), ATLANTE (the binary; default: built from
# this tree into BENCH_DIR), BASE (an older binary for base-ab, stats-ab and
# tiles-compare), PEER_TILES and PEER_ITEMS (URL templates of other servers
# on the same database, for peers; PEER_RESTART, a command run before each
# peer items run), PGO_SECONDS (pgo: seconds per workload, 5).
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
NATIONAL_CIVICI=${NATIONAL_CIVICI:-5000000}
NATIONAL_COMUNI=${NATIONAL_COMUNI:-1500}
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
	if [ "${NATIONAL:-0}" = 1 ]; then DB="$BENCH_DIR/national"; fi
	if ! "$ATLANTE" db status --data-dir "$DB" 2>/dev/null | grep -q '^running'; then
		"$ATLANTE" db start --data-dir "$DB" --log-format text >/dev/null 2>&1
		started_cluster=1
	fi
	DBURL=$("$ATLANTE" db url --data-dir "$DB")
}

psql_q() { psql "$DBURL" -XAtq -c "$1"; }

# start_server FLAGS... starts `atlante serve` on PORT with the default log
# level (one JSON access line per request, to a file, as in production).
# SERVER (default ATLANTE) is the binary.
start_server() {
	local help args=()
	stop_server
	help=$("${SERVER:-$ATLANTE}" serve --help 2>&1 || true)
	if [[ $help == *tile-prebuild-mb* ]]; then
		args=("$@")
	else # a binary from before the prebuild: the flag would stop it
		while [ $# -gt 0 ]; do
			if [ "$1" = --tile-prebuild-mb ]; then shift 2; else args+=("$1") && shift; fi
		done
		set -- --tile-prebuild-mb 0
	fi
	"${SERVER:-$ATLANTE}" serve --addr "127.0.0.1:$PORT" --data-dir "$DB" --log-format json "${args[@]}" >"$BENCH_DIR/serve.log" 2>&1 &
	server_pid=$!
	log_mark=0
	for _ in $(seq 1 100); do
		if curl -sf -o /dev/null "$URL/healthz"; then
			# Measure after the background prebuild of the small layers,
			# unless it is off.
			if [[ " $* " != *" --tile-prebuild-mb 0 "* ]]; then
				wait_prebuilt "$prebuild_layers"
			fi
			return 0
		fi
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
	result "$name ${out#RESULT } atlante_cpu_ms_per_req=$(echo "scale=3; ($a1 - $a0) * 1000 / $hz / $reqs" | bc)" \
		"pg_cpu_ms_per_req=$(echo "scale=3; ($p1 - $p0) * 1000 / $hz / $reqs" | bc) peak_rss_mb=$((hwm / 1024))"
}

# wait_prebuilt N: wait until the server logged N more "tiles prebuilt"
# lines than it had at the call of mark_log (at most 300 s), and record
# each one.
mark_log() { log_mark=$(grep -c '"tiles prebuilt"' "$BENCH_DIR/serve.log" || true); }
wait_prebuilt() {
	local n
	for _ in $(seq 1 3000); do
		n=$(grep -c '"tiles prebuilt"' "$BENCH_DIR/serve.log" || true)
		[ "$n" -ge $((log_mark + $1)) ] && break
		sleep 0.1
	done
	grep '"tiles prebuilt"' "$BENCH_DIR/serve.log" | tail -n +$((log_mark + 1)) | jq -r '"prebuild layer=\(.layer) tiles=\(.tiles) bytes=\(.bytes) complete=\(.complete) prebuild_ms=\(.duration_ms)"' |
		while read -r line; do result "$line"; done
	mark_log
}
# prebuild_layers: how many layers the server prebuilds.
prebuild_layers=4

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

# comuni-tiles: cache on (warmed), then cold (no cache, no prebuilt tiles),
# then the prebuilt tiles alone (no cache).
step_comuni_tiles() {
	ensure_cluster
	local z f mode
	for mode in cache cold prebuilt; do
		case $mode in
		cache) start_server --tile-cache-mb 256 --tile-prebuild-mb 0 ;;
		cold) start_server --tile-cache-mb 0 --tile-prebuild-mb 0 ;;
		prebuilt) start_server --tile-cache-mb 0 ;;
		esac
		for z in 8 9 10 11 12 13 14; do
			f=$(tile_paths comuni "$z" "$z")
			[ "$mode" = cache ] && warm "$f"
			repeat wrk_run "comuni-tiles z=$z $mode tiles=$(wc -l <"$f")" "$f"
		done
	done
	stop_server
}

# prebuild: the background rebuild of the small layers after a data change,
# while cold civici z14 tiles are requested: its time, the server's memory,
# and the live requests' rate beside it.
step_prebuild() {
	ensure_cluster
	local f rss0 rss1
	f=$(tile_paths civici 14 14)
	start_server --tile-cache-mb 0 --tile-prebuild-mb 0
	rss0=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
	start_server --tile-cache-mb 0
	rss1=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
	result "prebuild memory rss_without_kb=$rss0 rss_with_kb=$rss1"
	for _ in $(seq 1 "$REPEAT"); do
		wrk_run "prebuild civici-tiles z=14 cold, no rebuild" "$f"
		# comuni, coverage-comuni and plan-status follow comuni's version
		psql_q "UPDATE comuni SET updated_at = updated_at WHERE istat_code = '019035'"
		wrk_run "prebuild civici-tiles z=14 cold, during a rebuild" "$f"
		wait_prebuilt 3
	done
	stop_server
}

# z14-ab: cold civici z14 tiles rendered on request (civici_tiles_z14
# emptied) against the pre-rendered ones, alternately; and the time to
# render them all.
step_z14_ab() {
	ensure_cluster
	local f t0 t1
	f=$(tile_paths civici 14 14)
	start_server --tile-cache-mb 0
	for _ in $(seq 1 "$REPEAT"); do
		psql_q "TRUNCATE civici_tiles_z14"
		wrk_run "z14-ab civici-tiles z=14 cold rendered" "$f"
		t0=$(date +%s.%N)
		psql_q "SELECT civici_tiles_z14_render()" >/dev/null
		t1=$(date +%s.%N)
		result "z14-ab render_all tiles=$(psql_q 'SELECT count(*) FROM civici_tiles_z14') render_s=$(echo "$t1 - $t0" | bc | cut -c1-5)"
		wrk_run "z14-ab civici-tiles z=14 cold pre-rendered" "$f"
	done
	stop_server
}

# base-ab: the binary BASE against ATLANTE, alternately, cold (no cache, no
# prebuilt tiles): comuni tiles z12 and z14, coverage-comuni z12 (civici z14
# is compared by z14-ab: both binaries read the same civici_tile).
step_base_ab() {
	ensure_cluster
	[ -n "${BASE:-}" ] || { log "base-ab needs BASE=an older atlante binary"; exit 1; }
	local f layer z bin
	for _ in $(seq 1 "$REPEAT"); do
		for bin in base new; do
			if [ $bin = base ]; then SERVER=$BASE start_server --tile-cache-mb 0; else start_server --tile-cache-mb 0 --tile-prebuild-mb 0; fi
			for layer in comuni:12 comuni:14 coverage-comuni:12; do
				z=${layer#*:}
				f=$(tile_paths "${layer%:*}" "$z" "$z")
				wrk_run "base-ab ${layer%:*}-tiles z=$z cold $bin" "$f"
			done
		done
	done
	stop_server
}

# tiles-compare: every tile of the prebuilt layers at z0–z14, civici at
# z10–z15, from BASE and from ATLANTE, decoded and compared (tilecmp); and
# every pre-rendered z14 civici tile against the one rendered on request.
step_tiles_compare() {
	ensure_cluster
	[ -n "${BASE:-}" ] || { log "tiles-compare needs BASE=an older atlante binary"; exit 1; }
	local bin dir f layer paths="$BENCH_DIR/compare-paths.txt"
	: >"$paths"
	for layer in comuni coverage-comuni plan-status energy-zones; do cat "$(tile_paths "$layer" 0 14)" >>"$paths"; done
	cat "$(tile_paths civici 10 15)" >>"$paths"
	for bin in base new; do
		dir="$BENCH_DIR/compare-$bin"
		rm -rf "$dir" && mkdir -p "$dir"
		if [ $bin = base ]; then SERVER=$BASE start_server --tile-cache-mb 0; else start_server --tile-cache-mb 0 --tile-prebuild-mb 0; fi
		while read -r p; do
			f=${p#/tiles/}
			curl -sf -o "$dir/${f//\//-}" "$URL$p"
		done <"$paths"
	done
	stop_server
	(cd "$ROOT" && go run ./internal/loadtest/tilecmp "$BENCH_DIR/compare-base" "$BENCH_DIR/compare-new") | tee -a "$RESULTS"
	result "tiles-compare civici z14 pre-rendered tiles differing from rendered: $(psql_q \
		"SELECT count(*) FILTER (WHERE mvt IS DISTINCT FROM civici_tile_render(14, x, y)) || ' of ' || count(*) FROM civici_tiles_z14")"
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

# filters: CQL2 filters (OGC API – Features Part 3) on the million civic
# numbers, 100 features a page, every request a different filter (so that
# numberMatched is counted each time; the server restarts before each run
# to forget the counts): a triangle drawn over the Cremasco, about
# 0.02 x 0.015 degrees (S_INTERSECTS), and a fragment of a street name
# typed without accents or capitals (ACCENTI(CASEI(street)) LIKE '%...%').
step_filters() {
	ensure_cluster
	local f
	f="$BENCH_DIR/filters-spatial.txt"
	awk 'BEGIN { srand(2); for (i = 0; i < 5000; i++) { x = 9.55 + rand() * 0.28; y = 45.30 + rand() * 0.14;
		printf "S_INTERSECTS(geometry, POLYGON((%.4f %.4f, %.4f %.4f, %.4f %.4f, %.4f %.4f)))\n", x, y, x + 0.02, y, x + 0.01, y + 0.015, x, y } }' |
		jq -Rr '"/collections/civici/items?limit=100&filter=" + @uri' >"$f"
	filter_runs "filter spatial-triangle limit=100" "$f"
	f="$BENCH_DIR/filters-street.txt"
	# every 5- to 7-letter piece of the words of the street names, lower case, no accents
	psql_q "SELECT DISTINCT lower(unaccent(w)) FROM (SELECT DISTINCT street FROM civici) s, regexp_split_to_table(street, ' ') w
		WHERE w ~ '^[[:alpha:]]{5,}$'" |
		awk '{ for (n = 5; n <= 7; n++) for (i = 1; i + n - 1 <= length($0); i++) print substr($0, i, n) }' | sort -u | shuf --random-source=<(yes) |
		awk '{ printf "ACCENTI(CASEI(street)) LIKE ACCENTI(CASEI(%c%%%s%%%c))\n", 39, $0, 39 }' |
		jq -Rr '"/collections/civici/items?limit=100&filter=" + @uri' >"$f"
	filter_runs "filter street-accenti-like limit=100" "$f"
}

# filter_runs NAME PATHFILE: REPEAT wrk runs, each on a fresh server.
filter_runs() {
	for _ in $(seq 1 "$REPEAT"); do
		start_server
		wrk_run "$1" "$2"
	done
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
		if [ "$cache" = 0 ]; then start_server --tile-cache-mb 0 --tile-prebuild-mb 0; else start_server --tile-cache-mb "$cache"; fi
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
	start_server --tile-cache-mb 0 --tile-prebuild-mb 0
	local f
	f=$(tile_paths civici 8 16)
	sed "s|^|$URL|" "$f" | while read -r u; do
		curl -s -o /dev/null -w "%{size_download} %{time_total} %{http_code} $u\n" "$u"
	done >"$BENCH_DIR/civici-sizes.txt"
	result "civici-tile-sizes tiles=$(wc -l <"$f") max_bytes=$(sort -n "$BENCH_DIR/civici-sizes.txt" | tail -1 | cut -d' ' -f1)" \
		"over_500KB=$(awk '$1 > 500 * 1024' "$BENCH_DIR/civici-sizes.txt" | wc -l) non200=$(awk '$3 != 200' "$BENCH_DIR/civici-sizes.txt" | wc -l)"
	log "slowest tiles:"
	sort -k2 -n -r "$BENCH_DIR/civici-sizes.txt" | sed -n 1,5p >&2 # sed reads it all: head would end sort with SIGPIPE, and pipefail the script
	stop_server
}

# peers: other tile and feature servers already running on the same
# database, alternated with Atlante in one run, with the ratios.
# PEER_TILES: URL templates with {z}/{x}/{y}, separated by spaces, each
# optionally prefixed by the Atlante layer it serves ("comuni=http://...");
# without the prefix the layer is the path segment before {z} without its
# schema (public.comuni -> comuni). PEER_ZOOMS (default "12 14") are the
# zooms compared. PEER_ITEMS: URL templates of items pages with {limit} and
# {bbox} (minlon,minlat,maxlon,maxlat), compared with Atlante's civici items
# over the same 200 bbox windows at 1,000 and 10,000 per page. Atlante runs
# cold (no cache, no prebuilt tiles) and as it ships (cache and prebuilt
# tiles); the peers as they are.
# peer_restart URL: runs PEER_RESTART (if set) and waits until URL answers
# 200. pg_featureserv 1.3 stops answering once wrk has closed connections
# in the middle of its answers (its database connections stay taken), so
# the peer is restarted before each of its runs.
peer_restart() {
	[ -n "${PEER_RESTART:-}" ] || return 0
	bash -c "$PEER_RESTART" >&2
	for _ in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1")" = 200 ] && return 0
		sleep 0.1
	done
	log "peers: $1 does not answer after PEER_RESTART"
	return 1
}

step_peers() {
	ensure_cluster
	[ -n "${PEER_TILES:-}${PEER_ITEMS:-}" ] || { log "peers: set PEER_TILES and/or PEER_ITEMS; nothing to compare"; return; }
	local entry layer tmpl z f pf base rounds peer_name a_rps p_rps mode flags
	for mode in cold shipped; do
		if [ $mode = cold ]; then flags="--tile-cache-mb 0 --tile-prebuild-mb 0"; else flags=""; fi
		# shellcheck disable=SC2086
		start_server $flags
		for entry in ${PEER_TILES:-}; do
			if [[ $entry =~ ^([a-z0-9_-]+)=(.*)$ ]]; then
				layer=${BASH_REMATCH[1]} tmpl=${BASH_REMATCH[2]}
			else
				tmpl=$entry layer=${entry%%/\{z\}*} layer=${layer##*/} layer=${layer##*.}
			fi
			base=$(sed -E 's|^(https?://[^/]+).*|\1|' <<<"$tmpl")
			for z in ${PEER_ZOOMS:-12 14}; do
				f=$(tile_paths "$layer" "$z" "$z")
				pf="$BENCH_DIR/peer-$layer-z$z.txt"
				sed -E "s|^/tiles/$layer/([0-9]+)/([0-9]+)/([0-9]+)\.mvt$|\1 \2 \3|" "$f" | while read -r tz tx ty; do
					t=${tmpl#"$base"}; t=${t//\{z\}/$tz}; t=${t//\{x\}/$tx}; echo "${t//\{y\}/$ty}"
				done >"$pf"
				[ $mode = shipped ] && warm "$f"
				for _ in $(seq 1 "$REPEAT"); do
					a_rps=$(wrk_run "peers $layer-tiles z=$z atlante $mode" "$f" | tee /dev/stderr | sed 's/.* rps=\([0-9.]*\).*/\1/')
					p_rps=$(URL=$base wrk_run "peers $layer-tiles z=$z peer $base" "$pf" | tee /dev/stderr | sed 's/.* rps=\([0-9.]*\).*/\1/')
					result "peers $layer-tiles z=$z atlante_$mode/peer ratio=$(echo "scale=2; $a_rps / $p_rps" | bc)"
				done
			done
		done
		[ $mode = cold ] || break
	done
	for tmpl in ${PEER_ITEMS:-}; do
		base=$(sed -E 's|^(https?://[^/]+).*|\1|' <<<"$tmpl")
		for limit in 1000 10000; do
			f="$BENCH_DIR/peer-items-atlante-$limit.txt"
			pf="$BENCH_DIR/peer-items-peer-$limit.txt"
			awk 'BEGIN { srand(1); for (i = 0; i < 200; i++) { x = 9.55 + rand() * 0.28; y = 45.30 + rand() * 0.14;
				printf "%.4f,%.4f,%.4f,%.4f\n", x, y, x + 0.02, y + 0.015 } }' >"$BENCH_DIR/peer-bboxes.txt"
			sed "s|^|/collections/civici/items?limit=$limit\&bbox=|" "$BENCH_DIR/peer-bboxes.txt" >"$f"
			while read -r b; do t=${tmpl#"$base"}; t=${t//\{limit\}/$limit}; echo "${t//\{bbox\}/$b}"; done <"$BENCH_DIR/peer-bboxes.txt" >"$pf"
			for _ in $(seq 1 "$REPEAT"); do
				a_rps=$(wrk_run "peers items limit=$limit bbox-windows atlante" "$f" | tee /dev/stderr | sed 's/.* rps=\([0-9.]*\).*/\1/')
				peer_restart "$base$(head -1 "$pf")"
				p_rps=$(URL=$base wrk_run "peers items limit=$limit bbox-windows peer $base" "$pf" | tee /dev/stderr | sed 's/.* rps=\([0-9.]*\).*/\1/')
				result "peers items limit=$limit bbox-windows atlante/peer ratio=$(echo "scale=2; $a_rps / $p_rps" | bc)"
			done
		done
	done
	stop_server
}

# timed NAME CMD...: runs an atlante command, and prints "NAME_s=… NAME_rss_mb=…"
# (wall time and the peak RSS of the atlante process, from GNU time).
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$BENCH_DIR/time.out" "$@" >"$BENCH_DIR/$name.log" 2>&1
	awk -v n="$name" '{printf "%s_s=%s %s_rss_mb=%d", n, $1, n, $2 / 1024}' "$BENCH_DIR/time.out"
}

step_national_setup() {
	NATIONAL=1
	ensure_cluster
	local n data="$BENCH_DIR/national-data"
	n=$(psql_q "SELECT count(*) FROM civici" 2>/dev/null || echo 0)
	if [ "$n" -ge "$NATIONAL_CIVICI" ]; then
		log "national-setup: $n civic numbers already loaded"
		return
	fi
	if [ ! -f "$data/coverage.csv" ]; then
		log "national-setup: generating $NATIONAL_CIVICI civic numbers over $NATIONAL_COMUNI comuni"
		rm -rf "$data.tmp"
		"$ATLANTE" demo bench-data --civici "$NATIONAL_CIVICI" --comuni "$NATIONAL_COMUNI" --out "$data.tmp" >&2
		rm -rf "$data" && mv "$data.tmp" "$data" # complete files only
	fi
	"$ATLANTE" migrate up --data-dir "$DB" --log-format text >/dev/null 2>&1
	local comuni civici coverage
	comuni=$(timed import_comuni "$ATLANTE" import comuni "$data/comuni.geojson" --data-dir "$DB" --log-format text)
	civici=$(timed import_civici "$ATLANTE" import civici "$data/anncsu.csv" --data-dir "$DB" --log-format text)
	coverage=$(timed import_coverage "$ATLANTE" import coverage "$data/coverage.csv" --data-dir "$DB" --log-format text)
	result "national import comuni=$(psql_q 'SELECT count(*) FROM comuni') civici=$(psql_q 'SELECT count(*) FROM civici')" \
		"offers=$(psql_q 'SELECT count(*) FROM coverage_offers') $comuni $civici $coverage"
	psql_q "VACUUM ANALYZE"
}

# hey_line NAME HEYARGS...: hey's rps, p50, p99 and max as a result line.
hey_line() {
	local name=$1
	shift
	hey "$@" >"$BENCH_DIR/hey.out"
	result "$name $(awk '/Requests\/sec/ {printf "rps=%s ", $2} / 50% in/ {printf "p50_ms=%.1f ", $3 * 1000}
		/ 99% in/ {printf "p99_ms=%.1f ", $3 * 1000} /Slowest/ {printf "max_ms=%.1f ", $2 * 1000}
		/\[200\]/ {printf "ok=%s", $2}' "$BENCH_DIR/hey.out")"
}

step_national() {
	NATIONAL=1
	ensure_cluster
	local data="$BENCH_DIR/national-data" f z
	result "national size db_mb=$(psql_q "SELECT pg_database_size(current_database()) / 1048576")" \
		"civici_mb=$(psql_q "SELECT pg_total_relation_size('civici') / 1048576")" \
		"offers_mb=$(psql_q "SELECT pg_total_relation_size('coverage_offers') / 1048576")" \
		"summaries_mb=$(psql_q "SELECT sum(pg_total_relation_size(c)) / 1048576 FROM unnest(ARRAY['civici_best','coverage_cells','coverage_comuni_stats','coverage_streets','civici_tile_cells','civici_tile_points']::regclass[]) c")"
	psql_q "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY pg_total_relation_size(oid) DESC LIMIT 8" >&2
	start_server
	# A comune of median size, a province (about 125 comuni) and the whole set.
	local comune extent
	comune=$(psql_q "SELECT istat_code FROM coverage_comuni_stats ORDER BY civici LIMIT 1 OFFSET (SELECT count(*) / 2 FROM coverage_comuni_stats)")
	psql_q "SELECT ST_AsGeoJSON(ST_Union(geom), 7) FROM comuni WHERE province_code = '906'" >"$BENCH_DIR/province.json"
	extent=$(psql_q "SELECT concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM (SELECT ST_Extent(geom) AS e FROM comuni) x")
	psql_q "SELECT ST_AsGeoJSON(ST_Envelope(ST_Extent(geom)), 7) FROM comuni" >"$BENCH_DIR/region.json"
	for _ in $(seq 1 "$REPEAT"); do
		hey_line "national stats area=comune" -n 200 -c 4 "$URL/coverage/stats?comune=$comune"
		hey_line "national stats area=province" -n 100 -c 4 -m POST -T application/geo+json -D "$BENCH_DIR/province.json" "$URL/coverage/stats"
		hey_line "national stats area=all-bbox" -n 40 -c 4 "$URL/coverage/stats?bbox=$extent"
		hey_line "national stats area=all-polygon" -n 40 -c 4 -m POST -T application/geo+json -D "$BENCH_DIR/region.json" "$URL/coverage/stats"
	done
	stop_server
	# civici tiles over the whole region: every tile at z8-z10, 300 of them
	# (fixed sample) at z11-z14; cold (no cache) and cached.
	IFS=, read -r -a ext <<<"$extent"
	local bbox_saved=("${BBOX[@]}")
	BBOX=("${ext[@]}")
	for cache in 0 256; do
		start_server --tile-cache-mb "$cache"
		for z in 8 9 10 11 12 13 14; do
			f=$(tile_paths civici "$z" "$z")
			shuf -n 300 --random-source=<(yes) "$f" >"$f.sample" && mv "$f.sample" "$f"
			[ "$cache" != 0 ] && warm "$f"
			repeat wrk_run "national civici-tiles z=$z cache_mb=$cache tiles=$(wc -l <"$f")" "$f"
		done
	done
	BBOX=("${bbox_saved[@]}")
	# items pages: near the start, deep into the 5 million, and bbox windows.
	local total
	total=$(psql_q "SELECT count(*) FROM civici")
	f="$BENCH_DIR/national-items-front.txt"
	for off in $(seq 0 1000 199000); do echo "/collections/civici/items?limit=1000&offset=$off"; done >"$f"
	curl -sf -o /dev/null "$URL$(head -1 "$f")"
	repeat wrk_run "national items limit=1000 offsets<200k" "$f"
	f="$BENCH_DIR/national-items-deep.txt"
	for off in $(seq $((total - 200000)) 1000 $((total - 1000))); do echo "/collections/civici/items?limit=1000&offset=$off"; done >"$f"
	repeat wrk_run "national items limit=1000 offsets>$((total - 200000))" "$f"
	f="$BENCH_DIR/national-items-bbox.txt"
	awk -v minlon="${ext[0]}" -v minlat="${ext[1]}" -v maxlon="${ext[2]}" -v maxlat="${ext[3]}" 'BEGIN { srand(1); for (i = 0; i < 200; i++) {
		x = minlon + rand() * (maxlon - minlon - 0.02); y = minlat + rand() * (maxlat - minlat - 0.015);
		printf "/collections/civici/items?limit=1000&bbox=%.4f,%.4f,%.4f,%.4f\n", x, y, x + 0.02, y + 0.015 } }' >"$f"
	repeat wrk_run "national items limit=1000 bbox-windows" "$f"
	national_update
	stop_server
}

# national_update: the rebuild after a 1 % update (a step of its own:
# national-update).
step_national_update() {
	NATIONAL=1
	ensure_cluster
	start_server
	national_update
	stop_server
}

national_update() {
	local data="$BENCH_DIR/national-data" comune
	comune=$(psql_q "SELECT istat_code FROM coverage_comuni_stats ORDER BY civici LIMIT 1 OFFSET (SELECT count(*) / 2 FROM coverage_comuni_stats)")
	# The rebuild after a 1 % update: every 100th offer changes status, and
	# readers meanwhile (a statistics request every 0.5 s) say how long they
	# waited.
	awk -F';' 'BEGIN {OFS = ";"} NR == 1 {print} NR > 1 && NR % 100 == 0 {$10 = ($10 == "active" ? "connectable" : "active"); $11 = ""; print}' \
		"$data/coverage.csv" >"$BENCH_DIR/coverage-update.csv"
	local readers=$BENCH_DIR/readers.txt
	: >"$readers"
	( while [ -f "$BENCH_DIR/coverage-update.csv" ]; do
		curl -s -o /dev/null -w "%{time_total} %{http_code}\n" --max-time 120 "$URL/coverage/stats?comune=$comune" >>"$readers"; sleep 0.5
	done ) &
	local readers_pid=$!
	local upd
	upd=$(timed update_1pct "$ATLANTE" import coverage "$BENCH_DIR/coverage-update.csv" --data-dir "$DB" --log-format text)
	mv "$BENCH_DIR/coverage-update.csv" "$BENCH_DIR/coverage-update.done.csv"
	wait "$readers_pid" || true
	result "national update offers=$(($(wc -l <"$BENCH_DIR/coverage-update.done.csv") - 1)) $upd" \
		"reader_max_s=$(sort -n "$readers" | tail -1 | cut -d' ' -f1) reader_non200=$(awk '$2 != 200' "$readers" | wc -l) readers=$(wc -l <"$readers")"
	grep -o '"msg":"[^"]*refresh[^"]*"[^}]*' "$BENCH_DIR/update_1pct.log" >&2 || true
}

# hey_cpu NAME HEYARGS...: one hey run as a result line with the CPU per
# request of the server and of PostgreSQL (as wrk_run's).
hey_cpu() {
	local name=$1 a0 p0 a1 p1 hz
	shift
	hz=$(getconf CLK_TCK)
	a0=$(cpu_ticks "$server_pid")
	p0=$(pg_ticks)
	hey "$@" >"$BENCH_DIR/hey.out"
	a1=$(cpu_ticks "$server_pid")
	p1=$(pg_ticks)
	result "$name $(awk -v a=$((a1 - a0)) -v p=$((p1 - p0)) -v hz="$hz" '/Requests\/sec/ {rps = $2} / 50% in/ {p50 = $3 * 1000}
		/ 99% in/ {p99 = $3 * 1000} /Slowest/ {max = $2 * 1000} /^ *\[[0-9]+\]/ {n += $2} /\[200\]/ {ok = $2}
		END {printf "rps=%s p50_ms=%.1f p99_ms=%.1f max_ms=%.1f ok=%d atlante_cpu_ms_per_req=%.3f pg_cpu_ms_per_req=%.3f",
			rps, p50, p99, max, ok, a * 1000 / hz / n, p * 1000 / hz / n}' "$BENCH_DIR/hey.out")"
}

# stats_bodies: the areas of the statistics steps, as GeoJSON geometries
# with 7 decimals: Crema (its real boundary) and the whole Cremasco (the
# union of the 48 comuni).
stats_bodies() {
	psql_q "SELECT ST_AsGeoJSON(geom, 7) FROM comuni WHERE istat_code = '019035'" >"$BENCH_DIR/stats-crema.json"
	psql_q "SELECT ST_AsGeoJSON(ST_Union(geom), 7) FROM comuni" >"$BENCH_DIR/stats-cremasco.json"
}

# stats-ab: BASE against ATLANTE, alternately, REPEAT times: POST
# /coverage/stats of Crema and of the whole Cremasco, after 8 requests to
# warm up: 200 requests 4 at a time and 100 one at a time (hey), with the
# CPU per request of PostgreSQL and of atlante.
step_stats_ab() {
	ensure_cluster
	[ -n "${BASE:-}" ] || { log "stats-ab needs BASE=an older atlante binary"; exit 1; }
	stats_bodies
	local bin name body
	for _ in $(seq 1 "$REPEAT"); do
		for bin in base new; do
			if [ $bin = base ]; then SERVER=$BASE start_server; else start_server; fi
			for name in crema cremasco; do
				body="$BENCH_DIR/stats-$name.json"
				# warm PostgreSQL's caches and the pool's four connections
				hey -n 8 -c 4 -m POST -T application/geo+json -D "$body" "$URL/coverage/stats" >/dev/null
				hey_cpu "stats-ab area=$name c=4 $bin" -n 200 -c 4 -m POST -T application/geo+json -D "$body" "$URL/coverage/stats"
				hey_cpu "stats-ab area=$name c=1 $bin" -n 100 -c 1 -m POST -T application/geo+json -D "$body" "$URL/coverage/stats"
			done
		done
	done
	stop_server
}

# pgo_mix MODE: the path files of the profile-guided build's load mix, one
# "name file [header]" line each. cold (no tile cache, no prebuilt tiles):
# comuni and civici tiles at z12 and z14, items by offset (1,000 a page)
# and by bbox (10,000), CQL2 filters (a drawn triangle, a street typed
# without accents), the address search; statistics run beside them with
# hey (pgo_stats). cached: civici z14 and comuni z12 tiles from the cache,
# plain and gzipped.
pgo_mix() {
	local f
	if [ "$1" = cold ]; then
		for f in comuni:12 comuni:14 civici:12 civici:14; do echo "tiles-${f%:*}-z${f#*:} $(tile_paths "${f%:*}" "${f#*:}" "${f#*:}")"; done
		f="$BENCH_DIR/pgo-items-offset.txt"
		for off in $(seq 0 1000 199000); do echo "/collections/civici/items?limit=1000&offset=$off"; done | shuf --random-source=<(yes) >"$f"
		echo "items-offset $f"
		f="$BENCH_DIR/pgo-items-bbox.txt"
		awk 'BEGIN { srand(1); for (i = 0; i < 200; i++) { x = 9.55 + rand() * 0.28; y = 45.30 + rand() * 0.14;
			printf "/collections/civici/items?limit=10000&bbox=%.4f,%.4f,%.4f,%.4f\n", x, y, x + 0.02, y + 0.015 } }' >"$f"
		echo "items-bbox $f"
		f="$BENCH_DIR/pgo-filters.txt"
		{
			awk 'BEGIN { srand(2); for (i = 0; i < 500; i++) { x = 9.55 + rand() * 0.28; y = 45.30 + rand() * 0.14;
				printf "S_INTERSECTS(geometry, POLYGON((%.4f %.4f, %.4f %.4f, %.4f %.4f, %.4f %.4f)))\n", x, y, x + 0.02, y, x + 0.01, y + 0.015, x, y } }'
			for w in roma liberta garibal mazzini matteott dante vittori chiesa indipend marconi; do
				printf "ACCENTI(CASEI(street)) LIKE ACCENTI(CASEI('%%%s%%'))\n" "$w"
			done
		} | jq -Rr '"/collections/civici/items?limit=100&filter=" + @uri' | shuf --random-source=<(yes) >"$f"
		echo "filters $f"
		f="$BENCH_DIR/pgo-search.txt"
		psql_q "SELECT lower(street) || CASE WHEN n % 3 = 0 THEN ' ' || (n % 40 + 1) ELSE '' END
			FROM (SELECT street, row_number() OVER (ORDER BY md5(street)) AS n FROM coverage_streets) s WHERE n <= 1000" |
			jq -Rr '"/coverage/search?q=" + @uri' >"$f"
		echo "search $f"
	else
		f=$(tile_paths civici 14 14)
		echo "cached-civici-z14 $f"
		echo "cached-civici-z14-gzip $f Accept-Encoding: gzip"
		echo "cached-comuni-z12 $(tile_paths comuni 12 12)"
	fi
}

# pgo_stats SECONDS: area statistics for SECONDS, 2 clients at a time,
# alternating Crema and the whole Cremasco, in the background.
pgo_stats() {
	stats_bodies
	hey -z "$(($1 / 2))s" -c 2 -m POST -T application/geo+json -D "$BENCH_DIR/stats-crema.json" "$URL/coverage/stats" >/dev/null
	hey -z "$(($1 - $1 / 2))s" -c 2 -m POST -T application/geo+json -D "$BENCH_DIR/stats-cremasco.json" "$URL/coverage/stats" >/dev/null
}

# pgo: a CPU profile of atlante under the load mix (pgo_mix), written to
# cmd/atlante/default.pgo, which `go build` then uses by itself (Go's
# profile-guided optimisation, -pgo=auto). The server runs with
# --pprof-addr on PORT+2, once cold and once cached; each run is profiled
# whole (PGO_SECONDS per workload, default 5: ~55 s; wrk, CONNS connections)
# and the two profiles are merged. Capture it again after performance
# changes (README.md, "Profile-guided build").
step_pgo() {
	ensure_cluster
	local secs=${PGO_SECONDS:-5} paddr="127.0.0.1:$((PORT + 2))" mode mix n prof name f header stats
	for mode in cold cached; do
		mix="$BENCH_DIR/pgo-mix-$mode.txt"
		pgo_mix $mode >"$mix"
		if [ $mode = cold ]; then start_server --tile-cache-mb 0 --tile-prebuild-mb 0 --pprof-addr "$paddr"; else start_server --pprof-addr "$paddr"; fi
		[ $mode = cached ] && while read -r name f header; do warm "$f"; done <"$mix"
		n=$(wc -l <"$mix")
		curl -sf -o "$BENCH_DIR/pgo-$mode.pprof" "http://$paddr/debug/pprof/profile?seconds=$((n * secs + 1))" &
		prof=$!
		stats=""
		if [ $mode = cold ]; then
			pgo_stats $((n * secs)) &
			stats=$!
		fi
		while read -r name f header; do
			log "pgo: $mode $name"
			PATHS="$f" NTHREADS=$THREADS HEADER="$header" wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s -s "$HERE/paths.lua" "$URL" >/dev/null
		done <"$mix"
		[ -z "$stats" ] || wait "$stats"
		wait "$prof"
	done
	stop_server
	(cd "$ROOT" && go tool pprof -proto "$BENCH_DIR/pgo-cold.pprof" "$BENCH_DIR/pgo-cached.pprof" >"$BENCH_DIR/default.pgo")
	cp "$BENCH_DIR/default.pgo" "$ROOT/cmd/atlante/default.pgo"
	result "pgo profile=cmd/atlante/default.pgo bytes=$(stat -c %s "$ROOT/cmd/atlante/default.pgo") seconds_per_workload=$secs"
	(cd "$ROOT" && go tool pprof -top -nodecount 15 cmd/atlante/default.pgo 2>/dev/null) | tail -16 >&2
}

# pgo-ab: this tree built with its profile (go build: -pgo=auto uses
# cmd/atlante/default.pgo) against the same tree built with -pgo=off,
# alternately (each pair in turn starting with the other), REPEAT times,
# over the cold workloads of pgo_mix and the cached tiles; each pair's
# ratios of requests per second and of atlante's CPU per request (pgo /
# off; PostgreSQL's CPU does not change). summary prints their medians.
step_pgo_ab() {
	ensure_cluster
	[ -f "$ROOT/cmd/atlante/default.pgo" ] || { log "pgo-ab needs cmd/atlante/default.pgo (bench.sh pgo)"; exit 1; }
	(cd "$ROOT" && go build -o "$BENCH_DIR/atlante-pgo" ./cmd/atlante && go build -pgo=off -o "$BENCH_DIR/atlante-nopgo" ./cmd/atlante)
	local mode bin name f header line r
	declare -A rps cpu
	for mode in cold cached; do pgo_mix $mode >"$BENCH_DIR/pgo-mix-$mode.txt"; done
	stats_bodies
	for r in $(seq 1 "$REPEAT"); do
		# every other pair in the other order, so that a drift of the
		# machine's load does not favour one side
		for bin in $( ((r % 2)) && echo nopgo pgo || echo pgo nopgo); do
			for mode in cold cached; do
				if [ $mode = cold ]; then
					SERVER="$BENCH_DIR/atlante-$bin" start_server --tile-cache-mb 0 --tile-prebuild-mb 0
				else
					SERVER="$BENCH_DIR/atlante-$bin" start_server
					while read -r name f header; do warm "$f"; done <"$BENCH_DIR/pgo-mix-$mode.txt"
				fi
				while read -r name f header; do
					line=$(wrk_run "pgo-ab $name $bin" "$f" "$header")
					rps[$name,$bin]=$(sed 's/.* rps=\([0-9.]*\).*/\1/' <<<"$line")
					cpu[$name,$bin]=$(sed 's/.* atlante_cpu_ms_per_req=\([0-9.]*\).*/\1/' <<<"$line")
				done <"$BENCH_DIR/pgo-mix-$mode.txt"
				if [ $mode = cold ]; then
					line=$(hey_cpu "pgo-ab stats-cremasco $bin" -n 200 -c 4 -m POST -T application/geo+json -D "$BENCH_DIR/stats-cremasco.json" "$URL/coverage/stats")
					rps[stats-cremasco,$bin]=$(sed 's/.* rps=\([0-9.]*\).*/\1/' <<<"$line")
					cpu[stats-cremasco,$bin]=$(sed 's/.* atlante_cpu_ms_per_req=\([0-9.]*\).*/\1/' <<<"$line")
				fi
			done
		done
		for name in $(cut -d' ' -f1 "$BENCH_DIR/pgo-mix-cold.txt" "$BENCH_DIR/pgo-mix-cached.txt") stats-cremasco; do
			result "pgo-ab $name rps pgo/off ratio=$(echo "scale=3; ${rps[$name,pgo]} / ${rps[$name,nopgo]}" | bc)"
			result "pgo-ab $name atlante-cpu pgo/off ratio=$(echo "scale=3; ${cpu[$name,pgo]} / ${cpu[$name,nopgo]}" | bc)"
		done
	done
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
[ ${#steps[@]} -gt 0 ] || steps=(setup comuni-tiles items filters stats civici-tiles sizes load64 summary)
result "# $(date -u +%Y-%m-%dT%H:%MZ) $(git -C "$ROOT" describe --always --dirty) $(nproc) cores, conns=$CONNS duration=${DURATION}s repeat=$REPEAT"
for s in "${steps[@]}"; do
	log "step $s"
	"step_${s//-/_}"
done
