# distutils: sources = csrc/unionfind.c
# cython: autotestdict=False
"""Glue for csrc/unionfind.c: the parent array is a caller-owned uint32 numpy array."""

from libc.stdint cimport uint32_t

include "_status.pxi"


cdef extern from "unionfind.h":
    int bp_uf_init(uint32_t *parent, size_t n) nogil
    int bp_uf_union(uint32_t *parent, size_t n, const uint32_t *a, const uint32_t *b, size_t m,
                    size_t *merged) nogil
    int bp_uf_roots(uint32_t *parent, size_t n, uint32_t *out) nogil


def init(uint32_t[::1] parent) -> None:
    """Make every element of ``parent`` (uint32[n]) its own set."""
    cdef int status
    with nogil:
        status = bp_uf_init(&parent[0], <size_t>parent.shape[0]) if parent.shape[0] else 0
    check_status(status, "UnionFind")


def union(uint32_t[::1] parent, const uint32_t[::1] a, const uint32_t[::1] b) -> int:
    """Union the pairs (a[i], b[i]); returns how many unions joined two sets."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same length, got {a.shape[0]} and {b.shape[0]}")
    cdef size_t m = <size_t>a.shape[0], merged = 0
    cdef int status
    if m == 0:
        return 0
    if parent.shape[0] == 0:
        raise ValueError("union of document numbers in an empty UnionFind")
    with nogil:
        status = bp_uf_union(&parent[0], <size_t>parent.shape[0], &a[0], &b[0], m, &merged)
    check_status(status, "UnionFind.union (document number out of range)")
    return merged


def roots(uint32_t[::1] parent, uint32_t[::1] out) -> None:
    """Write each element's root (the smallest member of its set) into ``out`` (uint32[n])."""
    if out.shape[0] != parent.shape[0]:
        raise ValueError("out must have the same length as parent")
    cdef int status
    if parent.shape[0] == 0:
        return
    with nogil:
        status = bp_uf_roots(&parent[0], <size_t>parent.shape[0], &out[0])
    check_status(status, "UnionFind.roots")
