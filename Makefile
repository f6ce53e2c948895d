# Fireline: `make run` starts the server on http://127.0.0.1:8080; `make test` checks and tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export FIRELINE_DATABASE_URL ?= sqlite:///fireline.db
export FIRELINE_CONFIG ?= examples/fireline.yaml

.PHONY: install tools run check test bench bench-intake bench-paging clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Fireline needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# Programs the tests drive for real, from Debian packages: `prometheus-alertmanager` (+ amtool) for
# tests/support/alertmanager.py, and `prometheus` for promtool (tests/sandbox/test_rules.py).
# `make test` does not need them: those tests skip and say why.
# Root installs directly, anyone else through sudo; `apt-get update` only if the install needs it.
# On a systemd host the package starts its own daemon on :9093/:9094; the tests start their
# own on free ports, so the daemon this install started is stopped and disabled again.
SUDO ?= $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends

tools:
	@command -v prometheus-alertmanager >/dev/null || { \
		echo "Installing prometheus-alertmanager"; \
		$(APT_INSTALL) prometheus-alertmanager || \
			{ $(SUDO) apt-get update && $(APT_INSTALL) prometheus-alertmanager; } || exit 1; \
		if [ -d /run/systemd/system ] && systemctl is-active --quiet prometheus-alertmanager; then \
			$(SUDO) systemctl disable --now prometheus-alertmanager; \
		fi; \
	}
	@prometheus-alertmanager --version 2>&1 | head -n 1
	@command -v promtool >/dev/null || { \
		echo "Installing prometheus (for promtool, which checks the sandbox's alert rules)"; \
		$(APT_INSTALL) prometheus || \
			{ $(SUDO) apt-get update && $(APT_INSTALL) prometheus; } || exit 1; \
		if [ -d /run/systemd/system ]; then $(SUDO) systemctl disable --now prometheus; fi; \
	}
	@promtool --version 2>&1 | head -n 1

# The server, and beside it the sandbox platform (:9200) that the demo's alerts come from and
# whose faults the demo's runbooks heal; stopping `make run` stops both.
run: install
	$(BIN)/fireline db upgrade
	$(BIN)/fireline sandbox serve --port 9200 --fireline http://127.0.0.1:8080 \
		--key demo-alertmanager-key > sandbox.log 2>&1 & \
	sandbox=$$!; trap 'kill $$sandbox 2>/dev/null' EXIT INT TERM; \
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

# Alert intake beside a real Alertmanager (`make tools` installs it; without it that part is skipped).
bench-intake: install
	$(BIN)/python bench/intake.py --spawn sqlite --spawn postgres

# Paging: alert-to-page latency beside Alertmanager, and who is on call (issue 4, item 7).
bench-paging: install
	$(BIN)/python bench/paging.py --spawn sqlite --spawn postgres

clean:
	rm -rf $(VENV) fireline.db fireline.db-wal fireline.db-shm fireline.db-writer.lock fireline.db-engines sandbox.log .pytest_cache .mypy_cache .ruff_cache
