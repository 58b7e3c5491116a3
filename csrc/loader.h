/* Training arrays of packed sequences: labels, position_ids, cu_seqlens, one sample at a time or
 * a whole collated batch in one call.
 *
 * A sequence of seq_len tokens holds n document pieces laid back to back from position 0
 * (piece p covers [starts[p], starts[p] + lengths[p])); positions past the last piece are
 * padding. Conventions (docs in boostpack.loading.dataset):
 *  - cu_seqlens: 0, the end of every piece, and seq_len when there is padding, so the padding is
 *    one final segment and cu_seqlens[last] == seq_len always; n + 1 or n + 2 entries.
 *  - positions: restart at 0 at every piece start and at the padding start.
 *  - labels (HF convention: equal to the tokens, the model shifts): -100 at every piece start
 *    (the previous token belongs to another document, or there is none), on the first
 *    no_loss[p] tokens of piece p (the prompt, format version 2), and on padding.
 *
 * Every entry point checks a row before writing anything for it: pieces back to back from 0,
 * none empty, ending within seq_len, no_loss within its piece, document numbers below the
 * row's num_docs. A row that fails is a corrupt document index: BP_ERR_INVALID, and *bad_row (batch)
 * names it. */
#ifndef BOOSTPACK_LOADER_H
#define BOOSTPACK_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define BP_IGNORE_INDEX (-100)

/* One packed sequence as the index describes it. row: seq_len tokens of token_bytes (2 or 4)
 * bytes each, native (little-endian) order. starts/lengths/docs: its n pieces; no_loss: n
 * loss-free prefix lengths, or NULL when every token carries loss (format version 1);
 * num_docs: the dataset's document count, which bounds docs. */
typedef struct {
    const void *row;
    int token_bytes;
    const uint32_t *starts;
    const uint32_t *lengths;
    const uint32_t *no_loss;
    const uint64_t *docs;
    size_t n;
    uint64_t num_docs;
} bp_packed_row;

/* One sample: labels (NULL to skip them) and positions hold seq_len entries, cu_seqlens n + 2;
 * *n_cu receives how many cu_seqlens entries were written. */
bp_status bp_sample_fill(const bp_packed_row *row, uint32_t seq_len, int32_t *labels, int32_t *positions, int32_t *cu_seqlens, size_t *n_cu);

/* A collated batch of count rows, as boostpack.collate builds it from single samples:
 * input_ids, labels (NULL to skip) and positions are int64[count][seq_len]; cu_seqlens is
 * int32, each row's boundaries shifted by b * seq_len, ending at count * seq_len (at most
 * cu_cap entries; *n_cu receives the count); doc_ids is int64, every row's pieces in order (at
 * most doc_cap); *max_seqlen receives the longest segment. count * seq_len must fit in int32
 * (BP_ERR_OVERFLOW otherwise). On BP_ERR_INVALID *bad_row is the first corrupt row. */
bp_status bp_batch_fill(const bp_packed_row *rows, size_t count, uint32_t seq_len,
                        int64_t *input_ids, int64_t *labels,
                        int64_t *positions, int32_t *cu_seqlens, size_t cu_cap, size_t *n_cu,
                        int64_t *doc_ids, size_t doc_cap, int32_t *max_seqlen, size_t *bad_row);

#endif
