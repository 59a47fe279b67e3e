# Runs every shared case in R against a running S3 server and writes, per case,
# the normalised result and what it left behind, as JSON. Used by the parity
# suite (tests/python/test_parity.py), which compares them with Python's.
#
#   Rscript tests/cases/run_cases.R <endpoint> <output.json>
#
# The environment carries the keys and S3TOOLS_PYTHON; the package is loaded
# from the source tree when it is not installed at the same version.

arguments <- commandArgs(trailingOnly = TRUE)
endpoint <- arguments[[1]]
output <- arguments[[2]]
script <- sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))
root <- normalizePath(file.path(dirname(script), "..", ".."))

pkgload::load_all(root, quiet = TRUE, export_all = FALSE, helpers = FALSE)
helpers <- file.path(root, "tests", "testthat", c("helper-s3server.R", "helper-cases.R"))
# The helpers find tests/cases through testthat::test_path(), which outside a
# test run looks for tests/testthat/ in the working directory.
setwd(root)
for (helper in helpers) sys.source(helper, envir = globalenv())

results <- list()
support <- case_support()
for (case in load_cases()) {
  missing <- unlist(support$missing_fixtures(case$name))
  if (length(missing) > 0) {
    results[[case$name]] <- list(skipped = paste("fixtures not present:", missing))
    next
  }
  local_dir <- tempfile("case-")
  outcome <- run_case(case, endpoint, local_dir)
  results[[case$name]] <- list(result = jsonlite::fromJSON(outcome$result, simplifyVector = FALSE),
                               after = jsonlite::fromJSON(outcome$after, simplifyVector = FALSE))
  unlink(local_dir, recursive = TRUE)
}
writeLines(jsonlite::toJSON(results, auto_unbox = TRUE, null = "null", na = "null", digits = NA),
           output, useBytes = TRUE)
