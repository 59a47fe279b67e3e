# Writing (R/write.R).

all_types <- function() {
  data.frame(
    i = c(1L, NA, 3L), d = c(1.5, NA, -2), s = c("a", NA, "Zoë"), l = c(TRUE, NA, FALSE),
    day = as.Date(c("2024-01-31", NA, "1969-12-31")),
    at = as.POSIXct(c(1.7e9, NA, 0), origin = "1970-01-01", tz = "UTC"),
    f = factor(c("x", "y", NA)),
    stringsAsFactors = FALSE
  )
}

test_that("a frame the format cannot hold is an s3tools_format error saying what to do", {
  client <- local_s3()
  df <- data.frame(at = as.POSIXct("2024-03-31 12:00", tz = "Europe/London"), n = 1L)
  refused <- expect_error(write_df_to_table_in_s3(df, "test-bucket/t.xlsx"),
                          class = "s3tools_format")
  expect_match(conditionMessage(refused), paste0(
    "Could not write test-bucket/t.xlsx as excel: Excel does not support datetimes with ",
    "timezones"), fixed = TRUE)
  expect_match(conditionMessage(refused), paste0(
    'Nothing was written. Excel holds no time zones, and at has one: convert such columns to ',
    'times without a time zone or to text first (R: attr(x, "tzone") <- NULL, or format(x)'),
    fixed = TRUE)
  expect_null(client$list_objects_v2(Bucket = "test-bucket")$Contents)
  df$at <- format(df$at)
  write_df_to_table_in_s3(df, "test-bucket/t.xlsx")
  expect_identical(s3_path_to_df("test-bucket/t.xlsx")$at, "2024-03-31 12:00:00")
})

test_that("a write to a bucket that does not exist, or an option the writer does not take", {
  local_s3()
  missing <- expect_error(write_df_to_csv_in_s3(data.frame(a = 1), "test-bukcet/a.csv"),
                          class = "s3tools_not_found")
  expect_match(conditionMessage(missing), paste0(
    "The bucket test-bukcet does not exist, or is not yours: nothing was written to ",
    "test-bukcet/a.csv. Check its name; accessible_buckets() lists"), fixed = TRUE)
  unknown <- expect_error(write_df_to_csv_in_s3(data.frame(a = 1), "test-bucket/a.csv",
                                                quote = FALSE), class = "s3tools_argument")
  expect_match(conditionMessage(unknown), paste0(
    "quote is not an option for writing csv files (test-bucket/a.csv). The options it takes: ",
    "sep, na_rep, "), fixed = TRUE)
  expect_match(conditionMessage(unknown),
               "; in R also row.names, col_names, col.names, na, delim, fileEncoding.",
               fixed = TRUE)
})

test_that("a data frame survives Parquet and Feather both ways", {
  local_s3()
  df <- all_types()
  for (key in c("test-bucket/all.parquet", "test-bucket/all.feather")) {
    expect_equal(write_df_to_table_in_s3(df, key), sub("^s3://", "", key))
    expect_identical(s3_path_to_df(key), df, label = key)
  }
})

test_that("CSV is written with a header and no row names; row.names = FALSE is accepted", {
  client <- local_s3()
  df <- data.frame(a = 1:2, b = c("x", NA), stringsAsFactors = FALSE)
  expect_invisible(write_df_to_csv_in_s3(df, "test-bucket/a.csv", row.names = FALSE))
  expect_identical(rawToChar(get_object(client, "a.csv")), "a,b\n1,x\n2,\n")
  write_df_to_csv_in_s3(df, "test-bucket/b.csv", sep = ";", na = "NA", col_names = FALSE)
  expect_identical(rawToChar(get_object(client, "b.csv")), "1;x\n2;NA\n")
})

test_that("row.names = TRUE writes the row names first, under an empty name, as write.csv", {
  client <- local_s3()
  df <- data.frame(a = 1:2, b = c("x", "y"), row.names = c("r1", "r2"))
  write_df_to_csv_in_s3(df, "test-bucket/named.csv", row.names = TRUE)
  expect_identical(rawToChar(get_object(client, "named.csv")), ",a,b\nr1,1,x\nr2,2,y\n")
  expect_identical(utils::read.csv(text = rawToChar(get_object(client, "named.csv")),
                                   row.names = 1), df)
  write_df_to_csv_in_s3(df, "test-bucket/given.csv", row.names = c("p", "q"))
  expect_identical(rawToChar(get_object(client, "given.csv")), ",a,b\np,1,x\nq,2,y\n")
  write_df_to_table_in_s3(df, "test-bucket/named.tsv", row.names = TRUE)
  expect_identical(rawToChar(get_object(client, "named.tsv")), "\ta\tb\nr1\t1\tx\nr2\t2\ty\n")
  expect_error(write_df_to_csv_in_s3(df, "test-bucket/bad.csv", row.names = "p"),
               class = "s3tools_error", regexp = "row.names must be TRUE, FALSE or 2 names")
  expect_false(s3_file_exists("test-bucket/bad.csv"))
})

test_that("NaN stays apart from NA through Parquet, Feather and CSV", {
  client <- local_s3()
  df <- data.frame(x = c(1.5, NA, NaN), nan_only = c(NaN, 2, 3), na_only = c(NA, 2, 3))
  for (key in c("test-bucket/nan.parquet", "test-bucket/nan.feather", "test-bucket/nan.csv")) {
    write_df_to_table_in_s3(df, key)
    back <- s3_path_to_df(key)
    expect_identical(back, df, label = key)
    expect_identical(is.nan(back$x), c(FALSE, FALSE, TRUE), label = key)
  }
  expect_identical(rawToChar(get_object(client, "nan.csv")),
                   "x,nan_only,na_only\n1.5,nan,\n,2.0,2.0\nnan,3.0,3.0\n")
})

test_that("doubles are written as Python writes float64 (1.0), integers as 1", {
  client <- local_s3()
  write_df_to_csv_in_s3(data.frame(d = c(1, 2.5), i = 1:2), "test-bucket/n.csv")
  expect_identical(rawToChar(get_object(client, "n.csv")), "d,i\n1.0,1\n2.5,2\n")
})

test_that("tibbles are written like data frames", {
  skip_if_not_installed("tibble")
  client <- local_s3()
  write_df_to_csv_in_s3(tibble::tibble(a = 1:2), "test-bucket/t.csv")
  expect_identical(rawToChar(get_object(client, "t.csv")), "a\n1\n2\n")
})

test_that("an existing key is refused and left unchanged unless overwrite", {
  client <- local_s3()
  put_object(client, "a.csv", "old")
  error <- tryCatch(write_df_to_csv_in_s3(data.frame(a = 1), "test-bucket/a.csv"),
                    error = identity)
  expect_s3_class(error, "s3tools_exists")
  expect_match(conditionMessage(error), "overwrite=TRUE")
  expect_equal(conditionCall(error)[[1]], quote(write_df_to_csv_in_s3))
  expect_identical(rawToChar(get_object(client, "a.csv")), "old")
  write_df_to_csv_in_s3(data.frame(a = 1L), "test-bucket/a.csv", overwrite = TRUE)
  expect_identical(rawToChar(get_object(client, "a.csv")), "a\n1\n")
})

test_that("write_df_* refuse what is not a data frame, and list columns", {
  local_s3()
  expect_error(write_df_to_csv_in_s3(1:3, "test-bucket/a.csv"), class = "s3tools_error",
               regexp = "df must be a data frame, not integer")
  df <- data.frame(a = 1:2)
  df$l <- list(1, 2)
  expect_error(write_df_to_table_in_s3(df, "test-bucket/a.parquet"), class = "s3tools_error",
               regexp = "Column l is a list")
})

test_that("write_file_to_s3 uploads a local file", {
  client <- local_s3()
  local <- withr::local_tempfile(fileext = ".txt")
  writeLines("content", local)
  expect_equal(write_file_to_s3(local, "test-bucket/up/file.txt", multipart = FALSE),
               "test-bucket/up/file.txt")
  expect_identical(rawToChar(get_object(client, "up/file.txt")), "content\n")
  expect_error(write_file_to_s3(file.path(tempdir(), "no-such-file"), "test-bucket/x.txt"),
               class = "s3tools_not_found")
})

test_that("write_using writes with an R function, then deletes its file", {
  client <- local_s3()
  seen <- NULL
  writer <- function(obj, path, ...) {
    seen <<- path
    saveRDS(obj, path, ...)
  }
  expect_equal(write_using(mtcars, writer, "test-bucket/cars.rds", compress = FALSE),
               "test-bucket/cars.rds")
  expect_match(seen, "\\.rds$")
  expect_false(file.exists(seen))
  expect_identical(read_using(readRDS, "test-bucket/cars.rds"), mtcars)
  write_using(mtcars[1:2, 1:2], utils::write.csv, "test-bucket/cars.csv", row.names = FALSE)
  expect_identical(rawToChar(get_object(client, "cars.csv")),
                   "\"mpg\",\"cyl\"\n21,6\n21,6\n")
})

test_that("write_using refuses an existing key before calling the function", {
  client <- local_s3()
  put_object(client, "x.rds", "old")
  called <- FALSE
  expect_error(write_using(1, function(obj, path) called <<- TRUE, "test-bucket/x.rds"),
               class = "s3tools_exists")
  expect_false(called)
  expect_error(write_using(1, "saveRDS", "test-bucket/y.rds"), class = "s3tools_error",
               regexp = "needs a function as its second argument")
})

test_that("a failing writer uploads nothing and leaves no file", {
  client <- local_s3()
  seen <- NULL
  expect_error(write_using(1, function(obj, path) {
    seen <<- path
    stop("writer failed")
  }, "test-bucket/z.rds"), "writer failed")
  expect_false(file.exists(seen))
  expect_false(s3_file_exists("test-bucket/z.rds"))
})

test_that("a write to a bucket S3TOOLS_BUCKETS makes read-only is refused before any request", {
  client <- local_s3()
  requests <- local_request_log()
  withr::local_envvar(S3TOOLS_BUCKETS = "test-bucket:read-only")
  refused <- tryCatch(write_df_to_csv_in_s3(data.frame(a = 1), "test-bucket/a.csv"),
                      error = identity)
  expect_s3_class(refused, "s3tools_access_denied")
  expect_match(conditionMessage(refused),
               "test-bucket is read-only for these credentials (S3TOOLS_BUCKETS)", fixed = TRUE)
  expect_match(conditionMessage(refused), "Ask the bucket's admin", fixed = TRUE)
  written <- FALSE
  expect_error(write_using(data.frame(a = 1), function(x, path) written <<- TRUE,
                           "test-bucket/a.rds"), class = "s3tools_access_denied")
  expect_false(written)
  expect_length(requests(), 0)
  expect_null(client$list_objects_v2(Bucket = "test-bucket")$Contents)
})
