# The shared cases of tests/cases/, also run by pytest (tests/python/test_cases.py).

for (case in load_cases()) {
  test_that(paste("case", case$name), {
    local_s3()
    missing <- unlist(case_support()$missing_fixtures(case$name))
    skip_if(length(missing) > 0, paste("fixtures not present:", paste(missing, collapse = ", ")))
    for (package in unlist(case$r_packages)) skip_if_not_installed(package)
    local_dir <- withr::local_tempdir()
    outcome <- run_case(case, getOption("s3tools.test_endpoint"), local_dir)
    problems <- unlist(case_support()$check_json(case$name, outcome$result, outcome$after))
    expect(length(problems) == 0, paste(c(case$name, problems), collapse = "\n"))
  })
}
