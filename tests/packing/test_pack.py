"""``boostpack pack`` end to end: every document recovered exactly, in order, from the shards;
verify; determinism across workers and engines; interrupted runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest

from boostpack import cli
from boostpack.errors import CorruptData, InvalidInput
from boostpack.format.describe import describe
from boostpack.format.reader import open_shards
from boostpack.format.verify import verify
from boostpack.format.writer import ShardWriter
from boostpack.ingestion.readers import read_batches
from boostpack.packing.pipeline import pack
from boostpack.packing.render import renderer
from boostpack.runtime.atomic import TMP_PREFIX
from boostpack.runtime.outdir import RECORD_NAME

SEQ_LEN = 32
BOS, EOS = 128000, 128001


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two files: QA with and without reasoning, plain text, Chinese, documents far longer
    than SEQ_LEN, one bad line (quarantined)."""
    rng = np.random.default_rng(7)
    words = ["alpha", "beta", "gamma", "delta", "énergie", "数学", "x", "42", "\n"]
    d = tmp_path_factory.mktemp("inputs")
    lines_a, lines_b = [], []
    for i in range(60):
        n = int(rng.choice([1, 3, 6, 12, 40, 90]))
        q = " ".join(rng.choice(words, size=n))
        a = " ".join(rng.choice(words, size=max(1, n // 2)))
        rec = {"id": f"a{i}", "question": f"Q{i}: {q}", "answer": f"A{i}: {a}"}
        if i % 5 == 0:
            rec["reasoning"] = f"think {i} " + q
        lines_a.append(orjson.dumps(rec))
    lines_a.insert(17, b"{not json")
    for i in range(25):
        lines_b.append(orjson.dumps({"id": f"t{i}", "text": "床前明月光，疑是地上霜。" * (i % 7 + 1)}))
    (d / "a.jsonl").write_bytes(b"\n".join(lines_a) + b"\n")
    (d / "b.jsonl").write_bytes(b"\n".join(lines_b) + b"\n")
    return [d / "a.jsonl", d / "b.jsonl"]


def expected_documents(files: list[Path], reference, template: str = "qa", bos: bool = True,
                       eos: bool = True) -> list[tuple[str, list[int]]]:
    """(record id, token ids) per non-empty document in input order, from ``tokenizers``."""
    render = renderer(template)
    out = []
    for f in files:
        for batch in read_batches(f):
            for record in batch.records:
                text = render(record)
                if text:
                    ids = reference.encode(text, add_special_tokens=False).ids
                    out.append((record["id"], [BOS] * bos + ids + [EOS] * eos))
    return out


@pytest.mark.parametrize("strategy", ["bestfit", "concat", "pad"])
def test_every_document_recovered_exactly(strategy: str, inputs: list[Path], tmp_path: Path,
                                          llama3_tokenizer_path: Path, reference, dataset_documents) -> None:
    out = tmp_path / "ds"
    summary = pack(inputs, out, tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
                   strategy=strategy, shard_size=SEQ_LEN * 4 * 5, tokenizer_engine="giga")
    expected = expected_documents(inputs, reference)
    got, pieces = dataset_documents(out)
    assert got == expected  # nothing lost, reordered or invented; ids map back to records
    lengths = [len(t) for _, t in expected]
    assert any(n > SEQ_LEN for n in lengths)  # the fixture exercises splitting
    if strategy != "concat":  # a document that fits is never split
        assert pieces == [-(-n // SEQ_LEN) for n in lengths]
    assert summary["split_documents"] == sum(p > 1 for p in pieces)
    assert summary["tokens"] == sum(lengths)
    assert summary["packing_efficiency"] == sum(lengths) / (summary["sequences"] * SEQ_LEN)
    assert summary["records"] == len(expected) and summary["quarantined_records"] == 1
    assert summary["shards"] == -(-summary["sequences"] // 5) > 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sources"][0]["documents"] == [0, 60]
    assert manifest["sources"][1]["documents"] == [60, 25]
    assert manifest["tokenizer"]["pad_id"] == EOS and manifest["dtype"] == "uint32"
    assert verify(out)["split_documents"] == summary["split_documents"]


def test_switches_template_and_pad(inputs: list[Path], tmp_path: Path,
                                   llama3_tokenizer_path: Path, reference, dataset_documents) -> None:
    out = tmp_path / "ds"
    summary = pack(inputs, out, tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
                   template="qa+reasoning", add_bos=False, add_eos=False, pad_id=5,
                   tokenizer_engine="giga")
    got, _ = dataset_documents(out)
    assert got == expected_documents(inputs, reference, "qa+reasoning", bos=False, eos=False)
    ds = open_shards(out)
    starts, lengths, _ = ds.pieces(ds.num_sequences - 1)
    end = int(starts[-1] + lengths[-1])
    assert (ds.tokens(ds.num_sequences - 1)[end:] == 5).all()
    assert summary["padding_tokens"] == ds.num_sequences * SEQ_LEN - summary["tokens"]


def test_empty_renders_are_counted_not_packed(inputs: list[Path], tmp_path: Path,
                                              llama3_tokenizer_path: Path) -> None:
    summary = pack(inputs[0], tmp_path / "ds", tokenizer=llama3_tokenizer_path,
                   seq_len=SEQ_LEN, template="text", tokenizer_engine="giga")
    assert (summary["documents"], summary["empty_records"], summary["sequences"]) == (0, 60, 0)
    assert verify(tmp_path / "ds")["documents"] == 0


def _files(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and p.name != RECORD_NAME}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "boostpack", *args], capture_output=True,
                          text=True, env={**os.environ, "PYTHONHASHSEED": "random"}, check=False)


def test_byte_identical_across_workers_and_engines(inputs: list[Path], tmp_path: Path,
                                                   llama3_tokenizer_path: Path) -> None:
    common = ["--tokenizer", str(llama3_tokenizer_path), "--seq-len", str(SEQ_LEN),
              "--shard-size", str(SEQ_LEN * 4 * 7), *map(str, inputs)]
    one = _cli("pack", "-o", str(tmp_path / "w1"), "--workers", "1", *common)
    two = _cli("pack", "-o", str(tmp_path / "w2"), "--workers", "2", "--json", *common)
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert json.loads(two.stdout)["documents"] == 85
    assert _files(tmp_path / "w1") == _files(tmp_path / "w2")
    pack(inputs, tmp_path / "hf", tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
         shard_size=SEQ_LEN * 4 * 7, tokenizer_engine="hf")
    hf, giga = _files(tmp_path / "hf"), _files(tmp_path / "w1")
    assert {k: v for k, v in hf.items() if k != "manifest.json"} == \
           {k: v for k, v in giga.items() if k != "manifest.json"}


def test_worker_processes_match_one_process(inputs: list[Path], tmp_path: Path,
                                           llama3_tokenizer_path: Path) -> None:
    """workers=2 spools each input file in a worker process; concat carries sequences across
    the file boundary, and the result must equal the one-process run byte for byte."""
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, strategy="concat",
              shard_size=SEQ_LEN * 4 * 4, tokenizer_engine="giga")
    one = pack(inputs, tmp_path / "one", workers=1, **kw)
    two = pack(inputs, tmp_path / "two", workers=2, **kw)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    run = ("output", "seconds", "mb_per_s", "tokens_per_s", "execution")  # how, not what
    assert {k: v for k, v in one.items() if k not in run} == \
           {k: v for k, v in two.items() if k not in run}
    assert two["quarantined_records"] == 1
    assert not [p for p in (tmp_path / "two").iterdir() if p.name.startswith(TMP_PREFIX)]


def test_verify_cli_names_the_bad_shard(inputs: list[Path], tmp_path: Path,
                                        llama3_tokenizer_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ds"
    pack(inputs, out, tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
         shard_size=SEQ_LEN * 4 * 5, tokenizer_engine="giga")
    assert cli.main(["verify", str(out)]) == 0
    data = bytearray((out / "shard-00002.tokens").read_bytes())
    data[10] ^= 0x40
    (out / "shard-00002.tokens").write_bytes(bytes(data))
    capsys.readouterr()
    assert cli.main(["verify", str(out)]) == 1
    assert "shard-00002" in capsys.readouterr().err


def test_interrupted_run_is_not_a_dataset_and_restarts(inputs: list[Path], tmp_path: Path,
                                                       llama3_tokenizer_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, shard_size=SEQ_LEN * 4 * 3,
              tokenizer_engine="giga")
    pack(inputs, tmp_path / "fresh", **kw)
    real_close = ShardWriter._close_shard
    calls = []

    def killed(self: ShardWriter) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as if Ctrl-C arrived while the third shard closed
        real_close(self)

    monkeypatch.setattr(ShardWriter, "_close_shard", killed)
    with pytest.raises(KeyboardInterrupt):
        pack(inputs, tmp_path / "ds", **kw)
    monkeypatch.undo()
    assert list((tmp_path / "ds" / ".work").rglob("shard-00001.tokens"))  # finished shards stay ...
    with pytest.raises(CorruptData, match="no manifest"):  # ... but it is not a dataset
        open_shards(tmp_path / "ds")
    assert cli.main(["verify", str(tmp_path / "ds")]) == 1
    pack(inputs, tmp_path / "ds", **kw)  # rerun: restarts cleanly
    assert _files(tmp_path / "ds") == _files(tmp_path / "fresh")


def test_refuses_finished_dataset_and_foreign_files(inputs: list[Path], tmp_path: Path,
                                                    llama3_tokenizer_path: Path) -> None:
    kw = dict(tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN, tokenizer_engine="giga")
    pack(inputs, tmp_path / "ds", **kw)
    before = _files(tmp_path / "ds")
    with pytest.raises(InvalidInput, match=r"holds a finished pack result .*changed: config"):
        pack(inputs, tmp_path / "ds", **{**kw, "seq_len": SEQ_LEN * 2})
    assert _files(tmp_path / "ds") == before
    pack(inputs, tmp_path / "ds", **kw)  # the same inputs and options: the same bytes again
    assert _files(tmp_path / "ds") == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInput, match=r"did not write \(notes\.txt\)"):
        pack(inputs, tmp_path / "other", overwrite=True, **kw)
    assert [p.name for p in (tmp_path / "other").iterdir()] == ["notes.txt"]


def test_chat_template(inputs: list[Path], tmp_path: Path, llama3_tokenizer_path: Path,
                       reference, dataset_documents) -> None:
    pytest.importorskip("jinja2")
    with pytest.raises(InvalidInput, match="no chat template"):
        pack(inputs, tmp_path / "x", tokenizer=llama3_tokenizer_path, template="chat")
    tok_dir = tmp_path / "tok"
    tok_dir.mkdir()
    (tok_dir / "tokenizer.json").symlink_to(llama3_tokenizer_path)
    template = ("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}"
                "<|end_header_id|>\n\n{{ m['content'] }}<|eot_id|>{% endfor %}")
    (tok_dir / "tokenizer_config.json").write_text(json.dumps({"chat_template": template}))
    pack(inputs[:1], tmp_path / "ds", tokenizer=tok_dir, seq_len=256, template="chat",
         tokenizer_engine="giga")
    got, _ = dataset_documents(tmp_path / "ds")
    first = got[0][1]
    assert first[0] == BOS and first[1] != BOS and first[-1] == EOS  # one BOS, from the text
    record = next(iter(read_batches(inputs[0]))).records[0]
    text = (f"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{record['question']}"
            f"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{record['answer']}"
            "<|eot_id|>")
    assert first == [*reference.encode(text, add_special_tokens=False).ids, EOS]


def test_describe_decodes_examples(inputs: list[Path], tmp_path: Path,
                                   llama3_tokenizer_path: Path) -> None:
    pack(inputs, tmp_path / "ds", tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
         tokenizer_engine="giga")
    info = describe(tmp_path / "ds", examples=2)
    piece = info["examples"][0]["pieces"][0]
    assert piece["text"].startswith("<|begin_of_text|>")
    assert piece["record_id"] in {f"a{i}" for i in range(60)} | {f"t{i}" for i in range(25)}
    assert 0 < info["packing_efficiency"] <= 1


def test_real_corpora_english_and_chinese(corpora_dir: Path, tmp_path: Path,
                                          llama3_tokenizer_path: Path, reference, dataset_documents) -> None:
    """Real QA + Chinese poetry at 4096 with the default (auto) engine: every document equals
    the reference tokenization; best-fit stays ≥ 99% full on whole windows."""
    files = []
    for name, n in (("qa_en.jsonl.zst", 6000), ("zh_poetry.jsonl.zst", 1500)):
        lines = []
        for batch in read_batches(corpora_dir / name, batch_lines=2048):
            lines += [orjson.dumps(r) for r in batch.records]
            if len(lines) >= n:
                break
        files.append(tmp_path / name.replace(".zst", ""))
        files[-1].write_bytes(b"\n".join(lines[:n]) + b"\n")
    summary = pack(files, tmp_path / "ds", tokenizer=llama3_tokenizer_path, window=2048)
    assert summary["engine"] == "giga"
    got, pieces = dataset_documents(tmp_path / "ds")
    assert got == expected_documents(files, reference)
    assert pieces == [-(-len(t) // 4096) for _, t in got]  # only over-long documents split
    assert summary["packing_efficiency"] >= 0.99


def test_reader_options_pass_through(tmp_path: Path, llama3_tokenizer_path: Path,
                                     reference, dataset_documents) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "m1", "prompt": "Why?", "response": "Because."}\n{oops\n')
    pack(src, tmp_path / "ds", tokenizer=llama3_tokenizer_path, seq_len=SEQ_LEN,
         mapping={"question": "prompt", "answer": "response"}, tokenizer_engine="giga")
    got, _ = dataset_documents(tmp_path / "ds")
    ids = reference.encode("Why?\n\nBecause.", add_special_tokens=False).ids
    assert got == [("m1", [BOS, *ids, EOS])]
    with pytest.raises(InvalidInput):  # --strict: the bad line fails the run ...
        pack(src, tmp_path / "strict", tokenizer=llama3_tokenizer_path, strict=True,
             mapping={"question": "prompt", "answer": "response"}, tokenizer_engine="giga")
    assert not (tmp_path / "strict" / "manifest.json").exists()  # ... and leaves no dataset


@pytest.mark.parametrize("workers", [1, 2])
def test_unreadable_lines_are_quarantined_not_lost(tmp_path, llama3_tokenizer_path, workers):
    good = '{"question": "What is 2+2?", "answer": "4"}\n'
    (tmp_path / "a.jsonl").write_bytes((good + '{"question": 1, "answer": "x"}\n').encode())
    (tmp_path / "b.jsonl").write_bytes(b'not json\n' + good.encode() + b'\xff\xfe\n')
    summary = pack([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], tmp_path / "out",
                   tokenizer=llama3_tokenizer_path, seq_len=64, workers=workers, progress=False)
    assert summary["records"] == 2 and summary["quarantined_records"] == 3
    assert summary["quarantined_by_reason"] == {"invalid_json": 1, "invalid_utf8": 1,
                                                "wrong_type:question": 1}
    entries = [json.loads(line) for p in sorted((tmp_path / "out" / "quarantine").glob("*.jsonl"))
               for line in p.read_text().splitlines()]
    assert [(Path(e["file"]).name, e["line"], e["reason"]) for e in entries] == [
        ("a.jsonl", 2, "wrong_type:question"), ("b.jsonl", 1, "invalid_json"),
        ("b.jsonl", 3, "invalid_utf8")]
    verify(tmp_path / "out")


@pytest.mark.parametrize("pad_id", [-1, 128256, 999_999_999, True])
def test_pad_id_must_be_a_token_of_the_tokenizer(tmp_path, llama3_tokenizer_path, pad_id):
    (tmp_path / "a.jsonl").write_text('{"question": "q", "answer": "a"}\n')
    with pytest.raises(InvalidInput, match="not a token id"):
        pack([tmp_path / "a.jsonl"], tmp_path / "out", tokenizer=llama3_tokenizer_path,
             pad_id=pad_id, progress=False)
