# omphalOS: evidence-grade screening warehouse. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
CONFIG ?= config/runs/demo.yaml
RUN ?=
SHIPMENTS ?= 20000
ENTITIES ?= 2000
SEED ?= 7
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

.PHONY: setup
setup: $(STAMP) ## create .venv and install the pinned dependencies

.PHONY: setup-spark
setup-spark: $(STAMP) ## install the optional Spark target (pyspark, dbt-spark; needs Java 17)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev,spark]'

data/demo/shipments.csv: $(STAMP)
	$(BIN)/omphalos generate --out data/demo --shipments $(SHIPMENTS) --entities $(ENTITIES) --seed $(SEED)

.PHONY: demo-data
demo-data: $(STAMP) ## (re)generate the demo feed and registry into data/demo (SHIPMENTS=, ENTITIES=, SEED=)
	$(BIN)/omphalos generate --out data/demo --shipments $(SHIPMENTS) --entities $(ENTITIES) --seed $(SEED)

.PHONY: run
run: $(STAMP) data/demo/shipments.csv ## a sealed demo run on DuckDB into artifacts/runs/<run_id>
	$(BIN)/omphalos run --config $(CONFIG) --progress

.PHONY: demo-decisions
demo-decisions: $(STAMP) data/demo/shipments.csv ## run, clear one queued candidate as a false positive, run again with decisions: and --previous-run
	$(BIN)/python scripts/demo_decisions.py

.PHONY: verify
verify: $(STAMP) ## verify a sealed run: make verify RUN=artifacts/runs/<run_id>
	@test -n "$(RUN)" || { echo "usage: make verify RUN=artifacts/runs/<run_id>" >&2; exit 2; }
	$(BIN)/omphalos verify --run-dir $(RUN)

.PHONY: dev
dev: $(STAMP) data/demo/shipments.csv ## load the demo inputs into artifacts/dev/warehouse.duckdb for plain `dbt build`
	$(BIN)/omphalos load --config $(CONFIG) --warehouse artifacts/dev/warehouse.duckdb

.PHONY: dbt-build
dbt-build: dev ## dbt build (models, data tests, unit tests) on the dev warehouse
	$(BIN)/dbt build --project-dir . --target duckdb

.PHONY: lint
lint: $(STAMP) ## ruff, mypy and sqlfluff
	$(BIN)/ruff check python tests
	$(BIN)/ruff format --check python tests
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models tests/singular
	$(BIN)/sqlfluff lint --templater placeholder sql/catalog

.PHONY: postgres
postgres: ## start the local PostgreSQL server if it is installed and stopped
	@bash scripts/ensure_postgres.sh

.PHONY: pytest
PYTEST_WORKERS ?= 2
pytest: $(STAMP) ## the Python test suite, PYTEST_WORKERS=2 processes (pytest-xdist, one module per worker)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25

.PHONY: test
.PHONY: ci-extras
ci-extras: $(STAMP)
	@if [ "$$CI" = "true" ]; then $(MAKE) --no-print-directory setup-spark; fi

test: $(STAMP) ci-extras postgres lint dbt-build pytest ## everything: lint, dbt build with unit and data tests, pytest (Spark tests when CI=true or pyspark is installed)

.PHONY: clean
clean: ## remove generated data, dbt target and dev warehouse (never sealed runs)
	rm -rf data/demo target logs artifacts/dev

.PHONY: certify
certify: $(STAMP) ## compare two sealed runs: make certify A=artifacts/runs/<a> B=artifacts/runs/<b>
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make certify A=artifacts/runs/<run_a> B=artifacts/runs/<run_b>" >&2; exit 2; }
	$(BIN)/omphalos certify --run-a $(A) --run-b $(B)

.PHONY: bench
bench: $(STAMP) ## benchmarks: 100k and 1M shipments x full SDN, per phase, JSON in benchmarks/results/ (BENCH_ARGS=--big for 10M)
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

.PHONY: profile
profile: $(STAMP) ## DuckDB's JSON profile of the slowest dbt models of a run, and its SQL replayed without dbt: make profile RUN=artifacts/runs/<run_id>
	@test -n "$(RUN)" || { echo "usage: make profile RUN=artifacts/runs/<run_id>" >&2; exit 2; }
	$(PY) benchmarks/profile_models.py $(RUN) $(PROFILE_ARGS)
	$(PY) benchmarks/dbt_overhead.py $(RUN)

.PHONY: publishability
publishability: $(STAMP) ## scan the repository (and RUN=...) for material that must not leave
	$(BIN)/omphalos publishability scan --path . --git-files --suppressions contracts/publishability_suppressions.yml --out artifacts/publishability/repo.json --sarif artifacts/publishability/repo.sarif
	@test -z "$(RUN)" || $(BIN)/omphalos publishability scan --path $(RUN) --out artifacts/publishability/run.json
