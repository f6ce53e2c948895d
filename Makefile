# Fireline: `make run` starts the server on http://127.0.0.1:8080; `make test` checks and tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export FIRELINE_DATABASE_URL ?= sqlite:///fireline.db
export FIRELINE_CONFIG ?= examples/fireline.yaml

.PHONY: install run check test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Fireline needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

run: install
	$(BIN)/fireline db upgrade
	$(BIN)/fireline serve

check: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: check
	$(BIN)/pytest --cov --cov-report=term:skip-covered

bench: install
	$(BIN)/python bench/incidents.py --spawn sqlite --spawn postgres

clean:
	rm -rf $(VENV) fireline.db fireline.db-wal fireline.db-shm .pytest_cache .mypy_cache .ruff_cache
