"""``--loss-on answer``: each document's prompt tokens are marked loss-free in the index
(``piece_loss``), against a reference that tokenizes the question and the answer separately."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson
import pytest

from boostpack.format.reader import open_shards
from boostpack.format.verify import verify
from boostpack.ingestion.readers import read_batches
from boostpack.packing.pipeline import pack

BOS, EOS = 128000, 128001
SEQ_LEN = 48


@pytest.fixture(scope="module")
def qa_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """QA records: short and long (split over several sequences), answers that start with a
    space or a newline (no exact cut at the answer), reasoning, a plain-text record."""
    rng = np.random.default_rng(5)
    words = ["alpha", "beta", "数学", "x", "42", "solve", "\n", "the", "énergie"]
    records = []
    for i in range(80):
        q = " ".join(rng.choice(words, size=int(rng.integers(1, 60))))
        a = " ".join(rng.choice(words, size=int(rng.integers(1, 30))))
        rec: dict[str, object] = {"id": f"r{i}", "question": f"Q{i}: {q}?", "answer": f"A: {a}"}
        if i % 7 == 3:
            rec["answer"] = " " + str(rec["answer"])
        if i % 11 == 5:
            rec["answer"] = "\n" + str(rec["answer"])
        if i % 5 == 0:
            rec["reasoning"] = f"think {q[:40]}"
        records.append(rec)
    records.insert(10, {"id": "plain", "text": "A plain document\nwith no question."})
    path = tmp_path_factory.mktemp("loss") / "qa.jsonl"
    path.write_bytes(b"\n".join(map(orjson.dumps, records)) + b"\n")
    return path


def _documents_with_loss(path: Path) -> list[tuple[str, list[int], list[bool]]]:
    """Per document: record id, tokens, and per token whether it carries no loss, read from
    the index in dataset order."""
    ds = open_shards(path)
    tokens: dict[int, list[int]] = {}
    masked: dict[int, list[bool]] = {}
    for k in range(ds.num_shards):
        sh = ds.shard(k)
        for j in range(sh.num_sequences):
            lo, hi = int(sh.seq_ptr[j]), int(sh.seq_ptr[j + 1])
            for p in range(lo, hi):
                s, n = int(sh.piece_start[p]), int(sh.piece_length[p])
                d, no_loss = int(sh.piece_doc[p]), int(sh.piece_loss[p])
                tokens.setdefault(d, []).extend(sh.tokens[j, s:s + n].tolist())
                masked.setdefault(d, []).extend([True] * no_loss + [False] * (n - no_loss))
    return [(ds.record_id(d), tokens[d], masked[d]) for d in range(ds.num_documents)]


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _expected(record: dict, template: str, reference) -> tuple[list[int], int]:
    """(document tokens, leading no-loss tokens) by the reference: the question (with the blank
    line after it) and the answer (with the reasoning before it) tokenized separately."""
    def enc(text: str) -> list[int]:
        return reference.encode(text, add_special_tokens=False).ids

    if "question" not in record:
        return [BOS, *enc(record["text"]), EOS], 0
    prompt = record["question"] + "\n\n"
    response = record["answer"]
    if template == "qa+reasoning" and record.get("reasoning"):
        response = f"<think>\n{record['reasoning']}\n</think>\n\n" + response
    whole = enc(prompt + response)
    if not response[0].isspace():  # an exact cut: the parts' ids are the whole text's
        assert enc(prompt) + enc(response) == whole
        return [BOS, *whole, EOS], 1 + len(enc(prompt))
    # otherwise the answer starts at the first token wholly after the prompt
    return [BOS, *whole, EOS], 1 + _common_prefix(enc(prompt), whole)


@pytest.mark.parametrize("template", ["qa", "qa+reasoning"])
@pytest.mark.parametrize("engine", ["giga", "hf"])
def test_prompt_tokens_carry_no_loss(template: str, engine: str, qa_file: Path, tmp_path: Path,
                                     llama3_tokenizer_path: Path, reference) -> None:
    out = tmp_path / "ds"
    summary = pack(qa_file, out, tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
                   template=template, loss_on="answer", tokenizer_engine=engine,
                   progress=False)
    assert summary["loss_on"] == "answer" and summary["split_documents"] > 5
    records = [r for b in read_batches(qa_file) for r in b.records]
    got = _documents_with_loss(out)
    assert [g[0] for g in got] == [r["id"] for r in records]
    for (rid, tokens, masked), record in zip(got, records, strict=True):
        expected, no_loss = _expected(record, template, reference)
        assert tokens == expected, rid
        assert masked == [True] * no_loss + [False] * (len(tokens) - no_loss), rid
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format_version"] == 2 and manifest["loss_on"] == "answer"
    verify(out)


def test_loss_on_all_marks_nothing(qa_file: Path, tmp_path: Path,
                                   llama3_tokenizer_path: Path) -> None:
    pack(qa_file, tmp_path / "ds", tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
         tokenizer_engine="giga", progress=False)
    ds = open_shards(tmp_path / "ds")
    assert not any(ds.shard(k).piece_loss.any() for k in range(ds.num_shards))
    assert json.loads((tmp_path / "ds" / "manifest.json").read_text())["loss_on"] == "all"


def test_chat_prompt_is_everything_before_the_answer(qa_file: Path, tmp_path: Path,
                                                     llama3_tokenizer_path: Path,
                                                     reference) -> None:
    pytest.importorskip("jinja2")
    tok = tmp_path / "tok"
    tok.mkdir()
    (tok / "tokenizer.json").symlink_to(llama3_tokenizer_path)
    template = ("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}"
                "<|end_header_id|>\n\n{{ m['content'] }}<|eot_id|>{% endfor %}"
                "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n"
                "{% endif %}")
    (tok / "tokenizer_config.json").write_text(json.dumps({"chat_template": template}))
    pack(qa_file, tmp_path / "ds", tokenizer=tok, seq_len=512, template="chat",
         loss_on="answer", tokenizer_engine="giga", progress=False)
    rid, tokens, masked = _documents_with_loss(tmp_path / "ds")[0]
    record = next(iter(read_batches(qa_file))).records[0]
    prompt = (f"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
              f"{record['question']}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    n = len(reference.encode(prompt, add_special_tokens=False).ids)
    assert rid == record["id"] and masked == [True] * n + [False] * (len(tokens) - n)


def test_the_loader_masks_prompt_labels(qa_file: Path, tmp_path: Path,
                                        llama3_tokenizer_path: Path, reference) -> None:
    """End to end: a loaded sample's labels are -100 on every prompt token (and where they
    are already: padding and each piece's first token), the token ids elsewhere."""
    from boostpack.loading.dataset import PackedDataset

    pack(qa_file, tmp_path / "ds", tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
         loss_on="answer", tokenizer_engine="giga", progress=False)
    ds = PackedDataset(tmp_path / "ds")
    reader = open_shards(tmp_path / "ds")
    for i in range(len(ds)):
        sample = ds[i]
        starts, lengths, _ = reader.pieces(i)
        k, j = reader.locate(i)
        sh = reader.shard(k)
        losses = sh.piece_loss[int(sh.seq_ptr[j]):int(sh.seq_ptr[j + 1])]
        want = np.full(SEQ_LEN, -100, dtype=np.int64)
        for s, n, no_loss in zip(starts.tolist(), lengths.tolist(), losses.tolist(),
                                 strict=True):
            want[s + max(1, no_loss):s + n] = sample["input_ids"][s + max(1, no_loss):s + n]
        np.testing.assert_array_equal(sample["labels"], want)
