/* Shingling + MinHash + band keys: see minhash.h for the exact hash definitions. */
#include "minhash.h"

#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "status.h"

#define FNV_BASIS 0x811C9DC5u
#define FNV_PRIME 0x01000193u

static inline uint32_t fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

/* Branch-free for r in 0..31 (r = 0 gives x | x), so sweeps over arrays vectorize. */
static inline uint32_t rotl32(uint32_t x, unsigned r) {
    r &= 31;
    return (x << r) | (x >> ((32 - r) & 31));
}

static inline uint32_t char_unit_hash(uint32_t cp) { return fmix32((FNV_BASIS ^ cp) * FNV_PRIME); }

/* Per ASCII byte: the unit hash of its normalized byte (bp_ascii_norm for the digit mode) with
 * bit 32 set, or, for a separator, the unit hash of the space it may become with bit 32 clear.
 * Filled once per call for the call's digit mode, so the hot loop trades three multiplies per
 * character for one load and never tests the mode. */
typedef struct {
    uint64_t ascii[128];
    uint64_t space;
    int digits;             /* BP_DIGITS_* */
    uint32_t digit_to_zero; /* AVX-512 path: 0xFFFF (CLASS: digit lanes become '0') or 0 (KEEP) */
    int avx512;             /* runtime dispatch: the CPU has AVX-512F */
} unit_table;

static void unit_table_init(unit_table *t, int digits) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    t->avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("popcnt");
#else
    t->avx512 = 0;
#endif
    t->digits = digits;
    t->digit_to_zero = digits == BP_DIGITS_CLASS ? 0xFFFFu : 0u;
    t->space = char_unit_hash(' ');
    for (uint32_t c = 0; c < 128; c++) {
        uint32_t folded;
        int kept = bp_classify(c, digits, &folded) != BP_CH_SEP;
        t->ascii[c] = kept ? (char_unit_hash(folded) | (1ull << 32)) : t->space;
    }
}

/* Char mode, pass 1, one codepoint at s[*pos] (advancing *pos): its unit hash goes to u[*m].
 * The space of a separator run is written eagerly at the run's first separator (when a kept
 * codepoint precedes it) and taken back at the end of the text, so each byte costs one store and
 * one add to m and no branch: tracking a pending space instead put a 4-5 cycle dependency chain
 * on every byte (measured 1.5 vs 1.0 ns/byte on qa_en). */
static inline void unit_step(const uint8_t *s, size_t len, size_t *pos, const unit_table *restrict t,
                             uint32_t *restrict u, size_t *m, size_t *last_kept) {
    uint32_t c = s[*pos];
    uint64_t e;
    if (c < 0x80) {
        (*pos)++;
        e = t->ascii[c];
    } else {
        uint32_t folded;
        c = bp_utf8_next(s, len, pos);
        int kept = bp_classify_nonascii(c, t->digits, &folded) != BP_CH_SEP;
        e = kept ? (char_unit_hash(folded) | (1ull << 32)) : t->space;
    }
    size_t kept = (size_t)(e >> 32);
    u[*m] = (uint32_t)e;
    *m += kept | *last_kept;
    *last_kept = kept;
}

/* The unit hashes of every normalized codepoint (spaces included) into u, which has room for len
 * values; returns how many. */
static size_t units_chars_scalar(const uint8_t *s, size_t len, const unit_table *restrict t,
                                 uint32_t *restrict u) {
    size_t pos = 0, m = 0, last_kept = 0;
    while (pos < len) {
        unit_step(s, len, &pos, t, u, &m, &last_kept);
    }
    return m - (m > 0 && !last_kept); /* a trailing separator run leaves no space */
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* The same as units_chars_scalar, 16 ASCII bytes per step: classify, fold and hash in 32-bit
 * lanes, then compress the emitted lanes (kept, or a separator right after a kept character)
 * into u. Blocks holding a non-ASCII byte go through the scalar step. Measured on qa_en: units
 * cost 1.0 ns/byte scalar, about a third of that here. */
__attribute__((target("avx512f,popcnt")))
static size_t units_chars_avx512(const uint8_t *s, size_t len, const unit_table *restrict t,
                                 uint32_t *restrict u) {
    const __m512i basis = _mm512_set1_epi32((int)FNV_BASIS), prime = _mm512_set1_epi32((int)FNV_PRIME);
    const __m512i m1 = _mm512_set1_epi32((int)0x85EBCA6Bu), m2 = _mm512_set1_epi32((int)0xC2B2AE35u);
    const __m512i space = _mm512_set1_epi32((int)(uint32_t)t->space);
    size_t pos = 0, m = 0, last_kept = 0;
    while (pos < len) {
        if (len - pos >= 16) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)(s + pos));
            if (_mm_movemask_epi8(bytes) == 0) {
                __m512i c = _mm512_cvtepu8_epi32(bytes);
                __m512i lower = _mm512_or_si512(c, _mm512_set1_epi32(0x20));
                __mmask16 digit = _mm512_cmplt_epu32_mask(_mm512_sub_epi32(c, _mm512_set1_epi32('0')),
                                                          _mm512_set1_epi32(10));
                __mmask16 alpha = _mm512_cmplt_epu32_mask(
                    _mm512_sub_epi32(lower, _mm512_set1_epi32('a')), _mm512_set1_epi32(26));
                __mmask16 kept = (__mmask16)(digit | alpha);
                /* Digits need no folding ('0'-'9' already have bit 5 set); in CLASS mode they
                 * all become '0' through a mask, so neither mode adds work per byte. */
                __m512i h = _mm512_mask_mov_epi32(lower, (__mmask16)(digit & t->digit_to_zero),
                                                  _mm512_set1_epi32('0'));
                h = _mm512_mullo_epi32(_mm512_xor_si512(h, basis), prime);
                h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
                h = _mm512_mullo_epi32(h, m1);
                h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
                h = _mm512_mullo_epi32(h, m2);
                h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
                h = _mm512_mask_mov_epi32(space, kept, h);
                __mmask16 emit = (__mmask16)(kept | (uint32_t)((kept << 1) | last_kept));
                _mm512_storeu_si512((void *)(u + m), _mm512_maskz_compress_epi32(emit, h));
                m += (size_t)_mm_popcnt_u32(emit);
                last_kept = (kept >> 15) & 1u;
                pos += 16;
                continue;
            }
        }
        size_t stop = len - pos >= 16 ? pos + 16 : len;
        while (pos < stop) {
            unit_step(s, len, &pos, t, u, &m, &last_kept);
        }
    }
    return m - (m > 0 && !last_kept);
}

static size_t units_chars(const uint8_t *s, size_t len, const unit_table *restrict t,
                          uint32_t *restrict u) {
    return t->avx512 ? units_chars_avx512(s, len, t, u) : units_chars_scalar(s, len, t, u);
}
#else
static size_t units_chars(const uint8_t *s, size_t len, const unit_table *restrict t,
                          uint32_t *restrict u) {
    return units_chars_scalar(s, len, t, u);
}
#endif

/* Word mode, pass 1: the unit hash of every word (every CJK character on its own) into u. */
static size_t units_words(const uint8_t *s, size_t len, int digits, uint32_t *u) {
    size_t pos = 0, m = 0;
    uint32_t word = FNV_BASIS;
    int in_word = 0;
    while (pos < len) {
        uint32_t cp = bp_utf8_next(s, len, &pos), folded;
        int cls = bp_classify(cp, digits, &folded);
        if (cls == BP_CH_WORD) {
            word = (word ^ folded) * FNV_PRIME;
            in_word = 1;
            continue;
        }
        if (in_word) {
            u[m++] = fmix32(word);
            word = FNV_BASIS;
            in_word = 0;
        }
        if (cls == BP_CH_CJK) {
            u[m++] = char_unit_hash(folded);
        }
    }
    if (in_word) {
        u[m++] = fmix32(word);
    }
    return m;
}

/* Shingle hashes of lanes consecutive shingles starting at u: Horner's rule,
 * h = rotl32(h, 1) ^ u[j] over the n units, which equals XOR_j rotl32(u[j], n - 1 - j); the lanes
 * accumulators stay in registers over the n steps, so a shingle costs n rotate-xors and one store,
 * where a sweep per offset j loaded and stored every shingle n times. mix applies datasketch's
 * fmix32 pre-mix on the way out. */
static inline __attribute__((always_inline)) void combine_block(const uint32_t *u, size_t n,
                                                                uint32_t *restrict out,
                                                                size_t lanes, int mix) {
    uint32_t acc[64];
    for (size_t k = 0; k < lanes; k++) {
        acc[k] = 0;
    }
    for (size_t j = 0; j < n; j++) {
        const uint32_t *src = u + j;
        for (size_t k = 0; k < lanes; k++) {
            acc[k] = rotl32(acc[k], 1) ^ src[k];
        }
    }
    for (size_t k = 0; k < lanes; k++) {
        out[k] = mix ? fmix32(acc[k]) : acc[k];
    }
}

/* Pass 2: shingle hashes out[i] = XOR_j rotl32(u[i + j], n - 1 - j) from m unit hashes (fmix32
 * of them if mix); a document of 1 <= m < n units is one shingle of all of them. Blocks of 64,
 * then 16, then single shingles. */
static inline __attribute__((always_inline)) size_t combine(const uint32_t *u, size_t m, size_t n,
                                                          uint32_t *restrict out, int mix) {
    if (m == 0) {
        return 0;
    }
    if (m < n) {
        combine_block(u, m, out, 1, mix);
        return 1;
    }
    size_t count = m - n + 1, i = 0;
    for (; i + 64 <= count; i += 64) {
        combine_block(u + i, n, out + i, 64, mix);
    }
    for (; i + 16 <= count; i += 16) {
        combine_block(u + i, n, out + i, 16, mix);
    }
    for (; i < count; i++) {
        combine_block(u + i, n, out + i, 1, mix);
    }
    return count;
}

/* Unit hashes of one document into units (room for len + 2 values); returns how many. */
static size_t units_of(const uint8_t *s, size_t len, int mode, const unit_table *t, uint32_t *units) {
    return mode == BP_SHINGLE_WORD ? units_words(s, len, t->digits, units)
                                   : units_chars(s, len, t, units);
}

int bp_shingle_hashes(const uint8_t *text, size_t len, int mode, size_t ngram, int digits,
                      uint32_t *out, size_t cap, size_t *count) {
    if (ngram < 1 || ngram > BP_MAX_NGRAM || (mode != BP_SHINGLE_CHAR && mode != BP_SHINGLE_WORD) ||
        !BP_VALID_DIGITS(digits)) {
        return BP_ERR_INVALID;
    }
    if (cap < (len > 0 ? len : 1)) {
        return BP_ERR_CAPACITY;
    }
    if (len > SIZE_MAX / sizeof(uint32_t) - 2) {
        return BP_ERR_OVERFLOW;
    }
    uint32_t *units = malloc((len + 2) * sizeof(uint32_t));
    if (units == NULL) {
        return BP_ERR_NOMEM;
    }
    unit_table table;
    unit_table_init(&table, digits);
    *count = combine(units, units_of(text, len, mode, &table, units), ngram, out, 0);
    free(units);
    return BP_OK;
}

/* Permutations of one document's (pre-mixed) shingle hashes, in blocks of lanes <= 64 whose
 * minima stay in registers across the whole shingle loop, so the inner loop is pure
 * multiply-add-min (with AVX-512, accumulators, a and b are 12 zmm registers). Measured per
 * shingle at 128 permutations: blocks of 64 lanes 4.3 ns with AVX2 against 7.6 (32 lanes) and 8.3
 * (128 lanes), about 3.9 ns with AVX-512 whatever the block. The bound is vector throughput, not
 * multiply latency: per 16 lanes one vpmulld, vpaddd and vpminud, and Zen 4 issues two zmm
 * operations per cycle (so computing the low product with vpmuludq pairs would only add work);
 * what helps is fewer shingles (perm_block_dedup). */
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
 * as much as it saved. Measured on qa_en at 128 permutations: 4.0 against 4.5-4.9 ns per input
 * byte (blocks of 16 lanes: no gain, the lookups no longer hide). The set is lossy and
 * direct-mapped: slot h mod 2^SEEN_BITS holds the last hash seen there, tagged with the
 * document's generation gen (upper 32 bits, never 0; so the table needs no clearing between
 * documents). A hash is dropped only when its slot holds it, i.e. when it was seen before in this
 * document; a repeat whose slot another hash took over is kept, which is harmless (the minimum
 * is the same). */
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

/* One document's signature from its m unit hashes: shingle hashes into hs, datasketch's fmix32
 * pre-mix, then the permutations. Compiled per instruction set; everything it calls is inlined. */
__attribute__((target_clones("default", "avx2", "avx512f")))
static void signature_of_units(const uint32_t *units, size_t m, size_t n, uint32_t *restrict hs,
                               const uint32_t *a, const uint32_t *b, size_t P, uint32_t *sig,
                               uint64_t *restrict seen, uint64_t gen) {
    size_t count = combine(units, m, n, hs, 1);
    size_t p = 0;
    if (P >= 2 * DEDUP_BLOCK) {
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

int bp_minhash_batch(const uint8_t *data, const uint64_t *offsets, size_t n, const uint32_t *a,
                     const uint32_t *b, size_t num_perm, int mode, size_t ngram, int digits,
                     uint32_t *out) {
    if (ngram < 1 || ngram > BP_MAX_NGRAM || (mode != BP_SHINGLE_CHAR && mode != BP_SHINGLE_WORD) ||
        !BP_VALID_DIGITS(digits)) {
        return BP_ERR_INVALID;
    }
    size_t longest = 0;
    if (!bp_longest_document(offsets, n, &longest)) {
        return BP_ERR_INVALID;
    }
    if (longest > SIZE_MAX / (2 * sizeof(uint32_t)) - 2) {
        return BP_ERR_OVERFLOW;
    }
    /* One allocation for the whole batch: unit hashes, then shingle hashes. */
    uint32_t *units = malloc(2 * (longest + 2) * sizeof(uint32_t));
    if (units == NULL) {
        return BP_ERR_NOMEM;
    }
    uint32_t *hs = units + longest + 2;
    uint64_t *seen = calloc((size_t)1 << SEEN_BITS, sizeof(uint64_t));
    if (seen == NULL) {
        free(units);
        return BP_ERR_NOMEM;
    }
    unit_table table;
    unit_table_init(&table, digits);
    uint64_t gen = 0;
    for (size_t i = 0; i < n; i++) {
        gen += 1ull << 32;
        if (gen == 0) { /* 2^32 documents in one call: start the tags over on a clean table */
            memset(seen, 0, sizeof(uint64_t) << SEEN_BITS);
            gen = 1ull << 32;
        }
        size_t len = (size_t)(offsets[i + 1] - offsets[i]);
        size_t m = units_of(data + offsets[i], len, mode, &table, units);
        signature_of_units(units, m, ngram, hs, a, b, num_perm, out + i * num_perm, seen, gen);
    }
    free(seen);
    free(units);
    return BP_OK;
}

static inline uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ull;
    k ^= k >> 33;
    return k;
}

int bp_band_keys(const uint32_t *sig, size_t n, size_t num_perm, size_t bands, size_t rows,
                 uint64_t seed, uint64_t *out) {
    if (bands == 0 || rows == 0 || bands > num_perm / rows) {
        return BP_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t *row = sig + i * num_perm;
        for (size_t j = 0; j < bands; j++) {
            /* Seed and band index first, so equal rows in different bands get unrelated keys. */
            uint64_t h = fmix64(seed ^ ((uint64_t)(j + 1) * 0x9E3779B97F4A7C15ull));
            for (size_t r = 0; r < rows; r++) {
                h = (h ^ row[j * rows + r]) * 0x9FB21C651E98DF25ull;
                h ^= h >> 29;
            }
            out[i * bands + j] = fmix64(h ^ rows);
        }
    }
    return BP_OK;
}
