/* Pass 1 of shingling: the unit hashes of one document, as minhash.h defines units and their
 * hashes. Internal to the signature kernel (minhash.c), not part of the C API. */
#ifndef BOOSTPACK_UNITS_H
#define BOOSTPACK_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Room every unit array needs past len values: the vector paths store whole vectors. */
#define BP_UNITS_SLACK 64

typedef struct bp_units bp_units;

/* A unit hasher for documents of at most `longest` bytes (<= BP_MAX_DOCUMENT, else
 * BP_ERR_OVERFLOW), shingle mode `mode` (BP_SHINGLE_*), digit mode `digits` (BP_DIGITS_*), using
 * at most instruction set `isa` (BP_ISA_*, cpu.h). The arguments are checked by the caller. */
bp_status bp_units_new(size_t longest, int mode, int digits, int isa, bp_units **out);
void bp_units_free(bp_units *units);

/* The unit hashes of s[0:len] (len <= longest) in text order into u, which has room for
 * len + BP_UNITS_SLACK values; returns how many, m, and sets the 16 values past m to 0. */
size_t bp_units_of(bp_units *units, const uint8_t *s, size_t len, uint32_t *u);

#endif
