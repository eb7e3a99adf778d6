# Vigie — the two commands a new machine needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest
CONFIG ?=

.PHONY: run test lint test-unit test-contract test-conformance conformance test-integration test-e2e bench up down clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Vigie needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(BIN)/vigie run $(if $(CONFIG),--config $(CONFIG))

lint: $(STAMP)
	$(BIN)/lint-imports

# Every tier runs on its own so that a tier collecting nothing fails loudly.
# Tiers that need Kafka share one real broker, started once by deploy/local/with-kafka.sh.
test: lint test-unit test-conformance
	deploy/local/with-kafka.sh $(MAKE) --no-print-directory test-contract test-integration test-e2e

test-unit: $(STAMP)
	$(PYTEST) tests/unit -q

test-contract: $(STAMP)
	$(PYTEST) tests/contract -q

test-conformance: $(STAMP)
	$(PYTEST) tests/conformance -q

# Writes reports/conformance.{md,json}: Vigie's ECS output against Elastic's, pair by pair.
conformance: $(STAMP)
	$(BIN)/python -m tests.conformance.report

test-integration: $(STAMP)
	$(PYTEST) tests/integration -q

test-e2e: $(STAMP)
	$(PYTEST) tests/e2e -q

up: $(STAMP)
	$(BIN)/vigie up $(if $(CONFIG),--config $(CONFIG))

down: $(STAMP)
	$(BIN)/vigie down $(if $(CONFIG),--config $(CONFIG))

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
