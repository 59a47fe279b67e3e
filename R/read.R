#' Read an object into memory
#'
#' The object's bytes, or its text when an `encoding` is given. Nothing is
#' written to disk.
#'
#' @inheritParams s3tools-parameters
#' @param encoding `NULL` for a raw vector, or a text encoding such as
#'   `"UTF-8"` for a character string.
#' @return A raw vector, or a character string.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(data.frame(id = 1:3), "demo/ids.csv")
#' bytes <- read_file_from_s3("demo/ids.csv")
#' length(bytes)
#' read_file_from_s3("demo/ids.csv", encoding = "UTF-8")
#' server$stop()
#' @export
read_file_from_s3 <- function(s3_path, encoding = NULL, memory_check = TRUE) {
  bridge_call("read_file_from_s3", list(s3_path = s3_path, encoding = encoding,
                                        memory_check = memory_check))
}

#' Read many objects into memory at once
#'
#' The objects are fetched concurrently (thousands of small files are fine).
#'
#' @param paths_or_prefix A character vector of paths, or one folder
#'   (`"bucket/folder/"`) whose every object is read.
#' @inheritParams s3tools-parameters
#' @param max_concurrency How many requests run at once (default: the
#'   `S3TOOLS_MAX_CONCURRENCY` environment variable, or 16).
#' @return A named list of raw vectors, named by `bucket/key`.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(data.frame(id = 1:2), "demo/scans/a.csv")
#' write_df_to_csv_in_s3(data.frame(id = 3:4), "demo/scans/b.csv")
#' scans <- read_files_from_s3("demo/scans/")
#' names(scans)
#' server$stop()
#' @export
read_files_from_s3 <- function(paths_or_prefix, max_concurrency = NULL, memory_check = TRUE) {
  bridge_call("read_files_from_s3", list(
    paths_or_prefix = as_sequence(paths_or_prefix), max_concurrency = max_concurrency,
    memory_check = memory_check
  ))
}

#' Read a data file into a data frame
#'
#' The reader is chosen from the extension, case-insensitive, looking
#' through `.gz`, `.bz2`, `.xz`, `.zst` and `.zip`: csv, tsv/tab, parquet,
#' feather/arrow, json, jsonl/ndjson, xlsx/xls, sav, dta, sas7bdat. A path
#' ending in `/` reads every file under it into one data frame.
#'
#' A folder of Parquet files is read as a dataset (written by s3tools,
#' pandas/pyarrow, Spark or Athena): hive-style folders (`year=2024/`) become
#' columns with their types, and `columns = c(...)` and `filters =
#' list(list("year", "==", 2024))` are pushed down: only the files, row
#' groups and columns that can match are fetched (also for one Parquet file).
#' A filter is `list(column, op, value)` with op `"=="`, `"!="`, `"<"`,
#' `"<="`, `">"`, `">="`, `"in"` or `"not in"`; several must all hold, and a
#' list of such lists means any of them.
#' In a folder, these are not data, and are not read: names starting with
#' `_` or `.` at any level (`_SUCCESS`, `_common_metadata`, Spark's
#' `_temporary/`, `.hidden/`), folder markers (`out/`), EMR's `name_$folder$`
#' markers and empty objects.
#'
#' @inheritParams s3tools-parameters
#' @param ... Options for the reader, in R's names or pandas'. R's:
#'   `stringsAsFactors = TRUE` (text columns as factors); `colClasses`, one
#'   class for every column or classes by column name (`c(id = "character",
#'   day = "Date")`) among `"character"`, `"numeric"` (`"double"`),
#'   `"integer"`, `"logical"`, `"factor"` and `"Date"` (`NA`: as the reader
#'   decides), for csv, tsv, json and Excel files; `na.strings` / `na` (more
#'   texts read as missing); `skip`; `nrows` / `n_max`; `sep` / `delim`
#'   (`sep = ""`: any white space); `header` / `col_names` (`FALSE`: columns
#'   named V1, V2... / X1, X2...); `encoding` / `fileEncoding` (`"latin1"`,
#'   `"UTF-8-BOM"`...); `sheet` (from 1); `col_select`. The pandas names of
#'   the format's reader work too (`usecols`, `sheet_name`, `dtype`,
#'   `parse_dates`, ...). Any other name is an error of class
#'   `s3tools_argument` that lists the options the format takes.
#' @return A data.frame (or tibble).
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' people <- data.frame(name = c("Ada", "Alan", "Grace"), born = c(1815L, 1912L, 1906L))
#' write_df_to_csv_in_s3(people, "demo/people.csv")
#' s3_path_to_df("demo/people.csv")
#' str(s3_path_to_df("demo/people.csv", stringsAsFactors = TRUE, nrows = 2))
#' write_df_to_table_in_s3(people, "demo/people.parquet")
#' s3_path_to_df("demo/people.parquet", columns = "name")
#' server$stop()
#' @export
s3_path_to_df <- function(s3_path, file_type = NULL, ..., memory_check = TRUE,
                          tibble = getOption("s3tools.tibble", FALSE)) {
  bridge_call("s3_path_to_df",
              list(s3_path = s3_path, file_type = file_type, memory_check = memory_check),
              list(...), tibble = tibble)
}

#' @rdname s3_path_to_df
#' @export
s3_path_to_full_df <- function(s3_path, file_type = NULL, ..., memory_check = TRUE,
                               tibble = getOption("s3tools.tibble", FALSE)) {
  bridge_call("s3_path_to_full_df",
              list(s3_path = s3_path, file_type = file_type, memory_check = memory_check),
              list(...), tibble = tibble)
}

#' Preview the first rows of a data file
#'
#' The first `n` rows of what [s3_path_to_df()] returns, fetching only the
#' bytes needed: the start of text files (compressed ones included), the
#' footer and first pages of Parquet and Arrow files, the directory and the
#' start of the sheet of an xlsx workbook, the header and first rows of SPSS,
#' Stata and SAS files. JSON documents, xls workbooks and compressed files
#' of formats other than text are read whole. A preview holds at most
#' `S3TOOLS_PREVIEW_LIMIT` (64 MiB unless set, e.g. `"256MB"`) of
#' decompressed text or decoded values, whatever the file claims: text stops
#' there with the rows found by then; what cannot be previewed within it is
#' an error of class `s3tools_format` that says how to raise the limit.
#'
#' @inheritParams s3_path_to_df
#' @param n How many rows.
#' @return A data.frame (or tibble) of at most `n` rows.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(data.frame(day = 1:1000, sales = 1000:1), "demo/sales.csv.gz")
#' s3_path_to_preview_df("demo/sales.csv.gz")
#' s3_path_to_preview_df("demo/sales.csv.gz", n = 2)
#' server$stop()
#' @export
s3_path_to_preview_df <- function(s3_path, n = 5, file_type = NULL, ...,
                                  tibble = getOption("s3tools.tibble", FALSE)) {
  bridge_call("s3_path_to_preview_df", list(s3_path = s3_path, n = n, file_type = file_type),
              list(...), tibble = tibble)
}

#' Read an object with a function of your own
#'
#' The object is downloaded to a private temporary file that keeps its
#' extension, `fun(path, ...)` is called, and the file is deleted, also
#' when `fun` fails.
#'
#' @inheritParams s3tools-parameters
#' @param fun A function whose first argument is a file path, such as
#'   `readxl::read_excel` or `haven::read_sav`.
#' @param ... More arguments for `fun`.
#' @return What `fun` returns.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(data.frame(id = c("007", "042"), name = c("a", "b")), "demo/ids.csv")
#' read_using(read.csv, "demo/ids.csv", colClasses = "character")
#' write_df_to_table_in_s3(head(mtcars), "demo/cars.xlsx")
#' if (requireNamespace("readxl", quietly = TRUE)) {
#'   read_using(readxl::read_excel, "demo/cars.xlsx", n_max = 3)
#' }
#' server$stop()
#' @export
read_using <- function(fun, s3_path, ...) {
  check_function(fun, "read_using", "first")
  local_path <- bridge_call("temporary_copy", list(s3_path = s3_path))
  on.exit(unlink(local_path), add = TRUE)
  fun(local_path, ...)
}

#' Download an object to a local file
#'
#' The file appears whole or not at all.
#'
#' @inheritParams s3tools-parameters
#' @param local_path The file to write; an existing folder receives the
#'   object under its own name.
#' @return The local path written, invisibly.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(data.frame(id = 1:3), "demo/ids.csv")
#' local_file <- file.path(tempdir(), "ids.csv")
#' download_file_from_s3("demo/ids.csv", local_file)
#' read.csv(local_file)
#' unlink(local_file)
#' server$stop()
#' @export
download_file_from_s3 <- function(s3_path, local_path, overwrite = FALSE) {
  invisible(bridge_call("download_file_from_s3",
                        list(s3_path = s3_path, local_path = local_path, overwrite = overwrite)))
}

check_function <- function(fun, caller, position) {
  if (!is.function(fun)) {
    signal_s3tools_error(
      paste0(caller, " needs a function as its ", position, " argument, not ",
             class(fun)[[1]], "."),
      call = sys.call(-1)
    )
  }
}
