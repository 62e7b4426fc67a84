# Sinergi: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export SINERGI_DATABASE_URL ?=

.PHONY: run test setup install serve init demo worker lint format check i18n-extract i18n-update i18n-compile i18n-check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@if [ -f package.json ] && command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error; fi
	@if [ -f package.json ] && [ -f scripts/vendor.sh ]; then sh scripts/vendor.sh; fi

setup: install i18n-compile

## Run the server on the embedded default: SQLite, demo data, worker inside, http://127.0.0.1:5000
run: setup
	$(BIN)/sinergi init --demo
	$(BIN)/sinergi serve --host 127.0.0.1 --port 5000

## Run every test (PostgreSQL too when SINERGI_TEST_DATABASE_URL is set)
test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

serve:
	$(BIN)/sinergi serve

worker:
	$(BIN)/sinergi worker

lint:
	$(BIN)/ruff check server tests bench

format:
	$(BIN)/ruff format server tests bench

## Translations: i18n-update (extract + merge + fill the source language), translate what
## `make i18n-check` lists in translations/{id,en}/LC_MESSAGES/messages.po, then i18n-compile.
BABEL_KEYWORDS := -k _l -k notice_text -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 -k pgettext:1c,2 -k lazy_pgettext:1c,2 -k pgettext_lazy:1c,2
BABEL_IGNORE := .* ._ __pycache__ node_modules instance tests bench migrations static

i18n-extract:
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs="$(BABEL_IGNORE)" --add-comments=TRANSLATORS: --project=Sinergi --copyright-holder="Sinergi" -o translations/messages.pot .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m server.i18n_check --fill-source
	-$(BIN)/python -m server.i18n_check

i18n-compile:
	@if [ -d translations ] && ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then $(BIN)/pybabel -q compile -d translations; fi

i18n-check:
	$(BIN)/python -m server.i18n_check

bench:
	$(BIN)/python bench/complete_task.py

clean:
	rm -rf $(VENV) instance .pytest_cache
