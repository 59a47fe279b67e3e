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
