# Datasets (partitioned Parquet) and chunked reads (R/datasets.R).

sales <- function(n = 12, start = 0L) {
  id <- seq_len(n) + start - 1L
  data.frame(
    id = id,
    region = c("north", "south", "east")[id %% 3 + 1],
    year = 2020L + id %% 4L,
    day = as.Date("2024-01-01") + id %% 2,
    amount = id * 1.5,
    stringsAsFactors = FALSE
  )
}

by_id <- function(df) {
  df <- df[order(df$id), , drop = FALSE]
  rownames(df) <- NULL
  df
}

test_that("partitioned datasets round-trip in every mode (strings, integers, dates)", {
  local_s3()
  for (columns in list("region", "year", "day", c("year", "region"))) {
    root <- paste0("test-bucket/", paste(columns, collapse = "-"), "/")
    first <- sales()
    expect_identical(write_df_to_table_in_s3(first, root, partition_cols = columns), root)
    expect_identical(by_id(s3_path_to_df(root)), first)
    expect_error(write_df_to_table_in_s3(first, root, partition_cols = columns),
                 class = "s3tools_exists")
    more <- sales(6, start = 100L)
    write_df_to_table_in_s3(more, root, partition_cols = columns, mode = "append")
    expect_identical(by_id(s3_path_to_df(root)), by_id(rbind(first, more)))
    replacement <- sales(12, start = 200L)
    replacement <- replacement[replacement[[columns[1]]] == first[[columns[1]]][1], ]
    write_df_to_table_in_s3(replacement, root, partition_cols = columns,
                            mode = "overwrite_partitions")
    kept <- rbind(first, more)
    kept <- kept[!kept[[columns[1]]] %in% replacement[[columns[1]]], ]
    expect_identical(by_id(s3_path_to_df(root)), by_id(rbind(kept, replacement)))
    last <- sales(5, start = 300L)
    write_df_to_table_in_s3(last, root, partition_cols = columns, mode = "overwrite")
    expect_identical(by_id(s3_path_to_df(root)), last, label = root)
  }
})

test_that("columns and filters are pushed down from R", {
  local_s3()
  write_df_to_table_in_s3(sales(24), "test-bucket/sales/", partition_cols = c("year", "day"))
  got <- s3_path_to_df("test-bucket/sales/", columns = c("id", "day"),
                       filters = list(list("year", "in", c(2021, 2022)),
                                      list("day", ">=", as.Date("2024-01-02"))))
  expected <- sales(24)
  expected <- expected[expected$year %in% 2021:2022 & expected$day >= as.Date("2024-01-02"),
                       c("id", "day")]
  expect_identical(by_id(got), by_id(expected))
  expect_error(s3_path_to_df("test-bucket/sales/", filters = list(list("nope", "==", 1))),
               class = "s3tools_error", regexp = "not in the data")
})

test_that("s3_path_to_chunks calls the callback on each chunk, with its position", {
  client <- local_s3()
  df <- sales(250)
  write_df_to_csv_in_s3(df, "test-bucket/sales.csv")
  sizes <- integer()
  positions <- numeric()
  result <- s3_path_to_chunks("test-bucket/sales.csv", 100, function(chunk, position) {
    sizes <<- c(sizes, nrow(chunk))
    positions <<- c(positions, position)
  })
  expect_null(result)
  expect_identical(sizes, c(100L, 100L, 50L))
  expect_identical(positions, c(1, 101, 201))
  chunks <- list()
  s3_path_to_chunks("test-bucket/sales.csv", 100, function(chunk) {
    chunks[[length(chunks) + 1]] <<- chunk
    length(chunks) < 2 # FALSE after the second chunk stops the reading
  })
  expect_length(chunks, 2)
  expect_identical(do.call(rbind, chunks), df[1:200, c("id", "region", "year", "day", "amount")]
                   |> transform(day = as.character(day)))
  write_df_to_table_in_s3(df, "test-bucket/ds/", partition_cols = "year")
  got <- list()
  s3_path_to_chunks("test-bucket/ds/", 40, function(chunk) got[[length(got) + 1]] <<- chunk,
                    filters = list(list("year", "==", 2021)))
  expect_identical(by_id(do.call(rbind, got)), by_id(df[df$year == 2021L, ]))
  error <- tryCatch(s3_path_to_chunks("test-bucket/sales.csv", 100, function(chunk) stop("mine")),
                    error = identity)
  expect_identical(conditionMessage(error), "mine")
  expect_error(s3_path_to_chunks("test-bucket/sales.csv"), class = "s3tools_error",
               regexp = "callback")
  expect_error(s3_path_to_chunks("test-bucket/missing.csv", 10, identity),
               class = "s3tools_not_found")
})

read_chunks <- function(path, size, ...) {
  chunks <- list()
  s3_path_to_chunks(path, size, function(chunk) chunks[[length(chunks) + 1]] <<- chunk, ...)
  chunks
}

column_classes <- function(chunks, name) {
  vapply(chunks, function(chunk) class(chunk[[name]])[[1]], "")
}

test_that("chunks have the types of a whole read, each column one type throughout", {
  client <- local_s3()
  put_object(client, "t.csv", "i,x,e,s\n1,1.5,,a\n,2,,b\n3,3,,\n4,,7,c\n5,,,d\n")
  chunks <- read_chunks("test-bucket/t.csv", 2)
  whole <- s3_path_to_df("test-bucket/t.csv")
  for (name in c("i", "x", "s")) {
    expect_identical(column_classes(chunks, name), rep(class(whole[[name]]), 3), label = name)
  }
  # No value in the first chunk: logical NA, until a chunk with values types the column.
  expect_identical(column_classes(chunks, "e"), c("logical", "integer", "integer"))
  expect_identical(do.call(rbind, chunks), whole)
  records <- c('{"i": 1, "f": 1.5}', '{"i": null, "f": 2}', '{"i": 3, "f": null}', '{"i": 4}')
  put_object(client, "t.jsonl", paste0(records, "\n", collapse = ""))
  lines <- read_chunks("test-bucket/t.jsonl", 2)
  expect_identical(column_classes(lines, "i"), c("integer", "integer"))
  expect_identical(column_classes(lines, "f"), c("numeric", "numeric"))
  expect_identical(do.call(rbind, lines), s3_path_to_df("test-bucket/t.jsonl"))
  file <- file.path(test_cases_folder(), "data", "integers_with_missing.parquet")
  put_object(client, "t.parquet", readBin(file, "raw", file.size(file)))
  rows <- read_chunks("test-bucket/t.parquet", 1)
  whole <- s3_path_to_df("test-bucket/t.parquet")
  for (name in names(whole)) {
    expect_identical(column_classes(rows, name), rep(class(whole[[name]])[[1]], 3), label = name)
  }
  expect_identical(do.call(rbind, rows)[c("count", "wide", "flag", "full")],
                   whole[c("count", "wide", "flag", "full")])
})

test_that("a chunk whose values its column's type cannot hold is an error saying what to do", {
  client <- local_s3()
  put_object(client, "t.csv", "id,x\n1,1\n2,2\n3,1.5\n")
  seen <- 0
  expect_error(s3_path_to_chunks("test-bucket/t.csv", 2, function(chunk) seen <<- seen + 1),
               class = "s3tools_format", regexp = "Column 'x'.*dtype = list\\(x = \"float64\"\\)")
  expect_identical(seen, 1)
  chunks <- read_chunks("test-bucket/t.csv", 2, dtype = list(x = "float64"))
  expect_identical(column_classes(chunks, "x"), c("numeric", "numeric"))
})

big_csv_in_python <- function(size) {
  # About `size` bytes of CSV lines (an id, two hex columns): made in Python, fast.
  reticulate::py_run_string(paste(
    "import numpy as np",
    sprintf("rows = %d // 48", size),
    "hexes = np.frombuffer(np.random.default_rng(5).bytes(rows * 16).hex().encode(), 'S1')",
    "lines = np.full((rows, 48), b',', dtype='S1')",
    "lines[:, :12] = np.frombuffer(np.char.zfill(np.arange(rows).astype('S12'), 12).tobytes(),",
    "                              'S1').reshape(rows, 12)",
    "lines[:, 13:29] = hexes.reshape(rows, 32)[:, :16]",
    "lines[:, 30:46] = hexes.reshape(rows, 32)[:, 16:]",
    "lines[:, 46] = b'0'",
    "lines[:, 47] = b'\\n'",
    "body = b'id,a,b,c\\n' + lines.tobytes()",
    "del lines, hexes",
    sep = "\n"
  ), convert = FALSE)
}

test_that("a CSV four times the memory allowed is read in chunks within it", {
  skip_if_not(file.exists("/proc/self/clear_refs"), "no /proc/self/clear_refs")
  client <- local_s3()
  allowed <- 32 * 1024^2
  size <- 4 * allowed
  client$put_object(Bucket = "test-bucket", Key = "small.csv",
                    Body = big_csv_in_python(16 * 1024^2)$body)
  client$put_object(Bucket = "test-bucket", Key = "big.csv", Body = big_csv_in_python(size)$body)
  reticulate::py_run_string("del body; import gc; gc.collect()")
  # Measured in a new R process, as in Python: what the read needs, not what this
  # session's allocator kept from earlier tests (free memory left by them hid part of
  # the read's; with none left, the heap grew by more than the read had in use).
  output <- run_in_new_r(c(
    "memory_kb <- function(field) {",
    "  status <- readLines('/proc/self/status')",
    "  as.numeric(sub('[^0-9]*([0-9]+) kB', '\\\\1', grep(paste0('^', field, ':'), status,",
    "                                                   value = TRUE))) * 1024",
    "}",
    "count_rows <- function(path) {",
    "  rows <- 0",
    "  s3_path_to_chunks(path, 50000, function(chunk) rows <<- rows + nrow(chunk))",
    "  rows",
    "}",
    "# A few chunks first: Python, its clients and R's heap grown to what one chunk needs.",
    "count_rows('test-bucket/small.csv')",
    "gc()",
    "before <- memory_kb('VmRSS')",
    "writeLines('5', '/proc/self/clear_refs') # resets VmHWM, the peak mark",
    "rows <- count_rows('test-bucket/big.csv')",
    "cat(sprintf('measured %.0f %.0f\\n', rows, memory_kb('VmHWM') - before))"
  ))
  measured <- grep("^measured ", output, value = TRUE)
  expect_true(length(measured) == 1, info = paste(output, collapse = "\n"))
  figures <- as.numeric(strsplit(measured[1], " ")[[1]][2:3])
  rows <- figures[1]
  added <- figures[2]
  expect_equal(rows, size %/% 48)
  expect_lt(added, allowed)
  message(sprintf("R: chunked read of a %.0f MB CSV added %.1f MB at its peak (allowed %.0f MB)",
                  size / 1024^2, added / 1024^2, allowed / 1024^2))
})
