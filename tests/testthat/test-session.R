# refresh_credentials() (R/session.R): new keys set with Sys.setenv() are used at once,
# refused keys are a config error naming what to renew, and no condition shows a secret.

# The keys of a user who may only read test-bucket, in force (IAM checks on) until
# the calling test ends.
local_read_only_keys <- function(envir = parent.frame()) {
  support <- case_support()
  endpoint <- getOption("s3tools.test_endpoint")
  reader <- support$create_read_only_user(endpoint)
  withr::local_envvar(AWS_ACCESS_KEY_ID = reader$AccessKeyId,
                      AWS_SECRET_ACCESS_KEY = reader$SecretAccessKey, .local_envir = envir)
  support$set_auth(endpoint, 0)
  withr::defer(support$set_auth(endpoint, Inf), envir = envir)
  reader
}

test_that("refresh_credentials takes up keys set with Sys.setenv, without a restart", {
  client <- local_s3()
  put_object(client, "a.txt", "hello")
  reader <- local_read_only_keys()
  refresh_credentials()
  expect_identical(rawToChar(read_file_from_s3("test-bucket/a.txt")), "hello")

  Sys.setenv(AWS_SECRET_ACCESS_KEY = "not-the-secret-at-all")
  expect_null(refresh_credentials())
  refused <- tryCatch(read_file_from_s3("test-bucket/a.txt"), error = identity)
  expect_s3_class(refused, "s3tools_config")
  expect_match(conditionMessage(refused), "AWS_SECRET_ACCESS_KEY", fixed = TRUE)
  expect_match(conditionMessage(refused), "refresh_credentials()", fixed = TRUE)
  expect_false(grepl("not-the-secret-at-all", conditionMessage(refused), fixed = TRUE))
  expect_false(any(grepl(reader$SecretAccessKey, format(refused), fixed = TRUE)))

  Sys.setenv(AWS_SECRET_ACCESS_KEY = reader$SecretAccessKey)
  refresh_credentials()
  expect_identical(rawToChar(read_file_from_s3("test-bucket/a.txt")), "hello")
})

test_that("a write refused for a read-only key names the access it needs", {
  local_s3()
  reader <- local_read_only_keys()
  denied <- tryCatch(write_df_to_csv_in_s3(data.frame(a = 1), "test-bucket/new.csv"),
                     error = identity)
  expect_s3_class(denied, "s3tools_access_denied")
  expect_match(conditionMessage(denied), "read-write", fixed = TRUE)
  expect_false(grepl(reader$SecretAccessKey, conditionMessage(denied), fixed = TRUE))
})

test_that("get_credentials works as 0.0.9 scripts call it, and never shows the secret", {
  local_s3()
  summary <- s3tools::get_credentials()
  expect_match(summary$source, "environment variables", fixed = TRUE)
  expect_identical(summary$access_key_id, "AKIA************0001")
  expect_false(summary$temporary)
  expect_false(grepl(test_keys$AWS_SECRET_ACCESS_KEY, paste(unlist(summary), collapse = " "),
                     fixed = TRUE))

  reader <- local_read_only_keys()
  withr::local_envvar(AWS_ACCESS_KEY_ID = "AKIAUNKNOWN000000000")
  set <- get_credentials(key = reader$AccessKeyId, secret = reader$SecretAccessKey)
  expect_identical(Sys.getenv("AWS_ACCESS_KEY_ID"), reader$AccessKeyId)
  expect_identical(substring(set$access_key_id, 17), substring(reader$AccessKeyId, 17))
  expect_true(s3_file_exists("test-bucket/nothing-here.csv") == FALSE)

  half <- tryCatch(get_credentials(key = "AKIAONLY"), error = identity)
  expect_s3_class(half, "s3tools_config")
})

test_that("get_credentials() prints a summary: no raw list, no secret", {
  local_s3()
  summary <- get_credentials()
  expect_s3_class(summary, "s3tools_credentials")
  shown <- capture.output(print(summary))
  expect_identical(shown[[1]], "s3tools credentials")
  expect_true(any(grepl("access key id: AKIA************0001 (long-term)", shown, fixed = TRUE)))
  expect_true(any(grepl(paste0("endpoint: +", getOption("s3tools.test_endpoint"), "$"), shown)))
  expect_true(any(grepl("region: +us-east-1$", shown)))
  expect_false(any(grepl("$", shown, fixed = TRUE)))
  expect_false(any(grepl("NULL", shown, fixed = TRUE)))
  expect_false(any(grepl(test_keys$AWS_SECRET_ACCESS_KEY, shown, fixed = TRUE)))
  # Auto-printed at the console, as an old script's first line is.
  expect_identical(capture.output(get_credentials()), shown)

  temporary <- summary
  temporary$temporary <- TRUE
  temporary$expires <- "2030-01-01T00:00:00+00:00"
  expect_true(any(grepl("(temporary, expire 2030-01-01T00:00:00+00:00)",
                        capture.output(print(temporary)), fixed = TRUE)))
})

test_that("an old-style script, installed package and all, starts with get_credentials()", {
  skip_on_cran()
  client <- local_s3()
  put_object(client, "people.csv", "name,age\nAda,36\nAlan,41\n")
  library_folder <- withr::local_tempdir("s3tools-library-")
  install <- system2(file.path(R.home("bin"), "R"),
                     c("CMD", "INSTALL", "--no-docs", "--no-html", "--no-test-load",
                       paste0("--library=", shQuote(library_folder)), shQuote(test_root())),
                     stdout = TRUE, stderr = TRUE)
  expect_true(dir.exists(file.path(library_folder, "s3tools")),
              label = paste(install, collapse = "\n"))
  # As scripts written for s3tools 0.0.9 begin.
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    "s3tools::get_credentials()",
    "library(s3tools)",
    "people <- s3_path_to_df('test-bucket/people.csv')",
    "cat('rows:', nrow(people), '\\n')"
  ), script)
  withr::local_envvar(R_LIBS = library_folder)
  output <- system2(file.path(R.home("bin"), "Rscript"), shQuote(script),
                    stdout = TRUE, stderr = TRUE)
  expect_null(attr(output, "status"), label = paste(output, collapse = "\n"))
  expect_true("rows: 2 " %in% output, label = paste(output, collapse = "\n"))
  expect_true(any(grepl("AKIA************0001", output, fixed = TRUE)))
  expect_false(any(grepl(test_keys$AWS_SECRET_ACCESS_KEY, output, fixed = TRUE)))
})

test_that("get_credentials' argument errors are Python's, word for word, and set nothing", {
  local_s3()
  # Python's own message for these arguments (NULL if Python accepted them).
  python_message <- function(arguments) {
    code <- paste0("import s3tools\nmessage = None\ntry:\n",
                   "    s3tools.get_credentials(", arguments, ")\n",
                   "except s3tools.S3ToolsError as error:\n    message = error.message\n")
    reticulate::py_run_string(code, local = TRUE)$message
  }
  variables <- c("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
  withr::local_envvar(as.list(Sys.getenv(variables, unset = NA)))
  before <- Sys.getenv(variables, unset = NA)
  cases <- list(
    list(quote(get_credentials(key = "AKIAONLY")), "key='AKIAONLY'"),
    list(quote(get_credentials(secret = "only-a-secret")), "secret='only-a-secret'"),
    list(quote(get_credentials(key = 12345, secret = "a-secret")), "key=12345, secret='a-secret'"),
    list(quote(get_credentials(profile = TRUE)), "profile=True")
  )
  for (case in cases) {
    refused <- tryCatch(eval(case[[1]]), error = identity)
    expect_s3_class(refused, "s3tools_config")
    expected <- python_message(case[[2]])
    expect_true(is.character(expected), label = case[[2]])
    expect_identical(conditionMessage(refused), expected)
    expect_identical(Sys.getenv(variables, unset = NA), before)
  }
})
