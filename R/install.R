#' Set up the Python side of s3tools in one call
#'
#' Creates a Python virtual environment and installs the s3tools Python
#' package (the core that does the work) into it with pip, as keras3's
#' `install_keras()` does. [s3tools_python()] finds that environment from then
#' on; if Python has already started in this R session, restart R.
#'
#' The source package (`s3tools_<version>.tar.gz`, made by `make r-package`)
#' carries the Python sources, and installed from it or from a checkout the
#' package installs those: `source` may be left out. Otherwise give `source`,
#' the path of an s3tools checkout (the folder with `pyproject.toml`), a wheel,
#' or a requirement such as `"s3tools"` or `"s3tools==0.1.0"` that pip finds on
#' `index_url`.
#'
#' @param source What pip installs (see above); `NULL` for the Python sources
#'   the package carries, or the checkout it was installed from.
#' @param index_url A package index for pip's `--index-url` (a company
#'   mirror, say); `NULL` for pip's own default.
#' @param envname The folder of the virtual environment. The default is the
#'   one [s3tools_python()] looks for: `python` under
#'   `tools::R_user_dir("s3tools", "data")`.
#' @param python The Python (>= 3.9) that creates the environment; by default
#'   `python3` on the `PATH`.
#' @param pip_arguments More arguments for `pip install`, such as
#'   `"--no-build-isolation"` on a machine without internet access.
#' @return The path of the environment's Python, invisibly.
#' @examples
#' \dontrun{
#' install_s3tools_python("~/src/s3tools")
#' install_s3tools_python("s3tools", index_url = "https://pypi.example.org/simple")
#' }
#' @export
install_s3tools_python <- function(source = NULL, index_url = NULL, envname = python_home(),
                                   python = NULL, pip_arguments = character()) {
  call <- sys.call()
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
  run_python(python, c("-m", "venv", path.expand(envname)), "create the virtual environment",
             call)
  installed <- file.path(path.expand(envname), "bin", "python")
  run_python(installed, c("-m", "pip", "install", "--disable-pip-version-check",
                          if (!is.null(index_url)) c("--index-url", index_url),
                          pip_arguments, source),
             paste("install", source), call)
  message("s3tools' Python is ready in ", envname, ". s3tools_python() finds it",
          if (reticulate::py_available()) "; restart R to use it" else "", ".")
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

# R's own LD_LIBRARY_PATH would make a Python started from R load the wrong
# libpython (see ENVIRONMENT.md): it is cleared for these commands.
run_python <- function(python, arguments, doing, call) {
  output <- tryCatch(
    suppressWarnings(system2(python, shQuote(arguments), stdout = TRUE, stderr = TRUE,
                             env = "LD_LIBRARY_PATH=")),
    error = function(error) structure(conditionMessage(error), status = 127L)
  )
  status <- attr(output, "status")
  if (!is.null(status) && status != 0) {
    signal_s3tools_error(paste0(
      "Could not ", doing, " (", python, " exited with status ", status, "):\n",
      paste(output[max(1, length(output) - 14):max(1, length(output))], collapse = "\n")
    ), "s3tools_config", call = call)
  }
  invisible(output)
}

`%||%` <- function(x, y) if (is.null(x)) y else x
