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
  expect_identical(accessible_buckets(), c("another-bucket", "test-bucket"))
  expect_true(s3_file_exists("test-bucket/a/1.csv"))
  expect_true(s3_file_exists("/test-bucket/a/"))
  expect_false(s3_file_exists("test-bucket/a/9.csv"))
  expect_false(s3_file_exists("no-such-bucket/a.csv"))
  expect_error(s3_file_exists(""), class = "s3tools_path")
})
