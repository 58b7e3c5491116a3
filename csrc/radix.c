#include "radix.h"

#include <stdlib.h>
#include <string.h>

#define DIGIT_BITS 11
#define DIGITS 6 /* 6 x 11 >= 64 */
#define BUCKETS (1u << DIGIT_BITS)
/* Below this many entries every pass is in cache anyway: plain LSD. */
#define MSD_MIN (1u << 16)

static inline unsigned digit(uint64_t key, int pass) {
    return (unsigned)(key >> (pass * DIGIT_BITS)) & (BUCKETS - 1);
}

/* LSD passes 0 .. passes-1 over keys/docs[n] (scratch tmp_*); returns 1 when the result ended
 * in tmp_*, 0 when in keys/docs. count[p][b]: how many keys have digit b in pass p (consumed).
 * A pass is skipped where every key shares the digit. */
static int lsd(uint64_t *keys, uint32_t *docs, size_t n, uint64_t *tmp_keys, uint32_t *tmp_docs,
                int passes, size_t count[][BUCKETS]) {
    uint64_t *src_k = keys, *dst_k = tmp_keys;
    uint32_t *src_d = docs, *dst_d = tmp_docs;
    for (int p = 0; p < passes; p++) {
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
    return src_k != keys;
}

static void count_digits(const uint64_t *keys, size_t n, int passes, size_t count[][BUCKETS]) {
    memset(count, 0, (size_t)passes * BUCKETS * sizeof count[0][0]);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        for (int p = 0; p < passes; p++) count[p][digit(k, p)]++;
    }
}

bp_status bp_sort_entries(uint64_t *keys, uint32_t *docs, size_t n, uint64_t *tmp_keys,
                          uint32_t *tmp_docs) {
    if (n == 0) return BP_OK;
    if (!keys || !docs || !tmp_keys || !tmp_docs) return BP_ERR_INVALID;
    /* One read of the keys counts every digit of every pass (96 KiB of counters). */
    size_t (*count)[BUCKETS] = malloc(DIGITS * sizeof *count);
    if (!count) return BP_ERR_NOMEM;
    count_digits(keys, n, DIGITS, count);
    int top = DIGITS - 1; /* the highest digit the keys do not all share */
    while (top > 0 && count[top][digit(keys[0], top)] == n) top--;
    if (n < MSD_MIN || top == 0) {
        if (lsd(keys, docs, n, tmp_keys, tmp_docs, top + 1, count)) {
            memcpy(keys, tmp_keys, n * sizeof *keys);
            memcpy(docs, tmp_docs, n * sizeof *docs);
        }
        free(count);
        return BP_OK;
    }
    /* MSD first: one stable scatter by the top digit into tmp, then each bucket (n / 2048
     * entries: in cache) sorted by the lower digits in place of its range, keys/docs as its
     * scratch, and copied back. LSD over the whole array moved every entry through memory
     * once per digit; this moves it twice, so two sorts at once no longer share the memory
     * bus for six passes each. Stable throughout: the order equals the LSD one. */
    size_t start[BUCKETS + 1], pos = 0;
    for (unsigned b = 0; b < BUCKETS; b++) {
        start[b] = pos;
        pos += count[top][b];
    }
    start[BUCKETS] = n;
    size_t fill[BUCKETS];
    memcpy(fill, start, sizeof fill);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        size_t at = fill[digit(k, top)]++;
        tmp_keys[at] = k;
        tmp_docs[at] = docs[i];
    }
    for (unsigned b = 0; b < BUCKETS; b++) {
        size_t lo = start[b], m = start[b + 1] - lo;
        if (m == 0) continue;
        int in_keys = 0; /* where the bucket's sorted entries are: keys/docs or tmp */
        if (m > 1) {
            count_digits(tmp_keys + lo, m, top, count);
            in_keys = lsd(tmp_keys + lo, tmp_docs + lo, m, keys + lo, docs + lo, top, count);
        }
        if (!in_keys) {
            memcpy(keys + lo, tmp_keys + lo, m * sizeof *keys);
            memcpy(docs + lo, tmp_docs + lo, m * sizeof *docs);
        }
    }
    free(count);
    return BP_OK;
}
