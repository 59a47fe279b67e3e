# The R side of the benchmark: the same protocol as bench/worker.py.
# One JSON request per line on stdin, one JSON answer per line on stdout.
# The package is loaded from the library the harness installed it into.
suppressPackageStartupMessages({
  library(jsonlite)
  library(s3tools)
})

memory_kib <- function(field) {
  status <- readLines("/proc/self/status")
  line <- status[startsWith(status, paste0(field, ":"))]
  as.numeric(strsplit(trimws(sub(".*:", "", line)), " +")[[1]][1])
}

reset_peak <- function() {
  tryCatch({
    writeLines("5", "/proc/self/clear_refs")
    TRUE
  }, error = function(error) FALSE, warning = function(warning) FALSE)
}

input <- file("stdin", open = "r")
context <- fromJSON(readLines(input, n = 1), simplifyVector = FALSE)
bucket <- context$bucket
csv <- paste0(bucket, "/", context$layout$csv)
downloaded <- function(read) {
  local <- tempfile(fileext = ".csv")
  on.exit(unlink(local))
  download_file_from_s3(csv, local)
  read(local)
}
# Cases by scenario and peer (the names in bench/cases.py).
cases <- list(
  "7a s3tools" = function() s3_path_to_df(csv),
  "7a download + data.table::fread" = function() downloaded(data.table::fread),
  "7a download + vroom (lazy)" = function() {
    downloaded(function(local) vroom::vroom(local, show_col_types = FALSE, progress = FALSE))
  },
  "7b s3tools" = function() list_files_in_buckets(context$listing_bucket),
  "7c s3tools" = function() s3_path_to_df(paste0(bucket, "/", context$layout$parquet))
)
expected <- list("7a" = context$layout$csv_rows, "7b" = context$layout$listing_keys,
                 "7c" = context$layout$parquet_rows)

repeat {
  line <- readLines(input, n = 1)
  if (length(line) == 0) break
  request <- fromJSON(line, simplifyVector = FALSE)
  answer <- tryCatch({
    invisible(gc())
    peak_known <- reset_peak()
    before <- memory_kib("VmRSS")
    started <- proc.time()[["elapsed"]]
    result <- cases[[paste(request$scenario, request$peer)]]()
    seconds <- proc.time()[["elapsed"]] - started
    peak <- if (peak_known) (memory_kib("VmHWM") - before) / 1024 else NULL
    if (!is.data.frame(result) || nrow(result) != expected[[request$scenario]]) {
      stop("expected a data.frame of ", expected[[request$scenario]], " rows, got ",
           paste(class(result), collapse = "/"), " of ", NROW(result))
    }
    rm(result)
    list(seconds = seconds, peak_mb = peak)
  }, error = function(error) list(error = conditionMessage(error)))
  cat(toJSON(answer, auto_unbox = TRUE, null = "null", digits = NA), "\n", sep = "")
  flush(stdout())
}
