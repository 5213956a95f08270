# The two commands of the README: `make demo` and `make test`. Both set everything up.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup system-deps demo test lint clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

## Validate, check and build the report of the bundled demo evidence into site/ and report.pdf.
demo: setup system-deps
	$(VENV)/bin/mldossier validate
	$(VENV)/bin/mldossier check --json out/results.json --junit out/results.xml || test $$? -eq 1

## Run the whole test suite (browser and PDF tests included).
test: setup system-deps
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy src/mldossier

clean:
	rm -rf $(VENV) site out .pytest_cache
