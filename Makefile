# The two commands a new user needs: `make demo` (set up everything, run the end-to-end demo on
# the local broker) and `make test` (set up everything, lint, type-check, run every test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test test-faults browser lint typecheck unit integration broker-up broker-down clean

# The native core (native/, Rust) is compiled by pip install: a change to it reinstalls. cargo is
# looked for where rustup puts it too, for a shell that did not add it to PATH.
export PATH := $(if $(wildcard $(HOME)/.cargo/bin),$(HOME)/.cargo/bin:,)$(PATH)
NATIVE := native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs native/src/*/*.rs)

$(STAMP): pyproject.toml $(NATIVE)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## virtual environment, dependencies, Kafka jars, running broker
	$(BIN)/pentameter broker up

# SECURE=1: the demo on the secure broker (SASL SCRAM, ACLs), every component as its own principal.
SECURE ?=
CHROMIUM ?= /usr/bin/chromium

demo: setup  ## the end-to-end demo on the local broker (SECURE=1: on the secure broker)
	$(BIN)/pentameter demo $(if $(filter 1 yes true,$(SECURE)),--secure,)

test: $(STAMP) lint typecheck browser  ## lint, type-check, every test (starts the brokers it needs)
	$(BIN)/pytest

test-faults: $(STAMP)  ## only the fault-injection suite (three-node cluster; also part of `make test`)
	$(BIN)/pytest -m faults

# Debian's Chromium and ChromeDriver drive the dashboard's browser test; installed when missing.
browser:
	@test -x $(CHROMIUM) && test -x /usr/bin/chromedriver || \
	  { apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; }; }
	@$(CHROMIUM) --version 2>/dev/null | head -1

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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
