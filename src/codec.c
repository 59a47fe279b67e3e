/* The R side of the column codec (R/codec.R, python/s3tools/r_codec.py).
 *
 * Python sends each column as buffers in R's own layout, handed over by
 * address and copied once (s3tools_handed): numbers as little-endian int32 /
 * float64 with R's NA patterns already written in, and text as Arrow's two
 * buffers (the UTF-8 bytes of every value one after the other, and n + 1
 * int64 offsets into them) with a byte mask of NAs. Columns Python holds as
 * Arrow chunks are converted by src/arrow.c instead; large vectors keep their
 * values outside R's heap (src/outside.c).
 *
 * Text becomes either a plain character vector (every string made now) or an
 * ALTREP character vector that keeps R-owned copies of those buffers and makes
 * a string only when it is first asked for, keeping it for the next time:
 * creating millions of R strings is most of the cost of reading a table into
 * R, and much of a table is never looked at. The rest is made at once when R
 * asks for the vector's data pointer or sets an element; the buffers are then
 * let go. Such a vector has no serialisation method of its own, so
 * serialize() and saveRDS() write a plain
 * character vector.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Altrep.h>
#include "codec.h"

static R_altrep_class_t lazy_strings_class;
static R_altrep_class_t coded_strings_class;
static void init_coded_strings(DllInfo *dll);

/* ------------------------------------------------------------- the buffers */

typedef struct {
    const char *data;
    const int64_t *offsets;
    const Rbyte *missing; /* NULL when no value is NA */
    R_xlen_t length;
} text_buffers;

static R_xlen_t checked_length(SEXP data, SEXP offsets, SEXP missing) {
    if (TYPEOF(data) != RAWSXP || TYPEOF(offsets) != RAWSXP)
        error("s3tools: text buffers must be raw vectors");
    if (XLENGTH(offsets) % 8 != 0 || XLENGTH(offsets) < 8)
        error("s3tools: text offsets must be n + 1 64-bit integers");
    R_xlen_t length = XLENGTH(offsets) / 8 - 1;
    if (missing != R_NilValue && (TYPEOF(missing) != RAWSXP || XLENGTH(missing) != length))
        error("s3tools: the NA mask must be a raw vector of one byte a value");
    /* Once here, every string lies inside the data: elements need no checks. */
    const int64_t *at = (const int64_t *) RAW(offsets);
    if (at[0] != 0 || at[length] != (int64_t) XLENGTH(data))
        error("s3tools: text offsets do not cover the data");
    for (R_xlen_t i = 0; i < length; i++) {
        if (at[i + 1] < at[i] || at[i + 1] - at[i] > INT_MAX)
            error("s3tools: text offsets are not increasing at %ld", (long) i);
    }
    return length;
}

static text_buffers buffers_of(SEXP data, SEXP offsets, SEXP missing) {
    text_buffers buffers = {(const char *) RAW(data), (const int64_t *) RAW(offsets),
                            missing == R_NilValue ? NULL : RAW(missing),
                            XLENGTH(offsets) / 8 - 1};
    return buffers;
}

static SEXP string_at(const text_buffers *buffers, R_xlen_t i) {
    if (buffers->missing != NULL && buffers->missing[i])
        return NA_STRING;
    int64_t start = buffers->offsets[i];
    /* R marks a string that is all ASCII as such, whatever encoding it is given. */
    return mkCharLenCE(buffers->data + start, (int) (buffers->offsets[i + 1] - start), CE_UTF8);
}

static SEXP all_strings(const text_buffers *buffers) {
    SEXP result = PROTECT(allocVector(STRSXP, buffers->length));
    for (R_xlen_t i = 0; i < buffers->length; i++)
        SET_STRING_ELT(result, i, string_at(buffers, i));
    UNPROTECT(1);
    return result;
}

/* --------------------------------------------------- the lazy character vector */

/* data1: list(data, offsets, missing) until every string is made, then NULL.
 * data2: NULL until the first element is asked for, then a character vector
 * of the strings made so far; the others are still "" there (an empty string
 * is cheap to make again, so "" also means "not made yet"). */

static SEXP held_buffers(SEXP x, text_buffers *buffers) {
    SEXP held = R_altrep_data1(x);
    *buffers = buffers_of(VECTOR_ELT(held, 0), VECTOR_ELT(held, 1), VECTOR_ELT(held, 2));
    return held;
}

static SEXP strings_so_far(SEXP x, R_xlen_t length) {
    SEXP strings = R_altrep_data2(x);
    if (strings == R_NilValue) {
        strings = PROTECT(allocVector(STRSXP, length)); /* all "" */
        R_set_altrep_data2(x, strings);
        UNPROTECT(1);
    }
    return strings;
}

static R_xlen_t lazy_length(SEXP x) {
    SEXP held = R_altrep_data1(x);
    if (held == R_NilValue)
        return XLENGTH(R_altrep_data2(x));
    return XLENGTH(VECTOR_ELT(held, 1)) / 8 - 1;
}

static SEXP lazy_element(SEXP x, R_xlen_t i) {
    if (R_altrep_data1(x) == R_NilValue)
        return STRING_ELT(R_altrep_data2(x), i);
    text_buffers buffers;
    held_buffers(x, &buffers);
    SEXP strings = strings_so_far(x, buffers.length);
    SEXP value = STRING_ELT(strings, i);
    if (value != R_BlankString)
        return value;
    value = string_at(&buffers, i);
    SET_STRING_ELT(strings, i, value);
    return value;
}

/* Every string made: R wants the vector's memory, or to change it. */
static SEXP made(SEXP x) {
    if (R_altrep_data1(x) == R_NilValue)
        return R_altrep_data2(x);
    text_buffers buffers;
    held_buffers(x, &buffers);
    SEXP strings = strings_so_far(x, buffers.length);
    for (R_xlen_t i = 0; i < buffers.length; i++) {
        if (STRING_ELT(strings, i) == R_BlankString)
            SET_STRING_ELT(strings, i, string_at(&buffers, i));
    }
    R_set_altrep_data1(x, R_NilValue); /* the buffers can go */
    return strings;
}

static void lazy_set_element(SEXP x, R_xlen_t i, SEXP value) {
    SET_STRING_ELT(made(x), i, value);
}

static void *lazy_dataptr(SEXP x, Rboolean writeable) {
    (void) writeable;
    return DATAPTR(made(x));
}

/* Both lazy classes: the made vector's data once made (data1 let go), none before. */
static const void *made_dataptr_or_null(SEXP x) {
    return R_altrep_data1(x) == R_NilValue ? DATAPTR(R_altrep_data2(x)) : NULL;
}

static int lazy_no_na(SEXP x) {
    SEXP held = R_altrep_data1(x);
    /* Unknown once made: elements may have been set since. */
    return held != R_NilValue && VECTOR_ELT(held, 2) == R_NilValue;
}

/* What .Internal(inspect()) says of one of these vectors: its class, and whether its
 * plain character vector has been made (data1 is NULL then, for both classes). */
static Rboolean inspect_state(SEXP x, const char *kind, const char *pending) {
    Rprintf(" s3tools %s (%s)\n", kind, R_altrep_data1(x) == R_NilValue ? "all made" : pending);
    return TRUE;
}

static Rboolean lazy_inspect(SEXP x, int pre, int deep, int pvec,
                             void (*inspect_subtree)(SEXP, int, int, int)) {
    (void) pre, (void) deep, (void) pvec, (void) inspect_subtree;
    return inspect_state(x, "lazy strings", "made when used");
}

void s3tools_init_strings(DllInfo *dll) {
    lazy_strings_class = R_make_altstring_class("lazy_strings", "s3tools", dll);
    R_set_altrep_Length_method(lazy_strings_class, lazy_length);
    R_set_altrep_Inspect_method(lazy_strings_class, lazy_inspect);
    R_set_altvec_Dataptr_method(lazy_strings_class, lazy_dataptr);
    R_set_altvec_Dataptr_or_null_method(lazy_strings_class, made_dataptr_or_null);
    R_set_altstring_Elt_method(lazy_strings_class, lazy_element);
    R_set_altstring_Set_elt_method(lazy_strings_class, lazy_set_element);
    R_set_altstring_No_NA_method(lazy_strings_class, lazy_no_na);
    init_coded_strings(dll);
}

/* ------------------------------------------------ the coded character vector */

/* Text sent as distinct values and codes into them (a Parquet dictionary and its
 * indices). data1: list(levels, codes) until R wants the vector's memory, then NULL;
 * data2: NULL until then, then the plain character vector. An element is the string
 * of its value, which exists already: nothing is made until the memory is wanted.
 * The codes were checked when the vector was made (1 to the number of values, or NA). */

static SEXP coded_made(SEXP x) {
    SEXP held = R_altrep_data1(x);
    if (held == R_NilValue)
        return R_altrep_data2(x);
    SEXP levels = VECTOR_ELT(held, 0), codes = VECTOR_ELT(held, 1);
    R_xlen_t length = XLENGTH(codes);
    const int *code = INTEGER(codes);
    SEXP strings = PROTECT(allocVector(STRSXP, length));
    for (R_xlen_t i = 0; i < length; i++)
        SET_STRING_ELT(strings, i, code[i] == NA_INTEGER ? NA_STRING
                       : STRING_ELT(levels, code[i] - 1));
    R_set_altrep_data2(x, strings);
    R_set_altrep_data1(x, R_NilValue);
    UNPROTECT(1);
    return strings;
}

static R_xlen_t coded_length(SEXP x) {
    SEXP held = R_altrep_data1(x);
    return XLENGTH(held == R_NilValue ? R_altrep_data2(x) : VECTOR_ELT(held, 1));
}

static SEXP coded_element(SEXP x, R_xlen_t i) {
    SEXP held = R_altrep_data1(x);
    if (held == R_NilValue)
        return STRING_ELT(R_altrep_data2(x), i);
    int code = INTEGER(VECTOR_ELT(held, 1))[i];
    return code == NA_INTEGER ? NA_STRING : STRING_ELT(VECTOR_ELT(held, 0), code - 1);
}

static void coded_set_element(SEXP x, R_xlen_t i, SEXP value) {
    SET_STRING_ELT(coded_made(x), i, value);
}

static void *coded_dataptr(SEXP x, Rboolean writeable) {
    (void) writeable;
    return DATAPTR(coded_made(x));
}

static Rboolean coded_inspect(SEXP x, int pre, int deep, int pvec,
                              void (*inspect_subtree)(SEXP, int, int, int)) {
    (void) pre, (void) deep, (void) pvec, (void) inspect_subtree;
    return inspect_state(x, "coded strings", "values and codes");
}

static void init_coded_strings(DllInfo *dll) {
    coded_strings_class = R_make_altstring_class("coded_strings", "s3tools", dll);
    R_set_altrep_Length_method(coded_strings_class, coded_length);
    R_set_altrep_Inspect_method(coded_strings_class, coded_inspect);
    R_set_altvec_Dataptr_method(coded_strings_class, coded_dataptr);
    R_set_altvec_Dataptr_or_null_method(coded_strings_class, made_dataptr_or_null);
    R_set_altstring_Elt_method(coded_strings_class, coded_element);
    R_set_altstring_Set_elt_method(coded_strings_class, coded_set_element);
}

/* ----------------------------------------------------------- entry points */

SEXP s3tools_strings(SEXP data, SEXP offsets, SEXP missing, SEXP lazy) {
    R_xlen_t length = checked_length(data, offsets, missing);
    if (!asLogical(lazy) || length == 0) {
        text_buffers buffers = buffers_of(data, offsets, missing);
        return all_strings(&buffers);
    }
    SEXP held = PROTECT(allocVector(VECSXP, 3));
    SET_VECTOR_ELT(held, 0, data);
    SET_VECTOR_ELT(held, 1, offsets);
    SET_VECTOR_ELT(held, 2, missing);
    SEXP result = R_new_altrep(lazy_strings_class, held, R_NilValue);
    UNPROTECT(1);
    return result;
}

/* "raw", "integer", "logical" or "double": the R type, and the bytes of one value. */
static SEXPTYPE number_type(SEXP type, size_t *item) {
#ifdef WORDS_BIGENDIAN
    error("s3tools: columns from Python are little-endian; this machine is not");
#endif
    const char *name = CHAR(asChar(type));
    SEXPTYPE kind = strcmp(name, "double") == 0 ? REALSXP
        : strcmp(name, "integer") == 0 ? INTSXP
        : strcmp(name, "logical") == 0 ? LGLSXP
        : strcmp(name, "raw") == 0 ? RAWSXP : NILSXP;
    if (kind == NILSXP)
        error("s3tools: unknown number type '%s'", name);
    *item = kind == REALSXP ? sizeof(double) : kind == RAWSXP ? 1 : sizeof(int);
    return kind;
}

/* A new vector of `kind` holding a copy of `bytes` bytes at `from`. */
static SEXP copied(SEXPTYPE kind, size_t item, const void *from, size_t bytes) {
    SEXP result = PROTECT(allocVector(kind, (R_xlen_t) (bytes / item)));
    if (bytes > 0)
        memcpy(kind == RAWSXP ? (void *) RAW(result)
               : kind == REALSXP ? (void *) REAL(result) : (void *) INTEGER(result),
               from, bytes);
    UNPROTECT(1);
    return result;
}

SEXP s3tools_numbers(SEXP data, SEXP type) {
    size_t item;
    SEXPTYPE kind = number_type(type, &item);
    if (TYPEOF(data) != RAWSXP)
        error("s3tools: a column's buffer must be a raw vector");
    if ((size_t) XLENGTH(data) % item != 0)
        error("s3tools: a column of %s is not a whole number of values", CHAR(asChar(type)));
    return copied(kind, item, RAW(data), (size_t) XLENGTH(data));
}

/* The address (hex) of one buffer Python holds, checked. */
const void *s3tools_address_of(SEXP text, double bytes) {
    if (text == NA_STRING)
        error("s3tools: a buffer's address must be a string");
    const char *hex = CHAR(text);
    char *end = NULL;
    errno = 0;
    unsigned long long at = strtoull(hex, &end, 16);
    if (*hex == '\0' || *end != '\0' || errno != 0)
        error("s3tools: '%s' is not a buffer address", hex);
    if (!R_FINITE(bytes) || bytes < 0 || bytes != floor(bytes) || (bytes > 0 && at == 0))
        error("s3tools: a buffer from Python has no valid size or address");
    return (const void *) (uintptr_t) at;
}

/* Buffers Python holds (python/s3tools/r_records.py, hand()), given by their addresses
 * (hex) and sizes: R and Python share the process. Checked, then copied once, one after
 * the other, into one new vector (the chunks of an Arrow column are several). */
SEXP s3tools_handed(SEXP address, SEXP size, SEXP type) {
    size_t item;
    SEXPTYPE kind = number_type(type, &item);
    if (TYPEOF(address) != STRSXP || TYPEOF(size) != REALSXP || XLENGTH(address) != XLENGTH(size))
        error("s3tools: buffers must be given as addresses (strings) and sizes (doubles)");
    R_xlen_t count = XLENGTH(address);
    const double *sizes = REAL(size);
    double total = 0;
    for (R_xlen_t i = 0; i < count; i++) {
        s3tools_address_of(STRING_ELT(address, i), sizes[i]);
        if ((size_t) sizes[i] % item != 0)
            error("s3tools: a column of %s is not a whole number of values", CHAR(asChar(type)));
        total += sizes[i];
    }
    SEXP result = PROTECT(s3tools_outside_vector(kind, (R_xlen_t) (total / item)));
    char *to = kind == RAWSXP ? (char *) RAW(result)
        : kind == REALSXP ? (char *) REAL(result) : (char *) INTEGER(result);
    for (R_xlen_t i = 0; i < count; i++) {
        size_t bytes = (size_t) sizes[i];
        if (bytes > 0)
            memcpy(to, s3tools_address_of(STRING_ELT(address, i), sizes[i]), bytes);
        to += bytes;
    }
    UNPROTECT(1);
    return result;
}

/* Strings given as distinct values and 1-based codes into them (NA_INTEGER for NA): the
 * codes are read where Python holds them (one buffer, given as for s3tools_handed) and
 * copied once; each string is the one of its value, made once. `lazy`: the vector makes
 * its elements only when its memory is wanted. */
SEXP s3tools_coded_strings(SEXP levels, SEXP address, SEXP size, SEXP lazy) {
    if (TYPEOF(levels) != STRSXP)
        error("s3tools: the distinct values of coded text must be a character vector");
    if (TYPEOF(address) != STRSXP || XLENGTH(address) != 1 || TYPEOF(size) != REALSXP
        || XLENGTH(size) != 1 || (size_t) REAL(size)[0] % sizeof(int) != 0)
        error("s3tools: text codes must be one buffer of 32-bit integers");
    const int *code = (const int *) s3tools_address_of(STRING_ELT(address, 0), REAL(size)[0]);
    R_xlen_t length = (R_xlen_t) (REAL(size)[0] / sizeof(int)), count = XLENGTH(levels);
    for (R_xlen_t i = 0; i < length; i++) {
        if (code[i] != NA_INTEGER && (code[i] < 1 || code[i] > count))
            error("s3tools: a text code (%d) is not one of %ld values", code[i], (long) count);
    }
    SEXP codes = PROTECT(s3tools_outside_vector(INTSXP, length));
    if (length > 0)
        memcpy(INTEGER(codes), code, (size_t) length * sizeof(int));
    SEXP held = PROTECT(allocVector(VECSXP, 2));
    SET_VECTOR_ELT(held, 0, levels);
    SET_VECTOR_ELT(held, 1, codes);
    SEXP result = PROTECT(R_new_altrep(coded_strings_class, held, R_NilValue));
    if (!asLogical(lazy))
        result = coded_made(result); /* a plain character vector */
    UNPROTECT(3);
    return result;
}

/* bit64's integer64 (int64 bits in a double vector) as doubles: NA_integer64_ (INT64_MIN)
 * is NA; beyond 2^53 the nearest double. */
SEXP s3tools_integer64_as_double(SEXP bits) {
    if (TYPEOF(bits) != REALSXP)
        error("s3tools: 64-bit integers must arrive in a double vector");
    R_xlen_t length = XLENGTH(bits);
    SEXP result = PROTECT(allocVector(REALSXP, length));
    const double *from = REAL(bits);
    double *to = REAL(result);
    for (R_xlen_t i = 0; i < length; i++) {
        int64_t value;
        memcpy(&value, from + i, sizeof value);
        to[i] = value == INT64_MIN ? NA_REAL : (double) value;
    }
    UNPROTECT(1);
    return result;
}

SEXP s3tools_is_lazy(SEXP x) {
    return ScalarLogical((R_altrep_inherits(x, lazy_strings_class)
                          || R_altrep_inherits(x, coded_strings_class))
                         && R_altrep_data1(x) != R_NilValue);
}
