/* R vectors whose values live outside R's heap: the columns Python hands over.
 *
 * A column arrives as one large block of values. Allocated on R's heap, each
 * such block counts towards R's collection trigger, so reading a table sets off
 * a full garbage collection part way through: with reticulate's namespaces
 * loaded that marks well over a million objects, a cost paid on every read.
 * Here a block of 1 MiB or more is malloc'ed and the vector is an ALTREP raw,
 * integer, logical or double vector over it (R reads its values through its data
 * pointer, as any vector's); an external pointer frees the block once the vector
 * is collected.
 *
 * R's collector does not see these blocks, so this file keeps its own trigger:
 * when the blocks alive and the one asked for would pass `limit`, it runs R's
 * collector first (which frees the blocks of vectors nothing references), then
 * sets `limit` to twice what is still alive, and never below FLOOR. A vector
 * copied or serialized becomes an ordinary R vector.
 */
#include <math.h>
#include <stdlib.h>
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Altrep.h>
#include "codec.h"

#define FLOOR (512.0 * 1024 * 1024)
/* Smaller vectors are ordinary ones: each vector outside costs R a finalizer to keep. */
#define OUTSIDE_FROM (1024.0 * 1024)

static R_altrep_class_t outside_raw, outside_integer, outside_logical, outside_double;
static double alive = 0, limit = FLOOR; /* bytes */

static void let_go(SEXP pointer) {
    void *block = R_ExternalPtrAddr(pointer);
    if (block == NULL)
        return;
    alive -= REAL(R_ExternalPtrTag(pointer))[1];
    free(block);
    R_ClearExternalPtr(pointer);
}

/* The external pointer's tag: the vector's length and its block's bytes. */
static R_xlen_t outside_length(SEXP x) {
    return (R_xlen_t) REAL(R_ExternalPtrTag(R_altrep_data1(x)))[0];
}

static void *outside_dataptr(SEXP x, Rboolean writeable) {
    (void) writeable;
    return R_ExternalPtrAddr(R_altrep_data1(x));
}

static const void *outside_dataptr_or_null(SEXP x) {
    return outside_dataptr(x, FALSE);
}

static Rboolean outside_inspect(SEXP x, int pre, int deep, int pvec,
                                void (*inspect_subtree)(SEXP, int, int, int)) {
    (void) pre; (void) deep; (void) pvec; (void) inspect_subtree;
    Rprintf(" s3tools vector outside R's heap (%.0f values)\n", (double) outside_length(x));
    return TRUE;
}

static void set_methods(R_altrep_class_t class) {
    R_set_altrep_Length_method(class, outside_length);
    R_set_altrep_Inspect_method(class, outside_inspect);
    R_set_altvec_Dataptr_method(class, outside_dataptr);
    R_set_altvec_Dataptr_or_null_method(class, outside_dataptr_or_null);
}

void s3tools_init_outside(DllInfo *dll) {
    outside_raw = R_make_altraw_class("s3tools_outside_raw", "s3tools", dll);
    outside_integer = R_make_altinteger_class("s3tools_outside_integer", "s3tools", dll);
    outside_logical = R_make_altlogical_class("s3tools_outside_logical", "s3tools", dll);
    outside_double = R_make_altreal_class("s3tools_outside_double", "s3tools", dll);
    set_methods(outside_raw);
    set_methods(outside_integer);
    set_methods(outside_logical);
    set_methods(outside_double);
}

/* A new vector of `kind` (RAWSXP, INTSXP, LGLSXP or REALSXP) and `length` whose values
 * (not yet set) are outside R's heap; an ordinary vector below OUTSIDE_FROM bytes. */
SEXP s3tools_outside_vector(SEXPTYPE kind, R_xlen_t length) {
    size_t item = kind == RAWSXP ? 1 : kind == REALSXP ? sizeof(double) : sizeof(int);
    double bytes = (double) length * (double) item;
    if (bytes < OUTSIDE_FROM)
        return allocVector(kind, length);
    if (alive + bytes > limit) {
        R_gc();
        limit = fmax(FLOOR, 2 * alive);
    }
    SEXP tag = PROTECT(allocVector(REALSXP, 2));
    REAL(tag)[0] = (double) length;
    REAL(tag)[1] = bytes;
    SEXP pointer = PROTECT(R_MakeExternalPtr(NULL, tag, R_NilValue));
    R_RegisterCFinalizer(pointer, let_go);
    R_altrep_class_t class = kind == RAWSXP ? outside_raw : kind == INTSXP ? outside_integer
        : kind == LGLSXP ? outside_logical : outside_double;
    SEXP result = PROTECT(R_new_altrep(class, pointer, R_NilValue));
    void *block = malloc((size_t) bytes);
    if (block == NULL)
        error("s3tools: cannot allocate %.0f MB for a column", bytes / 1e6);
    R_SetExternalPtrAddr(pointer, block);
    alive += bytes;
    UNPROTECT(3);
    return result;
}
