# Runs the testthat suite from the source tree (make test-r) and ends with one
# plain line CI can read: "R: N passed, N failed, N skipped". Exits non-zero
# when a test fails or errors.

results <- testthat::ListReporter$new()
progress <- testthat::SummaryReporter$new(show_praise = FALSE)
outcome <- tryCatch(
  testthat::test_local(".", reporter = testthat::MultiReporter$new(list(progress, results)),
                       stop_on_failure = TRUE),
  error = function(error) error
)
summary <- as.data.frame(results$get_results())
passed <- if (nrow(summary)) sum(summary$passed) else 0
failed <- if (nrow(summary)) sum(summary$failed) + sum(summary$error) else 0
skipped <- if (nrow(summary)) sum(summary$skipped) else 0
if (inherits(outcome, "error") && failed == 0) {
  message(conditionMessage(outcome))
  failed <- 1
}
cat(sprintf("R: %d passed, %d failed, %d skipped\n", passed, failed, skipped))
quit(status = if (failed > 0) 1 else 0, save = "no")
