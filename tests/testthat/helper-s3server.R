# A real S3 server for the tests: moto's server on 127.0.0.1, started once by
# setup-s3server.R, reset before every test, stopped at the end. Tests skip
# cleanly when there is no Python with s3tools and moto (as under a plain
# R CMD check without the project's .venv), except under `make test`.

test_root <- function() {
  here <- normalizePath(testthat::test_path("."), mustWork = FALSE)
  normalizePath(file.path(here, "..", ".."), mustWork = FALSE)
}

test_cases_folder <- function() {
  normalizePath(file.path(testthat::test_path(".."), "cases"), mustWork = FALSE)
}

test_python <- function() {
  named <- Sys.getenv("S3TOOLS_PYTHON")
  candidates <- c(if (nzchar(named)) named, file.path(test_root(), ".venv", "bin", "python"))
  found <- candidates[file.exists(candidates)]
  if (length(found) == 0) "" else found[[1]]
}

moto_server_path <- function(python = test_python()) {
  if (!nzchar(python)) return("")
  path <- file.path(dirname(python), "moto_server")
  if (file.exists(path)) path else ""
}

test_keys <- list(
  AWS_ACCESS_KEY_ID = "AKIATESTKEY000000001",
  AWS_SECRET_ACCESS_KEY = "s3tools-test-secret-do-not-print-8d1f"
)

# Starts moto_server on a free port; returns list(pid, endpoint) or NULL.
start_s3_server <- function() {
  server <- moto_server_path()
  if (!nzchar(server)) return(NULL)
  log <- tempfile("moto-", fileext = ".log")
  # R puts its own library folder on LD_LIBRARY_PATH, which can make a Python
  # started from R load the wrong libpython: the server starts without it.
  command <- sprintf("env -u LD_LIBRARY_PATH %s -H 127.0.0.1 -p 0 > %s 2>&1 & echo $!",
                     shQuote(server), shQuote(log))
  pid <- as.integer(system(command, intern = TRUE))
  deadline <- Sys.time() + 30
  while (Sys.time() < deadline) {
    lines <- if (file.exists(log)) readLines(log, warn = FALSE) else character()
    port <- regmatches(lines, regexpr("(?<=127\\.0\\.0\\.1:)[0-9]+", lines, perl = TRUE))
    if (length(port) > 0) {
      return(list(pid = pid, endpoint = paste0("http://127.0.0.1:", port[[1]]), log = log))
    }
    Sys.sleep(0.1)
  }
  tools::pskill(pid)
  NULL
}

stop_s3_server <- function(server) {
  if (!is.null(server)) {
    tools::pskill(server$pid)
    unlink(server$log)
  }
}

s3_server_available <- function() {
  !is.null(getOption("s3tools.test_endpoint"))
}

# Under `make test` (S3TOOLS_REQUIRE_SERVER=true) a missing server is a failure,
# so that a suite that tested nothing cannot pass.
skip_if_no_server <- function() {
  if (s3_server_available()) {
    return(invisible(TRUE))
  }
  if (isTRUE(as.logical(Sys.getenv("S3TOOLS_REQUIRE_SERVER", "false")))) {
    stop("No test S3 server could start: make test needs the project's .venv with moto ",
         "(make venv).", call. = FALSE)
  }
  testthat::skip("no Python with s3tools and moto for a test S3 server")
}

# The Python helpers shared with pytest (plain boto3 seeding, judging results).
case_support <- function() {
  # s3tools starts Python (the one it chooses) before anything else uses it.
  invisible(s3tools:::bridge()$ENVIRONMENT_PATTERN)
  reticulate::import_from_path("case_support", path = test_cases_folder(), convert = TRUE)
}

# Start every test from an empty server with test-bucket; returns a plain
# boto3 client (never s3tools) to seed it.
local_s3 <- function() {
  skip_if_no_server()
  support <- case_support()
  endpoint <- getOption("s3tools.test_endpoint")
  support$reset(endpoint)
  client <- support$admin_client(endpoint)
  client$create_bucket(Bucket = "test-bucket")
  client
}

put_object <- function(client, key, body, bucket = "test-bucket") {
  if (is.character(body)) body <- charToRaw(enc2utf8(body))
  client$put_object(Bucket = bucket, Key = key, Body = body)
  paste0(bucket, "/", key)
}

get_object <- function(client, key, bucket = "test-bucket") {
  builtins <- reticulate::import_builtins(convert = TRUE)
  body <- client$get_object(Bucket = bucket, Key = key)$Body
  builtins$bytearray(body$read())
}

# Runs R code in a new R process with s3tools loaded as this test run has it (the
# source tree, or the installed package under R CMD check), in this process's
# environment (the test server's variables included); returns its output lines.
run_in_new_r <- function(code) {
  root <- test_root()
  load <- if (file.exists(file.path(root, "DESCRIPTION")) && dir.exists(file.path(root, "R"))) {
    sprintf("pkgload::load_all(%s, quiet = TRUE)", deparse(root))
  } else {
    "library(s3tools)"
  }
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(c(sprintf("suppressMessages(%s)", load), code), script)
  system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE)
}
