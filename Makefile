# `make run` sets up and starts the service; `make test` sets up and runs the whole suite.
# SQLite (with django-q2's ORM broker) by default; PostgreSQL when DATABASE_URL is set.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip -q --disable-pip-version-check
SEED := fixtures/state-of-ai-2026.yaml

.PHONY: run prod test bench mutants lint format lock setup clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamp files re-run pip only when the requirements change. Each requirements*.txt is a
# complete lock with hashes, generated from its .in by `make lock`: never edited by hand.
# requirements.txt is production's (the image); -local adds honcho for `make run`.
$(VENV)/.run-installed: requirements-local.txt | $(PY)
	$(PIP) install -r requirements-local.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt | $(PY)
	$(PIP) install -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

setup: $(VENV)/.run-installed
	$(PY) manage.py migrate --noinput
	# Adds the seed's predictions the database lacks and changes none: a reviewer's edits
	# survive every start. `import_predictions FILE` without the flag updates from the file.
	$(PY) manage.py import_predictions --missing-only $(SEED)
	$(PY) manage.py install_schedule
	$(PY) manage.py ensure_admin

# honcho runs the Procfile (web + cluster) with the virtualenv first on PATH.
run: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start

# Production on this host, one command (docs/operating.md, "Running in production"): migrate, install the
# schedule, collectstatic, then gunicorn. Needs DEBUG=False, SECRET_KEY and ALLOWED_HOSTS.
prod: $(VENV)/.run-installed
	PYTHON=$(abspath $(PY)) bin/start

# The import layers first (pyproject.toml, [tool.importlinter]): a second, then the suite.
test: $(VENV)/.dev-installed
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -n 2

# Flagging, export, scorecard and admin queue beside hand-written SQL, on throwaway
# PostgreSQL databases next to DATABASE_URL's: BENCH_SIZES=10000,100000,1000000 for the
# full run, BENCH_RUNS for the runs per figure. Prints figures, asserts none (bench/run.py).
# Then requests/s of the scorecard and a trivial page through gunicorn on loopback, loaded by
# wrk (`apt-get install wrk`; without it that table is skipped with a message): bench/throughput.py.
bench: $(VENV)/.dev-installed
	$(PY) -m bench.run
	$(PY) -m bench.throughput

# Mutation testing of the core rules (transitions, decisions, the flag job, scoring, the
# filters, the export rows, the API, ingest): about an hour on 2 cores (3,891 mutants). Prints
# the score and the survivors; a run cut short by the timeout reports what it checked.
mutants: $(VENV)/.dev-installed
	rm -rf mutants
	timeout 4500 $(VENV)/bin/mutmut run --max-children 2 >/dev/null 2>&1 || true
	$(VENV)/bin/mutmut results
	@$(PY) -c "import json,glob,collections; c=collections.Counter(v for f in glob.glob('mutants/**/*.meta',recursive=True) for v in json.load(open(f))['exit_code_by_key'].values()); print('exit codes (0 = survived, 1 = killed):', dict(c))"

# After editing a requirements*.in: the locks again, with the hashes pip then insists on.
# Pins already in a lock stay unless its .in asks otherwise (pip-compile --upgrade moves them).
LOCK := $(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: | $(PY)
	$(PIP) install pip-tools==7.7.0
	$(LOCK) -o requirements.txt requirements.in
	$(LOCK) -o requirements-local.txt requirements-local.in
	$(LOCK) -o requirements-dev.txt requirements-dev.in

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles test-artifacts mutants
