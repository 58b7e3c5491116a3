"""Inputs users already have: Arrow IPC files (file and stream format) and Hugging Face
``save_to_disk`` directories, through ingest, dedup and pack; ``inspect`` of a dedup output."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from input_layouts import save_dict_to_disk, save_to_disk

from boostpack import dedup, ingest, read_records
from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import expand_inputs, read_batches

pa = pytest.importorskip("pyarrow")


def _rows(n: int, tag: str = "") -> list[dict[str, Any]]:
    """Distinct questions (random words: no two are near duplicates)."""
    rng = random.Random(0)  # _rows(k) is the start of _rows(n)
    words = ["river", "delta", "basalt", "orbit", "prime", "enzyme", "tariff", "sonnet", "quartz",
             "glacier", "vector", "lemma", "ion", "monsoon", "fresco", "ledger"]
    return [{"question": f"{tag}Q{i}: " + " ".join(rng.choice(words) for _ in range(30)) + "?",
             "answer": f"Answer {i}.", "difficulty": i % 4, "meta": {"source": "synth", "ids": [i]}}
            for i in range(n)]


@pytest.mark.parametrize("layout", ["file", "stream"])
def test_arrow_ipc_files_read_by_record_batch(tmp_path: Path, layout: str) -> None:
    rows = [*_rows(5), {"question": None, "answer": "orphan"}, *_rows(3, "more ")]
    table = pa.Table.from_pylist(rows)
    path = tmp_path / "qa.arrow"
    new = pa.ipc.new_file if layout == "file" else pa.ipc.new_stream
    with pa.OSFile(str(path), "wb") as sink, new(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=4)
    batches = list(read_batches(path, batch_lines=3))
    records = [r for b in batches for r in b.records]
    assert [r["question"] for r in records] == [r["question"] for r in rows if r["question"]]
    assert records[0]["meta"] == {"source": "synth", "ids": [0]} and records[1]["difficulty"] == 1
    entries = [(q.line, q.offset, q.reason) for b in batches for q in b.quarantined]
    assert entries == [(6, -1, "missing_field:question")]
    assert all(b.lines_read <= 3 for b in batches)


def test_unreadable_arrow_is_one_entry(tmp_path: Path) -> None:
    path = tmp_path / "bad.arrow"
    path.write_bytes(b"not arrow at all")
    (batch,) = read_batches(path)
    assert (batch.lines_read, [q.reason for q in batch.quarantined]) == (1, ["corrupt_stream"])


def test_saved_datasets_read_in_their_order(tmp_path: Path) -> None:
    """A saved Dataset gives its shards in state.json order; a DatasetDict its splits in its
    own order (not alphabetical); stray files beside them are not inputs."""
    save_to_disk(_rows(2500), tmp_path / "ds", shards=3, batch_rows=1000)
    (tmp_path / "ds" / "cache-0123.arrow").write_bytes(b"a map() cache file")
    files = expand_inputs(tmp_path / "ds")
    assert [Path(f).name for f in files] == [f"data-0000{i}-of-00003.arrow" for i in range(3)]
    assert [r["question"] for r in read_records(tmp_path / "ds")] == [r["question"] for r in _rows(2500)]
    save_dict_to_disk({"train": _rows(3, "train "), "test": _rows(2, "test ")}, tmp_path / "dd")
    assert [r["question"][:5] for r in read_records(tmp_path / "dd")] == ["train"] * 3 + ["test "] * 2
    state = tmp_path / "ds" / "state.json"
    state.write_text(json.dumps({"_data_files": [{"filename": "data-00009-of-00003.arrow"}]}))
    with pytest.raises(InvalidInput, match=r"data-00009-of-00003\.arrow: listed in .*state\.json"):
        expand_inputs(tmp_path / "ds")


def test_saved_dataset_through_ingest_dedup_and_pack(tmp_path: Path, llama3_tokenizer_path: Path) -> None:
    rows = _rows(300) + _rows(100)  # the last 100 repeat the first
    save_to_disk(rows, tmp_path / "ds", shards=2, batch_rows=64)
    report = ingest(tmp_path / "ds", tmp_path / "ingested")
    assert (report["records"], report["quarantined"]) == (400, 0)
    deduped = dedup(tmp_path / "ds", tmp_path / "deduped", split_bytes=4096, frame_bytes=4096,
                    progress=False)
    assert (deduped["kept"], deduped["removed"]) == (300, 100)
    from boostpack import pack

    summary = pack(tmp_path / "deduped", tmp_path / "packed", tokenizer=llama3_tokenizer_path,
                   seq_len=256)
    assert summary["documents"] == 300  # a dedup output packs its kept records


def test_inspect_a_dedup_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It crashed with a TypeError (the dedup report read as an ingest report)."""
    from boostpack import cli

    rows = _rows(40) + _rows(10)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in rows) + b"{broken\n")
    dedup(path, tmp_path / "deduped", progress=False)
    assert cli.main(["inspect", str(tmp_path / "deduped"), "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'deduped'}: dedup output: 51 input records -> 40 kept, "
                          "10 removed (contaminated 0, exact 10, near 0), 1 quarantined")
    assert "removed: 10 records" in out and "kept records:\n1 file(s), 40 lines: 40 records" in out
    assert cli.main(["inspect", str(tmp_path / "deduped"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["removed"]["by_reason"] == {"exact": 10}
    assert summary["removed"]["similarity"][">=1.0"] == 10
    assert summary["kept"]["records"] == 40 and summary["report"]["quarantined"] == 1
    assert summary["removed"]["examples"][0]["record"] == rows[40]
