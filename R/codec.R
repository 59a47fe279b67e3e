# The column codec of the boundary with Python: results and data frames from
# Python (one record per column, R's own bytes in raw vectors) and data frames
# to Python, as python/s3tools/r_codec.py encodes and decodes them.

value_from_python <- function(value, tibble = FALSE) {
  if (!is.list(value) || is.null(value$type)) {
    return(value)
  }
  switch(value$type,
    value = value$value,
    raw = value$data,
    character = strings_from_python(value$data, value$na, value$n, value$ascii),
    raw_list = stats::setNames(
      lapply(value$values, as_raw),
      strings_from_python(value$names, NULL, value$n)
    ),
    list = stats::setNames(lapply(value$values, value_from_python), as.character(value$names)),
    frame = frame_from_python(value$columns, value$nrow, tibble = tibble),
    value
  )
}

as_raw <- function(value) {
  if (is.raw(value)) value else as.raw(value)
}

strings_from_python <- function(data, na, n, ascii = FALSE) {
  n <- as.integer(n)
  if (n == 0) {
    return(character())
  }
  values <- readBin(as_raw(data), "character", n)
  if (!isTRUE(ascii)) {
    Encoding(values) <- "UTF-8"
  }
  if (!is.null(na)) {
    values[as.logical(as_raw(na))] <- NA_character_
  }
  values
}

column_from_python <- function(column, n) {
  data <- as_raw(column$data)
  switch(column$kind,
    integer = readBin(data, "integer", n, size = 4L, endian = "little"),
    logical = readBin(data, "logical", n, size = 4L, endian = "little"),
    double = readBin(data, "double", n, size = 8L, endian = "little"),
    character = if (is.null(column$codes)) {
      strings_from_python(data, column$na, n, column$ascii)
    } else {
      # Few distinct values: each string is made once, then indexed (NA code -> NA).
      levels <- strings_from_python(data, NULL, column$nlevels, column$ascii)
      levels[readBin(as_raw(column$codes), "integer", n, size = 4L, endian = "little")]
    },
    factor = structure(
      readBin(data, "integer", n, size = 4L, endian = "little"),
      levels = as.character(unlist(column$levels)),
      class = c(if (isTRUE(column$ordered)) "ordered", "factor")
    ),
    Date = structure(readBin(data, "double", n, size = 8L, endian = "little"), class = "Date"),
    POSIXct = structure(
      readBin(data, "double", n, size = 8L, endian = "little"),
      class = c("POSIXct", "POSIXt"),
      tzone = if (is.null(column$tz)) "" else column$tz
    ),
    difftime = structure(
      readBin(data, "double", n, size = 8L, endian = "little"),
      units = "secs", class = "difftime"
    ),
    signal_s3tools_error(paste("Python sent a column of unknown kind", column$kind))
  )
}

frame_from_python <- function(columns, nrow, tibble = FALSE) {
  nrow <- as.integer(nrow)
  values <- lapply(columns, column_from_python, n = nrow)
  names(values) <- vapply(columns, function(column) as.character(column$name), "")
  frame <- structure(values, class = "data.frame", row.names = .set_row_names(nrow))
  if (isTRUE(tibble)) {
    if (!requireNamespace("tibble", quietly = TRUE)) {
      signal_s3tools_error("tibble = TRUE needs the tibble package: install.packages(\"tibble\").")
    }
    frame <- tibble::as_tibble(frame, .name_repair = "minimal")
  }
  frame
}

column_to_python <- function(x, name) {
  record <- function(kind, data, ...) list(name = name, kind = kind, data = data, ...)
  doubles <- function(values) writeBin(as.double(values), raw(), size = 8L, endian = "little")
  if (is.factor(x)) {
    return(record("factor", writeBin(as.integer(unclass(x)), raw(), endian = "little"),
                  levels = as.list(levels(x)), ordered = is.ordered(x)))
  }
  if (inherits(x, "Date")) {
    return(record("Date", doubles(unclass(x))))
  }
  if (inherits(x, "POSIXlt")) {
    x <- as.POSIXct(x)
  }
  if (inherits(x, "POSIXct")) {
    tz <- attr(x, "tzone")
    return(record("POSIXct", doubles(unclass(x)), tz = if (length(tz) > 0) tz[[1]] else ""))
  }
  if (inherits(x, "difftime")) {
    return(record("difftime", doubles(as.double(x, units = "secs"))))
  }
  if (is.list(x)) {
    signal_s3tools_error(paste0(
      "Column ", name, " is a list: only atomic columns (numbers, text, logicals, dates, ",
      "factors) can be written."
    ), call = NULL)
  }
  switch(typeof(x),
    integer = record("integer", writeBin(as.vector(x), raw(), size = 4L, endian = "little")),
    double = record("double", doubles(as.vector(x))),
    logical = record("logical", writeBin(as.vector(x), raw(), size = 4L, endian = "little")),
    character = strings_to_python(as.vector(x), name),
    strings_to_python(as.character(x), name)
  )
}

strings_to_python <- function(x, name) {
  missing <- if (anyNA(x)) is.na(x) else NULL
  if (!is.null(missing)) {
    # An NA is sent as "" plus the mask, as pandas stores a missing string.
    x[missing] <- ""
  }
  list(
    name = name, kind = "character",
    data = writeBin(enc2utf8(x), raw()),
    na = if (is.null(missing)) NULL else as.raw(missing)
  )
}

frame_to_python <- function(df) {
  columns <- Map(column_to_python, as.list(df), names(df))
  list(.s3tools = "frame", nrow = nrow(df), columns = unname(columns))
}
