# chaosrunner — the two set-up commands are `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup system-deps go-build demo lab-down cluster-up cluster-down lint typecheck imports unit fuzz integration e2e cluster test bench clean

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

# A real control plane on loopback: etcd, kube-apiserver built from k8s.io/kubernetes, Chaos Mesh's
# CRDs and its real chaos-controller-manager, and kwok (see hack/README.md). The first build takes
# ~15 min; later ones are cached.
cluster-up:
	bash scripts/cluster-up.sh

cluster-down:
	bash scripts/cluster-down.sh

lint: setup
	$(BIN)/ruff check chaosrunner tests bench

typecheck: setup
	$(BIN)/mypy --strict chaosrunner

imports: setup
	$(BIN)/lint-imports

unit: setup
	$(BIN)/pytest -m unit -q $(PYTEST_ARGS)

fuzz: setup
	$(BIN)/pytest -m fuzz -q $(PYTEST_ARGS)

integration: setup system-deps go-build
	$(BIN)/pytest -m integration -q $(PYTEST_ARGS)

e2e: setup system-deps go-build
	$(BIN)/pytest -m e2e -q $(PYTEST_ARGS)

cluster: setup cluster-up
	$(BIN)/pytest -m cluster -q $(PYTEST_ARGS); status=$$?; bash scripts/cluster-down.sh; exit $$status

# The README's test command: static checks, then every test suite this machine kind can run.
test: setup system-deps go-build lint typecheck imports
	cd demo && go vet ./... && go test ./...
	bash scripts/cluster-up.sh
	$(BIN)/pytest -q $(PYTEST_ARGS); status=$$?; bash scripts/cluster-down.sh; exit $$status

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache chaosrunner-runs
