#' Browse S3 in a web page: buckets, folders, files, previews, and the code that reads a file
#'
#' Starts the file explorer (the one Python and `s3tools browse` use) on
#' 127.0.0.1, with a random token in its address (a request without it is
#' refused), in a Python process of its own: the console stays free, and the
#' process ends with `$stop()` or with the R session. The page shows
#' the buckets you can use with your access level, folders and files with
#' sizes and dates page after page (no 1,000-file limit), search by name, a
#' preview of a data file's first rows, download, and on **Select** the call
#' that reads the file. It uses the endpoint and keys the other functions use.
#'
#' In RStudio (with the rstudioapi package) the page opens in the Viewer pane
#' and the chosen file's `s3_path_to_df("bucket/key")` call is put at the
#' console, ready to run, as s3browser did; elsewhere the page opens in the
#' default browser and the call is printed. Calls reach the console while R
#' is idle when the later package is installed; `$selected()` returns them
#' in any case. The browser is given a private local page (mode 0600) that
#' leads to the address, so that the token is not on its command line, where
#' other users of the machine could read it.
#'
#' @param port The port on 127.0.0.1; 0 picks a free one.
#' @param show `TRUE` to open the page (Viewer pane or browser); `FALSE`
#'   only starts it.
#' @return An object of class `s3tools_explorer`: a list with `url` (the
#'   page's address), `stop()` (ends it) and `selected()` (the calls for the
#'   files chosen so far).
#' @section Errors: unusable settings are an error of class `s3tools_config`;
#'   errors while browsing (access denied, no such file, a format s3tools
#'   cannot preview) are shown in the page in s3tools' words.
#' @examples
#' \dontrun{
#' explorer <- file_explorer_s3()
#' explorer$stop()
#' }
#' @export
file_explorer_s3 <- function(port = 0, show = TRUE) {
  in_viewer <- isTRUE(show) && rstudio_available()
  started <- bridge_call("explorer_start", list(port = as.integer(port),
                                                launch = isTRUE(show) && !in_viewer))
  url <- started$url
  explorer <- structure(class = "s3tools_explorer", list(
    url = url,
    stop = function() invisible(bridge_call("explorer_stop", list(url = url))),
    selected = function() {
      bridge_call("explorer_selections", list(url = url, deliver = FALSE))$all
    }
  ))
  if (isTRUE(show)) {
    show_explorer(started, in_viewer)
  }
  watch_selections(url)
  explorer
}

#' @export
print.s3tools_explorer <- function(x, ...) {
  cat("s3tools file explorer at", x$url, "\n(stop it with $stop())\n")
  invisible(x)
}

rstudio_available <- function() {
  requireNamespace("rstudioapi", quietly = TRUE) && rstudioapi::isAvailable()
}

# The address holds the token. RStudio's viewer gets it within the session (no
# command line); a browser, whose command line every local user can read, gets a
# private local page that leads to it (removed after a minute or at $stop()).
show_explorer <- function(started, in_viewer) {
  if (in_viewer) {
    rstudioapi::viewer(started$url)
  } else {
    utils::browseURL(started$launch)
  }
}

# Each file chosen with Select: its call at RStudio's console (not run), or printed.
put_at_console <- function(code) {
  if (rstudio_available()) {
    rstudioapi::sendToConsole(code, execute = FALSE)
  } else {
    message(code)
  }
}

# The server cannot call R: the console asks, while idle, for the files chosen
# since it last asked, until the explorer stops.
watch_selections <- function(url, every = 0.5) {
  if (!requireNamespace("later", quietly = TRUE)) {
    return(invisible(FALSE))
  }
  ask <- function() {
    found <- tryCatch(bridge_call("explorer_selections", list(url = url)),
                      error = function(error) NULL)
    if (is.null(found) || !isTRUE(found$running)) {
      return(invisible())
    }
    for (code in found$new) put_at_console(code)
    later::later(ask, every)
  }
  later::later(ask, every)
  invisible(TRUE)
}
