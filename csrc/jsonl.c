/* JSON Lines field scanning; see jsonl.h. The grammar is RFC 8259 with orjson's limits: no
 * trailing commas, no leading zeros, no raw control characters in strings, valid UTF-8 without
 * surrogates, escaped surrogates only in pairs. Whatever this parser would have to reason about
 * more carefully than that (deep nesting, huge numbers, escaped keys, repeated wanted keys)
 * makes the line SLOW instead. */
#include "jsonl.h"

#include <string.h>

#include "normalize.h" /* bp_utf8_next, bp_utf8_put */

#define MAX_DEPTH 256
/* An integer part of more than 200 digits, or an exponent of more than 2, could overflow a
 * double (orjson then fails); such lines are left to the full parser. */
#define MAX_INT_DIGITS 200
#define MAX_EXP_DIGITS 2

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    uint8_t *out;
    size_t used;
    size_t cap;
    int depth;
} parser;

static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }

/* The first byte at or after p that ends a plain run inside a string: a quote, a backslash,
 * a control byte or a non-ASCII byte (end if none). Most of a QA line is string text: 16 bytes
 * at a time with SSE2 (every x86-64), else 8 at a time in a word (SWAR). */
#if defined(__SSE2__)
#include <emmintrin.h>
static const uint8_t *plain_run(const uint8_t *p, const uint8_t *end) {
    const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        /* signed compare: bytes >= 0x80 are negative, so below 0x20 too */
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                                    _mm_cmplt_epi8(v, space));
        int mask = _mm_movemask_epi8(stop);
        if (mask) return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
    return p;
}
#else
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)
static const uint8_t *plain_run(const uint8_t *p, const uint8_t *end) {
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t below_space = (v - ONES * 0x20) & ~v & HIGHS;
        if ((v & HIGHS) | below_space | HAS_ZERO(v ^ (ONES * '"')) | HAS_ZERO(v ^ (ONES * '\\')))
            break;
        p += 8;
    }
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
    return p;
}
#endif

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && is_ws(*ps->p)) ps->p++;
}

/* Python's str.isspace() for one code point. */
static int py_space(uint32_t cp) {
    if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Length of the valid UTF-8 sequence at s (its first byte non-ASCII), or 0 (strict decoding:
 * no overlong forms, no surrogates, nothing above U+10FFFF; normalize.h). */
static size_t utf8_valid(const uint8_t *s, const uint8_t *end) {
    size_t pos = 0;
    uint32_t cp = bp_utf8_next(s, (size_t)(end - s), &pos);
    return cp == 0xFFFD && pos == 1 ? 0 : pos;
}

static int hex4(const uint8_t *s, uint32_t *v) {
    uint32_t x = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t c = s[k];
        x <<= 4;
        if (c >= '0' && c <= '9') x |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') x |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') x |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *v = x;
    return 0;
}

/* The body of a string, ps->p just past its opening quote, up to and past the closing one.
 * With decode, the text goes to ps->out from ps->used (advanced). escaped: set when the string
 * held a backslash. Returns 0, or -1 for anything orjson would refuse. */
static int string_body(parser *ps, int decode, int *escaped) {
    const uint8_t *p = ps->p, *end = ps->end;
    uint8_t *o = decode ? ps->out + ps->used : NULL;
    *escaped = 0;
    for (;;) {
        const uint8_t *run = p;
        p = plain_run(p, end);
        if (decode && p > run) {
            memcpy(o, run, (size_t)(p - run));
            o += p - run;
        }
        if (p >= end) return -1;
        uint8_t c = *p;
        if (c == '"') { p++; break; }
        if (c < 0x20) return -1;
        if (c >= 0x80) {
            size_t k = utf8_valid(p, end);
            if (!k) return -1;
            if (decode) { memcpy(o, p, k); o += k; }
            p += k;
            continue;
        }
        /* a backslash */
        *escaped = 1;
        if (p + 1 >= end) return -1;
        uint8_t e = p[1];
        uint32_t cp;
        p += 2;
        switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (end - p < 4 || hex4(p, &cp)) return -1;
                p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return -1;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t low;
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &low) ||
                        low < 0xDC00 || low > 0xDFFF)
                        return -1;
                    p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                break;
            default:
                return -1;
        }
        if (decode) o += bp_utf8_put(o, cp);
    }
    ps->p = p;
    if (decode) ps->used = (size_t)(o - ps->out);
    return 0;
}

/* Flags of decoded text s[0..n). */
static uint8_t text_flags(const uint8_t *s, size_t n) {
    static const char think[] = "<think>";
    const uint8_t *p = s, *end = s + n;
    uint8_t flags = BP_F_ALL_SPACE;
    int first = 1;
    while (p < end) {
        size_t k = 0;
        uint32_t cp = bp_utf8_next(p, (size_t)(end - p), &k);
        if (!py_space(cp)) { flags &= (uint8_t)~BP_F_ALL_SPACE; break; }
        if (first) flags |= BP_F_LEAD_SPACE;
        first = 0;
        p += k;
    }
    if ((size_t)(end - p) >= sizeof think - 1 && memcmp(p, think, sizeof think - 1) == 0)
        flags |= BP_F_THINK;
    return flags;
}

static int number(parser *ps, uint8_t *type) {
    const uint8_t *p = ps->p, *end = ps->end;
    int digits = 0, is_int = 1;
    if (p < end && *p == '-') p++;
    if (p >= end) return -1;
    if (*p == '0') { p++; digits = 1; }
    else if (*p >= '1' && *p <= '9') { while (p < end && *p >= '0' && *p <= '9') { p++; digits++; } }
    else return -1;
    if (digits > MAX_INT_DIGITS) return -1;
    if (p < end && *p == '.') {
        is_int = 0;
        p++;
        const uint8_t *f = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == f) return -1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_int = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        const uint8_t *x = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == x || p - x > MAX_EXP_DIGITS) return -1;
    }
    ps->p = p;
    *type = (is_int && digits <= 18) ? BP_VAL_INT : BP_VAL_NUMBER;
    return 0;
}

static int literal(parser *ps, const char *word, size_t n) {
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return -1;
    ps->p += n;
    return 0;
}

/* After an item of a container: a comma (1: another item follows) or the closing byte (0);
 * -1 for anything else. */
static int item_end(parser *ps, uint8_t close) {
    skip_ws(ps);
    if (ps->p >= ps->end) return -1;
    if (*ps->p == ',') { ps->p++; skip_ws(ps); return 1; }
    if (*ps->p != close) return -1;
    ps->p++;
    return 0;
}

static int value(parser *ps, uint8_t *type);

/* A container's items or members until its closing byte; ps->p is past the opening one. */
static int container(parser *ps, uint8_t close, int members) {
    if (++ps->depth > MAX_DEPTH) return -1;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) { ps->p++; ps->depth--; return 0; }
    for (;;) {
        uint8_t type;
        int escaped;
        if (members) {
            if (ps->p >= ps->end || *ps->p != '"') return -1;
            ps->p++;
            if (string_body(ps, 0, &escaped)) return -1;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') return -1;
            ps->p++;
            skip_ws(ps);
        }
        if (value(ps, &type)) return -1;
        int more = item_end(ps, close);
        if (more < 0) return -1;
        if (!more) { ps->depth--; return 0; }
    }
}

/* Any JSON value, validated, not decoded. */
static int value(parser *ps, uint8_t *type) {
    int escaped;
    if (ps->p >= ps->end) return -1;
    switch (*ps->p) {
        case '"': ps->p++; *type = BP_VAL_STRING; return string_body(ps, 0, &escaped);
        case '{': ps->p++; *type = BP_VAL_OBJECT; return container(ps, '}', 1);
        case '[': ps->p++; *type = BP_VAL_ARRAY; return container(ps, ']', 0);
        case 't': *type = BP_VAL_BOOL; return literal(ps, "true", 4);
        case 'f': *type = BP_VAL_BOOL; return literal(ps, "false", 5);
        case 'n': *type = BP_VAL_NULL; return literal(ps, "null", 4);
        default: return number(ps, type);
    }
}

typedef struct {
    uint8_t type, flags;
    int64_t start, len;
} found;

/* A string (ps->p past its quote), kept as the reference answer when may_keep and it is not
 * all whitespace (decoded to out, *have set); otherwise only validated. */
static int ref_string(parser *ps, found *v, int may_keep, int *have) {
    size_t at = ps->used;
    int escaped;
    if (string_body(ps, may_keep, &escaped)) return -1;
    if (may_keep) {
        uint8_t flags = text_flags(ps->out + at, ps->used - at);
        if (flags & BP_F_ALL_SPACE) {
            ps->used = at;
        } else {
            *have = 1;
            v->start = (int64_t)at;
            v->len = (int64_t)(ps->used - at);
            v->flags |= (uint8_t)(flags | BP_F_REF);
        }
    }
    return 0;
}

/* A wanted key's array (ps->p past '['): its items validated; BP_F_STR_ITEMS when all are
 * strings; the first non-whitespace string among the items and the items of items that are
 * arrays, as long as no other type came first (BP_F_REF). */
static int wanted_array(parser *ps, found *v) {
    int have = 0, failed = 0, all_str = 1;
    if (++ps->depth > MAX_DEPTH) return -1;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') { ps->p++; ps->depth--; v->flags = BP_F_STR_ITEMS; return 0; }
    for (;;) {
        uint8_t type;
        if (ps->p >= ps->end) return -1;
        if (*ps->p == '"') {
            ps->p++;
            if (ref_string(ps, v, !have && !failed, &have)) return -1;
        } else if (*ps->p == '[' && !have && !failed) {
            all_str = 0;
            ps->p++;
            if (++ps->depth > MAX_DEPTH) return -1;
            skip_ws(ps);
            int more = ps->p < ps->end && *ps->p == ']' ? (ps->p++, 0) : 1;
            while (more) {
                if (ps->p < ps->end && *ps->p == '"' && !failed) {
                    ps->p++;
                    if (ref_string(ps, v, !have, &have)) return -1;
                } else {
                    if (value(ps, &type)) return -1;
                    if (!have) failed = 1;
                }
                if ((more = item_end(ps, ']')) < 0) return -1;
            }
            ps->depth--;
        } else {
            all_str = 0;
            if (value(ps, &type)) return -1;
            if (!have) failed = 1;
        }
        int more = item_end(ps, ']');
        if (more < 0) return -1;
        if (!more) break;
    }
    ps->depth--;
    if (all_str) v->flags |= BP_F_STR_ITEMS;
    if (!have) v->flags &= (uint8_t)~BP_F_REF;
    return 0;
}

static int wanted_value(parser *ps, found *v) {
    v->flags = 0;
    v->start = v->len = 0;
    if (ps->p >= ps->end) return -1;
    if (*ps->p == '"') {
        size_t at = ps->used;
        int escaped;
        ps->p++;
        if (string_body(ps, 1, &escaped)) return -1;
        v->type = BP_VAL_STRING;
        v->start = (int64_t)at;
        v->len = (int64_t)(ps->used - at);
        v->flags = text_flags(ps->out + at, ps->used - at);
        return 0;
    }
    if (*ps->p == '[') {
        ps->p++;
        v->type = BP_VAL_ARRAY;
        return wanted_array(ps, v);
    }
    return value(ps, &v->type);
}

static int find_key(const uint8_t *key, size_t len, const uint8_t *names, const int64_t *off,
                    size_t n_keys) {
    for (size_t k = 0; k < n_keys; k++)
        if ((size_t)(off[k + 1] - off[k]) == len && memcmp(names + off[k], key, len) == 0)
            return (int)k;
    return -1;
}

/* One line (without its '\n'): 0 FAST (values filled), -1 SLOW. */
static int line_object(parser *ps, const uint8_t *names, const int64_t *off, size_t n_keys,
                       found *vals) {
    for (size_t k = 0; k < n_keys; k++) vals[k].type = BP_VAL_ABSENT;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '{') return -1;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
    } else {
        for (;;) {
            int escaped;
            if (ps->p >= ps->end || *ps->p != '"') return -1;
            const uint8_t *key = ++ps->p;
            if (string_body(ps, 0, &escaped) || escaped) return -1;
            size_t key_len = (size_t)(ps->p - 1 - key);
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') return -1;
            ps->p++;
            skip_ws(ps);
            int k = find_key(key, key_len, names, off, n_keys);
            if (k >= 0) {
                if (vals[k].type != BP_VAL_ABSENT) return -1; /* repeated: the last would win */
                if (wanted_value(ps, &vals[k])) return -1;
            } else {
                uint8_t type;
                if (value(ps, &type)) return -1;
            }
            int more = item_end(ps, '}');
            if (more < 0) return -1;
            if (!more) break;
        }
    }
    skip_ws(ps);
    return ps->p == ps->end ? 0 : -1;
}

static int blank(const uint8_t *s, const uint8_t *end) {
    for (; s < end; s++)
        if (!(*s == ' ' || *s == '\t' || *s == '\r' || *s == 0x0B || *s == 0x0C)) return 0;
    return 1;
}

bp_status bp_jsonl_scan(const uint8_t *data, size_t n, const uint8_t *names,
                        const int64_t *name_off, size_t n_keys, size_t max_line, size_t line_cap,
                        int64_t *line_end, uint8_t *line_kind, uint8_t *val_type,
                        uint8_t *val_flags, int64_t *val_start, int64_t *val_len, uint8_t *out,
                        size_t out_cap, size_t *n_lines, size_t *out_used) {
    *n_lines = 0;
    *out_used = 0;
    if (n == 0) return BP_OK;
    if (!data || data[n - 1] != '\n' || out_cap < n || n_keys > 64) return BP_ERR_INVALID;
    for (size_t k = 0; k < n_keys; k++)
        if (name_off[k + 1] < name_off[k]) return BP_ERR_INVALID;
    found vals[64];
    parser ps = {0};
    ps.out = out;
    ps.cap = out_cap;
    size_t lines = 0;
    const uint8_t *p = data, *end = data + n;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        if (lines == line_cap) return BP_ERR_CAPACITY;
        line_end[lines] = (int64_t)(nl - data);
        uint8_t kind;
        size_t mark = ps.used;
        if ((size_t)(nl - p) > max_line) {
            kind = BP_LINE_SLOW;
        } else if (blank(p, nl)) {
            kind = BP_LINE_BLANK;
        } else {
            ps.p = p;
            ps.end = nl;
            ps.depth = 0;
            kind = line_object(&ps, names, name_off, n_keys, vals) ? BP_LINE_SLOW : BP_LINE_FAST;
        }
        line_kind[lines] = kind;
        size_t base = lines * n_keys;
        for (size_t k = 0; k < n_keys; k++) {
            int ok = kind == BP_LINE_FAST;
            val_type[base + k] = ok ? vals[k].type : BP_VAL_ABSENT;
            val_flags[base + k] = ok ? vals[k].flags : 0;
            val_start[base + k] = ok ? vals[k].start : 0;
            val_len[base + k] = ok ? vals[k].len : 0;
        }
        if (kind != BP_LINE_FAST) ps.used = mark;
        lines++;
        p = nl + 1;
    }
    *n_lines = lines;
    *out_used = ps.used;
    return BP_OK;
}

bp_status bp_gather(const uint8_t *src, size_t src_len, const int64_t *start, const int64_t *len,
                    size_t n, uint8_t *dst, size_t dst_cap, size_t *written) {
    size_t o = 0;
    *written = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t s = start[i], l = len[i];
        if (l == 0) continue;
        if (s < 0 || l < 0 || (uint64_t)s > src_len || (uint64_t)l > src_len - (uint64_t)s)
            return BP_ERR_INVALID;
        if ((uint64_t)l > dst_cap - o) return BP_ERR_CAPACITY;
        memcpy(dst + o, src + s, (size_t)l);
        o += (size_t)l;
    }
    *written = o;
    return BP_OK;
}
