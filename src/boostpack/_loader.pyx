# distutils: sources = csrc/loader.c
"""Per-sample arrays of packed sequences (glue over csrc/loader.c; API in boostpack.loading.dataset)."""

from boostpack._csrc cimport (BP_IGNORE_INDEX, bp_sample_fill, bp_status, int32_t, uint8_t,
                              uint32_t, uint64_t)

import numpy as np

include "_status.pxi"

# -100: labels at piece starts and on padding (the Hugging Face convention), set in csrc/loader.h.
IGNORE_INDEX = BP_IGNORE_INDEX

# Output arrays are carved from pooled int32 blocks: one allocation per ~16 samples instead of
# three (numpy's allocation and buffer acquisition cost about as much as filling the arrays).
# A block stays alive while any sample cut from it does.
cdef enum:
    POOL_SAMPLES = 16


cdef class ShardSamples:
    """Builds training samples from the rows of one memory-mapped shard.

    tokens: ``uint16|uint32[S, seq_len]`` (little-endian, C-contiguous); seq_ptr:
    ``uint64[S + 1]``; piece_start / piece_length: ``uint32[P]``; piece_doc: ``uint64[P]``;
    source: where the rows come from (e.g. ``"<dataset>: shard 3"``), which leads the message
    of the CorruptData raised for a bad row of the document index.
    """

    cdef object _tokens
    cdef object _docs
    cdef const uint8_t[:, ::1] _token_bytes
    cdef const uint64_t[::1] _seq_ptr
    cdef const uint32_t[::1] _starts
    cdef const uint32_t[::1] _lengths
    cdef int _itemsize
    cdef uint32_t _seq_len
    cdef bint _with_labels
    cdef object _pool
    cdef str _source
    cdef int32_t[::1] _pool_view
    cdef Py_ssize_t _pool_used

    def __init__(self, tokens, seq_ptr, piece_start, piece_length, piece_doc,
                 bint with_labels=True, str source="shard"):
        if tokens.ndim != 2 or tokens.dtype.itemsize not in (2, 4):
            raise InvalidInput("tokens must be a 2-D uint16 or uint32 array")
        if not tokens.dtype.isnative:
            # The kernel reads token bytes as native integers (little-endian files, so a
            # big-endian host would need a byte-swapping copy).
            raise InvalidInput("tokens must be in native byte order")
        if len(seq_ptr) != tokens.shape[0] + 1:
            raise CorruptData(f"{source}: seq_ptr must have one entry more than tokens has rows")
        self._tokens = tokens
        self._docs = piece_doc
        self._itemsize = tokens.dtype.itemsize
        self._seq_len = tokens.shape[1]
        self._token_bytes = tokens.view(np.uint8).reshape(tokens.shape[0], -1)
        self._seq_ptr = seq_ptr
        self._starts = piece_start
        self._lengths = piece_length
        self._with_labels = with_labels
        self._source = source
        self._pool_used = 0
        self._pool = None

    cdef object _take(self, Py_ssize_t need):
        """A fresh block when the current one cannot hold ``need`` more int32 values."""
        cdef Py_ssize_t size
        if self._pool is None or self._pool_used + need > self._pool_view.shape[0]:
            size = max(need, POOL_SAMPLES * (2 * <Py_ssize_t>self._seq_len + 16))
            self._pool = np.empty(size, dtype=np.int32)
            self._pool_view = self._pool
            self._pool_used = 0
        return self._pool

    def sample(self, Py_ssize_t j):
        """Sample dict of local row ``j`` (0 <= j < S, checked by the caller)."""
        cdef Py_ssize_t lo = <Py_ssize_t>self._seq_ptr[j]
        cdef Py_ssize_t hi = <Py_ssize_t>self._seq_ptr[j + 1]
        cdef Py_ssize_t n = hi - lo
        cdef Py_ssize_t L = self._seq_len
        cdef Py_ssize_t nlab = L if self._with_labels else 0
        if lo > hi or hi > self._starts.shape[0]:
            raise CorruptData(f"{self._source}: document index row {j}: pointers {lo}..{hi} are "
                              "out of order or range")
        pool = self._take(nlab + L + n + 2)
        cdef Py_ssize_t base = self._pool_used
        cdef int32_t *out = &self._pool_view[base]
        # Reserve before releasing the GIL, so a concurrent call cannot be handed the same
        # slots (at most one cu_seqlens slot per sample goes unused).
        self._pool_used = base + nlab + L + n + 2
        cdef size_t n_cu = 0
        cdef const uint32_t *starts = &self._starts[lo] if n else NULL
        cdef const uint32_t *lengths = &self._lengths[lo] if n else NULL
        cdef bp_status status
        with nogil:
            status = bp_sample_fill(&self._token_bytes[j, 0], self._itemsize, starts, lengths,
                                    <size_t>n, self._seq_len,
                                    out if nlab else NULL, out + nlab, out + nlab + L, &n_cu)
        check_status(status, f"{self._source}: document index row {j}", CorruptData,
                     "pieces must lie back to back from 0 within seq_len")
        sample = {
            "input_ids": self._tokens[j],
            "position_ids": pool[base + nlab:base + nlab + L],
            "cu_seqlens": pool[base + nlab + L:base + nlab + L + <Py_ssize_t>n_cu],
            "document_ids": self._docs[lo:hi],
        }
        if nlab:
            sample["labels"] = pool[base:base + L]
        return sample
