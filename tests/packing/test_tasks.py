"""Pack as tasks: the plan depends on the inputs and options only; the output is byte for byte
the same whatever the worker count or backend; a killed run resumes, skipping finished tasks,
and never leaves a finished-looking dataset."""

from __future__ import annotations

import importlib
import itertools
import json
from pathlib import Path

import numpy as np
import orjson
import pytest
import xxhash
import zstandard

from boostpack.errors import CorruptData
from boostpack.format.reader import open_shards
from boostpack.format.verify import verify
from boostpack.ingestion.readers import read_batches
from boostpack.packing.config import PackConfig
from boostpack.packing.pipeline import pack
from boostpack.packing.render import renderer
from boostpack.packing.tasks import plan_tasks
from boostpack.runtime.backends import LocalProcesses
from boostpack.runtime.outdir import RECORD_NAME

pipeline = importlib.import_module("boostpack.packing.pipeline")
join_module = importlib.import_module("boostpack.packing.join")
SEQ_LEN = 128
BOS, EOS = 128000, 128001


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A plain file split into several tasks, a small .zst and a small plain file grouped into
    one task, some bad lines and documents longer than SEQ_LEN."""
    rng = np.random.default_rng(11)
    words = ["alpha", "beta", "数学", "énergie", "42", "x", "\n", "solve", "the"]
    d = tmp_path_factory.mktemp("task-inputs")

    def lines(prefix: str, n: int) -> list[bytes]:
        out = []
        for i in range(n):
            q = " ".join(rng.choice(words, size=int(rng.integers(2, 80))))
            rec = {"id": f"{prefix}{i}", "question": f"Q{i}: {q}", "answer": f"A {i}"}
            out.append(orjson.dumps(rec if i % 9 else {k: v for k, v in rec.items() if k != "id"}))
        out[5:5] = [b"{broken", b""]
        return out

    (d / "big.jsonl").write_bytes(b"\n".join(lines("b", 400)) + b"\n")
    (d / "small.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(
        b"\n".join(lines("s", 30)) + b"\n"))
    (d / "tail.jsonl").write_bytes(b"\n".join(lines("t", 20)))
    return [d / "big.jsonl", d / "small.jsonl.zst", d / "tail.jsonl"]


def _files(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and p.name != RECORD_NAME}


KW = dict(seq_len=SEQ_LEN, task_bytes=24 << 10, shard_size=SEQ_LEN * 4 * 16,
          tokenizer_engine="giga", progress=False)


def test_the_plan_is_a_function_of_inputs_and_options(inputs: list[Path]) -> None:
    config = PackConfig("tokenizer.json", task_bytes=24 << 10)
    plan = plan_tasks([str(p) for p in inputs], config)
    assert plan == plan_tasks([str(p) for p in inputs], config)
    pieces = [p for task in plan for p in task]
    assert [p.source for p in pieces] == sorted(p.source for p in pieces)  # input order
    big = [p for p in pieces if p.source == 0]
    assert len(big) > 2 and big[0].start == 0 and big[-1].end == inputs[0].stat().st_size
    assert all(a.end == b.start for a, b in itertools.pairwise(big))
    assert any(len(task) > 1 for task in plan)  # small pieces share a task
    assert len(plan_tasks([str(p) for p in inputs], PackConfig("t.json"))) == 1


def test_same_bytes_whatever_the_workers_or_backend(inputs: list[Path], tmp_path: Path,
                                                    llama3_tokenizer_path: Path, reference,
                                                    dataset_documents) -> None:
    one = pack(inputs, tmp_path / "one", tokenizer=llama3_tokenizer_path, workers=1, **KW)
    two = pack(inputs, tmp_path / "two", tokenizer=llama3_tokenizer_path, workers=2, **KW)
    procs = pack(inputs, tmp_path / "procs", tokenizer=llama3_tokenizer_path,
                 backend=LocalProcesses(2), **KW)
    assert one["tasks"] == two["tasks"] == procs["tasks"] > 3 and procs["workers"] == 2
    expected = _files(tmp_path / "one")
    assert _files(tmp_path / "two") == expected and _files(tmp_path / "procs") == expected
    assert one["shards"] >= one["tasks"]  # each task writes its own shards
    verify(tmp_path / "one")
    # Documents in input order, numbered across tasks, each the reference's encoding.
    render = renderer("qa")
    wanted = [(r["id"], [BOS, *reference.encode(render(r), add_special_tokens=False).ids, EOS])
              for f in inputs for b in read_batches(f) for r in b.records]
    assert dataset_documents(tmp_path / "one")[0] == wanted
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    counts = [s["documents"] for s in manifest["sources"]]
    assert counts == [[0, 400], [400, 30], [430, 20]]
    # Each file's checksum (hashed beside the reading, by the task that reads its first byte).
    assert [s["xxh3"] for s in manifest["sources"]] == [
        xxhash.xxh3_64_hexdigest(p.read_bytes()) for p in inputs]
    assert manifest["quarantined_by_reason"] == {"invalid_json": 3}
    lines = [json.loads(x) for p in sorted((tmp_path / "one" / "quarantine").iterdir())
             for x in p.read_text().splitlines()]
    assert [(Path(e["file"]).name, e["line"]) for e in lines] == [
        ("big.jsonl", 6), ("small.jsonl.zst", 6), ("tail.jsonl", 6)]  # absolute line numbers


def test_a_killed_run_resumes_where_it_stopped(inputs: list[Path], tmp_path: Path,
                                               llama3_tokenizer_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pack(inputs, tmp_path / "fresh", tokenizer=llama3_tokenizer_path, **KW)
    real = pipeline.run_task
    ran: list[int] = []

    def killed_at_third(task: object) -> object:
        if task.index == 2:  # type: ignore[attr-defined]
            raise KeyboardInterrupt
        ran.append(task.index)  # type: ignore[attr-defined]
        return real(task)

    monkeypatch.setattr(pipeline, "run_task", killed_at_third)
    with pytest.raises(KeyboardInterrupt):
        pack(inputs, tmp_path / "ds", tokenizer=llama3_tokenizer_path, **KW)
    assert ran == [0, 1]
    with pytest.raises(CorruptData, match="no manifest"):  # not a dataset
        open_shards(tmp_path / "ds")

    def counted(task: object) -> object:
        ran.append(task.index)  # type: ignore[attr-defined]
        return real(task)

    ran.clear()
    monkeypatch.setattr(pipeline, "run_task", counted)
    summary = pack(inputs, tmp_path / "ds", tokenizer=llama3_tokenizer_path, **KW)
    assert ran == list(range(2, summary["tasks"]))  # finished tasks were skipped
    assert _files(tmp_path / "ds") == _files(tmp_path / "fresh")
    assert not (tmp_path / "ds" / ".work").exists()


def test_a_killed_join_is_redone(inputs: list[Path], tmp_path: Path,
                                 llama3_tokenizer_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pack(inputs, tmp_path / "fresh", tokenizer=llama3_tokenizer_path, **KW)
    real = join_module._rebased_index
    calls: list[int] = []

    def killed(*args: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # two shards already moved into place
        return real(*args)

    monkeypatch.setattr(join_module, "_rebased_index", killed)
    with pytest.raises(KeyboardInterrupt):
        pack(inputs, tmp_path / "ds", tokenizer=llama3_tokenizer_path, **KW)
    monkeypatch.undo()
    assert not (tmp_path / "ds" / "manifest.json").exists()
    assert (tmp_path / "ds" / "shard-00001.tokens").exists()
    pack(inputs, tmp_path / "ds", tokenizer=llama3_tokenizer_path, **KW)
    assert _files(tmp_path / "ds") == _files(tmp_path / "fresh")


def test_other_options_start_over(inputs: list[Path], tmp_path: Path,
                                  llama3_tokenizer_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = pipeline.run_task

    def killed_at_second(task: object) -> object:
        if task.index == 1:  # type: ignore[attr-defined]
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(pipeline, "run_task", killed_at_second)
    with pytest.raises(KeyboardInterrupt):
        pack(inputs, tmp_path / "ds", tokenizer=llama3_tokenizer_path, **KW)
    monkeypatch.undo()
    other = {**KW, "seq_len": 256}
    pack(inputs, tmp_path / "ds", tokenizer=llama3_tokenizer_path, **other)
    pack(inputs, tmp_path / "fresh", tokenizer=llama3_tokenizer_path, **other)
    assert _files(tmp_path / "ds") == _files(tmp_path / "fresh")
