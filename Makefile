# Works on a machine with only python3, git and make: everything else lands in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install test lint sim demo bench

install: $(STAMP)

# Re-installs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

sim: install
	$(BIN)/python -m simulator --host 127.0.0.1 --port 8765

demo: install
	$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python -m benchmarks.bench_export
