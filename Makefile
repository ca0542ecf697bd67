# Two commands on a fresh machine; each sets itself up.
#   make book   build the sample book (book/) into output/
#   make test   run the tests
#   make lint   ruff (lint and format check) and mypy on src/
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINTED := $(VENV)/.lint-installed

.PHONY: book real test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(LINTED): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(LINTED)

book: $(STAMP)
	$(BIN)/aixbook build book

real: $(STAMP)
	$(BIN)/aixbook build ../shared/corpus/ai-exchange

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(LINTED)
	$(BIN)/ruff check src
	$(BIN)/ruff format --check src
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/bench.py

clean:
	rm -rf output .aixbook-cache
