/* The x86-64 vector paths of the unit hashing (units.c has the design and the dispatch): AVX-512
 * (F+BW) and AVX2, each compiled for its own target and chosen at run time, so the build needs no
 * -m flags. Elsewhere this file is empty and units.c runs the portable code. */
#include "units_internal.h"

#ifdef BP_X86_64
#include <immintrin.h>

/* ---- chars ---------------------------------------------------------------------------------- */

/* chars_scalar, 64 ASCII bytes per step in four groups of 16: classify and fold in 32-bit lanes,
 * look the unit hashes up (a compact index: digits 0-9, letters 10-35, the space 36, into a
 * 48-entry table of the call's digit mode), then compress the emitted lanes (kept, or a separator
 * right after a kept character) into u. Blocks holding a non-ASCII byte go through char_step.
 * The lookup replaced four multiplies per lane (FNV and fmix32): 0.42 -> 0.3 ns/byte. */
__attribute__((target("avx512f,avx512bw,popcnt")))
size_t bp_chars_avx512(const uint8_t *s, size_t len, const bp_units *t,
                       uint32_t *restrict u) {
    const __m512i table0 = _mm512_loadu_si512((const void *)t->compact);
    const __m512i table1 = _mm512_loadu_si512((const void *)(t->compact + 16));
    const __m512i table2 = _mm512_loadu_si512((const void *)(t->compact + 32));
    const __m512i bit5 = _mm512_set1_epi32(0x20), zero = _mm512_set1_epi32('0');
    const __m512i a = _mm512_set1_epi32('a'), letter_base = _mm512_set1_epi32('a' - 10);
    const __m512i letters = _mm512_set1_epi32(26), digits = _mm512_set1_epi32(10);
    const __m512i space = _mm512_set1_epi32(36), upper = _mm512_set1_epi32(31);
    size_t pos = 0, m = 0, last_kept = 0;
    while (pos < len) {
        if (len - pos >= 64 &&
            _mm512_movepi8_mask(_mm512_loadu_si512((const void *)(s + pos))) == 0) {
            for (size_t q = 0; q < 64; q += 16) {
                __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(s + pos + q)));
                __m512i lower = _mm512_or_si512(c, bit5);
                __mmask16 alpha = _mm512_cmplt_epu32_mask(_mm512_sub_epi32(lower, a), letters);
                __mmask16 digit = _mm512_cmplt_epu32_mask(_mm512_sub_epi32(c, zero), digits);
                __m512i idx = _mm512_mask_sub_epi32(space, alpha, lower, letter_base);
                idx = _mm512_mask_sub_epi32(idx, digit, c, zero);
                __m512i h = _mm512_permutex2var_epi32(table0, idx, table1);
                h = _mm512_mask_permutexvar_epi32(h, _mm512_cmpgt_epu32_mask(idx, upper), idx,
                                                  table2);
                __mmask16 kept = (__mmask16)(alpha | digit);
                __mmask16 emit = (__mmask16)(kept | (uint32_t)((kept << 1) | last_kept));
                _mm512_storeu_si512((void *)(u + m), _mm512_maskz_compress_epi32(emit, h));
                m += (size_t)_mm_popcnt_u32(emit);
                last_kept = (kept >> 15) & 1u;
            }
            pos += 64;
            continue;
        }
        size_t stop = len - pos >= 64 ? pos + 64 : len;
        while (pos < stop) {
            char_step(s, len, &pos, t, u, &m, &last_kept);
        }
    }
    return m - (m > 0 && !last_kept);
}

/* ---- words: split -------------------------------------------------------------------------- */

/* The fast paths below take ASCII text from pos on, 64 bytes per step, and stop at the first
 * non-ASCII byte or at the end (returning where they stopped); the caller steps over the
 * non-ASCII codepoints and comes back. In each step, `word` marks the word bytes and `in` the
 * bytes taken: entries start where a word byte follows a non-word byte, and end where a non-word
 * byte inside `in` follows a word byte (so a word running into a non-ASCII letter stays open).
 * Counters and pointers live in locals: through split_t they were reloaded after every store. */

/* The positions (base + index) of the set bits of bits into out, in order, 16 bits per
 * compress; returns how many. Writes whole vectors past the count. Measured against a
 * tzcnt/blsr loop: 0.32 against 0.52 ns/byte for the whole split on qa_en. */
__attribute__((target("avx512f,popcnt")))
static inline size_t flatten_avx512(uint64_t bits, size_t base, uint32_t *out) {
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512i at = _mm512_add_epi32(iota, _mm512_set1_epi32((int)base));
    size_t count = 0;
    for (int chunk = 0; chunk < 4; chunk++) {
        __mmask16 some = (__mmask16)(bits >> (16 * chunk));
        _mm512_storeu_si512((void *)(out + count), _mm512_maskz_compress_epi32(some, at));
        count += (size_t)__builtin_popcount(some);
        at = _mm512_add_epi32(at, _mm512_set1_epi32(16));
    }
    return count;
}

__attribute__((target("avx512f,avx512bw,bmi,popcnt")))
size_t bp_ascii_avx512(const uint8_t *s, size_t len, size_t pos, const bp_units *t,
                       split_t *w) {
    const __m512i a = _mm512_set1_epi8('a'), zero = _mm512_set1_epi8('0');
    const __m512i bit5 = _mm512_set1_epi8(0x20), basis = _mm512_set1_epi32((int)BP_FNV_BASIS);
    const __m512i letters = _mm512_set1_epi8(26), digits = _mm512_set1_epi8(10);
    const __mmask64 to_zero = t->digit_to_zero;
    uint8_t *restrict fold = w->fold;
    uint32_t *restrict init = w->init, *restrict edge = w->edge;
    size_t ns = w->ns, ne = w->ne;
    while (pos < len) {
        size_t left = len - pos;
        __mmask64 in = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        __m512i x = _mm512_maskz_loadu_epi8(in, s + pos);
        __mmask64 high = _mm512_movepi8_mask(x);
        in &= (high & (0 - high)) - 1; /* below the first non-ASCII byte (all when none) */
        __m512i lower = _mm512_or_si512(x, bit5);
        __mmask64 alpha = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(lower, a), letters);
        __mmask64 digit = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x, zero), digits);
        /* '0'-'9' have bit 5 set already, so lower is the folded byte of every word byte,
         * except that CLASS mode turns digits into '0'. */
        _mm512_storeu_si512((void *)(fold + pos),
                            _mm512_mask_mov_epi8(lower, digit & to_zero, zero));
        uint64_t word = (alpha | digit) & in;
        uint64_t before = (word << 1) | (uint64_t)(ns > ne);
        uint64_t starts = word & ~before, ends = ~word & before & in;
        _mm512_storeu_si512((void *)(init + ns), basis); /* at most 32 entries start here */
        _mm512_storeu_si512((void *)(init + ns + 16), basis);
        flatten_avx512(starts | ends, pos, edge + ns + ne);
        ns += (size_t)_mm_popcnt_u64(starts);
        ne += (size_t)_mm_popcnt_u64(ends);
        if (high != 0) {
            pos += (size_t)_tzcnt_u64(high);
            break;
        }
        pos += left >= 64 ? 64 : left;
    }
    w->ns = ns;
    w->ne = ne;
    return pos;
}

/* The positions of the set bits of bits into out (8 at a time past the count); returns how
 * many. AVX2 has no compress. */
static inline __attribute__((always_inline)) size_t flatten_scalar(uint64_t bits, size_t base,
                                                                   uint32_t *out) {
    size_t count = (size_t)__builtin_popcountll(bits);
    for (size_t i = 0; i < count; i += 8) {
        for (size_t j = 0; j < 8; j++) {
            out[i + j] = (uint32_t)base + (uint32_t)__builtin_ctzll(bits | (1ull << 63));
            bits &= bits - 1;
        }
    }
    return count;
}

__attribute__((target("avx2,bmi,popcnt")))
size_t bp_ascii_avx2(const uint8_t *s, size_t len, size_t pos, const bp_units *t,
                     split_t *w) {
    const __m256i a = _mm256_set1_epi8('a'), zero = _mm256_set1_epi8('0');
    const __m256i bit5 = _mm256_set1_epi8(0x20);
    const __m256i letters = _mm256_set1_epi8(25), digits = _mm256_set1_epi8(9);
    const __m256i to_zero = _mm256_set1_epi8((char)(t->digit_to_zero & 0xFF));
    uint8_t *restrict fold = w->fold;
    uint32_t *restrict init = w->init, *restrict edge = w->edge;
    size_t ns = w->ns, ne = w->ne;
    uint8_t tail[64];
    while (pos < len) {
        size_t left = len - pos;
        const uint8_t *p = s + pos;
        uint64_t in = ~(uint64_t)0;
        if (left < 64) {
            memset(tail, 0, sizeof tail);
            memcpy(tail, p, left);
            p = tail;
            in = ((uint64_t)1 << left) - 1;
        }
        uint64_t high = 0, word = 0;
        for (int half = 0; half < 2; half++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * half));
            __m256i lower = _mm256_or_si256(x, bit5);
            __m256i ta = _mm256_sub_epi8(lower, a), td = _mm256_sub_epi8(x, zero);
            /* unsigned v <= n as min(v, n) == v: AVX2 has no unsigned byte compare */
            __m256i alpha = _mm256_cmpeq_epi8(_mm256_min_epu8(ta, letters), ta);
            __m256i digit = _mm256_cmpeq_epi8(_mm256_min_epu8(td, digits), td);
            __m256i folded = _mm256_blendv_epi8(lower, zero, _mm256_and_si256(digit, to_zero));
            _mm256_storeu_si256((__m256i *)(void *)(fold + pos + 32 * half), folded);
            word |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(alpha, digit))
                    << (32 * half);
            high |= (uint64_t)(uint32_t)_mm256_movemask_epi8(x) << (32 * half);
        }
        in &= (high & (0 - high)) - 1;
        word &= in;
        uint64_t before = (word << 1) | (uint64_t)(ns > ne);
        uint64_t starts = word & ~before, ends = ~word & before & in;
        for (size_t k = 0; k < 32; k++) { /* at most 32 entries start here */
            init[ns + k] = BP_FNV_BASIS;
        }
        flatten_scalar(starts | ends, pos, edge + ns + ne);
        ns += (size_t)_mm_popcnt_u64(starts);
        ne += (size_t)_mm_popcnt_u64(ends);
        if (high != 0) {
            pos += (size_t)_tzcnt_u64(high);
            break;
        }
        pos += left >= 64 ? 64 : left;
    }
    w->ns = ns;
    w->ne = ne;
    return pos;
}

/* ---- words: hash --------------------------------------------------------------------------- */

__attribute__((target("avx512f")))
static inline __m512i fmix32_avx512(__m512i h) {
    h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
    h = _mm512_mullo_epi32(h, _mm512_set1_epi32((int)0x85EBCA6Bu));
    h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
    h = _mm512_mullo_epi32(h, _mm512_set1_epi32((int)0xC2B2AE35u));
    return _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
}

/* The next 8 folded bytes of the 16 entries whose edges start at edge, from byte k on, as two
 * vectors of 4 bytes per lane (bytes 0-3, bytes 4-7): one scalar load per entry, which beats two
 * 16-lane gathers (0.28 against 0.43 ns/byte for the hash pass on qa_en). */
__attribute__((target("avx512f")))
static inline void next_bytes_avx512(const uint8_t *fold, const uint32_t *edge, uint32_t k,
                                     __m512i *low, __m512i *high) {
    uint64_t q[16];
    for (size_t l = 0; l < 16; l++) {
        memcpy(&q[l], fold + edge[2 * l] + k, sizeof q[l]);
    }
    __m512i q0 = _mm512_loadu_si512((const void *)q);
    __m512i q1 = _mm512_loadu_si512((const void *)(q + 8));
    __m512i h0 = _mm512_srli_epi64(q0, 32), h1 = _mm512_srli_epi64(q1, 32);
    *low = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(q0)),
                              _mm512_cvtepi64_epi32(q1), 1);
    *high = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(h0)),
                               _mm512_cvtepi64_epi32(h1), 1);
}

/* Entries 16 at a time, one word per lane, 8 bytes per round; a lane whose word has ended is
 * masked off. u may be w->init (each group is loaded before it is stored); the 16 entries past
 * m are read, and must be empty. */
__attribute__((target("avx512f")))
void bp_hash_words_avx512(const split_t *w, size_t m, uint32_t *u) {
    const __m512i prime = _mm512_set1_epi32((int)BP_FNV_PRIME), low = _mm512_set1_epi32(0xFF);
    const __m512i evens =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_add_epi32(evens, _mm512_set1_epi32(1));
    for (size_t i = 0; i < m; i += 16) {
        __mmask16 live = m - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (m - i)) - 1);
        const uint32_t *edge = w->edge + 2 * i;
        __m512i e0 = _mm512_loadu_si512((const void *)edge);
        __m512i e1 = _mm512_loadu_si512((const void *)(edge + 16));
        __m512i len = _mm512_sub_epi32(_mm512_permutex2var_epi32(e0, odds, e1),
                                       _mm512_permutex2var_epi32(e0, evens, e1));
        __m512i h = _mm512_maskz_loadu_epi32(live, w->init + i);
        uint32_t most = _mm512_reduce_max_epu32(len);
        for (uint32_t k = 0; k < most; k += 8) {
            __m512i bytes[2];
            next_bytes_avx512(w->fold, edge, k, &bytes[0], &bytes[1]);
            for (uint32_t j = 0; j < 8; j++) {
                __mmask16 on = _mm512_cmpgt_epu32_mask(len, _mm512_set1_epi32((int)(k + j)));
                __m512i c = _mm512_and_si512(_mm512_srli_epi32(bytes[j / 4], 8 * (j % 4)), low);
                h = _mm512_mask_mullo_epi32(h, on, _mm512_xor_si512(h, c), prime);
            }
        }
        _mm512_mask_storeu_epi32(u + i, live, fmix32_avx512(h));
    }
}

__attribute__((target("avx2")))
static inline __m256i fmix32_avx2(__m256i h) {
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
    h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0x85EBCA6Bu));
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
    h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0xC2B2AE35u));
    return _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
}

/* Entries 8 at a time, the last few scalar; u may be w->init. */
__attribute__((target("avx2")))
void bp_hash_words_avx2(const split_t *w, size_t m, uint32_t *u) {
    const __m256i prime = _mm256_set1_epi32((int)BP_FNV_PRIME), low = _mm256_set1_epi32(0xFF);
    size_t i = 0;
    for (; i + 8 <= m; i += 8) {
        /* the 8 entries' starts and ends, out of their interleaving */
        __m256 e0 = _mm256_loadu_ps((const float *)(const void *)(w->edge + 2 * i));
        __m256 e1 = _mm256_loadu_ps((const float *)(const void *)(w->edge + 2 * i + 8));
        __m256i start = _mm256_permute4x64_epi64(
            _mm256_castps_si256(_mm256_shuffle_ps(e0, e1, 0x88)), 0xD8);
        __m256i end = _mm256_permute4x64_epi64(
            _mm256_castps_si256(_mm256_shuffle_ps(e0, e1, 0xDD)), 0xD8);
        __m256i len = _mm256_sub_epi32(end, start);
        __m256i h = _mm256_loadu_si256((const __m256i *)(w->init + i));
        __m256i most = _mm256_max_epu32(len, _mm256_permute2x128_si256(len, len, 1));
        most = _mm256_max_epu32(most, _mm256_shuffle_epi32(most, 0x4E));
        most = _mm256_max_epu32(most, _mm256_shuffle_epi32(most, 0xB1));
        uint32_t steps = (uint32_t)_mm256_cvtsi256_si32(most);
        /* lengths are below 2^31, so signed compares do */
        for (uint32_t k = 0; k < steps; k += 4) {
            __m256i some = _mm256_cmpgt_epi32(len, _mm256_set1_epi32((int)k));
            __m256i four = _mm256_mask_i32gather_epi32(
                _mm256_setzero_si256(), (const int *)(const void *)w->fold,
                _mm256_add_epi32(start, _mm256_set1_epi32((int)k)), some, 1);
            for (uint32_t j = 0; j < 4; j++) {
                __m256i on = _mm256_cmpgt_epi32(len, _mm256_set1_epi32((int)(k + j)));
                __m256i c = _mm256_and_si256(_mm256_srli_epi32(four, (int)(8 * j)), low);
                __m256i next = _mm256_mullo_epi32(_mm256_xor_si256(h, c), prime);
                h = _mm256_blendv_epi8(h, next, on);
            }
        }
        _mm256_storeu_si256((__m256i *)(u + i), fmix32_avx2(h));
    }
    bp_hash_words_scalar(w, i, m, u);
}
#endif
