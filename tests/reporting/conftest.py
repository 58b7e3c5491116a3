"""A small pipeline run shared by the report tests: records with metadata and planted
duplicates, their dedup against two reference files, and the kept records packed with a
tokenizer trained on them (no file from outside the test)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

import boostpack
from boostpack.demo.tokenizer import train_byte_bpe

DISCIPLINES = [["STEM", "Physics", "Optics"], ["STEM", "Mathematics", "Algebra"],
               ["STEM", "Mathematics", "Geometry"], ["Humanities", "History"],
               ["Social Science", "Economics"]]
WORDS = ("angle", "light", "lens", "prism", "force", "mass", "river", "empire", "treaty",
         "market", "price", "supply", "demand", "triangle", "circle", "square", "root",
         "equation", "variable", "king", "war", "trade", "coin", "ray", "mirror")


def make_records(n: int = 300, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        rec = {"id": f"r{i:04d}",
               "question": f"Q{i}: " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))) + "?",
               "answer": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 60))),
               "difficulty": rng.randint(1, 5), "grade": f"grade {rng.randint(6, 12)}",
               "synth_type": rng.choice(["seed", "refined", "multi_grade"]),
               "source": rng.choice(["gen-a", "gen-b"]), "language": "en"}
        if i % 10 != 9:  # every tenth record has no discipline
            rec["discipline"] = DISCIPLINES[i % len(DISCIPLINES)]
        if i % 7 == 0:
            rec["reasoning"] = "Think: " + " ".join(rng.choice(WORDS) for _ in range(20))
        records.append(rec)
    for j in range(30):  # exact copies under new ids
        records.append({**records[j * 3], "id": f"copy{j:03d}"})
    for j in range(15):  # near copies: one word of the answer changed
        src = records[100 + j]
        records.append({**src, "id": f"near{j:03d}", "answer": src["answer"] + " indeed"})
    return records


@dataclass
class Pipeline:
    root: Path
    records: list[dict]
    records_file: Path
    dedup_dir: Path
    refs: list[Path]
    packed_dir: Path
    tokenizer: Path


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root = tmp_path_factory.mktemp("report-pipeline")
    records = make_records()
    records_file = root / "records.jsonl"
    records_file.write_text("".join(json.dumps(r) + "\n" for r in records))
    refs = []
    for k, picks in enumerate(([200, 201, 202], [210, 211])):
        ref = root / f"bench{k}.jsonl"
        ref.write_text("".join(json.dumps({**records[i], "id": f"bench{k}-{i}"}) + "\n"
                               for i in picks))
        refs.append(ref)
    dedup_dir = root / "dedup"
    boostpack.dedup([records_file], dedup_dir, against=refs, progress=False)
    tokenizer = train_byte_bpe([r["question"] + "\n\n" + r["answer"] for r in records],
                               root / "tokenizer.json", 400)
    packed_dir = root / "packed"
    boostpack.pack([dedup_dir / "kept"], packed_dir, tokenizer=tokenizer, seq_len=256,
                   progress=False)
    return Pipeline(root, records, records_file, dedup_dir, refs, packed_dir, tokenizer)
