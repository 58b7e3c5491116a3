/* See loader.h. The fills are simple counted loops over contiguous arrays, compiled once per
 * instruction set (BP_TARGET_CLONES), so the compiler vectorizes them: a widening copy for
 * tokens and labels, an incrementing fill for positions. A sample's cost is memory traffic:
 * reading its token row and writing the arrays. */
#include "loader.h"

#include "cpu.h"

/* Whether row r is a valid layout (see loader.h); *end receives where its last piece ends. */
static int row_valid(const bp_packed_row *r, uint32_t seq_len, uint32_t *end) {
    if (r->token_bytes != 2 && r->token_bytes != 4) return 0;
    uint64_t pos = 0;
    for (size_t p = 0; p < r->n; p++) {
        if (r->starts[p] != pos || r->lengths[p] == 0 || r->docs[p] >= r->num_docs) return 0;
        if (r->no_loss != NULL && r->no_loss[p] > r->lengths[p]) return 0;
        pos += r->lengths[p];
        if (pos > seq_len) return 0;
    }
    *end = (uint32_t)pos;
    return 1;
}

/* The fill of one valid row ending at `end`, for output integers of type T (int32_t for single
 * samples, int64_t for batches): ids (when not NULL) every token; labels (when not NULL) the
 * tokens up to `end`, then BP_IGNORE_INDEX, with each piece's first token and loss-free prefix
 * masked; positions restarting at every piece and at the padding. */
#define BP_COPY_TOKENS(TOKEN)                                                                 \
    do {                                                                                      \
        const TOKEN *tok = (const TOKEN *)r->row;                                             \
        if (ids != NULL && labels != NULL) {                                                  \
            for (uint32_t t = 0; t < end; t++) ids[t] = labels[t] = tok[t];                   \
            for (uint32_t t = end; t < seq_len; t++) ids[t] = tok[t];                         \
        } else if (ids != NULL) {                                                             \
            for (uint32_t t = 0; t < seq_len; t++) ids[t] = tok[t];                           \
        } else if (labels != NULL) {                                                          \
            for (uint32_t t = 0; t < end; t++) labels[t] = tok[t];                            \
        }                                                                                     \
    } while (0)

#define BP_DEFINE_ROW_FILL(NAME, T)                                                           \
    BP_TARGET_CLONES                                                                          \
    static void NAME(const bp_packed_row *r, uint32_t end, uint32_t seq_len, T *ids,          \
                     T *labels, T *positions) {                                               \
        if (r->token_bytes == 2) {                                                            \
            BP_COPY_TOKENS(uint16_t);                                                         \
        } else {                                                                              \
            BP_COPY_TOKENS(uint32_t);                                                         \
        }                                                                                     \
        if (labels != NULL) {                                                                 \
            for (uint32_t t = end; t < seq_len; t++) labels[t] = BP_IGNORE_INDEX;             \
            for (size_t p = 0; p < r->n; p++) {                                               \
                uint32_t masked = r->no_loss != NULL && r->no_loss[p] > 1 ? r->no_loss[p] : 1; \
                T *dst = labels + r->starts[p];                                               \
                for (uint32_t t = 0; t < masked; t++) dst[t] = BP_IGNORE_INDEX;               \
            }                                                                                 \
        }                                                                                     \
        for (size_t p = 0; p < r->n; p++) {                                                   \
            T *dst = positions + r->starts[p];                                                \
            uint32_t length = r->lengths[p]; /* a local: stores through dst may alias it */   \
            for (uint32_t t = 0; t < length; t++) dst[t] = (T)t;                              \
        }                                                                                     \
        for (uint32_t t = end; t < seq_len; t++) positions[t] = (T)(t - end);                 \
    }

BP_DEFINE_ROW_FILL(fill_row32, int32_t)
BP_DEFINE_ROW_FILL(fill_row64, int64_t)

bp_status bp_sample_fill(const bp_packed_row *row, uint32_t seq_len, int32_t *labels,
                         int32_t *positions, int32_t *cu_seqlens, size_t *n_cu) {
    if (seq_len > (uint32_t)INT32_MAX) return BP_ERR_OVERFLOW;
    uint32_t end;
    if (!row_valid(row, seq_len, &end)) return BP_ERR_INVALID;
    fill_row32(row, end, seq_len, NULL, labels, positions);
    size_t k = 0;
    cu_seqlens[k++] = 0;
    for (size_t p = 0; p < row->n; p++) cu_seqlens[k++] = (int32_t)(row->starts[p] + row->lengths[p]);
    if (end < seq_len) cu_seqlens[k++] = (int32_t)seq_len;
    *n_cu = k;
    return BP_OK;
}

bp_status bp_batch_fill(const bp_packed_row *rows, size_t count, uint32_t seq_len,
                        int64_t *input_ids, int64_t *labels,
                        int64_t *positions, int32_t *cu_seqlens, size_t cu_cap, size_t *n_cu,
                        int64_t *doc_ids, size_t doc_cap, int32_t *max_seqlen, size_t *bad_row) {
    if (count == 0 || seq_len == 0 || (uint64_t)count * seq_len > (uint64_t)INT32_MAX) {
        return BP_ERR_OVERFLOW;
    }
    /* Check every row and the output capacities before writing anything. */
    size_t need_cu = 1, need_docs = 0;
    for (size_t b = 0; b < count; b++) {
        uint32_t end;
        if (!row_valid(&rows[b], seq_len, &end)) {
            *bad_row = b;
            return BP_ERR_INVALID;
        }
        need_cu += rows[b].n + (end < seq_len);
        need_docs += rows[b].n;
    }
    if (need_cu > cu_cap || need_docs > doc_cap) return BP_ERR_CAPACITY;

    size_t k = 0, d = 0;
    int32_t longest = 0, prev = 0;
    cu_seqlens[k++] = 0;
    for (size_t b = 0; b < count; b++) {
        const bp_packed_row *r = &rows[b];
        size_t at = b * (size_t)seq_len;
        uint32_t end = r->n ? r->starts[r->n - 1] + r->lengths[r->n - 1] : 0;
        fill_row64(r, end, seq_len, input_ids + at, labels != NULL ? labels + at : NULL,
                   positions + at);
        int32_t base = (int32_t)at;
        for (size_t p = 0; p < r->n; p++) {
            int32_t bound = base + (int32_t)(r->starts[p] + r->lengths[p]);
            longest = bound - prev > longest ? bound - prev : longest;
            cu_seqlens[k++] = prev = bound;
            doc_ids[d++] = (int64_t)r->docs[p];
        }
        if (end < seq_len) {
            int32_t bound = base + (int32_t)seq_len;
            longest = bound - prev > longest ? bound - prev : longest;
            cu_seqlens[k++] = prev = bound;
        }
    }
    *n_cu = k;
    *max_seqlen = longest;
    return BP_OK;
}
