# distutils: sources = csrc/normalize.c csrc/minhash.c
# cython: autotestdict=False
"""Glue for the dedup kernels in csrc/normalize.c and csrc/minhash.c: argument checks, buffers,
the GIL. Offsets are validated here (monotone, inside the buffer) before any C call."""

from libc.stdint cimport uint8_t, uint32_t, uint64_t

import numpy as np

include "_status.pxi"


cdef extern from "normalize.h":
    int BP_DIGITS_KEEP
    int BP_DIGITS_CLASS
    size_t BP_NORMALIZED_CAPACITY(size_t length)
    int bp_normalize(const uint8_t *src, size_t length, int digits, uint8_t *dst, size_t cap,
                     size_t *out_len) nogil
    int bp_exact_hashes(const uint8_t *data, const uint64_t *offsets, size_t n, int digits,
                        uint64_t *out) nogil


cdef extern from "minhash.h":
    int BP_MAX_NGRAM
    int BP_SHINGLE_CHAR
    int BP_SHINGLE_WORD
    int bp_shingle_hashes(const uint8_t *text, size_t length, int mode, size_t ngram,
                          int digits, uint32_t *out, size_t cap, size_t *count) nogil
    int bp_minhash_batch(const uint8_t *data, const uint64_t *offsets, size_t n,
                         const uint32_t *a, const uint32_t *b, size_t num_perm, int mode,
                         size_t ngram, int digits, uint32_t *out) nogil
    int bp_band_keys(const uint32_t *sig, size_t n, size_t num_perm, size_t bands, size_t rows,
                     uint64_t seed, uint64_t *out) nogil


MAX_NGRAM = BP_MAX_NGRAM
SHINGLE_CHAR = BP_SHINGLE_CHAR
SHINGLE_WORD = BP_SHINGLE_WORD

# A valid address for zero-length buffers, whose memoryviews have no element 0 to point at.
cdef uint8_t _empty_byte = 0


cdef inline const uint8_t *_bytes_ptr(const uint8_t[::1] buf) noexcept nogil:
    return &buf[0] if buf.shape[0] > 0 else &_empty_byte


cdef size_t _check_offsets(const uint8_t[::1] data, const uint64_t[::1] offsets) except? 0:
    """Number of documents described by offsets (uint64[n+1]); raises on bad offsets."""
    cdef Py_ssize_t i, n = offsets.shape[0] - 1
    cdef uint64_t size = <uint64_t>data.shape[0]
    cdef int bad = 0
    if n < 0:
        raise ValueError("offsets must hold n+1 >= 1 entries")
    with nogil:
        for i in range(n):
            if offsets[i + 1] < offsets[i]:
                bad = 1
                break
    if bad:
        raise ValueError(f"offsets must be non-decreasing (offsets[{i + 1}] < offsets[{i}])")
    if offsets[n] > size:
        raise ValueError(f"offsets[-1] = {offsets[n]} is past the end of the {size}-byte buffer")
    return <size_t>n


cdef int _mode(str shingle) except -1:
    if shingle == "char":
        return BP_SHINGLE_CHAR
    if shingle == "word":
        return BP_SHINGLE_WORD
    raise ValueError(f"shingle must be 'char' or 'word', not {shingle!r}")


cdef int _digits(str digits) except -1:
    if digits == "keep":
        return BP_DIGITS_KEEP
    if digits == "class":
        return BP_DIGITS_CLASS
    raise ValueError(f"digits must be 'keep' or 'class', not {digits!r}")


def _check_ngram(Py_ssize_t ngram):
    if not 1 <= ngram <= BP_MAX_NGRAM:
        raise ValueError(f"ngram must be in 1..{BP_MAX_NGRAM}, not {ngram}")


def normalize_utf8(const uint8_t[::1] text, str digits) -> bytes:
    """The normalized UTF-8 bytes of ``text`` (raw UTF-8 bytes, invalid sequences allowed)."""
    cdef int dmode = _digits(digits)
    cdef size_t length = <size_t>text.shape[0], out_len = 0
    cdef bytearray dst = bytearray(BP_NORMALIZED_CAPACITY(length))
    cdef uint8_t[::1] out = dst
    cdef int status
    with nogil:
        status = bp_normalize(_bytes_ptr(text), length, dmode, &out[0], <size_t>out.shape[0],
                              &out_len)
    check_status(status, "normalize")
    return bytes(dst[:out_len])


def exact_hashes(const uint8_t[::1] data, const uint64_t[::1] offsets, str digits):
    """uint64[n, 2]: MurmurHash3_x64_128 (low, high) of each document's normalized text."""
    cdef int dmode = _digits(digits)
    cdef size_t n = _check_offsets(data, offsets)
    result = np.empty((n, 2), dtype=np.uint64)
    cdef uint64_t[:, ::1] out = result
    cdef int status
    if n == 0:
        return result
    with nogil:
        status = bp_exact_hashes(_bytes_ptr(data), &offsets[0], n, dmode, &out[0, 0])
    check_status(status, "exact_hashes")
    return result


def shingle_hashes(const uint8_t[::1] text, str shingle, Py_ssize_t ngram, str digits):
    """uint32[k]: the shingle hashes of one UTF-8 document, in text order, repeats kept."""
    cdef int mode = _mode(shingle)
    cdef int dmode = _digits(digits)
    _check_ngram(ngram)
    cdef size_t length = <size_t>text.shape[0], count = 0
    result = np.empty(length if length > 0 else 1, dtype=np.uint32)
    cdef uint32_t[::1] out = result
    cdef int status
    with nogil:
        status = bp_shingle_hashes(_bytes_ptr(text), length, mode, <size_t>ngram, dmode, &out[0],
                                   <size_t>out.shape[0], &count)
    check_status(status, "shingle_hashes")
    return result[:count].copy()


def signatures(const uint8_t[::1] data, const uint64_t[::1] offsets, const uint32_t[::1] a,
               const uint32_t[::1] b, str shingle, Py_ssize_t ngram, str digits):
    """uint32[n, num_perm]: MinHash signatures of the documents data[offsets[i]:offsets[i+1]]."""
    cdef int mode = _mode(shingle)
    cdef int dmode = _digits(digits)
    _check_ngram(ngram)
    cdef size_t n = _check_offsets(data, offsets)
    cdef size_t num_perm = <size_t>a.shape[0]
    if num_perm == 0 or b.shape[0] != a.shape[0]:
        raise ValueError("permutation parameters a and b must be non-empty and of equal length")
    result = np.empty((n, num_perm), dtype=np.uint32)
    if n == 0:
        return result
    cdef uint32_t[:, ::1] out = result
    cdef int status
    with nogil:
        status = bp_minhash_batch(_bytes_ptr(data), &offsets[0], n, &a[0], &b[0], num_perm, mode,
                                  <size_t>ngram, dmode, &out[0, 0])
    check_status(status, "signatures")
    return result


def band_keys(const uint32_t[:, ::1] sig, Py_ssize_t bands, Py_ssize_t rows, uint64_t seed):
    """uint64[n, bands]: 64-bit hash of each band of rows of each signature."""
    cdef size_t n = <size_t>sig.shape[0], num_perm = <size_t>sig.shape[1]
    if bands < 1 or rows < 1 or rows > <Py_ssize_t>num_perm or bands > <Py_ssize_t>num_perm // rows:
        raise ValueError(f"need bands >= 1, rows >= 1 and bands * rows <= {num_perm}, "
                         f"got {bands} x {rows}")
    result = np.empty((n, bands), dtype=np.uint64)
    if n == 0:
        return result
    cdef uint64_t[:, ::1] out = result
    cdef int status
    with nogil:
        status = bp_band_keys(&sig[0, 0], n, num_perm, <size_t>bands, <size_t>rows, seed,
                              &out[0, 0])
    check_status(status, "band_keys")
    return result
