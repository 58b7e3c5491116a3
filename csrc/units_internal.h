/* What units.c and units_x86.c share: the unit hasher's state, the word entries, the
 * per-codepoint steps both the scalar and the vector paths fall back to, and the vector paths'
 * entry points (units_x86.c, x86-64 only). Internal to the signature kernel. */
#ifndef BOOSTPACK_UNITS_INTERNAL_H
#define BOOSTPACK_UNITS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "hashmix.h"
#include "minhash.h"
#include "normalize.h"
#include "units.h"

struct bp_units {
    /* Chars: per ASCII byte, the unit hash of its normalized byte with bit 32 set, or for a
     * separator the hash of the space it may become with bit 32 clear; filled once per call
     * for its digit mode, so the hot loop trades four multiplies per character for one load. */
    uint64_t ascii[128];
    uint64_t space;
    /* The same hashes by compact index (digits 0-9, letters 10-35, the space 36; 48 entries)
     * for the AVX-512 path's lookups. */
    uint32_t compact[48];
    int mode;
    int digits;
    int isa;
    uint64_t digit_to_zero; /* vector paths: all ones in CLASS mode (digit lanes become '0') */
    /* Words: the folded bytes (2 * longest + BP_UNITS_SLACK: see bp_units_new) and the
     * entries' spans, entry i's start and end at edge[2i] and edge[2i + 1] (2 * (longest +
     * BP_UNITS_SLACK)); the entries' init states live in the caller's unit array, hashed in
     * place. */
    uint8_t *fold;
    uint32_t *edge;
};

static inline uint32_t char_unit_hash(uint32_t cp) {
    return bp_fmix32(bp_fnv_step(BP_FNV_BASIS, cp));
}

/* A CJK unified ideograph U+4E00-U+9FFF at s[p] (3 bytes), the bulk of Chinese and Japanese
 * text, decoded and classified inline: the general path (decode, then a call through every
 * class range) cost about 20 cycles per character. */
static inline int ideograph(const uint8_t *s, size_t len, size_t p, uint32_t *cp) {
    if (len - p < 3 || (uint32_t)(s[p] - 0xE4) > 5 || (s[p + 1] & 0xC0) != 0x80 ||
        (s[p + 2] & 0xC0) != 0x80) {
        return 0;
    }
    *cp = ((s[p] & 0x0Fu) << 12) | ((s[p + 1] & 0x3Fu) << 6) | (s[p + 2] & 0x3Fu);
    return *cp >= 0x4E00;
}

/* One codepoint at s[*pos] (advancing *pos): its unit hash goes to u[*m]; the eager space
 * avoids tracking a pending one, which put a 4-5 cycle dependency chain on every byte
 * (measured 1.5 against 1.0 ns/byte on qa_en). */
static inline void char_step(const uint8_t *s, size_t len, size_t *pos, const bp_units *t,
                             uint32_t *restrict u, size_t *m, size_t *last_kept) {
    uint32_t c = s[*pos];
    uint64_t e;
    if (c < 0x80) {
        (*pos)++;
        e = t->ascii[c];
    } else if (ideograph(s, len, *pos, &c)) {
        *pos += 3;
        e = char_unit_hash(c) | (1ull << 32);
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

/* ---- words ---------------------------------------------------------------------------------- */

typedef struct {
    uint8_t *fold;
    uint32_t *init;
    /* Entry i spans fold[edge[2i]:edge[2i + 1]]: starts and ends interleaved, as word edges
     * come in text order, so the vector split writes them with one compress per 16 bytes. */
    uint32_t *edge;
    size_t ns, ne; /* entries started, entries ended: a word is open while ns > ne */
} split_t;

static inline uint32_t fnv_bytes(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h = bp_fnv_step(h, p[i]);
    }
    return h;
}

static inline void word_open(split_t *w, size_t p) {
    w->init[w->ns] = BP_FNV_BASIS;
    w->edge[2 * w->ns++] = (uint32_t)p;
}

static inline void word_close(split_t *w, size_t p) {
    if (w->ns > w->ne) {
        w->edge[2 * w->ne++ + 1] = (uint32_t)p;
    }
}

/* One codepoint at s[*pos], advancing *pos. */
static inline void word_step(const uint8_t *s, size_t len, size_t *pos, const bp_units *t,
                             split_t *w) {
    size_t p = *pos;
    uint32_t c = s[p];
    if (c < 0x80) {
        *pos = p + 1;
        uint8_t folded = bp_ascii_norm[t->digits][c];
        if (folded == ' ') {
            word_close(w, p);
            return;
        }
        w->fold[p] = folded;
        if (w->ns == w->ne) {
            word_open(w, p);
        }
        return;
    }
    uint32_t folded;
    c = bp_utf8_next(s, len, pos);
    int cls = bp_classify_nonascii(c, t->digits, &folded);
    if (cls == BP_CH_WORD) {
        if (w->ns == w->ne) {
            word_open(w, p);
        }
        size_t e = w->ne;
        uint32_t from = w->edge[2 * e];
        w->init[e] = bp_fnv_step(fnv_bytes(w->init[e], w->fold + from, p - from), folded);
        w->edge[2 * e] = (uint32_t)*pos;
        return;
    }
    word_close(w, p);
    if (cls == BP_CH_CJK) {
        w->init[w->ns] = bp_fnv_step(BP_FNV_BASIS, folded);
        w->edge[2 * w->ns] = w->edge[2 * w->ns + 1] = (uint32_t)p;
        w->ns++;
        w->ne++;
    }
}

void bp_hash_words_scalar(const split_t *w, size_t from, size_t m, uint32_t *u);

#ifdef BP_X86_64
size_t bp_chars_avx512(const uint8_t *s, size_t len, const bp_units *t,
                       uint32_t *restrict u);
size_t bp_ascii_avx512(const uint8_t *s, size_t len, size_t pos, const bp_units *t, split_t *w);
size_t bp_ascii_avx2(const uint8_t *s, size_t len, size_t pos, const bp_units *t, split_t *w);
void bp_hash_words_avx512(const split_t *w, size_t m, uint32_t *u);
void bp_hash_words_avx2(const split_t *w, size_t m, uint32_t *u);
#endif

#endif
