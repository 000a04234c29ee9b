# The two commands a new user needs: `make demo` (set up everything, run the end-to-end demo on
# the local broker) and `make test` (set up everything, lint, type-check, run every test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test lint typecheck unit integration broker-up broker-down clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## virtual environment, dependencies, Kafka jars, running broker
	$(BIN)/pentameter broker up

demo: setup  ## the end-to-end demo on the local broker
	$(BIN)/pentameter demo

test: $(STAMP) lint typecheck  ## lint, type-check, unit and integration tests (starts the broker)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest -m kafka

broker-up: $(STAMP)
	$(BIN)/pentameter broker up

broker-down: $(STAMP)
	$(BIN)/pentameter broker down

clean:
	-$(BIN)/pentameter broker down --wipe
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
