# distutils: sources = csrc/packing.c
# cython: autotestdict=False
"""Glue for csrc/packing.h: checks shapes, releases the GIL, converts status codes. The API with
names and defaults is boostpack.packing.packer.

The kernels check every offset and length against the buffers they are given before reading
or writing through it; the glue checks what they cannot see (buffer sizes that overflow, an
output that overlaps an input)."""

from boostpack._csrc cimport (BP_PACK_BESTFIT, BP_PACK_CONCAT, BP_PACK_PAD, bp_frame_documents,
                              bp_pack_bound, bp_pack_fill_u16, bp_pack_fill_u32, bp_pack_plan,
                              bp_pack_result, bp_status, int64_t, uint16_t, uint32_t, uint64_t)
from libc.stdint cimport SIZE_MAX, uintptr_t

include "_status.pxi"

STRATEGIES = {"bestfit": BP_PACK_BESTFIT, "concat": BP_PACK_CONCAT, "pad": BP_PACK_PAD}


cdef inline const uint64_t *_p64(const uint64_t[::1] a) noexcept nogil:
    return &a[0] if a.shape[0] else NULL


cdef inline const uint32_t *_p32(const uint32_t[::1] a) noexcept nogil:
    return &a[0] if a.shape[0] else NULL


cdef inline bint _overlap(const void *a, size_t a_bytes, const void *b, size_t b_bytes) noexcept:
    """Whether two buffers share a byte (an empty one shares none)."""
    cdef uintptr_t x = <uintptr_t>a, y = <uintptr_t>b
    return a_bytes > 0 and b_bytes > 0 and x < y + b_bytes and y < x + a_bytes


def pack_bound(const uint64_t[::1] item_len, uint32_t seq_len):
    """Capacity (sequences and pieces) that suffices for planning these items."""
    cdef size_t bound = 0
    cdef bp_status status
    if seq_len == 0:
        raise InvalidInput("seq_len must be positive")
    with nogil:
        status = bp_pack_bound(_p64(item_len), item_len.shape[0], seq_len, &bound)
    check_status(status, "pack_bound")
    return bound


def pack_plan(str strategy, uint32_t seq_len, const uint64_t[::1] item_len, bint flush,
              uint64_t[::1] seq_ptr, uint32_t[::1] piece_item, uint64_t[::1] piece_offset,
              uint32_t[::1] piece_start, uint32_t[::1] piece_len):
    """Plan into the given buffers; returns (num_sequences, num_pieces, carry_item,
    carry_offset)."""
    cdef int code = STRATEGIES.get(strategy, -1)
    cdef bp_pack_result result
    cdef Py_ssize_t piece_cap = piece_item.shape[0]
    cdef bp_status status
    if code < 0:
        raise InvalidInput(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")
    if seq_ptr.shape[0] < 1:
        raise InvalidInput("seq_ptr needs at least one entry")
    if not (piece_offset.shape[0] == piece_start.shape[0] == piece_len.shape[0] == piece_cap):
        raise InvalidInput("piece buffers must have equal lengths")
    with nogil:
        status = bp_pack_plan(code, seq_len, _p64(item_len), item_len.shape[0], flush,
                              &seq_ptr[0], seq_ptr.shape[0] - 1,
                              &piece_item[0] if piece_cap else NULL,
                              &piece_offset[0] if piece_cap else NULL,
                              &piece_start[0] if piece_cap else NULL,
                              &piece_len[0] if piece_cap else NULL, piece_cap, &result)
    check_status(status, f"pack_plan({strategy})")
    return (result.num_sequences, result.num_pieces, result.carry_item, result.carry_offset)


def pack_fill(const uint32_t[::1] ids, const uint64_t[::1] piece_src,
              const uint32_t[::1] piece_len, const uint64_t[::1] seq_ptr, uint32_t seq_len,
              uint32_t pad_id, out):
    """Fill ``out``: 1-D C-contiguous uint16 or uint32 of (len(seq_ptr) - 1) * seq_len."""
    cdef size_t n_seq = seq_ptr.shape[0] - 1 if seq_ptr.shape[0] else 0
    cdef Py_ssize_t n_pieces = piece_len.shape[0]
    cdef uint32_t[::1] out32
    cdef uint16_t[::1] out16
    cdef bp_status status
    if seq_ptr.shape[0] < 1 or piece_src.shape[0] != n_pieces:
        raise InvalidInput("need len(seq_ptr) >= 1 and len(piece_src) == len(piece_len)")
    flat = memoryview(out)
    if flat.ndim != 1:
        raise InvalidInput("out must be 1-D")
    if seq_len and n_seq > SIZE_MAX // seq_len:
        raise InvalidInput(f"{n_seq} sequences of {seq_len} tokens overflow the address space")
    if flat.shape[0] != n_seq * seq_len:
        raise InvalidInput(f"out has {flat.shape[0]} entries, expected {n_seq * seq_len}")
    if flat.itemsize == 4:
        out32 = flat
        with nogil:
            status = bp_pack_fill_u32(_p32(ids), ids.shape[0], _p64(piece_src), _p32(piece_len),
                                      n_pieces, &seq_ptr[0], n_seq, seq_len, pad_id,
                                      &out32[0] if n_seq else NULL)
    elif flat.itemsize == 2:
        out16 = flat
        with nogil:
            status = bp_pack_fill_u16(_p32(ids), ids.shape[0], _p64(piece_src), _p32(piece_len),
                                      n_pieces, &seq_ptr[0], n_seq, seq_len, pad_id,
                                      &out16[0] if n_seq else NULL)
    else:
        raise InvalidInput("out must be uint16 or uint32")
    check_status(status, "pack_fill", InvalidInput,
                 "a piece outside the ids or its sequence, or an id that does not fit the dtype")


def frame_documents(const uint32_t[::1] ids, const int64_t[::1] offsets, int64_t bos,
                    int64_t eos, uint32_t[::1] out, int64_t[::1] out_offsets):
    """Write [bos] + doc + [eos] per document into ``out``; offsets into ``out_offsets``."""
    cdef bp_status status
    if offsets.shape[0] < 1 or out_offsets.shape[0] != offsets.shape[0]:
        raise InvalidInput("need len(offsets) >= 1 and len(out_offsets) == len(offsets)")
    if _overlap(_p32(ids), ids.shape[0] * 4, &out[0] if out.shape[0] else NULL, out.shape[0] * 4):
        raise InvalidInput("frame_documents: out overlaps ids (the documents are copied)")
    with nogil:
        status = bp_frame_documents(_p32(ids), ids.shape[0], &offsets[0], offsets.shape[0] - 1,
                                    bos, eos, &out[0] if out.shape[0] else NULL, out.shape[0],
                                    &out_offsets[0])
    check_status(status, "frame_documents")
