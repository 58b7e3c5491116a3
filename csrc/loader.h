/* Per-sample arrays of one packed sequence for training: labels, position_ids, cu_seqlens.
 *
 * A sequence of seq_len tokens holds n document pieces laid back to back from position 0
 * (piece p covers [starts[p], starts[p] + lengths[p])); positions past the last piece are
 * padding. Conventions (docs in boostpack.dataset):
 *  - cu_seqlens: 0, the end of every piece, and seq_len when there is padding, so the padding is
 *    one final segment and cu_seqlens[last] == seq_len always; n + 1 or n + 2 entries.
 *  - positions: restart at 0 at every piece start and at the padding start.
 *  - labels (HF convention: equal to the tokens, the model shifts): -100 at every piece start
 *    (the previous token belongs to another document, or there is none) and on padding. */
#ifndef BOOSTPACK_LOADER_H
#define BOOSTPACK_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define BP_IGNORE_INDEX (-100)

/* row: seq_len tokens of token_bytes (2 or 4) bytes each, native (little-endian)
 * order; labels may be NULL to skip them. cu_seqlens must hold n + 2 entries; *n_cu receives
 * how many were written. BP_ERR_INVALID when the pieces are not back to back from 0 or end
 * past seq_len (a corrupt index). */
bp_status bp_sample_fill(const void *row, int token_bytes, const uint32_t *starts,
                         const uint32_t *lengths, size_t n, uint32_t seq_len, int32_t *labels,
                         int32_t *positions, int32_t *cu_seqlens, size_t *n_cu);

#endif
