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
  withr::local_options(s3tools.python = NULL)
  # Each message, and whether pip had installed s3tools when it came: pip's lines
  # are shown as they come, not kept until pip ends.
  installed_now <- function() {
    length(Sys.glob(file.path(home, "lib", "python*", "site-packages", "s3tools"))) > 0
  }
  seen <- list()
  installed <- withCallingHandlers(
    install_s3tools_python(wheel, envname = home, python = python,
                           pip_arguments = c("--no-deps", "--no-index")),
    message = function(m) {
      seen[[length(seen) + 1]] <<- list(text = conditionMessage(m), installed = installed_now())
      invokeRestart("muffleMessage")
    }
  )
  text <- vapply(seen, `[[`, "", "text")
  processing <- grep("^Processing .*[.]whl", text)
  expect_length(processing, 1)
  expect_false(seen[[processing]]$installed)
  expect_true(any(grepl("^Successfully installed s3tools-", text)))
  expect_true(any(grepl("No requirements.lock", text, fixed = TRUE)))
  expect_match(utils::tail(text, 1), "ready")
  expect_identical(installed, file.path(home, "bin", "python"))
  shown <- system2(installed, c("-m", "pip", "show", "s3tools"), stdout = TRUE,
                   env = "LD_LIBRARY_PATH=")
  expect_true("Name: s3tools" %in% shown)
})

test_that("the source package carries the sources and their lock; one call installs them, pinned, for this session", {
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
  expect_identical(readLines(file.path(carried, "requirements.lock")),
                   readLines(file.path(root, "requirements.lock")))

  # Whether the lock is followed, seen offline: the carried sources also need a small
  # package of which two versions are at hand, and the lock pins the older one.
  wheels <- withr::local_tempdir()
  for (version in c("1.0", "2.0")) {
    probe <- withr::local_tempdir()
    writeLines(c("[build-system]", 'requires = ["setuptools>=61"]',
                 'build-backend = "setuptools.build_meta"', "[project]",
                 'name = "s3tools-lock-probe"', sprintf('version = "%s"', version),
                 "[tool.setuptools]", "py-modules = []"), file.path(probe, "pyproject.toml"))
    built <- system2(python, c("-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                               "--no-deps", "--no-build-isolation", "--no-index", "-w", wheels,
                               probe), env = "LD_LIBRARY_PATH=")
    expect_identical(built, 0L)
  }
  project <- readLines(file.path(carried, "pyproject.toml"))
  writeLines(sub("^dependencies = \\[$", 'dependencies = ["s3tools-lock-probe",', project),
             file.path(carried, "pyproject.toml"))
  cat("s3tools-lock-probe==1.0\n", file = file.path(carried, "requirements.lock"), append = TRUE)

  # A new R session with only that library and no Python named: one call, no source
  # given, then the local server and a first write and read, with no restart. pip builds
  # from the carried sources without an index: what they need (setuptools, pandas, moto
  # and the rest) is taken from the project's environment, on PYTHONPATH, at the versions
  # the lock pins, and the probe from the folder of wheels.
  home <- withr::local_tempdir()
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    sprintf("library(s3tools, lib.loc = %s)", deparse(library)),
    "cat(normalizePath(s3tools:::checkout_folder()), '\n')",
    sprintf(paste("installed <- install_s3tools_python(envname = %s, python = %s,",
                  "pip_arguments = c('--no-index', '--find-links', %s, '--no-build-isolation'))"),
            deparse(home), deparse(python), deparse(wheels)),
    "server <- s3tools_serve(bucket = 'demo')",
    "write_df_to_csv_in_s3(data.frame(x = 1:2), 'demo/x.csv')",
    "cat('read back:', s3_path_to_df('demo/x.csv')$x, '\n')",
    "cat('python:', reticulate::py_config()$python == installed, '\n')",
    "server$stop()"
  ), script)
  build_tools <- system2(python, c("-c", shQuote("import sysconfig; print(sysconfig.get_paths()['purelib'])")),
                         stdout = TRUE, env = "LD_LIBRARY_PATH=")
  output <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE,
                    env = c("S3TOOLS_PYTHON=", "RETICULATE_PYTHON=", paste0("PYTHONPATH=", build_tools),
                            paste0("R_USER_DATA_DIR=", withr::local_tempdir())))
  everything <- paste(output, collapse = "\n")
  expect_null(attr(output, "status"), info = everything)
  expect_identical(trimws(output[[1]]), normalizePath(carried))
  # pip's own lines, the lock named, the server's extra asked for.
  expect_true(any(grepl(paste("pinned in", file.path(carried, "requirements.lock")), output,
                        fixed = TRUE)), info = everything)
  expect_true(any(grepl("^Processing ", output)), info = everything)
  expect_true(any(grepl("moto[server]", output, fixed = TRUE)), info = everything)
  expect_true(any(grepl("^Successfully installed .*s3tools-lock-probe-1[.]0", output)),
              info = everything)
  expect_true("read back: 1 2 " %in% output, info = everything)
  expect_true("python: TRUE " %in% output, info = everything)
  expect_false(any(grepl("restart", output, ignore.case = TRUE)), info = everything)

  show <- function(name) {
    system2(file.path(home, "bin", "python"), c("-m", "pip", "show", name),
            stdout = TRUE, env = c("LD_LIBRARY_PATH=", "PYTHONPATH="))
  }
  expect_true("Version: 1.0" %in% show("s3tools-lock-probe"))
  shown <- show("s3tools")
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
  expect_null(formals(install_s3tools_python)$envname)
  expect_true(any(grepl("envname %||% python_home()", deparse(body(install_s3tools_python)),
                        fixed = TRUE)))
  expect_true(any(grepl("python_home()", deparse(body(s3tools_python)), fixed = TRUE)))
})

test_that("pip is asked for the server's extra and given the index without a command line", {
  expect_identical(s3tools:::with_server("/a/folder"), "/a/folder")
  folder <- withr::local_tempdir()
  expect_identical(s3tools:::with_server(folder), paste0(folder, "[serve]"))
  expect_identical(s3tools:::with_server("s3tools"), "s3tools[serve]")
  expect_identical(s3tools:::with_server("s3tools==0.1.0"), "s3tools[serve]==0.1.0")
  expect_identical(s3tools:::with_server("git+https://example.org/s3tools.git"),
                   "git+https://example.org/s3tools.git")
  # A Python that says what it was given: the index's address is in its environment
  # (where a token in it is not on a command line), and gone from R's afterwards.
  fake <- withr::local_tempfile()
  writeLines(c("#!/bin/sh",
               'if [ "$2" = venv ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0; fi',
               'echo "index: $PIP_INDEX_URL"', 'echo "arguments: $*"'), fake)
  Sys.chmod(fake, "0755")
  withr::local_envvar(PIP_INDEX_URL = NA)
  withr::local_options(s3tools.python = NULL)
  home <- withr::local_tempdir()
  said <- character()
  withCallingHandlers(
    install_s3tools_python("s3tools", index_url = "https://user:token@mirror.example/simple",
                           envname = home, python = fake),
    message = function(m) {
      said <<- c(said, sub("\n$", "", conditionMessage(m)))
      invokeRestart("muffleMessage")
    }
  )
  expect_true("index: https://user:token@mirror.example/simple" %in% said)
  arguments <- grep("^arguments: ", said, value = TRUE)
  expect_match(arguments, "s3tools[serve]", fixed = TRUE)
  expect_false(grepl("token", arguments, fixed = TRUE))
  expect_identical(Sys.getenv("PIP_INDEX_URL", unset = NA), NA_character_)
})
