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
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(head(mtcars), "demo/data/cars.csv")
#' write_df_to_table_in_s3(head(iris), "demo/data/iris.parquet")
#' list_files_in_buckets("demo", prefix = "data/")[, c("path", "size_readable")]
#' list_files_in_buckets("demo", path_only = TRUE)
#' server$stop()
#' @export
list_files_in_buckets <- function(bucket_filter = NULL, prefix = NULL, path_only = FALSE,
                                  max = NULL, tibble = getOption("s3tools.tibble", FALSE)) {
  bridge_call("list_files_in_buckets", list(
    bucket_filter = as_sequence(bucket_filter),
    prefix = prefix, path_only = path_only, max = max
  ), tibble = tibble)
}

#' The buckets these credentials can use, and how
#'
#' Where ListBuckets is denied (read-only services, platforms that grant
#' access bucket by bucket), the list comes from the `S3TOOLS_BUCKETS`
#' environment variable (comma-separated, each `name` or `name:read-only`,
#' `name:read-write`, `name:admin`; set it in `.Renviron`), then from the
#' caller's own IAM policies (the buckets they name).
#'
#' @inheritParams s3tools-parameters
#' @param access `TRUE` for a data frame with columns `bucket`, `access`
#'   (`"read-only"`, `"read-write"`, `"admin"` or `"unknown"`) and `source`.
#'   Levels come from `S3TOOLS_BUCKETS` where it gives one, else from the
#'   caller's IAM policies where they can be read, else `"unknown"`.
#' @return A character vector of bucket names, sorted, whose `source`
#'   attribute says where it came from (`"ListBuckets"`, `"S3TOOLS_BUCKETS"`
#'   or `"IAM policies of user ..."`); or the data frame.
#' @section Errors: when none of the three can say, an error of class
#'   `s3tools_access_denied` that says how to set `S3TOOLS_BUCKETS`. A write
#'   to a bucket known to be read-only (from `S3TOOLS_BUCKETS`, or from the
#'   policies an earlier call read) is refused before any request.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' accessible_buckets()
#' accessible_buckets(access = TRUE)
#' server$stop()
#' @export
accessible_buckets <- function(access = FALSE, tibble = getOption("s3tools.tibble", FALSE)) {
  if (isTRUE(access)) {
    return(bridge_call("accessible_buckets", list(access = TRUE), tibble = tibble))
  }
  found <- bridge_call("accessible_bucket_names")
  structure(found$names, source = found$source)
}

#' Whether an object exists
#'
#' For `"bucket/folder/"`, whether anything is under it. A check the
#' credentials may not make is an error of class `s3tools_access_denied`,
#' not `FALSE`.
#'
#' @inheritParams s3tools-parameters
#' @return `TRUE` or `FALSE`.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(head(mtcars), "demo/data/cars.csv")
#' s3_file_exists("demo/data/cars.csv")
#' s3_file_exists("demo/data/")
#' s3_file_exists("demo/data/other.csv")
#' server$stop()
#' @export
s3_file_exists <- function(s3_path) {
  bridge_call("s3_file_exists", list(s3_path = s3_path))
}
