# The two commands of the README: `make demo` and `make test`. Both set everything up.
#
# `make demo` installs mldossier the way users do (`pip install .`, not editable, no test
# tools) into its own venv; `make test` and `make lint` use an editable install with the
# test extras.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_VENV ?= .venv-demo
DEMO_PY := $(DEMO_VENV)/bin/python

.PHONY: setup system-deps demo test test-fast lint docs dist clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh --test

## Validate, check and build the report of the bundled demo evidence into site/ (with
## site/report.pdf, results.json and manifest.json). check exits 1: the demo has planted gaps.
demo:
	bash scripts/install-system-deps.sh
	test -x $(DEMO_PY) || python3 -m venv $(DEMO_VENV)
	$(DEMO_PY) -m pip install --quiet --disable-pip-version-check .
	$(DEMO_VENV)/bin/mldossier validate
	$(DEMO_VENV)/bin/mldossier check --json out/results.json --junit out/results.xml; \
	  code=$$?; test $$code -eq 0 -o $$code -eq 1
	$(DEMO_VENV)/bin/mldossier build --out site
	$(DEMO_VENV)/bin/mldossier verify site

## Run the whole test suite (browser and PDF tests included).
test: setup system-deps
	$(PY) -m pytest

## The fast inner loop: every test not marked slow.
test-fast: setup system-deps
	$(PY) -m pytest -m "not slow"

## Formatting, lint and strict type checks (CI runs these before the tests).
lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --strict src/mldossier

## The sdist and the wheel, checked with twine.
dist: setup
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

## Build the tool's own documentation site into docs-site/ (strict).
docs: setup
	$(VENV)/bin/mkdocs build --strict -f mkdocs-docs.yml

clean:
	rm -rf $(VENV) $(DEMO_VENV) site out docs-site dist .pytest_cache .mldossier-cache
