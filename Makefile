# The two commands: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
R_PACKAGES := r-base-core r-cran-reticulate r-cran-testthat r-cran-jsonlite r-cran-readxl \
	r-cran-haven r-cran-knitr r-cran-rmarkdown r-cran-withr r-cran-tibble r-cran-roxygen2 \
	r-cran-pkgload r-cran-pkgbuild r-cran-later r-cran-rstudioapi r-cran-bit64 r-base-dev
# The same packages by their R names, to see whether they are installed.
R_NAMES := $(patsubst r-cran-%,%,$(filter r-cran-%,$(R_PACKAGES)))
export TZ := UTC

.PHONY: demo test test-python test-python-side test-python-rest test-seaweedfs test-r test-parity venv r-deps r-build-deps browser-deps bench soak conformance lint check r-package clean deps-check

# R comes first: rpy2 (the parity suite's embedded R) compiles against it.
venv: $(BIN)/.installed
$(BIN)/.installed: requirements.lock pyproject.toml | r-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# R and its packages come from Debian (apt), installed once; r-base-dev brings the C
# compiler and headers for the package's src/ (pkgbuild compiles it under load_all).
r-deps:
	@if ! Rscript -e 'for (p in commandArgs(TRUE)) if (!requireNamespace(p, quietly=TRUE)) quit(status=1)' $(R_NAMES) >/dev/null 2>&1 || ! command -v gcc >/dev/null; then \
		echo "Installing R from Debian..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(R_PACKAGES) >/dev/null; \
	fi

# Debian's Chromium and its driver, for the file explorer's browser test (apt, as root, once).
# Where they cannot be installed, that one test is skipped and says why.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		echo "Installing Chromium from Debian..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium chromium-driver >/dev/null) || \
		echo "Chromium could not be installed: the explorer's browser test will be skipped."; \
	fi

# `s3tools serve` with sample files, then the main job from the command line, in Python
# and in R (Rscript python/s3tools/demo.R) against that server; the server is stopped by its PID.
demo: venv r-deps
	$(BIN)/python -m s3tools.demo

test-python: venv browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/python

# make test runs the moto suite as two pytest processes side by side, so that it does not
# keep one core busy long after the R and SeaweedFS suites have ended: these modules (R
# embedded in Python, the shared cases, subprocesses, servers and browsers, which mostly
# wait), then every other module of tests/python. Together they are test-python, whole.
PYTHON_SIDE_SUITE := $(wildcard tests/python/test_parity.py tests/python/test_cases.py \
	tests/python/test_cli.py tests/python/test_serve.py tests/python/test_bombs.py \
	tests/python/test_explorer*.py tests/python/test_demo.py tests/python/test_fuzz.py \
	tests/python/test_preview.py)
test-python-side: venv browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTHON_SIDE_SUITE)
test-python-rest: venv browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/python \
		$(addprefix --ignore=,$(PYTHON_SIDE_SUITE))

# The core suite again, against SeaweedFS: a second, independent S3 implementation.
SEAWEEDFS_SUITE := tests/python/test_read.py tests/python/test_write.py \
	tests/python/test_listing.py tests/python/test_preview.py tests/python/test_transport*.py
test-seaweedfs: venv
	S3TOOLS_TEST_SERVER=seaweedfs $(BIN)/python -m pytest -q -p no:cacheprovider $(SEAWEEDFS_SUITE)

# The suites run side by side (each starts its own servers on free ports): R, SeaweedFS,
# and the moto suite in its two halves (test-python-side, test-python-rest). Their output
# is shown whole, one suite after the other, the rest of pytest on moto last, so that
# pytest's closing line is the last line. The exit status is non-zero if any failed.
test: venv r-deps browser-deps
	@logs=$$(mktemp -d); trap 'rm -rf "$$logs"' EXIT; \
	$(MAKE) --no-print-directory test-r >"$$logs/r" 2>&1 & r=$$!; \
	$(MAKE) --no-print-directory test-seaweedfs >"$$logs/seaweedfs" 2>&1 & s=$$!; \
	$(MAKE) --no-print-directory test-python-side >"$$logs/side" 2>&1 & p=$$!; \
	status=0; \
	$(MAKE) --no-print-directory test-python-rest >"$$logs/python" 2>&1 || status=$$?; \
	wait $$r || status=$$?; wait $$s || status=$$?; wait $$p || status=$$?; \
	cat "$$logs/r" "$$logs/seaweedfs" "$$logs/side" "$$logs/python"; \
	exit $$status

# The testthat suite against a private moto server; its last line reads
# "R: N passed, N failed, N skipped".
test-r: venv r-deps
	@S3TOOLS_PYTHON="$(CURDIR)/$(BIN)/python" S3TOOLS_REQUIRE_SERVER=true Rscript tests/run_r_tests.R

test-parity: venv r-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/python/test_parity.py

# What building the R source package needs, and only that: R, reticulate (the vignette
# is built with the package installed), knitr and rmarkdown (its builder, with pandoc),
# and a C compiler (src/). Installed from Debian when one is missing.
R_BUILD_PACKAGES := r-base-core r-cran-reticulate r-cran-knitr r-cran-rmarkdown r-base-dev
r-build-deps:
	@if ! Rscript -e 'for (p in commandArgs(TRUE)) if (!requireNamespace(p, quietly=TRUE)) quit(status=1)' \
			$(patsubst r-cran-%,%,$(filter r-cran-%,$(R_BUILD_PACKAGES))) >/dev/null 2>&1 || \
			! command -v gcc >/dev/null || ! command -v pandoc >/dev/null; then \
		echo "Installing what building the R package needs from Debian..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(R_BUILD_PACKAGES) pandoc >/dev/null; \
	fi

# The R source package, s3tools_<version>.tar.gz, into DEST (default: here). It carries
# the Python sources in inst/python (pyproject.toml, README.md, python/) and the pinned
# versions (requirements.lock), so that install_s3tools_python() can set up the Python
# side from an installed tarball alone, with the versions tested here.
DEST ?= $(CURDIR)
r-package: r-build-deps
	@stage=$$(mktemp -d); trap 'rm -rf "$$stage"' EXIT; \
	mkdir "$$stage/s3tools" && \
	git -C "$(CURDIR)" ls-files -z --cached --others --exclude-standard | \
		tar -C "$(CURDIR)" --null -T - -cf - | tar -C "$$stage/s3tools" -xf - && \
	mkdir -p "$$stage/s3tools/inst/python" && \
	cp -r "$$stage/s3tools/pyproject.toml" "$$stage/s3tools/README.md" \
		"$$stage/s3tools/requirements.lock" "$$stage/s3tools/python" \
		"$$stage/s3tools/inst/python/" && \
	mkdir -p "$(DEST)" && cd "$(DEST)" && R CMD build "$$stage/s3tools"

# roxygen2, the R source package (above), then R CMD check --no-manual in a temporary folder;
# fails on any ERROR, WARNING or NOTE. The tests run against the project's venv; no
# package repository is asked for anything (repos left empty).
check: venv r-deps
	@Rscript -e 'roxygen2::roxygenise()' >/dev/null
	@folder=$$(mktemp -d); trap 'rm -rf "$$folder"' EXIT; \
	$(MAKE) --no-print-directory r-package DEST="$$folder" && cd "$$folder" && \
	echo 'options(repos = character())' > profile.R && \
	R_PROFILE_USER="$$folder/profile.R" S3TOOLS_PYTHON="$(CURDIR)/$(BIN)/python" \
		_R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual s3tools_*.tar.gz; status=$$?; \
	if [ $$status -ne 0 ] || grep -Eq '^Status:.*(ERROR|WARNING|NOTE)' s3tools.Rcheck/00check.log; then \
		grep -B2 -A20 -E '(ERROR|WARNING|NOTE)$$' s3tools.Rcheck/00check.log; exit 1; fi

# The benchmark against a local SeaweedFS server (bench/run.py): `make bench`, or
# `make bench QUICK=1` for small sizes in about a minute; AGAINST=<commit> adds that
# commit's s3tools to every scenario, in the same run (bench/baseline.py).
# R users' own readers for scenario 7 (data.table, vroom) come from Debian too.
bench: venv r-deps
	@Rscript -e 'for (p in c("data.table","vroom")) if (!requireNamespace(p, quietly=TRUE)) quit(status=1)' >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends r-cran-data.table r-cran-vroom >/dev/null)
	$(BIN)/python bench/run.py $(if $(filter-out 0,$(QUICK)),--quick,) $(if $(AGAINST),--against $(AGAINST),)

# Every file of ../shared/corpus (or S3TOOLS_CORPUS) read through s3tools in Python
# and in R, compared with its format's usual reader (tests/conformance/corpus.py).
conformance: venv r-deps
	$(BIN)/python tests/conformance/corpus.py --r

# pyproject.toml's dependencies resolved by pip in a new venv (asking the package index):
# fails if that takes over 60 s, or if boto3's cap no longer matches the botocore window of
# the aiobotocore that the newest s3fs takes, and says what to change (tests/deps_check.py).
# Not part of make test: it needs the index and a minute.
deps-check:
	$(PYTHON) tests/deps_check.py

# 10,000 mixed operations against SeaweedFS; fails if memory grows past its bound.
soak: venv
	$(BIN)/python bench/soak.py
