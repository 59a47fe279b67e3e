# Text files as pandas reads them, in R's types (tests/data/text, made by
# tests/data/make_fixtures.py); the Python side is tests/python/test_text_files.py.

text_fixture <- function(name) file.path(test_root(), "tests", "data", "text", name)

put_text_fixture <- function(client, name) {
  path <- text_fixture(name)
  testthat::skip_if_not(file.exists(path), "tests/data is left out of the built package")
  put_object(client, paste0("text/", name), readBin(path, "raw", file.size(path)))
  paste0("test-bucket/text/", name)
}

test_that("integers beyond int64 arrive as doubles, with a warning that they are rounded", {
  client <- local_s3()
  path <- put_text_fixture(client, "big_integers.csv")
  expect_warning(df <- s3_path_to_df(path), "Column 'c10' holds whole numbers beyond",
                 class = "s3tools_precision_warning")
  expect_type(df$c10, "double")
  expect_identical(df$c10, c(5863949479783605708, 18446744073709551615, 0))
})

test_that("ISO dates and times stay text, as read.csv keeps them, unless parse_dates asks", {
  client <- local_s3()
  path <- put_text_fixture(client, "iso_dates.csv")
  df <- s3_path_to_df(path)
  expect_identical(df$day, c("2024-01-31", "2024-02-29", NA))
  expect_identical(df$zoned[2], "2024-02-29T23:59:59+01:00")
  expect_identical(s3_path_to_preview_df(path, 2), df[1:2, ])
  # Dates without a time of day are Date; date-times POSIXct.
  expect_identical(s3_path_to_df(path, parse_dates = list("day"))$day,
                   as.Date(c("2024-01-31", "2024-02-29", NA)))
})

test_that("booleans with a gap are logical with NA", {
  client <- local_s3()
  df <- s3_path_to_df(put_text_fixture(client, "bool_gaps.csv"))
  expect_identical(df$flag, c(TRUE, NA, FALSE))
})

test_that("the usual mistakes get a hint naming the argument to pass", {
  client <- local_s3()
  hints <- c("latin1.csv" = 'encoding="latin-1"', "utf16.csv" = 'encoding="utf-16"',
             "lines.json" = 'file_type="jsonl"', "comments.csv" = 'comment="#"')
  for (name in names(hints)) {
    path <- put_text_fixture(client, name)
    error <- expect_error(s3_path_to_df(path), class = "s3tools_format")
    expect_match(conditionMessage(error), hints[[name]], fixed = TRUE)
    expect_match(conditionMessage(error), path, fixed = TRUE)
  }
  latin <- s3_path_to_df("test-bucket/text/latin1.csv", encoding = "latin-1")
  expect_identical(latin$city, c("M\u00e1laga", "K\u00f6ln"))
  expect_identical(s3_path_to_df("test-bucket/text/lines.json", file_type = "jsonl")$a, 1:2)
  expect_identical(s3_path_to_df("test-bucket/text/comments.csv", comment = "#")$width, 3:4)
})
