# The main job in R, against the server `make demo` started (python/s3tools/demo.py):
# the endpoint and keys arrive in the environment, as they would from .Renviron.
# Run from the checkout: the package is loaded from the sources with pkgload.

pkgload::load_all(".", quiet = TRUE, export_all = FALSE)

step <- function(title) cat("\n== R:", title, "\n")
bucket <- "Request4_CT"

step("accessible_buckets()")
print(accessible_buckets())

step(sprintf('list_files_in_buckets("%s")', bucket))
files <- list_files_in_buckets(bucket)
print(files[, c("path", "size_readable")], row.names = FALSE)

step(sprintf('s3_path_to_preview_df("s3://%s/cohort/patients.csv", n = 3)', bucket))
print(s3_path_to_preview_df(sprintf("s3://%s/cohort/patients.csv", bucket), n = 3))

step(sprintf('s3_path_to_df("%s/cohort/patients.parquet")', bucket))
patients <- s3_path_to_df(sprintf("%s/cohort/patients.parquet", bucket))
cat(nrow(patients), "rows; columns:", paste(names(patients), collapse = ", "), "\n")

step("the summary Python wrote, read in R")
print(s3_path_to_df(sprintf("%s/outputs/summary.csv", bucket)))

step(sprintf('write_df_to_csv_in_s3(by_age, "%s/outputs/by_age_r.csv")', bucket))
patients$age_band <- cut(patients$age, c(17, 40, 65, 95), labels = c("18-40", "41-65", "66-95"))
by_age <- aggregate(score ~ age_band, data = patients, FUN = function(x) round(mean(x), 2))
write_df_to_csv_in_s3(by_age, sprintf("%s/outputs/by_age_r.csv", bucket))
print(s3_path_to_df(sprintf("%s/outputs/by_age_r.csv", bucket)))
tryCatch(
  write_df_to_csv_in_s3(by_age, sprintf("%s/outputs/by_age_r.csv", bucket)),
  s3tools_exists = function(e) cat("Writing again is refused:", conditionMessage(e), "\n")
)

step(sprintf('read_files_from_s3("%s/images/") (raw vectors in memory)', bucket))
images <- read_files_from_s3(sprintf("%s/images/", bucket))
for (name in names(images)) {
  cat(sprintf("%s: %d bytes, DICOM magic %s\n", name, length(images[[name]]),
              rawToChar(images[[name]][129:132])))
}
