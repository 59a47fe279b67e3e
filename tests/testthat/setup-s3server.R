# Python is started by s3tools itself (the Python the user would get), with
# the test environment pointing at a private moto server.
local({
  python <- test_python()
  if (!nzchar(python)) return(invisible())
  server <- start_s3_server()
  if (is.null(server)) return(invisible())
  withr::defer(stop_s3_server(server), envir = testthat::teardown_env())
  withr::local_envvar(
    c(S3TOOLS_PYTHON = python, AWS_ENDPOINT_URL = server$endpoint,
      AWS_DEFAULT_REGION = "us-east-1", unlist(test_keys),
      AWS_CONFIG_FILE = tempfile("no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE = tempfile("no-aws-credentials"),
      S3TOOLS_RAM_DIR = tempfile("ram"),
      AWS_ENDPOINT_URL_S3 = NA, AWS_PROFILE = NA, AWS_REGION = NA, AWS_SESSION_TOKEN = NA,
      S3TOOLS_PROXY = NA, S3TOOLS_MAX_CONCURRENCY = NA, http_proxy = NA, https_proxy = NA,
      HTTP_PROXY = NA, HTTPS_PROXY = NA, TZ = "UTC"),
    .local_envir = testthat::teardown_env()
  )
  withr::local_options(list(s3tools.test_endpoint = server$endpoint),
                       .local_envir = testthat::teardown_env())
})
