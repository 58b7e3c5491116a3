/* Union-find over dense uint32 document numbers 0..n-1, in a caller-owned parent array.
 *
 * A root is always the smallest member of its set: a union links the larger of the two roots
 * under the smaller. Hence the representative of a cluster is its smallest document number,
 * whatever the order of the unions, chunking or thread count that produced it. Finds use path
 * halving (every other node on the path is relinked to its grandparent), which keeps trees
 * shallow without recursion or a second pass. */
#ifndef BOOSTPACK_UNIONFIND_H
#define BOOSTPACK_UNIONFIND_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Set parent[i] = i for i < n. */
bp_status bp_uf_init(uint32_t *parent, size_t n);

/* Union the pairs (a[i], b[i]) for i < m. Every value must be < n; otherwise BP_ERR_INVALID is
 * returned before any change. *merged gets the number of unions that joined two sets.
 * BP_ERR_INVALID also when a find meets a link to a larger number: the array was not made by
 * these functions (damaged), and some unions may be done. */
bp_status bp_uf_union(uint32_t *parent, size_t n, const uint32_t *a, const uint32_t *b, size_t m,
                      size_t *merged);

/* out[i] = the root (smallest member) of i's set, for i < n; compresses every path fully.
 * BP_ERR_INVALID, part done, at a link to a larger number (a damaged array). */
bp_status bp_uf_roots(uint32_t *parent, size_t n, uint32_t *out);

#endif
