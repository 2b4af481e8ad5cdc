#!/usr/bin/env bash
# pages.sh BIN LABEL: items pages of civici (issue 12, point 3) against the
# binary BIN on the 1M bench database (bench.sh setup) in BENCH_DIR, port
# PORT: hey runs of the dense box at 10, 1,000 and 10,000 per page, deep
# pages by offset and by cursor (CURSOR=0: skip, for binaries without
# cursors), first pages of 40 boxes never counted before (numberMatched
# included), with PostgreSQL CPU per page, then ogr2ogr of the dense box at
# GDAL's default page size (OGR=0: skip).
set -u
BIN=$1; LABEL=$2; D=${BENCH_DIR:-/tmp/atl-bench}; PORT=${PORT:-18091}; URL=http://127.0.0.1:$PORT
$BIN serve --addr 127.0.0.1:$PORT --data-dir $D/db --log-format json --tile-prebuild-mb 0 >$D/serve-$LABEL.log 2>&1 &
PID=$!
for i in $(seq 100); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done
pm=$(head -1 $D/db/pg/pgdata/postmaster.pid)
pgt() { { awk '{print $14+$15+$16+$17}' /proc/$pm/stat; for c in $(pgrep -P $pm); do awk '{print $14+$15}' /proc/$c/stat 2>/dev/null; done; } | awk '{s+=$1} END {print s}'; }
run() { # name n c url
  local p0 p1 out
  p0=$(pgt); out=$(hey -n $2 -c $3 -t 60 "$4" | grep -E "Requests/sec|^ +\[[0-9]+\] +[0-9]+ responses"); p1=$(pgt)
  echo "$LABEL $1 $(echo "$out" | tr -s ' \n' ' ') pg_cpu_ms_per_req=$(echo "scale=2; ($p1-$p0)*10/$2" | bc)"
}
DENSE=9.6785,45.355,9.70,45.37
curl -s -o /dev/null "$URL/collections/civici/items?limit=10&bbox=$DENSE"  # count cached
run "limit=10 dense-bbox" 200 4 "$URL/collections/civici/items?limit=10&bbox=$DENSE"
run "limit=1000 dense-bbox" 60 4 "$URL/collections/civici/items?limit=1000&bbox=$DENSE"
run "limit=10000 dense-bbox" 20 4 "$URL/collections/civici/items?limit=10000&bbox=$DENSE"
run "limit=1000 offset=600000" 30 4 "$URL/collections/civici/items?limit=1000&offset=600000"
run "limit=10000 offset=600000" 10 2 "$URL/collections/civici/items?limit=10000&offset=600000"
run "limit=10 dense-bbox offset=30000" 50 4 "$URL/collections/civici/items?limit=10&bbox=$DENSE&offset=30000"
# First pages of boxes the server has not counted: the dense box moved by
# 10 m each time, one request at a time.
p0=$(pgt); t0=$(date +%s%N)
for i in $(seq 40); do
  curl -sf -o /dev/null "$URL/collections/civici/items?limit=10&bbox=$(echo "9.6785+$i*0.0001" | bc),45.355,$(echo "9.70+$i*0.0001" | bc),45.37" || echo "$LABEL first page $i failed" >&2
done
p1=$(pgt); t1=$(date +%s%N)
echo "$LABEL limit=10 dense-bbox first-page-counted n=40 c=1 ms_per_req=$(echo "scale=1; ($t1-$t0)/40000000" | bc) pg_cpu_ms_per_req=$(echo "scale=2; ($p1-$p0)*10/40" | bc)"
if [ "${CURSOR:-1}" = 1 ]; then
  # the cursor of the feature at the same depth
  c600=$(curl -s "$URL/collections/civici/items?limit=1&offset=599999" | jq -r '.links[]|select(.rel=="next").href' | sed 's/.*cursor=\([^&]*\).*/\1/')
  run "limit=1000 cursor@600000" 30 4 "$URL/collections/civici/items?limit=1000&cursor=$c600"
  run "limit=10000 cursor@600000" 10 2 "$URL/collections/civici/items?limit=10000&cursor=$c600"
  cb=$(curl -s "$URL/collections/civici/items?limit=1&bbox=$DENSE&offset=29999" | jq -r '.links[]|select(.rel=="next").href' | sed 's/.*cursor=\([^&]*\).*/\1/')
  run "limit=10 dense-bbox cursor@30000" 200 4 "$URL/collections/civici/items?limit=10&bbox=$DENSE&cursor=$cb"
fi
if [ "${OGR:-1}" = 1 ]; then
  rm -f $D/ogr-$LABEL.gpkg
  s=$(date +%s.%N)
  timeout ${OGR_TIMEOUT:-120} ogr2ogr -f GPKG $D/ogr-$LABEL.gpkg "OAPIF:$URL/" civici -spat 9.6785 45.355 9.70 45.37 >$D/ogr-$LABEL.out 2>&1; rc=$?
  e=$(date +%s.%N)
  n=$(ogrinfo -so $D/ogr-$LABEL.gpkg civici 2>/dev/null | sed -n 's/Feature Count: //p')
  pages=$(grep -c '"path":"/collections/civici/items"' $D/serve-$LABEL.log)
  echo "$LABEL ogr2ogr dense-bbox rc=$rc seconds=$(echo "$e - $s" | bc) features=$n item_requests_total=$pages"
fi
kill -INT $PID; wait $PID
