/* Shingles and MinHash signatures: see minhash.h for the exact hash definitions, units.c for the
 * unit hashes (pass 1), docs/signature-kernel.md for what each stage costs. */
#include "minhash.h"

#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "hashmix.h"
#include "normalize.h"
#include "units.h"

/* Shingle hashes of one shingle (lanes = 1) or of COMBINE_LANES consecutive ones starting at u:
 * Horner's rule, h = rotl32(h, 1) ^ u[j] over the n units, which equals
 * XOR_j rotl32(u[j], n - 1 - j). The accumulators stay in vector registers over the n steps, so
 * 16 shingles cost n loads, rotates and xors, and blocks are independent (a rolling update,
 * h' = rotl32(h, 1) ^ rotl32(u[i], n) ^ u[i + n], costs 3 operations per shingle but is one
 * serial chain). mix applies datasketch's fmix32 pre-mix on the way out. GCC left a plain loop
 * over 16 lanes scalar, so GNU C vectors spell it out, as two vectors of 8 lanes: one register
 * each from AVX2 up, two with SSE2 (vectors of 16 lanes went through the stack on every step in
 * the AVX2 and SSE2 clones); other compilers get the loop. */
#define COMBINE_LANES 16

#ifdef __GNUC__
typedef uint32_t lanes8_t __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) void combine_half(const uint32_t *u, size_t n,
                                                               uint32_t *restrict out, int mix) {
    lanes8_t acc, next;
    memcpy(&acc, u, sizeof acc);
    for (size_t j = 1; j < n; j++) {
        memcpy(&next, u + j, sizeof next);
        acc = ((acc << 1) | (acc >> 31)) ^ next;
    }
    if (mix) {
        acc ^= acc >> 16;
        acc *= 0x85EBCA6Bu;
        acc ^= acc >> 13;
        acc *= 0xC2B2AE35u;
        acc ^= acc >> 16;
    }
    memcpy(out, &acc, sizeof acc);
}
#endif

static inline __attribute__((always_inline)) void combine_block(const uint32_t *u, size_t n,
                                                                uint32_t *restrict out,
                                                                size_t lanes, int mix) {
#ifdef __GNUC__
    if (lanes == COMBINE_LANES) {
        combine_half(u, n, out, mix);
        combine_half(u + COMBINE_LANES / 2, n, out + COMBINE_LANES / 2, mix);
        return;
    }
#endif
    for (size_t k = 0; k < lanes; k++) {
        uint32_t acc = 0;
        for (size_t j = 0; j < n; j++) {
            acc = bp_rotl32(acc, 1) ^ u[j + k];
        }
        out[k] = mix ? bp_fmix32(acc) : acc;
    }
}

/* Pass 2: shingle hashes out[i] = XOR_j rotl32(u[i + j], n - 1 - j) from m unit hashes (fmix32
 * of them if mix); a document of 1 <= m < n units is one shingle of all of them. When u is
 * padded (COMBINE_LANES readable values past m, and out has as much room past the count), the
 * last block runs past the end; otherwise the last shingles go one at a time, which cost as
 * much as all the rest on short documents. */
static inline __attribute__((always_inline)) size_t combine(const uint32_t *u, size_t m, size_t n,
                                                          uint32_t *restrict out, int mix,
                                                          int padded) {
    if (m == 0) {
        return 0;
    }
    if (m < n) {
        combine_block(u, m, out, 1, mix);
        return 1;
    }
    size_t count = m - n + 1;
    size_t blocks = (padded ? count + COMBINE_LANES - 1 : count) / COMBINE_LANES;
    for (size_t i = 0; i < blocks * COMBINE_LANES; i += COMBINE_LANES) {
        combine_block(u + i, n, out + i, COMBINE_LANES, mix);
    }
    for (size_t i = blocks * COMBINE_LANES; i < count; i++) {
        combine_block(u + i, n, out + i, 1, mix);
    }
    return count;
}

static bp_status check_spec(const bp_shingling *spec) {
    if (spec->ngram < 1 || spec->ngram > BP_MAX_NGRAM ||
        (spec->mode != BP_SHINGLE_CHAR && spec->mode != BP_SHINGLE_WORD) ||
        !BP_VALID_DIGITS(spec->digits) || spec->isa < BP_ISA_PORTABLE || spec->isa > BP_ISA_BEST ||
        (spec->exclude != NULL &&
         (spec->exclude->slots == NULL || (spec->exclude->mask & (spec->exclude->mask + 1)) != 0))) {
        return BP_ERR_INVALID;
    }
    return BP_OK;
}

size_t bp_exclusion_slots(size_t n) {
    if (n > SIZE_MAX / 8) {
        return 0;
    }
    size_t slots = 16;
    while (slots < 16 * n) {
        slots <<= 1;
    }
    return slots;
}

bp_status bp_exclusion_build(const uint32_t *hashes, size_t n, uint32_t *slots, size_t n_slots,
                             bp_exclusion *out) {
    if (n_slots == 0 || n_slots != bp_exclusion_slots(n)) {
        return BP_ERR_INVALID;
    }
    memset(slots, 0, n_slots * sizeof(uint32_t));
    const size_t mask = n_slots - 1;
    int zero = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t m = bp_fmix32(hashes[i]);
        if (m == 0) {
            zero = 1;
            continue;
        }
        size_t at = m & mask;
        while (slots[at] != 0 && slots[at] != m) {
            at = (at + 1) & mask;
        }
        slots[at] = m;
    }
    out->slots = slots;
    out->mask = mask;
    out->zero = zero;
    return BP_OK;
}

/* Whether the shingle whose fmix32 value is m is excluded (see bp_exclusion). */
static inline __attribute__((always_inline)) int is_excluded(const bp_exclusion *ex, uint32_t m) {
    if (m == 0) {
        return ex->zero;
    }
    for (size_t at = m & ex->mask;; at = (at + 1) & ex->mask) {
        const uint32_t slot = ex->slots[at];
        if (slot == m || slot == 0) {
            return slot == m;
        }
    }
}

/* 1 if the shingle whose fmix32 value is m is excluded, else 0 (slots and mask: ex's, passed
 * apart so that loops keep them in registers). Whether a shingle is excluded
 * is as good as random, so the common cases (its slot empty, or holding m) do not branch: only
 * a slot taken by another value (a sixteenth of the lookups at most, see bp_exclusion_slots)
 * or m = 0 goes on to probe. */
static inline __attribute__((always_inline)) unsigned excluded(const bp_exclusion *ex,
                                                               const uint32_t *slots, size_t mask,
                                                               uint32_t m) {
    const uint32_t slot = slots[m & mask];
    if (__builtin_expect(((unsigned)(slot != 0) & (unsigned)(slot != m)) | (unsigned)(m == 0),
                         0)) {
        return (unsigned)is_excluded(ex, m);
    }
    return (unsigned)(slot == m);
}

/* Drops the excluded shingles from hs[0:m] in place, keeping the order; returns how many are
 * left. mixed: whether hs holds fmix32 values or raw shingle hashes. For shingle_hashes; the
 * signature path takes drop_flagged. */
static size_t drop_excluded(uint32_t *hs, size_t m, const bp_exclusion *ex, int mixed) {
    size_t kept = 0;
    const uint32_t *slots = ex->slots;
    const size_t mask = ex->mask;
    for (size_t j = 0; j < m; j++) {
        const uint32_t h = hs[j];
        hs[kept] = h;
        kept += 1u - excluded(ex, slots, mask, mixed ? h : bp_fmix32(h));
    }
    return kept;
}

/* drop_excluded for the signature path (hs: fmix32 values), in two passes: the lookups first,
 * into flags[0:m], each independent of the others, then the compaction, whose store address
 * waits only on the flags just written. In one pass each store address waits on a table lookup,
 * and lookups folded into the repeat block (an OR forcing excluded lanes to UINT32_MAX) kept
 * that block's vector work from running ahead: both cost 25-30% of the whole signature on
 * qa_en with the corpus's 597 boilerplate shingles (21% of its shingles). */
static inline __attribute__((always_inline)) size_t drop_flagged(uint32_t *hs, size_t m,
                                                                 const bp_exclusion *ex,
                                                                 uint8_t *restrict flags) {
    const uint32_t *slots = ex->slots;
    const size_t mask = ex->mask;
    for (size_t j = 0; j < m; j++) {
        flags[j] = (uint8_t)excluded(ex, slots, mask, hs[j]);
    }
    size_t kept = 0;
    for (size_t j = 0; j < m; j++) {
        const uint32_t h = hs[j];
        hs[kept] = h;
        kept += 1u - flags[j];
    }
    return kept;
}

bp_status bp_shingle_hashes(const uint8_t *text, size_t len, const bp_shingling *spec,
                            uint32_t *out, size_t cap, size_t *count) {
    bp_status status = check_spec(spec);
    if (status != BP_OK) {
        return status;
    }
    if (cap < (len > 0 ? len : 1)) {
        return BP_ERR_CAPACITY;
    }
    if (len > BP_MAX_DOCUMENT) {
        return BP_ERR_OVERFLOW;
    }
    uint32_t *units = malloc((len + BP_UNITS_SLACK) * sizeof(uint32_t));
    bp_units *hasher = NULL;
    status = units == NULL ? BP_ERR_NOMEM
                           : bp_units_new(len, spec->mode, spec->digits, spec->isa, &hasher);
    if (status == BP_OK) {
        *count = combine(units, bp_units_of(hasher, text, len, units), spec->ngram, out, 0, 0);
        if (spec->exclude != NULL) {
            *count = drop_excluded(out, *count, spec->exclude, 0);
        }
    }
    bp_units_free(hasher);
    free(units);
    return status;
}

/* Permutations of one document's (pre-mixed) shingle hashes, in blocks of lanes <= 64 whose
 * minima stay in registers across the whole shingle loop, so the inner loop is pure
 * multiply-add-min without a branch (with AVX-512, accumulators, a and b are 12 zmm registers).
 * Measured per shingle at 128 permutations: blocks of 64 lanes 4.3 ns with AVX2 against 7.6 (32
 * lanes) and 8.3 (128 lanes), about 3.9 ns with AVX-512 whatever the block. The bound is vector
 * throughput, not multiply latency: per 16 lanes one vpmulld, vpaddd and vpminud (measured
 * limit in docs/signature-kernel.md); what helps is fewer shingles (perm_block_dedup). */
#define PERM_BLOCK 64

static inline __attribute__((always_inline)) void perm_block(const uint32_t *hs, size_t m,
                                                             const uint32_t *a, const uint32_t *b,
                                                             uint32_t *sig, size_t lanes) {
    uint32_t acc[PERM_BLOCK], la[PERM_BLOCK], lb[PERM_BLOCK];
    for (size_t k = 0; k < lanes; k++) {
        acc[k] = UINT32_MAX;
        la[k] = a[k];
        lb[k] = b[k];
    }
    for (size_t j = 0; j < m; j++) {
        const uint32_t h = hs[j];
        for (size_t k = 0; k < lanes; k++) {
            uint32_t v = la[k] * h + lb[k];
            acc[k] = v < acc[k] ? v : acc[k];
        }
    }
    memcpy(sig, acc, lanes * sizeof acc[0]);
}

#define SEEN_BITS 11
#define DEDUP_BLOCK 32

/* The first DEDUP_BLOCK permutations, dropping repeated shingle hashes from hs on the way (in
 * place; returns how many are left), so that every later block sees each distinct shingle about
 * once: on qa_en, 23% of a document's char 5-grams repeat one of its earlier ones. The set
 * lookups are scalar work that runs beside this block's vector work; a separate dedup pass cost
 * as much as it saved. Measured on qa_en at 128 permutations: 4.1 against 4.5 ns per input
 * byte (blocks of 16 lanes: no gain, the lookups no longer hide). It only pays where repeats
 * are common: this block costs about 15% more per shingle than a plain one, and on qa_en the
 * repeated share is 46/23/14% for char 3/5/7-grams and 42/12/5/2% for word 1/2/3/5-grams
 * (word 5-grams: 1.45 with it against 1.37 ns/byte without). The set is lossy and
 * direct-mapped: slot h mod 2^SEEN_BITS holds the last hash seen there, tagged with the
 * document's generation gen (upper 32 bits, never 0; so the table needs no clearing between
 * documents). A hash is dropped only when its slot holds it, i.e. when it was seen before in this
 * document; a repeat whose slot another hash took over is kept, which is harmless (the minimum
 * is the same). The drop is a conditional increment, not a branch. */
static inline __attribute__((always_inline)) size_t perm_block_dedup(uint32_t *hs, size_t m,
                                                                     const uint32_t *a,
                                                                     const uint32_t *b,
                                                                     uint32_t *sig,
                                                                     uint64_t *restrict seen,
                                                                     uint64_t gen) {
    uint32_t acc[DEDUP_BLOCK], la[DEDUP_BLOCK], lb[DEDUP_BLOCK];
    for (size_t k = 0; k < DEDUP_BLOCK; k++) {
        acc[k] = UINT32_MAX;
        la[k] = a[k];
        lb[k] = b[k];
    }
    size_t kept = 0;
    for (size_t j = 0; j < m; j++) {
        const uint32_t h = hs[j];
        const uint64_t key = gen | h;
        uint64_t *slot = seen + (h & ((1u << SEEN_BITS) - 1));
        hs[kept] = h;
        kept += *slot != key;
        *slot = key;
        for (size_t k = 0; k < DEDUP_BLOCK; k++) {
            uint32_t v = la[k] * h + lb[k];
            acc[k] = v < acc[k] ? v : acc[k];
        }
    }
    memcpy(sig, acc, sizeof acc);
    return kept;
}

/* The permutation stage's scratch: shingle hashes and the repeat set, reused across documents. */
typedef struct {
    uint32_t *hs;
    uint8_t *flags; /* one per shingle: excluded (drop_flagged) */
    uint64_t *seen;
    uint64_t gen;
} perm_scratch;

static bp_status perm_scratch_new(size_t longest, perm_scratch *p) {
    p->hs = malloc((longest + BP_UNITS_SLACK) * sizeof(uint32_t));
    p->flags = malloc(longest + BP_UNITS_SLACK);
    p->seen = calloc((size_t)1 << SEEN_BITS, sizeof(uint64_t));
    p->gen = 0;
    return p->hs != NULL && p->flags != NULL && p->seen != NULL ? BP_OK : BP_ERR_NOMEM;
}

static void perm_scratch_free(perm_scratch *p) {
    free(p->hs);
    free(p->flags);
    free(p->seen);
}

/* A new generation tag for the next document's repeat set. */
static uint64_t next_generation(perm_scratch *p) {
    p->gen += 1ull << 32;
    if (p->gen == 0) { /* 2^32 documents in one call: start the tags over on a clean table */
        memset(p->seen, 0, sizeof(uint64_t) << SEEN_BITS);
        p->gen = 1ull << 32;
    }
    return p->gen;
}

/* Whether the first block goes through perm_block_dedup: where repeated shingles are common. */
static int drops_repeats(const bp_shingling *spec) {
    return spec->mode == BP_SHINGLE_CHAR || spec->ngram <= 2;
}

/* One document's signature from its m unit hashes (padded: see combine): shingle hashes into
 * hs, datasketch's fmix32 pre-mix, then the permutations, dropping repeats through seen unless
 * it is NULL, and the excluded shingles (ex, unless NULL; flags: scratch, one per shingle).
 * Compiled per instruction set; everything it calls is inlined. */
BP_TARGET_CLONES
static void signature_of_units(const uint32_t *units, size_t m, int padded, size_t n,
                               uint32_t *restrict hs, const uint32_t *a, const uint32_t *b,
                               size_t P, uint32_t *sig, uint64_t *restrict seen, uint64_t gen,
                               const bp_exclusion *ex, uint8_t *restrict flags) {
    size_t count = padded ? combine(units, m, n, hs, 1, 1) : combine(units, m, n, hs, 1, 0);
    size_t p = 0;
    if (ex != NULL) {
        count = drop_flagged(hs, count, ex, flags);
    }
    if (seen != NULL && P >= 2 * DEDUP_BLOCK) {
        count = perm_block_dedup(hs, count, a, b, sig, seen, gen);
        p = DEDUP_BLOCK;
    }
    for (; p + PERM_BLOCK <= P; p += PERM_BLOCK) {
        perm_block(hs, count, a + p, b + p, sig + p, PERM_BLOCK);
    }
    if (p + DEDUP_BLOCK <= P) { /* e.g. the last 32 of 128, off the 64-lane grid after dedup */
        perm_block(hs, count, a + p, b + p, sig + p, DEDUP_BLOCK);
        p += DEDUP_BLOCK;
    }
    for (; p < P; p++) {
        uint32_t best = UINT32_MAX;
        for (size_t j = 0; j < count; j++) {
            uint32_t v = a[p] * hs[j] + b[p];
            best = v < best ? v : best;
        }
        sig[p] = best;
    }
}

bp_status bp_minhash_batch(const uint8_t *data, const uint64_t *offsets, size_t n,
                           const bp_shingling *spec, const uint32_t *a, const uint32_t *b,
                           size_t num_perm, uint32_t *out) {
    bp_status status = check_spec(spec);
    if (status != BP_OK) {
        return status;
    }
    size_t longest = 0;
    if (!bp_longest_document(offsets, n, &longest)) {
        return BP_ERR_INVALID;
    }
    if (longest > BP_MAX_DOCUMENT) {
        return BP_ERR_OVERFLOW;
    }
    uint32_t *units = malloc((longest + BP_UNITS_SLACK) * sizeof(uint32_t));
    bp_units *hasher = NULL;
    perm_scratch perm;
    status = perm_scratch_new(longest, &perm);
    if (status == BP_OK && units == NULL) {
        status = BP_ERR_NOMEM;
    }
    if (status == BP_OK) {
        status = bp_units_new(longest, spec->mode, spec->digits, spec->isa, &hasher);
    }
    uint64_t *repeats = drops_repeats(spec) ? perm.seen : NULL;
    for (size_t i = 0; status == BP_OK && i < n; i++) {
        size_t len = (size_t)(offsets[i + 1] - offsets[i]);
        size_t m = bp_units_of(hasher, data + offsets[i], len, units);
        signature_of_units(units, m, 1, spec->ngram, perm.hs, a, b, num_perm,
                           out + i * num_perm, repeats, next_generation(&perm), spec->exclude,
                           perm.flags);
    }
    bp_units_free(hasher);
    perm_scratch_free(&perm);
    free(units);
    return status;
}

bp_status bp_minhash_hashes(const uint32_t *hashes, const uint64_t *offsets, size_t n,
                            const uint32_t *a, const uint32_t *b, size_t num_perm, uint32_t *out) {
    size_t longest = 0;
    if (!bp_longest_document(offsets, n, &longest)) {
        return BP_ERR_INVALID;
    }
    if (longest > SIZE_MAX / sizeof(uint32_t) - BP_UNITS_SLACK) {
        return BP_ERR_OVERFLOW;
    }
    perm_scratch perm;
    bp_status status = perm_scratch_new(longest, &perm);
    for (size_t i = 0; status == BP_OK && i < n; i++) {
        /* n = 1: each hash is its own shingle, pre-mixed into hs on the way */
        signature_of_units(hashes + offsets[i], (size_t)(offsets[i + 1] - offsets[i]), 0, 1,
                           perm.hs, a, b, num_perm, out + i * num_perm, NULL, 0, NULL, NULL);
    }
    perm_scratch_free(&perm);
    return status;
}
