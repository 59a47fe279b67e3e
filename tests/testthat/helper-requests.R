# What s3tools sent: the s3tools.requests debug records (one per request) during
# the calling test. Returns a function that gives the request lines so far.

local_request_log <- function(envir = parent.frame()) {
  case_support() # Python started by s3tools, as for the user
  reticulate::py_run_string(paste(
    "import logging",
    "class S3toolsTestRecords(logging.Handler):",
    "    def __init__(self):",
    "        super().__init__(logging.DEBUG)",
    "        self.lines = []",
    "    def emit(self, record):",
    "        self.lines.append(record.getMessage())",
    sep = "\n"
  ))
  handler <- reticulate::import_main(convert = FALSE)$S3toolsTestRecords()
  logging <- reticulate::import("logging", convert = FALSE)
  logger <- logging$getLogger("s3tools.requests")
  logger$addHandler(handler)
  logger$setLevel(logging$DEBUG)
  withr::defer({
    logger$removeHandler(handler)
    logger$setLevel(logging$NOTSET)
  }, envir = envir)
  function() {
    lines <- unlist(reticulate::py_to_r(handler$lines))
    grep("^(GET|HEAD|PUT|POST|DELETE) ", lines, value = TRUE)
  }
}
