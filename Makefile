# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Browser libraries come from npm (package.json) and are served from the package's static dir.
VENDOR := src/kpiwatch/web/static/vendor

.PHONY: run test lint bench-ingest bench-kpi bench-watch bench-incidents bench-ran vendor

$(BIN)/kpiwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/kpiwatch
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Only the module: its source map is the npm package's debugging aid, not ours to serve.
$(VENDOR)/socket.io.esm.min.js: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js $(VENDOR)/

vendor: $(VENDOR)/socket.io.esm.min.js

run: $(BIN)/kpiwatch vendor
	KPIWATCH_DATABASE_URL=$${KPIWATCH_DATABASE_URL:-sqlite+aiosqlite:///./kpiwatch.db} \
		$(BIN)/kpiwatch demo

test: $(VENV)/.dev vendor
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

$(VENV)/.bench: $(VENV)/.dev
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

bench-ingest: $(VENV)/.bench
	$(BIN)/python bench/ingest.py

bench-kpi: $(VENV)/.bench
	$(BIN)/python bench/kpi_compute.py

bench-watch: $(VENV)/.bench
	$(BIN)/python bench/watch.py

bench-ran: $(VENV)/.bench
	$(BIN)/python bench/ran.py

bench-incidents: $(VENV)/.bench
	$(BIN)/python bench/incidents.py
