/* Normalization for dedup: see normalize.h for the exact definition. */
#include "normalize.h"

#include <stdlib.h>
#include <string.h>

#include "hashmix.h"
#include "unicode_tables.h"

/* Rows shared by both modes; they differ only in the digits row. */
#define CONTROLS                                                                              \
    ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',           \
    ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',           \
    ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ' /* ! " # ../ */
#define LETTERS                                                                               \
    ' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', /* @ A-O */ \
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', ' ', ' ', ' ', ' ', ' ', /* P-Z [ */ \
    ' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', /* ` a-o */ \
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', ' ', ' ', ' ', ' ', ' '  /* p-z { */
const uint8_t bp_ascii_norm[2][128] = {
    [BP_DIGITS_KEEP] = {CONTROLS,
                        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', ' ', ' ', ' ', ' ', ' ',
                        LETTERS},
    [BP_DIGITS_CLASS] = {CONTROLS,
                         '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', ' ', ' ', ' ', ' ', ' ', ' ',
                         LETTERS},
};
#undef CONTROLS
#undef LETTERS

/* Unicode 14 decimal digits (category Nd) above ASCII, as inclusive ranges. */
static const uint32_t nd_ranges[][2] = {
    {0x660, 0x669},     {0x6F0, 0x6F9},     {0x7C0, 0x7C9},     {0x966, 0x96F},
    {0x9E6, 0x9EF},     {0xA66, 0xA6F},     {0xAE6, 0xAEF},     {0xB66, 0xB6F},
    {0xBE6, 0xBEF},     {0xC66, 0xC6F},     {0xCE6, 0xCEF},     {0xD66, 0xD6F},
    {0xDE6, 0xDEF},     {0xE50, 0xE59},     {0xED0, 0xED9},     {0xF20, 0xF29},
    {0x1040, 0x1049},   {0x1090, 0x1099},   {0x17E0, 0x17E9},   {0x1810, 0x1819},
    {0x1946, 0x194F},   {0x19D0, 0x19D9},   {0x1A80, 0x1A89},   {0x1A90, 0x1A99},
    {0x1B50, 0x1B59},   {0x1BB0, 0x1BB9},   {0x1C40, 0x1C49},   {0x1C50, 0x1C59},
    {0xA620, 0xA629},   {0xA8D0, 0xA8D9},   {0xA900, 0xA909},   {0xA9D0, 0xA9D9},
    {0xA9F0, 0xA9F9},   {0xAA50, 0xAA59},   {0xABF0, 0xABF9},   {0x104A0, 0x104A9},
    {0x10D30, 0x10D39}, {0x11066, 0x1106F}, {0x110F0, 0x110F9}, {0x11136, 0x1113F},
    {0x111D0, 0x111D9}, {0x112F0, 0x112F9}, {0x11450, 0x11459}, {0x114D0, 0x114D9},
    {0x11650, 0x11659}, {0x116C0, 0x116C9}, {0x11730, 0x11739}, {0x118E0, 0x118E9},
    {0x11950, 0x11959}, {0x11C50, 0x11C59}, {0x11D50, 0x11D59}, {0x11DA0, 0x11DA9},
    {0x16A60, 0x16A69}, {0x16AC0, 0x16AC9}, {0x16B50, 0x16B59}, {0x1D7CE, 0x1D7FF},
    {0x1E140, 0x1E149}, {0x1E2F0, 0x1E2F9}, {0x1E950, 0x1E959}, {0x1FBF0, 0x1FBF9},
};

static int is_nd(uint32_t cp) {
    size_t lo = 0, hi = sizeof nd_ranges / sizeof nd_ranges[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < nd_ranges[mid][0]) {
            hi = mid;
        } else if (cp > nd_ranges[mid][1]) {
            lo = mid + 1;
        } else {
            return 1;
        }
    }
    return 0;
}

/* A non-ASCII decimal digit: itself in KEEP mode, '0' in CLASS mode. */
static int digit_class(uint32_t cp, int digits, uint32_t *folded) {
    *folded = digits == BP_DIGITS_CLASS ? (uint32_t)'0' : cp;
    return BP_CH_WORD;
}

int bp_classify_nonascii(uint32_t cp, int digits, uint32_t *folded) {
    if (cp - 0x4E00u < 0x5200u) { /* U+4E00-U+9FFF: most of any Chinese or Japanese text */
        *folded = cp;
        return BP_CH_CJK;
    }
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
        return bp_classify(cp - 0xFEE0, digits, folded);
    }
    if (cp < 0x530) {
        cp = bp_fold_low[cp];
    } else if (cp >= 0x1E00 && cp < 0x2000) {
        cp = bp_fold_ext[cp - 0x1E00];
    }
    if (cp < 0x80) {
        return bp_classify(cp, digits, folded); /* U+017F long s folds to ASCII 's' */
    }
    *folded = cp;
    if (cp < 0xC0) {
        /* Latin-1 punctuation and symbols; ª ² ³ µ ¹ º ¼ ½ ¾ are letters or numbers. */
        switch (cp) {
        case 0xAA: case 0xB2: case 0xB3: case 0xB5: case 0xB9: case 0xBA:
        case 0xBC: case 0xBD: case 0xBE:
            return BP_CH_WORD;
        default:
            return BP_CH_SEP;
        }
    }
    if (cp == 0xD7 || cp == 0xF7) {
        return BP_CH_SEP;
    }
    if (cp < 0x2000) {
        if (cp >= 0x660 && is_nd(cp)) {
            return digit_class(cp, digits, folded);
        }
        return BP_CH_WORD;
    }
    if (cp < 0x2070 || (cp >= 0x2E00 && cp < 0x2E80)) {
        return BP_CH_SEP;
    }
    if (cp < 0x2E80) {
        return BP_CH_WORD;
    }
    if (cp < 0x3000) {
        return cp < 0x2FE0 ? BP_CH_CJK : BP_CH_WORD;
    }
    if (cp < 0x3040) {
        if ((cp >= 0x3005 && cp <= 0x3007) || (cp >= 0x3021 && cp <= 0x3029) ||
            (cp >= 0x3038 && cp <= 0x303C)) {
            return BP_CH_CJK;
        }
        if (cp >= 0x302A && cp <= 0x302F) {
            return BP_CH_WORD; /* ideographic tone marks: combining, not punctuation */
        }
        if (cp >= 0x3031 && cp <= 0x3035) {
            return BP_CH_CJK; /* kana repeat marks */
        }
        return BP_CH_SEP;
    }
    if (cp < 0x3100) {
        return cp == 0x30FB ? BP_CH_SEP : BP_CH_CJK;
    }
    if (cp < 0x3130 || (cp >= 0x31A0 && cp < 0x31C0) || (cp >= 0x31F0 && cp < 0x3200) ||
        (cp >= 0x3400 && cp < 0x4DC0) || (cp >= 0x4E00 && cp < 0xA000)) {
        return BP_CH_CJK;
    }
    if (cp >= 0xA000 && cp < 0xAC00) {
        if (is_nd(cp)) {
            return digit_class(cp, digits, folded);
        }
        return BP_CH_WORD;
    }
    if (cp >= 0xAC00 && cp < 0xD7B0) {
        return BP_CH_CJK;
    }
    if (cp >= 0xF900 && cp < 0xFB00) {
        return BP_CH_CJK;
    }
    if ((cp >= 0xFE10 && cp < 0xFE20) || (cp >= 0xFE30 && cp < 0xFE70) || cp == 0xFEFF ||
        (cp >= 0xFF5F && cp <= 0xFF65)) {
        return BP_CH_SEP;
    }
    if (cp >= 0xFF66 && cp <= 0xFF9F) {
        return BP_CH_CJK;
    }
    if (cp < 0x10000) {
        return BP_CH_WORD;
    }
    if ((cp >= 0x1B000 && cp < 0x1B170) || (cp >= 0x20000 && cp < 0x323B0)) {
        return BP_CH_CJK;
    }
    if (cp < 0x20000 && is_nd(cp)) {
        return digit_class(cp, digits, folded);
    }
    return BP_CH_WORD;
}

bp_status bp_normalize(const uint8_t *src, size_t len, int digits, uint8_t *dst, size_t cap,
                       size_t *out_len) {
    if (!BP_VALID_DIGITS(digits)) {
        return BP_ERR_INVALID;
    }
    if (cap < BP_NORMALIZED_CAPACITY(len)) {
        return BP_ERR_CAPACITY;
    }
    const uint8_t *ascii = bp_ascii_norm[digits];
    /* Same scheme as the char shingler (minhash.c): the space of a separator run is written at
     * its first separator when a kept codepoint precedes it, and taken back at the end; no branch
     * per ASCII byte on whether a space is pending. */
    size_t pos = 0, o = 0, last_kept = 0;
    while (pos < len) {
        uint32_t cp = src[pos];
        if (cp < 0x80) {
            pos++;
            uint8_t c = ascii[cp];
            size_t kept = c != ' ';
            dst[o] = c;
            o += kept | last_kept;
            last_kept = kept;
            continue;
        }
        uint32_t folded;
        cp = bp_utf8_next(src, len, &pos);
        if (bp_classify_nonascii(cp, digits, &folded) == BP_CH_SEP) {
            dst[o] = ' ';
            o += last_kept;
            last_kept = 0;
        } else {
            o += bp_utf8_put(dst + o, folded);
            last_kept = 1;
        }
    }
    *out_len = o - (o > 0 && !last_kept);
    return BP_OK;
}

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

void bp_murmur3_x64_128(const uint8_t *key, size_t len, uint64_t seed, uint64_t out[2]) {
    const uint64_t c1 = 0x87C37B91114253D5ull, c2 = 0x4CF5AD432745937Full;
    uint64_t h1 = seed, h2 = seed;
    size_t nblocks = len / 16;
    for (size_t i = 0; i < nblocks; i++) {
        uint64_t k1 = load_le64(key + 16 * i), k2 = load_le64(key + 16 * i + 8);
        k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
        h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52DCE729;
        k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
        h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495AB5;
    }
    const uint8_t *tail = key + 16 * nblocks;
    size_t rest = len & 15;
    uint64_t k1 = 0, k2 = 0;
    for (size_t i = rest; i > 8; i--) {
        k2 = (k2 << 8) | tail[i - 1];
    }
    for (size_t i = rest < 8 ? rest : 8; i > 0; i--) {
        k1 = (k1 << 8) | tail[i - 1];
    }
    if (rest > 8) {
        k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
    }
    if (rest > 0) {
        k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
    }
    h1 ^= (uint64_t)len;
    h2 ^= (uint64_t)len;
    h1 += h2;
    h2 += h1;
    h1 = bp_fmix64(h1);
    h2 = bp_fmix64(h2);
    h1 += h2;
    h2 += h1;
    out[0] = h1;
    out[1] = h2;
}

bp_status bp_exact_hashes(const uint8_t *data, const uint64_t *offsets, size_t n, int digits,
                          uint64_t *out) {
    if (!BP_VALID_DIGITS(digits)) {
        return BP_ERR_INVALID;
    }
    size_t longest = 0;
    if (!bp_longest_document(offsets, n, &longest)) {
        return BP_ERR_INVALID;
    }
    if (longest > (SIZE_MAX - 4) / 3) {
        return BP_ERR_OVERFLOW;
    }
    size_t cap = BP_NORMALIZED_CAPACITY(longest);
    uint8_t *scratch = malloc(cap);
    if (scratch == NULL) {
        return BP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t norm_len = 0;
        bp_normalize(data + offsets[i], (size_t)(offsets[i + 1] - offsets[i]), digits, scratch, cap,
                     &norm_len);
        bp_murmur3_x64_128(scratch, norm_len, 0, out + 2 * i);
    }
    free(scratch);
    return BP_OK;
}
