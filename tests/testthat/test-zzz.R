# .onLoad (R/zzz.R): loading the package starts no Python and cannot fail.

test_that("library(s3tools) starts no Python; a missing one is a clear error at the first call", {
  skip_on_cran()
  output <- run_in_new_r(c(
    "cat('python', reticulate::py_available(), '\\n')",
    "Sys.setenv(S3TOOLS_PYTHON = '/nonexistent/bin/python')",
    "error <- tryCatch(s3_file_exists('bucket/key'), error = identity)",
    "cat('class', class(error)[1:2], '\\n')",
    "cat('help', grepl('make venv', conditionMessage(error)), '\\n')"
  ))
  expect_true(any(output == "python FALSE "), info = paste(output, collapse = "\n"))
  expect_true(any(output == "class s3tools_config s3tools_error "),
              info = paste(output, collapse = "\n"))
  expect_true(any(output == "help TRUE "), info = paste(output, collapse = "\n"))
})

test_that("the bridge is a delayed module until first use", {
  expect_true(is.environment(s3tools:::the))
  expect_false(is.null(s3tools:::the$bridge))
})
