# Python-side helpers for the boundary tests: the bridge module without
# reticulate's conversion, and frames built in Python.

raw_bridge <- function() {
  skip_if_no_server()
  invisible(s3tools:::bridge()$ENVIRONMENT_PATTERN)
  reticulate::import("s3tools.r_bridge", convert = FALSE)
}

# The column codec (s3tools.r_codec) without reticulate's conversion.
raw_codec <- function() {
  raw_bridge()
  reticulate::import("s3tools.r_codec", convert = FALSE)
}

# A pandas frame from Python source (evaluated with numpy as np, pandas as pd,
# pyarrow as pa, datetime), handed to R through the bridge.
python_frame <- function(code) {
  rb <- raw_codec()
  main <- reticulate::py_run_string(
    paste0("import numpy as np, pandas as pd, pyarrow as pa, datetime\nframe = ", code),
    local = TRUE, convert = FALSE
  )
  s3tools:::value_from_python(reticulate::py_to_r(rb$value_to_r(main$frame)))
}

# An R frame through Python and back; also the pandas dtypes it had there.
python_round_trip <- function(df) {
  rb <- raw_codec()
  record <- s3tools:::frame_to_python(df)
  frame <- rb$frame_from_r(record$columns, record$nrow)
  dtypes <- reticulate::py_to_r(frame$dtypes$astype("str")$tolist())
  back <- s3tools:::value_from_python(reticulate::py_to_r(rb$value_to_r(frame)))
  list(frame = back, dtypes = stats::setNames(unlist(dtypes), names(df)))
}
