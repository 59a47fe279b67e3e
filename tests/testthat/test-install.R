# install_s3tools_python() (R/install.R): the Python side in one call.

test_that("install_s3tools_python() makes a virtual environment with the s3tools Python package", {
  skip_on_cran()
  python <- Sys.getenv("S3TOOLS_PYTHON")
  root <- test_root()
  skip_if(!nzchar(python) || !file.exists(file.path(root, "pyproject.toml")),
          "needs the project's Python and an s3tools checkout")
  # A wheel of this checkout, built from a copy (nothing is written into the
  # checkout) with the project's own setuptools and wheel: no package index.
  source <- withr::local_tempdir()
  file.copy(file.path(root, c("pyproject.toml", "README.md", "python")), source,
            recursive = TRUE)
  wheels <- withr::local_tempdir()
  built <- system2(python, c("-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                             "--no-deps", "--no-build-isolation", "--no-index", "-w", wheels,
                             source), env = "LD_LIBRARY_PATH=")
  expect_identical(built, 0L)
  wheel <- list.files(wheels, pattern = "[.]whl$", full.names = TRUE)
  expect_length(wheel, 1)
  home <- withr::local_tempdir()
  expect_message(
    installed <- install_s3tools_python(wheel, envname = home, python = python,
                                        pip_arguments = c("--no-deps", "--no-index")),
    "ready"
  )
  expect_identical(installed, file.path(home, "bin", "python"))
  shown <- system2(installed, c("-m", "pip", "show", "s3tools"), stdout = TRUE,
                   env = "LD_LIBRARY_PATH=")
  expect_true("Name: s3tools" %in% shown)
})

test_that("the source package carries the Python sources, and install_s3tools_python() installs them", {
  skip_on_cran()
  python <- Sys.getenv("S3TOOLS_PYTHON")
  root <- test_root()
  skip_if(!nzchar(python) || !file.exists(file.path(root, "Makefile")),
          "needs the project's Python and an s3tools checkout")
  built <- withr::local_tempdir()
  status <- system2("make", c("-s", "-C", shQuote(root), "r-package", paste0("DEST=", built)),
                    stdout = FALSE, stderr = FALSE)
  expect_identical(status, 0L)
  tarball <- list.files(built, pattern = "^s3tools_.*[.]tar[.]gz$", full.names = TRUE)
  expect_length(tarball, 1)
  library <- withr::local_tempdir()
  status <- system2(file.path(R.home("bin"), "R"),
                    c("CMD", "INSTALL", "--no-test-load", "-l", library, tarball),
                    stdout = FALSE, stderr = FALSE)
  expect_identical(status, 0L)
  carried <- file.path(library, "s3tools", "python")
  expect_true(file.exists(file.path(carried, "pyproject.toml")))
  expect_identical(readLines(file.path(carried, "python", "s3tools", "r_bridge.py")),
                   readLines(file.path(root, "python", "s3tools", "r_bridge.py")))

  # A new R session with only that library and no Python named: one call, no source
  # given. pip builds from the carried sources without an index, taking its build tools
  # (setuptools, wheel) from the project's environment.
  home <- withr::local_tempdir()
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    sprintf("library(s3tools, lib.loc = %s)", deparse(library)),
    "cat(normalizePath(s3tools:::checkout_folder()), '\n')",
    sprintf(paste("invisible(install_s3tools_python(envname = %s, python = %s, pip_arguments",
                  "= c('--no-deps', '--no-index', '--no-build-isolation')))"),
            deparse(home), deparse(python))
  ), script)
  build_tools <- system2(python, c("-c", shQuote("import sysconfig; print(sysconfig.get_paths()['purelib'])")),
                         stdout = TRUE, env = "LD_LIBRARY_PATH=")
  output <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE,
                    env = c("S3TOOLS_PYTHON=", "RETICULATE_PYTHON=", paste0("PYTHONPATH=", build_tools),
                            paste0("R_USER_DATA_DIR=", withr::local_tempdir())))
  expect_null(attr(output, "status"), info = paste(output, collapse = "\n"))
  expect_identical(trimws(output[[1]]), normalizePath(carried))
  shown <- system2(file.path(home, "bin", "python"), c("-m", "pip", "show", "s3tools"),
                   stdout = TRUE, env = c("LD_LIBRARY_PATH=", "PYTHONPATH="))
  expect_true("Name: s3tools" %in% shown)
  expect_true(paste("Location:", normalizePath(file.path(home, "lib"))) %in%
                sub("/python3[.][0-9]+/site-packages$", "", shown))
})

test_that("install_s3tools_python() says what went wrong, as an s3tools_config error", {
  home <- withr::local_tempdir()
  error <- tryCatch(install_s3tools_python("s3tools", envname = home, python = "/nonexistent/python"),
                    error = identity)
  expect_s3_class(error, "s3tools_config")
  expect_match(conditionMessage(error), "create the virtual environment")
})

test_that("the environment is made where s3tools_python() looks for it", {
  withr::local_envvar(R_USER_DATA_DIR = "/somewhere")
  expect_identical(s3tools:::python_home(), file.path("/somewhere", "R", "s3tools", "python"))
  expect_identical(formals(install_s3tools_python)$envname, quote(python_home()))
  expect_true(any(grepl("python_home()", deparse(body(s3tools_python)), fixed = TRUE)))
})
