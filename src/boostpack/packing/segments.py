"""Cutting a document into segments that encode separately to exactly the ids of the whole.

Two things need a document encoded in parts: a long document (the engines' memory grows with
the text encoded at once: ``tokenizers`` took 1.2 GB for one 8 MB text), and ``--loss-on
answer``, which must know the token where the answer starts. Both cut only where a cut cannot
change the ids: right after a newline, before a character that is not whitespace.

Why that is exact for the GPT-4 / Llama-3 family of pre-tokenizers (a regex split, then
byte-level BPE inside each piece, no merge across pieces): the regex has no look-behind, so the
pieces after a piece boundary are those of the text that starts there; and a newline followed
by a non-space ends a piece in every alternative that can match it (a newline run ``\\s*[\\r\\n]+``
or whitespace run cannot take the non-space; punctuation's trailing ``[\\r\\n]*`` stops there;
letter and digit runs never hold a newline). The pieces before the cut are the same in the
text cut there, because the only look-ahead, ``\\s+(?!\\S)``, is tried after ``\\s*[\\r\\n]+``,
which already matches a whitespace run that ends in a newline. Other pre-tokenizers differ:
GPT-2's regex gives ``\\n\\n`` before a word as two pieces but as one at the end of a text, and a
SentencePiece normalizer that prepends a space marks the text's start. So a tokenizer's verdict
on the rule is checked on probe texts before it is used (``engines``), and a tokenizer that
fails it has its documents encoded whole (up to ``--max-record-bytes``), with the answer's
first token found by encoding the prompt on its own (see ``documents``).
"""

from __future__ import annotations

import itertools

# Longest text encoded at once when a document is longer: 256 KiB took tokenizers ~40 MB and
# gigatoken ~4 MB at a time, and cuts are far enough apart not to cost throughput.
SEGMENT_BYTES = 1 << 18



def _space_at(data: bytes, pos: int) -> bool:
    """Whether the character at byte ``pos`` of UTF-8 ``data`` is whitespace (Python's
    ``isspace``, a superset of the Unicode White_Space the regexes' ``\\s`` matches)."""
    if pos >= len(data):
        return True  # nothing follows: not a cut
    if data[pos] < 0x80:
        return chr(data[pos]).isspace()
    return data[pos:pos + 4].decode("utf-8", "ignore")[:1].isspace()


def exact_junction(prompt: bytes, response: bytes) -> bool:
    """Whether ``prompt + response`` may be encoded as the two parts (a newline ends the
    prompt, the response starts with a non-space)."""
    return prompt.endswith(b"\n") and not _space_at(response, 0)


def _allowed(data: bytes, newline: int) -> bool:
    """Whether the position after the newline at ``newline`` is an allowed cut."""
    return newline >= 0 and not _space_at(data, newline + 1)


def cut_points(data: bytes, limit: int = SEGMENT_BYTES) -> list[int]:
    """Byte positions to cut ``data`` at so that segments are at most ``limit`` bytes where
    cuts allow (a segment runs to the next allowed cut when there is none within ``limit``).
    Every position is right after a newline and before a non-space character. Searches near
    each cut only, so a long document costs no list of its lines."""
    cuts: list[int] = []
    start = 0
    while len(data) - start > limit:
        nl = data.rfind(b"\n", start, start + limit)  # the last newline that fits
        while nl >= start and not _allowed(data, nl):
            nl = data.rfind(b"\n", start, nl)
        if nl < start:  # none within the limit: the first allowed cut after it
            nl = data.find(b"\n", start + limit)
            while nl >= 0 and not _allowed(data, nl):
                nl = data.find(b"\n", nl + 1)
            if nl < 0:
                break
        cuts.append(nl + 1)
        start = nl + 1
    return cuts


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at ``cuts`` (ascending positions)."""
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]
