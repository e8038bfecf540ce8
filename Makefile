# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench-ingest bench-kpi

$(BIN)/kpiwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/kpiwatch
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/kpiwatch
	KPIWATCH_DATABASE_URL=$${KPIWATCH_DATABASE_URL:-sqlite+aiosqlite:///./kpiwatch.db} \
		$(BIN)/kpiwatch demo

test: $(VENV)/.dev
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
