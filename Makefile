# Two commands on a fresh machine (Python 3.11 and make): `make report`, then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: compiled report check test notebooks lab regenerate data-manifest params parameter-types benchmark benchmark-build lock clean compare-scenarios

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	# Put the repository on the venv's path (a .pth file: no build step, no download).
	$(BIN)/python -c 'import pathlib, site; pathlib.Path(site.getsitepackages()[0], "aws-accelerators-report.pth").write_text(str(pathlib.Path.cwd()) + "\n")'
	# Build the Vega bundle every page embeds once, into the environment (it depends on the vl-convert version only).
	$(BIN)/python -c 'from analysis.pipeline.page import vega_bundle; vega_bundle()'
	touch $@

# Every command first compiles the package's changed modules: Python reads .pyc files even where
# PYTHONDONTWRITEBYTECODE keeps it from writing them (as it is set on this project's machines), and without them each
# `python -m analysis` process compiles its modules again (about 0.17 s of every command and test subprocess).
compiled: $(INSTALLED)
	@$(BIN)/python -m compileall -q analysis

## report: build reports/default (index.html, results.json, executed notebooks) with default parameters
report: compiled
	$(BIN)/python -m analysis run --out reports/default

SCENARIOS := base essay-2024 nvidia-holds asic-surge

## compare-scenarios: build the four named scenarios (reports/scenario-NAME) and their comparison (reports/compare-scenarios)
compare-scenarios: compiled
	for s in $(SCENARIOS); do $(BIN)/python -m analysis run --scenario $$s --out reports/scenario-$$s || exit $$?; done
	$(BIN)/python -m analysis compare $(SCENARIOS:%=reports/scenario-%) --out reports/compare-scenarios

# Two workers, one test file at a time (a notebook's cells share one kernel), except the cases of the tests
# tests/conftest.py lists in SPREAD (each a unit of its own); conftest puts the heavy units first, which
# --no-loadscope-reorder keeps. PYTHONDONTWRITEBYTECODE is emptied for pytest so that it keeps the test modules with
# their asserts rewritten (tests/__pycache__, ignored by git): each worker otherwise rewrites them again on every run
# (about 4 s of its start).
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=5

## check: the quick loop: lint, then the type check (mypy: tests/test_typecheck.py, one unit of the run, beside the others) and the unit tests (no kernel, no browser, no report build, no whole command: the markers in pyproject.toml); prints its time
check: compiled
	@start=$$(date +%s); \
	$(BIN)/ruff check analysis tests benchmarks notebooks && \
	$(PYTEST) -m "not kernel and not browser and not build and not command" && \
	echo "make check: passed in $$(( $$(date +%s) - start )) s"

## test: everything, as CI runs it: lint (ruff), then the tests: the type check (mypy, configured in pyproject.toml; one unit of the test run, tests/test_typecheck.py), unit tests, strict nbval on the committed notebooks, report and browser tests
test: compiled
	$(BIN)/ruff check analysis tests benchmarks notebooks
	$(PYTEST)

## notebooks: re-execute the committed notebooks in place with default parameters (volatile metadata stripped)
notebooks: compiled
	$(BIN)/python -m analysis notebooks

## lab: open the notebooks in JupyterLab (--allow-root: containers run as root)
lab: compiled
	$(BIN)/jupyter lab --allow-root notebooks

## regenerate: after a deliberate edit of data/ (new rows, vendors, parameters): the data manifest, the typed parameter fields, the notebooks' parameters cells and their outputs
regenerate: compiled
	$(BIN)/python -m analysis data-manifest
	$(BIN)/python -m analysis params --format python --write
	$(BIN)/python -m analysis notebooks

## data-manifest: record checksums after a deliberate edit of data/
data-manifest: compiled
	$(BIN)/python -m analysis data-manifest

## params: list every parameter with unit, default, range and source
params: compiled
	$(BIN)/python -m analysis params

## parameter-types: rewrite analysis/data/parameter_types.py (the typed fields of Params) after a deliberate edit of data/parameters.csv
parameter-types: compiled
	$(BIN)/python -m analysis params --format python --write

## benchmark: Monte Carlo throughput (not a test)
benchmark: compiled
	$(BIN)/python benchmarks/bench_montecarlo.py

## benchmark-build: time the build (empty cache, one parameter changed, unchanged) against papermill + nbconvert
benchmark-build: compiled
	$(BIN)/python benchmarks/bench_build.py

## lock: recompile requirements.lock from requirements.in (needs the network to PyPI)
lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url -o requirements.lock requirements.in

clean:
	rm -rf $(VENV) reports/default .cache
