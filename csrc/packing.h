/* Packing documents into fixed-length sequences: planning (which piece of which item goes where)
 * and filling (copying token ids into the sequence rows). Pure C11 over caller-owned buffers;
 * every function returns a bp_status.
 *
 * An "item" is a run of tokens to pack: a whole document, or (concat) the unemitted rest of a
 * document carried over from the previous window. A "piece" is a contiguous slice of one item
 * placed in one sequence. Pieces of a sequence lie back to back from position 0; the rest of
 * the sequence is padding. */
#ifndef BOOSTPACK_PACKING_H
#define BOOSTPACK_PACKING_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum {
    /* Items of at most seq_len tokens are never split. Longer items are cut into seq_len-token
     * pieces, each its own sequence (emitted first, in item order); only their tails are packed.
     * Packing is best-fit-decreasing: tails sorted by length (descending, ties by item index),
     * each into the open sequence with the least room that still fits it (ties: the most
     * recently filled), else a new sequence. Sequences are emitted in the order they opened. */
    BP_PACK_BESTFIT = 0,
    /* Items concatenated in order and cut every seq_len tokens. */
    BP_PACK_CONCAT = 1,
    /* One item per sequence; longer items cut into seq_len pieces, the tail padded. */
    BP_PACK_PAD = 2,
} bp_pack_strategy;

typedef struct {
    size_t num_sequences;  /* sequences written to seq_ptr */
    size_t num_pieces;     /* pieces written; seq_ptr[num_sequences] == num_pieces */
    size_t carry_item;     /* concat without flush: first item not completely emitted (else n) */
    uint64_t carry_offset; /* tokens of carry_item already emitted */
} bp_pack_result;

/* Upper bound on sequences and on pieces any strategy produces for these items:
 * n + (sum of item_len) / seq_len + 1. Returns BP_ERR_OVERFLOW if it does not fit size_t. */
bp_status bp_pack_bound(const uint64_t *item_len, size_t n, uint32_t seq_len, size_t *bound);

/* Plan the packing of n items (item_len[i] >= 1 tokens each) into sequences of seq_len tokens.
 * Outputs: seq_ptr[0..num_sequences] (seq_cap + 1 entries available), and per piece its item,
 * its offset inside the item, its start inside the sequence and its length (piece_cap entries
 * available). flush (concat only): 0 keeps an incomplete last sequence unemitted and reports
 * where it begins (carry_item, carry_offset), for the caller to prepend to the next window;
 * 1 emits it padded. Capacities from bp_pack_bound always suffice. */
bp_status bp_pack_plan(int strategy, uint32_t seq_len, const uint64_t *item_len, size_t n,
                       int flush, uint64_t *seq_ptr, size_t seq_cap, uint32_t *piece_item,
                       uint64_t *piece_offset, uint32_t *piece_start, uint32_t *piece_len,
                       size_t piece_cap, bp_pack_result *result);

/* Copy the pieces into rows: out[s * seq_len + piece_start..] = ids[piece_src..piece_src+len],
 * padding (pad_id) after each row's last piece. Pieces of sequence s are
 * seq_ptr[s]..seq_ptr[s+1] (at most n_pieces) and are laid back to back from position 0. out holds
 * n_seq * seq_len entries. The _u16 variant fails with BP_ERR_INVALID on an id > 65535. */
bp_status bp_pack_fill_u32(const uint32_t *ids, size_t n_ids, const uint64_t *piece_src,
                           const uint32_t *piece_len, size_t n_pieces, const uint64_t *seq_ptr,
                           size_t n_seq, uint32_t seq_len, uint32_t pad_id, uint32_t *out);
bp_status bp_pack_fill_u16(const uint32_t *ids, size_t n_ids, const uint64_t *piece_src,
                           const uint32_t *piece_len, size_t n_pieces, const uint64_t *seq_ptr,
                           size_t n_seq, uint32_t seq_len, uint32_t pad_id, uint16_t *out);

/* Frame documents with optional BOS/EOS: document d = ids[offsets[d]..offsets[d+1]] becomes
 * [bos] + ids + [eos] in out (a negative bos/eos means none). out_offsets gets n_docs + 1
 * entries; out needs offsets[n_docs] - offsets[0] + n_docs * (bos>=0) + n_docs * (eos>=0)
 * entries (out_cap). */
bp_status bp_frame_documents(const uint32_t *ids, size_t n_ids, const int64_t *offsets,
                             size_t n_docs, int64_t bos, int64_t eos, uint32_t *out,
                             size_t out_cap, int64_t *out_offsets);

#endif
