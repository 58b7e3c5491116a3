"""Decontamination never silently does nothing: reference files with questions only, with their
own field names, or indexing nothing; the same item, not the same template; per-file counts."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_dedup import outputs, qa, write_jsonl

from boostpack import cli
from boostpack.deduplication.pipeline import dedup

INSTRUCTION = "Please solve the following problem.\n"


def reword(question: str, rng: random.Random) -> str:
    """A benchmark question reworded: one word without a digit dropped."""
    words = question.split(" ")
    free = [i for i, w in enumerate(words) if w and not any(c.isdigit() for c in w)]
    if len(free) > 8:
        del words[rng.choice(free)]
    return " ".join(words)


@pytest.fixture(scope="module")
def bench_items(corpora_dir: Path) -> dict[str, Any]:
    """400 GSM8K and 400 MedMCQA items as the benchmark; 1,500 other real items as clean
    training data, plus 60 reworded benchmark items (contaminated, with the benchmark's answer),
    every training question behind the instruction a synthesizer put in front (boilerplate)."""
    items = qa(corpora_dir)
    rng = random.Random(11)
    gsm = [r for r in items if r["task"] == "gsm8k"][:400]
    med = [r for r in items if r["task"] == "medmcqa"][:400]
    clean = [r for r in items if r["task"] in ("arc_easy", "sciq", "piqa", "csqa")][::3][:1500]
    planted = [{"id": f"leak/{r['id']}", "question": reword(r["question"], rng), "answer": r["answer"]}
               for r in rng.sample(gsm, 30) + rng.sample(med, 30)]
    inputs = [{"id": r["id"], "question": INSTRUCTION + r["question"], "answer": r["answer"]}
              for r in clean]
    inputs += [{**r, "question": INSTRUCTION + r["question"]} for r in planted]
    rng.shuffle(inputs)
    return {"gsm": gsm, "med": med, "inputs": inputs, "planted": {r["id"] for r in planted}}


def contaminated(out: Path) -> set[str]:
    return {r["record"]["id"] for r in outputs(out)[1] if r["reason"] == "contaminated"}


def test_question_only_and_prompt_target_references_catch_planted_contamination(
        bench_items: dict[str, Any], tmp_path: Path) -> None:
    """A questions-only test set (the usual shape) and a prompt/target one read through
    --against-map both find every reworded bench_items item, and nothing else."""
    questions_only = write_jsonl(tmp_path / "gsm_questions.jsonl",
                                 [{"question": r["question"]} for r in bench_items["gsm"]])
    renamed = write_jsonl(tmp_path / "med_prompt_target.jsonl",
                          [{"prompt": r["question"], "target": r["answer"]} for r in bench_items["med"]])
    inputs = write_jsonl(tmp_path / "in.jsonl", bench_items["inputs"])
    gsm_leaks = {i for i in bench_items["planted"] if i.startswith("leak/gsm8k/")}
    for ref, mapping, leaks in [(questions_only, None, gsm_leaks),
                                (renamed, {"question": "prompt", "answer": "target"},
                                 bench_items["planted"] - gsm_leaks)]:
        out = tmp_path / f"out-{ref.stem}"
        report = dedup(inputs, out, against=[ref], against_map=mapping, progress=False)
        assert contaminated(out) == leaks, ref.name
        (stats,) = report["against"]["per_file"]
        assert (stats["indexed"], stats["quarantined"], stats["removed"]) == (400, 0, 30)


def test_summary_names_each_reference_file(bench_items: dict[str, Any], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    ref = write_jsonl(tmp_path / "ref.jsonl", [{"question": r["question"]} for r in bench_items["gsm"]])
    inputs = write_jsonl(tmp_path / "in.jsonl", bench_items["inputs"])
    assert cli.main(["dedup", str(inputs), "-o", str(tmp_path / "out"), "--against", str(ref)]) == 0
    err = capsys.readouterr().err
    assert f"against {ref}: 400 of 400 records indexed, 30 inputs removed" in err


def test_same_template_is_not_the_same_item(tmp_path: Path) -> None:
    """"What is 2 plus 1?" does not contaminate "What is 2 plus 8?": templated items with other
    numbers are clean, with question-only and with question+answer references alike."""
    rng = random.Random(5)
    templates = ["What is {} plus {}?", "Compute {} times {}.", "Subtract {} from {}. What is left?",
                 "A box holds {} red and {} blue balls. How many balls are in the box?"]
    ref = [(t, rng.randint(1, 99), rng.randint(1, 99)) for t in templates for _ in range(5)]
    taken = {(t, a, b) for t, a, b in ref}
    train = []
    while len(train) < 3000:
        t, a, b = rng.choice(templates), rng.randint(1, 999), rng.randint(1, 999)
        if (t, a, b) not in taken:
            taken.add((t, a, b))
            train.append({"id": f"t{len(train)}", "question": t.format(a, b), "answer": str(a + b)})
    leaked = {"id": "leak", "question": ref[0][0].format(*ref[0][1:]), "answer": str(sum(ref[0][1:]))}
    inputs = write_jsonl(tmp_path / "in.jsonl", [*train, leaked])
    for name, refs in [("q", [{"question": t.format(a, b)} for t, a, b in ref]),
                       ("qa", [{"question": t.format(a, b), "answer": str(a + b)} for t, a, b in ref])]:
        path = write_jsonl(tmp_path / f"ref-{name}.jsonl", refs)
        dedup(inputs, tmp_path / f"out-{name}", against=[path], progress=False)
        assert contaminated(tmp_path / f"out-{name}") == {"leak"}, name


def test_references_that_index_nothing_fail(bench_items: dict[str, Any], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A reference file that indexes nothing (empty, unreadable, every field misnamed) or is
    mostly unreadable stops the run with exit 1 and a line naming it, instead of a clean 0."""
    inputs = write_jsonl(tmp_path / "in.jsonl", bench_items["inputs"][:200])
    good = [{"question": r["question"]} for r in bench_items["gsm"][:50]]
    cases = {
        "empty.jsonl": b"",
        "misnamed.jsonl": b"".join(orjson.dumps({"stem": r["question"]}) + b"\n" for r in good),
        "garbage.jsonl": b"not json\n" * 60 + orjson.dumps(good[0]) + b"\n",
    }
    for name, data in cases.items():
        ref = tmp_path / name
        ref.write_bytes(data)
        assert cli.main(["dedup", str(inputs), "-o", str(tmp_path / f"out-{name}"),
                         "--against", str(ref)]) == 1, name
        err = capsys.readouterr().err
        assert name in err and ("indexed no document" in err or "unreadable" in err), err
    # the misnamed file reads with its own mapping, leaving the inputs' fields alone
    assert cli.main(["dedup", str(inputs), "-o", str(tmp_path / "out-mapped"), "--against",
                     str(tmp_path / "misnamed.jsonl"), "--against-map", "question=stem"]) == 0


def test_ngram_rule_skips_scaffolding_the_references_share(bench_items: dict[str, Any],
                                                           tmp_path: Path) -> None:
    """With --decontam-ngram 13, an instruction every benchmark item carries is no evidence:
    clean training items in the same format stay, a leaked item is still found by its own
    n-grams."""
    scaffold = ("\nAnswer with the letter of the correct option from the choices below and "
                "explain nothing else at all.")
    refs = [{"question": r["question"] + scaffold, "answer": r["answer"]} for r in bench_items["med"]]
    clean = [{"id": r["id"], "question": r["question"] + scaffold, "answer": r["answer"]}
             for r in bench_items["inputs"] if not r["id"].startswith("leak/")][:500]
    leak = {"id": "leak", "question": "Recall this one: " + refs[7]["question"], "answer": "no idea"}
    inputs = write_jsonl(tmp_path / "in.jsonl", [*clean, leak])
    ref = write_jsonl(tmp_path / "ref.jsonl", refs)
    report = dedup(inputs, tmp_path / "out", against=[ref], decontam_ngram=13, progress=False)
    assert contaminated(tmp_path / "out") == {"leak"}
    assert report["contaminated_by_ngram"] == 1
