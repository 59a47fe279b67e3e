#' Read a large file or dataset in chunks
#'
#' Reads a CSV, TSV, JSON Lines or Parquet file, or a folder of them (a
#' Parquet dataset, or text files of one format one after the other), a chunk
#' of rows at a time, and calls `callback` on each chunk, as
#' `readr::read_csv_chunked()` does. Memory stays bounded however large the
#' data: the file is streamed in parts and only one chunk is held in R.
#'
#' Each chunk has the types a read of its rows alone gives (R's types, as
#' [s3_path_to_df()] gives them), and a column keeps one type from chunk to
#' chunk: the type of the first chunk with a value in it (before that chunk,
#' logical `NA`). A later chunk's whole numbers fit a double column, and whole
#' doubles an integer one; values the type cannot hold exactly (a decimal in
#' an integer column, text in a numeric one) stop the reading with an error
#' of class `s3tools_format`: give the column's type, e.g. `dtype = list(x =
#' "float64")`, or read larger chunks. For Parquet, `columns` and `filters` are
#' pushed down as in [s3_path_to_df()]. A chunk never spans two text files.
#'
#' @inheritParams s3tools-parameters
#' @param chunk_size Rows per chunk (the last one may have fewer).
#' @param callback A function called with each chunk (a data.frame), and
#'   with the position of its first row as second argument when it takes
#'   two. Returning `FALSE` stops the reading.
#' @param ... For text files, the reader's options (`sep`, `skip`, `na`,
#'   `col_select`, ...); for Parquet, `columns = c(...)` and `filters =
#'   list(list("year", "==", 2024))`.
#' @return `NULL`, invisibly.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(data.frame(day = 1:10, amount = 1:10 * 1.5), "demo/big.csv")
#' total <- 0
#' s3_path_to_chunks("demo/big.csv", 4, function(chunk) {
#'   total <<- total + sum(chunk$amount)
#' })
#' total
#' server$stop()
#' @export
s3_path_to_chunks <- function(s3_path, chunk_size = 100000, callback = NULL, file_type = NULL,
                              ..., tibble = getOption("s3tools.tibble", FALSE)) {
  if (!is.function(callback)) {
    signal_s3tools_error(
      "s3_path_to_chunks needs a callback function in R, called with each chunk.",
      call = sys.call()
    )
  }
  handle <- bridge_call("chunks_open", list(s3_path = s3_path, chunk_size = chunk_size,
                                            file_type = file_type), list(...))
  on.exit(bridge_call("chunks_close", list(handle = handle)), add = TRUE)
  arguments <- formals(callback)
  with_position <- length(arguments) >= 2 || "..." %in% names(arguments)
  position <- 1
  repeat {
    chunk <- bridge_call("chunks_next", list(handle = handle), tibble = tibble)
    if (is.null(chunk)) break
    result <- if (with_position) callback(chunk, position) else callback(chunk)
    position <- position + nrow(chunk)
    # A spent chunk is handed back before the next arrives (a minor collection costs
    # well under a millisecond); left to itself R lets tens of MB of them pile up.
    chunk <- NULL
    invisible(gc(full = FALSE))
    if (identical(result, FALSE)) break
  }
  invisible(NULL)
}
