/* Union-find with union-to-smaller-root and path halving: see unionfind.h. */
#include "unionfind.h"

#include "status.h"

/* The root of x into *root; 0 when the array is not a forest of this union-find: every link
 * it makes points to a smaller number, so a link to a larger one is damage that would read out
 * of bounds or loop forever. Checking it costs a compare per step; no separate O(n) pass. */
static inline int find(uint32_t *parent, uint32_t x, uint32_t *root) {
    while (parent[x] != x) {
        uint32_t p = parent[x];
        if (p > x || parent[p] > p) return 0;
        parent[x] = parent[p];
        x = parent[p];
    }
    *root = x;
    return 1;
}

bp_status bp_uf_init(uint32_t *parent, size_t n) {
    if (n > (size_t)UINT32_MAX + 1) {
        return BP_ERR_OVERFLOW;
    }
    for (size_t i = 0; i < n; i++) {
        parent[i] = (uint32_t)i;
    }
    return BP_OK;
}

bp_status bp_uf_union(uint32_t *parent, size_t n, const uint32_t *a, const uint32_t *b, size_t m,
                      size_t *merged) {
    for (size_t i = 0; i < m; i++) {
        if (a[i] >= n || b[i] >= n) {
            return BP_ERR_INVALID;
        }
    }
    size_t joined = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t ra, rb;
        if (!find(parent, a[i], &ra) || !find(parent, b[i], &rb)) {
            *merged = joined;
            return BP_ERR_INVALID;
        }
        if (ra == rb) {
            continue;
        }
        /* Smaller root wins, so a root stays the minimum of its set. */
        if (ra < rb) {
            parent[rb] = ra;
        } else {
            parent[ra] = rb;
        }
        joined++;
    }
    *merged = joined;
    return BP_OK;
}

bp_status bp_uf_roots(uint32_t *parent, size_t n, uint32_t *out) {
    /* Ascending order: parent[i] <= i always holds (links only point to smaller numbers), so
     * parent[i]'s root is already final when i is reached and one lookup suffices. */
    for (size_t i = 0; i < n; i++) {
        uint32_t p = parent[i];
        if (p > i) return BP_ERR_INVALID; /* not a forest (see find) */
        uint32_t r = p == i ? p : parent[p];
        parent[i] = r;
        out[i] = r;
    }
    return BP_OK;
}
