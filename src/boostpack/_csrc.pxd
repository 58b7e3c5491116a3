# The C API of csrc/, declared once: every compiled module cimports what it calls from here, so
# no signature or constant is copied by hand. Each block mirrors one header; the headers hold
# the contracts.

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "status.h":
    ctypedef enum bp_status:
        BP_OK
        BP_ERR_INVALID
        BP_ERR_NOMEM
        BP_ERR_OVERFLOW
        BP_ERR_CAPACITY


cdef extern from "cpu.h":
    enum:
        BP_ISA_PORTABLE
        BP_ISA_AVX2
        BP_ISA_AVX512
        BP_ISA_BEST
    int bp_cpu_isa(int wanted) nogil


cdef extern from "normalize.h":
    enum:
        BP_DIGITS_KEEP
        BP_DIGITS_CLASS
    size_t BP_NORMALIZED_CAPACITY(size_t length)
    bp_status bp_normalize(const uint8_t *src, size_t length, int digits, uint8_t *dst,
                           size_t cap, size_t *out_len) nogil
    bp_status bp_exact_hashes(const uint8_t *data, const uint64_t *offsets, size_t n, int digits,
                              uint64_t *out) nogil


cdef extern from "minhash.h":
    enum:
        BP_MAX_NGRAM
        BP_SHINGLE_CHAR
        BP_SHINGLE_WORD
    size_t BP_MAX_DOCUMENT
    ctypedef struct bp_exclusion:
        const uint32_t *slots
        size_t mask
        int zero
    ctypedef struct bp_shingling:
        int mode
        size_t ngram
        int digits
        int isa
        const bp_exclusion *exclude
    size_t bp_exclusion_slots(size_t n) nogil
    bp_status bp_exclusion_build(const uint32_t *hashes, size_t n, uint32_t *slots, size_t n_slots,
                                 bp_exclusion *out) nogil
    bp_status bp_shingle_hashes(const uint8_t *text, size_t length, const bp_shingling *spec,
                                uint32_t *out, size_t cap, size_t *count) nogil
    bp_status bp_minhash_batch(const uint8_t *data, const uint64_t *offsets, size_t n,
                               const bp_shingling *spec, const uint32_t *a, const uint32_t *b,
                               size_t num_perm, uint32_t *out) nogil
    bp_status bp_minhash_hashes(const uint32_t *hashes, const uint64_t *offsets, size_t n,
                                const uint32_t *a, const uint32_t *b, size_t num_perm,
                                uint32_t *out) nogil


cdef extern from "itemkey.h":
    enum:
        BP_ANSWER_NONE
        BP_ANSWER_EXACT
        BP_ANSWER_LONG
    bp_status bp_question_keys(const uint8_t *data, const uint64_t *offsets, size_t n,
                               uint64_t *out) nogil
    bp_status bp_answer_keys(const uint8_t *data, const uint64_t *offsets, size_t n,
                             size_t short_len, uint8_t *kind, uint64_t *key) nogil


cdef extern from "lsh.h":
    bp_status bp_band_keys(const uint32_t *sig, size_t n, size_t num_perm, size_t bands,
                           size_t rows, uint64_t seed, uint64_t *out) nogil


cdef extern from "radix.h":
    bp_status bp_sort_entries(uint64_t *keys, uint32_t *docs, size_t n, uint64_t *tmp_keys,
                              uint32_t *tmp_docs) nogil


cdef extern from "unionfind.h":
    bp_status bp_uf_init(uint32_t *parent, size_t n) nogil
    bp_status bp_uf_union(uint32_t *parent, size_t n, const uint32_t *a, const uint32_t *b,
                          size_t m, size_t *merged) nogil
    bp_status bp_uf_roots(uint32_t *parent, size_t n, uint32_t *out) nogil


cdef extern from "packing.h":
    ctypedef enum bp_pack_strategy:
        BP_PACK_BESTFIT
        BP_PACK_CONCAT
        BP_PACK_PAD
    ctypedef struct bp_pack_result:
        size_t num_sequences
        size_t num_pieces
        size_t carry_item
        uint64_t carry_offset
    bp_status bp_pack_bound(const uint64_t *item_len, size_t n, uint32_t seq_len,
                            size_t *bound) nogil
    bp_status bp_pack_plan(int strategy, uint32_t seq_len, const uint64_t *item_len, size_t n,
                           int flush, uint64_t *seq_ptr, size_t seq_cap, uint32_t *piece_item,
                           uint64_t *piece_offset, uint32_t *piece_start, uint32_t *piece_len,
                           size_t piece_cap, bp_pack_result *result) nogil
    bp_status bp_pack_fill_u32(const uint32_t *ids, size_t n_ids, const uint64_t *piece_src,
                               const uint32_t *piece_len, size_t n_pieces,
                               const uint64_t *seq_ptr, size_t n_seq, uint32_t seq_len,
                               uint32_t pad_id, uint32_t *out) nogil
    bp_status bp_pack_fill_u16(const uint32_t *ids, size_t n_ids, const uint64_t *piece_src,
                               const uint32_t *piece_len, size_t n_pieces,
                               const uint64_t *seq_ptr, size_t n_seq, uint32_t seq_len,
                               uint32_t pad_id, uint16_t *out) nogil
    bp_status bp_frame_documents(const uint32_t *ids, size_t n_ids, const int64_t *offsets,
                                 size_t n_docs, int64_t bos, int64_t eos, uint32_t *out,
                                 size_t out_cap, int64_t *out_offsets) nogil


cdef extern from "loader.h":
    enum:
        BP_IGNORE_INDEX
    ctypedef struct bp_packed_row:
        const void *row
        int token_bytes
        const uint32_t *starts
        const uint32_t *lengths
        const uint32_t *no_loss
        const uint64_t *docs
        size_t n
        uint64_t num_docs
    bp_status bp_sample_fill(const bp_packed_row *row, uint32_t seq_len, int32_t *labels,
                             int32_t *positions, int32_t *cu_seqlens, size_t *n_cu) nogil
    bp_status bp_batch_fill(const bp_packed_row *rows, size_t count, uint32_t seq_len,
                            int64_t *input_ids, int64_t *labels,
                            int64_t *positions, int32_t *cu_seqlens, size_t cu_cap,
                            size_t *n_cu, int64_t *doc_ids, size_t doc_cap,
                            int32_t *max_seqlen, size_t *bad_row) nogil


cdef extern from "jsonl.h":
    bp_status bp_jsonl_scan(const uint8_t *data, size_t n, const uint8_t *names,
                            const int64_t *name_off, size_t n_keys, size_t max_line,
                            size_t line_cap, int64_t *line_end, uint8_t *line_kind,
                            uint8_t *val_type, uint8_t *val_flags, int64_t *val_start,
                            int64_t *val_len, uint8_t *out, size_t out_cap, size_t *n_lines,
                            size_t *out_used) nogil
    bp_status bp_gather(const uint8_t *src, size_t src_len, const int64_t *start,
                        const int64_t *len, size_t n, uint8_t *dst, size_t dst_cap,
                        size_t *written) nogil
