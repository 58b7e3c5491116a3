# distutils: sources = csrc/normalize.c csrc/units.c csrc/units_x86.c csrc/minhash.c csrc/lsh.c csrc/itemkey.c csrc/radix.c
# cython: autotestdict=False
"""Glue for the dedup kernels (csrc/normalize.h, csrc/minhash.h, csrc/lsh.h, csrc/itemkey.h,
csrc/radix.h):
argument checks, buffers, the GIL. Offsets are validated here (monotone, inside the buffer)
before any C call."""

cimport cython
from libc.errno cimport EINTR, errno
from libc.stdint cimport int64_t
from posix.types cimport off_t
from posix.unistd cimport pread

from boostpack._csrc cimport (BP_ANSWER_EXACT, BP_ANSWER_LONG, BP_ANSWER_NONE, BP_DIGITS_CLASS,
                              BP_DIGITS_KEEP, BP_ISA_AVX2, BP_ISA_AVX512,
                              BP_ISA_BEST, BP_ISA_PORTABLE, BP_MAX_DOCUMENT, BP_MAX_NGRAM,
                              BP_NORMALIZED_CAPACITY, BP_SHINGLE_CHAR, BP_SHINGLE_WORD,
                              bp_answer_keys, bp_band_keys, bp_cpu_isa, bp_exact_hashes,
                              bp_exclusion, bp_question_keys,
                              bp_exclusion_build, bp_exclusion_slots, bp_minhash_batch,
                              bp_minhash_hashes, bp_normalize, bp_shingle_hashes, bp_shingling,
                              bp_sort_entries,
                              uint8_t, uint32_t, uint64_t)

import os

import numpy as np

include "_status.pxi"

MAX_NGRAM = BP_MAX_NGRAM
MAX_DOCUMENT = BP_MAX_DOCUMENT
SHINGLE_CHAR = BP_SHINGLE_CHAR
SHINGLE_WORD = BP_SHINGLE_WORD
ANSWER_NONE = BP_ANSWER_NONE
ANSWER_EXACT = BP_ANSWER_EXACT
ANSWER_LONG = BP_ANSWER_LONG
# Instruction sets of the unit hashing, narrowest first; "best" is what the CPU has. Tests pin
# each one to prove every path gives the same bytes.
ISAS = {"portable": BP_ISA_PORTABLE, "avx2": BP_ISA_AVX2, "avx512": BP_ISA_AVX512,
        "best": BP_ISA_BEST}

# A valid address for zero-length buffers, whose memoryviews have no element 0 to point at.
cdef uint8_t _empty_byte = 0


cdef inline const uint8_t *_bytes_ptr(const uint8_t[::1] buf) noexcept nogil:
    return &buf[0] if buf.shape[0] > 0 else &_empty_byte


cdef size_t _check_offsets(Py_ssize_t size, const uint64_t[::1] offsets, str unit="byte",
                           uint64_t longest_allowed=<uint64_t>-1) except? 0:
    """Number of documents described by offsets (uint64[n+1]) over a buffer of size units;
    raises on bad offsets or on a document longer than longest_allowed units."""
    cdef Py_ssize_t i, n = offsets.shape[0] - 1
    cdef uint64_t longest = 0
    cdef int bad = 0
    if n < 0:
        raise InvalidInput("offsets must hold n+1 >= 1 entries")
    with nogil:
        for i in range(n):
            if offsets[i + 1] < offsets[i]:
                bad = 1
                break
            if offsets[i + 1] - offsets[i] > longest:
                longest = offsets[i + 1] - offsets[i]
    if bad:
        raise InvalidInput(f"offsets must be non-decreasing (offsets[{i + 1}] < offsets[{i}])")
    if offsets[n] > <uint64_t>size:
        raise InvalidInput(f"offsets[-1] = {offsets[n]} is past the end of the {size}-{unit} buffer")
    if longest > longest_allowed:
        raise InvalidInput(f"a document of {longest} {unit}s; at most {longest_allowed} are supported")
    return <size_t>n


@cython.auto_pickle(False)  # it holds a pointer into its own buffer
cdef class Exclusion:
    """Shingle hashes that do not count (boilerplate), as the kernel's lookup table
    (``bp_exclusion`` in csrc/minhash.h), built once and shared by every call given it."""

    cdef bp_exclusion table
    cdef object _slots
    cdef readonly object hashes

    def __init__(self, hashes):
        self.hashes = np.unique(np.asarray(hashes, dtype=np.uint32).reshape(-1))
        cdef const uint32_t[::1] values = self.hashes
        cdef size_t n = <size_t>values.shape[0]
        cdef size_t n_slots = bp_exclusion_slots(n)
        if n_slots == 0:
            raise InvalidInput(f"too many excluded shingle hashes: {n}")
        self._slots = np.empty(n_slots, dtype=np.uint32)
        cdef uint32_t[::1] slots = self._slots
        cdef uint32_t none = 0
        cdef bp_status status
        with nogil:
            status = bp_exclusion_build(&values[0] if n > 0 else &none, n, &slots[0], n_slots,
                                        &self.table)
        check_status(status, "Exclusion")

    def __len__(self):
        return len(self.hashes)


cdef bp_shingling _shingling(str shingle, Py_ssize_t ngram, str digits, str isa,
                             Exclusion exclude=None) except *:
    cdef bp_shingling spec
    spec.exclude = &exclude.table if exclude is not None else NULL
    if shingle == "char":
        spec.mode = BP_SHINGLE_CHAR
    elif shingle == "word":
        spec.mode = BP_SHINGLE_WORD
    else:
        raise InvalidInput(f"shingle must be 'char' or 'word', not {shingle!r}")
    if not 1 <= ngram <= BP_MAX_NGRAM:
        raise InvalidInput(f"ngram must be in 1..{BP_MAX_NGRAM}, not {ngram}")
    spec.ngram = <size_t>ngram
    spec.digits = _digits(digits)
    if isa not in ISAS:
        raise InvalidInput(f"isa must be one of {', '.join(ISAS)}, not {isa!r}")
    spec.isa = ISAS[isa]
    return spec


cdef int _digits(str digits) except -1:
    if digits == "keep":
        return BP_DIGITS_KEEP
    if digits == "class":
        return BP_DIGITS_CLASS
    raise InvalidInput(f"digits must be 'keep' or 'class', not {digits!r}")


def best_isa() -> str:
    """The instruction set the unit hashing uses on this CPU."""
    cdef int best = bp_cpu_isa(BP_ISA_BEST)
    return next(name for name, code in ISAS.items() if code == best)


def normalize_utf8(const uint8_t[::1] text, str digits) -> bytes:
    """The normalized UTF-8 bytes of ``text`` (raw UTF-8 bytes, invalid sequences allowed)."""
    cdef int dmode = _digits(digits)
    cdef size_t length = <size_t>text.shape[0], out_len = 0
    cdef bytearray dst = bytearray(BP_NORMALIZED_CAPACITY(length))
    cdef uint8_t[::1] out = dst
    cdef bp_status status
    with nogil:
        status = bp_normalize(_bytes_ptr(text), length, dmode, &out[0], <size_t>out.shape[0],
                              &out_len)
    check_status(status, "normalize")
    return bytes(dst[:out_len])


def exact_hashes(const uint8_t[::1] data, const uint64_t[::1] offsets, str digits):
    """uint64[n, 2]: MurmurHash3_x64_128 (low, high) of each document's normalized text."""
    cdef int dmode = _digits(digits)
    cdef size_t n = _check_offsets(data.shape[0], offsets)
    result = np.empty((n, 2), dtype=np.uint64)
    cdef uint64_t[:, ::1] out = result
    cdef bp_status status
    if n == 0:
        return result
    with nogil:
        status = bp_exact_hashes(_bytes_ptr(data), &offsets[0], n, dmode, &out[0, 0])
    check_status(status, "exact_hashes")
    return result


def shingle_hashes(const uint8_t[::1] text, str shingle, Py_ssize_t ngram, str digits,
                   str isa="best", Exclusion exclude=None):
    """uint32[k]: the shingle hashes of one UTF-8 document, in text order, repeats kept,
    excluded ones left out."""
    cdef bp_shingling spec = _shingling(shingle, ngram, digits, isa, exclude)
    cdef size_t length = <size_t>text.shape[0], count = 0
    if length > BP_MAX_DOCUMENT:
        raise InvalidInput(f"a document of {length} bytes; at most {BP_MAX_DOCUMENT} are supported")
    result = np.empty(length if length > 0 else 1, dtype=np.uint32)
    cdef uint32_t[::1] out = result
    cdef bp_status status
    with nogil:
        status = bp_shingle_hashes(_bytes_ptr(text), length, &spec, &out[0], <size_t>out.shape[0],
                                   &count)
    check_status(status, "shingle_hashes")
    return result[:count].copy()


cdef size_t _check_permutations(const uint32_t[::1] a, const uint32_t[::1] b) except 0:
    if a.shape[0] == 0 or b.shape[0] != a.shape[0]:
        raise InvalidInput("permutation parameters a and b must be non-empty and of equal length")
    return <size_t>a.shape[0]


def signatures(const uint8_t[::1] data, const uint64_t[::1] offsets, const uint32_t[::1] a,
               const uint32_t[::1] b, str shingle, Py_ssize_t ngram, str digits,
               str isa="best", Exclusion exclude=None):
    """uint32[n, num_perm]: MinHash signatures of the documents data[offsets[i]:offsets[i+1]],
    excluded shingles left out."""
    cdef bp_shingling spec = _shingling(shingle, ngram, digits, isa, exclude)
    cdef size_t n = _check_offsets(data.shape[0], offsets, "byte", BP_MAX_DOCUMENT)
    cdef size_t num_perm = _check_permutations(a, b)
    result = np.empty((n, num_perm), dtype=np.uint32)
    if n == 0:
        return result
    cdef uint32_t[:, ::1] out = result
    cdef bp_status status
    with nogil:
        status = bp_minhash_batch(_bytes_ptr(data), &offsets[0], n, &spec, &a[0], &b[0], num_perm,
                                  &out[0, 0])
    check_status(status, "signatures")
    return result


def signatures_of_hashes(const uint32_t[::1] hashes, const uint64_t[::1] offsets,
                         const uint32_t[::1] a, const uint32_t[::1] b):
    """uint32[n, num_perm]: MinHash signatures of pre-shingled documents, document i being the
    shingle hashes hashes[offsets[i]:offsets[i+1]]."""
    cdef size_t n = _check_offsets(hashes.shape[0], offsets, "value")
    cdef size_t num_perm = _check_permutations(a, b)
    result = np.empty((n, num_perm), dtype=np.uint32)
    if n == 0:
        return result
    cdef uint32_t[:, ::1] out = result
    cdef bp_status status
    cdef uint32_t empty = 0
    with nogil:
        status = bp_minhash_hashes(&hashes[0] if hashes.shape[0] > 0 else &empty, &offsets[0], n,
                                   &a[0], &b[0], num_perm, &out[0, 0])
    check_status(status, "signatures_of_hashes")
    return result


def band_keys(const uint32_t[:, ::1] sig, Py_ssize_t bands, Py_ssize_t rows, uint64_t seed):
    """uint64[n, bands]: 64-bit hash of each band of rows of each signature."""
    cdef size_t n = <size_t>sig.shape[0], num_perm = <size_t>sig.shape[1]
    if bands < 1 or rows < 1 or rows > <Py_ssize_t>num_perm or bands > <Py_ssize_t>num_perm // rows:
        raise InvalidInput(f"need bands >= 1, rows >= 1 and bands * rows <= {num_perm}, "
                           f"got {bands} x {rows}")
    result = np.empty((n, bands), dtype=np.uint64)
    if n == 0:
        return result
    cdef uint64_t[:, ::1] out = result
    cdef bp_status status
    with nogil:
        status = bp_band_keys(&sig[0, 0], n, num_perm, <size_t>bands, <size_t>rows, seed,
                              &out[0, 0])
    check_status(status, "band_keys")
    return result


def sort_entries(uint64_t[::1] keys, uint32_t[::1] docs) -> None:
    """Sort ``keys`` (uint64[n]) in place, ascending, moving ``docs`` (uint32[n]) with them;
    equal keys keep their order (a stable sort). Needs 12 bytes of scratch per entry."""
    if keys.shape[0] != docs.shape[0]:
        raise InvalidInput(f"keys and docs must have the same length, got {keys.shape[0]} "
                           f"and {docs.shape[0]}")
    cdef size_t n = <size_t>keys.shape[0]
    if n < 2:
        return
    cdef uint64_t[::1] tmp_keys = np.empty(n, dtype=np.uint64)
    cdef uint32_t[::1] tmp_docs = np.empty(n, dtype=np.uint32)
    cdef bp_status status
    with nogil:
        status = bp_sort_entries(&keys[0], &docs[0], n, &tmp_keys[0], &tmp_docs[0])
    check_status(status, "sort_entries")


def pread_rows(int fd, const int64_t[::1] rows, uint8_t[:, ::1] out) -> int:
    """Read row ``rows[i]`` of the file open as ``fd`` (rows of ``out.shape[1]`` bytes from its
    start) into ``out[i]``, a ``pread`` each with the GIL released; return how many rows were
    read whole (fewer: the file ended early). Gathering rows spread over a large file costs a
    copy each this way, through a memory map a page fault each (2-5 us on virtual machines)."""
    cdef Py_ssize_t n = rows.shape[0], size = out.shape[1], i = 0, done
    if out.shape[0] != n:
        raise InvalidInput(f"out has {out.shape[0]} rows for {n} row numbers")
    if n == 0 or size == 0:
        return n
    cdef int64_t limit = (<int64_t>1 << 62) // size
    for i in range(n):
        if not 0 <= rows[i] < limit:
            raise InvalidInput(f"row number {rows[i]} out of range")
    cdef ssize_t got
    cdef int err = 0
    with nogil:
        i = 0
        while i < n:
            done = 0
            while done < size:
                got = pread(fd, &out[i, done], size - done, <off_t>(rows[i] * size + done))
                if got > 0:
                    done += got
                elif got == 0 or errno != EINTR:
                    err = errno if got < 0 else 0
                    break
            if done < size:
                break
            i += 1
    if err:
        raise OSError(err, os.strerror(err))
    return i


def question_keys(const uint8_t[::1] data, const uint64_t[::1] offsets):
    """uint64[n]: the question key (csrc/itemkey.h) of each document data[offsets[i]:offsets[i+1]]."""
    cdef size_t n = _check_offsets(data.shape[0], offsets)
    result = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return result
    cdef uint64_t[::1] out = result
    cdef bp_status status
    with nogil:
        status = bp_question_keys(_bytes_ptr(data), &offsets[0], n, &out[0])
    check_status(status, "question_keys")
    return result


def answer_keys(const uint8_t[::1] data, const uint64_t[::1] offsets, Py_ssize_t short_len):
    """(kind uint8[n], key uint64[n]): the answer key (csrc/itemkey.h) of each document."""
    cdef size_t n = _check_offsets(data.shape[0], offsets)
    if short_len < 0:
        raise InvalidInput(f"short_len must be >= 0, got {short_len}")
    kinds = np.zeros(n, dtype=np.uint8)
    keys = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return kinds, keys
    cdef uint8_t[::1] kind = kinds
    cdef uint64_t[::1] key = keys
    cdef bp_status status
    with nogil:
        status = bp_answer_keys(_bytes_ptr(data), &offsets[0], n, <size_t>short_len, &kind[0],
                                &key[0])
    check_status(status, "answer_keys")
    return kinds, keys
