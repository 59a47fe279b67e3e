#' List the objects in buckets
#'
#' Every page is read (no 1,000-object limit).
#'
#' @inheritParams s3tools-parameters
#' @param bucket_filter A bucket name or a vector of them (`"bucket/folder"`
#'   narrows to a folder); `NULL` lists every accessible bucket.
#' @param prefix Only keys starting with this.
#' @param path_only `TRUE` to return the `bucket/key` paths alone.
#' @param max Stop after this many objects.
#' @return A data frame with columns filename, path, size_readable, key,
#'   lastmodified, etag, size, storageclass, bucket; or a character vector of
#'   paths.
#' @examples
#' \dontrun{
#' list_files_in_buckets("my-bucket", prefix = "data/")
#' }
#' @export
list_files_in_buckets <- function(bucket_filter = NULL, prefix = NULL, path_only = FALSE,
                                  max = NULL, tibble = getOption("s3tools.tibble", FALSE)) {
  bridge_call("list_files_in_buckets", list(
    bucket_filter = as_sequence(bucket_filter),
    prefix = prefix, path_only = path_only, max = max
  ), tibble = tibble)
}

#' The buckets these credentials can see
#'
#' @return A character vector of bucket names, sorted.
#' @examples
#' \dontrun{
#' accessible_buckets()
#' }
#' @export
accessible_buckets <- function() {
  bridge_call("accessible_buckets")
}

#' Whether an object exists
#'
#' For `"bucket/folder/"`, whether anything is under it. A check the
#' credentials may not make is an error of class `s3tools_access_denied`,
#' not `FALSE`.
#'
#' @inheritParams s3tools-parameters
#' @return `TRUE` or `FALSE`.
#' @examples
#' \dontrun{
#' s3_file_exists("my-bucket/data/people.csv")
#' }
#' @export
s3_file_exists <- function(s3_path) {
  bridge_call("s3_file_exists", list(s3_path = s3_path))
}
