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
  expect_setequal(setdiff(exported, c("s3tools_python", "install_s3tools_python")),
                  names(signatures))
})

test_that("the tibble argument defaults to the s3tools.tibble option", {
  expect_identical(formals(s3_path_to_df)$tibble, quote(getOption("s3tools.tibble", FALSE)))
})
