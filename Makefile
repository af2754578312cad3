# sitechat — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
VENV_STAMP := .venv/.installed
NODE_STAMP := node_modules/.installed
BUILD_STAMP := src/sitechat/static/.built
FRONTEND_SRC := $(shell find widget/src console/src -type f 2>/dev/null) scripts/build.mjs package.json

.PHONY: run test lint build services system-deps clean migrate help geoip-testdb bench

help:
	@echo "make run    - set up and serve the demo on http://127.0.0.1:8000 (SQLite, no services)"
	@echo "make test   - set up and run the whole suite (SQLite, PostgreSQL, Redis, Chromium)"
	@echo "make lint   - ruff, mypy --strict, TypeScript type check"
	@echo "make build  - build the widget and console bundles"

$(VENV_STAMP): pyproject.toml
	@test -x .venv/bin/python || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD_STAMP): $(NODE_STAMP) $(FRONTEND_SRC)
	npm run --silent build
	@touch $@

build: $(BUILD_STAMP)

migrate: $(VENV_STAMP)
	.venv/bin/sitechat migrate

run: $(VENV_STAMP) $(BUILD_STAMP)
	.venv/bin/sitechat migrate
	.venv/bin/sitechat serve

# PostgreSQL and Redis: start the machine's own servers when they are installed but down.
services:
	@bash scripts/services.sh

# Chromium for the browser tests, from Debian's packages (never a browser download).
system-deps:
	@bash scripts/system-deps.sh

# MaxMind's test databases for the GeoIP tests (into .cache/geoip/, once).
geoip-testdb: $(VENV_STAMP)
	@bash scripts/geoip-testdb.sh

test: $(VENV_STAMP) $(BUILD_STAMP) system-deps services geoip-testdb
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks: measurements, never a failure; writes bench/RESULTS.md (bench/README.md).
# Flags through BENCH_ARGS, e.g. make bench BENCH_ARGS="--large" or BENCH_ARGS=--help.
bench: $(VENV_STAMP) services
	@$(PY) -c "import hdrh, psutil, brotli" 2>/dev/null || $(PIP) install -q -e '.[bench]'
	$(PY) -m bench $(BENCH_ARGS)

lint: $(VENV_STAMP) $(NODE_STAMP)
	.venv/bin/ruff check src tests
	.venv/bin/ruff format --check src tests
	.venv/bin/mypy
	npm run --silent typecheck

clean:
	rm -rf .venv node_modules src/sitechat/static/widget src/sitechat/static/console src/sitechat/static/manifest.json $(BUILD_STAMP)
