"""QA-aware near dedup on real QA: a duplicate is the same item, not the same template.

Distinct items (another answer) are kept however near their questions; a shared instruction
prefix does not make a cluster; short structured items (lists, numbers, single words) do not
collapse; planted paraphrase-like variants are still found; the loud checks speak."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from typing import Any

import pytest
from test_dedup import labels, qa, write_jsonl

from boostpack.deduplication.pipeline import dedup

REPO = Path(__file__).resolve().parents[2]


def _measurement() -> Any:
    """tools/measure_qa_dedup.py, whose answer judge and planted variants these tests share."""
    spec = importlib.util.spec_from_file_location("measure_qa_dedup",
                                                  REPO / "tools" / "measure_qa_dedup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _measurement()


def removed_with_another_answer(records: list[dict[str, Any]], out: Path) -> list[tuple[str, str]]:
    answer = {r["id"]: tool.judged_answer(r["answer"]) for r in records}
    return [(i, k) for i, k in labels(out).items() if i != k and answer[i] != answer[k]]


@pytest.fixture(scope="module")
def real(corpora_dir: Path) -> list[dict[str, Any]]:
    """A third of the real QA items (string answers), the templated basic-skills sets whole."""
    items = qa(corpora_dir)
    return [{"id": r["id"], "question": r["question"], "answer": r["answer"]}
            for i, r in enumerate(items) if r.get("generated") or i % 3 == 0]


def test_distinct_items_with_different_answers_are_kept(real: list[dict[str, Any]],
                                                        tmp_path: Path) -> None:
    """By default no removed record has another answer than the one kept in its place (2-digit
    subtractions, lists, 'demontieren'/'dementieren'); compared as one text, thousands do."""
    path = write_jsonl(tmp_path / "in.jsonl", real)
    report = dedup(path, tmp_path / "out", progress=False)
    assert report["removed"] > 500  # real duplicates are still found
    assert removed_with_another_answer(real, tmp_path / "out") == []
    dedup(path, tmp_path / "text", answer_check=False, boilerplate_df=0, progress=False)
    assert len(removed_with_another_answer(real, tmp_path / "text")) > 0.05 * len(real)


def test_short_structured_items_do_not_collapse(tmp_path: Path) -> None:
    """Lists, numbers and single words: normalization strips their punctuation, so their
    questions are near; their answers part them."""
    recs = [
        {"id": "l1", "question": "Sort the list: [2, 8, 6, 9, 1]", "answer": "[1, 2, 6, 8, 9]"},
        {"id": "l2", "question": "Sort the list: [2, 8, 6, 9, 1, 5]", "answer": "[1, 2, 5, 6, 8, 9]"},
        {"id": "l3", "question": "Sort the list: [9, 1, 6, 5]", "answer": "[1, 5, 6, 9]"},
        {"id": "s1", "question": "What is 71 - 38?", "answer": "33"},
        {"id": "s2", "question": "What is 71 - 37?", "answer": "34"},
        {"id": "s3", "question": "What is 17 - 38?", "answer": "-21"},
        {"id": "w1", "question": "Translate 'to dismantle' into German.", "answer": "demontieren"},
        {"id": "w2", "question": "Translate 'to deny' into German.", "answer": "dementieren"},
        {"id": "m1", "question": "What is the shape of A @ B for A (3, 4) and B (4, 5)?", "answer": "(3, 5)"},
        {"id": "m2", "question": "What is the shape of A @ B for A (3, 4) and B (4, 6)?", "answer": "(3, 6)"},
        {"id": "d1", "question": "Sort the list: [2, 8, 6, 9, 1]", "answer": "[1,2,6,8,9]"},  # a copy
    ]
    report = dedup(write_jsonl(tmp_path / "in.jsonl", recs), tmp_path / "out", progress=False)
    lab = labels(tmp_path / "out")
    assert {i for i, k in lab.items() if i != k} == {"d1"}
    assert report["removed"] == 1


def test_shared_prefix_cluster_does_not_form(real: list[dict[str, Any]], tmp_path: Path) -> None:
    """Short real items behind one instruction prefix (the shape of the 271-item alpaca cluster):
    the prefix is boilerplate, so no cluster forms; without the filter and the answer check it
    does, and the report and a warning say so."""
    rng = random.Random(3)
    short = [r for r in real if len(r["question"]) < 60 and len(r["answer"]) < 30]
    short = rng.sample(short, 2000)
    prefixed = [{**r, "question": "Solve the following task.\n" + r["question"]} for r in short]
    path = write_jsonl(tmp_path / "in.jsonl", prefixed)
    report = dedup(path, tmp_path / "out", progress=False)
    assert removed_with_another_answer(prefixed, tmp_path / "out") == []
    assert report["largest_clusters"][0]["size"] < 10
    assert report["warnings"] == []
    loose = dedup(path, tmp_path / "loose", answer_check=False, boilerplate_df=0,
                  progress=False)
    top = loose["largest_clusters"][0]
    assert top["size"] >= 50 and len(top["members"]) == 3 and top["kept"]["text"]
    assert any("one cluster holds" in w for w in loose["warnings"])


def test_planted_variants_are_found(real: list[dict[str, Any]], tmp_path: Path,
                                    corpora_dir: Path) -> None:
    """The measurement of docs/dedup-defaults.md, smaller: paraphrase-like edits of real items
    (word deletions, swaps, sentence reorder, case and punctuation, templates, reworded
    answers) land in their original's cluster, and no original is removed."""
    plant = tool.planted(tool.records(corpora_dir / "qa_en.jsonl.zst"), 700, random.Random(1))
    _, rep = tool.run(plant, tmp_path, "planted", {}, 1)
    copies = [r["id"] for r in plant if r["id"].startswith("copy/")]
    found = sum(rep[c] == rep[c.removeprefix("copy/")] for c in copies)
    assert found >= 0.95 * len(copies)
    assert all(rep[r["id"]] == r["id"] or rep[r["id"]].startswith("copy/")
               for r in plant if not r["id"].startswith("copy/"))


def test_a_mistyped_field_is_loud(tmp_path: Path) -> None:
    recs = [{"id": f"r{i}", "question": f"Question number {i} about rivers?", "answer": f"River {i}"}
            for i in range(40)]
    report = dedup(write_jsonl(tmp_path / "in.jsonl", recs), tmp_path / "out",
                   fields="question,answr", progress=False)
    assert report["field_coverage"] == {"question": 1.0, "answr": 0.0}
    assert any("'answr' is missing from 100%" in w for w in report["warnings"])
