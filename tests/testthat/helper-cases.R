# The R runner of the shared cases (tests/cases/*.json): the same table that
# pytest runs, so both languages are held to one set of expectations. Seeding
# and judging are done by tests/cases/case_support.py; R calls the s3tools
# function and describes its result in the shared plain form.

read_case_file <- function(name) {
  jsonlite::fromJSON(file.path(test_cases_folder(), name), simplifyVector = FALSE)
}

load_cases <- function() {
  files <- c("read.json", "write.json", "listing.json", "errors.json")
  do.call(c, lapply(files, read_case_file))
}

case_functions <- list(
  read_bytes = function(path) readBin(path, "raw", file.size(path)),
  file_extension = function(path) paste0(".", tools::file_ext(path)),
  write_text = function(obj, path) writeChar(obj, path, eos = NULL),
  ignore_chunk = function(chunk) NULL
)

# Functions made for a file of the case's local folder: list(function = name, file = "$LOCAL/x").
file_functions <- list(
  append_first_column = function(file) {
    function(chunk) cat(paste0(chunk[[1]], "\n"), file = file, append = TRUE, sep = "")
  }
)

build_column <- function(spec) {
  values <- lapply(spec$values, function(value) if (is.null(value)) NA else value)
  switch(spec$type,
    integer = as.integer(unlist(values)),
    double = as.double(unlist(values)),
    character = as.character(unlist(values)),
    logical = as.logical(unlist(values)),
    Date = as.Date(as.character(unlist(values))),
    stop("no column type ", spec$type)
  )
}

build_frame <- function(name) {
  spec <- read_case_file("frames.json")[[name]]
  columns <- lapply(spec, build_column)
  as.data.frame(columns, stringsAsFactors = FALSE, optional = TRUE)
}

case_argument <- function(value, local_dir) {
  if (is.list(value) && !is.null(value$frame)) return(build_frame(value$frame))
  if (is.list(value) && !is.null(value[["function"]]) && !is.null(value$file)) {
    return(file_functions[[value[["function"]]]](case_argument(value$file, local_dir)))
  }
  if (is.list(value) && !is.null(value[["function"]])) return(case_functions[[value[["function"]]]])
  if (is.list(value)) return(unlist(lapply(value, case_argument, local_dir = local_dir)))
  if (is.character(value) && startsWith(value, "$LOCAL/")) {
    return(file.path(local_dir, substring(value, nchar("$LOCAL/") + 1)))
  }
  value
}

number_text <- function(x) {
  ifelse(is.na(x) & !is.nan(x), NA_character_,
         ifelse(is.nan(x), "NaN", sprintf("%.17g", as.double(x))))
}

normalise_column <- function(x) {
  if (inherits(x, "integer64")) {
    return(list(type = "integer64", values = I(as.character(x))))
  }
  if (is.factor(x)) {
    return(list(type = "factor", levels = I(levels(x)), values = I(as.character(x))))
  }
  if (inherits(x, "Date")) return(list(type = "Date", values = I(format(x, "%Y-%m-%d"))))
  if (inherits(x, "POSIXct")) {
    tz <- attr(x, "tzone")
    return(list(type = "POSIXct", values = I(number_text(unclass(x))),
                tz = if (is.null(tz)) "" else tz[[1]]))
  }
  switch(typeof(x),
    integer = list(type = "integer", values = I(as.vector(x))),
    double = list(type = "double", values = I(number_text(as.vector(x)))),
    logical = list(type = "logical", values = I(as.vector(x))),
    list(type = "character", values = I(as.character(x)))
  )
}

normalise_result <- function(value) {
  if (is.null(value)) return(list(type = "null"))
  if (inherits(value, "condition")) {
    kind <- sub("^s3tools_", "", class(value)[[1]])
    if (!inherits(value, "s3tools_error")) kind <- paste0("r:", class(value)[[1]])
    return(list(type = "error", kind = kind, message = conditionMessage(value)))
  }
  if (is.data.frame(value)) {
    return(list(type = "frame", names = I(names(value)),
                columns = stats::setNames(lapply(value, normalise_column), names(value)),
                rows = nrow(value)))
  }
  if (is.raw(value)) return(list(type = "raw", base64 = jsonlite::base64_enc(value)))
  if (is.list(value)) {
    return(list(type = "raw_list", names = I(names(value)),
                base64 = I(vapply(value, jsonlite::base64_enc, ""))))
  }
  if (is.logical(value)) return(list(type = "logical", values = I(value)))
  if (is.character(value)) return(list(type = "character", values = I(value)))
  list(type = "other", repr = paste(format(value), collapse = " "))
}

as_json <- function(x) {
  jsonlite::toJSON(x, auto_unbox = TRUE, na = "null", null = "null", digits = NA)
}

# Runs one case; returns list(result = <json>, after = <json>).
run_case <- function(case, endpoint, local_dir) {
  support <- case_support()
  variables <- support$prepare_named(endpoint, case$name, local_dir)
  if (length(variables) > 0) {
    old <- Sys.getenv(names(variables), unset = NA, names = TRUE)
    do.call(Sys.setenv, variables)
    on.exit({
      set_back <- old[!is.na(old)]
      if (length(set_back) > 0) do.call(Sys.setenv, as.list(set_back))
      if (any(is.na(old))) Sys.unsetenv(names(old)[is.na(old)])
    }, add = TRUE)
  }
  arguments <- lapply(case$arguments, case_argument, local_dir = local_dir)
  function_to_call <- get(case$call, envir = asNamespace("s3tools"))
  if (identical(case$access, "read_only")) support$set_auth(endpoint, 0)
  value <- tryCatch(do.call(function_to_call, arguments), error = function(error) error)
  result <- as_json(normalise_result(value))
  # The local folder differs between runs (and languages): show it as $LOCAL.
  result <- gsub(local_dir, "$LOCAL", result, fixed = TRUE)
  list(result = result,
       after = support$collect_json(endpoint, case$name, local_dir))
}
