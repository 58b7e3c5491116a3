"""Packing tokenized documents into fixed-length sequences (the C kernel in ``csrc/packing.c``).

Strategies:

- ``bestfit`` (default): a document of at most ``seq_len`` tokens is never split. Within a window
  of documents, best-fit-decreasing: documents sorted by length (longest first, ties in input
  order), each placed into the open sequence with the least room that still fits it, else a new
  sequence. A longer document is cut into ``seq_len``-token pieces, each its own sequence, and
  only its tail is packed. The window (``window`` documents, at most ``window_tokens`` tokens)
  bounds memory, so packing streams; it is a function of the document stream only, so the output
  does not depend on how the input was batched. The ``HOLD_BACK`` emptiest sequences of a window
  are not emitted: their documents join the next window (so a document may land a little after
  later documents; its pieces still come in document order).
- ``concat``: documents concatenated in order and cut every ``seq_len`` tokens (the incomplete
  last sequence of a window is carried into the next, so the window does not change the output).
- ``pad``: one document per sequence; longer documents cut into ``seq_len``-token pieces.

Sequences are padded with ``pad_id`` after their last piece.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from boostpack import _packing
from boostpack.errors import InvalidInput
from boostpack.packing.config import (
    DEFAULT_WINDOW,
    STRATEGIES,
    Strategy,
    check_choice,
    check_seq_len,
    check_window,
)

# Best-fit windows hand their 16 emptiest sequences' documents to the next window instead of
# emitting them part-empty. Measured on qa_en (57,628 documents, 86 tokens mean) at 4096:
# efficiency 97.61% -> 99.94% with 1k-document windows, 99.77% -> 99.94% with 16k; the carry
# stays under 16 * seq_len tokens.
HOLD_BACK = 16


@dataclass(frozen=True)
class Plan:
    """Where every piece goes. ``seq_ptr``: ``uint64[S + 1]``, pieces of sequence ``s`` are
    ``seq_ptr[s]:seq_ptr[s+1]``; per piece (``[P]``): ``item`` (uint32, index of the input item),
    ``offset`` (uint64, first token inside the item), ``start`` (uint32, position in the
    sequence), ``length`` (uint32, tokens). ``carry_item``/``carry_offset``: for ``concat``
    without flush, the unemitted rest of the input begins at that item and token (``carry_item
    == n`` when everything was emitted)."""

    seq_ptr: np.ndarray
    item: np.ndarray
    offset: np.ndarray
    start: np.ndarray
    length: np.ndarray
    carry_item: int
    carry_offset: int

    @property
    def num_sequences(self) -> int:
        return len(self.seq_ptr) - 1


def plan(item_lengths: np.ndarray, seq_len: int, strategy: Strategy = "bestfit",
         flush: bool = True) -> Plan:
    """Plan the packing of items with the given lengths (tokens, each ≥ 1) into sequences of
    ``seq_len`` tokens. ``flush=False`` (concat) leaves an incomplete last sequence unemitted."""
    check_choice("strategy", strategy, STRATEGIES)
    seq_len = check_seq_len(seq_len)
    lengths = np.ascontiguousarray(item_lengths, dtype=np.uint64)
    bound = _packing.pack_bound(lengths, seq_len)
    seq_ptr = np.empty(bound + 1, dtype=np.uint64)
    item = np.empty(bound, dtype=np.uint32)
    offset = np.empty(bound, dtype=np.uint64)
    start = np.empty(bound, dtype=np.uint32)
    length = np.empty(bound, dtype=np.uint32)
    n_seq, n_pieces, carry_item, carry_offset = _packing.pack_plan(
        strategy, seq_len, lengths, flush, seq_ptr, item, offset, start, length)
    return Plan(seq_ptr[:n_seq + 1], item[:n_pieces], offset[:n_pieces], start[:n_pieces],
                length[:n_pieces], carry_item, carry_offset)


def fill(ids: np.ndarray, piece_src: np.ndarray, piece_length: np.ndarray, seq_ptr: np.ndarray,
         seq_len: int, pad_id: int, dtype: np.dtype, into: np.ndarray | None = None
         ) -> np.ndarray:
    """Rows ``dtype[S, seq_len]``: each sequence's pieces copied from the flat ``uint32`` ids
    (piece ``p`` is ``ids[piece_src[p] : piece_src[p] + piece_length[p]]``), then ``pad_id``.
    ``into``: a flat ``dtype`` buffer of at least ``S * seq_len`` to write them in (the rows
    are a view of it); None: a new array."""
    rows = len(seq_ptr) - 1
    out = (np.empty((rows, seq_len), dtype=dtype) if into is None
           else into[:rows * seq_len].reshape(rows, seq_len))
    _packing.pack_fill(np.ascontiguousarray(ids, dtype=np.uint32),
                       np.ascontiguousarray(piece_src, dtype=np.uint64),
                       np.ascontiguousarray(piece_length, dtype=np.uint32),
                       np.ascontiguousarray(seq_ptr, dtype=np.uint64), seq_len, pad_id,
                       out.reshape(-1))
    return out


def frame_documents(ids: np.ndarray, offsets: np.ndarray, bos: int | None,
                    eos: int | None, out: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Flat ids ``uint32[T]`` and ``int64[n + 1]`` offsets → the same documents with ``bos``
    prepended and ``eos`` appended (None: neither), as flat ids and offsets from 0: written
    into ``out`` (``uint32``, contiguous, exactly their size) when given, else a new array."""
    ids = np.ascontiguousarray(ids, dtype=np.uint32)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    n = len(offsets) - 1
    extra = n * ((bos is not None) + (eos is not None))
    size = int(offsets[-1] - offsets[0]) + extra
    if out is None:
        out = np.empty(size, dtype=np.uint32)
    elif len(out) != size:
        raise InvalidInput(f"frame_documents: out holds {len(out)} ids, the documents {size}")
    out_offsets = np.empty(n + 1, dtype=np.int64)
    _packing.frame_documents(ids, offsets, -1 if bos is None else bos,
                             -1 if eos is None else eos, out, out_offsets)
    return out, out_offsets


@dataclass(frozen=True)
class PackedBlock:
    """Finished sequences ready for ``ShardWriter.write``: ``tokens[S, seq_len]``,
    ``seq_ptr`` uint64[S + 1], per piece ``start``/``length`` (uint32), ``doc`` (uint64,
    document number) and ``loss`` (uint32: leading tokens without loss, the part of its
    document's no-loss prefix that falls in the piece). ``split_documents``: documents whose
    first piece is here and which have more pieces."""

    tokens: np.ndarray
    seq_ptr: np.ndarray
    start: np.ndarray
    length: np.ndarray
    doc: np.ndarray
    loss: np.ndarray
    split_documents: int


@dataclass(frozen=True)
class _Carry:
    """Items a window hands to the next one: their tokens back to back, and per item its
    length, document, first token's place in the document and the document's no-loss prefix."""

    ids: np.ndarray
    length: np.ndarray
    doc: np.ndarray
    base: np.ndarray
    loss: np.ndarray

    @classmethod
    def empty(cls) -> _Carry:
        none64 = np.zeros(0, dtype=np.int64)
        return cls(np.zeros(0, np.uint32), np.zeros(0, np.uint64), np.zeros(0, np.uint64),
                   none64, none64)

    @classmethod
    def of(cls, held: list[tuple[int, int, int]], flat: np.ndarray, item_src: np.ndarray,
           item_doc: np.ndarray, item_base: np.ndarray, item_loss: np.ndarray) -> _Carry:
        """The held segments ``(item, offset in it, tokens)`` of a window's items."""
        if not held:
            return cls.empty()
        items, offsets, lengths = np.array(held, dtype=np.int64).T  # rows (item, offset, n)
        # One gather of every held segment's tokens (index of each token in ``flat``).
        firsts = item_src[items].astype(np.int64) + offsets
        ends = np.cumsum(lengths)
        index = np.repeat(firsts - (ends - lengths), lengths) + np.arange(int(ends[-1]))
        return cls(flat[index], lengths.astype(np.uint64), item_doc[items],
                   item_base[items] + offsets, item_loss[items])


class Packer:
    """Streaming packer: ``add`` documents (numbered 0, 1, … in call order) and collect the
    finished blocks it yields; ``finish`` yields the rest. Output depends only on the document
    stream and the options, never on how documents were batched into ``add`` calls.

    ``bos``/``eos`` (None: not added) frame each document as it is packed: the window's tokens
    are copied once, framed, instead of once to frame them and again to join the window
    (``frame_documents`` then ``np.concatenate``). Lengths and windows count framed tokens.

    Each document may have a no-loss prefix (its BOS and prompt with ``--loss-on answer``):
    every piece records how many of its leading tokens fall in that prefix.

    ``reuse_rows``: every block's token rows are written into one buffer the packer keeps, so
    a block's ``tokens`` are valid only until the next block is asked for: for a consumer that
    writes each block before taking the next (pack's task sink). Fresh rows per window were
    fresh memory each time, zeroed by the kernel on first touch (~0.05 CPU-s per 100 MB of
    text in the profile of a 300 MB pack).
    """

    def __init__(self, seq_len: int, strategy: Strategy = "bestfit", *, pad_id: int,
                 dtype: np.dtype, window: int = DEFAULT_WINDOW,
                 window_tokens: int | None = None, bos: int | None = None,
                 eos: int | None = None, reuse_rows: bool = False) -> None:
        check_choice("strategy", strategy, STRATEGIES)
        seq_len, window = check_seq_len(seq_len), check_window(window)
        self.seq_len, self.strategy, self.pad_id = seq_len, strategy, pad_id
        self.bos, self.eos = bos, eos
        self._extra = (bos is not None) + (eos is not None)  # framing tokens per document
        self.dtype = np.dtype(dtype)
        if pad_id < 0 or pad_id > np.iinfo(self.dtype).max:
            raise InvalidInput(f"pad_id {pad_id} does not fit {self.dtype}")
        self.window = window
        # Bounds the window's memory when documents are long (4 bytes per token).
        self.window_tokens = window_tokens or max(2048 * seq_len, 1 << 20)
        self.documents = 0  # documents added
        self._next_doc = 0  # first document not yet packed
        self._ids: list[np.ndarray] = []
        self._lens: list[np.ndarray] = []
        self._loss: list[np.ndarray] = []
        self._pending_docs = 0
        self._pending_tokens = 0
        # Items carried to the next window (concat: the incomplete last sequence; bestfit: the
        # held-back sequences): see ``_Carry``.
        self._carry = _Carry.empty()
        self._rows: np.ndarray | None = np.zeros(0, self.dtype) if reuse_rows else None

    def add(self, ids: np.ndarray, offsets: np.ndarray,
            no_loss: np.ndarray | None = None) -> Iterator[PackedBlock]:
        """Queue documents ``ids[offsets[d]:offsets[d+1]]`` (each ≥ 1 token once framed) with
        their no-loss prefix lengths (``no_loss[d]`` tokens of the framed document; None: 0);
        yield blocks for every window that is now complete."""
        offsets = np.asarray(offsets, dtype=np.int64)
        lens = (np.diff(offsets) + self._extra).astype(np.uint64)
        if lens.size and int(lens.min()) == 0:
            raise InvalidInput("a document has no tokens; drop empty documents before packing")
        self._ids.append(np.ascontiguousarray(ids, dtype=np.uint32)[offsets[0]:offsets[-1]])
        self._lens.append(lens)
        self._loss.append(np.zeros(len(lens), dtype=np.int64) if no_loss is None
                          else np.asarray(no_loss, dtype=np.int64))
        self._pending_docs += len(lens)
        self._pending_tokens += int(lens.sum())
        self.documents += len(lens)
        while self._pending_docs >= self.window or self._pending_tokens > self.window_tokens:
            yield self._pack_window(flush=False)

    def finish(self) -> Iterator[PackedBlock]:
        """Pack everything still queued (the last sequence padded)."""
        while self._pending_docs:
            yield self._pack_window(flush=self._window_cut() == self._pending_docs)
        if len(self._carry.length):
            yield self._pack_items([], np.zeros(0, np.uint64), np.zeros(0, np.int64),
                                   flush=True)

    def _window_cut(self) -> int:
        """Documents in the next window: ``window``, fewer if their tokens pass
        ``window_tokens`` (never fewer than 1)."""
        lens = np.concatenate(self._lens) if len(self._lens) > 1 else self._lens[0]
        self._lens = [lens]
        within = int(np.searchsorted(np.cumsum(lens[:self.window]), self.window_tokens,
                                     side="right"))
        return max(1, min(self.window, within))

    def _take_ids(self, n_tok: int) -> list[np.ndarray]:
        """The first ``n_tok`` queued tokens, as views of the queued arrays (not copied here:
        ``_pack_items`` joins them with the carry in one copy)."""
        parts: list[np.ndarray] = []
        while n_tok:
            head = self._ids[0]
            if len(head) <= n_tok:
                parts.append(self._ids.pop(0))
                n_tok -= len(head)
            else:
                parts.append(head[:n_tok])
                self._ids[0] = head[n_tok:]
                n_tok = 0
        return parts

    def _pack_window(self, flush: bool) -> PackedBlock:
        k = self._window_cut()
        lens = self._lens[0]
        loss = np.concatenate(self._loss) if len(self._loss) > 1 else self._loss[0]
        n_tok = int(lens[:k].sum())
        window = (self._take_ids(n_tok - k * self._extra), lens[:k], loss[:k])
        self._lens, self._loss = [lens[k:]], [loss[k:]]
        self._pending_docs -= k
        self._pending_tokens -= n_tok
        return self._pack_items(*window, flush)

    def _pack_items(self, ids: list[np.ndarray], lens: np.ndarray, loss: np.ndarray,
                    flush: bool) -> PackedBlock:
        carry = self._carry
        n_new = len(lens)
        flat = self._flat(carry.ids, ids, lens)
        item_len = np.concatenate([carry.length, lens])
        item_doc = np.concatenate([carry.doc, np.arange(self._next_doc, self._next_doc + n_new,
                                                        dtype=np.uint64)])
        # Where each item starts inside its document (a carried tail starts past 0), and the
        # document's no-loss prefix.
        item_base = np.concatenate([carry.base, np.zeros(n_new, dtype=np.int64)])
        item_loss = np.concatenate([carry.loss, loss])
        self._next_doc += n_new
        item_src = np.zeros(len(item_len), dtype=np.uint64)
        np.cumsum(item_len[:-1], out=item_src[1:])
        p = plan(item_len, self.seq_len, self.strategy, flush)
        seq_ptr, item, offset, start, length = p.seq_ptr, p.item, p.offset, p.start, p.length
        # Held-back segments (item, offset within it, tokens) go to the next window.
        held: list[tuple[int, int, int]] = []
        if p.carry_item < len(item_len):  # concat: the incomplete last sequence
            c, co = p.carry_item, p.carry_offset
            held = [(c, co, int(item_len[c]) - co)]
            held += [(i, 0, int(item_len[i])) for i in range(c + 1, len(item_len))]
        elif self.strategy == "bestfit" and not flush:
            seq_ptr, item, offset, start, length, held = self._hold_back(p)
        piece_src = item_src[item] + offset
        tokens = fill(flat, piece_src, length, seq_ptr, self.seq_len, self.pad_id, self.dtype,
                      self._row_buffer(len(seq_ptr) - 1))
        in_doc = item_base[item] + offset.astype(np.int64)  # piece's first token in its document
        piece_loss = np.clip(item_loss[item] - in_doc, 0, length.astype(np.int64))
        # A document's first piece starts at its token 0; it is split iff shorter than the item.
        split = int(np.count_nonzero((in_doc == 0) & (length < item_len[item])))
        self._carry = _Carry.of(held, flat, item_src, item_doc, item_base, item_loss)
        return PackedBlock(tokens, seq_ptr, start, length, item_doc[item],
                           piece_loss.astype(np.uint32), split)

    def _row_buffer(self, rows: int) -> np.ndarray | None:
        """With ``reuse_rows``, the buffer for ``rows`` rows (grown by a quarter beyond what is
        needed when too small); else None."""
        if self._rows is not None and self._rows.size < rows * self.seq_len:
            self._rows = np.empty(rows * self.seq_len * 5 // 4, self.dtype)
        return self._rows

    def _flat(self, carried: np.ndarray, parts: list[np.ndarray], lens: np.ndarray
              ) -> np.ndarray:
        """The carried tokens, then the window's documents (``parts``: whole documents, in
        order; ``lens``: their framed lengths) framed, in one array."""
        if not self._extra:
            joined = [carried, *parts] if len(carried) else parts
            return (joined[0] if len(joined) == 1 else np.concatenate(joined) if joined
                    else np.zeros(0, np.uint32))
        out = np.empty(len(carried) + int(lens.sum()), dtype=np.uint32)
        out[:len(carried)] = carried
        raw_end = np.cumsum(lens.astype(np.int64) - self._extra)  # unframed, cumulative
        at, first, taken = len(carried), 0, 0
        for part in parts:
            taken += len(part)
            # The part's documents; one of no tokens at a boundary goes with the earlier part
            # (framed the same either way).
            end = int(np.searchsorted(raw_end, taken, side="right"))
            offsets = np.concatenate(([0], raw_end[first:end] - (taken - len(part))))
            framed = len(part) + (end - first) * self._extra
            frame_documents(part, offsets, self.bos, self.eos, out[at:at + framed])
            at, first = at + framed, end
        if first < len(lens):  # documents of no tokens after the last part: framing alone
            frame_documents(np.zeros(0, np.uint32), np.zeros(len(lens) - first + 1, np.int64),
                            self.bos, self.eos, out[at:])
        return out

    def _hold_back(self, p: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                           np.ndarray, list[tuple[int, int, int]]]:
        """Best-fit, window not last: keep back the ``HOLD_BACK`` emptiest sequences; their
        pieces (whole documents or tails) are packed again with the next window, where more
        small documents can fill them. Returns the remaining plan arrays and the held pieces
        in item order."""
        counts: np.ndarray = np.diff(p.seq_ptr.astype(np.int64))
        fills = np.add.reduceat(p.length.astype(np.int64), p.seq_ptr[:-1].astype(np.int64)) \
            if len(p.length) else np.zeros(0, np.int64)
        room = self.seq_len - fills
        candidates = np.flatnonzero(room > 0)
        # Emptiest first; among equals the later sequence (opened last, from smaller items).
        order = np.lexsort((-candidates, -room[candidates]))
        hold = np.zeros(len(counts), dtype=bool)
        hold[candidates[order[:HOLD_BACK]]] = True
        held_piece = np.repeat(hold, counts)
        keep = ~held_piece
        held = sorted(zip(p.item[held_piece].tolist(), p.offset[held_piece].tolist(),
                          p.length[held_piece].tolist(), strict=True))
        seq_ptr = np.zeros(int(np.count_nonzero(~hold)) + 1, dtype=np.uint64)
        np.cumsum(counts[~hold], out=seq_ptr[1:])
        return (seq_ptr, p.item[keep], p.offset[keep], p.start[keep], p.length[keep], held)
