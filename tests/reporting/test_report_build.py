"""build_report over the three kinds of input: the numbers add up, across inputs and against
what dedup and pack wrote."""

from __future__ import annotations

import json
import shutil

import pytest

import boostpack
from boostpack.reporting.build import build_report
from boostpack.reporting.diversity import DiversityOptions
from boostpack.reporting.mix import FIELDS, UNKNOWN

FAST = DiversityOptions(sizes=(50, 200), thresholds=(0.5, 0.9))


@pytest.fixture(scope="module")
def report(pipeline, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    r = build_report([pipeline.records_file, pipeline.dedup_dir, pipeline.packed_dir],
                     out / "report.html", json_output=out / "report.json",
                     labels=["raw", "deduped", "packed"], diversity=FAST)
    return r, out


def test_columns_and_record_counts(report, pipeline) -> None:
    r, _ = report
    names = [c["name"] for c in r["columns"]]
    assert names == ["raw", "deduped (before dedup)", "deduped (after dedup)", "packed"]
    d = json.loads((pipeline.dedup_dir / "report.json").read_text())
    raw, before, after, packed = r["columns"]
    assert raw["records"] == len(pipeline.records) == before["records"] == d["input"]
    assert after["records"] == d["kept"] == packed["records"]
    manifest = json.loads((pipeline.packed_dir / "manifest.json").read_text())
    assert packed["tokens"] == manifest["totals"]["tokens"]
    assert raw["tokens"] is None  # no tokenizer given


def test_every_breakdown_sums_to_the_totals(report) -> None:
    r, _ = report
    for c in r["columns"]:
        for field in FIELDS:
            values = c["mix"]["fields"][field].values()
            assert sum(v["records"] for v in values) == c["records"]
            if c["tokens"] is not None:
                assert sum(v["tokens"] for v in values) == c["tokens"]
        assert sum(n["records"] for n in c["mix"]["discipline_tree"]) == c["records"]
        cross = c["mix"]["discipline_x_difficulty"]
        assert sum(v["records"] for d in cross.values() for v in d.values()) == c["records"]


def test_packed_metadata_joins_to_the_kept_records(report) -> None:
    r, _ = report
    _, _, after, packed = r["columns"]
    for field in FIELDS:  # the same records, found again through the record ids
        assert ({k: v["records"] for k, v in packed["mix"]["fields"][field].items()}
                == {k: v["records"] for k, v in after["mix"]["fields"][field].items()})
    assert r["inputs"][2]["packed"]["join"]["matched"] == packed["records"]
    assert packed["unknown_metadata"] == 0


def test_dedup_section_matches_dedup_report(report, pipeline) -> None:
    r, _ = report
    d = json.loads((pipeline.dedup_dir / "report.json").read_text())
    eff = r["inputs"][1]["dedup"]
    assert eff["reasons"] == d["reasons"]
    assert eff["removed_lines_by_reason"] == {k: v for k, v in d["reasons"].items() if v}
    assert sum(c["removed"] for c in eff["by_category"].values()) == d["removed"]
    assert sum(c["before"] for c in eff["by_category"].values()) == d["input"]
    assert eff["cluster_size_histogram"] == d["clusters"]["size_histogram"]
    largest = eff["largest_clusters"][0]
    assert largest["size"] >= 2 and largest["kept_text"] and largest["members"]
    # contamination per reference file: 3 items planted in bench0, 2 in bench1
    assert eff["contamination"]["total"] == 5
    assert eff["contamination"]["by_file"] == {str(pipeline.refs[0]): 3, str(pipeline.refs[1]): 2}


def test_diversity_sizes_and_dedup_effect(report) -> None:
    r, _ = report
    raw, before, after, packed = r["columns"]
    for c in r["columns"]:
        assert set(c["diversity"]["overall"]) == {"50", "200"}
    # the same population gives the same sample, so before == raw and after == packed
    assert before["diversity"]["overall"] == raw["diversity"]["overall"]
    assert after["diversity"]["overall"] == packed["diversity"]["overall"]
    b = before["diversity"]["overall"]["200"]["neardup"]["t=0.5"]["duplicate_rate"]
    a = after["diversity"]["overall"]["200"]["neardup"]["t=0.5"]["duplicate_rate"]
    assert b > a
    assert "STEM" in after["diversity"]["by_category"]


def test_tokenizer_counts_match_the_packed_dataset(pipeline) -> None:
    r = build_report([pipeline.dedup_dir], tokenizer=pipeline.tokenizer,
                     diversity=DiversityOptions(sizes=(20,), thresholds=(0.5,)))
    before, after = r["columns"]
    manifest = json.loads((pipeline.packed_dir / "manifest.json").read_text())
    assert after["tokens"] == manifest["totals"]["tokens"]
    assert before["tokens"] > after["tokens"]
    for c in (before, after):
        assert sum(v["tokens"] for v in c["mix"]["fields"]["discipline"].values()) == c["tokens"]


def test_missing_source_file_counts_documents_as_unknown(pipeline, tmp_path) -> None:
    source = tmp_path / "kept.jsonl"
    shutil.copy(pipeline.records_file, source)
    packed = tmp_path / "packed"
    boostpack.pack([source], packed, tokenizer=pipeline.tokenizer, seq_len=256, progress=False)
    source.unlink()
    logs: list[str] = []
    r = build_report([packed], diversity=DiversityOptions(sizes=(20,), thresholds=(0.5,)),
                     log=logs.append)
    (col,) = r["columns"]
    manifest = json.loads((packed / "manifest.json").read_text())
    assert col["records"] == manifest["totals"]["documents"] == col["unknown_metadata"]
    assert col["tokens"] == manifest["totals"]["tokens"]
    assert col["mix"]["fields"]["discipline"] == {UNKNOWN: {"records": col["records"],
                                                           "tokens": col["tokens"]}}
    assert r["inputs"][0]["packed"]["join"]["missing_files"] == [str(source)]
    assert any("no source record" in line for line in logs)


def test_outputs_written_and_html_is_self_contained(report) -> None:
    r, out = report
    assert json.loads((out / "report.json").read_text()) == json.loads(json.dumps(r))
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 10
    for forbidden in ("<script", "http://", "https://", "<link", "@import", "url("):
        assert forbidden not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_bad_arguments(pipeline) -> None:
    with pytest.raises(ValueError):
        build_report([])
    with pytest.raises(ValueError):
        build_report([pipeline.records_file], labels=["a", "b"])
    with pytest.raises(ValueError):
        build_report([pipeline.root / "nope.jsonl"])
    with pytest.raises(ValueError):
        DiversityOptions(sizes=(1,))
