# lstmkit: `make demo` and `make test` work on a fresh machine from nothing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

install: $(STAMP)

# torch first: the CPU build that lies on disk. A bare `torch` requirement left to pip
# would pull a multi-gigabyte CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test,parquet,onnx]'
	touch $(STAMP)

demo: install
	$(VENV)/bin/lstmkit demo

# With a C++ compiler on the machine, a compiled LSTM loop that fails to build fails the suite
# (LSTMKIT_REQUIRE_EXTENSION) instead of falling back to the PyTorch loop unnoticed.
test: install
	LSTMKIT_REQUIRE_EXTENSION=$$(command -v $${CXX:-c++} >/dev/null && echo 1 || echo 0) $(PY) -m pytest -q -n 2

bench: install
	$(PY) benchmarks/bench_lstm.py
	$(PY) benchmarks/bench_forecast.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis
