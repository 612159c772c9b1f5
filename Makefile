# Two commands for a new user: `make run` and `make test`. Both set themselves up.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON_FOR_VENV ?= $(shell command -v python3.11 || command -v python3)

.PHONY: run test setup screenshots bench package clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

## Start the desktop app on a local SQLite database (sample question bank on first start).
run: setup
	$(PY) -m desktop_app

## Every test, with a throwaway PostgreSQL and Qt offscreen.
test: setup
	QT_QPA_PLATFORM=offscreen tests/tools/with_postgres.sh $(PY) -m pytest $(PYTEST_ARGS)

## Render every screen under Xvfb into docs/screenshots/ (installs xvfb with apt-get if missing).
screenshots: setup
	@command -v xvfb-run >/dev/null || (apt-get update -qq && apt-get install -y -qq xvfb xauth)
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) tools/screenshots.py

## Benchmarks (tables with medians; PostgreSQL ones get a throwaway server).
bench: setup
	$(PY) bench/engine.py
	$(PY) bench/policy.py

## The one-folder desktop app for this platform in dist/AdaptiveLearning/, then its smoke test
## (packaging/build.py: a clean build/venv-package, PyInstaller, packaging/AdaptiveLearning.spec).
package: setup
	$(PY) packaging/build.py
	QT_QPA_PLATFORM=offscreen dist/AdaptiveLearning/AdaptiveLearning --smoke-test

clean:
	rm -rf $(VENV) build dist .pytest_cache
