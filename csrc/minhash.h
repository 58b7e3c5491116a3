/* Shingling, shingle hashing and MinHash signatures (datasketch 2.0 "affine32").
 *
 * Shingles are taken over the normalized text of normalize.h, in the digit mode `digits`
 * (BP_DIGITS_*). A *unit* is one normalized codepoint, the single spaces included (char mode), or
 * one word (word mode; every CJK character is a word of its own, spaces are not units). Hashes,
 * all on uint32 with wraparound:
 *   fnv(u)        = FNV-1a over the unit's codepoints as 32-bit values: h = 0x811C9DC5, then
 *                   h = (h ^ cp) * 0x01000193 for each codepoint
 *   unit_hash(u)  = fmix32(fnv(u))                    (fmix32: MurmurHash3's 32-bit finalizer)
 *   shingle_hash  = XOR over j of rotl32(unit_hash(u_j), m - 1 - j) for the m units of a shingle
 * A shingle is n consecutive units; a document with 1 <= m < n units is one shingle of all m
 * units; a document with no unit has no shingle. The XOR-of-rotations form is a cyclic polynomial
 * (buzhash): a shingle's hash comes from its units' hashes with n rotate-xors and no multiply,
 * never from its text again; n <= 32 keeps the rotations of one shingle distinct.
 * The signature then follows datasketch's affine32 scheme exactly (repeated shingles of a document
 * may be skipped, which leaves every minimum as it is): sig[k] = min over shingles of
 * a[k] * fmix32(shingle_hash) + b[k] (mod 2^32), and UINT32_MAX everywhere for no shingle.
 * An exclusion set (bp_exclusion: boilerplate, e.g. shingles most documents of a corpus share)
 * removes its shingle hashes from a document before anything else sees them, so a signature
 * with exclusions is the datasketch signature of the remaining shingle hashes.
 * Documents are at most BP_MAX_DOCUMENT bytes, else BP_ERR_OVERFLOW: positions inside a
 * document are 32-bit (AVX gathers take signed 32-bit indexes). */
#ifndef BOOSTPACK_MINHASH_H
#define BOOSTPACK_MINHASH_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define BP_MAX_NGRAM 32
#define BP_MAX_DOCUMENT ((size_t)INT32_MAX - 64) /* 64: the vector paths' slack */

enum { BP_SHINGLE_CHAR = 0, BP_SHINGLE_WORD = 1 };

/* Shingle hashes that do not count, as an open-addressing table (linear probing) of their
 * fmix32 values, the form the permutation stage sees: slot fmix32(h) & mask, then the next ones
 * until the value or an empty slot (0). fmix32 is a bijection and fmix32(0) = 0, so the hash 0
 * is not stored but flagged in `zero`. Built by bp_exclusion_build, read-only afterwards (any
 * number of threads may share it). */
typedef struct {
    const uint32_t *slots; /* mask + 1 slots, a power of two */
    size_t mask;
    int zero; /* whether the shingle hash 0 is excluded */
} bp_exclusion;

/* How documents become shingles. isa (BP_ISA_*, cpu.h) caps the instruction set of the unit
 * hashing: BP_ISA_BEST for use, a narrower one to test that path; every choice gives the same
 * bytes. */
typedef struct {
    int mode;                    /* BP_SHINGLE_CHAR or BP_SHINGLE_WORD */
    size_t ngram;                /* n, 1..BP_MAX_NGRAM */
    int digits;                  /* BP_DIGITS_* */
    int isa;                     /* BP_ISA_* */
    const bp_exclusion *exclude; /* NULL: every shingle counts */
} bp_shingling;

/* The number of slots bp_exclusion_build needs for n hashes: a power of two >= 16n, so that a
 * lookup reads one slot in at least 15 of 16 cases (minhash.c, excluded), or 0 when that would
 * overflow. */
size_t bp_exclusion_slots(size_t n);

/* An exclusion set of the n shingle hashes (before fmix32; repeats allowed) in slots[0:n_slots]
 * (n_slots = bp_exclusion_slots(n), owned by the caller and kept alive while *out is used). */
bp_status bp_exclusion_build(const uint32_t *hashes, size_t n, uint32_t *slots, size_t n_slots,
                             bp_exclusion *out);

/* The shingle hashes (before fmix32) of text[0:len], in text order with repeats, excluded ones
 * left out, into out (capacity cap >= len, or >= 1 when len == 0); *count gets how many. */
bp_status bp_shingle_hashes(const uint8_t *text, size_t len, const bp_shingling *spec,
                            uint32_t *out, size_t cap, size_t *count);

/* Signatures of n documents data[offsets[i]:offsets[i+1]] (offsets monotone and within the buffer,
 * checked by the caller) into out[i * num_perm + k], for num_perm permutations (a[k] odd, b[k]). */
bp_status bp_minhash_batch(const uint8_t *data, const uint64_t *offsets, size_t n,
                           const bp_shingling *spec, const uint32_t *a, const uint32_t *b,
                           size_t num_perm, uint32_t *out);

/* Signatures of n pre-shingled documents: document i is the shingle hashes (before fmix32)
 * hashes[offsets[i]:offsets[i+1]], repeats allowed; out as bp_minhash_batch. This is the
 * permutation stage of bp_minhash_batch on its own, taking the hashes as given: every hash,
 * repeated or not, costs its num_perm multiply-add-mins. */
bp_status bp_minhash_hashes(const uint32_t *hashes, const uint64_t *offsets, size_t n,
                            const uint32_t *a, const uint32_t *b, size_t num_perm, uint32_t *out);

#endif
