# The two commands of the README: `make demo` and `make test`. Both set everything up.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup system-deps demo test lint docs clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

## Validate, check and build the report of the bundled demo evidence into site/ (with
## site/report.pdf, results.json and manifest.json). check exits 1: the demo has planted gaps.
demo: setup system-deps
	$(VENV)/bin/mldossier validate
	$(VENV)/bin/mldossier check --json out/results.json --junit out/results.xml; \
	  code=$$?; test $$code -eq 0 -o $$code -eq 1
	$(VENV)/bin/mldossier build --out site
	$(VENV)/bin/mldossier verify site

## Run the whole test suite (browser and PDF tests included).
test: setup system-deps
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy src/mldossier

## Build the tool's own documentation site into docs-site/ (strict).
docs: setup
	$(VENV)/bin/mkdocs build --strict -f mkdocs-docs.yml

clean:
	rm -rf $(VENV) site out docs-site .pytest_cache
