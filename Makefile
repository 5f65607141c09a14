# Set-up and checks for ITP Monitor. Needs only Python 3.11+ and make:
# every target creates .venv and installs what it needs into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Everything that goes into the installed package: a change to any of it reinstalls.
SOURCES := pyproject.toml README.md $(shell find itp_monitor migrations resources docs -type f \
             ! -name '*.pyc' ! -path '*/__pycache__/*' 2>/dev/null)

.PHONY: run test lint bench screenshots clean postgresql

# make run ARGS="--db /tmp/ward.sqlite": options for the app (README, "Quick start").
ARGS ?=
run: $(VENV)/.app
	$(BIN)/itp-monitor $(ARGS)

# -P keeps the working directory off sys.path: the tests import the installed
# package, migrations and resources included, not the ./itp_monitor source.
test: $(VENV)/.test lint postgresql
	QT_QPA_PLATFORM=offscreen $(BIN)/python -P -m pytest

# The tests start their own PostgreSQL server (tests/postgres.py) from Debian's package,
# installed here when missing and this is root with apt-get (CI; a fresh machine).
# Otherwise the PostgreSQL tests skip and say why, except where
# ITP_MONITOR_REQUIRE_POSTGRES is set (.ci/run), where they fail.
postgresql:
	@if command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's postgresql for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends postgresql >/dev/null; \
	else echo "No PostgreSQL server programs here, and not root with apt-get:" \
	  "the PostgreSQL tests will skip (install Debian's postgresql package to run them)"; fi

# Benchmarks print their figures against the standing targets; they assert nothing.
bench: $(VENV)/.test
	@for b in benchmarks/*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(BIN)/python -P $$b || exit 1; done

# The pictures in docs/ and the README, from the real app (needs xvfb-run: README).
screenshots: $(VENV)/.test
	xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python -P tools/screenshots.py docs/images

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
	  "ITP Monitor needs Python 3.11 or newer; $(PYTHON) is %d.%d" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)

# A real install (not editable): the migrations and resources are copied into
# the package exactly as a ward's installation gets them.
$(VENV)/.app: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet .
	@touch $@

$(VENV)/.test: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet ".[test]"
	@touch $@ $(VENV)/.app

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
