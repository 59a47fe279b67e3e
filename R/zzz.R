.onLoad <- function(libname, pkgname) {
  # A delayed import: nothing starts Python until the first call, so
  # library(s3tools) is instant and never fails because of Python.
  tryCatch(import_bridge(), error = function(error) the$bridge <- NULL)
}
