# The column codec's compiled half (src/codec.c): text from Arrow's buffers.

is_lazy <- function(x) .Call(s3tools:::s3tools_is_lazy, x)

test_that("text columns are lazy ALTREP vectors with the values, NAs and encodings of eager ones", {
  code <- paste0("pd.DataFrame({'s': pd.Series([f'n{i}' for i in range(300)] + [None, 'é', ''],",
                 " dtype='str')})")
  lazy <- withr::with_options(list(s3tools.lazy_strings = TRUE), python_frame(code))$s
  eager <- withr::with_options(list(s3tools.lazy_strings = FALSE), python_frame(code))$s
  expect_true(is_lazy(lazy))
  expect_false(is_lazy(eager))
  expect_identical(lazy[301:303], c(NA, "\u00e9", ""))
  expect_identical(Encoding(lazy[302]), "UTF-8")
  expect_true(is_lazy(lazy))  # single elements do not make the whole vector
  expect_identical(lazy, eager)
  expect_identical(unserialize(serialize(lazy, NULL)), eager)
  expect_identical(sort(lazy), sort(eager))
})

test_that("a lazy vector outlives Python's buffers, saves as a plain vector and can be changed", {
  x <- python_frame("pd.DataFrame({'s': [f'v{i}' for i in range(1000)]})")$s
  reticulate::py_run_string("import gc; gc.collect()")
  invisible(gc())
  expect_identical(x[[1000]], "v999")
  file <- withr::local_tempfile(fileext = ".rds")
  saveRDS(x, file)
  restored <- readRDS(file)
  expect_false(is_lazy(restored))
  expect_identical(restored, paste0("v", 0:999))
  y <- x
  y[2] <- "changed"
  expect_identical(y[1:3], c("v0", "changed", "v2"))
  expect_identical(x[2], "v1")
})

test_that("the C routines refuse buffers that do not fit together", {
  strings <- function(data, offsets, na = NULL) {
    .Call(s3tools:::s3tools_strings, data, offsets, na, TRUE)
  }
  # int64 little-endian: each value's low word, then a zero high word.
  offsets <- function(...) writeBin(as.vector(rbind(as.integer(c(...)), 0L)), raw(),
                                    endian = "little")
  expect_error(strings(charToRaw("ab"), writeBin(c(0L, 2L), raw())), "offsets")
  expect_error(strings(charToRaw("ab"), offsets(0, 3)), "cover")
  expect_error(strings(charToRaw("ab"), offsets(0, 2, 1, 2)), "increasing")
  expect_error(strings(charToRaw("ab"), offsets(0, 2), as.raw(c(0, 0))), "mask")
  expect_identical(strings(charToRaw("ab"), offsets(0, 1, 2), as.raw(c(1, 0))), c(NA, "b"))
  expect_error(.Call(s3tools:::s3tools_numbers, as.raw(1:3), "integer"), "whole number")
  expect_identical(.Call(s3tools:::s3tools_numbers, writeBin(c(1L, NA), raw()), "logical"),
                   c(TRUE, NA))
})

test_that("buffers handed in pieces arrive as one vector; text codes must index the values", {
  records <- reticulate::import("s3tools.r_records")
  np <- reticulate::import("numpy", convert = FALSE)
  on.exit(records$release(), add = TRUE)
  pieces <- records$hand(list(np$array(c(1.5, NA)), np$array(numeric(0)), np$array(list(3))))
  expect_identical(s3tools:::handed(pieces, "double"), c(1.5, NA, 3))
  codes <- function(...) records$hand(np$array(as.list(c(...)), dtype = "<i4"))
  coded <- function(levels, handle, lazy = FALSE) {
    s3tools:::coded_strings_from_python(levels, handle, lazy)
  }
  expect_identical(coded(c("a", "b"), codes(2L, NA, 1L, 2L)), c("b", NA, "a", "b"))
  lazy <- coded(c("a", "\u00e9"), codes(2L, NA, 1L, 2L), lazy = TRUE)
  records$release()
  invisible(gc())
  expect_true(is_lazy(lazy))
  expect_identical(lazy[c(2, 4)], c(NA, "\u00e9"))
  expect_true(is_lazy(lazy))  # elements do not make the vector
  expect_identical(unserialize(serialize(lazy, NULL)), c("\u00e9", NA, "a", "\u00e9"))
  changed <- lazy
  changed[1] <- "z"
  expect_identical(changed, c("z", NA, "a", "\u00e9"))
  expect_identical(lazy, c("\u00e9", NA, "a", "\u00e9"))
  expect_identical(sort(lazy), c("a", "\u00e9", "\u00e9"))
  expect_error(coded(c("a", "b"), codes(1L, 3L)), "not one of 2 values")
  expect_error(coded(c("a", "b"), codes(0L)), "not one of 2 values")
})

test_that("whole numbers beyond 2^53 arrive exactly as integer64, or as double with a warning", {
  skip_if_not_installed("bit64")
  df <- python_frame(paste0(
    "pd.DataFrame({'id': pd.array([9007199254740993, None, -2**62], dtype='Int64'),",
    " 'mid': np.array([3_000_000_000, 4, 5], dtype='int64')})"
  ))
  expect_s3_class(df$id, "integer64")
  expect_identical(as.character(df$id), c("9007199254740993", NA, "-4611686018427387904"))
  expect_identical(df$mid, c(3e9, 4, 5))  # a double holds these exactly, as read.csv gives
  trip <- python_round_trip(df["id"])
  expect_identical(trip$dtypes[["id"]], "Int64")
  expect_identical(trip$frame$id, df$id)
  bits <- unclass(bit64::as.integer64(c("9007199254740993", NA)))
  expect_warning(
    doubles <- s3tools:::integer64_from_python(bits, "id", bit64 = FALSE),
    "Column 'id' holds whole numbers beyond 2\\^53.*bit64", class = "s3tools_precision_warning"
  )
  expect_identical(doubles, c(9007199254740992, NA))
})

test_that("NaN stays apart from NA both ways", {
  arrow <- python_frame(paste0(
    "pd.DataFrame({'x': pd.arrays.ArrowExtensionArray(",
    "__import__('pyarrow').array([1.5, None, float('nan')]))})"
  ))
  expect_identical(is.nan(arrow$x), c(FALSE, FALSE, TRUE))
  expect_identical(is.na(arrow$x), c(FALSE, TRUE, TRUE))
  only_nan <- python_round_trip(data.frame(x = c(1.5, NaN)))
  expect_identical(only_nan$dtypes[["x"]], "Float64")  # float64 would make NaN missing
  expect_identical(is.nan(only_nan$frame$x), c(FALSE, TRUE))
  only_na <- python_round_trip(data.frame(x = c(1.5, NA)))
  expect_identical(only_na$dtypes[["x"]], "float64")
  expect_identical(only_na$frame$x, c(1.5, NA))
})

test_that("Arrow columns convert into R's types as they are copied: chunks, slices, nulls", {
  arrow <- function(...) paste0("pd.arrays.ArrowExtensionArray(pa.chunked_array([", ..., "]))")
  df <- python_frame(paste0("pd.DataFrame({",
    # two chunks, the second a slice (its offset is not a whole byte of the bitmaps)
    "'i8': ", arrow("pa.array([1], pa.int8()), ",
                    "pa.array([0] * 9 + [None, -3], pa.int8()).slice(9)"), ",",
    "'u32': ", arrow("pa.array([4_000_000_000, 7, None, 9], pa.uint32()).slice(1)"), ",",
    "'u16': ", arrow("pa.array([65535, None, 0], pa.uint16())"), ",",
    "'i64': ", arrow("pa.array([2**40, None, -1], pa.int64())"), ",",
    "'f32': ", arrow("pa.array([0.25, None, float('nan')], pa.float32())"), ",",
    "'flag': ", arrow("pa.array([True] * 9 + [False, None, True]).slice(9)"), ",",
    "'seen': ", arrow("pa.array([1_500_000, None, -1], pa.timestamp('us', tz='UTC'))"), ",",
    "'day': ", arrow("pa.array([19000, None, -1], pa.date32())"), "})"
  ))
  expect_identical(df$i8, c(1L, NA, -3L))
  expect_identical(df$u32, c(7L, NA, 9L))
  expect_identical(df$u16, c(65535L, NA, 0L))
  expect_identical(df$i64, c(2^40, NA, -1))
  expect_identical(df$f32, c(0.25, NA, NaN))
  expect_identical(is.nan(df$f32), c(FALSE, FALSE, TRUE))
  expect_identical(df$flag, c(FALSE, NA, TRUE))
  expect_identical(as.numeric(df$seen), c(1.5, NA, -1e-6))
  expect_identical(attr(df$seen, "tzone"), "UTC")
  expect_identical(df$day, as.Date(c("2022-01-08", NA, "1969-12-31")))
})

test_that("the Arrow routine refuses chunks whose buffers are shorter than they say", {
  records <- reticulate::import("s3tools.r_records")
  pa <- reticulate::import("pyarrow", convert = FALSE)
  on.exit(records$release(), add = TRUE)
  chunks <- records$hand_chunks(pa$chunked_array(list(pa$array(c(1L, 2L, 3L), pa$int32()))),
                                "int32")
  numbers <- function(record, from = "int32", to = "integer") {
    .Call(s3tools:::s3tools_arrow_numbers, from, to, as.double(record$scale),
          as.character(record$values), as.double(record$value_sizes),
          as.character(record$valid), as.double(record$valid_sizes),
          as.double(record$offsets), as.double(record$lengths))
  }
  expect_identical(numbers(chunks), 1:3)
  expect_identical(numbers(chunks, to = "double"), c(1, 2, 3))
  expect_error(numbers(modifyList(chunks, list(lengths = 4))), "shorter than its length")
  expect_error(numbers(modifyList(chunks, list(offsets = 1))), "shorter than its length")
  expect_error(numbers(chunks, from = "int64"), "shorter than its length")
  expect_error(numbers(modifyList(chunks, list(valid = "1", valid_sizes = 0))), "bitmap")
  expect_error(numbers(chunks, to = "logical"), "booleans")
  expect_error(numbers(chunks, from = "int128"), "unknown Arrow value type")
  expect_error(numbers(chunks, from = "float", to = "integer64"), "floats become double")
  expect_error(numbers(modifyList(chunks, list(lengths = -1))), "offset or length")
})

test_that("columns from Python live outside R's heap and act as ordinary vectors", {
  records <- reticulate::import("s3tools.r_records")
  np <- reticulate::import("numpy", convert = FALSE)
  on.exit(records$release(), add = TRUE)
  x <- s3tools:::handed(records$hand(np$arange(200000, dtype = "float64")), "double")
  small <- s3tools:::handed(records$hand(np$arange(1000, dtype = "float64")), "double")
  records$release()
  invisible(gc())
  outside <- function(v) any(grepl("outside R's heap", capture.output(.Internal(inspect(v)))))
  expect_true(outside(x))
  expect_false(outside(small))  # below 1 MiB: an ordinary vector
  expect_identical(small, as.double(0:999))
  expect_identical(x, as.double(0:199999))
  y <- x
  y[1] <- -1  # a copy: x keeps its values
  expect_identical(c(x[1], y[1]), c(0, -1))
  x[2] <- 5  # in place
  expect_identical(x[1:3], c(0, 5, 2))
  expect_identical(unserialize(serialize(x, NULL)), x)
  expect_identical(sum(x), sum(as.double(0:199999)) + 4)
})

test_that("vectors outside R's heap are freed by R's collector, so memory stays bounded", {
  skip_if_not(file.exists("/proc/self/status"))
  resident_mb <- function() {
    status <- readLines("/proc/self/status")
    as.numeric(strsplit(trimws(sub("VmRSS:", "", status[startsWith(status, "VmRSS:")])),
                        " +")[[1]][1]) / 1024
  }
  records <- reticulate::import("s3tools.r_records")
  np <- reticulate::import("numpy", convert = FALSE)
  on.exit(records$release(), add = TRUE)
  block <- records$hand(np$ones(8000000L))  # 64 MB
  invisible(gc())
  before <- resident_mb()
  most <- 0
  for (i in 1:30) {  # 1.9 GB made, each vector dropped at once
    x <- s3tools:::handed(block, "double")
    most <- max(most, resident_mb() - before)
  }
  expect_identical(x[8e6], 1)
  expect_lt(most, 1000)  # at most the collector's floor (512 MB) and a few vectors
})

test_that("Arrow text in chunks and slices is joined as it is copied", {
  arrow <- function(...) paste0("pd.arrays.ArrowExtensionArray(pa.chunked_array([", ..., "]))")
  for (lazy in c(TRUE, FALSE)) {
    df <- withr::with_options(list(s3tools.lazy_strings = lazy), python_frame(paste0(
      "pd.DataFrame({",
      "'s': ", arrow("pa.array(['a', None, '\u00e9t\u00e9']), ",
                     "pa.array(['x'] * 9 + ['', None, 'zz']).slice(9)"), ",",
      "'l': ", arrow("pa.array([f'v{i}' for i in range(4)], pa.large_string()), ",
                     "pa.array(['w', 'v', None], pa.large_string()).slice(1)"), ",",
      "'nul': ", arrow("pa.array(['a\\0b', 'c', None, 'd', 'e', 'f'])"), "})"
    )))
    expect_identical(df$s, c("a", NA, "\u00e9t\u00e9", "", NA, "zz"))
    expect_identical(Encoding(df$s[3]), "UTF-8")
    expect_identical(df$l, c("v0", "v1", "v2", "v3", "v", NA))
    expect_identical(df$nul, c("ab", "c", NA, "d", "e", "f"))  # R's strings hold no NUL
  }
})

test_that("the Arrow text routine refuses offsets outside the chunk's bytes", {
  records <- reticulate::import("s3tools.r_records")
  pa <- reticulate::import("pyarrow", convert = FALSE)
  on.exit(records$release(), add = TRUE)
  chunks <- records$`_text_chunks`(pa$chunked_array(list(pa$array(c("ab", "cde")))))
  expect_identical(s3tools:::arrow_text_from_python(chunks), c("ab", "cde"))
  expect_error(s3tools:::arrow_text_from_python(modifyList(chunks, list(data_sizes = 4))),
               "outside its bytes")
  expect_error(s3tools:::arrow_text_from_python(modifyList(chunks, list(lengths = 3))),
               "shorter than its length")
  expect_error(s3tools:::arrow_text_from_python(modifyList(chunks, list(from = "utf8"))),
               "unknown Arrow text type")
})
