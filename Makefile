# Pullboard: `make run` serves the demo factory, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
UV_VERSION := 0.13.8

.PHONY: run test setup setup-dev vendor lint typecheck pytest bench services-check worker beat clean fuzz

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Stamps: a second run reuses what the first made, until a lock file changes.
$(VENV)/.base-installed: requirements/base.txt pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/base.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt $(VENV)/.base-installed
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/dev.txt
	touch $@

# Front-end libraries come pinned from the npm registry (package-lock.json), never committed.
static/vendor/.installed: package.json package-lock.json scripts/vendor.sh
	bash scripts/vendor.sh
	touch $@

# The translations (locale/*/LC_MESSAGES/*.po) compiled to .mo, which are not committed.
# msgfmt comes with Debian's gettext package.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
locale/%.mo: locale/%.po | $(VENV)/.base-installed
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: apt-get install gettext (see README)" >&2; exit 1; }
	msgfmt --check-format -o $@ $<

setup: $(VENV)/.base-installed static/vendor/.installed $(MO_FILES)
setup-dev: $(VENV)/.dev-installed static/vendor/.installed $(MO_FILES)

# Migrate, collect static files, load the demo and serve, in one process (config/serve.py).
run: setup
	@mkdir -p var
	@PORT=$(PORT) $(BIN)/python -m config.serve

# The test suite and the benchmarks talk to real services: PostgreSQL and Redis on their
# standard ports unless DATABASE_URL / REDIS_URL say otherwise. (`make run` does not: it is
# the embedded profile unless the caller's environment says otherwise.)
TEST_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/pullboard)
TEST_REDIS_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/15)
services-check pytest bench: export DATABASE_URL := $(TEST_DATABASE_URL)
services-check pytest bench: export REDIS_URL := $(TEST_REDIS_URL)
# Not a deployment: a key of its own unless the caller's environment has one (mypy's
# Django plugin loads the settings too).
services-check pytest bench typecheck: export DJANGO_SECRET_KEY := $(or $(DJANGO_SECRET_KEY),pullboard-local-tests-and-benchmarks-only-never-a-deployment)

services-check: setup-dev
	$(BIN)/python scripts/check_services.py

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup-dev
	$(BIN)/mypy config production kanban

pytest: setup-dev services-check
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: setup-dev services-check
	$(BIN)/python bench/run_all.py

# The schemathesis run of the suite, longer (examples per operation, stateful sequences).
fuzz: setup-dev services-check
	SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-200} \
	SCHEMATHESIS_STATEFUL_EXAMPLES=$${SCHEMATHESIS_STATEFUL_EXAMPLES:-300} \
	$(BIN)/pytest tests/api/test_schemathesis.py -q

worker: setup
	$(BIN)/celery -A config worker --loglevel INFO --concurrency 2

beat: setup
	$(BIN)/celery -A config beat --loglevel INFO

clean:
	rm -rf $(VENV) var static/vendor node_modules
