# One command per chore. `make demo` and `make test` work on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PG_URL  ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install demo serve test test-sqlite test-postgres test-platform test-browser lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

demo: install
	$(BIN)/lantern demo

serve: install
	$(BIN)/lantern serve

# The whole suite on the embedded SQLite database, then the database-backed suite again on
# PostgreSQL when one answers on DATABASE_URL or 127.0.0.1:5432.
test: install test-sqlite test-postgres

test-sqlite:
	DATABASE_URL= $(BIN)/pytest -p no:cacheprovider -n 2 --dist loadgroup

test-postgres:
	@url="$${DATABASE_URL:-$(PG_URL)}"; \
	if $(BIN)/python -m lantern.platform.dbcheck "$$url"; then \
	  echo "== PostgreSQL at $$url: running the database-backed suite again =="; \
	  DATABASE_URL="$$url" $(BIN)/pytest -p no:cacheprovider -m "not browser" tests/platform; \
	else echo "== no PostgreSQL answers at $$url: skipping the PostgreSQL run =="; fi

# The platform alone (SQLite), and the browser test alone (Debian's chromium at /usr/bin/chromium).
test-platform: install
	DATABASE_URL= $(BIN)/pytest -p no:cacheprovider -n 2 -m "not browser" tests/platform

test-browser: install
	DATABASE_URL= $(BIN)/pytest -p no:cacheprovider -m browser tests/browser

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf var/ .pytest_cache build dist
