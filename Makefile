# Atlante: `make run` serves the map with demo data, `make test` runs every
# test against a real PostGIS. Both install what is missing first.

SHELL      := /bin/bash
GO         ?= go
BIN        := bin/atlante
# DATA_DIR and ADDR are passed to `atlante serve` only when given
# (`make run ADDR=127.0.0.1:9000`); otherwise ATLANTE_DATA_DIR and
# ATLANTE_ADDR apply, then the defaults ./.atlante and :8080.
DATA_DIR   ?=
ADDR       ?=
VERSION    ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
TEST_DIR   := ./.atlante/test
VIEWER     := internal/viewer
VENDOR     := $(VIEWER)/static/vendor

export CGO_ENABLED := 1

.PHONY: run test fuzz build lint deps deps-run deps-test viewer bench clean db-stop

## run: install what is missing, build, migrate, load the demo on first start (printing a token per role), serve
run: deps-run build
	$(BIN) serve --demo $(if $(ADDR),--addr "$(ADDR)") $(if $(DATA_DIR),--data-dir "$(DATA_DIR)")

## test: install what is missing, run every test against a real PostGIS with the race detector, then fuzz every fuzz target briefly
test: deps-test build
	@set -o pipefail; status=0; \
	$(GO) test -race -count=1 -timeout 45m ./... || status=$$?; \
	$(BIN) db stop --data-dir "$(TEST_DIR)" >/dev/null 2>&1 || true; \
	$(MAKE) --no-print-directory fuzz || status=$$?; \
	exit $$status

## fuzz: run each fuzz target (any func FuzzX in a _test.go under cmd, geo, internal) as a fuzzer
## for its share of FUZZ_SECONDS (at least 3 s); a crasher fails it and is saved in its package's testdata/fuzz;
## a run that ends in Go 1.26's own deadline race, with no failing input, runs once more
FUZZ_SECONDS ?= 120
fuzz:
	@set -eo pipefail; \
	targets=$$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' cmd geo internal | sed -E 's|^(.*)/[^/]*:func (Fuzz[A-Za-z0-9_]*)\($$|./\1 \2|' | sort); \
	count=$$(echo "$$targets" | grep -c . || true); \
	if [ "$$count" = 0 ]; then echo "fuzz: no fuzz targets found"; exit 1; fi; \
	each=$$(( $(FUZZ_SECONDS) / count )); [ $$each -ge 3 ] || each=3; \
	echo "fuzz: $$count targets, $${each}s each"; \
	failed=""; \
	while read -r pkg name; do \
	  echo "fuzz: $$name in $$pkg"; \
	  for attempt in 1 2; do \
	    rc=0; out=$$($(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime "$${each}s" "$$pkg" </dev/null 2>&1) || rc=$$?; \
	    echo "$$out"; \
	    [ $$rc != 0 ] || break; \
	    if [ $$attempt = 1 ] && echo "$$out" | grep -q '^    context deadline exceeded$$' && ! echo "$$out" | grep -q 'Failing input written'; then \
	      echo "fuzz: $$name: Go's fuzzing coordinator raced its own -fuzztime deadline (golang/go#75804, fixed in Go 1.27); no input failed: once more"; continue; \
	    fi; \
	    failed="$$failed $$name"; break; \
	  done; \
	done <<< "$$targets"; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed (each crashing input is saved in testdata/fuzz of its package)"; exit 1; fi

## build: the binary, with the map viewer's MapLibre GL JS bundled in it
build: viewer
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/atlante

## lint: formatting and vet
lint: viewer
	@out=$$(gofmt -l cmd geo internal data migrations); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## viewer: MapLibre GL JS and Terra Draw (editing) from the npm registry (pinned in package-lock.json), copied into the embedded static files
viewer: $(VENDOR)/maplibre-gl.js

$(VENDOR)/maplibre-gl.js: $(VIEWER)/package.json $(VIEWER)/package-lock.json $(VIEWER)/licenses/terra-draw.txt
	cd $(VIEWER) && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp $(VIEWER)/node_modules/maplibre-gl/dist/maplibre-gl.js $(VIEWER)/node_modules/maplibre-gl/dist/maplibre-gl.css $(VIEWER)/node_modules/maplibre-gl/LICENSE.txt $(VENDOR)/
	cp $(VIEWER)/node_modules/terra-draw/dist/terra-draw.umd.js $(VENDOR)/terra-draw.js
	cp $(VIEWER)/node_modules/terra-draw-maplibre-gl-adapter/dist/terra-draw-maplibre-gl-adapter.umd.js $(VENDOR)/terra-draw-maplibre-gl-adapter.js
	cp $(VIEWER)/licenses/terra-draw.txt $(VENDOR)/terra-draw.LICENSE.txt
	touch $@

## db-stop: stop the embedded clusters of `make run` and `make test`
db-stop:
	-$(BIN) db stop $(if $(DATA_DIR),--data-dir "$(DATA_DIR)")
	-$(BIN) db stop --data-dir "$(TEST_DIR)"

clean: db-stop
	rm -rf bin $(VENDOR) $(VIEWER)/node_modules

# --- system packages -------------------------------------------------------
# What each target needs, as Debian packages. PostgreSQL's major version is the
# one installed, else the one Debian's `postgresql` package depends on.
PG_MAJOR = $(shell ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
PG_MAJOR_APT = $(shell apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$$/\1/p' | head -1)

deps-run:
	@$(MAKE) --no-print-directory deps NEED="postgis geos npm"
deps-test:
	@$(MAKE) --no-print-directory deps NEED="postgis geos npm gdal chromium qgis owslib pgbouncer curl"

deps:
	@missing=""; \
	major="$(PG_MAJOR)"; [ -n "$$major" ] || major="$(PG_MAJOR_APT)"; [ -n "$$major" ] || major=15; \
	for need in $(NEED); do case $$need in \
	  postgis) ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	           ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing="$$missing postgresql-$$major-postgis-3";; \
	  geos)    [ -f /usr/include/geos_c.h ] || missing="$$missing libgeos-dev"; \
	           command -v gcc >/dev/null || missing="$$missing gcc libc6-dev";; \
	  npm)     command -v npm >/dev/null || missing="$$missing npm";; \
	  gdal)    command -v ogrinfo >/dev/null || missing="$$missing gdal-bin";; \
	  chromium) command -v chromium >/dev/null || missing="$$missing chromium";; \
	  qgis)    /usr/bin/python3 -c 'import qgis.core' >/dev/null 2>&1 || missing="$$missing python3-qgis";; \
	  owslib)  /usr/bin/python3 -c 'import owslib.ogcapi.features' >/dev/null 2>&1 || missing="$$missing python3-owslib";; \
	  pgbouncer) [ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || missing="$$missing pgbouncer";; \
	  curl)    command -v curl >/dev/null || missing="$$missing curl";; \
	esac; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || { echo "apt-get install$$missing failed"; exit 1; }; \
	else \
	  echo "missing:$$missing"; echo "install them with:  sudo apt-get install$$missing"; exit 1; \
	fi

## bench: load tests over one million synthetic civic numbers (wrk, hey; see internal/loadtest/README.md); not part of `make test`
bench: deps-run build
	ATLANTE="$(abspath $(BIN))" internal/loadtest/bench.sh $(STEPS)
