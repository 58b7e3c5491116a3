"""ingest(): shards, quarantine, report; round trips; determinism; the sample; inspect."""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
import pytest
import zstandard

from boostpack.demo.sample import REQUESTS_PATH, TRUTH_PATH, write_sample
from boostpack.errors import InvalidInput
from boostpack.ingestion.inspection import inspect_records
from boostpack.ingestion.pipeline import ingest
from boostpack.ingestion.readers import ReadOptions, read_batches, read_records
from boostpack.ingestion.records import record_text


def _inputs(tmp_path: Path) -> list[Path]:
    d = tmp_path / "in"
    d.mkdir()
    (d / "qa.jsonl").write_bytes(
        b'{"id": "1", "question": "Q1", "answer": "<think>r</think>A1", "discipline": "S/P"}\n'
        b"\n"
        b'{"id": "2", "question": "Q2"}\n'
        b"{broken\n")
    chat = b'{"messages": [{"role": "user", "content": "Q3"}, {"role": "assistant", "content": "A3"}]}\n'
    (d / "chat.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(chat * 3))
    (d / "text.jsonl").write_bytes(b'{"text": "plain words"}\n[1]\n')
    return [d / "qa.jsonl", d / "chat.jsonl.zst", d / "text.jsonl"]


def _tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_report_counts_and_outputs(tmp_path: Path) -> None:
    files = _inputs(tmp_path)
    out = tmp_path / "out"
    report = ingest([tmp_path / "in"], out)
    assert report["inputs"] == sorted(str(f) for f in files)
    assert (report["lines"], report["records"], report["quarantined"], report["empty"]) == (9, 5, 3, 1)
    assert report["lines"] == report["records"] + report["quarantined"] + report["empty"]
    assert report["by_reason"] == {"invalid_json": 1, "missing_field:answer": 1, "not_an_object": 1}
    assert report["by_file"][str(files[1])] == {"format": "chat", "lines": 3, "records": 3,
                                                "quarantined": 0, "empty": 0}
    on_disk = orjson.loads((out / "report.json").read_bytes())
    assert on_disk == {k: v for k, v in report.items() if k not in ("seconds", "input_bytes")}
    assert report["input_bytes"] == sum(
        len(zstandard.ZstdDecompressor().decompressobj().decompress(f.read_bytes()))
        if f.suffix == ".zst" else f.stat().st_size for f in files)
    quarantine = [orjson.loads(line) for line in
                  (out / "quarantine" / "part-00000.jsonl").read_bytes().splitlines()]
    assert [(q["file"].rsplit("/", 1)[1], q["line"], q["reason"]) for q in quarantine] == [
        ("qa.jsonl", 3, "missing_field:answer"), ("qa.jsonl", 4, "invalid_json"),
        ("text.jsonl", 2, "not_an_object")]
    assert quarantine[1]["raw"] == "{broken"


def test_output_round_trips_through_the_reader(tmp_path: Path) -> None:
    _inputs(tmp_path)
    ingest([tmp_path / "in"], tmp_path / "out")
    original = list(read_records(tmp_path / "in"))
    again = list(read_records(tmp_path / "out"))
    assert again == original and len(again) == 5
    # Ingesting the output again gives byte-identical record shards.
    ingest([tmp_path / "out"], tmp_path / "out2")
    assert (tmp_path / "out2/records/part-00000.jsonl.zst").read_bytes() == \
        (tmp_path / "out/records/part-00000.jsonl.zst").read_bytes()


def test_deterministic_and_sharded(tmp_path: Path) -> None:
    write_sample(tmp_path / "s", n_records=400)
    req = [tmp_path / "s" / REQUESTS_PATH]
    a = ingest([tmp_path / "s"], tmp_path / "a", requests=req, shard_bytes=20_000)
    ingest([tmp_path / "s"], tmp_path / "b", requests=req, shard_bytes=20_000)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    shards = a["record_shards"]
    assert len(shards) > 3 and sum(s["lines"] for s in shards) == a["records"]
    assert all(s["bytes"] >= 20_000 for s in shards[:-1])
    # Each shard is complete zstd frames with a checksum, readable on its own.
    for s in shards:
        assert len(list(read_records(tmp_path / "a" / s["path"]))) == s["lines"]
    # A rerun with bigger shards (overwrite: other options) leaves no stale parts behind.
    ingest([tmp_path / "s"], tmp_path / "a", requests=req, overwrite=True)
    assert sorted(p.name for p in (tmp_path / "a/records").iterdir()) == ["part-00000.jsonl.zst"]


def test_strict_stops_without_a_report(tmp_path: Path) -> None:
    _inputs(tmp_path)
    with pytest.raises(InvalidInput, match=r"qa\.jsonl:3: missing_field:answer"):
        ingest([tmp_path / "in"], tmp_path / "out", strict=True)
    assert not (tmp_path / "out/report.json").exists()
    assert not [p for p in (tmp_path / "out").rglob("*") if p.name.startswith(".tmp-")]


def test_refuses_inputs_inside_the_output(tmp_path: Path) -> None:
    _inputs(tmp_path)
    with pytest.raises(InvalidInput, match="inside the output"):
        ingest([tmp_path / "in"], tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no input files"):
        ingest([tmp_path / "empty"], tmp_path / "o")


def test_mapping_and_format_pass_through(tmp_path: Path) -> None:
    p = tmp_path / "m.jsonl"
    p.write_bytes(b'{"q": "Q", "r": "R"}\n')
    report = ingest([p], tmp_path / "out", mapping={"question": "q", "answer": "r"}, fmt="qa")
    assert report["records"] == 1 and report["mapping"] == {"question": "q", "answer": "r"}
    (record,) = read_records(tmp_path / "out")
    assert (record["question"], record["answer"]) == ("Q", "R")


def test_sample_is_deterministic_and_ingests_as_planned(tmp_path: Path) -> None:
    files = write_sample(tmp_path / "a", n_records=600, seed=1)
    write_sample(tmp_path / "b", n_records=600, seed=1)
    write_sample(tmp_path / "c", n_records=600, seed=2)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b") != _tree(tmp_path / "c")
    assert [f.name for f in files] == ["qa_synth.jsonl", "chat_synth.jsonl.zst",
                                       "batch_output.jsonl", "textbook.jsonl"]
    report = ingest([tmp_path / "a"], tmp_path / "out", requests=[tmp_path / "a" / REQUESTS_PATH])
    assert report["records"] == 600 + 600 // 30
    assert report["quarantined"] == 7 and report["empty"] == 1
    assert {r.split(":")[0] for r in report["by_reason"]} == {
        "invalid_json", "missing_field", "wrong_type", "not_an_object", "invalid_utf8", "batch_error"}
    assert {s["format"] for s in report["by_file"].values()} == {"qa", "chat", "openai_batch", "text"}

    records = {r["id"]: r for r in read_records(tmp_path / "out") if "question" in r}
    assert len(records) == 600
    truth = [orjson.loads(line) for line in (tmp_path / "a" / TRUTH_PATH).read_bytes().splitlines()]
    assert sum(t["kind"] == "exact" for t in truth) == 24 and sum(t["kind"] == "near" for t in truth) == 36
    for t in truth:
        same = record_text(records[t["id"]]) == record_text(records[t["of"]])
        assert same == (t["kind"] == "exact"), t
    base = [r for r in records.values() if r["id"] not in {t["id"] for t in truth}]
    assert len({record_text(r, ("question",)) for r in base}) == len(base)  # no accidental dups
    langs = [r["language"] for r in records.values() if "language" in r]
    assert 0.05 < langs.count("zh") / len(langs) < 0.3
    assert len({tuple(r["discipline"]) for r in records.values() if "discipline" in r}) >= 12
    assert {r["difficulty"] for r in records.values() if "difficulty" in r} == {1, 2, 3, 4, 5}
    assert sum("reasoning" in r for r in records.values()) > 50


def test_inspect_ingest_output(tmp_path: Path) -> None:
    write_sample(tmp_path / "s", n_records=300)
    ingest([tmp_path / "s"], tmp_path / "out", requests=[tmp_path / "s" / REQUESTS_PATH])
    s = inspect_records(tmp_path / "out", examples=2)
    assert s["records"] == s["qa"] + s["text"] == 310 and s["quarantined"] == 0
    assert s["field_coverage"]["id"] == 1.0 and 0 < s["field_coverage"]["discipline"] < 1
    assert sum(s["breakdowns"]["difficulty"].values()) == sum(
        1 for r in read_records(tmp_path / "out") if "difficulty" in r)
    assert set(s["breakdowns"]["discipline_top"]) <= {"STEM", "Humanities", "Social Science"}
    assert s["ingest_report"]["quarantined"] == 7
    assert len(s["examples"]) == 2 and s["examples"][0] == next(read_records(tmp_path / "out"))


def test_real_corpus_ingest_round_trip(corpora_dir: Path, tmp_path: Path) -> None:
    # The first 3,000 lines: enough for every kind of item at the head of the corpus, and fast.
    head = tmp_path / "head.jsonl"
    with head.open("wb") as f:
        batch = next(read_batches(corpora_dir / "zh_poetry.jsonl.zst", batch_lines=3000))
        f.write(b"".join(raw + b"\n" for raw in batch.raw))
    report = ingest([head], tmp_path / "out")
    assert report["records"] == 3000
    assert list(read_records(tmp_path / "out")) == batch.records


def test_public_api_works_after_the_module_was_imported(tmp_path: Path) -> None:
    import boostpack
    import boostpack.ingestion.pipeline  # a submodule import must not shadow the function

    _inputs(tmp_path)
    report = boostpack.ingest([tmp_path / "in"], tmp_path / "out")
    assert report["records"] == 5
    assert len(list(boostpack.read_records(tmp_path / "out"))) == 5


def test_bad_metadata_values_are_quarantined_never_a_crash(tmp_path: Path) -> None:
    """Numbers no record can hold are quarantined (they aborted ingest with a traceback), string
    levels are kept as given, and a record JSON cannot write is quarantined as well."""
    deep = b"[" * 300 + b"]" * 300  # orjson parses it but writes at most 254 levels
    lines = [b'{"question": "q1", "answer": "a", "difficulty": 2e19}',
             b'{"question": "q2", "answer": "a", "difficulty": -1e308}',
             b'{"question": "q3", "answer": "a", "difficulty": "easy", "grade": "grade 9"}',
             b'{"question": "q4", "answer": "a", "difficulty": "3", "grade": 10.0}',
             b'{"question": "q5", "answer": "a", "deep": ' + deep + b"}",
             b'{"question": "q6", "answer": "a", "difficulty": 4.5}']
    p = tmp_path / "gen.jsonl"
    p.write_bytes(b"\n".join(lines) + b"\n")
    report = ingest([p], tmp_path / "out", batch_lines=4)
    assert (report["records"], report["quarantined"]) == (3, 3)
    assert report["by_reason"] == {"out_of_range:difficulty": 2, "unserializable": 1}
    kept = list(read_records(tmp_path / "out"))
    assert [(r["question"], r.get("difficulty"), r.get("grade")) for r in kept] == [
        ("q3", "easy", "grade 9"), ("q4", "3", 10), ("q6", 4.5, None)]
    entries = [orjson.loads(line) for line in
               (tmp_path / "out/quarantine/part-00000.jsonl").read_bytes().splitlines()]
    offsets = [0, *itertools.accumulate(len(line) + 1 for line in lines)]
    assert [(q["line"], q["offset"], q["reason"]) for q in entries] == [
        (1, offsets[0], "out_of_range:difficulty"), (2, offsets[1], "out_of_range:difficulty"),
        (5, offsets[4], "unserializable")]
    assert entries[0]["detail"] == "difficulty 2e+19 is outside the 64-bit integer range"
    assert entries[2]["raw"].encode() == lines[4]


def test_mostly_quarantined_files_are_named(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from boostpack import cli

    good, misread = tmp_path / "good.jsonl", tmp_path / "misread.jsonl"
    good.write_bytes(b'{"question": "q", "answer": "a"}\n{broken\n\n')
    misread.write_bytes(b'{"question": "q", "answer": "a"}\n' + b'{"prompt": "q"}\n' * 3 + b"\n" * 9)
    report = ingest([good, misread], tmp_path / "out")
    assert report["mostly_quarantined"] == {"max_share": 0.5, "files": {str(misread): 0.75}}
    args = ["ingest", str(good), str(misread), "-o", str(tmp_path / "o2")]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert f"ingest: warning: 75.0% of the non-blank lines of {misread} were quarantined" in err
    assert "1 file(s) mostly quarantined" in err.splitlines()[-1]
    assert (tmp_path / "o2/report.json").is_file()  # everything is written all the same
    assert cli.main([*args, "--max-quarantine-share", "0.8", "--overwrite"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_record_shards_split_into_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard is zstd frames that record their sizes, so dedup reads one with several tasks."""
    from boostpack.ingestion import parts
    from boostpack.ingestion.frames import units
    from boostpack.ingestion.splits import plan_splits, splittable

    monkeypatch.setattr(parts, "_FRAME_BYTES", 20_000)
    write_sample(tmp_path / "s", n_records=400)
    report = ingest([tmp_path / "s"], tmp_path / "a", requests=[tmp_path / "s" / REQUESTS_PATH])
    (shard,) = report["record_shards"]
    path = str(tmp_path / "a" / shard["path"])
    frames = units(path)
    assert len(frames) > 5 and all(u.kind == "frame" and u.size > 0 for u in frames)
    assert sum(u.size for u in frames) == shard["bytes"]
    assert splittable(path) and len(plan_splits(path, ReadOptions(), 40_000)) > 3
