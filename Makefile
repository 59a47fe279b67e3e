# The two commands: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
R_PACKAGES := r-base-core r-cran-reticulate r-cran-testthat r-cran-jsonlite r-cran-readxl \
	r-cran-haven r-cran-knitr r-cran-rmarkdown r-cran-withr r-cran-tibble r-cran-roxygen2
export TZ := UTC

.PHONY: demo test test-python test-r test-parity venv r-deps bench lint check clean

venv: $(BIN)/.installed
$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# R and its packages come from Debian (apt), installed once.
r-deps:
	@if ! Rscript -e 'for (p in c("reticulate","testthat","jsonlite","readxl","haven","knitr","rmarkdown","withr","tibble","roxygen2")) if (!requireNamespace(p, quietly=TRUE)) quit(status=1)' >/dev/null 2>&1; then \
		echo "Installing R from Debian..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(R_PACKAGES) >/dev/null; \
	fi

demo: venv
	$(BIN)/python -m s3tools.demo

test-python: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/python

test: test-python

# The benchmark against a local SeaweedFS server (bench/run.py): `make bench`, or
# `make bench QUICK=1` for small sizes in about a minute.
$(BIN)/.bench-installed: requirements-bench.lock $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	touch $@

bench: venv $(BIN)/.bench-installed
	$(BIN)/python bench/run.py $(if $(filter-out 0,$(QUICK)),--quick,)
