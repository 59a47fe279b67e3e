#' Upload a local file
#'
#' @inheritParams s3tools-parameters
#' @param local_file_path The file to upload.
#' @param s3_path Where to put it (`"bucket/key"`).
#' @return The `bucket/key` written, invisibly.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' results <- tempfile(fileext = ".csv")
#' write.csv(head(mtcars), results)
#' write_file_to_s3(results, "demo/output/results.csv")
#' s3_file_exists("demo/output/results.csv")
#' unlink(results)
#' server$stop()
#' @export
write_file_to_s3 <- function(local_file_path, s3_path, overwrite = FALSE, multipart = TRUE) {
  invisible(bridge_call("write_file_to_s3", list(
    local_file_path = local_file_path, s3_path = s3_path, overwrite = overwrite,
    multipart = multipart
  )))
}

#' Write a data frame as CSV
#'
#' A header row, and no row names unless `row.names = TRUE`; a `.gz`, `.bz2`,
#' `.xz`, `.zst` or `.zip` key is compressed to match.
#'
#' @inheritParams s3tools-parameters
#' @param ... Options for the writer: `sep`, `na` / `na_rep`, `col_names`,
#'   `date_format`, ...; `row.names = TRUE` writes the row names as a first
#'   column with an empty name, as [utils::write.csv()] does (`FALSE`, the
#'   default, writes none; a character vector gives the names to write).
#' @return The `bucket/key` written, invisibly.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(mtcars, "demo/output/mtcars.csv")
#' s3_path_to_preview_df("demo/output/mtcars.csv", n = 3)
#' # Row names as a first column, as write.csv() writes them, and compressed:
#' write_df_to_csv_in_s3(mtcars, "demo/output/cars.csv.gz", row.names = TRUE)
#' head(read_using(read.csv, "demo/output/cars.csv.gz", row.names = 1), 3)
#' # An existing object is replaced only when asked:
#' write_df_to_csv_in_s3(head(mtcars), "demo/output/mtcars.csv", overwrite = TRUE)
#' server$stop()
#' @export
write_df_to_csv_in_s3 <- function(df, s3_path, overwrite = FALSE, multipart = TRUE, ...) {
  check_frame(df)
  written <- with_row_names(df, list(...))
  invisible(bridge_call("write_df_to_csv_in_s3", list(
    df = written$df, s3_path = s3_path, overwrite = overwrite, multipart = multipart
  ), written$options))
}

#' Write a data frame in the format the key names
#'
#' csv, tsv, parquet, feather, json, jsonl, xlsx, sav or dta, chosen from the
#' extension (compression suffixes applied) or from `file_type`.
#'
#' A folder path (`"bucket/prefix/"`) writes a Parquet dataset, hive-style
#' with `partition_cols = c("year")` (`prefix/year=2024/part-....parquet`).
#' `mode` is `"error"` (the default: refuse a folder that holds files),
#' `"append"`, `"overwrite"` (the whole folder) or `"overwrite_partitions"`
#' (only the partitions present in `df`). The files are uploaded to a hidden
#' staging folder first and made visible only once all are there, so a failed
#' write leaves no half-written dataset; `_SUCCESS` is written last.
#'
#' @inheritParams write_df_to_csv_in_s3
#' @inheritParams s3tools-parameters
#' @param ... Options for the writer; for a dataset, `partition_cols` and
#'   `mode` (see above), and Parquet options such as `compression` or
#'   `row_group_size`.
#' @return The `bucket/key` (or `bucket/prefix/`) written, invisibly.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_table_in_s3(mtcars, "demo/output/mtcars.parquet")
#' write_df_to_table_in_s3(mtcars, "demo/output/mtcars.xlsx")
#' sales <- data.frame(year = c(2023L, 2024L, 2024L), amount = c(10.5, 20, 7.25))
#' write_df_to_table_in_s3(sales, "demo/sales/", partition_cols = "year")
#' list_files_in_buckets("demo", prefix = "sales/", path_only = TRUE)
#' s3_path_to_df("demo/sales/", filters = list(list("year", "==", 2024)))
#' server$stop()
#' @export
write_df_to_table_in_s3 <- function(df, s3_path, overwrite = FALSE, multipart = TRUE,
                                    file_type = NULL, ...) {
  check_frame(df)
  written <- with_row_names(df, list(...))
  invisible(bridge_call("write_df_to_table_in_s3", list(
    df = written$df, s3_path = s3_path, overwrite = overwrite, multipart = multipart,
    file_type = file_type
  ), written$options))
}

#' Write an object with a function of your own
#'
#' `fun(obj, path, ...)` writes a private temporary file named like the key,
#' which is uploaded and deleted. An existing key is refused before `fun`
#' runs, unless `overwrite`.
#'
#' @inheritParams s3tools-parameters
#' @param obj The object to write.
#' @param fun A function taking the object and a file path, such as
#'   `saveRDS` or `haven::write_sav`.
#' @param ... More arguments for `fun`.
#' @return The `bucket/key` written, invisibly.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' model <- lm(mpg ~ wt, data = mtcars)
#' write_using(model, saveRDS, "demo/models/model.rds")
#' coef(read_using(readRDS, "demo/models/model.rds"))
#' server$stop()
#' @export
write_using <- function(obj, fun, s3_path, overwrite = FALSE, ...) {
  check_function(fun, "write_using", "second")
  local_path <- bridge_call("temporary_upload_path", list(s3_path = s3_path, overwrite = overwrite))
  on.exit(unlink(local_path), add = TRUE)
  fun(obj, local_path, ...)
  invisible(bridge_call("upload_temporary", list(
    local_path = local_path, s3_path = s3_path, overwrite = overwrite
  )))
}

# write.csv's row.names (or row_names): TRUE puts the row names first, in a column
# with an empty name; a character vector gives the names to write. The option is
# used up here: Python writes no index.
with_row_names <- function(df, options) {
  given <- intersect(c("row.names", "row_names"), names(options))
  row_names <- if (length(given) > 0) options[[given[[1]]]] else FALSE
  options[given] <- NULL
  if (isTRUE(row_names)) {
    row_names <- row.names(df)
  }
  if (!is.character(row_names)) {
    return(list(df = df, options = options))
  }
  if (length(row_names) != nrow(df)) {
    signal_s3tools_error(paste0("row.names must be TRUE, FALSE or ", nrow(df),
                                " names (one a row), not ", length(row_names), "."),
                         call = sys.call(-1))
  }
  columns <- c(list(row_names), as.list(df))
  names(columns) <- c("", names(df))
  frame <- structure(columns, class = "data.frame", row.names = .set_row_names(nrow(df)))
  list(df = frame, options = options)
}

check_frame <- function(df) {
  if (!is.data.frame(df)) {
    signal_s3tools_error(paste0("df must be a data frame, not ", class(df)[[1]], "."),
                         call = sys.call(-1))
  }
}
