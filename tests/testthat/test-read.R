# Reading (R/read.R). Every format and error kind is also covered by the shared
# cases (test-cases.R); these tests cover what is particular to R.

fixture <- function(name) file.path(test_cases_folder(), "data", name)

put_fixture <- function(client, name, key = name) {
  put_object(client, key, readBin(fixture(name), "raw", file.size(fixture(name))))
}

test_that("read_file_from_s3 gives raw bytes or text", {
  client <- local_s3()
  put_object(client, "notes/a.txt", "héllo\n")
  bytes <- read_file_from_s3("test-bucket/notes/a.txt")
  expect_type(bytes, "raw")
  expect_identical(bytes, charToRaw(enc2utf8("héllo\n")))
  text <- read_file_from_s3("s3://test-bucket/notes/a.txt", encoding = "UTF-8")
  expect_identical(text, enc2utf8("héllo\n"))
})

test_that("read_files_from_s3 gives a named list of raw vectors", {
  client <- local_s3()
  put_object(client, "dcm/1.dcm", "one")
  put_object(client, "dcm/2.dcm", "two")
  all <- read_files_from_s3("test-bucket/dcm/", max_concurrency = 2)
  expect_named(all, c("test-bucket/dcm/1.dcm", "test-bucket/dcm/2.dcm"))
  expect_identical(all[["test-bucket/dcm/2.dcm"]], charToRaw("two"))
  some <- read_files_from_s3(c("test-bucket/dcm/2.dcm", "test-bucket/dcm/1.dcm"))
  expect_named(some, c("test-bucket/dcm/2.dcm", "test-bucket/dcm/1.dcm"))
  expect_length(read_files_from_s3("test-bucket/nothing-here/"), 0)
})

test_that("a key with control characters is read, previewed and downloaded by its real key", {
  client <- local_s3()
  key <- "odd/title\x1b]0;pwned\x07 tab\t cr\r del\x7f.csv"
  path <- put_object(client, key, "a,b\n1,x\n")
  put_object(client, "odd/title]0;pwned tab cr del.csv", "a,b\n2,y\n")  # without the controls
  expect_identical(read_file_from_s3(path), charToRaw("a,b\n1,x\n"))
  expect_identical(s3_path_to_df(path)$a, 1L)
  expect_identical(s3_path_to_preview_df(path)$b, "x")
  expect_true(s3_file_exists(path))
  local <- file.path(withr::local_tempdir(), "copy.csv")
  download_file_from_s3(path, local)
  expect_identical(readLines(local), c("a,b", "1,x"))
  expect_true(path %in% list_files_in_buckets("test-bucket", prefix = "odd/", path_only = TRUE))
})

test_that("R's reader argument names reach the Python reader", {
  client <- local_s3()
  put_object(client, "a.csv", "# note\nx;y\n1;a\n2;b\n3;NA\n4;missing\n")
  df <- s3_path_to_df("test-bucket/a.csv", sep = ";", skip = 1)
  expect_identical(df$x, 1:4)
  expect_identical(s3_path_to_df("test-bucket/a.csv", delim = ";", skip = 1, n_max = 2)$x, 1:2)
  expect_identical(s3_path_to_df("test-bucket/a.csv", sep = ";", skip = 1, nrows = 2)$x, 1:2)
  expect_identical(s3_path_to_df("test-bucket/a.csv", sep = ";", skip = 1, na = "missing")$y,
                   c("a", "b", NA, NA))
  # Columns read without a header are named as readr (X1...) and read.csv (V1...) name them.
  no_header <- s3_path_to_df("test-bucket/a.csv", sep = ";", skip = 2, col_names = FALSE)
  expect_equal(names(no_header), c("X1", "X2"))
  without_header <- s3_path_to_df("test-bucket/a.csv", sep = ";", skip = 2, header = FALSE)
  expect_identical(without_header[[1]], 1:4)
  expect_equal(names(without_header), c("V1", "V2"))
  named <- s3_path_to_df("test-bucket/a.csv", sep = ";", skip = 2, col_names = c("id", "code"))
  expect_equal(names(named), c("id", "code"))
  expect_identical(s3_path_to_df("test-bucket/a.csv", sep = ";", skip = 1, header = TRUE)$x, 1:4)
})

test_that("CSV columns have the types read.csv gives, missing values and NaN included", {
  client <- local_s3()
  text <- paste0("i,f,e,s,big,d\n1,1.5,,a,9007199254740993,2024-01-31\n",
                 ",NaN,,,1,2024-02-29\n3,,,NaN,2,\n")
  put_object(client, "types.csv", text)
  df <- s3_path_to_df("test-bucket/types.csv", parse_dates = list("d"))
  base <- utils::read.csv(text = text)
  expect_identical(df$i, base$i)  # integer, with NA
  expect_identical(df$f, base$f)  # NaN apart from NA
  expect_identical(is.nan(df$f), c(FALSE, TRUE, FALSE))
  expect_identical(df$e, base$e)  # logical NA: nothing to type it by
  # Missing text is NA, as in pandas and readr (read.csv keeps "" and reads "NaN" as text).
  expect_identical(df$s, c("a", NA, NA))
  expect_identical(df$d, as.Date(c("2024-01-31", "2024-02-29", NA)))
  if (requireNamespace("bit64", quietly = TRUE)) {
    expect_identical(as.character(df$big), c("9007199254740993", "1", "2"))
  }
  preview <- s3_path_to_preview_df("test-bucket/types.csv", n = 2, parse_dates = list("d"))
  expect_identical(preview[c("i", "f", "e", "d")], df[1:2, c("i", "f", "e", "d")])
})

test_that("JSON columns with missing values have the types jsonlite gives", {
  client <- local_s3()
  records <- c('{"i": 1, "f": 1.0, "b": true, "n": null, "big": 9007199254740993}',
               '{"f": null, "b": null, "n": null, "big": null}',
               '{"i": 3, "f": 2.0, "b": false, "n": null, "big": -5}')
  put_object(client, "gaps.json", paste0("[", paste(records, collapse = ",\n"), "]\n"))
  put_object(client, "gaps.jsonl", paste0(records, "\n", collapse = ""))
  expected <- jsonlite::stream_in(textConnection(records), verbose = FALSE)
  for (name in c("gaps.json", "gaps.jsonl")) {
    df <- s3_path_to_df(paste0("test-bucket/", name))
    # Integer where the text has whole numbers only, double where it has 1.0, logical NA.
    expect_identical(df[c("i", "f", "b", "n")], expected[c("i", "f", "b", "n")], label = name)
    if (requireNamespace("bit64", quietly = TRUE)) {
      expect_identical(as.character(df$big), c("9007199254740993", NA, "-5"), label = name)
    }
  }
})

test_that("Parquet text held as dictionaries, row group by row group, reaches R as its strings", {
  client <- local_s3()
  reticulate::py_run_string(paste(sep = "\n",
    "import io, numpy as np, pyarrow as pa, pyarrow.parquet as pq",
    "rng = np.random.default_rng(3)",
    "first = np.array(['North', 'South', '\u0112ast', '', None], dtype=object)",
    "later = np.array(['x', 'South', None], dtype=object)",
    "region = np.where(np.arange(30000) < 20000, first[rng.integers(0, 5, 30000)],",
    "                  later[rng.integers(0, 3, 30000)])",
    "table = pa.table({'region': pa.array(region, pa.large_string()),",
    "                  'n': pa.array(np.arange(30000)), 'nested': [[i] for i in range(30000)],",
    "                  'seen': pa.array(np.arange(30000) * 10**9,",
    "                                   pa.timestamp('ns', tz='Europe/London'))})",
    "sink = io.BytesIO()",
    "pq.write_table(table, sink, row_group_size=10000)",
    "dictionary_parquet = sink.getvalue()",
    "dictionary_region = region.tolist()"
  ))
  main <- reticulate::import_main(convert = TRUE)
  put_object(client, "dictionary.parquet", main$dictionary_parquet)
  expected <- vapply(main$dictionary_region, function(v) if (is.null(v)) NA_character_ else v, "")
  df <- s3_path_to_df("test-bucket/dictionary.parquet")
  expect_identical(df$region, expected)
  expect_identical(Encoding(df$region[df$region %in% "\u0112ast"][1]), "UTF-8")
  expect_identical(df$n, 0:29999)
  expect_identical(df$nested[1:2], c("[0]", "[1]"))  # nested values as text, as before
  expect_identical(attr(df$seen, "tzone"), "Europe/London")
  expect_identical(as.numeric(df$seen[1:2]), c(0, 1))
  factors <- s3_path_to_df("test-bucket/dictionary.parquet", stringsAsFactors = TRUE)
  expect_identical(as.character(factors$region), expected)
  expect_identical(levels(factors$region), c("", "North", "South", "x", "\u0112ast"))
})

test_that("a folder of CSV files reads with R's types, however large each file is", {
  client <- local_s3()
  put_object(client, "mixed/a.csv", "n,x,flag\n1,1.5,TRUE\n,NaN,\n")
  put_object(client, "mixed/b.csv", paste0("n,x,flag\n", strrep("2,2.5,FALSE\n", 40000),
                                           ",NaN,\n"))
  df <- s3_path_to_df("test-bucket/mixed/")
  expect_identical(nrow(df), 40003L)
  expect_identical(df$n[c(1:3, 40003)], c(1L, NA, 2L, NA))
  expect_identical(is.nan(df$x[c(1, 2, 40003)]), c(FALSE, TRUE, TRUE))
  expect_identical(df$flag[c(1:3, 40003)], c(TRUE, NA, FALSE, NA))
})

test_that("Parquet and Feather integers with missing values are integer, Excel's numbers double", {
  client <- local_s3()
  for (name in c("integers_with_missing.parquet", "integers_with_missing.feather")) {
    put_fixture(client, name)
    df <- s3_path_to_df(paste0("test-bucket/", name))
    expect_identical(df$count, c(1L, NA, 3L), label = name)
    expect_identical(df$wide, c(3e9, NA, 5), label = name) # beyond 2^31: double holds them
    expect_identical(df$flag, c(TRUE, NA, FALSE), label = name)
    expect_identical(df$full, 7:9, label = name)
    if (requireNamespace("bit64", quietly = TRUE)) {
      expect_identical(as.character(df$big), c("9007199254740993", NA, "-5"), label = name)
    }
    # The first row has no missing value; the preview types the column as the file does.
    preview <- s3_path_to_preview_df(paste0("test-bucket/", name), n = 1)
    expect_identical(preview$count, 1L, label = name)
  }
  skip_if_not_installed("readxl")
  put_fixture(client, "integers_with_missing.xlsx")
  df <- s3_path_to_df("test-bucket/integers_with_missing.xlsx")
  sheet <- readxl::read_excel(fixture("integers_with_missing.xlsx"))
  expect_identical(df$count, sheet$count) # a cell holds a double: double, as readxl reads it
  expect_identical(df$flag, sheet$flag)   # TRUE, blank, FALSE: logical
})

test_that("read.csv's options: stringsAsFactors, na.strings, nrows, sep, header, encoding", {
  client <- local_s3()
  put_object(client, "people.csv", "id,name,score\n7,Ann,1.5\n8,Bob,-\n9,Ann,2\n")
  df <- s3_path_to_df("test-bucket/people.csv", stringsAsFactors = TRUE, na.strings = "-")
  expect_identical(df$name, factor(c("Ann", "Bob", "Ann")))
  expect_identical(df$score, c(1.5, NA, 2))
  expect_identical(df$id, 7:9)
  expect_identical(s3_path_to_df("test-bucket/people.csv", stringsAsFactors = FALSE)$name,
                   c("Ann", "Bob", "Ann"))
  preview <- s3_path_to_preview_df("test-bucket/people.csv", n = 2, stringsAsFactors = TRUE)
  expect_identical(preview$name, factor(c("Ann", "Bob")))
  expect_identical(s3_path_to_df("test-bucket/people.csv", nrows = 2)$id, 7:8)
  expect_identical(s3_path_to_df("test-bucket/people.csv", nrows = -1)$id, 7:9)
  put_object(client, "spaced.txt", "a  b\n1   x\n2 y\n")
  spaced <- s3_path_to_df("test-bucket/spaced.txt", file_type = "csv", sep = "")
  expect_identical(spaced, data.frame(a = 1:2, b = c("x", "y")))
  put_object(client, "latin.csv", as.raw(c(charToRaw("name\nCaf"), 0xe9, 0x0a)))
  expect_identical(s3_path_to_df("test-bucket/latin.csv", encoding = "latin1")$name, "Caf\u00e9")
  put_object(client, "bom.csv", as.raw(c(0xef, 0xbb, 0xbf, charToRaw("id\n1\n"))))
  expect_named(s3_path_to_df("test-bucket/bom.csv", fileEncoding = "UTF-8-BOM"), "id")
  expect_identical(s3_path_to_df("test-bucket/bom.csv", encoding = "unknown")[[1]], 1L)
})

test_that("colClasses reads columns as the R classes it names", {
  client <- local_s3()
  put_object(client, "typed.csv", paste0("id,day,flag,n,group\n007,2024-01-31,TRUE,1,b\n",
                                         "8,2024/02/29,FALSE,,a\n9,,,3,b\n"))
  typed <- s3_path_to_df("test-bucket/typed.csv", colClasses = c(
    id = "character", day = "Date", flag = "logical", n = "integer", group = "factor"))
  expect_identical(typed, data.frame(
    id = c("007", "8", "9"), day = as.Date(c("2024-01-31", "2024-02-29", NA)),
    flag = c(TRUE, FALSE, NA), n = c(1L, NA, 3L), group = factor(c("b", "a", "b"))))
  expect_identical(s3_path_to_df("test-bucket/typed.csv", colClasses = c(n = "numeric"))$n,
                   c(1, NA, 3))
  everything <- s3_path_to_df("test-bucket/typed.csv", colClasses = "character")
  expect_true(all(vapply(everything, is.character, TRUE)))
  # NA leaves a column to the reader; a column colClasses names stays as it says.
  mixed <- s3_path_to_df("test-bucket/typed.csv", colClasses = c(id = NA, day = "character"),
                         stringsAsFactors = TRUE)
  expect_identical(mixed$id, 7:9)
  expect_type(mixed$day, "character")
  expect_s3_class(mixed$group, "factor")
})

test_that("colClasses and stringsAsFactors refuse what they cannot do, in R's words", {
  client <- local_s3()
  put_object(client, "typed.csv", "id,day\n1,31/01/2024\n")
  refused <- function(...) {
    expect_error(s3_path_to_df("test-bucket/typed.csv", ...), class = "s3tools_argument")
  }
  expect_match(conditionMessage(refused(colClasses = c(id = "complex"))),
               paste0("colClasses: s3tools reads columns as character, numeric, double, integer, ",
                      "logical, factor, Date (NA: as the reader decides), not 'complex'."),
               fixed = TRUE)
  expect_match(conditionMessage(refused(colClasses = c(day = "POSIXct"))),
               'for date-times pass parse_dates = "column"', fixed = TRUE)
  expect_match(conditionMessage(refused(colClasses = c("character", "Date"))),
               'colClasses must name its columns, as in colClasses = c(id = "character"',
               fixed = TRUE)
  expect_match(conditionMessage(refused(stringsAsFactors = "yes")),
               "stringsAsFactors must be TRUE or FALSE", fixed = TRUE)
  expect_match(conditionMessage(refused(skip = 1, skiprows = 1)),
               "skip and skiprows are one option (skiprows): pass one of them.", fixed = TRUE)
  not_dates <- expect_error(s3_path_to_df("test-bucket/typed.csv", colClasses = c(day = "Date")),
                            class = "s3tools_format")
  expect_match(conditionMessage(not_dates),
               "Could not read test-bucket/typed.csv: column day holds values that are not dates",
               fixed = TRUE)
})

test_that("an option the format does not take is an s3tools_argument error in R's names", {
  client <- local_s3()
  put_object(client, "a.csv", "x\n1\n")
  put_fixture(client, "people.parquet")
  unknown <- expect_error(s3_path_to_df("test-bucket/a.csv", no_such_option = 1),
                          class = "s3tools_argument")
  expect_match(conditionMessage(unknown), paste0(
    "no_such_option is not an option for reading csv files (test-bucket/a.csv). The options it ",
    "takes: sep, delimiter, header, names, "), fixed = TRUE)
  expect_match(conditionMessage(unknown), paste0(
    "; in R also stringsAsFactors, colClasses, na.strings, na, skip, nrows, n_max, sep, delim, ",
    "header, col_names, encoding, fileEncoding, col_select."), fixed = TRUE)
  # The names as typed: skip, not the skiprows it means; colClasses, not dtype.
  for (option in list(list(skip = 2), list(colClasses = c(name = "character")))) {
    refused <- expect_error(do.call(s3_path_to_df, c("test-bucket/people.parquet", option)),
                            class = "s3tools_argument")
    expect_match(conditionMessage(refused), paste0(
      names(option), " is not an option for reading parquet files (test-bucket/people.parquet).",
      " The options it takes: engine, columns,"), fixed = TRUE)
    expect_match(conditionMessage(refused), "; in R also stringsAsFactors.", fixed = TRUE)
  }
  expect_match(conditionMessage(expect_error(
    s3_path_to_chunks("test-bucket/a.csv", callback = identity, stringsAsFactors = TRUE),
    class = "s3tools_argument")), "stringsAsFactors is for the readers of one data frame")
})

test_that("a wrong reader argument is an s3tools_error naming it", {
  client <- local_s3()
  put_object(client, "a.csv", "x\n1\n")
  expect_error(s3_path_to_df("test-bucket/a.csv", no_such_option = 1), class = "s3tools_error",
               regexp = "no_such_option")
})

test_that("every format reads into the R types", {
  client <- local_s3()
  for (name in c("people.parquet", "people.feather", "people.xlsx", "people.dta",
                 "people.csv.gz")) {
    put_fixture(client, name)
    df <- s3_path_to_df(paste0("test-bucket/", name))
    expect_identical(df$name, c("Ann", "Bob", "Zoë"), label = name)
    expect_identical(df$age, c(31L, 45L, 27L), label = name)
    expect_identical(df$score, c(1.5, NA, 3.25), label = name)
  }
  put_fixture(client, "people.sav")
  expect_identical(s3_path_to_df("test-bucket/people.sav")$age, c(31, 45, 27))
})

test_that("previews take n as an R number", {
  client <- local_s3()
  put_fixture(client, "people.parquet")
  put_fixture(client, "people.csv.gz")
  expect_equal(nrow(s3_path_to_preview_df("test-bucket/people.parquet", n = 2)), 2)
  expect_equal(nrow(s3_path_to_preview_df("test-bucket/people.csv.gz", 1)), 1)
  expect_equal(nrow(s3_path_to_preview_df("test-bucket/people.csv.gz")), 3)
  expect_error(s3_path_to_preview_df("test-bucket/people.csv.gz", n = 1.5), class = "s3tools_error")
})

test_that("read_using works with readxl and haven, and deletes its copy", {
  skip_if_not_installed("readxl")
  skip_if_not_installed("haven")
  client <- local_s3()
  put_fixture(client, "people.xlsx", "book.xlsx")
  put_fixture(client, "people.sav", "survey.sav")
  excel <- read_using(readxl::read_excel, "test-bucket/book.xlsx", sheet = 1)
  expect_identical(excel$name, c("Ann", "Bob", "Zoë"))
  spss <- read_using(haven::read_sav, "test-bucket/survey.sav")
  expect_equal(as.numeric(spss$age), c(31, 45, 27))
  seen <- NULL
  read_using(function(path) seen <<- path, "test-bucket/book.xlsx")
  expect_match(seen, "\\.xlsx$")
  expect_false(file.exists(seen))
  expect_error(read_using(function(path) {
    seen <<- path
    stop("reader failed")
  }, "test-bucket/book.xlsx"), "reader failed")
  expect_false(file.exists(seen))
})

test_that("read_using refuses a non-function and a missing object", {
  local_s3()
  expect_error(read_using("read.csv", "test-bucket/a.csv"), class = "s3tools_error",
               regexp = "needs a function as its first argument")
  error <- tryCatch(read_using(readLines, "test-bucket/missing.csv"), error = identity)
  expect_s3_class(error, "s3tools_not_found")
  expect_equal(conditionCall(error)[[1]], quote(read_using))
})

test_that("download_file_from_s3 writes the file and returns its path invisibly", {
  client <- local_s3()
  put_object(client, "a.txt", "abc")
  folder <- withr::local_tempdir()
  target <- file.path(folder, "copy.txt")
  expect_invisible(download_file_from_s3("test-bucket/a.txt", target))
  expect_identical(readLines(target, warn = FALSE), "abc")
  expect_error(download_file_from_s3("test-bucket/a.txt", target), class = "s3tools_exists")
  expect_equal(download_file_from_s3("test-bucket/a.txt", folder, overwrite = TRUE),
               file.path(folder, "a.txt"))
})

test_that("download_file_from_s3 never writes through a link planted beside the target", {
  client <- local_s3()
  put_object(client, "a.txt", "from s3")
  folder <- withr::local_tempdir()
  victim <- file.path(folder, "victim.txt")
  writeLines("precious", victim)
  out <- file.path(folder, "out")
  dir.create(out)
  # Another user's link at the partial file's name of earlier versions (its name is
  # random now).
  link <- file.path(out, ".a.txt.s3tools-partial")
  file.symlink(victim, link)
  download_file_from_s3("test-bucket/a.txt", file.path(out, "a.txt"))
  expect_identical(readLines(victim), "precious")
  expect_identical(Sys.readlink(link), victim)
  expect_identical(Sys.readlink(file.path(out, "a.txt")), "") # a file, not a link
  expect_identical(readLines(file.path(out, "a.txt"), warn = FALSE), "from s3")
})

test_that("read_using never hands over a file in a temporary folder planted as a link", {
  client <- local_s3()
  put_object(client, "a.csv", "a\n1\n")
  ram <- Sys.getenv("S3TOOLS_RAM_DIR")
  dir.create(ram)
  withr::defer(unlink(ram, recursive = TRUE))
  theirs <- withr::local_tempdir()
  Sys.chmod(theirs, "777", use_umask = FALSE)
  shared <- file.path(ram, paste0("s3tools-", system2("id", "-u", stdout = TRUE)))
  file.symlink(theirs, shared)
  seen <- read_using(function(path) {
    list(path = path, real = normalizePath(path), link = Sys.readlink(path),
         mode = format(file.info(path)$mode), rows = nrow(utils::read.csv(path)))
  }, "test-bucket/a.csv")
  expect_identical(seen$rows, 1L)
  expect_identical(seen$link, "")
  expect_identical(seen$real, seen$path)
  expect_identical(dirname(dirname(seen$path)), ram)
  expect_false(startsWith(seen$real, normalizePath(theirs)))
  expect_identical(seen$mode, "600")
  expect_identical(format(file.info(theirs)$mode), "777")
  expect_length(list.files(theirs, all.files = TRUE, no.. = TRUE), 0)
  expect_identical(Sys.readlink(shared), theirs)
})

test_that("s3_path_to_full_df is s3_path_to_df", {
  client <- local_s3()
  put_object(client, "a.csv", "a\n1\n2\n")
  expect_identical(s3_path_to_full_df("test-bucket/a.csv"), s3_path_to_df("test-bucket/a.csv"))
})

test_that("read_using hands its function a private copy (mode 0600), deleted afterwards", {
  client <- local_s3()
  put_object(client, "private.csv", "a\n1\n")
  seen <- read_using(function(path) list(path = path, mode = format(file.info(path)$mode)),
                     "test-bucket/private.csv")
  expect_identical(seen$mode, "600")
  expect_match(seen$path, "\\.csv$")
  expect_false(file.exists(seen$path))
})

test_that("a folder is listed once, and only its data files are read", {
  client <- local_s3()
  for (number in 1:2) {
    put_object(client, sprintf("out/part-%d.csv", number), sprintf("a\n%d\n", number))
  }
  put_object(client, "out/_temporary/0/part-9.csv", "a\n9\n")
  put_object(client, "out/sub_$folder$", "")
  put_object(client, "out/.hidden/x.csv", "a\n7\n")
  requests <- local_request_log()
  listings <- function() grep("^GET test-bucket/out/ ", requests(), value = TRUE)
  expect_identical(s3_path_to_df("test-bucket/out/")$a, 1:2)
  expect_length(listings(), 1)
  expect_false(any(grepl("part-9|[.]hidden|[$]folder[$]", requests())))
  seen <- integer()
  s3_path_to_chunks("test-bucket/out/", 1, function(chunk) seen <<- c(seen, chunk$a))
  expect_identical(seen, 1:2)
  expect_length(listings(), 2)
})

test_that("a whole read that would not fit in memory is refused before the object is fetched", {
  client <- local_s3()
  put_object(client, "big.csv", strrep("1234567,abcdefgh\n", 2000)) # 34,000 bytes
  put_object(client, "dcm/1.dcm", strrep("x", 20000))
  requests <- local_request_log()
  withr::local_envvar(S3TOOLS_MEMORY_LIMIT = "16KB")
  refused <- tryCatch(s3_path_to_df("test-bucket/big.csv"), error = identity)
  expect_s3_class(refused, "s3tools_too_large")
  expect_s3_class(refused, "s3tools_error")
  expect_identical(deparse(conditionCall(refused)), "s3_path_to_df(\"test-bucket/big.csv\")")
  for (text in c("test-bucket/big.csv", "16.0 KB left (S3TOOLS_MEMORY_LIMIT)",
                 "s3_path_to_preview_df()", "memory_check=FALSE", "S3TOOLS_MEMORY_CHECK=false")) {
    expect_match(conditionMessage(refused), text, fixed = TRUE)
  }
  expect_match(conditionMessage(refused), "stopped after its first part", fixed = TRUE)
  # One request: the read's own first GET, for a quarter of what is left (4 KB of the
  # 34 KB file); its answer gives the size.
  sent <- requests()
  expect_length(sent, 1)
  expect_match(sent[[1]], "^GET test-bucket/big.csv \\[bytes=0-4095\\]")
  expect_error(read_file_from_s3("test-bucket/big.csv"), class = "s3tools_too_large")
  expect_error(read_files_from_s3("test-bucket/dcm/"), class = "s3tools_too_large")
  expect_error(s3_path_to_full_df("test-bucket/big.csv"), class = "s3tools_too_large")

  expect_identical(nrow(s3_path_to_df("test-bucket/big.csv", memory_check = FALSE)), 1999L)
  expect_length(read_files_from_s3("test-bucket/dcm/", memory_check = FALSE)[[1]], 20000)
  withr::local_envvar(S3TOOLS_MEMORY_CHECK = "false")
  expect_length(read_file_from_s3("test-bucket/big.csv"), 34000)
})

# A .csv.bz2 of `mib` MiB of one character and no newline, made a piece at a time.
bz2_bomb <- function(mib) {
  bomb <- withr::local_tempfile(fileext = ".csv.bz2", .local_envir = parent.frame())
  connection <- bzfile(bomb, "wb")
  chunk <- charToRaw(strrep("a", 1024 * 1024))
  for (i in seq_len(mib)) writeBin(chunk, connection)
  close(connection)
  readBin(bomb, "raw", file.size(bomb))
}

test_that("a preview of a compression bomb is an s3tools_format error that names the limit", {
  client <- local_s3()
  put_object(client, "bomb.csv.bz2", bz2_bomb(16))
  withr::local_envvar(S3TOOLS_PREVIEW_LIMIT = "1MB")
  refused <- tryCatch(s3_path_to_preview_df("test-bucket/bomb.csv.bz2"), error = identity)
  expect_s3_class(refused, "s3tools_format")
  expect_s3_class(refused, "s3tools_error")
  expect_identical(deparse(conditionCall(refused)),
                   "s3_path_to_preview_df(\"test-bucket/bomb.csv.bz2\")")
  for (text in c("test-bucket/bomb.csv.bz2", "preview limit of 1.0 MB", "S3TOOLS_PREVIEW_LIMIT")) {
    expect_match(conditionMessage(refused), text, fixed = TRUE)
  }
  # A whole read stops the decompression once it passes what the memory check allows.
  withr::local_envvar(S3TOOLS_MEMORY_LIMIT = "4MB")
  stopped <- tryCatch(s3_path_to_df("test-bucket/bomb.csv.bz2"), error = identity)
  expect_s3_class(stopped, "s3tools_too_large")
  expect_match(conditionMessage(stopped), "once decompressed", fixed = TRUE)
})

test_that("a chunked read of a file without line breaks stops with s3tools_too_large", {
  client <- local_s3()
  put_object(client, "line.csv.bz2", bz2_bomb(16))
  withr::local_envvar(S3TOOLS_MEMORY_LIMIT = "4MB")
  seen <- 0
  stopped <- tryCatch(
    s3_path_to_chunks("test-bucket/line.csv.bz2", 1000, function(chunk) seen <<- seen + 1),
    error = identity
  )
  expect_s3_class(stopped, "s3tools_too_large")
  expect_identical(seen, 0)
  for (text in c("test-bucket/line.csv.bz2", "chunk_size", "S3TOOLS_MEMORY_CHECK=false")) {
    expect_match(conditionMessage(stopped), text, fixed = TRUE)
  }
})
