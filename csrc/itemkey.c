/* Item keys of questions and answers: see itemkey.h for the exact rules. */
#include "itemkey.h"

#include <stdlib.h>
#include <string.h>

#include "hashmix.h"
#include "normalize.h"

#define FNV64_BASIS 0xCBF29CE484222325ull
#define FNV64_PRIME 0x00000100000001B3ull
/* Mixed into formula keys, so that one never equals a multiset-of-numbers key by construction. */
#define FORMULA_TAG 0x9E3779B97F4A7C15ull

static inline uint64_t fnv64(uint64_t h, uint8_t c) {
    return (h ^ c) * FNV64_PRIME;
}

static inline int is_digit(uint8_t c) {
    return c >= '0' && c <= '9';
}

static inline int is_space(uint8_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline int is_alpha(uint8_t c) {
    return (uint8_t)((c | 0x20) - 'a') < 26;
}

/* A byte of a word: an ASCII letter or digit, or any byte of a non-ASCII codepoint. */
static inline int is_word(uint8_t c) {
    return is_alpha(c) || is_digit(c) || c >= 0x80;
}

static inline uint8_t lower(uint8_t c) {
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Whether s[i] is a ',' between thousands: a digit before, exactly three digits after. */
static int thousands(const uint8_t *s, size_t len, size_t i) {
    return s[i] == ',' && i > 0 && is_digit(s[i - 1]) && i + 3 < len && is_digit(s[i + 1]) &&
           is_digit(s[i + 2]) && is_digit(s[i + 3]) && (i + 4 == len || !is_digit(s[i + 4]));
}

/* The end of the number starting at the digit s[i]; *value gets the FNV-1a hash of its value. */
static size_t scan_number(const uint8_t *s, size_t len, size_t i, uint64_t *value) {
    uint64_t h = FNV64_BASIS;
    while (i < len) {
        if (is_digit(s[i]) || (s[i] == '.' && i + 1 < len && is_digit(s[i + 1]))) {
            h = fnv64(h, s[i]);
        } else if (!thousands(s, len, i)) {
            break;
        }
        i++;
    }
    *value = h;
    return i;
}

static int formula_like(const uint8_t *s, size_t len) {
    size_t letters = 0, visible = 0;
    for (size_t i = 0; i < len; i++) {
        const uint8_t c = s[i];
        if (c >= 0x80 && c < 0xC0) {
            continue; /* continuation byte: its codepoint is counted at the lead byte */
        }
        letters += is_alpha(c) || c >= 0xC0;
        visible += !is_space(c);
    }
    return 2 * letters < visible;
}

static uint64_t question_key(const uint8_t *s, size_t len) {
    if (len <= BP_FORMULA_BYTES && formula_like(s, len)) {
        uint64_t h = FNV64_BASIS;
        for (size_t i = 0; i < len; i++) {
            if (!is_space(s[i])) {
                h = fnv64(h, lower(s[i]));
            }
        }
        return bp_fmix64(h ^ FORMULA_TAG);
    }
    uint64_t sum = 0; /* a sum of mixed hashes: the same for any order of the numbers */
    for (size_t i = 0; i < len;) {
        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        uint64_t value;
        i = scan_number(s, len, i, &value);
        sum += bp_fmix64(value);
    }
    return sum;
}

bp_status bp_question_keys(const uint8_t *data, const uint64_t *offsets, size_t n, uint64_t *out) {
    size_t longest;
    if (!bp_longest_document(offsets, n, &longest)) {
        return BP_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = question_key(data + offsets[i], (size_t)(offsets[i + 1] - offsets[i]));
    }
    return BP_OK;
}

/* A span of an answer: s[start:end]. */
typedef struct {
    size_t start, end;
} span;

static span trim(const uint8_t *s, span t) {
    while (t.start < t.end && is_space(s[t.start])) {
        t.start++;
    }
    while (t.end > t.start && is_space(s[t.end - 1])) {
        t.end--;
    }
    return t;
}

/* The last position of pat (plen >= 1 bytes) in s[0:len], or len when there is none. A forward
 * memchr for its first byte: most answers hold no match, and a byte-by-byte backward scan of
 * them was 3% of dedup's CPU on 2 KB answers. */
static size_t rfind(const uint8_t *s, size_t len, const char *pat, size_t plen) {
    size_t found = len;
    if (len < plen) {
        return len;
    }
    const uint8_t *p = s, *const last = s + (len - plen); /* the last place a match can start */
    while (p <= last && (p = memchr(p, (uint8_t)pat[0], (size_t)(last - p) + 1)) != NULL) {
        if (memcmp(p, pat, plen) == 0) {
            found = (size_t)(p - s);
        }
        p++;
    }
    return found;
}

static size_t line_end(const uint8_t *s, size_t len, size_t i) {
    const uint8_t *nl = memchr(s + i, '\n', len - i);
    return nl != NULL ? (size_t)(nl - s) : len;
}

/* The content of the last \boxed{...}, if its braces close. */
static int boxed(const uint8_t *s, size_t len, span *out) {
    size_t at = rfind(s, len, "\\boxed", 6);
    if (at == len) {
        return 0;
    }
    size_t i = at + 6;
    while (i < len && is_space(s[i])) {
        i++;
    }
    if (i == len || s[i] != '{') {
        return 0;
    }
    size_t depth = 0;
    for (size_t j = i; j < len; j++) {
        depth += s[j] == '{';
        if (s[j] == '}' && --depth == 0) {
            out->start = i + 1;
            out->end = j;
            return 1;
        }
    }
    return 0;
}

/* Whether s[i:] starts a cue word: "answer" (ASCII, any case, a whole word), "答案" or "答"
 * (the "答：" that closes a Chinese worked solution); *after gets where the word ends. */
static int cue_word(const uint8_t *s, size_t len, size_t i, size_t *after) {
    static const char answer[] = "answer";
    static const uint8_t daan[] = {0xE7, 0xAD, 0x94, 0xE6, 0xA1, 0x88};
    if (i + 3 <= len && memcmp(s + i, daan, 3) == 0) {
        *after = i + (i + 6 <= len && memcmp(s + i, daan, 6) == 0 ? 6 : 3);
        return 1;
    }
    if (i + 6 > len) {
        return 0;
    }
    for (size_t k = 0; k < 6; k++) {
        if (lower(s[i + k]) != (uint8_t)answer[k]) {
            return 0;
        }
    }
    if ((i > 0 && is_alpha(s[i - 1])) || (i + 6 < len && is_alpha(s[i + 6]))) {
        return 0;
    }
    *after = i + 6;
    return 1;
}

/* Skips what may stand between a cue word and its answer: spaces, '*', ':' and a full-width
 * colon, and (once) "is" or "是"; returns whether a colon or "is" was there (a cue needs one:
 * "To answer this question" is none). */
static int cue_glue(const uint8_t *s, size_t len, size_t *pos) {
    static const uint8_t colon[] = {0xEF, 0xBC, 0x9A}, shi[] = {0xE6, 0x98, 0xAF};
    size_t i = *pos;
    int linked = 0, said = 0;
    for (;;) {
        if (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '*')) {
            i++;
        } else if (i < len && s[i] == ':') {
            i++;
            linked = 1;
        } else if (i + 3 <= len && (memcmp(s + i, colon, 3) == 0 ||
                                    (!said && memcmp(s + i, shi, 3) == 0))) {
            said |= s[i + 1] == shi[1];
            i += 3;
            linked = 1;
        } else if (!said && i + 2 <= len && lower(s[i]) == 'i' && lower(s[i + 1]) == 's' &&
                   (i + 2 == len || !is_alpha(s[i + 2]))) {
            i += 2;
            said = linked = 1;
        } else {
            break;
        }
    }
    *pos = i;
    return linked;
}

/* The answer after the last cue in the last BP_CUE_WINDOW bytes ("The answer is 42."). */
static int cued(const uint8_t *s, size_t len, span *out) {
    const size_t window = len > BP_CUE_WINDOW ? len - BP_CUE_WINDOW : 0;
    for (size_t i = len; i-- > window;) {
        size_t pos;
        if (!cue_word(s, len, i, &pos) || !cue_glue(s, len, &pos)) {
            continue;
        }
        span t = trim(s, (span){pos, line_end(s, len, pos)});
        if (t.end > t.start && t.end - t.start <= BP_CUE_FINAL) {
            *out = t;
            return 1;
        }
        return 0;
    }
    return 0;
}

/* The final answer the text states, if any (itemkey.h). */
static int final_answer(const uint8_t *s, size_t len, span *out) {
    if (boxed(s, len, out)) {
        return 1;
    }
    const size_t hashes = rfind(s, len, "####", 4);
    if (hashes < len) {
        span t = trim(s, (span){hashes + 4, line_end(s, len, hashes + 4)});
        if (t.end > t.start) {
            *out = t;
            return 1;
        }
    }
    return cued(s, len, out);
}

static int last_number(const uint8_t *s, size_t len, span *out) {
    int found = 0;
    for (size_t i = 0; i < len;) {
        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        uint64_t value;
        const size_t end = scan_number(s, len, i, &value);
        out->start = i;
        out->end = end;
        found = 1;
        i = end;
    }
    return found;
}

static const uint8_t SYMBOL[256] = {
    ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1, ['('] = 1, [')'] = 1, ['<'] = 1, ['>'] = 1,
    ['='] = 1, [';'] = 1, ['_'] = 1, ['\\'] = 1, ['|'] = 1, ['&'] = 1, ['^'] = 1, ['$'] = 1,
    ['#'] = 1, ['@'] = 1, ['~'] = 1, ['`'] = 1, ['+'] = 1, ['*'] = 1, ['%'] = 1, ['/'] = 1};

/* Code: symbols at least 3% of the bytes, and an indented line, a brace, a semicolon or a "::"
 * (Haskell's signatures). On qa_en, 97% of the long answers with that many symbols and no final
 * answer have one of those and are code; the others are worked arithmetic ("75 + 61 = 136"),
 * compared by their last number and sketch like other prose. */
static int code_like(const uint8_t *s, size_t len) {
    /* The layout first, with memchr: most prose has none, and then nothing is counted. */
    const uint8_t *end = s + len;
    int layout = memchr(s, '{', len) != NULL || memchr(s, ';', len) != NULL;
    for (const uint8_t *p = s; !layout && (p = memchr(p, ':', (size_t)(end - p))) != NULL; p++) {
        layout = p + 1 < end && p[1] == ':';
    }
    for (const uint8_t *p = s; !layout && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
        layout = p + 1 < end && (p[1] == ' ' || p[1] == '\t');
    }
    if (!layout) {
        return 0;
    }
    size_t count = 0;
    for (size_t i = 0; i < len; i++) {
        count += SYMBOL[s[i]];
    }
    return 100 * count >= 3 * len;
}

/* Whether s[i:] is the LaTeX command cmd (with its backslash) not followed by a letter. */
static int command(const uint8_t *s, size_t len, size_t i, const char *cmd) {
    const size_t n = strlen(cmd);
    return i + n <= len && memcmp(s + i, cmd, n) == 0 && (i + n == len || !is_alpha(s[i + n]));
}

static int edge(uint8_t c) {
    return c != 0 && strchr(".,;:!?'\"*", c) != NULL;
}

/* Bytes canon_key writes as they are, lower-cased: all but whitespace, '$', ',' (a thousands
 * separator is dropped) and '\\' (LaTeX commands are rewritten). */
static inline int plain(uint8_t c) {
    return !is_space(c) && c != '$' && c != ',' && c != '\\';
}

/* The key of canon(s[0:len]) (itemkey.h); buf has room for len bytes. */
static uint64_t canon_key(const uint8_t *s, size_t len, uint8_t *buf) {
    static const char *const dropped[] = {"\\left", "\\right", "\\displaystyle"};
    size_t o = 0;
    int space = 0; /* whitespace skipped since the last byte written */
    for (size_t i = 0; i < len;) {
        /* Bytes the rules below only lower-case, after one that was written: copied in a run
         * (most of a code answer). */
        if (!space) {
            while (i < len && plain(s[i])) {
                buf[o++] = lower(s[i++]);
            }
            if (i == len) {
                break;
            }
        }
        const uint8_t c = s[i];
        if (is_space(c)) {
            space = 1;
            i++;
            continue;
        }
        if (c == '$' || thousands(s, len, i)) {
            i++;
            continue;
        }
        if (c == '\\') {
            size_t skip = 0;
            for (size_t k = 0; k < sizeof dropped / sizeof dropped[0] && !skip; k++) {
                skip = command(s, len, i, dropped[k]) ? strlen(dropped[k]) : 0;
            }
            if (!skip && i + 1 < len && strchr("!,;:", s[i + 1]) != NULL && s[i + 1] != 0) {
                skip = 2;
            }
            if (!skip && (command(s, len, i, "\\dfrac") || command(s, len, i, "\\tfrac"))) {
                memcpy(buf + o, "\\frac", 5);
                o += 5;
                skip = 6;
            }
            if (skip) {
                i += skip;
                continue;
            }
        }
        /* One space stays between two words ("hello world" is not "helloworld"); spaces next
         * to symbols go ("x ** 2" is "x**2"). */
        if (space && o > 0 && is_word(buf[o - 1]) && is_word(c)) {
            buf[o++] = ' ';
        }
        space = 0;
        buf[o++] = lower(c);
        i++;
    }
    size_t a = 0, b = o;
    while (b > a && edge(buf[b - 1])) {
        b--;
    }
    while (a < b && edge(buf[a])) {
        a++;
    }
    if (b - a == 3 && buf[a] == '(' && is_alpha(buf[a + 1]) && buf[a + 2] == ')') {
        a += 1, b -= 1;
    } else if (b - a == 2 && is_alpha(buf[a]) && buf[a + 1] == ')') {
        b -= 1;
    } else if (b - a == 2 && buf[a] == '(' && is_alpha(buf[a + 1])) {
        a += 1;
    }
    uint64_t h = FNV64_BASIS;
    for (size_t i = a; i < b; i++) {
        h = fnv64(h, buf[i]);
    }
    return bp_fmix64(h);
}

static void answer_key(const uint8_t *s, size_t len, size_t short_len, uint8_t *buf,
                       uint8_t *kind, uint64_t *key) {
    span t = trim(s, (span){0, len});
    s += t.start;
    len = t.end - t.start;
    if (len == 0) {
        *kind = BP_ANSWER_NONE;
        *key = 0;
        return;
    }
    span f;
    const int has_final = final_answer(s, len, &f);
    if (len <= short_len) {
        *kind = BP_ANSWER_EXACT;
        *key = has_final ? canon_key(s + f.start, f.end - f.start, buf) : canon_key(s, len, buf);
    } else if (!has_final && code_like(s, len)) {
        *kind = BP_ANSWER_EXACT;
        *key = canon_key(s, len, buf);
    } else {
        *kind = BP_ANSWER_LONG;
        *key = has_final || last_number(s, len, &f) ? canon_key(s + f.start, f.end - f.start, buf)
                                                     : 0;
    }
}

bp_status bp_answer_keys(const uint8_t *data, const uint64_t *offsets, size_t n, size_t short_len,
                         uint8_t *kind, uint64_t *key) {
    size_t longest;
    if (!bp_longest_document(offsets, n, &longest)) {
        return BP_ERR_INVALID;
    }
    uint8_t *buf = malloc(longest + 1);
    if (buf == NULL) {
        return BP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        answer_key(data + offsets[i], (size_t)(offsets[i + 1] - offsets[i]), short_len, buf,
                   kind + i, key + i);
    }
    free(buf);
    return BP_OK;
}
