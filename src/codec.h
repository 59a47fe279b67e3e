#ifndef S3TOOLS_CODEC_H
#define S3TOOLS_CODEC_H
#include <Rinternals.h>
#include <R_ext/Rdynload.h>

SEXP s3tools_strings(SEXP data, SEXP offsets, SEXP missing, SEXP lazy);
SEXP s3tools_numbers(SEXP data, SEXP type);
SEXP s3tools_handed(SEXP address, SEXP size, SEXP type);
SEXP s3tools_coded_strings(SEXP levels, SEXP address, SEXP size, SEXP lazy);
SEXP s3tools_integer64_as_double(SEXP bits);
SEXP s3tools_is_lazy(SEXP x);
SEXP s3tools_arrow_numbers(SEXP from, SEXP to, SEXP scale, SEXP values, SEXP value_sizes,
                           SEXP valid, SEXP valid_sizes, SEXP offsets, SEXP lengths);
SEXP s3tools_arrow_text(SEXP from, SEXP offsets, SEXP offset_sizes, SEXP valid, SEXP valid_sizes,
                        SEXP starts, SEXP lengths, SEXP data, SEXP data_sizes, SEXP lazy);
const void *s3tools_address_of(SEXP text, double bytes);
void s3tools_init_strings(DllInfo *dll);
void s3tools_init_outside(DllInfo *dll);
SEXP s3tools_outside_vector(SEXPTYPE kind, R_xlen_t length);

#endif
