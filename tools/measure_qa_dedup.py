"""Measure what QA dedup removes on real QA: distinct items lost, and planted variants found;
the source of the QA defaults in docs/dedup-defaults.md.

    python tools/measure_qa_dedup.py [--corpus ../shared/corpora/qa_en.jsonl.zst]
        [--items 3000] [--seed 0] [--workers 2]

Two measurements per configuration (``CONFIGS``: the defaults, lower thresholds, each QA
safeguard off alone, and both off, which is plain text dedup as before):

* **distinct removed**: ``dedup`` over the whole corpus, plus the whole corpus again with the
  instruction prefix "Solve the following task." on every question (the shape of the alpaca
  cluster in the report that started this). A removed record is a *distinct item* when its
  answer differs from the answer of the record kept in its place, judged here independently of
  boostpack's item keys: the final answer (``\\boxed{}``, ``####``, "the answer is") or else
  the whole answer, lower-cased, without whitespace, ``$`` and end punctuation. Reported as a
  share of the input (target <= 0.5%).
* **planted recall**: ``--items`` real items (templated ``generated`` ones left out, one per
  normalized 60-character question prefix, so that the originals are distinct) plus one edited
  copy of each, shuffled into one file. The edit kinds cycle over the items (``KINDS``): one
  word of the question deleted, replaced by a word of the sample's vocabulary, or exchanged with
  its neighbour; the question's sentences reordered; case and punctuation changed (a short
  answer upper-cased too); an instruction template put around the question; the answer written
  differently (code re-indented, one word of a worked solution's reasoning replaced, a short
  answer's end punctuation changed). Edits never touch a word with a digit or a backslash, nor
  the end of a worked answer: another number or another result is another item, by design.
  A copy is found when it lands in its original's cluster (target >= 0.97).
  The originals removed as duplicates of another original are the false positives.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import zstandard

from boostpack import dedup
from boostpack.deduplication.minhash import normalize

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "threshold 0.4": {"threshold": 0.4},
    "threshold 0.3": {"threshold": 0.3},
    "no answer check": {"answer_check": False},
    "no boilerplate filter": {"boilerplate_df": 0},
    "neither (text dedup)": {"answer_check": False, "boilerplate_df": 0},
}
KINDS = ["delete1", "swap1", "transpose1", "reorder", "punct_case", "template", "answer_edit"]
PREFIX = "Solve the following task.\n"
TEMPLATES = ["Answer the following question.\n{}", "Question: {}\nAnswer:", "{}\nRespond briefly."]
_FINAL = [re.compile(r"\\boxed\{(.*)\}", re.S), re.compile(r"####\s*(.*)"),
          re.compile(r"answer is:?\s*(.*)", re.I)]


def records(path: Path) -> list[dict[str, Any]]:
    """The corpus records, a list of reference answers read as its first (as ingestion does)."""
    out = []
    with open(path, "rb") as fh:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        for line in reader:
            rec = json.loads(line)
            if isinstance(rec["answer"], list):
                rec["answer"] = rec["answer"][0] if rec["answer"] else ""
            if isinstance(rec["answer"], str) and rec["answer"].strip():
                out.append(rec)
    return out


def judged_answer(answer: str) -> str:
    """The answer as this measurement compares it (module docstring)."""
    for pattern in _FINAL:
        found = pattern.findall(answer)
        if found:
            answer = found[-1].split("\n")[0]
            break
    return re.sub(r"\s+|\$", "", answer.lower()).strip(".,;:!?'\"*")


def write(path: Path, recs: list[dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({k: r[k] for k in ("id", "question", "answer")}) + "\n" for r in recs)
    return path


def run(recs: list[dict[str, Any]], tmp: Path, name: str, settings: dict[str, Any],
        workers: int) -> tuple[dict[str, Any], dict[str, str]]:
    """dedup's report, and id -> the id kept in its place (itself when kept)."""
    out = tmp / f"out-{name}"
    report = dedup(write(tmp / f"{name}.jsonl", recs), out, workers=workers, progress=False,
                   **settings)
    rep = {r["id"]: r["id"] for r in recs}
    for part in (out / "removed").iterdir():
        with open(part, "rb") as fh:
            for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8"):
                row = json.loads(line)
                rep[row["record"]["id"]] = row["dup_of"]
    return report, rep


def distinct_removed(recs: list[dict[str, Any]], rep: dict[str, str]) -> tuple[int, int]:
    """(removed records, of them with another answer than the record kept in their place)."""
    answer = {r["id"]: judged_answer(r["answer"]) for r in recs}
    removed = [(i, k) for i, k in rep.items() if i != k]
    return len(removed), sum(answer[i] != answer[k] for i, k in removed)


def edit_words(text: str, kind: str, vocab: list[str], rng: random.Random, span: float = 1.0) -> str:
    """``text`` with one word deleted, replaced or exchanged with its neighbour, among the words
    without a digit or a backslash in the first ``span`` of the text: a changed number or LaTeX
    command is another item, not a paraphrase of this one."""
    words = text.split(" ")
    free = [i for i, w in enumerate(words[: max(1, int(span * len(words)))])
            if w and not any(c.isdigit() or c == "\\" for c in w)]
    if not free:
        return text
    i = rng.choice(free)
    if kind == "delete1" and len(words) > 1:
        del words[i]
    elif kind in ("swap1", "answer_edit"):
        words[i] = rng.choice(vocab)
    elif kind == "transpose1" and i + 1 < len(words):
        words[i], words[i + 1] = words[i + 1], words[i]
    elif kind == "transpose1" and i > 0:
        words[i - 1], words[i] = words[i], words[i - 1]
    return " ".join(words)


def planted_copy(rec: dict[str, Any], kind: str, vocab: list[str], rng: random.Random) -> dict[str, Any]:
    q, a = rec["question"], rec["answer"]
    if kind in ("delete1", "swap1", "transpose1"):
        q = edit_words(q, kind, vocab, rng)
    elif kind == "reorder":
        parts = re.split(r"(?<=[.?!])\s+", q.strip())
        q = " ".join(parts[1:] + parts[:1]) if len(parts) > 1 else edit_words(q, "transpose1", vocab, rng)
    elif kind == "punct_case":
        q = q.lower().translate(str.maketrans("", "", ",;:'\"")) + "!"
        a = a.upper() if len(a) < 64 else a
    elif kind == "template":
        q = rng.choice(TEMPLATES).format(q.removeprefix("Question: ").removesuffix("\nAnswer:"))
    elif kind == "answer_edit":
        a = answer_variant(a, vocab, rng)
    return {"id": f"copy/{rec['id']}", "question": q, "answer": a, "kind": kind}


def answer_variant(answer: str, vocab: list[str], rng: random.Random) -> str:
    """The same answer written differently: code re-indented, a worked solution with one word
    of its reasoning (before the last fifth, where the result is stated) replaced, a short
    answer with its end punctuation changed."""
    if "\n    " in answer:
        return answer.replace("    ", "  ")
    if len(answer) >= 200:
        return edit_words(answer, "answer_edit", vocab, rng, span=0.8)
    return answer.rstrip(".") if answer.endswith(".") else answer + "."


def planted(corpus: list[dict[str, Any]], items: int, rng: random.Random) -> list[dict[str, Any]]:
    chosen, prefixes = [], set()
    pool = [r for r in corpus if not r.get("generated") and len(r["question"].split()) >= 3]
    rng.shuffle(pool)
    for r in pool:
        prefix = normalize(r["question"])[:60]
        if prefix not in prefixes:
            prefixes.add(prefix)
            chosen.append(r)
            if len(chosen) == items:
                break
    vocab = sorted({w for r in chosen for w in r["question"].split() if w.isalpha()})
    copies = [planted_copy(r, KINDS[i % len(KINDS)], vocab, rng) for i, r in enumerate(chosen)]
    both = chosen + copies
    rng.shuffle(both)
    return both


def measure(corpus: list[dict[str, Any]], plant: list[dict[str, Any]], name: str,
            settings: dict[str, Any], tmp: Path, workers: int) -> dict[str, Any]:
    row: dict[str, Any] = {"config": name}
    t = time.monotonic()
    tag = re.sub(r"\W+", "-", name)
    for label, recs in (("corpus", corpus),
                        ("prefixed", [{**r, "question": PREFIX + r["question"]} for r in corpus])):
        _, rep = run(recs, tmp, f"{label}-{tag}", settings, workers)
        removed, distinct = distinct_removed(recs, rep)
        row[f"{label}_removed"] = removed
        row[f"{label}_distinct"] = distinct
        row[f"{label}_distinct_share"] = distinct / len(recs)
    _, rep = run(plant, tmp, f"planted-{tag}", settings, workers)
    copies = [r for r in plant if r["id"].startswith("copy/")]
    found = Counter(r["kind"] for r in copies if rep[r["id"]] == rep[r["id"].removeprefix("copy/")])
    per_kind = Counter(r["kind"] for r in copies)
    row["recall"] = sum(found.values()) / len(copies)
    row.update({k: found[k] / per_kind[k] for k in KINDS})
    row["false_positives"] = sum(1 for r in plant if not r["id"].startswith("copy/")
                                 and rep[r["id"]] != r["id"] and not rep[r["id"]].startswith("copy/"))
    row["seconds"] = time.monotonic() - t
    return row


def main() -> int:
    default_corpus = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "qa_en.jsonl.zst"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--config", choices=list(CONFIGS), action="append",
                        help="measure only these configurations (default: all)")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    corpus = records(args.corpus)
    plant = planted(corpus, args.items, random.Random(args.seed))
    columns = ["config", "corpus_removed", "corpus_distinct", "corpus_distinct_share",
               "prefixed_removed", "prefixed_distinct", "prefixed_distinct_share", "recall", *KINDS,
               "false_positives", "seconds"]
    print(f"{len(corpus):,} records; {len(plant) // 2:,} planted pairs")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.config or CONFIGS:
            row = measure(corpus, plant, name, CONFIGS[name], Path(tmp), args.workers)
            cells = [f"{row[c]:.4f}" if isinstance(row[c], float) and c != "seconds"
                     else f"{row[c]:.0f}" if c == "seconds" else str(row[c]) for c in columns]
            print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
