# The README's two commands: `make run` and `make test`. Each target is a few readable lines.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install install-test run test lint bench browser wrk redis

# What running Rotor needs, and only that: `make run` installs nothing of the test suite's.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# The test extra on top (pytest, Playwright, schemathesis, Okta's SDK, ruff, …): `make test`, `lint`, `bench`.
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 PORT=$(PORT) $(BIN)/python manage.py firstrun
	DEBUG=1 PORT=$(PORT) $(BIN)/python -m config.serve --bind 127.0.0.1:$(PORT) --workers 2 --access-log

# Debian's Chromium for the console's browser tests; never a browser download.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# A local Redis for the shared-counter tests (installed from Debian and started if it is not answering).
redis:
	@command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server; }
	@[ "$$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ] || redis-server --daemonize yes --port 6379 --save '' --appendonly no

# Debian's wrk, for `make bench` and the harness's own test.
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

# `make bench` (MODE=two-nodes for two servers on one database; PEER=node-oidc-provider for Rotor/peer
# ratios, the peer from npm into the git-ignored bench/peer/node_modules; BENCH_ARGS for flags, see bench/README.md).
MODE ?= one-node
PEER ?=
bench: install-test wrk
	$(BIN)/pip install --quiet -e '.[bench]'
	$(if $(PEER),npm ci --prefix bench/peer --no-audit --no-fund --loglevel=error)
	$(BIN)/python bench/run.py --mode $(MODE) $(if $(PEER),--peer $(PEER)) $(BENCH_ARGS)

test: install-test browser wrk redis
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
