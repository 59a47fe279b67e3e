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

#' Take up (or set) the credentials: kept for scripts written for s3tools 0.0.9
#'
#' With no arguments it is [refresh_credentials()]. With arguments it sets
#' them for this R session first (`Sys.setenv()`): `key` and `secret`
#' together, `token` for temporary keys, `profile` for a profile of
#' `~/.aws/config`.
#'
#' @param key,secret The access key id and the secret access key.
#' @param token A session token (temporary credentials).
#' @param profile A profile name of `~/.aws/config`.
#' @return A list, printed as a summary, that never holds the secret: where the
#'   keys came from, the access key id masked, whether they are temporary and
#'   when they expire, the endpoint and the region.
#' @examples
#' \dontrun{
#' s3tools::get_credentials()
#' }
#' @export
get_credentials <- function(key = NULL, secret = NULL, token = NULL, profile = NULL) {
  # Python's check, before R sets anything: the variables R sets are the ones it
  # sends Python at every call.
  bridge_call("check_credential_arguments",
              list(key = key, secret = secret, token = token, profile = profile))
  if (!is.null(key)) {
    Sys.setenv(AWS_ACCESS_KEY_ID = key, AWS_SECRET_ACCESS_KEY = secret)
    if (is.null(token)) Sys.unsetenv("AWS_SESSION_TOKEN")
  }
  if (!is.null(token)) Sys.setenv(AWS_SESSION_TOKEN = token)
  if (!is.null(profile)) Sys.setenv(AWS_PROFILE = profile)
  the$environment_sent <- NULL # send every watched variable, changed or not
  bridge_call("get_credentials")
}
