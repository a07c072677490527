# omphalOS: evidence-grade screening warehouse. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
CONFIG ?= config/runs/demo.yaml
RUN ?=
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

.PHONY: setup
setup: $(STAMP) ## create .venv and install the pinned dependencies

.PHONY: demo-data
demo-data: $(STAMP) ## generate the demo trade feed and registry into data/demo
	$(BIN)/omphalos generate --out data/demo --shipments 20000 --entities 2000 --seed 7

.PHONY: run
run: $(STAMP) demo-data ## a sealed demo run on DuckDB into artifacts/runs/<run_id>
	$(BIN)/omphalos run --config $(CONFIG)

.PHONY: verify
verify: $(STAMP) ## verify a sealed run: make verify RUN=artifacts/runs/<run_id>
	@test -n "$(RUN)" || { echo "usage: make verify RUN=artifacts/runs/<run_id>" >&2; exit 2; }
	$(BIN)/omphalos verify --run-dir $(RUN)
