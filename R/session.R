#' Take up new credentials and settings without restarting R
#'
#' Reads the settings again from the current environment (`Sys.getenv()`,
#' so values set with `Sys.setenv()` or a re-read `.Renviron` count) and the
#' AWS config files, and rebuilds the client. Call it after renewing expired
#' keys or a session token.
#'
#' @return `NULL`, invisibly.
#' @section Errors: a setting that is not valid is an error of class
#'   `s3tools_config` that says which one and how to fix it. Expired or
#'   refused keys show at the next request, as `s3tools_config` naming what to
#'   renew.
#' @examples
#' \dontrun{
#' Sys.setenv(AWS_SESSION_TOKEN = "new-token")
#' refresh_credentials()
#' }
#' @export
refresh_credentials <- function() {
  the$environment_sent <- NULL # send every watched variable, changed or not
  invisible(bridge_call("refresh_credentials"))
}
