/* See loader.h. Written as simple counted loops over contiguous arrays so the compiler
 * vectorizes them (widening copy for labels, an incrementing fill for positions). */
#include "loader.h"

static void fill_positions(int32_t *positions, uint32_t count) {
    for (uint32_t t = 0; t < count; t++) positions[t] = (int32_t)t;
}

bp_status bp_sample_fill(const void *row, int token_bytes, const uint32_t *starts,
                         const uint32_t *lengths, size_t n, uint32_t seq_len, int32_t *labels,
                         int32_t *positions, int32_t *cu_seqlens, size_t *n_cu) {
    if (token_bytes != 2 && token_bytes != 4) return BP_ERR_INVALID;
    if (seq_len > (uint32_t)INT32_MAX) return BP_ERR_OVERFLOW;
    /* Check the layout first so nothing is written for a corrupt row. */
    uint64_t end = 0;
    for (size_t p = 0; p < n; p++) {
        if (starts[p] != end || lengths[p] == 0) return BP_ERR_INVALID;
        end += lengths[p];
    }
    if (end > seq_len) return BP_ERR_INVALID;

    if (labels != NULL) {
        if (token_bytes == 2) {
            const uint16_t *tok = (const uint16_t *)row;
            for (uint32_t t = 0; t < (uint32_t)end; t++) labels[t] = (int32_t)tok[t];
        } else {
            const uint32_t *tok = (const uint32_t *)row;
            for (uint32_t t = 0; t < (uint32_t)end; t++) labels[t] = (int32_t)tok[t];
        }
        for (uint32_t t = (uint32_t)end; t < seq_len; t++) labels[t] = BP_IGNORE_INDEX;
        for (size_t p = 0; p < n; p++) labels[starts[p]] = BP_IGNORE_INDEX;
    }
    size_t k = 0;
    cu_seqlens[k++] = 0;
    for (size_t p = 0; p < n; p++) {
        fill_positions(positions + starts[p], lengths[p]);
        cu_seqlens[k++] = (int32_t)(starts[p] + lengths[p]);
    }
    if (end < seq_len) {
        fill_positions(positions + end, seq_len - (uint32_t)end);
        cu_seqlens[k++] = (int32_t)seq_len;
    }
    *n_cu = k;
    return BP_OK;
}
