/* The hash mixers the kernels share, defined once: FNV-1a steps (unit hashes), MurmurHash3's
 * finalizers fmix32 (unit hashes, datasketch's pre-mix) and fmix64 (band keys, exact hashes),
 * and a rotate that stays branch-free so sweeps over arrays vectorize. */
#ifndef BOOSTPACK_HASHMIX_H
#define BOOSTPACK_HASHMIX_H

#include <stdint.h>

#define BP_FNV_BASIS 0x811C9DC5u
#define BP_FNV_PRIME 0x01000193u

static inline uint32_t bp_fnv_step(uint32_t h, uint32_t value) {
    return (h ^ value) * BP_FNV_PRIME;
}

static inline uint32_t bp_fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

static inline uint64_t bp_fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ull;
    k ^= k >> 33;
    return k;
}

/* r in 0..31; r = 0 gives x | x. */
static inline uint32_t bp_rotl32(uint32_t x, unsigned r) {
    r &= 31;
    return (x << r) | (x >> ((32 - r) & 31));
}

#endif
