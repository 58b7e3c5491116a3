/* Packing kernels; see packing.h for the contracts. */
#include "packing.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

typedef struct {
    uint64_t *seq_ptr;
    size_t seq_cap;
    uint32_t *item;
    uint64_t *offset;
    uint32_t *start;
    uint32_t *len;
    size_t piece_cap;
    size_t n_seq;
    size_t n_pieces;
    uint32_t pos; /* fill of the open sequence */
} out_t;

static bp_status put_piece(out_t *o, uint32_t item, uint64_t offset, uint32_t len) {
    if (o->n_pieces >= o->piece_cap) return BP_ERR_CAPACITY;
    size_t p = o->n_pieces++;
    o->item[p] = item;
    o->offset[p] = offset;
    o->start[p] = o->pos;
    o->len[p] = len;
    o->pos += len;
    return BP_OK;
}

static bp_status close_seq(out_t *o) {
    if (o->n_seq >= o->seq_cap) return BP_ERR_CAPACITY;
    o->seq_ptr[++o->n_seq] = o->n_pieces;
    o->pos = 0;
    return BP_OK;
}

/* Emit each of the item's whole seq_len-token pieces as its own sequence; return the tail. */
static bp_status put_full_pieces(out_t *o, uint32_t item, uint64_t len, uint32_t seq_len,
                                 uint32_t *tail) {
    uint64_t full = len / seq_len;
    for (uint64_t k = 0; k < full; k++) {
        bp_status st = put_piece(o, item, k * seq_len, seq_len);
        if (st == BP_OK) st = close_seq(o);
        if (st != BP_OK) return st;
    }
    *tail = (uint32_t)(len - full * seq_len);
    return BP_OK;
}

bp_status bp_pack_bound(const uint64_t *item_len, size_t n, uint32_t seq_len, size_t *bound) {
    if (seq_len == 0 || (n > 0 && !item_len) || !bound) return BP_ERR_INVALID;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (item_len[i] > UINT64_MAX - total) return BP_ERR_OVERFLOW;
        total += item_len[i];
    }
    /* Every sequence boundary inside the stream adds at most one piece and one sequence beyond
     * the one-per-item count. */
    uint64_t cuts = total / seq_len;
    if (n > SIZE_MAX / 4 || cuts > SIZE_MAX / 4) return BP_ERR_OVERFLOW;
    *bound = n + (size_t)cuts + 1;
    return BP_OK;
}

/* Bins by remaining room: heads[c] is a stack (linked through next[]) of open bins with exactly
 * c tokens free; a two-level bitmap over c finds the smallest room >= L without scanning every
 * room value (64 rooms per word, 4096 per summary word). */
typedef struct {
    uint32_t *heads;  /* [seq_len + 1] */
    uint64_t *level0; /* bit c set iff heads[c] != NONE */
    uint64_t *level1; /* bit w set iff level0[w] != 0 */
    size_t n0, n1;
} rooms_t;

static void rooms_push(rooms_t *r, uint32_t *next, uint32_t room, uint32_t bin) {
    next[bin] = r->heads[room];
    r->heads[room] = bin;
    r->level0[room >> 6] |= 1ull << (room & 63);
    r->level1[room >> 12] |= 1ull << ((room >> 6) & 63);
}

static uint32_t rooms_pop(rooms_t *r, const uint32_t *next, uint32_t room) {
    uint32_t bin = r->heads[room];
    r->heads[room] = next[bin];
    if (r->heads[room] == NONE) {
        r->level0[room >> 6] &= ~(1ull << (room & 63));
        if (r->level0[room >> 6] == 0) r->level1[room >> 12] &= ~(1ull << ((room >> 6) & 63));
    }
    return bin;
}

/* Smallest room >= want with an open bin, or NONE. */
static uint32_t rooms_find(const rooms_t *r, uint32_t want) {
    size_t w = want >> 6;
    if (w >= r->n0) return NONE;
    uint64_t bits = r->level0[w] & (~0ull << (want & 63));
    if (bits) return (uint32_t)((w << 6) + (size_t)__builtin_ctzll(bits));
    size_t w1 = (w + 1) >> 6;
    if (w1 >= r->n1) return NONE;
    uint64_t sum = r->level1[w1] & (~0ull << ((w + 1) & 63));
    while (!sum) {
        if (++w1 >= r->n1) return NONE;
        sum = r->level1[w1];
    }
    size_t w0 = (w1 << 6) + (size_t)__builtin_ctzll(sum);
    return (uint32_t)((w0 << 6) + (size_t)__builtin_ctzll(r->level0[w0]));
}

static bp_status plan_bestfit(out_t *o, const uint64_t *item_len, size_t n, uint32_t seq_len) {
    bp_status st = BP_OK;
    size_t n0 = ((size_t)seq_len >> 6) + 1, n1 = (n0 >> 6) + 1;
    /* One allocation for everything: the counting-sort histogram, the sorted tails, bin state
     * and the room index. n < 2^32 is checked by the caller. */
    uint32_t *tail = malloc(sizeof(uint32_t) * (n ? n : 1));
    uint32_t *order = malloc(sizeof(uint32_t) * (n ? n : 1));
    uint32_t *count = calloc((size_t)seq_len + 1, sizeof(uint32_t));
    uint32_t *next = malloc(sizeof(uint32_t) * (n ? n : 1));       /* room-stack links */
    uint32_t *first = malloc(sizeof(uint32_t) * (n ? n : 1));      /* bin -> first slot */
    uint32_t *last = malloc(sizeof(uint32_t) * (n ? n : 1));       /* bin -> last slot */
    uint32_t *slot_next = malloc(sizeof(uint32_t) * (n ? n : 1));  /* slot -> next slot in bin */
    uint32_t *heads = malloc(sizeof(uint32_t) * ((size_t)seq_len + 1));
    uint64_t *level0 = calloc(n0, sizeof(uint64_t));
    uint64_t *level1 = calloc(n1, sizeof(uint64_t));
    if (!tail || !order || !count || !next || !first || !last || !slot_next || !heads ||
        !level0 || !level1) {
        st = BP_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        st = put_full_pieces(o, (uint32_t)i, item_len[i], seq_len, &tail[i]);
        if (st != BP_OK) goto done;
        count[tail[i]]++;
    }
    /* Counting sort, descending length, stable in item index (tail 0 = nothing left). */
    {
        uint32_t acc = 0;
        for (uint32_t len = seq_len; len >= 1; len--) {
            uint32_t c = count[len];
            count[len] = acc;
            acc += c;
        }
        for (size_t i = 0; i < n; i++)
            if (tail[i]) order[count[tail[i]]++] = (uint32_t)i;
    }
    size_t n_tails = 0;
    for (size_t i = 0; i < n; i++) n_tails += tail[i] != 0;

    for (size_t r = 0; r <= seq_len; r++) heads[r] = NONE;
    rooms_t rooms = {heads, level0, level1, n0, n1};
    uint32_t n_bins = 0;
    /* Slot k holds order[k]; bins chain their slots in placement order. */
    for (size_t k = 0; k < n_tails; k++) {
        uint32_t item = order[k], len = tail[item];
        uint32_t room = rooms_find(&rooms, len);
        uint32_t bin;
        if (room == NONE) {
            bin = n_bins++;
            room = seq_len;
            first[bin] = (uint32_t)k;
        } else {
            bin = rooms_pop(&rooms, next, room);
            slot_next[last[bin]] = (uint32_t)k;
        }
        last[bin] = (uint32_t)k;
        slot_next[k] = NONE;
        if (room - len > 0) rooms_push(&rooms, next, room - len, bin);
    }
    for (uint32_t b = 0; b < n_bins; b++) {
        for (uint32_t k = first[b]; k != NONE; k = slot_next[k]) {
            uint32_t item = order[k];
            st = put_piece(o, item, item_len[item] - tail[item], tail[item]);
            if (st != BP_OK) goto done;
        }
        st = close_seq(o);
        if (st != BP_OK) goto done;
    }
done:
    free(tail);
    free(order);
    free(count);
    free(next);
    free(first);
    free(last);
    free(slot_next);
    free(heads);
    free(level0);
    free(level1);
    return st;
}

static bp_status plan_concat(out_t *o, const uint64_t *item_len, size_t n, uint32_t seq_len,
                             int flush, bp_pack_result *result) {
    bp_status st;
    for (size_t i = 0; i < n; i++) {
        uint64_t off = 0;
        while (off < item_len[i]) {
            uint64_t left = item_len[i] - off, room = seq_len - o->pos;
            uint32_t take = (uint32_t)(left < room ? left : room);
            if ((st = put_piece(o, (uint32_t)i, off, take)) != BP_OK) return st;
            off += take;
            if (o->pos == seq_len && (st = close_seq(o)) != BP_OK) return st;
        }
    }
    result->carry_item = n;
    result->carry_offset = 0;
    if (o->pos > 0) {
        if (flush) return close_seq(o);
        size_t p = o->seq_ptr[o->n_seq];  /* first piece of the open sequence */
        result->carry_item = o->item[p];
        result->carry_offset = o->offset[p];
        o->n_pieces = p;
        o->pos = 0;
    }
    return BP_OK;
}

static bp_status plan_pad(out_t *o, const uint64_t *item_len, size_t n, uint32_t seq_len) {
    bp_status st;
    for (size_t i = 0; i < n; i++) {
        uint32_t tail;
        if ((st = put_full_pieces(o, (uint32_t)i, item_len[i], seq_len, &tail)) != BP_OK)
            return st;
        if (tail) {
            if ((st = put_piece(o, (uint32_t)i, item_len[i] - tail, tail)) != BP_OK) return st;
            if ((st = close_seq(o)) != BP_OK) return st;
        }
    }
    return BP_OK;
}

bp_status bp_pack_plan(int strategy, uint32_t seq_len, const uint64_t *item_len, size_t n,
                       int flush, uint64_t *seq_ptr, size_t seq_cap, uint32_t *piece_item,
                       uint64_t *piece_offset, uint32_t *piece_start, uint32_t *piece_len,
                       size_t piece_cap, bp_pack_result *result) {
    if (seq_len == 0 || !result || !seq_ptr || (n > 0 && !item_len)) return BP_ERR_INVALID;
    if (n >= NONE) return BP_ERR_OVERFLOW;
    if (piece_cap > 0 && (!piece_item || !piece_offset || !piece_start || !piece_len))
        return BP_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (item_len[i] == 0) return BP_ERR_INVALID;
    out_t o = {seq_ptr, seq_cap, piece_item, piece_offset, piece_start, piece_len, piece_cap,
               0, 0, 0};
    seq_ptr[0] = 0;
    result->carry_item = n;
    result->carry_offset = 0;
    bp_status st;
    switch (strategy) {
    case BP_PACK_BESTFIT: st = plan_bestfit(&o, item_len, n, seq_len); break;
    case BP_PACK_CONCAT: st = plan_concat(&o, item_len, n, seq_len, flush, result); break;
    case BP_PACK_PAD: st = plan_pad(&o, item_len, n, seq_len); break;
    default: return BP_ERR_INVALID;
    }
    result->num_sequences = o.n_seq;
    result->num_pieces = o.seq_ptr[o.n_seq];
    return st;
}

/* Both fill variants share this body; T is the output element type, MAXID its largest id. */
#define FILL_BODY(T, MAXID)                                                                    \
    if (seq_len == 0 || (n_seq > 0 && (!seq_ptr || !out)) || pad_id > (MAXID))                 \
        return BP_ERR_INVALID;                                                                 \
    if (seq_ptr && seq_ptr[0] != 0) return BP_ERR_INVALID;                                     \
    for (size_t s = 0; s < n_seq; s++) {                                                       \
        T *row = out + s * (size_t)seq_len;                                                    \
        uint64_t lo = seq_ptr[s], hi = seq_ptr[s + 1];                                         \
        if (hi < lo || hi > n_pieces) return BP_ERR_INVALID;                                   \
        uint64_t pos = 0;                                                                      \
        for (uint64_t p = lo; p < hi; p++) {                                                   \
            uint64_t len = piece_len[p], src = piece_src[p];                                   \
            if (len > seq_len - pos || src > n_ids || len > n_ids - src) return BP_ERR_INVALID;\
            const uint32_t *from = ids + src;                                                  \
            T *to = row + pos;                                                                 \
            uint32_t bad = 0; /* checked once per piece so the copy loop vectorizes */         \
            for (uint64_t k = 0; k < len; k++) {                                               \
                bad |= (uint64_t)from[k] > (uint64_t)(MAXID);                                  \
                to[k] = (T)from[k];                                                            \
            }                                                                                  \
            if (bad) return BP_ERR_INVALID;                                                    \
            pos += len;                                                                        \
        }                                                                                      \
        for (uint64_t k = pos; k < seq_len; k++) row[k] = (T)pad_id;                           \
    }                                                                                          \
    return BP_OK;

bp_status bp_pack_fill_u32(const uint32_t *ids, size_t n_ids, const uint64_t *piece_src,
                           const uint32_t *piece_len, size_t n_pieces, const uint64_t *seq_ptr,
                           size_t n_seq, uint32_t seq_len, uint32_t pad_id, uint32_t *out) {
    FILL_BODY(uint32_t, UINT32_MAX)
}

bp_status bp_pack_fill_u16(const uint32_t *ids, size_t n_ids, const uint64_t *piece_src,
                           const uint32_t *piece_len, size_t n_pieces, const uint64_t *seq_ptr,
                           size_t n_seq, uint32_t seq_len, uint32_t pad_id, uint16_t *out) {
    FILL_BODY(uint16_t, UINT16_MAX)
}

bp_status bp_frame_documents(const uint32_t *ids, size_t n_ids, const int64_t *offsets,
                             size_t n_docs, int64_t bos, int64_t eos, uint32_t *out,
                             size_t out_cap, int64_t *out_offsets) {
    if (!offsets || !out_offsets || bos > (int64_t)UINT32_MAX || eos > (int64_t)UINT32_MAX)
        return BP_ERR_INVALID;
    if (offsets[0] < 0) return BP_ERR_INVALID;
    size_t w = 0;
    out_offsets[0] = 0;
    for (size_t d = 0; d < n_docs; d++) {
        int64_t lo = offsets[d], hi = offsets[d + 1];
        if (hi < lo || (uint64_t)hi > n_ids) return BP_ERR_INVALID;
        size_t len = (size_t)(hi - lo);
        size_t need = len + (bos >= 0) + (eos >= 0);
        if (need > out_cap - w) return BP_ERR_CAPACITY;
        if (bos >= 0) out[w++] = (uint32_t)bos;
        if (len) memcpy(out + w, ids + lo, len * sizeof(uint32_t));
        w += len;
        if (eos >= 0) out[w++] = (uint32_t)eos;
        out_offsets[d + 1] = (int64_t)w;
    }
    return BP_OK;
}
