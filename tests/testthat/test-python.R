# The boundary (R/python.R): finding Python, environment, errors, data.

test_that("S3TOOLS_PYTHON comes first, then RETICULATE_PYTHON, then the option", {
  withr::local_envvar(S3TOOLS_PYTHON = "/opt/a/python", RETICULATE_PYTHON = "/opt/b/python")
  withr::local_options(s3tools.python = "/opt/c/python")
  expect_equal(s3tools_python(), "/opt/a/python")
  withr::local_envvar(S3TOOLS_PYTHON = NA)
  expect_equal(s3tools_python(), "/opt/b/python")
  withr::local_envvar(RETICULATE_PYTHON = NA)
  expect_equal(s3tools_python(), "/opt/c/python")
})

test_that("the .venv of the source folder is found", {
  withr::local_envvar(S3TOOLS_PYTHON = NA, RETICULATE_PYTHON = NA)
  withr::local_options(s3tools.python = NULL)
  folder <- withr::local_tempdir()
  dir.create(file.path(folder, ".venv", "bin"), recursive = TRUE)
  file.create(file.path(folder, ".venv", "bin", "python"))
  withr::local_options(s3tools.source = folder)
  # A folder with a .venv but without the s3tools sources is not a checkout.
  expect_false(identical(s3tools_python(), file.path(folder, ".venv", "bin", "python")))
  dir.create(file.path(folder, "python", "s3tools"), recursive = TRUE)
  file.create(file.path(folder, "python", "s3tools", "__init__.py"))
  expect_equal(s3tools_python(), file.path(folder, ".venv", "bin", "python"))
})

test_that("a missing Python is one clear configuration error", {
  saved <- s3tools:::the$bridge
  withr::defer(assign("bridge", saved, envir = s3tools:::the))
  error <- tryCatch(s3tools:::python_missing("No module named 's3tools'"), error = identity)
  expect_s3_class(error, c("s3tools_config", "s3tools_error", "error", "condition"), exact = TRUE)
  expect_match(conditionMessage(error), "pip install", fixed = TRUE)
  expect_match(conditionMessage(error), "make venv", fixed = TRUE)
  expect_match(conditionMessage(error), "No module named 's3tools'", fixed = TRUE)
})

test_that("Sys.setenv() after Python started reaches the next call", {
  client <- local_s3()
  put_object(client, "a.txt", "x")
  expect_true(s3_file_exists("test-bucket/a.txt"))
  os <- reticulate::import("os")
  withr::with_envvar(c(S3TOOLS_TEST_MARKER = "seen"), {
    expect_true(s3_file_exists("test-bucket/a.txt"))
    expect_equal(os$environ$get("S3TOOLS_TEST_MARKER"), "seen")
  })
  expect_false(s3_file_exists("test-bucket/b.txt"))
  expect_null(os$environ$get("S3TOOLS_TEST_MARKER"))
  withr::with_envvar(c(AWS_ENDPOINT_URL = "http://127.0.0.1:9"), {
    expect_error(s3_file_exists("test-bucket/a.txt"), class = "s3tools_connection")
  })
  expect_true(s3_file_exists("test-bucket/a.txt"))
})

test_that("errors are classed conditions naming the user's call, without traceback or secret", {
  local_s3()
  error <- tryCatch(read_file_from_s3("test-bucket/missing.csv"), error = identity)
  expect_equal(class(error), c("s3tools_not_found", "s3tools_error", "error", "condition"))
  expect_equal(conditionCall(error)[[1]], quote(read_file_from_s3))
  expect_match(conditionMessage(error), "No such object or bucket: test-bucket/missing.csv")
  expect_no_match(conditionMessage(error), "Traceback|botocore|s3tools-test-secret")
})

test_that("an error body repeating the request's headers leaves no secret in the condition", {
  client <- local_s3()
  put_object(client, "a.csv", "a,b\n1,2\n")
  local <- withr::local_tempfile(fileext = ".csv")
  writeLines("a\n1", local)
  # tests/python/faults.py: every request answered 403, its body repeating the headers.
  # It is not in the source package (R CMD check runs without it).
  python_tests <- file.path(test_root(), "tests", "python")
  skip_if_not(file.exists(file.path(python_tests, "faults.py")), "needs tests/python/faults.py")
  faults <- reticulate::import_from_path("faults", python_tests)
  proxy <- faults$FaultProxy(getOption("s3tools.test_endpoint"))
  withr::defer(proxy$stop())
  proxy$add("echo", reticulate::py_eval("lambda method, target: True"), times = NULL,
            status = 403L, code = "AccessDenied")
  token <- "IQoJb3JpZ2luX2VjEHQa-r-test-session-token-5d2e"
  for (get_client in c("obstore", "botocore")) {
    withr::local_envvar(c(AWS_ENDPOINT_URL = proxy$url, AWS_SESSION_TOKEN = token,
                          S3TOOLS_GET_CLIENT = get_client))
    conditions <- list(
      tryCatch(read_file_from_s3("test-bucket/a.csv"), error = identity),
      tryCatch(list_files_in_buckets("test-bucket"), error = identity),
      tryCatch(write_file_to_s3(local, "test-bucket/b.csv"), error = identity)
    )
    for (condition in conditions) {
      expect_s3_class(condition, "s3tools_access_denied")
      shown <- c(conditionMessage(condition), utils::capture.output(print(condition)),
                 utils::capture.output(str(condition)),
                 utils::capture.output(print(reticulate::py_last_error())))
      expect_false(any(grepl(token, shown, fixed = TRUE)))
      expect_false(any(grepl(test_keys$AWS_SECRET_ACCESS_KEY, shown, fixed = TRUE)))
      expect_false(any(grepl("security-token|Signature=", shown, ignore.case = TRUE)))
    }
  }
  expect_gt(length(proxy$requests), 0)
})

test_that("Python's ValueError becomes an s3tools_error with its message", {
  client <- local_s3()
  put_object(client, "a.csv", "a\n1\n")
  error <- tryCatch(s3_path_to_preview_df("test-bucket/a.csv", n = -1), error = identity)
  expect_equal(class(error), c("s3tools_error", "error", "condition"))
  expect_match(conditionMessage(error), "n must be a whole number")
  expect_equal(conditionCall(error)[[1]], quote(s3_path_to_preview_df))
})

test_that("unnamed arguments in ... are refused", {
  local_s3()
  expect_error(s3_path_to_df("test-bucket/a.csv", NULL, ";"), class = "s3tools_error",
               regexp = "must be named")
})

test_that("R numbers become Python integers when whole; NA means not given", {
  expect_identical(s3tools:::argument_to_python(5), 5L)
  expect_identical(s3tools:::argument_to_python(c(1, 2)), c(1L, 2L))
  expect_identical(s3tools:::argument_to_python(2.5), 2.5)
  expect_identical(s3tools:::argument_to_python(3e10), 3e10)
  expect_null(s3tools:::argument_to_python(NA))
  expect_identical(s3tools:::argument_to_python("x"), "x")
  expect_equal(s3tools:::argument_to_python(data.frame(a = 1))$.s3tools, "frame")
})

test_that("every R type survives the trip to Python and back, missing values included", {
  df <- data.frame(
    i = c(1L, NA, -2147483647L),
    d = c(1.5, NA, NaN),
    plain = c(0.1, NA, 1e300),
    s = c("a", NA, "Zoë ☃"),
    l = c(TRUE, NA, FALSE),
    day = as.Date(c("2024-02-29", NA, "1900-01-01")),
    naive = as.POSIXct(c(0.5, NA, 1.7e9), origin = "1970-01-01", tz = ""),
    london = as.POSIXct(c(1.7e9, NA, 1e9), origin = "1970-01-01", tz = "Europe/London"),
    f = factor(c("b", NA, "a"), levels = c("b", "a")),
    o = factor(c("lo", "hi", NA), levels = c("lo", "hi"), ordered = TRUE),
    wait = as.difftime(c(1.5, NA, 3600), units = "secs"),
    stringsAsFactors = FALSE
  )
  attr(df$naive, "tzone") <- ""
  trip <- python_round_trip(df)
  expect_identical(trip$frame, df)
  expect_equal(trip$dtypes[["i"]], "Int32")
  expect_equal(trip$dtypes[["d"]], "Float64")
  expect_equal(trip$dtypes[["plain"]], "float64")
  expect_equal(trip$dtypes[["l"]], "boolean")
  expect_equal(trip$dtypes[["day"]], "object")
  expect_equal(trip$dtypes[["naive"]], "datetime64[us]")
  expect_equal(trip$dtypes[["london"]], "datetime64[us, Europe/London]")
  expect_equal(trip$dtypes[["f"]], "category")
  expect_true(is.nan(trip$frame$d[[3]]) && is.na(trip$frame$d[[2]]) && !is.nan(trip$frame$d[[2]]))
})

test_that("columns without missing values keep the plain numpy types", {
  trip <- python_round_trip(data.frame(i = 1:3, l = c(TRUE, FALSE, TRUE), d = c(1, 2, 3)))
  expect_equal(unname(trip$dtypes), c("int32", "bool", "float64"))
  expect_identical(trip$frame, data.frame(i = 1:3, l = c(TRUE, FALSE, TRUE), d = c(1, 2, 3)))
})

test_that("pandas types arrive as the R types documented in r_bridge", {
  # u64 holds 2^63: beyond integer64, so a double, with a warning naming the column.
  expect_warning(df <- python_frame(paste(
    "pd.DataFrame({",
    "'small': np.array([1, 2, 3], dtype='int64'),",
    "'big': np.array([1, 2**40, 3], dtype='int64'),",
    "'edge': np.array([-2**31, 0, 1], dtype='int64'),",
    "'u8': np.array([1, 2, 255], dtype='uint8'),",
    "'u64': np.array([1, 2, 2**63], dtype='uint64'),",
    "'nullable': pd.array([1, None, 3], dtype='Int64'),",
    "'f': [1.5, np.nan, 3.0],",
    "'f32': np.array([1.5, np.nan, 2.0], dtype='float32'),",
    "'masked': pd.arrays.FloatingArray(np.array([1.0, np.nan, 0.0]),",
    "                                  np.array([False, False, True])),",
    "'b': pd.array([True, None, False], dtype='boolean'),",
    "'s': pd.array(['x', None, 'é'], dtype='string'),",
    "'obj': pd.Series(['x', None, 'y'], dtype=object),",
    "'mixed': pd.Series([1, 'a', None], dtype=object),",
    "'none': pd.Series([None, None, None], dtype=object),",
    "'day': [datetime.date(2020, 1, 2), None, datetime.date(1960, 1, 1)],",
    "'ts': pd.to_datetime(['2020-01-01 10:00:00.25', None, '1969-12-31 23:59:59.00']),",
    "'tz': pd.to_datetime(['2020-06-01 10:00', None, '2020-01-01 00:00']).tz_localize('UTC'),",
    "'cat': pd.Categorical(['b', None, 'a'], categories=['b', 'a'], ordered=True),",
    "'td': pd.to_timedelta([1.5, None, 60], unit='s'),",
    "})"
  )), "Column 'u64'", class = "s3tools_precision_warning")
  expect_identical(df$small, c(1L, 2L, 3L))
  expect_identical(df$big, c(1, 2^40, 3))
  expect_identical(df$edge, c(-2^31, 0, 1))
  expect_identical(df$u8, c(1L, 2L, 255L))
  expect_identical(df$u64, c(1, 2, 2^63))
  expect_identical(df$nullable, c(1L, NA, 3L))
  expect_identical(df$f, c(1.5, NA, 3))
  expect_identical(df$f32, c(1.5, NA, 2))
  expect_true(is.nan(df$masked[[2]]) && is.na(df$masked[[3]]) && !is.nan(df$masked[[3]]))
  expect_identical(df$b, c(TRUE, NA, FALSE))
  expect_identical(df$s, c("x", NA, "é"))
  expect_identical(Encoding(df$s[[3]]), "UTF-8")
  expect_identical(df$obj, c("x", NA, "y"))
  expect_identical(df$mixed, c("1", "a", NA))
  expect_identical(df$none, c(NA, NA, NA))
  expect_identical(df$day, as.Date(c("2020-01-02", NA, "1960-01-01")))
  expect_identical(attr(df$ts, "tzone"), "")
  expect_equal(unclass(df$ts), c(1577872800.25, NA, -1), ignore_attr = TRUE)
  expect_identical(attr(df$tz, "tzone"), "UTC")
  expect_equal(unclass(df$tz), c(1591005600, NA, 1577836800), ignore_attr = TRUE)
  expect_identical(df$cat, factor(c("b", NA, "a"), levels = c("b", "a"), ordered = TRUE))
  expect_identical(df$td, as.difftime(c(1.5, NA, 60), units = "secs"))
})

test_that("empty frames, odd names and NUL characters cross safely", {
  empty <- python_frame(
    "pd.DataFrame({'a': pd.Series([], dtype='int64'), 'b': pd.Series([], dtype=object)})"
  )
  expect_equal(dim(empty), c(0L, 2L))
  expect_identical(empty$a, integer())
  numbered <- python_frame("pd.DataFrame([[1, 2]])")
  expect_equal(names(numbered), c("0", "1"))
  nul <- python_frame("pd.DataFrame({'s': ['a\\x00b', 'c']})")
  expect_identical(nul$s, c("ab", "c"))
  indexed <- python_frame("pd.DataFrame({'v': [1, 2]}, index=pd.Index(['x', 'y'], name='id'))")
  expect_equal(names(indexed), c("id", "v"))
  trip <- python_round_trip(data.frame(x = integer()))
  expect_identical(trip$frame, data.frame(x = integer()))
})

test_that("results are tibbles when asked", {
  skip_if_not_installed("tibble")
  client <- local_s3()
  put_object(client, "a.csv", "a,b\n1,x\n")
  expect_s3_class(s3_path_to_df("test-bucket/a.csv", tibble = TRUE), "tbl_df")
  withr::local_options(s3tools.tibble = TRUE)
  expect_s3_class(s3_path_to_df("test-bucket/a.csv"), "tbl_df")
  expect_s3_class(s3_path_to_preview_df("test-bucket/a.csv"), "tbl_df")
  expect_false(inherits(s3_path_to_df("test-bucket/a.csv", tibble = FALSE), "tbl_df"))
})

test_that("a million rows by five columns cross intact both ways", {
  skip_on_cran()
  rb <- raw_codec()
  n <- 1e6
  df <- data.frame(i = seq_len(n), d = as.double(seq_len(n)) / 3, s = paste0("name", seq_len(n)),
                   l = rep(c(TRUE, FALSE), n / 2),
                   t = as.POSIXct(seq_len(n), origin = "1970-01-01"),
                   stringsAsFactors = FALSE)
  record <- s3tools:::frame_to_python(df)
  frame <- rb$frame_from_r(record$columns, record$nrow)
  back <- s3tools:::value_from_python(reticulate::py_to_r(rb$value_to_r(frame)))
  # How fast they cross is measured in bench/ (scenario 7), not asserted here.
  expect_identical(back$s, df$s)
  expect_identical(back$i, df$i)
  expect_identical(back$d, df$d)
  expect_identical(back$l, df$l)
  expect_equal(as.numeric(back$t), as.numeric(df$t))
})
