/* LSH band keys of MinHash signatures. */
#ifndef BOOSTPACK_LSH_H
#define BOOSTPACK_LSH_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Band keys of n signatures sig[n * num_perm]: out[i * bands + j] is a 64-bit hash of rows
 * sig[i, j*rows : (j+1)*rows] with j and seed mixed in; bands * rows <= num_perm. */
bp_status bp_band_keys(const uint32_t *sig, size_t n, size_t num_perm, size_t bands, size_t rows,
                       uint64_t seed, uint64_t *out);

#endif
