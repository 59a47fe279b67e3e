#' s3tools: read, preview, write and list data in S3
#'
#' The same functions, arguments and results as the s3tools Python package,
#' which does the work: AWS S3 or any S3-compatible endpoint (set
#' `AWS_ENDPOINT_URL` in `.Renviron`). See `vignette("s3tools")`.
#'
#' Options: `s3tools.tibble` (`TRUE` makes data frame results tibbles),
#' `s3tools.python` (the Python to use, see [s3tools_python()]),
#' `s3tools.source` (a checkout of s3tools whose `.venv` to use).
#'
#' Errors are conditions of class `s3tools_error` and one of
#' `s3tools_path`, `s3tools_not_found`, `s3tools_access_denied`,
#' `s3tools_exists`, `s3tools_format`, `s3tools_config`, `s3tools_connection`,
#' `s3tools_too_large` (a whole read that would not fit in memory),
#' `s3tools_changed` (an object replaced while it was read, more often than
#' a read starts again), `s3tools_argument` (an option the file's reader or
#' writer does not take, named with the options it takes), so
#' `tryCatch(..., s3tools_not_found = function(e) ...)` catches one kind.
#' Text columns arrive as ALTREP character vectors whose strings are made
#' when first used (they save and serialise as plain character vectors);
#' `options(s3tools.lazy_strings = FALSE)` makes every string at once.
#' @keywords internal
#' @useDynLib s3tools, .registration = TRUE
"_PACKAGE"

#' Arguments shared by s3tools functions
#'
#' @param s3_path The object, as `"bucket/key"`, `"s3://bucket/key"` or
#'   `"/bucket/key"`.
#' @param overwrite `TRUE` to replace an existing object with exactly this
#'   key (or local file); otherwise an existing one is an error of class
#'   `s3tools_exists` and nothing is written.
#' @param multipart `TRUE` to send large uploads in parallel parts.
#' @param file_type A format name or extension (`"csv"`, `"parquet"`,
#'   `"xlsx"`, ...) that overrides the key's extension.
#' @param tibble `TRUE` to return a tibble instead of a data.frame; the
#'   default comes from `getOption("s3tools.tibble", FALSE)`.
#' @param fun An R function.
#' @param df A data frame (or tibble).
#' @param memory_check `TRUE` to refuse, before the download, a whole read
#'   that would not fit in the memory this session has left (an error of
#'   class `s3tools_too_large`); `FALSE` reads anyway. `S3TOOLS_MEMORY_CHECK=false`
#'   turns the check off everywhere; `S3TOOLS_MEMORY_LIMIT` (`"4GB"`) sets the
#'   memory to count with instead of the measured one.
#' @name s3tools-parameters
#' @keywords internal
NULL
