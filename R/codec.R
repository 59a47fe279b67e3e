# The column codec of the boundary with Python: results and data frames from
# Python (one record per column: buffers Python hands over by address, copied once
# by src/codec.c, or Arrow chunks converted as they are copied by src/arrow.c, into
# vectors whose values live outside R's heap, src/outside.c) and data frames to
# Python (raw vectors), as python/s3tools/r_codec.py encodes and decodes them.

value_from_python <- function(value, tibble = FALSE) {
  if (!is.list(value) || is.null(value$type)) {
    return(value)
  }
  switch(value$type,
    value = value$value,
    raw = handed(value$data),
    character = strings_from_python(value),
    raw_list = stats::setNames(lapply(value$values, handed), strings_from_python(value$names)),
    list = stats::setNames(lapply(value$values, value_from_python), as.character(value$names)),
    frame = frame_from_python(value$columns, value$nrow, tibble = tibble),
    value
  )
}

# A buffer Python holds, given as list(address, size) (r_records.hand), or several given
# as lists of addresses and sizes: copied once, one after the other, into a new vector of
# `type` by src/codec.c. A raw vector is taken as it is.
handed <- function(buffer, type = "raw") {
  if (is.raw(buffer)) {
    return(if (type == "raw") buffer else .Call(s3tools_numbers, buffer, type))
  }
  .Call(s3tools_handed, as.character(unlist(buffer$address)), as.double(unlist(buffer$size)),
        type)
}

# Text arrives as Arrow's buffers: the UTF-8 bytes of all values, n + 1 offsets
# (int64) into them and a byte mask of NAs (src/codec.c). `lazy` makes an
# ALTREP vector whose strings are made when used (option s3tools.lazy_strings).
strings_from_python <- function(text, lazy = FALSE) {
  na <- if (is.null(text$na)) NULL else handed(text$na)
  .Call(s3tools_strings, handed(text$data), handed(text$offsets), na, isTRUE(lazy))
}

# A character vector of `levels[codes]`, the codes read where Python holds them; `lazy`
# makes an ALTREP vector whose elements are the values' strings, the vector itself made
# only when its memory is wanted (src/codec.c). Codes sent from R are indexed in R.
coded_strings_from_python <- function(levels, codes, lazy = FALSE) {
  if (is.raw(codes)) {
    return(levels[handed(codes, "integer")])
  }
  .Call(s3tools_coded_strings, levels, as.character(unlist(codes$address)),
        as.double(unlist(codes$size)), isTRUE(lazy))
}

# A column of numbers as a vector of `type` ("integer", "logical", "double", or
# "integer64": int64 bits in a double vector): from buffers in R's layout with R's NA
# patterns already in place, or from Arrow chunks converted as they are copied
# (src/arrow.c).
numbers_from_python <- function(column, type) {
  arrow <- column$arrow
  if (is.null(arrow)) {
    return(handed(column$data, if (type == "integer64") "double" else type))
  }
  chunks <- arrow_chunks(arrow)
  .Call(s3tools_arrow_numbers, arrow$from, type, as.double(arrow$scale), chunks$values,
        chunks$value_sizes, chunks$valid, chunks$valid_sizes, chunks$offsets, chunks$lengths)
}

# The chunks of an Arrow column as python/s3tools/r_records.py hand_chunks() gives them:
# addresses as strings, sizes, offsets and lengths as doubles.
arrow_chunks <- function(record) {
  list(values = as.character(unlist(record$values)),
       value_sizes = as.double(unlist(record$value_sizes)),
       valid = as.character(unlist(record$valid)),
       valid_sizes = as.double(unlist(record$valid_sizes)),
       offsets = as.double(unlist(record$offsets)), lengths = as.double(unlist(record$lengths)))
}

# Text as Arrow chunks, joined as they are copied (src/arrow.c); `lazy` as for
# strings_from_python.
arrow_text_from_python <- function(record, lazy = FALSE) {
  chunks <- arrow_chunks(record)
  .Call(s3tools_arrow_text, record$from, chunks$values, chunks$value_sizes, chunks$valid,
        chunks$valid_sizes, chunks$offsets, chunks$lengths, as.character(unlist(record$data)),
        as.double(unlist(record$data_sizes)), isTRUE(lazy))
}

column_from_python <- function(column) {
  if (isTRUE(column$lossy)) {
    warn_precision(column$name, "beyond the range of a 64-bit integer: read as double, so rounded")
  }
  switch(column$kind,
    integer = numbers_from_python(column, "integer"),
    logical = numbers_from_python(column, "logical"),
    double = numbers_from_python(column, "double"),
    integer64 = integer64_from_python(numbers_from_python(column, "integer64"), column$name),
    character = if (!is.null(column$text_chunks)) {
      arrow_text_from_python(column$text_chunks, lazy = getOption("s3tools.lazy_strings", TRUE))
    } else if (is.null(column$codes)) {
      strings_from_python(column, lazy = getOption("s3tools.lazy_strings", TRUE))
    } else {
      # Distinct values and codes into them: each string is made once (NA code -> NA).
      coded_strings_from_python(strings_from_python(column), column$codes,
                                lazy = getOption("s3tools.lazy_strings", TRUE))
    },
    factor = structure(
      numbers_from_python(column, "integer"),
      levels = as.character(unlist(column$levels)),
      class = c(if (isTRUE(column$ordered)) "ordered", "factor")
    ),
    Date = structure(numbers_from_python(column, "double"), class = "Date"),
    POSIXct = structure(
      numbers_from_python(column, "double"),
      class = c("POSIXct", "POSIXt"),
      tzone = if (is.null(column$tz)) "" else column$tz
    ),
    difftime = structure(numbers_from_python(column, "double"), units = "secs", class = "difftime"),
    signal_s3tools_error(paste("Python sent a column of unknown kind", column$kind))
  )
}

# Whole numbers beyond 2^53, as int64 bits in a double vector: what bit64's integer64
# holds. Without bit64, doubles (rounded), with a warning that says so.
integer64_from_python <- function(bits, name, bit64 = requireNamespace("bit64", quietly = TRUE)) {
  if (bit64) {
    return(structure(bits, class = "integer64"))
  }
  warn_precision(name, paste(
    "beyond 2^53, which a double cannot hold exactly: read as double, so rounded.",
    "Install the bit64 package to read them exactly, as integer64"
  ))
  .Call(s3tools_integer64_as_double, bits)
}

warn_precision <- function(name, what) {
  message <- paste0("Column '", name, "' holds whole numbers ", what, ".")
  warning(structure(class = c("s3tools_precision_warning", "s3tools_warning", "warning",
                              "condition"),
                    list(message = message, call = NULL)))
}

frame_from_python <- function(columns, nrow, tibble = FALSE) {
  nrow <- as.integer(nrow)
  values <- lapply(columns, column_from_python)
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
  if (inherits(x, "integer64")) {
    # bit64 keeps the int64 bits in a double vector: sent as they are.
    return(record("integer64", writeBin(unclass(x), raw(), size = 8L, endian = "little")))
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
