# s3tools_serve() (R/serve.R): the local S3 server, started from R, used, and stopped.

# Whether a process runs (one that has ended but is not yet reaped does not).
process_running <- function(pid) {
  state <- suppressWarnings(system2("ps", c("-o", "stat=", "-p", pid), stdout = TRUE,
                                    stderr = FALSE))
  length(state) > 0 && !startsWith(trimws(state[[1]]), "Z")
}

# Waits (30 s at most) for a process to end; whether it did.
process_ends <- function(pid) {
  deadline <- Sys.time() + 30
  while (process_running(pid) && Sys.time() < deadline) Sys.sleep(0.1)
  !process_running(pid)
}

# The session's variables are put back, and the bridge told, when the test ends.
local_session_variables <- function(envir = parent.frame()) {
  names <- c("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION", "AWS_REGION",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
  withr::defer(refresh_credentials(), envir = envir)
  withr::local_envvar(as.list(Sys.getenv(names, unset = NA)), .local_envir = envir)
}

test_that("s3tools_serve() points the session at a new server; $stop() ends it by its PID", {
  skip_if_no_server()
  local_session_variables()
  Sys.setenv(AWS_SESSION_TOKEN = "a-token-of-the-real-endpoint")
  before <- Sys.getenv(c("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"))

  server <- s3tools_serve(bucket = "demo")
  expect_s3_class(server, "s3tools_server")
  expect_match(server$endpoint, "^http://127[.]0[.]0[.]1:[0-9]+$")
  expect_false(server$endpoint == before[["AWS_ENDPOINT_URL"]])
  expect_identical(Sys.getenv("AWS_ENDPOINT_URL"), server$endpoint)
  expect_false(Sys.getenv("AWS_ACCESS_KEY_ID") == before[["AWS_ACCESS_KEY_ID"]])
  expect_identical(Sys.getenv("AWS_SESSION_TOKEN", unset = NA), NA_character_)
  expect_true(process_running(server$pid))

  people <- data.frame(id = 1:3, name = c("Ada", "Alan", "Grace"))
  write_df_to_csv_in_s3(people, "demo/people.csv")
  expect_identical(s3_path_to_df("demo/people.csv"), people)
  expect_identical(list_files_in_buckets("demo", path_only = TRUE), "demo/people.csv")

  shown <- capture.output(print(server))
  expect_match(shown[[1]], server$endpoint, fixed = TRUE)
  expect_false(any(grepl(Sys.getenv("AWS_SECRET_ACCESS_KEY"), shown, fixed = TRUE)))

  expect_true(server$stop())
  expect_false(process_running(server$pid))
  expect_false(server$stop())
  # The session's own settings again, and the test server answers.
  expect_identical(Sys.getenv(c("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN")),
                   before)
  Sys.unsetenv("AWS_SESSION_TOKEN")
  local_s3()
  expect_false(s3_file_exists("test-bucket/people.csv"))
})

test_that("a server that cannot start says why, and leaves the session as it was", {
  skip_if_no_server()
  local_session_variables()
  before <- Sys.getenv(c("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"))
  taken <- as.integer(sub(".*:", "", getOption("s3tools.test_endpoint")))
  refused <- tryCatch(s3tools_serve(port = taken), error = identity)
  expect_s3_class(refused, "s3tools_config")
  expect_match(conditionMessage(refused), paste("did not start: .*", taken, ".*taken"))
  expect_identical(Sys.getenv(c("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID")), before)
})

test_that("the server ends with the R session, also one that is killed", {
  skip_on_cran()
  skip_if_no_server()
  for (end in c("quit(save = 'no')", "tools::pskill(Sys.getpid(), tools::SIGKILL)")) {
    # The killed session's status is 137, which system2() warns about.
    output <- suppressWarnings(run_in_new_r(
      c("server <- s3tools_serve()", "cat('server', server$pid, '\\n')", end)
    ))
    pid <- as.integer(sub("^server ", "", grep("^server [0-9]+", output, value = TRUE)))
    expect_length(pid, 1)
    expect_true(process_ends(pid), label = end)
  }
})

test_that("the server's lines are read as text: shell or R, AWS_ names only", {
  lines <- paste(
    "# s3tools serve: an S3 server at http://127.0.0.1:4567",
    "export AWS_ENDPOINT_URL=http://127.0.0.1:4567",
    "export AWS_ACCESS_KEY_ID='AKIAEXAMPLE'",
    "export PATH=/somewhere/else",
    "unset AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN",
    'Sys.setenv(AWS_SECRET_ACCESS_KEY = "s3cr3t", AWS_DEFAULT_REGION = "us-east-1", HOME = "/x")',
    'Sys.setenv(AWS_PROFILE = system("id")); Sys.unsetenv(c("AWS_PROFILE")); x <- 1',
    'Sys.setenv(AWS_REGION = "eu-west-2"',
    "Sys.setenv(AWS_REGION = Sys.getenv('HOME'))",
    sep = "\n"
  )
  variables <- s3tools:::server_variables(lines)
  expect_identical(variables$set, c(AWS_ENDPOINT_URL = "http://127.0.0.1:4567",
                                    AWS_ACCESS_KEY_ID = "AKIAEXAMPLE",
                                    AWS_SECRET_ACCESS_KEY = "s3cr3t",
                                    AWS_DEFAULT_REGION = "us-east-1"))
  expect_identical(variables$unset, c("AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE"))
  expect_true(s3tools:::server_ready(variables))
  expect_false(s3tools:::server_ready(s3tools:::server_variables("# starting")))
})

test_that("the help's examples run where the local server can: server_available() asks once", {
  skip_if_no_server()
  the <- s3tools:::the
  withr::defer(the$server_python <- NULL)
  the$server_python <- NULL
  expect_true(s3tools:::server_available())
  python <- reticulate::import("sys")$executable
  expect_identical(the$server_python, python)
  # Every page's example asks again: the answer kept for this Python is given.
  the$server_available <- FALSE
  expect_false(s3tools:::server_available())
})
