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
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve()
#' # After renewing a session token in .Renviron:
#' # readRenviron("~/.Renviron")
#' refresh_credentials()
#' server$stop()
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
#' @return An object of class `s3tools_credentials`, which prints as a
#'   summary: a list that never holds the secret, with `source` (where the
#'   keys came from), `access_key_id` (masked), `temporary`, `expires` (a
#'   time, or `NULL` for keys that do not expire), `endpoint` and `region`.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve()
#' get_credentials()
#' server$stop()
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
  structure(bridge_call("get_credentials"), class = "s3tools_credentials")
}

#' @export
print.s3tools_credentials <- function(x, ...) {
  kind <- if (isTRUE(x$temporary)) "temporary" else "long-term"
  cat("s3tools credentials\n",
      "  from:          ", x$source, "\n",
      "  access key id: ", x$access_key_id, " (", kind,
      if (!is.null(x$expires)) paste(", expire", x$expires), ")\n",
      "  endpoint:      ", x$endpoint, "\n",
      "  region:        ", x$region, "\n", sep = "")
  invisible(x)
}
