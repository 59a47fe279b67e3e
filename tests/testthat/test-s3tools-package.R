# The package's surface: the same functions, arguments and defaults as Python.

test_that("every Python function has an R wrapper with the same arguments and defaults", {
  rb <- raw_bridge()
  signatures <- reticulate::py_to_r(rb$public_signatures())
  exported <- getNamespaceExports("s3tools")
  for (name in names(signatures)) {
    expect_true(name %in% exported, label = name)
    r_arguments <- formals(get(name, envir = asNamespace("s3tools")))
    r_names <- setdiff(as.character(names(r_arguments)), "tibble")
    python <- signatures[[name]]
    python_names <- vapply(python, function(p) if (isTRUE(p[[4]])) "..." else p[[1]], "")
    expect_identical(r_names, python_names, label = name)
    for (parameter in python) {
      if (isTRUE(parameter[[3]]) || isTRUE(parameter[[4]])) next
      expect_equal(eval(r_arguments[[parameter[[1]]]]), parameter[[2]],
                       label = paste(name, parameter[[1]]))
    }
  }
  expect_setequal(setdiff(exported, c("s3tools_python", "install_s3tools_python", "s3tools_serve")),
                  names(signatures))
})

test_that("the tibble argument defaults to the s3tools.tibble option", {
  expect_identical(formals(s3_path_to_df)$tibble, quote(getOption("s3tools.tibble", FALSE)))
})

test_that("the package's help names the R class of every Python error kind", {
  raw_bridge()
  errors <- reticulate::import("s3tools.errors")
  classes <- c("s3tools_error",
               vapply(errors$ERROR_CLASSES, function(kind) kind("")$r_class, ""))
  help_file <- file.path(test_root(), "man", "s3tools-package.Rd")
  skip_if_not(file.exists(help_file), "the package's help is not beside the tests")
  help_text <- paste(readLines(help_file), collapse = "\n")
  named <- regmatches(help_text, gregexpr("s3tools_[a-z_]+", help_text))[[1]]
  expect_identical(setdiff(classes, named), character())
})

# The help pages as R shows them: the package's (installed, or the source's man/).
help_pages <- function() {
  root <- test_root()
  if (dir.exists(file.path(root, "man"))) tools::Rd_db(dir = root) else tools::Rd_db("s3tools")
}

test_that("every help page renders as text and HTML with code as code and links as links", {
  pages <- help_pages()
  expect_gt(length(pages), 20)
  for (name in names(pages)) {
    text <- utils::capture.output(tools::Rd2txt(pages[[name]], out = stdout(),
                                                options = list(underline_titles = FALSE)))
    html <- utils::capture.output(tools::Rd2HTML(pages[[name]], out = stdout()))
    expect_false(any(grepl("`", text, fixed = TRUE)), label = paste(name, "has a literal backtick"))
    expect_false(any(grepl("\\[[A-Za-z0-9_.:]+\\(\\)\\]", text)),
                 label = paste(name, "has markdown link syntax"))
    # pip's options keep both dashes, in text and in HTML (an en dash breaks when pasted).
    expect_false(any(grepl("(^|[^-])-(index-url|no-build-isolation|no-deps)", text)),
                 label = paste(name, "shows a pip option with one dash"))
    expect_false(any(grepl("&ndash;", html, fixed = TRUE)), label = paste(name, "has an en dash"))
  }
  usage <- paste(utils::capture.output(tools::Rd2txt(pages[["install_s3tools_python.Rd"]],
                                                     out = stdout())), collapse = "\n")
  expect_match(usage, "--index-url", fixed = TRUE)
  expect_false(grepl("python_home()", usage, fixed = TRUE))
})
