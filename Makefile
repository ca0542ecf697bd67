# Two commands on a fresh machine; each sets itself up.
#   make book   build the sample book (book/) into output/
#   make test   run the tests (all of them: what CI runs)
#   make test-fast   the tests not marked slow (no real book, no external checkers): the edit loop
#   make lint   ruff (lint and format check) on src/, tests/ and bench/, and mypy, in the test environment
#   make test-weasyprint-latest   the PDF tests against the newest WeasyPrint and pydyf
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINTED := $(VENV)/.lint-installed
ICU    := $(VENV)/.icu-tried

# What WeasyPrint needs from the system. libharfbuzz-subset0 makes font subsetting
# native (without it fonts are subset in pure Python and a PDF takes about twice as long).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig

.PHONY: book real test test-fast lint bench clean system-packages test-weasyprint-latest

# Installs the missing system packages when run as root on Debian/Ubuntu; otherwise
# prints the command to run. Never fails the build: aixbook says clearly what it lacks.
system-packages:
	@if [ -f /etc/debian_version ] && command -v dpkg-query >/dev/null; then \
	  missing=$$(for p in $(DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	  if [ -z "$$missing" ]; then :; \
	  elif [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing system packages; run: sudo apt-get install $$(echo $$missing)"; \
	  fi; \
	else \
	  echo "not Debian/Ubuntu: install Pango and HarfBuzz with its subset library (see: aixbook doctor)"; \
	fi

$(STAMP): pyproject.toml | system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# PyICU (the "icu" extra: Hugo's title order in every language) is built from source; the
# tests that need it skip, saying so, where it cannot be built.
$(ICU): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,icu]' || echo "PyICU could not be built (needs libicu-dev, pkg-config and a C++ compiler): the tests of Hugo's title order in other languages will skip"
	touch $(ICU)

# The environment make test builds (with the icu extra when it can be built), plus the linters:
# mypy checks the code against the packages the tests run with.
$(LINTED): $(ICU)
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(LINTED)

book: $(STAMP)
	$(BIN)/aixbook build book

real: $(STAMP)
	$(BIN)/aixbook build ../shared/corpus/ai-exchange

test: $(ICU)
	$(BIN)/python -m pytest -q

# Leaves out the tests marked slow (the real book, Hugo, epubcheck, Ace, veraPDF, a browser,
# installs, many builds: see CONTRIBUTING.md); make test runs them.
# Spread over the machine's cores (pytest-xdist): CI's make test stays one process, in order.
test-fast: $(ICU)
	$(BIN)/python -m pytest -q -m "not slow" -n auto

lint: $(LINTED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Before widening the WeasyPrint/pydyf range: the PDF tests in a throwaway venv with the
# newest releases (pip warns that aixbook asks for the older series; that is the point).
# test_pdf_internals.py names every private function that changed, and what the build
# does without it: the review is src/aixbook/render/pdf/internals.py (and patches.py).
LATEST    ?= $(or $(TMPDIR),/tmp)/aixbook-weasyprint-latest
PDF_TESTS ?= tests/test_pdf_internals.py tests/test_pdf_patches.py tests/test_pdf_parts.py tests/test_pdf.py
test-weasyprint-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet -e '.[test]'
	$(LATEST)/bin/python -m pip install --quiet --upgrade weasyprint pydyf
	$(LATEST)/bin/python -m pip show weasyprint pydyf | grep -E '^(Name|Version)'
	status=0; $(LATEST)/bin/python -m pytest -q $(PDF_TESTS) || status=$$?; rm -rf $(LATEST); exit $$status

bench: $(STAMP)
	$(BIN)/python bench/bench.py

clean:
	rm -rf output .aixbook-cache
