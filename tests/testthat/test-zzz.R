# .onLoad (R/zzz.R): loading the package starts no Python and cannot fail.

test_that("library(s3tools) starts no Python; a missing one is a clear error at the first call", {
  skip_on_cran()
  root <- test_root()
  load <- if (file.exists(file.path(root, "DESCRIPTION")) && dir.exists(file.path(root, "R"))) {
    sprintf("pkgload::load_all(%s, quiet = TRUE)", deparse(root))
  } else {
    "library(s3tools)"
  }
  code <- paste(
    "started <- proc.time()[['elapsed']]",
    sprintf("suppressMessages(%s)", load),
    "cat('seconds', proc.time()[['elapsed']] - started, '\\n')",
    "cat('python', reticulate::py_available(), '\\n')",
    "Sys.setenv(S3TOOLS_PYTHON = '/nonexistent/bin/python')",
    "error <- tryCatch(s3_file_exists('bucket/key'), error = identity)",
    "cat('class', class(error)[1:2], '\\n')",
    "cat('help', grepl('make venv', conditionMessage(error)), '\\n')",
    sep = "\n"
  )
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(code, script)
  output <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE)
  expect_true(any(output == "python FALSE "), info = paste(output, collapse = "\n"))
  expect_true(any(output == "class s3tools_config s3tools_error "),
              info = paste(output, collapse = "\n"))
  expect_true(any(output == "help TRUE "), info = paste(output, collapse = "\n"))
})

test_that("the bridge is a delayed module until first use", {
  expect_true(is.environment(s3tools:::the))
  expect_false(is.null(s3tools:::the$bridge))
})
