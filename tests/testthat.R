library(testthat)
library(s3tools)

test_check("s3tools")
