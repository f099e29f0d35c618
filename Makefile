# hangviet — two commands on a fresh machine: `make run` and `make test`.
# uv is installed with pip when missing; everything else comes from uv.lock.

SHELL := /bin/bash
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PYTEST_ARGS ?=
# Tests run on PYTEST_WORKERS xdist workers (0: in this process); tests sharing a started platform stay on one
# worker (the loadgroup scheduler in tests/conftest.py). With three or more, the last is a background worker at a
# lower priority that takes no integration test; two stay the default: on a machine other runs kept busy, three
# (877 s, mean load 8.5) did not beat two (567 s, load 4.6) and took more CPU (987 s against 771 s). Bytecode is
# written even where PYTHONDONTWRITEBYTECODE is set, so the workers and every service process the integration
# tests start don't compile all their imports.
PYTEST_WORKERS ?= 2
PYTEST = PYTHONDONTWRITEBYTECODE= $(UV) run pytest -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: bootstrap browser run test test-fast lint bench clean compose-check

bootstrap:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

browser: ## Debian's Chromium for the browser journeys (tests/e2e), installed when missing and apt-get can
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Chromium for the browser tests (apt-get)"; \
			(apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }) >/dev/null; \
		else echo "Chromium is missing: install it (e.g. apt-get install -y chromium) for tests/e2e" >&2; fi; }

run: bootstrap ## run the whole platform on embedded defaults, seed demo data once
	$(UV) run hangviet up

test: bootstrap browser ## unit, service and integration tests (PostgreSQL too when TEST_POSTGRES_URL is set)
	$(PYTEST) --durations=15 $(PYTEST_ARGS)

test-fast: bootstrap ## unit and service tests: no child process, no port (tests/conftest.py marks the rest integration)
	$(PYTEST) -m "not integration" $(PYTEST_ARGS)

lint: bootstrap ## ruff on everything, strict mypy on the kernel, the services and devstack, the import rules, compose and Kubernetes validated
	$(UV) run ruff check .
	$(UV) run mypy shared services devstack --exclude 'services/[a-z]+/migrations/versions/'
	$(UV) run lint-imports
	$(MAKE) --no-print-directory compose-check
	$(UV) run python -m deploy.k8s.check

compose-check: bootstrap
	$(UV) run python -m deploy.compose_check

bench: bootstrap ## benchmarks: every module runs to the end (tables printed, JSON under bench/results/); fails after if one failed
	@failed=""; for module in $$(ls bench/*.py | xargs -n1 basename | grep -v '^__' | sed 's/\.py$$//'); do \
		echo "== bench.$$module"; $(UV) run python -m bench.$$module || failed="$$failed bench.$$module"; done; \
	if [ -n "$$failed" ]; then echo "make bench: failed:$$failed" >&2; exit 1; fi

clean:
	rm -rf var .pytest_cache .hypothesis .mypy_cache .ruff_cache bench/results test-artifacts
