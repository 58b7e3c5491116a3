/* LSH band keys: see lsh.h. */
#include "lsh.h"

#include "hashmix.h"

bp_status bp_band_keys(const uint32_t *sig, size_t n, size_t num_perm, size_t bands, size_t rows,
                       uint64_t seed, uint64_t *out) {
    if (bands == 0 || rows == 0 || bands > num_perm / rows) {
        return BP_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t *row = sig + i * num_perm;
        for (size_t j = 0; j < bands; j++) {
            /* Seed and band index first, so equal rows in different bands get unrelated keys. */
            uint64_t h = bp_fmix64(seed ^ ((uint64_t)(j + 1) * 0x9E3779B97F4A7C15ull));
            for (size_t r = 0; r < rows; r++) {
                h = (h ^ row[j * rows + r]) * 0x9FB21C651E98DF25ull;
                h ^= h >> 29;
            }
            out[i * bands + j] = bp_fmix64(h ^ rows);
        }
    }
    return BP_OK;
}
