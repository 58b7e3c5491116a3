/* Shingling, shingle hashing, MinHash signatures (datasketch 2.0 "affine32") and LSH band keys.
 *
 * Shingles are taken over the normalized text of normalize.h, in the digit mode `digits`
 * (BP_DIGITS_*). A *unit* is one normalized codepoint, the single spaces included (char mode), or
 * one word (word mode; every CJK character is a word of its own, spaces are not units). Hashes, all on uint32 with wraparound:
 *   fnv(u)        = FNV-1a over the unit's codepoints as 32-bit values: h = 0x811C9DC5, then
 *                   h = (h ^ cp) * 0x01000193 for each codepoint
 *   unit_hash(u)  = fmix32(fnv(u))                    (fmix32: MurmurHash3's 32-bit finalizer)
 *   shingle_hash  = XOR over j of rotl32(unit_hash(u_j), m - 1 - j) for the m units of a shingle
 * A shingle is n consecutive units; a document with 1 <= m < n units is one shingle of all m
 * units; a document with no unit has no shingle. The XOR-of-rotations form is a cyclic polynomial
 * (buzhash): no multiply per shingle, n rotate-xors by Horner's rule vectorized over shingles;
 * n <= 32 keeps the rotations of one shingle distinct.
 * The signature then follows datasketch's affine32 scheme exactly (repeated shingles of a document
 * may be skipped, which leaves every minimum as it is): sig[k] = min over shingles of
 * a[k] * fmix32(shingle_hash) + b[k] (mod 2^32), and UINT32_MAX everywhere for no shingle. */
#ifndef BOOSTPACK_MINHASH_H
#define BOOSTPACK_MINHASH_H

#include <stddef.h>
#include <stdint.h>

#define BP_MAX_NGRAM 32

enum { BP_SHINGLE_CHAR = 0, BP_SHINGLE_WORD = 1 };

/* The shingle hashes (before fmix32) of text[0:len], in text order with repeats, into out
 * (capacity cap >= len, or >= 1 when len == 0); *count gets how many. */
int bp_shingle_hashes(const uint8_t *text, size_t len, int mode, size_t ngram, int digits,
                      uint32_t *out, size_t cap, size_t *count);

/* Signatures of n documents data[offsets[i]:offsets[i+1]] (offsets monotone and within the buffer,
 * checked by the caller) into out[i * num_perm + k], for num_perm permutations (a[k] odd, b[k]). */
int bp_minhash_batch(const uint8_t *data, const uint64_t *offsets, size_t n, const uint32_t *a,
                     const uint32_t *b, size_t num_perm, int mode, size_t ngram, int digits,
                     uint32_t *out);

/* Band keys of n signatures sig[n * num_perm]: out[i * bands + j] is a 64-bit hash of rows
 * sig[i, j*rows : (j+1)*rows] with j and seed mixed in; bands * rows <= num_perm. */
int bp_band_keys(const uint32_t *sig, size_t n, size_t num_perm, size_t bands, size_t rows,
                 uint64_t seed, uint64_t *out);

#endif
