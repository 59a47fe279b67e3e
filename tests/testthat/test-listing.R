# Listing and inspecting (R/listing.R).

test_that("list_files_in_buckets gives the documented columns and R types", {
  client <- local_s3()
  put_object(client, "a/1.csv", "1")
  put_object(client, "a/2.csv", "22")
  put_object(client, "b.txt", "333")
  listing <- list_files_in_buckets("test-bucket")
  expect_named(listing, c("filename", "path", "size_readable", "key", "lastmodified", "etag",
                          "size", "storageclass", "bucket"))
  expect_identical(listing$path, c("test-bucket/a/1.csv", "test-bucket/a/2.csv",
                                   "test-bucket/b.txt"))
  expect_identical(listing$size, c(1L, 2L, 3L))
  expect_s3_class(listing$lastmodified, "POSIXct")
  expect_identical(attr(listing$lastmodified, "tzone"), "UTC")
  expect_lt(abs(as.numeric(Sys.time()) - as.numeric(listing$lastmodified[[1]])), 600)
})

test_that("paths alone, a prefix, a maximum given as an R number, several buckets", {
  client <- local_s3()
  client$create_bucket(Bucket = "second-bucket")
  put_object(client, "a/1.csv", "1")
  put_object(client, "a/2.csv", "22")
  put_object(client, "c.csv", "1", bucket = "second-bucket")
  expect_identical(list_files_in_buckets("test-bucket", prefix = "a/", path_only = TRUE),
                   c("test-bucket/a/1.csv", "test-bucket/a/2.csv"))
  expect_identical(list_files_in_buckets("test-bucket", path_only = TRUE, max = 1),
                   "test-bucket/a/1.csv")
  expect_identical(list_files_in_buckets(c("test-bucket", "second-bucket"), path_only = TRUE),
                   c("test-bucket/a/1.csv", "test-bucket/a/2.csv", "second-bucket/c.csv"))
  expect_identical(list_files_in_buckets("test-bucket", prefix = "zzz/", path_only = TRUE),
                   character())
  expect_equal(nrow(list_files_in_buckets("test-bucket", prefix = "zzz/")), 0)
})

test_that("more than 1,000 objects are all listed", {
  skip_on_cran()
  client <- local_s3()
  reticulate::py_run_string(paste(
    "def _put_many(client):",
    "    for k in range(1005):",
    "        client.put_object(Bucket='test-bucket', Key=f'many/{k:04d}', Body=b'')",
    sep = "\n"
  ))
  reticulate::py$`_put_many`(client)
  expect_length(list_files_in_buckets("test-bucket", prefix = "many/", path_only = TRUE), 1005)
})

test_that("accessible_buckets and s3_file_exists", {
  client <- local_s3()
  client$create_bucket(Bucket = "another-bucket")
  put_object(client, "a/1.csv", "1")
  found <- accessible_buckets()
  expect_identical(as.vector(found), c("another-bucket", "test-bucket"))
  expect_identical(attr(found, "source"), "ListBuckets")
  expect_true(s3_file_exists("test-bucket/a/1.csv"))
  expect_true(s3_file_exists("/test-bucket/a/"))
  expect_false(s3_file_exists("test-bucket/a/9.csv"))
  expect_false(s3_file_exists("no-such-bucket/a.csv"))
  expect_error(s3_file_exists(""), class = "s3tools_path")
})

# An IAM user whose attached policy grants data-ro read-only, data-rw read-write and
# data-admin everything, and who may read its own policies; its keys in force (IAM
# checks on) until the calling test ends.
local_analyst <- function(envir = parent.frame()) {
  client <- local_s3()
  for (bucket in c("data-admin", "data-ro", "data-rw")) client$create_bucket(Bucket = bucket)
  support <- case_support()
  endpoint <- getOption("s3tools.test_endpoint")
  read <- c("s3:GetObject", "s3:ListBucket")
  statements <- list(support$bucket_statement("data-ro", read),
                     support$bucket_statement("data-rw", c(read, "s3:PutObject")),
                     support$bucket_statement("data-admin", list("s3:*")))
  key <- support$create_user_with_policy(endpoint, "analyst", statements)
  withr::local_envvar(AWS_ACCESS_KEY_ID = key$AccessKeyId,
                      AWS_SECRET_ACCESS_KEY = key$SecretAccessKey, .local_envir = envir)
  support$set_auth(endpoint, 0)
  withr::defer(support$set_auth(endpoint, Inf), envir = envir)
  client
}

test_that("where ListBuckets is denied, the user's policies give the buckets and levels", {
  local_analyst()
  found <- accessible_buckets()
  expect_identical(as.vector(found), c("data-admin", "data-ro", "data-rw"))
  expect_identical(attr(found, "source"), "IAM policies of user analyst")
  levels <- accessible_buckets(access = TRUE)
  expect_identical(levels, data.frame(
    bucket = c("data-admin", "data-ro", "data-rw"),
    access = c("admin", "read-only", "read-write"),
    source = rep("IAM policies of user analyst", 3)
  ))
  denied <- tryCatch(write_df_to_csv_in_s3(data.frame(a = 1), "data-ro/new.csv"),
                     error = identity)
  expect_s3_class(denied, "s3tools_access_denied")
  expect_match(conditionMessage(denied), "data-ro is read-only for these credentials",
               fixed = TRUE)
  expect_identical(write_df_to_csv_in_s3(data.frame(a = 1), "data-rw/new.csv"),
                   "data-rw/new.csv")
})

test_that("S3TOOLS_BUCKETS comes before the policies, and gives levels of its own", {
  local_analyst()
  withr::local_envvar(S3TOOLS_BUCKETS = "data-ro,data-rw:read-only,handed-out")
  found <- accessible_buckets()
  expect_identical(as.vector(found), c("data-ro", "data-rw", "handed-out"))
  expect_identical(attr(found, "source"), "S3TOOLS_BUCKETS")
  levels <- accessible_buckets(access = TRUE, tibble = TRUE)
  expect_s3_class(levels, "tbl_df")
  expect_identical(levels$access, c("read-only", "read-only", "unknown"))
  expect_identical(unique(levels$source), "S3TOOLS_BUCKETS")
})

test_that("with nothing to go on, the error says how to set S3TOOLS_BUCKETS", {
  local_s3()
  support <- case_support()
  endpoint <- getOption("s3tools.test_endpoint")
  reader <- support$create_read_only_user(endpoint)
  withr::local_envvar(AWS_ACCESS_KEY_ID = reader$AccessKeyId,
                      AWS_SECRET_ACCESS_KEY = reader$SecretAccessKey)
  support$set_auth(endpoint, 0)
  withr::defer(support$set_auth(endpoint, Inf))
  denied <- tryCatch(accessible_buckets(), error = identity)
  expect_s3_class(denied, "s3tools_access_denied")
  expect_match(conditionMessage(denied), "S3TOOLS_BUCKETS=", fixed = TRUE)
  expect_identical(deparse(conditionCall(denied)), "accessible_buckets()")
})
