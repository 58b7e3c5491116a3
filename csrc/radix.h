/* Stable sort of (key, doc) entries by key: the join at the heart of LSH and exact dedup. */
#ifndef BOOSTPACK_RADIX_H
#define BOOSTPACK_RADIX_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Sort keys[n] ascending, moving docs[n] with them; entries with equal keys keep their input
 * order. tmp_keys[n] and tmp_docs[n] are scratch (their content is undefined afterwards).
 * Radix sort, 11-bit digits (a pass skipped where every key shares the digit): linear in n,
 * where a comparison sort's cost per entry grows with log n and cache misses. Past 64k entries
 * the top digit goes first (one scatter into 2048 buckets) and each bucket is sorted by the
 * lower digits in cache, so an entry crosses memory twice instead of once per digit. Measured
 * on random keys, one core: numpy's stable argsort plus the two gathers 197 ns per entry at
 * 1M entries, 274 at 16M; LSD alone 48-64 at 1M, 53-59 at 16M (11-bit digits were the
 * flattest of 8, 11 and 16 at 16M). */
bp_status bp_sort_entries(uint64_t *keys, uint32_t *docs, size_t n, uint64_t *tmp_keys,
                          uint32_t *tmp_docs);

#endif
