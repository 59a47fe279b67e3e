# The R half of `make conformance`, started by corpus.py while its server runs:
#   Rscript tests/conformance/corpus.R OUTCOMES.json CORPUS_FOLDER
# For every corpus file, s3tools in R must give what s3tools in Python gives,
# in the R types the package documents: the file's usual pandas reader,
# converted by the package's own bridge, is the expected frame; a file the
# usual reader cannot read must raise s3tools_format_error. Files of formats
# that haven and readxl read are also compared with them, value by value
# (informational: where they differ is listed, with the documented reasons).

arguments <- commandArgs(trailingOnly = TRUE)
outcomes <- jsonlite::fromJSON(arguments[[1]], simplifyVector = FALSE)$outcomes
corpus <- arguments[[2]]
suppressMessages(pkgload::load_all(".", quiet = TRUE, export_all = FALSE))
internal <- asNamespace("s3tools")
invisible(internal$bridge()$ENVIRONMENT_PATTERN)  # starts the package's Python (S3TOOLS_PYTHON)
codec <- reticulate::import("s3tools.r_codec")
conformance <- reticulate::import_from_path("corpus", path = "tests/conformance",
                                            convert = FALSE)

expected_frame <- function(local_path, nrows = NULL) {
  frame <- conformance$usual_read(local_path, nrows)
  internal$value_from_python(codec$value_to_r(frame))
}

attempt <- function(expression) {
  tryCatch(list(value = expression), error = function(error) list(error = error))
}

same <- function(got, expected) {
  if (isTRUE(identical(got, expected))) return(NULL)
  paste(utils::head(all.equal(got, expected, check.attributes = TRUE), 3), collapse = "; ")
}

check <- function(outcome) {
  local_path <- file.path(corpus, outcome$file)
  ours <- attempt(s3_path_to_df(outcome$s3_path))
  if (!isTRUE(outcome$readable)) {
    if (inherits(ours$error, "s3tools_format") &&
        grepl(outcome$s3_path, conditionMessage(ours$error), fixed = TRUE)) {
      return(NULL)
    }
    return("the usual reader fails; s3tools in R did not give its format error")
  }
  if (!is.null(ours$error)) {
    return(paste("s3tools in R failed:", conditionMessage(ours$error)))
  }
  theirs <- attempt(expected_frame(local_path))
  if (!is.null(theirs$error)) {
    return(paste("the expected frame could not be made:", conditionMessage(theirs$error)))
  }
  full <- same(ours$value, theirs$value)
  if (!is.null(full)) return(paste("full read:", full))
  preview <- attempt(s3_path_to_preview_df(outcome$s3_path, 5))
  if (!is.null(preview$error)) return(paste("preview:", conditionMessage(preview$error)))
  first_rows <- utils::head(ours$value, 5)
  rownames(first_rows) <- NULL
  rows_alone <- attempt(expected_frame(local_path, 5L))
  if (!is.null(same(preview$value, first_rows)) &&
      (!is.null(rows_alone$error) || !is.null(same(preview$value, rows_alone$value)))) {
    return(paste("preview:", same(preview$value, first_rows)))
  }
  NULL
}

# haven and readxl: the same values, where their types can be compared. What
# the README documents as the differences of pandas' readers is undone here:
# value labels are factors of the labels (haven: labelled numbers), empty text
# is missing (haven: ""), dates and times are instants (compared in seconds).
plain <- function(column) {
  if (inherits(column, "haven_labelled")) {
    column <- haven::as_factor(column, levels = "default")
  }
  if (is.factor(column)) column <- as.character(column)
  if (inherits(column, "hms") || inherits(column, "difftime")) {
    column <- as.numeric(column, units = "secs")
  }
  if (inherits(column, "POSIXt")) column <- as.numeric(column)
  if (inherits(column, "Date")) column <- as.numeric(column) * 86400
  attributes(column) <- NULL
  if (is.character(column)) column[!is.na(column) & column == ""] <- NA
  column
}

their_reader <- function(file) {
  extension <- tolower(tools::file_ext(file))
  switch(extension,
    sav = , zsav = haven::read_sav, dta = haven::read_dta, sas7bdat = haven::read_sas,
    xlsx = , xls = readxl::read_excel, NULL)
}

compare_with_r_reader <- function(outcome) {
  reader <- their_reader(outcome$file)
  if (is.null(reader) || !isTRUE(outcome$readable)) return(NULL)
  theirs <- attempt(suppressWarnings(suppressMessages(
    reader(file.path(corpus, outcome$file)))))
  ours <- attempt(s3_path_to_df(outcome$s3_path))
  if (!is.null(theirs$error) || !is.null(ours$error)) return("one side could not read it")
  if (nrow(theirs$value) != nrow(ours$value) || ncol(theirs$value) != ncol(ours$value)) {
    return(sprintf("%d x %d here, %d x %d there", nrow(ours$value), ncol(ours$value),
                   nrow(theirs$value), ncol(theirs$value)))
  }
  differing <- names(ours$value)[!vapply(seq_along(ours$value), function(i) {
    isTRUE(all.equal(plain(ours$value[[i]]), plain(theirs$value[[i]]), tolerance = 1e-9))
  }, logical(1))]
  if (length(differing)) paste("columns", paste(differing, collapse = ", ")) else NULL
}

# Differences understood and documented, reported but not failed.
known <- c(
  "arrow-testing/generated_map.arrow" = paste(
    "map values become text in R; in the preview they are the first batch's integers,",
    "in the full read floats (pandas makes integers with a gap later in the file floats)")
)

failures <- 0
known_seen <- 0
for (outcome in outcomes) {
  problem <- tryCatch(check(outcome), error = function(error) conditionMessage(error))
  if (!is.null(problem) && outcome$file %in% names(known)) {
    known_seen <- known_seen + 1
    cat(sprintf("KNOWN R         %s: %s\n", outcome$file, known[[outcome$file]]))
  } else if (!is.null(problem)) {
    failures <- failures + 1
    cat(sprintf("DIFFERS R       %s: %s\n", outcome$file, substr(problem, 1, 300)))
  }
}
compared <- 0
unlike <- 0
for (outcome in outcomes) {
  if (is.null(their_reader(outcome$file)) || !isTRUE(outcome$readable)) next
  compared <- compared + 1
  difference <- compare_with_r_reader(outcome)
  if (!is.null(difference)) {
    unlike <- unlike + 1
    cat(sprintf("UNLIKE haven/readxl %s: %s\n", outcome$file, difference))
  }
}
readable <- sum(vapply(outcomes, function(o) isTRUE(o$readable), logical(1)))
cat(sprintf(paste0("conformance (R): %d files; %d differ from s3tools in Python (%d known); ",
                   "%d of %d haven/readxl files have the same values there.\n"),
            length(outcomes), failures, known_seen, compared - unlike, compared))
quit(status = if (failures > 0) 1 else 0, save = "no")
