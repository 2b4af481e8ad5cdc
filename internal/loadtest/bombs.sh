#!/usr/bin/env bash
# bombs.sh: the adversarial ANNCSU files of issue 8 (a zip of one huge line, a zip of
# 37 million bad rows, a zip bomb of harmless rows) and a normal register of a million
# rows, each imported with `atlante import civici` under /usr/bin/time -v: exit status,
# wall time and peak RSS, one line per import. Not part of `make test`.
#
#   internal/loadtest/bombs.sh            # write the files (once) and import them
#   ATLANTE=/path/to/old/atlante internal/loadtest/bombs.sh
#
# Environment: BOMB_DIR (default /tmp/atl-bombs: the files, kept for the next run), ATLANTE
# (default bin/atlante). Needs zip, zipnote (Debian: zip) and /usr/bin/time (time). Each run
# imports into a new embedded cluster in BOMB_DIR/db.*, started before the imports (their
# times do not include it), stopped and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
BOMB_DIR=${BOMB_DIR:-/tmp/atl-bombs}
ATLANTE=${ATLANTE:-$PWD/bin/atlante}
HEADER='CODICE_ISTAT;CODICE_COMUNE;ODONIMO;CIVICO;ESPONENTE;PROGRESSIVO_ACCESSO;COORD_X_COMUNE;COORD_Y_COMUNE'
mkdir -p "$BOMB_DIR"
cd "$BOMB_DIR"

# zipped NAME: stdin as the member ANNCSU.csv of NAME, deflated at level 9.
zipped() {
	rm -f "$1"
	zip -q -9 "$1" -
	printf '@ -\n@=ANNCSU.csv\n' | zipnote -w "$1"
}

[ -f line.zip ] || { echo "$HEADER"; head -c 1100000000 /dev/zero | tr '\0' 0; echo; } | zipped line.zip
[ -f rows.zip ] || { echo "$HEADER"; yes "$(seq 0 4999)" | head -n 37000000 || true; } | zipped rows.zip
[ -f ratio.zip ] || { echo "$HEADER"; yes '019035;D142;VIA ROMA;1;;;;' | head -n 15000000 || true; } | zipped ratio.zip
if [ ! -f anncsu.zip ]; then
	"$ATLANTE" demo bench-data --civici 1000000 --out "$BOMB_DIR" >/dev/null
	zip -q anncsu.zip anncsu.csv
fi
ls -l line.zip rows.zip ratio.zip anncsu.zip

DB=$(mktemp -d "$BOMB_DIR/db.XXXXXX")
trap '"$ATLANTE" --data-dir "$DB" db stop >/dev/null 2>&1 || true; rm -rf "$DB"' EXIT
"$ATLANTE" --data-dir "$DB" --log-level error db start >/dev/null
"$ATLANTE" --data-dir "$DB" --log-level error migrate up

# measure NAME ARGS...: one import; prints exit status, wall time, peak RSS, the error.
measure() {
	local name=$1 rc=0
	shift
	/usr/bin/time -v "$ATLANTE" --data-dir "$DB" --log-level error import civici "$@" >out.txt 2>err.txt || rc=$?
	printf '%-28s exit %s  wall %-8s peak RSS %6d MB  %s\n' "$name" "$rc" \
		"$(awk '/Elapsed/ {print $NF}' err.txt)" "$(($(awk '/Maximum resident/ {print $NF}' err.txt) / 1024))" \
		"$(grep -m1 '^atlante:' err.txt | cut -c1-110 || true)"
}

echo "$("$ATLANTE" --version)"
measure "line.zip" line.zip
measure "rows.zip --strict" --strict rows.zip
measure "rows.zip" rows.zip
measure "ratio.zip" ratio.zip
measure "anncsu.zip (1M rows)" anncsu.zip
measure "anncsu.zip again (unchanged)" anncsu.zip
