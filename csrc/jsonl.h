/* JSON Lines scanning for the top-level fields a stage needs, without building any object.
 *
 * bp_jsonl_scan walks a buffer of complete lines and, for each line, either vouches for it
 * (BP_LINE_FAST: a valid JSON object, exactly as strict as orjson, whose wanted fields it
 * reports), leaves it to the caller's full parser (BP_LINE_SLOW: anything else, including every
 * line it is unsure about), or finds it blank (BP_LINE_BLANK: only space, tab, CR, VT, FF).
 * SLOW is always a safe answer: the caller parses such lines itself and decides.
 *
 * For each wanted key of a FAST line it reports the value's JSON type and, for a string, its
 * decoded UTF-8 (escapes resolved) written to the caller's output buffer with flags computed on
 * the decoded text. An array reports whether all its items are strings and, reading it as a
 * list of reference answers (items, or lists of items, that are strings), the first one that is
 * not all whitespace. Lines with a wanted key twice, an escaped key, invalid UTF-8, nesting
 * deeper than 256, or numbers near the double range are SLOW. Pure C11, caller-owned buffers. */
#ifndef BOOSTPACK_JSONL_H
#define BOOSTPACK_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

enum { BP_LINE_FAST = 0, BP_LINE_SLOW = 1, BP_LINE_BLANK = 2 };

enum {
    BP_VAL_ABSENT = 0,
    BP_VAL_NULL = 1,
    BP_VAL_STRING = 2,
    BP_VAL_INT = 3,    /* an integer literal of at most 18 digits */
    BP_VAL_NUMBER = 4, /* any other number */
    BP_VAL_BOOL = 5,
    BP_VAL_ARRAY = 6,
    BP_VAL_OBJECT = 7,
};

/* Flags of a reported value. The text flags describe the decoded string (STRING) or the
 * reference answer found in an array (ARRAY with BP_F_REF); whitespace is Python's
 * str.isspace(). */
enum {
    BP_F_ALL_SPACE = 1,  /* empty, or whitespace only */
    BP_F_LEAD_SPACE = 2, /* the first character is whitespace */
    BP_F_THINK = 4,      /* after leading whitespace, the text starts with "<think>" */
    BP_F_STR_ITEMS = 8,  /* array: every item is a string */
    BP_F_REF = 16,       /* array: a reference answer was found; its text is the value's */
};

/* Scan the lines of data[0..n) (n == 0, or data[n - 1] == '\n'). Wanted keys: key k is
 * names[name_off[k] .. name_off[k + 1]). Per line i (at most line_cap lines): line_end[i], the
 * offset of its '\n'; line_kind[i]. Per line i and key k, at [i * n_keys + k]: val_type,
 * val_flags, and for text values val_start/val_len into out (out_cap >= n suffices: decoding
 * never grows text). Lines longer than max_line bytes are SLOW. */
bp_status bp_jsonl_scan(const uint8_t *data, size_t n, const uint8_t *names,
                        const int64_t *name_off, size_t n_keys, size_t max_line, size_t line_cap,
                        int64_t *line_end, uint8_t *line_kind, uint8_t *val_type,
                        uint8_t *val_flags, int64_t *val_start, int64_t *val_len, uint8_t *out,
                        size_t out_cap, size_t *n_lines, size_t *out_used);

/* dst = the concatenation of src[start[i] .. start[i] + len[i]) for i < n (len 0: nothing).
 * BP_ERR_INVALID for a part outside src, BP_ERR_CAPACITY if dst_cap is too small. */
bp_status bp_gather(const uint8_t *src, size_t src_len, const int64_t *start, const int64_t *len,
                    size_t n, uint8_t *dst, size_t dst_cap, size_t *written);

#endif
