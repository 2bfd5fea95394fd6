# lstmkit: `make demo` and `make test` work on a fresh machine from nothing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: install browser-deps demo test lint bench clean

install: $(STAMP)

# torch first: the CPU build that lies on disk. A bare `torch` requirement left to pip
# would pull a multi-gigabyte CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test,parquet,onnx,references,lint]'
	touch $(STAMP)

demo: install
	$(VENV)/bin/lstmkit demo

# headless Chromium and tidy for the report.html tests (tests/plots/test_report.py skips them where missing):
# installed with apt when it is there and we are root; never fails the build
browser-deps:
	-@command -v chromium >/dev/null 2>&1 && command -v tidy >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    { apt-get install -y -qq chromium tidy >/dev/null 2>&1 || \
	      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium tidy >/dev/null 2>&1; }; }; } || \
	  echo "chromium or tidy not installed: the report.html browser and validator tests will be skipped"

# With a C++ compiler on the machine, a compiled LSTM loop that fails to build fails the suite
# (LSTMKIT_REQUIRE_EXTENSION) instead of falling back to the PyTorch loop unnoticed.
test: install browser-deps
	LSTMKIT_REQUIRE_EXTENSION=$$(command -v $${CXX:-c++} >/dev/null && echo 1 || echo 0) $(PY) -m pytest -q -n 2

# ruff (lint and format, configured in pyproject.toml) and mypy ([tool.mypy]: src/lstmkit)
LINTED := src tests benchmarks examples
# all three run, so one pass lists every problem; the target fails if any failed
lint: install
	@rc=0; \
	$(VENV)/bin/ruff check $(LINTED) || rc=1; \
	$(VENV)/bin/ruff format --check $(LINTED) || rc=1; \
	$(VENV)/bin/mypy || rc=1; \
	exit $$rc

bench: install
	$(PY) benchmarks/bench_lstm.py
	$(PY) benchmarks/bench_forecast.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
