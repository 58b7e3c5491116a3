"""Tokenizer identity and both engines against Hugging Face ``tokenizers`` (the reference)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from boostpack.errors import InvalidInput
from boostpack.format.writer import token_dtype
from boostpack.ingestion.readers import read_batches
from boostpack.packing.render import renderer
from boostpack.packing.tokenization import (
    GigaEncoder,
    HFEncoder,
    load_encoder,
    load_tokenizer_info,
    resolve_tokenizer_path,
    same_ids,
)

# Edge cases: special-token text inside a document, empty text, whitespace runs, emoji, CRLF.
EDGE = ["x<|begin_of_text|>y <|eot_id|>", "", "   \n\n\t ", "naïve café 🤖🤖", "a\r\nb",
        "<|end_of_text|>", "1234567890" * 50]


@pytest.fixture(scope="module")
def hf_reference(llama3_tokenizer_path: Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(llama3_tokenizer_path))


def _sample(path: Path, n: int) -> list[str]:
    render = renderer("qa")
    texts: list[str] = []
    for batch in read_batches(path, batch_lines=2048):
        texts += [t for t in map(render, batch.records) if t]
        if len(texts) >= n:
            break
    # Every 7th document: a spread over the file's tasks (MMLU, GSM8K, MATH, code ...).
    return texts[: n * 7 : 7] if len(texts) >= n * 7 else texts[:n]


def _reference(tok, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lists = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
    return np.array([i for x in lists for i in x], dtype=np.uint32), offsets


@pytest.mark.parametrize("engine", [HFEncoder, GigaEncoder])
@pytest.mark.parametrize("corpus", ["qa_en.jsonl.zst", "zh_poetry.jsonl.zst"])
def test_engines_match_tokenizers_on_real_text(engine, corpus: str, corpora_dir: Path,
                                               llama3_tokenizer_path: Path,
                                               hf_reference) -> None:
    texts = _sample(corpora_dir / corpus, 300) + EDGE
    ids, offsets = engine(llama3_tokenizer_path).encode(texts)
    assert ids.dtype == np.uint32 and offsets.dtype == np.int64
    assert len(offsets) == len(texts) + 1
    expected = _reference(hf_reference, texts)
    assert np.array_equal(offsets, expected[1])
    assert np.array_equal(ids, expected[0])


def test_llama3_identity(llama3_tokenizer_path: Path) -> None:
    info = load_tokenizer_info(llama3_tokenizer_path)
    assert info.vocab_size == 128256
    assert (info.bos_id, info.eos_id) == (128000, 128001)
    assert info.pad_id is None and info.chat_template is None
    assert token_dtype(info.vocab_size) == np.dtype("<u4")
    assert len(info.sha256) == 64
    assert load_tokenizer_info(llama3_tokenizer_path.parent).sha256 == info.sha256  # directory


def test_config_beside_tokenizer_wins(tmp_path: Path, llama3_tokenizer_path: Path) -> None:
    (tmp_path / "tokenizer.json").symlink_to(llama3_tokenizer_path)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": "<|begin_of_text|>",
        "eos_token": {"content": "<|eot_id|>", "special": True},
        "pad_token": "<|reserved_special_token_2|>",
        "chat_template": "{{ bos_token }}{{ messages[0]['content'] }}",
    }))
    info = load_tokenizer_info(tmp_path / "tokenizer.json")
    assert (info.bos_id, info.eos_id, info.pad_id) == (128000, 128009, 128004)
    assert info.chat_template == "{{ bos_token }}{{ messages[0]['content'] }}"


def test_small_vocab_with_template_post_processor(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = {"[UNK]": 0, "<s>": 1, "</s>": 2, "hello": 3, "world": 4}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(["<s>", "</s>"])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    tok.save(str(tmp_path / "tokenizer.json"))
    info = load_tokenizer_info(tmp_path / "tokenizer.json")
    assert (info.vocab_size, info.bos_id, info.eos_id) == (5, 1, 2)
    assert token_dtype(info.vocab_size) == np.dtype("<u2")
    ids, offsets = HFEncoder(tmp_path / "tokenizer.json").encode(["hello world", "world"])
    assert ids.tolist() == [3, 4, 4] and offsets.tolist() == [0, 2, 3]  # no post-processor


def test_no_download(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not download"):
        resolve_tokenizer_path("meta-llama/Meta-Llama-3-8B")
    with pytest.raises(InvalidInput, match="no such file"):
        resolve_tokenizer_path(tmp_path / "missing.json")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(InvalidInput, match=r"not a tokenizer\.json"):
        load_tokenizer_info(tmp_path)


def test_a_text_buffer_encodes_as_its_strings(llama3_tokenizer_path: Path) -> None:
    """The pipeline hands texts over as one UTF-8 buffer plus offsets (no str per text)."""
    data = "".join(EDGE).encode()
    offsets = np.concatenate([[0], np.cumsum([len(t.encode()) for t in EDGE])]).astype(np.int64)
    for name in ("giga", "hf"):
        encoder = load_encoder(llama3_tokenizer_path, name)
        expected = encoder.encode(EDGE)
        for parallel in (True, False):
            got = encoder.encode((np.frombuffer(data, np.uint8), offsets), parallel)
            assert same_ids(got, expected) and np.array_equal(got[1], expected[1])
    assert load_encoder(llama3_tokenizer_path, "giga") is load_encoder(llama3_tokenizer_path,
                                                                       "giga")
    with pytest.raises(InvalidInput, match="unknown tokenizer engine"):
        load_encoder(llama3_tokenizer_path, "fast")


def test_identity_is_remembered_per_file_version(tmp_path: Path, llama3_tokenizer_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing and hashing a 9 MB tokenizer.json costs ~0.2 s a run: the identity is stored
    (``cache_dir``) under the file's path, size and mtime, so an edited file is read again."""
    import os

    from boostpack.packing import tokenization

    monkeypatch.setenv("BOOSTPACK_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "tok" / "tokenizer.json"
    copy.parent.mkdir()
    copy.write_bytes(llama3_tokenizer_path.read_bytes())
    first = load_tokenizer_info(copy)
    assert len(list((tmp_path / "cache" / "tokenizers").iterdir())) == 1
    tokenization._load_tokenizer_info.cache_clear()
    monkeypatch.setattr(tokenization, "_read_tokenizer_info", lambda path: 1 / 0)
    assert load_tokenizer_info(copy) == first  # from the disk cache, not parsed again
    monkeypatch.undo()
    monkeypatch.setenv("BOOSTPACK_CACHE_DIR", str(tmp_path / "cache"))
    data = json.loads(copy.read_text())
    data["added_tokens"][0]["content"] = "<|start|>"
    copy.write_text(json.dumps(data))
    os.utime(copy, ns=(1, 1))
    changed = load_tokenizer_info(copy)
    assert changed.sha256 != first.sha256 and changed.bos_token != first.bos_token
