/* Registers the package's routines (called from R as .Call(s3tools_strings, ...)). */
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>
#include "codec.h"

static const R_CallMethodDef routines[] = {
    {"s3tools_strings", (DL_FUNC) &s3tools_strings, 4},
    {"s3tools_numbers", (DL_FUNC) &s3tools_numbers, 2},
    {"s3tools_handed", (DL_FUNC) &s3tools_handed, 3},
    {"s3tools_coded_strings", (DL_FUNC) &s3tools_coded_strings, 4},
    {"s3tools_integer64_as_double", (DL_FUNC) &s3tools_integer64_as_double, 1},
    {"s3tools_is_lazy", (DL_FUNC) &s3tools_is_lazy, 1},
    {"s3tools_arrow_numbers", (DL_FUNC) &s3tools_arrow_numbers, 9},
    {"s3tools_arrow_text", (DL_FUNC) &s3tools_arrow_text, 10},
    {NULL, NULL, 0}
};

void R_init_s3tools(DllInfo *dll) {
    R_registerRoutines(dll, NULL, routines, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
    s3tools_init_strings(dll);
    s3tools_init_outside(dll);
}
