# One command to run the app, one to run every test; both set everything up first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run test bench lint screenshots examples

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[app,dev]"
	$(PY) -m compileall -q matcher  # bytecode written even where PYTHONDONTWRITEBYTECODE is set: a shorter start
	touch $@

run: install
	$(VENV)/bin/streamlit run app.py

test: install
	$(PY) -m pytest

# The README's screenshots (docs/*.png), from the browser tests; `make test` writes them to a temporary folder.
screenshots: install
	MATCHER_SCREENSHOTS=docs $(PY) -m pytest -q tests/test_browser.py

# The judged projects the engine learns from (matcher/data/examples.csv), from the tune splits of data/eval.
examples: install
	$(PY) -c "from matcher.evaluation import write_examples; print(write_examples(), 'judgements')"

bench: install
	$(PY) benchmarks/bench.py

lint: install
	$(VENV)/bin/ruff check matcher tests app.py benchmarks notebooks
	$(VENV)/bin/ruff format --check matcher tests app.py benchmarks notebooks
