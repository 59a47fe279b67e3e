#' Set up the Python side of s3tools in one call
#'
#' Creates a Python virtual environment and installs the s3tools Python
#' package (the core that does the work) into it with pip, as keras3's
#' `install_keras()` does, together with the local S3 server of
#' [s3tools_serve()] (moto's server). pip's own lines are shown as it works.
#' If Python has not started yet in this R session, the next s3tools call
#' uses the new environment; otherwise restart R. From then on
#' [s3tools_python()] finds it, and the `s3tools` command line is in its
#' `bin` folder.
#'
#' The source package (`s3tools_<version>.tar.gz`, made by `make r-package`)
#' carries the Python sources and `requirements.lock`, and installed from it
#' or from a checkout the package installs those: `source` may be left out.
#' The versions in `requirements.lock` (beside the sources) are the ones
#' installed, so pip has nothing to choose; without it pip chooses the
#' newest versions that fit. Otherwise give `source`, the path of an s3tools
#' checkout (the folder with `pyproject.toml`), a wheel, or a requirement
#' such as `"s3tools"` or `"s3tools==0.1.0"` that pip finds on `index_url`.
#'
#' @param source What pip installs (see above); `NULL` for the Python sources
#'   the package carries, or the checkout it was installed from.
#' @param index_url A package index for pip's `--index-url` (a company
#'   mirror, say); `NULL` for pip's own default. It reaches pip through the
#'   `PIP_INDEX_URL` variable, so a token in it is on no command line.
#' @param envname The folder of the virtual environment; `NULL` for the one
#'   [s3tools_python()] looks for: `python` under
#'   `tools::R_user_dir("s3tools", "data")`.
#' @param python The Python (>= 3.9) that creates the environment; by default
#'   `python3` on the `PATH`.
#' @param pip_arguments More arguments for `pip install`, such as
#'   `"--no-build-isolation"` on a machine without internet access.
#' @return The path of the environment's Python, invisibly.
#' @section Errors: an error of class `s3tools_config` when no Python is
#'   found, or when the environment cannot be made or pip fails (pip's own
#'   lines above it say why).
#' @examples
#' \dontrun{
#' install_s3tools_python()
#' install_s3tools_python("s3tools", index_url = "https://pypi.example.org/simple")
#' }
#' @export
install_s3tools_python <- function(source = NULL, index_url = NULL, envname = NULL,
                                   python = NULL, pip_arguments = character()) {
  call <- sys.call()
  envname <- path.expand(envname %||% python_home())
  source <- source %||% checkout_folder()
  if (is.null(source)) {
    signal_s3tools_error(paste(
      "install_s3tools_python() needs `source`: the path of an s3tools checkout (the folder",
      "with pyproject.toml), a wheel, or a requirement such as \"s3tools\" with `index_url`."
    ), "s3tools_config", call = call)
  }
  if (file.exists(source)) {
    source <- normalizePath(source)
  }
  python <- python %||% unname(Sys.which("python3"))
  if (!nzchar(python)) {
    signal_s3tools_error("No python3 on the PATH: give `python`, the path of a Python >= 3.9.",
                         "s3tools_config", call = call)
  }
  run_python(python, c("-m", "venv", envname), "create the virtual environment", call)
  installed <- file.path(envname, "bin", "python")
  lock <- pinned_versions(source)
  message(if (is.null(lock)) "No requirements.lock beside the sources: pip chooses the versions."
          else paste("Installing the versions pinned in", lock))
  if (!is.null(index_url)) {
    previous <- Sys.getenv("PIP_INDEX_URL", unset = NA)
    on.exit(set_variable("PIP_INDEX_URL", previous), add = TRUE)
    set_variable("PIP_INDEX_URL", index_url)
  }
  run_python(installed, c("-m", "pip", "install", "--disable-pip-version-check",
                          "--progress-bar", "off", if (!is.null(lock)) c("--constraint", lock),
                          pip_arguments, with_server(source)),
             paste("install", source), call)
  use_new_python(installed, envname)
  invisible(installed)
}

# Where install_s3tools_python() puts its environment, and s3tools_python() looks.
python_home <- function() {
  file.path(tools::R_user_dir("s3tools", "data"), "python")
}

# The s3tools checkout the package was installed or loaded from, if any.
checkout_folder <- function() {
  folders <- source_folders()
  folders <- folders[file.exists(file.path(folders, "pyproject.toml")) &
                       file.exists(file.path(folders, "python", "s3tools", "__init__.py"))]
  if (length(folders) > 0) folders[[1]] else NULL
}

# The lock beside a folder of sources (a checkout, or what the source package
# carries): pip's constraints, so that the pinned versions of what s3tools and
# its server need are installed, and nothing else the lock lists for tests.
pinned_versions <- function(source) {
  lock <- file.path(source, "requirements.lock")
  if (dir.exists(source) && file.exists(lock)) lock else NULL
}

# The source with the `serve` extra (moto's server, for s3tools_serve()): a
# folder, a wheel or a requirement's name take it; anything else (a URL) as is.
with_server <- function(source) {
  if (file.exists(source)) {
    return(paste0(source, "[serve]"))
  }
  name <- "^([A-Za-z0-9][A-Za-z0-9._-]*)(?=$|[ <>=!~;@])"
  if (grepl(name, source, perl = TRUE)) sub(name, "\\1[serve]", source, perl = TRUE) else source
}

# reticulate cannot change its Python once started; before that, s3tools is
# pointed at the new environment for this session.
use_new_python <- function(installed, envname) {
  command <- file.path(envname, "bin", "s3tools")
  if (reticulate::py_available(initialize = FALSE)) {
    message("s3tools' Python is ready in ", envname, ": restart R to use it. ",
            "The command line: ", command)
    return(invisible())
  }
  options(s3tools.python = installed)
  chosen <- s3tools_python()
  if (!identical(normalizePath(chosen, mustWork = FALSE), normalizePath(installed))) {
    message("s3tools' Python is ready in ", envname, ", but s3tools uses ", chosen,
            " (S3TOOLS_PYTHON or RETICULATE_PYTHON names it): unset that variable to use ",
            "the new one. The command line: ", command)
    return(invisible())
  }
  message("s3tools' Python is ready in ", envname, " and this session uses it",
          if (!identical(envname, path.expand(python_home())))
            paste0(" (for later sessions, set S3TOOLS_PYTHON=", installed, " in .Renviron)"),
          ". The command line: ", command, "; a local S3 server to try it: s3tools_serve().")
  invisible()
}

# Runs Python with pip's (or venv's) lines shown as they come, as messages. R's
# own LD_LIBRARY_PATH would make a Python started from R load the wrong
# libpython (see ENVIRONMENT.md): it is cleared for these commands.
run_python <- function(python, arguments, doing, call) {
  command <- paste("exec 2>&1; LD_LIBRARY_PATH= PYTHONUNBUFFERED=1 exec", shQuote(python),
                   paste(shQuote(arguments), collapse = " "))
  output <- pipe(command, open = "r")
  last <- character()
  repeat {
    line <- readLines(output, n = 1, warn = FALSE)
    if (length(line) == 0) break
    message(line)
    last <- utils::tail(c(last, line), 5)
  }
  status <- close(output) %||% 0L # the wait status: exit code * 256, or a signal
  if (status != 0) {
    reason <- grep("^ERROR|[Ee]rror:", last, value = TRUE)
    ended <- if (status %% 256L == 0) paste("exited with status", status %/% 256L)
             else paste("was stopped by signal", status %% 256L)
    signal_s3tools_error(paste0(
      "Could not ", doing, " (", python, " ", ended, "): ",
      paste(if (length(reason) > 0) reason else utils::tail(last, 1), collapse = " ")
    ), "s3tools_config", call = call)
  }
  invisible(status)
}

# Sets an environment variable, or removes it when `value` is NA.
set_variable <- function(name, value) {
  if (is.na(value)) Sys.unsetenv(name) else do.call(Sys.setenv, stats::setNames(list(value), name))
  invisible()
}

`%||%` <- function(x, y) if (is.null(x)) y else x
