# The two commands: `make run` and `make test`. Everything else is a step they share.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# Development defaults; a deployment sets DEBUG=0 and its own SECRET_KEY.
export DEBUG ?= 1
MANAGE := $(BIN)/python manage.py
# Test processes (pytest-xdist); 1 runs the suite in one process.
TEST_WORKERS ?= 2

.PHONY: run release serve test test-dates setup check-system check-system-tests venv translations migrate demo lint format check lock audit scan backup restore bench clean

run: setup demo ## Set up, load the demo data and serve on 127.0.0.1:$(PORT) with a worker and beat
	scripts/run-dev.sh

release: check-system venv translations ## Migrate and collect static files, once per deployment of new code, before `make serve` (README: Deployment)
	@case "$${DATABASE_URL:-}" in postgres://* | postgresql://*) ;; \
	  *) echo "release: set DATABASE_URL=postgres://... (and SECRET_KEY), as for make serve"; exit 2 ;; esac
	DEBUG=0 $(MANAGE) migrate --noinput
	DEBUG=0 $(MANAGE) collectstatic --noinput -v 0

serve: check-system venv translations ## The production topology under circus (README: Deployment); needs DATABASE_URL, REDIS_URL, SECRET_KEY and `make release` first
	scripts/serve.sh

test: check-system-tests venv translations ## Set up and run the whole suite
	@# A queue of the run's own, so no other worker on the same broker takes its tasks.
	CELERY_DEFAULT_QUEUE=test-$$$$ CELERY_PDF_QUEUE=test-$$$$ $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(TEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi; exit $$rc

test-dates: check-system-tests venv translations ## The date-sensitive tests on each day of the date matrix (README: Tests)
	.ci/date-matrix

setup: check-system venv translations migrate

check-system:
	@$(PYTHON) scripts/check_system.py

check-system-tests:
	@$(PYTHON) scripts/check_system.py --tests

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	touch $@

translations: venv
	$(MANAGE) compile_translations

migrate: venv
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) load_demo

bench: check-system venv translations ## Hot paths at zone, city and province scale (README: Performance); PostgreSQL when DATABASE_URL is set
	@# The load generator is Debian's wrk; installed here when this user may.
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  { echo "The throughput figures need wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: venv ## ruff, Django's checks, and no model change without a migration
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/python scripts/check_compose.py

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

audit: venv ## bandit on our code, pip-audit on the locked requirements
	scripts/security_audit.sh

scan: venv translations ## Passive security scan (wapiti) of the app on loopback, DEBUG off (README: Security)
	scripts/passive_scan.sh

backup: venv translations ## Database dump + media + manifest in one file in DIR (default var/backups/); README: Backups
	$(MANAGE) backup $(if $(DIR),--output-dir "$(DIR)")

restore: venv translations ## Restore FILE=... into an empty database and media folder (FORCE=1 replaces what is there)
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=var/backups/hitech-zone-<time>.tar [FORCE=1]"; exit 2; }
	$(MANAGE) restore "$(FILE)" $(if $(FORCE),--force)

lock: ## Re-pin requirements/*.txt from requirements/*.in
	$(BIN)/pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links base.in -o base.txt
	cd requirements && ../$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links dev.in -o dev.txt

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
