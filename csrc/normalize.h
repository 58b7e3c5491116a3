/* Text normalization for dedup, on raw UTF-8 bytes, in one pass.
 *
 * Digits depend on a mode (BP_DIGITS_*): KEEP (the default) leaves every digit as it is, a word
 * character like a letter; CLASS maps every decimal digit to '0', the web-corpus convention. KEEP
 * is the default because on synthesized math QA the class collapses distinct problems: on the
 * 57,628 qa_en items with string answers (question, newline, answer), CLASS gives 1,106 distinct
 * items an exact hash they share with another item only through their digits, 1,010 of them
 * arithmetic like "4 * 8 =\n32" vs "9 + 5 =\n14" (python tools/measure_digit_collisions.py).
 *
 * Decoding: strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). A byte that
 * does not start a valid sequence decodes to one U+FFFD and decoding resumes at the next byte, so
 * every input byte is consumed exactly once and invalid input can never stop or crash the scan.
 *
 * Per codepoint, in this order:
 *  1. full-width ASCII forms U+FF01-U+FF5E become ASCII U+0021-U+007E (CJK-mixed text types
 *     "ＡＢＣ１２３" as often as "ABC123");
 *  2. simple case folding (unicode_tables.h) of U+0000-U+052F (Latin, Latin-1, Latin Extended-A/B,
 *     IPA, Greek, Cyrillic) and U+1E00-U+1FFF (Latin Extended Additional, Greek Extended);
 *  3. classification of the folded codepoint:
 *     - separator (collapsed into one space, dropped at both ends): ASCII other than [0-9a-z];
 *       U+0080-U+00BF except ª ² ³ µ ¹ º ¼ ½ ¾; × ÷; U+2000-U+206F (general punctuation, spaces,
 *       zero-width characters); U+2E00-U+2E7F (supplemental punctuation); CJK punctuation
 *       U+3000-U+3004, U+3008-U+3020, U+3030, U+3036-U+3037, U+303D-U+303F, U+30FB; vertical,
 *       compatibility and small forms U+FE10-U+FE1F, U+FE30-U+FE6F; U+FEFF; half-width
 *       punctuation U+FF5F-U+FF65;
 *     - digit (every Unicode decimal digit, category Nd): in KEEP mode a word character,
 *       unchanged (full-width digits became ASCII in step 1); in CLASS mode the word character '0';
 *     - CJK (a word of its own): radicals U+2E80-U+2FDF, U+3005-U+3007, U+3021-U+3029,
 *       U+3038-U+303C, kana U+3040-U+30FF, bopomofo U+3100-U+312F and U+31A0-U+31BF, U+31F0-U+31FF,
 *       ideographs U+3400-U+4DBF, U+4E00-U+9FFF, U+F900-U+FAFF, U+20000-U+323AF, hangul syllables
 *       U+AC00-U+D7AF, half-width katakana U+FF66-U+FF9F, kana supplements U+1B000-U+1B16F;
 *     - anything else (letters, marks, symbols, emoji, U+FFFD) is a word character.
 * The normalized text is the kept codepoints with each run of separators turned into one space
 * (none at the ends). Words are the maximal runs of word characters, plus every CJK character on
 * its own. */
#ifndef BOOSTPACK_NORMALIZE_H
#define BOOSTPACK_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

enum { BP_CH_SEP = 0, BP_CH_WORD = 1, BP_CH_CJK = 2 };

/* Digit modes: the `digits` argument of every function below and of minhash.h. */
enum { BP_DIGITS_KEEP = 0, BP_DIGITS_CLASS = 1 };

#define BP_VALID_DIGITS(digits) ((digits) == BP_DIGITS_KEEP || (digits) == BP_DIGITS_CLASS)

/* Per digit mode, the normalized ASCII byte of each ASCII byte: letters folded, digits kept or
 * '0', ' ' for a separator (and only for one). One table per mode, so the per-byte loops look up
 * instead of testing the mode. */
extern const uint8_t bp_ascii_norm[2][128];

/* Decode one codepoint at s[*pos] (pos < len), advancing *pos. */
static inline uint32_t bp_utf8_next(const uint8_t *s, size_t len, size_t *pos) {
    size_t i = *pos;
    uint32_t c0 = s[i];
    if (c0 < 0x80) {
        *pos = i + 1;
        return c0;
    }
    size_t left = len - i;
    if (c0 >= 0xC2 && c0 <= 0xDF) {
        if (left >= 2 && (s[i + 1] & 0xC0) == 0x80) {
            *pos = i + 2;
            return ((c0 & 0x1F) << 6) | (s[i + 1] & 0x3Fu);
        }
    } else if (c0 >= 0xE0 && c0 <= 0xEF) {
        if (left >= 3 && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
            uint32_t cp = ((c0 & 0x0F) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
            if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
                *pos = i + 3;
                return cp;
            }
        }
    } else if (c0 >= 0xF0 && c0 <= 0xF4) {
        if (left >= 4 && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80 &&
            (s[i + 3] & 0xC0) == 0x80) {
            uint32_t cp = ((c0 & 0x07) << 18) | ((s[i + 1] & 0x3Fu) << 12) |
                          ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
            if (cp >= 0x10000 && cp <= 0x10FFFF) {
                *pos = i + 4;
                return cp;
            }
        }
    }
    *pos = i + 1;
    return 0xFFFD;
}

/* Fold and classify a non-ASCII codepoint (a digit is BP_CH_WORD, folded to '0' in CLASS mode);
 * returns the class, stores the folded codepoint. digits must be a valid mode. */
int bp_classify_nonascii(uint32_t cp, int digits, uint32_t *folded);

/* Fold and classify any codepoint (ASCII through the table), as bp_classify_nonascii. */
static inline int bp_classify(uint32_t cp, int digits, uint32_t *folded) {
    if (cp < 0x80) {
        uint8_t c = bp_ascii_norm[digits][cp];
        *folded = c;
        return c == ' ' ? BP_CH_SEP : BP_CH_WORD;
    }
    return bp_classify_nonascii(cp, digits, folded);
}

/* Encode cp as UTF-8 into dst (room for 4 bytes); returns the number of bytes written. */
static inline size_t bp_utf8_put(uint8_t *dst, uint32_t cp) {
    if (cp < 0x80) {
        dst[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (uint8_t)(0xC0 | (cp >> 6));
        dst[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (uint8_t)(0xE0 | (cp >> 12));
        dst[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (uint8_t)(0xF0 | (cp >> 18));
    dst[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Upper bound of the normalized size of len input bytes: an invalid byte becomes a 3-byte U+FFFD. */
#define BP_NORMALIZED_CAPACITY(len) (3 * (len) + 4)

/* Normalize src[0:len] with the given digit mode into dst (capacity cap >=
 * BP_NORMALIZED_CAPACITY(len)); *out_len gets the normalized length in bytes. */
bp_status bp_normalize(const uint8_t *src, size_t len, int digits, uint8_t *dst, size_t cap,
                       size_t *out_len);

/* For each of n documents data[offsets[i]:offsets[i+1]] (offsets validated by the caller:
 * monotone, offsets[n] <= the buffer size), out[2i], out[2i+1] = the low and high 64 bits of
 * MurmurHash3_x64_128 (seed 0) of its normalized UTF-8 text (digit mode digits). */
bp_status bp_exact_hashes(const uint8_t *data, const uint64_t *offsets, size_t n, int digits,
                          uint64_t *out);

/* MurmurHash3_x64_128 of key[0:len] with the given seed; out[0] = h1, out[1] = h2. */
void bp_murmur3_x64_128(const uint8_t *key, size_t len, uint64_t seed, uint64_t out[2]);

/* Check that document offsets[0..n] never decrease and store the longest document's length in
 * *longest (it sizes the scratch buffers); returns 0 when the offsets are invalid. The Python
 * boundary checks them too: this keeps the C entry points safe on their own. */
static inline int bp_longest_document(const uint64_t *offsets, size_t n, size_t *longest) {
    size_t most = 0;
    for (size_t i = 0; i < n; i++) {
        if (offsets[i + 1] < offsets[i]) {
            return 0;
        }
        size_t len = (size_t)(offsets[i + 1] - offsets[i]);
        most = len > most ? len : most;
    }
    *longest = most;
    return 1;
}

#endif
