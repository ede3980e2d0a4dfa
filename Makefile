# Works on a machine with only python3, git and make: everything else lands in .venv (and,
# through apt as root, Debian's chromium and postgresql where they are missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install browser postgres test stack-test interleave crash lint docs sim demo demo-down stack stack-down

install: $(STAMP)

# Re-installs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser test drives Debian's Chromium through Playwright (no browser download needed).
browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser test (needs root and apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The production-shaped stack runs its Prefect server on Debian's PostgreSQL.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql for the stack (needs root and apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

# mypy: strict on cxone, failover, blocks, dial_lists (and compliance, once typed: see
# pyproject.toml's [tool.mypy]).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The documentation site (mkdocs.yml, docs/): every warning fails it, a broken link or a
# docstring the API pages cannot read included. Open build/site/index.html, or serve it with
# `.venv/bin/mkdocs serve`. NO_MKDOCS_2_WARNING quiets Material's notice about its successor.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

# Three workers, a test file each at a time: each has its own Prefect server and simulator, and
# most tests wait on servers and subprocesses, so three keep two cores busy (measured on this
# 2-core machine: 264 s with three, 284 s with two, 279 s with four). Files are handed out in
# collection order, the longest first (tests/conftest.py's LONGEST_FILES), not xdist's default
# of the most tests first, which left a minute-long file for last.
test: lint docs browser
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder

# Monitors killed with SIGKILL at every step boundary, and eight monitor processes racing on a
# fresh server (tests/flows/test_failover_crashes.py): a minute of real processes, kept out of
# `make test` to keep it under five minutes; CI runs it.
crash: install
	$(BIN)/python -m pytest -m crash tests/flows/test_failover_crashes.py

# Every interleaving scenario 50 times in a row (make test runs each once).
interleave: install
	INTERLEAVING_ROUNDS=50 $(BIN)/python -m pytest -n 2 -m interleaving tests/flows/test_interleavings.py

# The production topology end to end (PostgreSQL, a server, two workers), and `make demo` on
# both platforms (tests/test_demo.py), and the README's first failover as written
# (tests/test_readme.py); CI runs it too.
stack-test: install postgres
	$(BIN)/python -m pytest -m stack tests/stack tests/test_demo.py tests/test_readme.py

sim: install
	$(BIN)/python -m simulator --host 127.0.0.1 --port 8765

demo: install
	$(BIN)/python scripts/demo.py

# Stops a running or kept (KEEP=1) demo and every service it started (.demo/demo.json).
demo-down: install
	$(BIN)/python scripts/demo.py down

stack: install postgres
	$(BIN)/python scripts/stack.py up

stack-down: install
	$(BIN)/python scripts/stack.py down
