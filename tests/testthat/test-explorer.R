# The file explorer from R (R/explorer.R): the Python server, started and stopped from R.

explorer_read <- function(address) {
  connection <- url(address)
  on.exit(close(connection))
  paste(readLines(connection, warn = FALSE), collapse = "\n")
}

explorer_get <- function(address) {
  jsonlite::fromJSON(explorer_read(address))
}

explorer_post <- function(address) {
  request <- reticulate::import("urllib.request")
  opener <- request$build_opener(request$ProxyHandler(reticulate::dict()))
  answer <- opener$open(request$Request(address, data = reticulate::py_eval("b''"),
                                        method = "POST"))
  jsonlite::fromJSON(answer$read()$decode("utf-8"))
}

test_that("file_explorer_s3() serves its API to requests with the token, and stops", {
  client <- local_s3()
  put_object(client, "folder/people.csv", "id,name\n1,Ann\n2,Bob\n")
  explorer <- file_explorer_s3(show = FALSE)
  withr::defer(explorer$stop())
  expect_s3_class(explorer, "s3tools_explorer")
  expect_match(explorer$url, "^http://127\\.0\\.0\\.1:[0-9]+/\\?token=[A-Za-z0-9_-]{20,}$")
  expect_output(print(explorer), explorer$url, fixed = TRUE)
  base <- sub("?token=", "", sub("[^=]*$", "", explorer$url), fixed = TRUE)
  token <- sub(".*token=", "", explorer$url)
  api <- function(name, query = "") paste0(base, "api/", name, "?token=", token, query)

  buckets <- explorer_get(api("buckets"))$buckets
  expect_true("test-bucket" %in% buckets$bucket)
  expect_named(buckets, c("bucket", "access", "source", "shown"))
  listing <- explorer_get(api("list", "&path=test-bucket/folder/"))
  expect_identical(listing$entries$name, "people.csv")
  preview <- explorer_get(api("preview", "&path=test-bucket/folder/people.csv"))
  expect_identical(preview$columns, c("id", "name"))
  expect_error(suppressWarnings(explorer_read(paste0(base, "api/buckets"))))
  expect_error(suppressWarnings(explorer_read(api("buckets", "x"))))

  chosen <- explorer_post(api("select", "&path=test-bucket/folder/people.csv"))
  expect_identical(chosen$r, "s3_path_to_df(\"test-bucket/folder/people.csv\")")
  expect_identical(explorer$selected(), chosen$r)
  if (requireNamespace("later", quietly = TRUE)) {
    # The call reaches the console (printed, without RStudio) when R is idle; later's
    # callbacks run outside the caller's handlers, so the message stream is sunk.
    Sys.sleep(0.6)
    printed <- tempfile()
    sunk <- file(printed, "w")
    sink(sunk, type = "message")
    later::run_now(2)
    sink(type = "message")
    close(sunk)
    expect_identical(readLines(printed), chosen$r)
  }

  expect_true(explorer$stop())
  expect_false(explorer$stop())
  expect_error(suppressWarnings(explorer_read(api("buckets"))))
})

test_that("the call written for an odd key parses in R, shows every character and reads it", {
  client <- local_s3()
  key <- "odd \u202e\u009b\"'\\$`\u00e9.csv"
  path <- put_object(client, key, "a\n1\n")
  explorer <- file_explorer_s3(show = FALSE)
  withr::defer(explorer$stop())
  select <- sub("/?token=", "/api/select?token=", explorer$url, fixed = TRUE)
  chosen <- explorer_post(paste0(select, "&path=", utils::URLencode(path, reserved = TRUE)))
  expect_identical(chosen$r, paste0("s3_path_to_df(\"test-bucket/odd \\u{202e}\\u{9b}",
                                    "\\\"'\\\\$`\u00e9.csv\")"))
  call <- parse(text = chosen$r, keep.source = FALSE)[[1]]
  expect_identical(charToRaw(enc2utf8(call[[2]])), charToRaw(enc2utf8(path)))
  expect_identical(eval(call)$a, 1L)
})

test_that("the call written for a key with control characters reads that key", {
  client <- local_s3()
  # Keys a writer to the bucket can make: a clear-screen escape, a tab, a carriage return.
  key <- "odd/clear\x1b[2J tab\t cr\r.csv"
  path <- put_object(client, key, "a\n1\n")
  put_object(client, "odd/clear[2J tab cr.csv", "a\n2\n")  # the key without its controls
  explorer <- file_explorer_s3(show = FALSE)
  withr::defer(explorer$stop())
  select <- sub("/?token=", "/api/select?token=", explorer$url, fixed = TRUE)
  chosen <- explorer_post(paste0(select, "&path=", utils::URLencode(path, reserved = TRUE)))
  expect_identical(chosen$r, "s3_path_to_df(\"test-bucket/odd/clear\\u{1b}[2J tab\\t cr\\r.csv\")")
  call <- parse(text = chosen$r, keep.source = FALSE)[[1]]
  expect_identical(call[[2]], path)
  expect_identical(eval(call)$a, 1L)
})

test_that("a taken port is an error, not a second server", {
  skip_if_no_server()
  first <- file_explorer_s3(show = FALSE)
  withr::defer(first$stop())
  port <- as.integer(sub(".*:([0-9]+)/.*", "\\1", first$url))
  expect_error(file_explorer_s3(port = port, show = FALSE), "taken")
})

test_that("the browser gets a private page that leads to the explorer, not its token", {
  skip_if_no_server()
  # A browser that records its command line, its parent's (what ps shows every local
  # user) and the page it was given (tests/cases/record_browser.py).
  folder <- withr::local_tempdir()
  record <- file.path(folder, "browser.json")
  script <- file.path(folder, "record-browser")
  recorder <- normalizePath(testthat::test_path("..", "cases", "record_browser.py"))
  writeLines(c("#!/bin/sh", sprintf('exec env -u LD_LIBRARY_PATH "%s" "%s" "%s" "$@"',
                                    Sys.getenv("S3TOOLS_PYTHON"), recorder, record)), script)
  Sys.chmod(script, "755")
  withr::local_options(browser = script)
  explorer <- file_explorer_s3(show = TRUE)
  withr::defer(explorer$stop())
  deadline <- Sys.time() + 60 # a hang detector, not a measurement
  while (!file.exists(record)) {
    if (Sys.time() > deadline) stop("no browser was started")
    Sys.sleep(0.05)
  }
  found <- jsonlite::fromJSON(record, simplifyVector = FALSE)
  token <- sub(".*token=", "", explorer$url)
  expect_gte(nchar(token), 20)
  seen <- unlist(c(found$argv, found$parent))
  expect_true(any(grepl("file://", seen, fixed = TRUE)))
  expect_false(any(grepl(token, seen, fixed = TRUE)))
  expect_length(found$pages, 1)
  page <- found$pages[[1]]
  expect_identical(page$mode, 384L) # 0600
  expect_identical(page$uid, as.integer(system2("id", "-u", stdout = TRUE)))
  expect_false(page$link)
  led_to <- regmatches(page$text, regexec('location\\.replace\\("([^"]+)"\\)', page$text))[[1]][2]
  expect_identical(led_to, explorer$url)
  expect_match(explorer_read(led_to), "S3 file explorer", fixed = TRUE)
  expect_true(explorer$stop())
  expect_false(file.exists(page$path))
})
