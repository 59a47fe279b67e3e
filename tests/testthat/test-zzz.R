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
  skip_if_no_server()
  output <- run_in_new_r(c(
    "bridge <- s3tools:::the$bridge",
    "cat('module', inherits(bridge, 'python.builtin.module'), '\\n')",
    "cat('python before', reticulate::py_available(), '\\n')",
    "cat('pattern', nzchar(bridge$ENVIRONMENT_PATTERN), '\\n')",
    "cat('python after', reticulate::py_available(), '\\n')"
  ))
  shown <- paste(output, collapse = "\n")
  # .onLoad made the module without starting Python; its first use started it.
  for (line in c("module TRUE ", "python before FALSE ", "pattern TRUE ", "python after TRUE ")) {
    expect_true(line %in% output, info = paste0(line, "\n", shown))
  }
})
