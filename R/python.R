# The boundary with Python: which Python, the lazy import, one function that
# calls the core, the environment it sees and its errors. The data that crosses
# is encoded in codec.R. Exported wrappers call bridge_call() and nothing else here.

the <- new.env(parent = emptyenv())

# R CMD INSTALL evaluates the package code with the source folder as working
# directory, so an install from a checkout remembers where the checkout (and
# the .venv that `make venv` made there) lives.
install_source <- getwd()

python_help <- paste(
  "s3tools needs its Python core (the s3tools Python package).",
  "Set it up with install_s3tools_python() (a virtual environment s3tools then finds),",
  "or run `make venv` in an s3tools checkout, or point S3TOOLS_PYTHON (in .Renviron) at a",
  "Python that has it (`pip install <path to s3tools checkout>`), then restart R."
)

# The folders that may hold a checkout of s3tools with its .venv.
source_folders <- function() {
  candidates <- c(
    getOption("s3tools.source"),
    install_source,
    # Under pkgload::load_all() system.file() points into the source tree.
    system.file(package = "s3tools"),
    # An installed source package carries the Python sources here (make r-package).
    system.file("python", package = "s3tools"),
    dirname(system.file(package = "s3tools"))
  )
  unique(candidates[nzchar(candidates)])
}

#' The Python interpreter s3tools will use
#'
#' In order: the `S3TOOLS_PYTHON` environment variable, `RETICULATE_PYTHON`,
#' the option `s3tools.python`, the `.venv` of the s3tools checkout the package
#' was installed from (or of the folder in option `s3tools.source`), the
#' environment [install_s3tools_python()] made, and otherwise reticulate's own
#' choice (`NULL`).
#'
#' @return The path of a Python executable, or `NULL` to let reticulate choose.
#' @examples
#' s3tools_python()
#' @export
s3tools_python <- function() {
  named <- c(Sys.getenv("S3TOOLS_PYTHON"), Sys.getenv("RETICULATE_PYTHON"),
             getOption("s3tools.python", ""))
  named <- named[nzchar(named)]
  if (length(named) > 0) {
    return(path.expand(named[[1]]))
  }
  # Only a checkout of s3tools counts (not any folder with a .venv).
  folders <- source_folders()
  folders <- folders[file.exists(file.path(folders, "python", "s3tools", "__init__.py"))]
  venvs <- c(file.path(folders, ".venv", "bin", "python"),
             file.path(python_home(), "bin", "python"))
  found <- venvs[file.exists(venvs)]
  if (length(found) > 0) found[[1]] else NULL
}

choose_python <- function() {
  if (reticulate::py_available(initialize = FALSE)) {
    return(invisible(NULL))
  }
  python <- s3tools_python()
  if (!is.null(python)) {
    if (!file.exists(python)) {
      python_missing(paste("there is no Python at", python))
    }
    # reticulate 1.28 looks for Poetry (and warns about any pyproject.toml in
    # the working directory) before it honours use_python(); RETICULATE_PYTHON
    # comes first, so it is set while Python starts, then restored.
    the$previous_reticulate_python <- Sys.getenv("RETICULATE_PYTHON", unset = NA)
    Sys.setenv(RETICULATE_PYTHON = python)
  }
  invisible(NULL)
}

restore_reticulate_python <- function() {
  previous <- the$previous_reticulate_python
  the$previous_reticulate_python <- NULL
  if (is.null(previous)) {
    return(invisible(NULL))
  }
  if (is.na(previous)) {
    Sys.unsetenv("RETICULATE_PYTHON")
  } else {
    Sys.setenv(RETICULATE_PYTHON = previous)
  }
  invisible(NULL)
}

python_missing <- function(reason) {
  restore_reticulate_python()
  if (inherits(reason, "condition")) {
    reason <- conditionMessage(reason)
  }
  reason <- strsplit(as.character(reason), "\n", fixed = TRUE)[[1]][1]
  # The next call tries again, after the user has fixed their Python.
  the$bridge <- NULL
  signal_s3tools_error(paste0(python_help, " (", reason, ")"), "s3tools_config", call = NULL)
}

import_bridge <- function() {
  the$bridge <- reticulate::import(
    "s3tools.r_bridge",
    delay_load = list(before_load = choose_python, on_load = restore_reticulate_python,
                      on_error = python_missing)
  )
  the$environment_sent <- NULL
  invisible(the$bridge)
}

bridge <- function() {
  if (is.null(the$bridge)) {
    # Python may already be running (another package started it): then the
    # import happens now and can fail now.
    tryCatch(import_bridge(), error = python_missing)
  }
  the$bridge
}

# ----------------------------------------------------------------- calling

# Runs one function of the Python core and returns its value as R sees it.
# Errors become conditions of class c(<kind>, "s3tools_error", "error",
# "condition") whose call is the user's call of the wrapper.
bridge_call <- function(name, arguments = list(), options = list(), tibble = FALSE) {
  call <- sys.call(-1)
  module <- bridge()
  arguments <- lapply(arguments, argument_to_python)
  options <- options_to_python(options, call)
  environment <- environment_to_send(module)
  result <- module$call(name, arguments, options, environment)
  # The buffers Python handed over are let go once R has its copies.
  on.exit(module$release(), add = TRUE)
  if (!isTRUE(result$ok)) {
    signal_s3tools_error(result$message, result$r_class, call = call)
  }
  value_from_python(result$value, tibble = tibble)
}

signal_s3tools_error <- function(message, class = "s3tools_error", call = NULL) {
  classes <- unique(c(class, "s3tools_error", "error", "condition"))
  stop(structure(class = classes, list(message = message, call = call)))
}

# R's Sys.setenv() after Python started is invisible to os.environ: send the
# current values at every call (NULL when nothing changed since the last one).
environment_to_send <- function(module) {
  if (is.null(the$environment_pattern)) {
    the$environment_pattern <- module$ENVIRONMENT_PATTERN
  }
  variables <- Sys.getenv()
  wanted <- grepl(the$environment_pattern, names(variables), ignore.case = TRUE, perl = TRUE)
  current <- as.list(stats::setNames(as.character(variables[wanted]), names(variables)[wanted]))
  if (identical(current, the$environment_sent)) {
    return(NULL)
  }
  the$environment_sent <- current
  if (length(current) == 0) list() else current
}

# R numbers are doubles; Python wants whole numbers as int. A scalar NA means
# "not given" (reticulate would turn a logical NA into True).
argument_to_python <- function(value) {
  if (is.data.frame(value)) {
    return(frame_to_python(value))
  }
  if (is.null(value) || is.function(value) || is.environment(value)) {
    return(value)
  }
  if (is.list(value)) {
    return(lapply(value, argument_to_python))
  }
  if (length(value) == 1 && is.atomic(value) && is.na(value)) {
    return(NULL)
  }
  whole <- is.double(value) && length(value) > 0 && !is.object(value) &&
    all(is.finite(value)) && all(value == trunc(value))
  if (whole && all(abs(value) <= .Machine$integer.max)) {
    return(as.integer(value))
  }
  value
}

options_to_python <- function(options, call) {
  if (length(options) == 0) {
    return(list())
  }
  if (is.null(names(options)) || any(!nzchar(names(options)))) {
    signal_s3tools_error(
      "Every argument in ... must be named, as in sep = \";\" or skip = 2.",
      call = call
    )
  }
  lapply(options, function(value) {
    # A named vector (colClasses = c(id = "character")) keeps its names: a dict in Python.
    if (is.atomic(value) && !is.null(names(value)) && !is.object(value)) {
      value <- as.list(value)
    }
    argument_to_python(value)
  })
}

# A length-one vector stays a string in Python; longer ones become lists.
as_sequence <- function(x) {
  if (is.null(x) || (length(x) == 1 && !is.list(x))) x else as.list(x)
}
