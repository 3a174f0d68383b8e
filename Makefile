# The two commands: `make run` and `make test`. Nothing else is needed on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= runs/netflixoss

.PHONY: run test test-slow lint typecheck unit bench clean ui browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# the web UI's front end (frontend/, npm) built into the package; rebuilt only when stale
ui: | $(BIN)/python
	$(BIN)/python tools/build_ui.py

# Debian's Chromium for the browser tests (installed with apt-get where missing and root)
browser:
	tools/ensure-chromium

## make run: simulate the bundled netflixoss architecture, write its outputs and draw its graph
run: $(VENV)/.installed ui
	$(BIN)/monkeyhouse run -a netflixoss -d 10 --seed 1 -g --out $(OUT)
	$(BIN)/monkeyhouse render $(OUT)

## make test: lint, type-check and run every test
test: $(VENV)/.installed-test lint typecheck unit

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks tools setup.py
	$(BIN)/ruff format --check src tests benchmarks tools setup.py
	npm --prefix frontend run --silent typecheck

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# tests run on every core (pytest-xdist); each test is independent of the others
unit: $(VENV)/.installed-test ui browser
	$(BIN)/pytest -m "not slow" -n auto

## make test-slow: the long statistical checks (M/M/c at high utilization); CI runs them too
test-slow: $(VENV)/.installed-test ui
	$(BIN)/pytest -m slow -n auto

bench: $(VENV)/.installed-test ui browser
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) runs .mypy_cache .pytest_cache .ruff_cache frontend/node_modules src/monkeyhouse/web/static
