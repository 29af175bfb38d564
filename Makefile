# sanji — the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PEOPLE ?= 50000
SEED   ?= 7
MONTH  ?= 2026-10
PORT   ?= 3000

# The project's Dagster instance: `make ui` shows it, `sanji` records its runs in it (the CLI
# falls back to this folder when DAGSTER_HOME is unset). The SANJI_* folders default to demo/
# (assets/settings.py); export them to point elsewhere. SANJI_AUTOMATION=off make ui starts the
# schedules and sensors stopped.
export DAGSTER_HOME   := $(CURDIR)/.dagster_home

.PHONY: setup demo ui test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,celery]"
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@
	printf 'concurrency:\n  runs:\n    tag_concurrency_limits:\n' >> $@
	printf '      - key: dagster/partition/county\n        value:\n' >> $@
	printf '          applyLimitPerUniqueValue: true\n        limit: 1\n' >> $@

setup: $(STAMP) $(DAGSTER_HOME)/dagster.yaml

demo: setup
	$(BIN)/sanji demo-data --people $(PEOPLE) --seed $(SEED) --out demo
	$(BIN)/sanji run --landing demo/landing --warehouse demo/sanji.duckdb --month $(MONTH)
	@echo
	@echo "Published tables: demo/sanji.duckdb  (e.g. $(BIN)/python -c \"import duckdb; print(duckdb.connect('demo/sanji.duckdb').sql('from mismatch limit 5'))\")"

ui: setup
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(PORT)

test: setup
	$(BIN)/pytest -n 2

lint: setup
	$(BIN)/ruff check pipelines assets schemas tests benchmarks

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/link.py
	$(BIN)/python benchmarks/pipeline.py

clean:
	rm -rf demo .dagster_home
