# distutils: sources = csrc/loader.c
"""Training samples and collated batches of packed sequences (glue over csrc/loader.c; the API is
boostpack.loading.dataset).

Every array handed in is checked here before the kernel reads through it: shapes, dtypes and
lengths when a shard is wrapped, each row's pointers when it is read (O(1)), and the kernel
checks the row's pieces before writing anything. Bad arguments raise InvalidInput or
IndexError, a corrupt document index CorruptData; nothing reads out of bounds.
"""

cimport cython
from libc.stdlib cimport free, malloc

from boostpack._csrc cimport (BP_IGNORE_INDEX, bp_batch_fill, bp_packed_row, bp_sample_fill,
                              bp_status, int32_t, int64_t, uint8_t, uint32_t, uint64_t)

import numpy as np

include "_status.pxi"

# -100: labels at piece starts, on loss-free prefixes and on padding (the Hugging Face
# convention), set in csrc/loader.h.
IGNORE_INDEX = BP_IGNORE_INDEX

# Single samples' int32 arrays are carved from pooled blocks: one allocation per ~16 samples
# instead of three (numpy's allocation and buffer acquisition cost about as much as filling the
# arrays). A block stays alive while any sample cut from it does.
cdef enum:
    POOL_SAMPLES = 16

cdef str _ROW_RULES = ("pieces must lie back to back from 0 within seq_len, each loss-free "
                       "prefix within its piece, document numbers below the document count")


cdef class ShardSamples:
    """The rows of one memory-mapped shard, checked for the kernel.

    tokens: ``uint16|uint32[S, seq_len]`` (native byte order, C-contiguous); seq_ptr:
    ``uint64[S + 1]`` from 0 to P; piece_start / piece_length: ``uint32[P]``; piece_doc:
    ``uint64[P]``, each below ``num_documents``; piece_loss: ``uint32[P]`` loss-free prefix
    lengths, or None when every token carries loss (format version 1). source names the shard
    (e.g. ``"<dataset>: shard 3"``) in the CorruptData raised for a bad row.
    """

    cdef object _tokens
    cdef object _docs
    cdef const uint8_t[:, ::1] _token_bytes
    cdef const uint64_t[::1] _seq_ptr
    cdef const uint32_t[::1] _starts
    cdef const uint32_t[::1] _lengths
    cdef const uint32_t[::1] _no_loss
    cdef const uint64_t[::1] _doc_numbers
    cdef bint _has_loss
    cdef int _itemsize
    cdef uint64_t _pieces
    cdef readonly Py_ssize_t num_rows
    cdef readonly uint32_t seq_len
    cdef readonly uint64_t num_documents
    cdef readonly str source

    def __init__(self, tokens, seq_ptr, piece_start, piece_length, piece_doc, piece_loss=None,
                 *, num_documents, str source="shard"):
        tokens = np.asarray(tokens)  # a plain ndarray view: indexes faster than np.memmap
        if (tokens.ndim != 2 or tokens.dtype.kind != "u" or tokens.dtype.itemsize not in (2, 4)
                or not tokens.flags.c_contiguous):
            raise InvalidInput("tokens must be a C-contiguous 2-D uint16 or uint32 array")
        if not tokens.dtype.isnative:
            # The kernel reads token bytes as native integers (little-endian files, so a
            # big-endian host would need a byte-swapping copy).
            raise InvalidInput("tokens must be in native byte order")
        if not 0 < tokens.shape[1] <= 2**31 - 1:
            raise InvalidInput(f"seq_len must be in [1, 2^31), got {tokens.shape[1]}")
        if int(num_documents) < 0:
            raise InvalidInput(f"num_documents must be >= 0, got {num_documents}")
        self._seq_ptr = seq_ptr
        self._starts = piece_start
        self._lengths = piece_length
        self._doc_numbers = piece_doc
        self._has_loss = piece_loss is not None
        if self._has_loss:
            self._no_loss = piece_loss
        pieces = self._starts.shape[0]
        if (self._lengths.shape[0] != pieces or self._doc_numbers.shape[0] != pieces
                or (self._has_loss and self._no_loss.shape[0] != pieces)):
            raise InvalidInput("piece_start, piece_length, piece_doc and piece_loss must have "
                               "the same length")
        if self._seq_ptr.shape[0] != tokens.shape[0] + 1:
            raise InvalidInput("seq_ptr must have one entry more than tokens has rows")
        if self._seq_ptr[0] != 0 or self._seq_ptr[tokens.shape[0]] != <uint64_t>pieces:
            raise CorruptData(f"{source}: document index pointers run from "
                              f"{self._seq_ptr[0]} to {self._seq_ptr[tokens.shape[0]]}, "
                              f"not from 0 to the {pieces} pieces")
        self._tokens = tokens
        self._docs = np.asarray(piece_doc)
        self._itemsize = tokens.dtype.itemsize
        self._token_bytes = tokens.view(np.uint8).reshape(tokens.shape[0], -1)
        self._pieces = pieces
        self.num_rows = tokens.shape[0]
        self.seq_len = tokens.shape[1]
        self.num_documents = num_documents
        self.source = source

    cdef int describe_row(self, Py_ssize_t j, bp_packed_row *row,
                          uint64_t *first) except -1:
        """``row`` for local row ``j`` and ``first``, its first piece number; checks ``j`` and
        the row's pointers (the pieces themselves are the kernel's to check)."""
        if not 0 <= j < self.num_rows:
            raise IndexError(f"{self.source}: row {j} out of range [0, {self.num_rows})")
        cdef uint64_t lo = self._seq_ptr[j]
        cdef uint64_t hi = self._seq_ptr[j + 1]
        if lo > hi or hi > self._pieces:
            raise CorruptData(f"{self.source}: document index row {j}: pointers {lo}..{hi} are "
                              f"out of order or past the {self._pieces} pieces")
        row.row = &self._token_bytes[j, 0]
        row.token_bytes = self._itemsize
        row.n = hi - lo
        row.num_docs = self.num_documents
        row.starts = row.lengths = row.no_loss = NULL
        row.docs = NULL
        if row.n:
            row.starts = &self._starts[lo]
            row.lengths = &self._lengths[lo]
            row.docs = &self._doc_numbers[lo]
            if self._has_loss:
                row.no_loss = &self._no_loss[lo]
        first[0] = lo
        return 0

    def tokens(self, Py_ssize_t j):
        """Token row ``j``: a view, ``dtype[seq_len]``."""
        if not 0 <= j < self.num_rows:
            raise IndexError(f"{self.source}: row {j} out of range [0, {self.num_rows})")
        return self._tokens[j]


@cython.auto_pickle(False)  # PackedDataset pickles as its path (its __reduce__)
cdef class Samples:
    """A dataset's samples by global sequence number, over shards opened on first use: the
    compiled base of ``PackedDataset``, so ``ds[i]`` is one C call.

    counts: sequences per shard; open_shard(k) returns shard ``k``'s ShardSamples (called once
    per shard); with_labels: build ``labels``; seq_len: every shard's row length.
    """

    cdef list _shards
    cdef object _open_shard
    cdef int64_t[::1] _offsets
    cdef Py_ssize_t _per_shard
    cdef readonly Py_ssize_t num_sequences
    cdef readonly bint with_labels
    cdef readonly uint32_t seq_len
    cdef object _pool
    cdef int32_t[::1] _pool_view
    cdef Py_ssize_t _pool_used

    def __cinit__(self, *args, **kwargs):
        self._shards = []  # made without __init__ (Samples.__new__): no rows, nothing to read

    def __init__(self, counts, open_shard, bint with_labels=True, *, seq_len):
        c = [int(x) for x in counts]
        if any(x < 0 for x in c):
            raise InvalidInput("shard sequence counts must be >= 0")
        if not 0 < seq_len <= 2**31 - 1:
            raise InvalidInput(f"seq_len must be in [1, 2^31), got {seq_len}")
        offsets = np.zeros(len(c) + 1, dtype=np.int64)
        np.cumsum(np.array(c, dtype=np.int64), out=offsets[1:])
        self._offsets = offsets
        self._shards = [None] * len(c)
        self._open_shard = open_shard
        self.num_sequences = self._offsets[len(c)]
        self.with_labels = with_labels
        self.seq_len = seq_len
        # With equal shards (all but the last), shard = i // size: cheaper than a search.
        uniform = len(c) <= 1 or (len(set(c[:len(c) - 1])) == 1 and c[len(c) - 1] <= c[0])
        self._per_shard = c[0] if uniform and c and c[0] > 0 else 0
        self._pool = None
        self._pool_used = 0

    def __len__(self):
        return self.num_sequences

    cdef Py_ssize_t _normalize(self, index) except -1:
        cdef Py_ssize_t i
        try:
            i = index
        except OverflowError:
            raise IndexError(f"index {index} out of range (len {self.num_sequences})") from None
        if i < 0:
            i += self.num_sequences
        if not 0 <= i < self.num_sequences:
            raise IndexError(f"index {index} out of range (len {self.num_sequences})")
        return i

    cdef Py_ssize_t _shard_of(self, Py_ssize_t i) noexcept:
        if self._per_shard:
            return i // self._per_shard
        cdef Py_ssize_t lo = 0, hi = self._offsets.shape[0] - 1, mid
        while hi - lo > 1:  # offsets[lo] <= i < offsets[hi]
            mid = (lo + hi) // 2
            if self._offsets[mid] <= i:
                lo = mid
            else:
                hi = mid
        return lo

    cpdef ShardSamples shard(self, Py_ssize_t k):
        """Shard ``k``, opened on first use."""
        if not 0 <= k < len(self._shards):
            raise IndexError(f"shard {k} out of range [0, {len(self._shards)})")
        shard = self._shards[k]
        if shard is None:
            shard = self._open_shard(k)
            if not isinstance(shard, ShardSamples):
                raise InvalidInput("open_shard must return a ShardSamples")
            expected = self._offsets[k + 1] - self._offsets[k]
            if shard.num_rows != expected or shard.seq_len != self.seq_len:
                raise CorruptData(f"{shard.source}: {shard.num_rows} rows of {shard.seq_len} "
                                  f"tokens, expected {expected} of {self.seq_len}")
            self._shards[k] = shard
        return shard

    def locate(self, index):
        """``(shard, row within the shard)`` of sequence ``index`` (negative counts from the
        end)."""
        cdef Py_ssize_t i = self._normalize(index)
        cdef Py_ssize_t k = self._shard_of(i)
        return k, i - self._offsets[k]

    cdef object _take(self, Py_ssize_t need):
        """A fresh pool block when the current one cannot hold ``need`` more int32 values."""
        cdef Py_ssize_t size
        if self._pool is None or self._pool_used + need > self._pool_view.shape[0]:
            size = max(need, POOL_SAMPLES * (2 * <Py_ssize_t>self.seq_len + 16))
            self._pool = np.empty(size, dtype=np.int32)
            self._pool_view = self._pool
            self._pool_used = 0
        return self._pool

    def __getitem__(self, index):
        """The sample dict of sequence ``index`` (layout: boostpack.loading.dataset)."""
        return self._sample(index)

    def sample(self, index):
        """``self[index]``."""
        return self._sample(index)

    cdef dict _sample(self, index):
        cdef Py_ssize_t i = self._normalize(index)
        cdef Py_ssize_t k = self._shard_of(i)
        cdef Py_ssize_t j = i - self._offsets[k]
        cdef ShardSamples shard = self._shards[k]
        if shard is None:
            shard = self.shard(k)
        cdef bp_packed_row row
        cdef uint64_t first
        shard.describe_row(j, &row, &first)
        cdef Py_ssize_t L = self.seq_len
        cdef Py_ssize_t nlab = L if self.with_labels else 0
        cdef Py_ssize_t n = row.n
        pool = self._take(nlab + L + n + 2)
        cdef Py_ssize_t base = self._pool_used
        cdef int32_t *out = &self._pool_view[base]
        # Reserve before releasing the GIL, so a concurrent call cannot be handed the same
        # slots (at most one cu_seqlens slot per sample goes unused).
        self._pool_used = base + nlab + L + n + 2
        cdef size_t n_cu = 0
        cdef bp_status status
        with nogil:
            status = bp_sample_fill(&row, self.seq_len, out if nlab else NULL, out + nlab,
                                    out + nlab + L, &n_cu)
        if status != BP_OK:  # the message is only formatted for an error
            check_status(status, f"{shard.source}: document index row {j}", CorruptData,
                         _ROW_RULES)
        sample = {
            "input_ids": shard._tokens[j],
            "position_ids": pool[base + nlab:base + nlab + L],
            "cu_seqlens": pool[base + nlab + L:base + nlab + L + <Py_ssize_t>n_cu],
            "document_ids": shard._docs[first:first + n],
        }
        if nlab:
            sample["labels"] = pool[base:base + L]
        return sample

    def batch(self, indices):
        """The collated batch of sequences ``indices`` (see ``gather``)."""
        return gather([self], None, indices)


def gather(list sources, which, indices):
    """One collated batch of samples drawn from several datasets with one kernel call.

    Sample ``b`` is sequence ``indices[b]`` of ``sources[which[b]]`` (``which`` None: all from
    ``sources[0]``). Returns what ``boostpack.collate`` returns for the same samples:
    ``input_ids``, ``position_ids`` (and ``labels``) int64 ``[B, seq_len]``, ``cu_seqlens``
    int32, ``max_seqlen`` int, ``document_ids`` int64. The sources must share ``seq_len`` and
    ``with_labels``.
    """
    cdef Py_ssize_t count = len(indices)
    if count == 0:
        raise InvalidInput("gather: empty batch")
    if not sources:
        raise InvalidInput("gather: no sources")
    cdef Samples first_source = sources[0]
    cdef Samples src
    for src in sources:
        if src.seq_len != first_source.seq_len or src.with_labels != first_source.with_labels:
            raise InvalidInput("gather: sources differ in seq_len or labels")
    cdef const int64_t[::1] which_view
    if which is not None:
        which_view = np.ascontiguousarray(which, dtype=np.int64)
        if which_view.shape[0] != count:
            raise InvalidInput("gather: which and indices differ in length")
    cdef Py_ssize_t L = first_source.seq_len
    if count * L > 2**31 - 1:
        raise InvalidInput(f"gather: {count} x {L} tokens overflow int32 cu_seqlens")
    cdef bp_packed_row *rows = <bp_packed_row *>malloc(count * sizeof(bp_packed_row))
    if rows == NULL:
        raise MemoryError()
    cdef list shards = []
    cdef Py_ssize_t b, s, i, k, pieces = 0
    cdef uint64_t first
    cdef ShardSamples shard
    try:
        for b in range(count):
            s = 0
            if which is not None:
                s = which_view[b]
                if not 0 <= s < len(sources):
                    raise InvalidInput(f"gather: source {s} out of range")
            src = sources[s]
            i = src._normalize(indices[b])
            k = src._shard_of(i)
            shard = src.shard(k)
            shard.describe_row(i - src._offsets[k], &rows[b], &first)
            shards.append((shard, i - src._offsets[k]))
            pieces += rows[b].n
        return _fill_batch(rows, count, <uint32_t>L, first_source.with_labels, pieces, shards)
    finally:
        free(rows)


cdef dict _fill_batch(const bp_packed_row *rows, Py_ssize_t count, uint32_t seq_len,
                      bint with_labels, Py_ssize_t pieces, list shards):
    """The kernel call of ``gather`` over described rows (``shards``: their (shard, row), for
    the error message)."""
    fields = 3 if with_labels else 2
    block = np.empty((fields, count, seq_len), dtype=np.int64)
    cu = np.empty(pieces + count + 1, dtype=np.int32)
    docs = np.empty(pieces, dtype=np.int64)
    cdef int64_t[:, :, ::1] out = block
    cdef int32_t[::1] cu_view = cu
    cdef int64_t *doc_ptr = NULL
    cdef int64_t[::1] doc_view
    if pieces:
        doc_view = docs
        doc_ptr = &doc_view[0]
    cdef size_t n_cu = 0, bad = 0
    cdef int32_t longest = 0
    cdef bp_status status
    with nogil:
        status = bp_batch_fill(rows, count, seq_len, &out[0, 0, 0],
                               &out[2, 0, 0] if with_labels else NULL, &out[1, 0, 0],
                               &cu_view[0], cu_view.shape[0], &n_cu, doc_ptr, pieces,
                               &longest, &bad)
    if status == BP_ERR_INVALID:
        shard, j = shards[bad]
        check_status(status, f"{shard.source}: document index row {j}", CorruptData, _ROW_RULES)
    check_status(status, "gather")
    batch = {"input_ids": block[0], "position_ids": block[1]}
    if with_labels:
        batch["labels"] = block[2]
    batch["cu_seqlens"] = cu[:n_cu]
    batch["max_seqlen"] = int(longest)
    batch["document_ids"] = docs
    return batch
