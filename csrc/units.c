/* Unit hashes: see units.h, and minhash.h for the definitions. This file has the portable code
 * and the dispatch; units_x86.c the AVX-512 and AVX2 paths; units_internal.h what they share.
 *
 * Chars, one pass: per codepoint, its unit hash, or for a separator the hash of the space it may
 * become; the space of a separator run is written at the run's first separator and taken back
 * at the end of the text, so a byte costs one store and no branch.
 *
 * Words, two passes, so that no ASCII byte costs a branch or waits on a multiply:
 *  split: ASCII text 64 bytes at a time: vector compares give the bitmask of word bytes, its
 *         edges are the starts and ends of words, and the folded bytes go to a scratch copy.
 *         Every unit becomes an entry (init, start, end) whose hash is FNV-1a continued from
 *         the state init over the folded bytes fold[start:end], then fmix32: an ASCII word is
 *         (basis, its span), a CJK character (its hash state, nothing). Fast runs stop at a
 *         non-ASCII byte; codepoints then go one at a time (ideographs inline) until a run of
 *         16 ASCII bytes. A word's non-ASCII letters are folded into its init as they come, its
 *         ASCII tail stays a span.
 *  hash:  FNV-1a over 16 (AVX-512) or 8 (AVX2) entries at once, one word per lane. FNV is a
 *         serial multiply chain within a word; hashing a word at a time stalls on it (and
 *         branches on word lengths), one word per lane hides it.
 * Measured on qa_en (docs/signature-kernel.md): split + hash 0.6-0.9 ns/byte against about 2.5
 * for the codepoint-at-a-time loop they replaced. */
#include "units_internal.h"

#include <stdlib.h>

bp_status bp_units_new(size_t longest, int mode, int digits, int isa, bp_units **out) {
    if (longest > BP_MAX_DOCUMENT) {
        return BP_ERR_OVERFLOW;
    }
    bp_units *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return BP_ERR_NOMEM;
    }
    if (mode == BP_SHINGLE_WORD) {
        size_t cap = longest + BP_UNITS_SLACK;
        /* Twice the text: the AVX-512 word hash loads 8 bytes for each of its 16 lanes every
         * round until the group's longest word ends, so a short word late in the text is read
         * up to that length past its own end (found by ASan). Never written there, so calloc's
         * extra pages stay unbacked for long documents. */
        t->fold = calloc(longest + cap, 1);
        t->edge = malloc(2 * cap * sizeof(uint32_t));
        if (t->fold == NULL || t->edge == NULL) {
            bp_units_free(t);
            return BP_ERR_NOMEM;
        }
    }
    t->mode = mode;
    t->digits = digits;
    t->isa = bp_cpu_isa(isa);
    t->digit_to_zero = digits == BP_DIGITS_CLASS ? UINT64_MAX : 0;
    t->space = char_unit_hash(' ');
    for (uint32_t c = 0; c < 128; c++) {
        uint32_t folded;
        int kept = bp_classify(c, digits, &folded) != BP_CH_SEP;
        t->ascii[c] = kept ? (char_unit_hash(folded) | (1ull << 32)) : t->space;
    }
    for (uint32_t i = 0; i < 48; i++) {
        uint32_t c = i < 10 ? '0' + i : i < 36 ? 'a' + (i - 10) : ' ';
        t->compact[i] = (uint32_t)t->ascii[c];
    }
    *out = t;
    return BP_OK;
}

void bp_units_free(bp_units *units) {
    if (units != NULL) {
        free(units->fold);
        free(units->edge);
        free(units);
    }
}

/* ---- chars --------------------------------------------------------------------------------- */

/* noinline: its own frame in profiles (tools/profile_signature_stages.py), at one call per
 * document. */
__attribute__((noinline))
static size_t chars_scalar(const uint8_t *s, size_t len, const bp_units *t,
                           uint32_t *restrict u) {
    size_t pos = 0, m = 0, last_kept = 0;
    while (pos < len) {
        char_step(s, len, &pos, t, u, &m, &last_kept);
    }
    return m - (m > 0 && !last_kept); /* a trailing separator run leaves no space */
}

/* ---- words ---------------------------------------------------------------------------------- */

/* Whether the 16 bytes at p are ASCII. */
static inline int ascii16(const uint8_t *p) {
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    return ((a | b) & 0x8080808080808080ull) == 0;
}

/* Codepoints from pos on, one at a time, up to the end or to a run of 16 ASCII bytes for the
 * vector path (returns where it stopped): a newline or digit between CJK characters stays
 * here, where entering and leaving the vector path cost 18% of the time on zh_poetry. */
static size_t split_nonascii(const uint8_t *s, size_t len, size_t pos, const bp_units *t,
                             split_t *w) {
    uint32_t *restrict init = w->init, *restrict edge = w->edge;
    uint32_t cp;
    while (pos < len) {
        if (s[pos] < 0x80 && len - pos >= 16 && ascii16(s + pos)) {
            break;
        }
        if (!ideograph(s, len, pos, &cp)) {
            word_step(s, len, &pos, t, w);
            continue;
        }
        /* a word of its own; counters in locals, as through w they were reloaded per store */
        size_t ns = w->ns, ne = w->ne;
        do {
            if (ns > ne) {
                edge[2 * ne++ + 1] = (uint32_t)pos;
            }
            init[ns] = bp_fnv_step(BP_FNV_BASIS, cp);
            edge[2 * ns] = edge[2 * ns + 1] = (uint32_t)pos;
            ns++;
            ne++;
            pos += 3;
        } while (pos < len && ideograph(s, len, pos, &cp));
        w->ns = ns;
        w->ne = ne;
    }
    return pos;
}

static void split_scalar(const uint8_t *s, size_t len, const bp_units *t, split_t *w) {
    size_t pos = 0;
    while (pos < len) {
        while (pos < len && s[pos] < 0x80) {
            word_step(s, len, &pos, t, w);
        }
        pos = split_nonascii(s, len, pos, t, w);
    }
    word_close(w, len);
}

void bp_hash_words_scalar(const split_t *w, size_t from, size_t m, uint32_t *u) {
    for (size_t i = from; i < m; i++) {
        uint32_t from = w->edge[2 * i], to = w->edge[2 * i + 1];
        u[i] = bp_fmix32(fnv_bytes(w->init[i], w->fold + from, to - from));
    }
}

/* Split with an ASCII fast path: fast runs, and the non-ASCII codepoints between them one at
 * a time. */
static inline __attribute__((always_inline)) void split_with(
    size_t (*ascii)(const uint8_t *, size_t, size_t, const bp_units *, split_t *),
    const uint8_t *s, size_t len, const bp_units *t, split_t *w) {
    size_t pos = 0;
    while (pos < len) {
        pos = split_nonascii(s, len, ascii(s, len, pos, t, w), t, w);
    }
    word_close(w, len);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

/* The 16 entries past the last: empty spans at 0, so whole vector groups can read them. */
static void pad_entries(split_t *w) {
    for (size_t k = 0; k < 32; k++) {
        w->edge[2 * w->ns + k] = 0;
    }
}

static size_t words(bp_units *t, const uint8_t *s, size_t len, uint32_t *u) {
    split_t w = {t->fold, u, t->edge, 0, 0};
#ifdef BP_X86_64
    if (t->isa == BP_ISA_AVX512) {
        split_with(bp_ascii_avx512, s, len, t, &w);
        pad_entries(&w);
        bp_hash_words_avx512(&w, w.ns, u);
        return w.ns;
    }
    if (t->isa == BP_ISA_AVX2) {
        split_with(bp_ascii_avx2, s, len, t, &w);
        bp_hash_words_avx2(&w, w.ns, u);
        return w.ns;
    }
#endif
    split_scalar(s, len, t, &w);
    bp_hash_words_scalar(&w, 0, w.ns, u);
    return w.ns;
}

static size_t chars(bp_units *t, const uint8_t *s, size_t len, uint32_t *u) {
#ifdef BP_X86_64
    if (t->isa == BP_ISA_AVX512) {
        return bp_chars_avx512(s, len, t, u);
    }
#endif
    return chars_scalar(s, len, t, u);
}

size_t bp_units_of(bp_units *t, const uint8_t *s, size_t len, uint32_t *u) {
    size_t m = t->mode == BP_SHINGLE_WORD ? words(t, s, len, u) : chars(t, s, len, u);
    for (size_t k = 0; k < 16; k++) { /* defined values for vector blocks running past m */
        u[m + k] = 0;
    }
    return m;
}
