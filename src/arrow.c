/* Arrow columns to R vectors in one pass (python/s3tools/r_arrow.py, R/codec.R).
 *
 * Python hands each chunk of an Arrow column by address: its values buffer, its
 * validity bitmap (none when no value is null), and the chunk's offset and length
 * in values. Each value is converted as it is copied into the new R vector: whole
 * numbers to integer, double or integer64 bits, floats to double, booleans (a
 * bitmap) to logical, and a null to R's NA of that type. Timestamps arrive as
 * whole ticks with the ticks in a second (`scale`): seconds are ticks / scale.
 * Python has checked that the values fit the R type (integer: within R's int
 * range and not INT_MIN); this code checks every buffer is as long as the chunk
 * says, so a wrong record is an error, never a read beyond a buffer.
 */
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <R.h>
#include <Rinternals.h>
#include "codec.h"

typedef enum { TO_INTEGER, TO_DOUBLE, TO_INTEGER64, TO_LOGICAL } target;

typedef struct {
    const void *values;
    const uint8_t *valid; /* NULL: no value is null */
    R_xlen_t offset, length;
} chunk;

#define VALID(c, i) ((c)->valid[((c)->offset + (i)) >> 3] >> (((c)->offset + (i)) & 7) & 1)

/* out[i] = VALUE (of v[i]) for each value of chunk c, NA where it is null. */
#define EACH(c, out, VALUE, NA) \
    if ((c)->valid == NULL) { \
        for (R_xlen_t i = 0; i < (c)->length; i++) out[i] = VALUE; \
    } else { \
        for (R_xlen_t i = 0; i < (c)->length; i++) out[i] = VALID(c, i) ? VALUE : NA; \
    }

/* Fills `out` from one chunk whose values are of C type TYPE. */
#define FILL_FROM(NAME, TYPE) \
static void NAME(const chunk *c, target to, double scale, void *out) { \
    const TYPE *v = (const TYPE *) c->values + c->offset; \
    if (to == TO_INTEGER) { \
        int *o = out; \
        EACH(c, o, (int) v[i], NA_INTEGER) \
    } else if (to == TO_INTEGER64) { \
        int64_t *o = out; \
        EACH(c, o, (int64_t) v[i], INT64_MIN) \
    } else if (scale != 1) { \
        double *o = out; \
        EACH(c, o, (double) v[i] / scale, NA_REAL) \
    } else { \
        double *o = out; \
        EACH(c, o, (double) v[i], NA_REAL) \
    } \
}

FILL_FROM(from_int8, int8_t)
FILL_FROM(from_int16, int16_t)
FILL_FROM(from_int32, int32_t)
FILL_FROM(from_int64, int64_t)
FILL_FROM(from_uint8, uint8_t)
FILL_FROM(from_uint16, uint16_t)
FILL_FROM(from_uint32, uint32_t)
FILL_FROM(from_uint64, uint64_t)
FILL_FROM(from_float, float)
FILL_FROM(from_double, double)

static void from_bits(const chunk *c, target to, double scale, void *out) {
    (void) to; (void) scale;
    const uint8_t *bits = c->values;
    int *o = out;
    EACH(c, o, bits[(c->offset + i) >> 3] >> ((c->offset + i) & 7) & 1, NA_LOGICAL)
}

typedef void (*filler)(const chunk *, target, double, void *);

typedef struct {
    const char *name;
    filler fill;
    int bits; /* of one value */
    int whole; /* whole numbers (or booleans): none is lost to integer or integer64 */
} source_type;

static const source_type sources[] = {
    {"int8", from_int8, 8, 1}, {"int16", from_int16, 16, 1}, {"int32", from_int32, 32, 1},
    {"int64", from_int64, 64, 1}, {"uint8", from_uint8, 8, 1}, {"uint16", from_uint16, 16, 1},
    {"uint32", from_uint32, 32, 1}, {"uint64", from_uint64, 64, 1},
    {"float", from_float, 32, 0}, {"double", from_double, 64, 0}, {"bool", from_bits, 1, 1},
};

static const source_type *source_named(SEXP name) {
    const char *wanted = CHAR(asChar(name));
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        if (strcmp(sources[i].name, wanted) == 0)
            return &sources[i];
    }
    error("s3tools: unknown Arrow value type '%s'", wanted);
}

static target target_named(SEXP name, SEXPTYPE *kind) {
    const char *wanted = CHAR(asChar(name));
    if (strcmp(wanted, "integer") == 0) { *kind = INTSXP; return TO_INTEGER; }
    if (strcmp(wanted, "logical") == 0) { *kind = LGLSXP; return TO_LOGICAL; }
    if (strcmp(wanted, "double") == 0) { *kind = REALSXP; return TO_DOUBLE; }
    if (strcmp(wanted, "integer64") == 0) { *kind = REALSXP; return TO_INTEGER64; }
    error("s3tools: unknown R type '%s' for an Arrow column", wanted);
}

/* Bytes that `count` values of `bits` bits take, rounded up to whole bytes. */
static double bytes_for(double count, int bits) {
    return bits >= 8 ? count * (bits / 8) : ceil(count / 8);
}

/* The number of chunks in a record, once its vectors are of the types chunk_at reads and
 * of one length. */
static R_xlen_t chunk_count(SEXP values, SEXP value_sizes, SEXP valid, SEXP valid_sizes,
                            SEXP offsets, SEXP lengths) {
    if (TYPEOF(values) != STRSXP || TYPEOF(valid) != STRSXP || TYPEOF(value_sizes) != REALSXP
        || TYPEOF(valid_sizes) != REALSXP || TYPEOF(offsets) != REALSXP
        || TYPEOF(lengths) != REALSXP || XLENGTH(valid) != XLENGTH(values)
        || XLENGTH(value_sizes) != XLENGTH(values) || XLENGTH(valid_sizes) != XLENGTH(values)
        || XLENGTH(offsets) != XLENGTH(values) || XLENGTH(lengths) != XLENGTH(values))
        error("s3tools: an Arrow column's chunks must be given as addresses and sizes");
    return XLENGTH(values);
}

/* One chunk of the record, its buffers' sizes checked against its offset and length; its
 * values buffer holds `extra` values more (text: n + 1 offsets for n values). */
static chunk chunk_at(SEXP values, SEXP value_sizes, SEXP valid, SEXP valid_sizes,
                      SEXP offsets, SEXP lengths, R_xlen_t i, const source_type *source,
                      int extra) {
    double offset = REAL(offsets)[i], length = REAL(lengths)[i], end = offset + length;
    if (!R_FINITE(end) || offset < 0 || length < 0 || offset != floor(offset)
        || length != floor(length))
        error("s3tools: an Arrow chunk has no valid offset or length");
    double value_size = REAL(value_sizes)[i], valid_size = REAL(valid_sizes)[i];
    if (bytes_for(end + extra, source->bits) > value_size)
        error("s3tools: an Arrow chunk's values are shorter than its length");
    SEXP valid_at = STRING_ELT(valid, i);
    int has_valid = valid_at != NA_STRING && CHAR(valid_at)[0] != '\0';
    if (has_valid && bytes_for(end, 1) > valid_size)
        error("s3tools: an Arrow chunk's validity bitmap is shorter than its length");
    chunk c = {
        .values = length + extra > 0 ? s3tools_address_of(STRING_ELT(values, i), value_size)
            : NULL,
        .valid = has_valid ? s3tools_address_of(valid_at, valid_size) : NULL,
        .offset = (R_xlen_t) offset, .length = (R_xlen_t) length,
    };
    return c;
}

SEXP s3tools_arrow_numbers(SEXP from, SEXP to, SEXP scale, SEXP values, SEXP value_sizes,
                           SEXP valid, SEXP valid_sizes, SEXP offsets, SEXP lengths) {
    const source_type *source = source_named(from);
    SEXPTYPE kind;
    target goal = target_named(to, &kind);
    if ((source->bits == 1) != (goal == TO_LOGICAL))
        error("s3tools: Arrow booleans become logical, and only they do");
    if (!source->whole && goal != TO_DOUBLE)
        error("s3tools: Arrow floats become double");
    R_xlen_t count = chunk_count(values, value_sizes, valid, valid_sizes, offsets, lengths);
    double divisor = asReal(scale);
    if (!R_FINITE(divisor) || divisor <= 0)
        error("s3tools: an Arrow column's scale must be a positive number");
    double total = 0;
    for (R_xlen_t i = 0; i < count; i++)
        total += chunk_at(values, value_sizes, valid, valid_sizes, offsets, lengths, i,
                          source, 0).length;
    SEXP result = PROTECT(s3tools_outside_vector(kind, (R_xlen_t) total));
    size_t item = kind == REALSXP ? sizeof(double) : sizeof(int);
    char *out = kind == REALSXP ? (char *) REAL(result) : (char *) INTEGER(result);
    for (R_xlen_t i = 0; i < count; i++) {
        chunk c = chunk_at(values, value_sizes, valid, valid_sizes, offsets, lengths, i,
                           source, 0);
        if (c.length > 0)
            source->fill(&c, goal, divisor, out);
        out += (size_t) c.length * item;
    }
    UNPROTECT(1);
    return result;
}

/* Offset i of a text chunk's offsets buffer (int32 or int64). */
static int64_t offset_at(const void *offsets, int wide, R_xlen_t i) {
    return wide ? ((const int64_t *) offsets)[i] : ((const int32_t *) offsets)[i];
}

/* Text from Arrow chunks ("string": int32 offsets, "large_string": int64): each chunk's
 * bytes copied one after the other into one buffer, its offsets rebased onto it, its
 * nulls made a byte mask of NAs; then read as any text from Python (s3tools_strings,
 * which checks that the offsets rise and cover the bytes). The chunks are given as to
 * s3tools_arrow_numbers, their values buffer the offsets; `data` and `data_sizes` are
 * each chunk's bytes. */
SEXP s3tools_arrow_text(SEXP from, SEXP offsets, SEXP offset_sizes, SEXP valid, SEXP valid_sizes,
                        SEXP starts, SEXP lengths, SEXP data, SEXP data_sizes, SEXP lazy) {
    const char *type = CHAR(asChar(from));
    int wide = strcmp(type, "large_string") == 0;
    if (!wide && strcmp(type, "string") != 0)
        error("s3tools: unknown Arrow text type '%s'", type);
    const source_type offset_type = {type, NULL, wide ? 64 : 32, 1};
    R_xlen_t count = chunk_count(offsets, offset_sizes, valid, valid_sizes, starts, lengths);
    if (TYPEOF(data) != STRSXP || TYPEOF(data_sizes) != REALSXP || XLENGTH(data) != count
        || XLENGTH(data_sizes) != count)
        error("s3tools: an Arrow text column's bytes must be given as addresses and sizes");
    double values = 0, bytes = 0;
    int any_null = 0;
    for (R_xlen_t i = 0; i < count; i++) { /* n values have n + 1 offsets */
        chunk c = chunk_at(offsets, offset_sizes, valid, valid_sizes, starts, lengths, i,
                           &offset_type, 1);
        int64_t first = offset_at(c.values, wide, c.offset);
        int64_t last = offset_at(c.values, wide, c.offset + c.length);
        if (first < 0 || last < first || (double) last > REAL(data_sizes)[i])
            error("s3tools: an Arrow text chunk's offsets lie outside its bytes");
        values += (double) c.length;
        bytes += (double) (last - first);
        any_null |= c.valid != NULL;
    }
    SEXP text = PROTECT(s3tools_outside_vector(RAWSXP, (R_xlen_t) bytes));
    SEXP rebased = PROTECT(s3tools_outside_vector(RAWSXP, (R_xlen_t) (values + 1) * 8));
    SEXP missing = PROTECT(any_null ? s3tools_outside_vector(RAWSXP, (R_xlen_t) values)
                           : R_NilValue);
    char *to = (char *) RAW(text);
    int64_t *at = (int64_t *) RAW(rebased), base = 0;
    Rbyte *na = any_null ? RAW(missing) : NULL;
    for (R_xlen_t i = 0; i < count; i++) {
        chunk c = chunk_at(offsets, offset_sizes, valid, valid_sizes, starts, lengths, i,
                           &offset_type, 1);
        R_xlen_t n = c.length;
        int64_t first = offset_at(c.values, wide, c.offset);
        int64_t last = offset_at(c.values, wide, c.offset + n);
        if (last > first)
            memcpy(to + base, (const char *) s3tools_address_of(STRING_ELT(data, i),
                                                                REAL(data_sizes)[i]) + first,
                   (size_t) (last - first));
        for (R_xlen_t j = 0; j < n; j++) {
            at[j] = base + offset_at(c.values, wide, c.offset + j) - first;
            if (na != NULL)
                na[j] = c.valid != NULL && !VALID(&c, j);
        }
        at += n;
        na = na == NULL ? NULL : na + n;
        base += last - first;
    }
    *at = base;
    SEXP result = s3tools_strings(text, rebased, missing, lazy);
    UNPROTECT(3);
    return result;
}
