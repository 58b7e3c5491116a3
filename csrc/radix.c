#include "radix.h"

#include <string.h>

#define DIGIT_BITS 11
#define DIGITS 6 /* 6 x 11 >= 64 */
#define BUCKETS (1u << DIGIT_BITS)

static inline unsigned digit(uint64_t key, int pass) {
    return (unsigned)(key >> (pass * DIGIT_BITS)) & (BUCKETS - 1);
}

bp_status bp_sort_entries(uint64_t *keys, uint32_t *docs, size_t n, uint64_t *tmp_keys,
                          uint32_t *tmp_docs) {
    if (n == 0) return BP_OK;
    if (!keys || !docs || !tmp_keys || !tmp_docs) return BP_ERR_INVALID;
    /* One read of the keys counts every digit of every pass (96 KiB of counters). */
    size_t count[DIGITS][BUCKETS];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        for (int p = 0; p < DIGITS; p++) count[p][digit(k, p)]++;
    }
    uint64_t *src_k = keys, *dst_k = tmp_keys;
    uint32_t *src_d = docs, *dst_d = tmp_docs;
    for (int p = 0; p < DIGITS; p++) {
        /* A digit every key shares moves nothing: skip the pass (common for the top digit of
         * keys below 2^55, and for small inputs). */
        if (count[p][digit(src_k[0], p)] == n) continue;
        size_t pos = 0;
        for (unsigned b = 0; b < BUCKETS; b++) {
            size_t c = count[p][b];
            count[p][b] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = src_k[i];
            size_t at = count[p][digit(k, p)]++;
            dst_k[at] = k;
            dst_d[at] = src_d[i];
        }
        uint64_t *tk = src_k; src_k = dst_k; dst_k = tk;
        uint32_t *td = src_d; src_d = dst_d; dst_d = td;
    }
    if (src_k != keys) {
        memcpy(keys, src_k, n * sizeof *keys);
        memcpy(docs, src_d, n * sizeof *docs);
    }
    return BP_OK;
}
