/* Union-find with union-to-smaller-root and path halving: see unionfind.h. */
#include "unionfind.h"

#include "status.h"

static inline uint32_t find(uint32_t *parent, uint32_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
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
        uint32_t ra = find(parent, a[i]), rb = find(parent, b[i]);
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
        uint32_t r = p == i ? p : parent[p];
        parent[i] = r;
        out[i] = r;
    }
    return BP_OK;
}
