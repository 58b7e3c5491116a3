# distutils: sources = csrc/unionfind.c
# cython: autotestdict=False
"""Glue for csrc/unionfind.h: the parent array is a caller-owned uint32 numpy array.

The kernels refuse a parent array they did not make (a link to a larger number: what a
damaged array shows before it would send a find out of bounds or around a cycle) as they walk
it: a separate O(n) check would cost more than a union of a few pairs."""

from boostpack._csrc cimport bp_status, bp_uf_init, bp_uf_roots, bp_uf_union, uint32_t

include "_status.pxi"

_DAMAGED = "the parent array is damaged (a link to a larger number)"


cdef bint _all_below(const uint32_t[::1] values, size_t n) noexcept:
    cdef Py_ssize_t i
    for i in range(values.shape[0]):
        if values[i] >= n:
            return False
    return True


def init(uint32_t[::1] parent) -> None:
    """Make every element of ``parent`` (uint32[n]) its own set."""
    cdef bp_status status
    with nogil:
        status = bp_uf_init(&parent[0], <size_t>parent.shape[0]) if parent.shape[0] else BP_OK
    check_status(status, "UnionFind")


def union(uint32_t[::1] parent, const uint32_t[::1] a, const uint32_t[::1] b) -> int:
    """Union the pairs (a[i], b[i]); returns how many unions joined two sets."""
    if a.shape[0] != b.shape[0]:
        raise InvalidInput(f"a and b must have the same length, got {a.shape[0]} and {b.shape[0]}")
    cdef size_t m = <size_t>a.shape[0], merged = 0
    cdef bp_status status
    if m == 0:
        return 0
    if parent.shape[0] == 0:
        raise InvalidInput("union of document numbers in an empty UnionFind")
    with nogil:
        status = bp_uf_union(&parent[0], <size_t>parent.shape[0], &a[0], &b[0], m, &merged)
    # The kernel checks a and b first; if they pass, the parent array was refused.
    in_range = status != BP_ERR_INVALID or (_all_below(a, parent.shape[0])
                                            and _all_below(b, parent.shape[0]))
    check_status(status, "UnionFind.union", InvalidInput,
                 _DAMAGED if in_range else "a document number is out of range")
    return merged


def roots(uint32_t[::1] parent, uint32_t[::1] out) -> None:
    """Write each element's root (the smallest member of its set) into ``out`` (uint32[n])."""
    if out.shape[0] != parent.shape[0]:
        raise InvalidInput("out must have the same length as parent")
    cdef bp_status status
    if parent.shape[0] == 0:
        return
    with nogil:
        status = bp_uf_roots(&parent[0], <size_t>parent.shape[0], &out[0])
    check_status(status, "UnionFind.roots", InvalidInput, _DAMAGED)
