# chaosrunner — the two set-up commands are `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup system-deps go-build demo lab-down lint typecheck imports unit integration e2e test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

system-deps:
	bash scripts/install-system-deps.sh

go-build:
	bash scripts/build-go.sh

# The README's first command: install what the lab needs, bring it up, run the game day.
demo: setup system-deps go-build
	bash scripts/demo.sh

lab-down: setup
	$(BIN)/chaosrunner lab down

lint: setup
	$(BIN)/ruff check chaosrunner tests bench

typecheck: setup
	$(BIN)/mypy --strict chaosrunner

imports: setup
	$(BIN)/lint-imports

unit: setup
	$(BIN)/pytest -m unit -q $(PYTEST_ARGS)

integration: setup system-deps go-build
	$(BIN)/pytest -m integration -q $(PYTEST_ARGS)

e2e: setup system-deps go-build
	$(BIN)/pytest -m e2e -q $(PYTEST_ARGS)

# The README's test command: static checks, then every test suite this machine kind can run.
test: setup system-deps go-build lint typecheck imports
	cd demo && go vet ./... && go test ./...
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache chaosrunner-runs
