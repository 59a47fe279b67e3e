#' A local S3 server to try s3tools offline
#'
#' Starts `s3tools serve` (an S3 server on 127.0.0.1, made with moto) in a
#' Python process of its own, with s3tools' Python, so the console stays
#' free. It reads the address and the keys the server prints, and points
#' this session at it (`AWS_ENDPOINT_URL`, the keys and the region, set with
#' [Sys.setenv()] and taken up with [refresh_credentials()]): every s3tools
#' function then works against it, with no account and no network. The keys
#' are made anew at each start and work on this server only.
#'
#' `$stop()` ends the server (by its process id) and gives the session back
#' the variables it had; the server also ends with the R session. The
#' server's Python needs moto's server, which [install_s3tools_python()]
#' installs (`pip install "s3tools[serve]"` elsewhere).
#'
#' @param port The port on 127.0.0.1; 0 picks a free one.
#' @param bucket A bucket to create, or `NULL`.
#' @param seed A local folder whose files are uploaded into `bucket`, or
#'   `NULL`.
#' @param read_only `TRUE` for keys that may only list and read: every write
#'   is refused, as on a read-only platform.
#' @return An object of class `s3tools_server`: a list with `endpoint` (the
#'   server's address), `pid` (its process id), `bucket`, `read_only` and
#'   `stop()`. It prints without the keys.
#' @section Errors: an error of class `s3tools_config` when s3tools' Python
#'   is not set up or has no moto server, or when the server cannot start
#'   (the port is taken, say), with the server's own reason.
#' @examplesIf s3tools:::server_available()
#' server <- s3tools_serve(bucket = "demo")
#' write_df_to_csv_in_s3(data.frame(id = 1:3, name = c("a", "b", "c")), "demo/first.csv")
#' s3_path_to_df("demo/first.csv")
#' list_files_in_buckets("demo", path_only = TRUE)
#' server$stop()
#' @export
s3tools_serve <- function(port = 0, bucket = NULL, seed = NULL, read_only = FALSE) {
  call <- sys.call()
  arguments <- c("serve", "--port", as.integer(port),
                 if (!is.null(bucket)) c("--bucket", bucket),
                 if (!is.null(seed)) c("--seed", normalizePath(seed, mustWork = FALSE)),
                 if (isTRUE(read_only)) "--read-only")
  server <- start_server_process(arguments)
  ready <- FALSE
  on.exit(if (!ready) end_server_process(server), add = TRUE)
  variables <- read_server_variables(server)
  if (!server_ready(variables)) {
    said <- readLines(server$log, warn = FALSE)
    said <- c(said[startsWith(said, "s3tools: ")], said[nzchar(trimws(said))])
    reason <- sub("^s3tools: ", "", utils::head(said, 1))
    signal_s3tools_error(paste0(
      "The local S3 server did not start: ",
      if (length(reason) > 0) sub("[.]$", "", reason) else "it printed no address and keys",
      "."
    ), "s3tools_config", call = call)
  }
  server$previous <- Sys.getenv(c(names(variables$set), variables$unset), unset = NA)
  server$variables <- variables
  for (name in names(variables$set)) set_variable(name, variables$set[[name]])
  for (name in variables$unset) set_variable(name, NA)
  ready <- TRUE
  keep_server(server)
  refresh_credentials()
  structure(class = "s3tools_server", list(
    endpoint = variables$set[["AWS_ENDPOINT_URL"]], pid = server$pid, bucket = bucket,
    read_only = isTRUE(read_only), stop = function() stop_server(server)
  ))
}

#' @export
print.s3tools_server <- function(x, ...) {
  cat("s3tools local S3 server at ", x$endpoint, " (process ", x$pid, ")",
      if (!is.null(x$bucket)) paste0(", bucket ", x$bucket), if (x$read_only) ", read-only",
      "\nThis session's AWS_ variables point at it; $stop() ends it (so does quitting R).\n",
      sep = "")
  invisible(x)
}

# Runs the command line's `serve` in a child Python, which also ends when its
# standard input does: R holds the other end, so the server cannot outlive the
# session, even one that crashes.
serve_script <- paste(
  "import os, runpy, signal, sys, threading",
  "def watch():",
  "    while os.read(0, 65536):",
  "        pass",
  "    os.kill(os.getpid(), signal.SIGTERM)",
  "threading.Thread(target=watch, daemon=True).start()",
  "sys.argv[0] = 's3tools'",
  "runpy.run_module('s3tools.cli', run_name='__main__')",
  sep = "\n"
)

# The child Python is the one s3tools runs. The variables it gets are R's,
# without R's LD_LIBRARY_PATH (it would load the wrong libpython, see
# ENVIRONMENT.md) and without the user's AWS_ settings (the server makes its own).
start_server_process <- function(arguments) {
  invisible(bridge()$ENVIRONMENT_PATTERN) # starts s3tools' Python, as any call does
  subprocess <- reticulate::import("subprocess", convert = FALSE)
  python <- reticulate::import("sys")$executable
  variables <- Sys.getenv()
  keep <- !grepl("^(LD_LIBRARY_PATH$|AWS_)", names(variables))
  environment <- c(as.list(stats::setNames(as.character(variables[keep]), names(variables)[keep])),
                   PYTHONUNBUFFERED = "1")
  server <- new.env(parent = emptyenv())
  server$log <- tempfile("s3tools-serve-", fileext = ".log") # R's session folder: private
  log <- reticulate::import_builtins()$open(server$log, "wb")
  on.exit(log$close(), add = TRUE)
  server$process <- subprocess$Popen(
    as.list(c(python, "-c", serve_script, arguments)), stdin = subprocess$PIPE,
    stdout = subprocess$PIPE, stderr = log, env = environment, bufsize = 0L
  )
  server$pid <- reticulate::py_to_r(server$process$pid)
  server$stopped <- FALSE
  server
}

# What the server prints, read until the address and keys have come and
# nothing more follows at once, or until it ends (it could not start).
read_server_variables <- function(server) {
  select <- reticulate::import("select")
  os <- reticulate::import("os", convert = FALSE)
  output <- reticulate::py_to_r(server$process$stdout$fileno())
  text <- ""
  repeat {
    waiting <- length(select$select(list(output), list(), list(), 0.25)[[1]]) > 0
    if (!waiting) {
      if (server_ready(server_variables(text))) break
      next
    }
    chunk <- reticulate::py_to_r(os$read(output, 65536L)$decode("utf-8", "replace"))
    if (!nzchar(chunk)) break # the process ended
    text <- paste0(text, chunk)
  }
  server_variables(text)
}

server_ready <- function(variables) {
  all(c("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") %in%
        names(variables$set))
}

# The AWS_ variables in the server's lines: shell (`export NAME=value`,
# `unset NAME ...`) or R (`Sys.setenv(NAME = "value")`, `Sys.unsetenv(...)`),
# read as text and never run. Other names are ignored.
server_variables <- function(text) {
  set <- character()
  unset <- character()
  for (line in trimws(strsplit(text, "\n", fixed = TRUE)[[1]])) {
    if (grepl("^export [A-Za-z_][A-Za-z0-9_]*=", line)) {
      pair <- sub("^export ", "", line)
      value <- sub("^[^=]*=", "", pair)
      set[[sub("=.*$", "", pair)]] <- sub("^(['\"])(.*)\\1$", "\\2", value)
    } else if (grepl("^unset ", line)) {
      unset <- c(unset, strsplit(sub("^unset +", "", line), " +")[[1]])
    } else if (grepl("^Sys[.](un)?setenv\\(", line)) {
      for (call in r_line_calls(line)) {
        values <- r_call_values(call)
        if (identical(call[[1]], as.name("Sys.setenv"))) set[names(values)] <- values
        else unset <- c(unset, values)
      }
    }
  }
  set <- set[grepl("^AWS_[A-Z0-9_]+$", names(set))]
  unset <- setdiff(unset[grepl("^AWS_[A-Z0-9_]+$", unset)], names(set))
  list(set = set, unset = unique(unset))
}

# The Sys.setenv() and Sys.unsetenv() calls of a line of R, parsed, not run.
r_line_calls <- function(line) {
  expressions <- tryCatch(parse(text = line, keep.source = FALSE), error = function(e) NULL)
  Filter(function(call) {
    is.call(call) && (identical(call[[1]], as.name("Sys.setenv")) ||
                        identical(call[[1]], as.name("Sys.unsetenv")))
  }, as.list(expressions))
}

# The literal strings of one call, by name (Sys.setenv) or not (Sys.unsetenv).
r_call_values <- function(call) {
  values <- as.list(call)[-1]
  values <- unlist(lapply(seq_along(values), function(i) {
    value <- values[[i]]
    parts <- if (is.call(value) && identical(value[[1]], as.name("c"))) as.list(value)[-1]
             else list(value)
    strings <- Filter(is.character, parts)
    if (!is.null(names(values)) && nzchar(names(values)[[i]])) {
      names(strings) <- rep(names(values)[[i]], length(strings))
    }
    strings
  }))
  if (is.null(values)) character() else values
}

# Servers still running when R ends are stopped then (and by their own watch).
keep_server <- function(server) {
  if (is.null(the$servers)) {
    the$servers <- new.env(parent = emptyenv())
    reg.finalizer(the$servers, function(servers) {
      for (server in as.list(servers)) tools::pskill(server$pid, tools::SIGTERM)
    }, onexit = TRUE)
  }
  assign(as.character(server$pid), server, envir = the$servers)
}

# Ends the process by its id and waits for it; the variables it set are given
# back their previous values, unless changed since.
stop_server <- function(server) {
  if (server$stopped) return(invisible(FALSE))
  end_server_process(server)
  if (exists(as.character(server$pid), envir = the$servers, inherits = FALSE)) {
    rm(list = as.character(server$pid), envir = the$servers)
  }
  set <- server$variables$set
  for (name in c(names(set), server$variables$unset)) {
    now <- Sys.getenv(name, unset = NA)
    if (identical(now, if (name %in% names(set)) set[[name]] else NA_character_)) {
      set_variable(name, server$previous[[name]])
    }
  }
  refresh_credentials()
  invisible(TRUE)
}

end_server_process <- function(server) {
  server$stopped <- TRUE
  tools::pskill(server$pid, tools::SIGTERM)
  stopped <- tryCatch({
    server$process$wait(timeout = 30L)
    TRUE
  }, error = function(error) FALSE)
  if (!stopped) {
    tools::pskill(server$pid, tools::SIGKILL)
    server$process$wait()
  }
  server$process$stdin$close()
  server$process$stdout$close()
  unlink(server$log)
}

# Whether s3tools' Python can run the local server (for the help's examples),
# asked of a child Python: moto is not imported into the session. Every help
# page asks; the answer for a Python is kept, since the session cannot change
# its Python once started and starting a child Python takes seconds.
server_available <- function() {
  python <- tryCatch({
    invisible(bridge()$ENVIRONMENT_PATTERN)
    reticulate::import("sys")$executable
  }, error = function(error) "")
  if (!nzchar(python)) {
    return(FALSE)
  }
  if (!identical(the$server_python, python)) {
    the$server_available <- identical(suppressWarnings(system2(
      python, c("-c", shQuote("import s3tools.serve, moto.moto_server.werkzeug_app")),
      stdout = FALSE, stderr = FALSE, env = "LD_LIBRARY_PATH="
    )), 0L)
    the$server_python <- python
  }
  the$server_available
}
