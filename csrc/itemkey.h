/* Item keys: what, besides similar text, makes two QA records one item. Dedup compares question
 * text by MinHash; these keys then tell apart records that MinHash calls near but that differ
 * where it matters: in the numbers of the question ("2 plus 1" against "2 plus 8"), or in the
 * answer ("[2, 8, 6, 9, 1]" against "[1, 5, 6, 9]", "\boxed{18}" against "\boxed{21}").
 * boostpack.deduplication.itemkey gives the reasons; tests/deduplication/test_itemkey.py holds the
 * cases each rule is for. All on raw UTF-8 bytes; only ASCII is interpreted.
 *
 * Numbers: maximal runs of ASCII digits, where '.' followed by a digit continues a number and
 * ',' followed by exactly three digits and then no digit is a thousands separator (left out:
 * "1,000" is 1000). A number's value is its digits and '.'s ("3.50" stays "3.50"). Signs are
 * not part of a number (a '-' may as well be a minus).
 *
 * Question key: for a *formula-like* question (at most BP_FORMULA_BYTES bytes, and letters, i.e.
 * ASCII letters and UTF-8 lead bytes, under half of the non-whitespace codepoints: "12 + 6 / 3 =",
 * "[3, 1, 2]"), a hash of its bytes with ASCII whitespace removed and ASCII letters lower-cased,
 * so that every symbol counts; otherwise a hash of the multiset of its numbers (0 for none).
 *
 * Answer key, after trimming ASCII whitespace at both ends (kind BP_ANSWER_NONE, key 0, when
 * nothing is left):
 *   final   = the content of the last \boxed{...} (braces balanced), else the rest of the line
 *             after the last "####", else the rest of the line after the last cue in the last
 *             BP_CUE_WINDOW bytes ("answer" as a whole word, case-insensitive, or "答案" or
 *             "答", then any of spaces, '*', ':', '：' and one "is" or "是", at least a colon or
 *             the "is"), if 1 to BP_CUE_FINAL bytes long; else none
 *   short   (at most short_len bytes):  BP_ANSWER_EXACT, key = canon(final, or else the answer)
 *   a final: BP_ANSWER_LONG, key = canon(final) (a worked solution)
 *   code    (symbols {}[]()<>=;_\|&^$#@~`+*%/ at least 3% of the bytes, and a '{', a ';', a
 *             "::" or a line starting with a space or a tab): BP_ANSWER_EXACT, key = canon(answer)
 *   else:     BP_ANSWER_LONG, key = canon(the answer's last number), 0 if none
 * canon(s): ASCII letters lower-cased; a run of ASCII whitespace one space between two word
 * bytes (ASCII letters and digits, and non-ASCII bytes), else left out; '$', \left, \right,
 * \displaystyle and the spacing commands \! \, \; \: left out; \dfrac and \tfrac read as
 * \frac; thousands separators left out; then the characters .,;:!?'"* stripped from both ends,
 * and "(b)", "b)" or "(b" made "b" (an option letter); the key is a 64-bit hash of that
 * (FNV-1a, fmix64). */
#ifndef BOOSTPACK_ITEMKEY_H
#define BOOSTPACK_ITEMKEY_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define BP_FORMULA_BYTES 256
#define BP_CUE_WINDOW 256
#define BP_CUE_FINAL 64

enum { BP_ANSWER_NONE = 0, BP_ANSWER_EXACT = 1, BP_ANSWER_LONG = 2 };

/* out[i] = the question key of data[offsets[i]:offsets[i+1]] (offsets checked by the caller). */
bp_status bp_question_keys(const uint8_t *data, const uint64_t *offsets, size_t n, uint64_t *out);

/* kind[i] (BP_ANSWER_*) and key[i] of answer data[offsets[i]:offsets[i+1]]; answers of at most
 * short_len bytes (after trimming) are short. */
bp_status bp_answer_keys(const uint8_t *data, const uint64_t *offsets, size_t n, size_t short_len,
                         uint8_t *kind, uint64_t *key);

#endif
