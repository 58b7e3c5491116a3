"""The demo sample: dedup finds the planted duplicates and leaves the base items alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import zstandard

from boostpack.deduplication.minhash import MinHasher
from boostpack.deduplication.pipeline import dedup
from boostpack.demo.sample import MAX_BASE_SIMILARITY, REQUESTS_PATH, TRUTH_PATH, write_sample
from boostpack.ingestion.pipeline import ingest
from boostpack.ingestion.readers import read_records
from boostpack.ingestion.records import record_text


def _removed(outdir: Path) -> dict[str, dict]:
    """Removed record id -> its removed-line (``reason``, ``dup_of``, ``record``...)."""
    out = {}
    for part in sorted((outdir / "removed").glob("*.jsonl.zst")):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(part.read_bytes())
        for line in data.splitlines():
            entry = orjson.loads(line)
            out[entry["record"]["id"]] = entry
    return out


def test_default_dedup_finds_the_planted_duplicates_and_keeps_base_items(tmp_path: Path) -> None:
    # The demo's sample, ingested as the demo does, deduplicated with the defaults.
    write_sample(tmp_path / "s")
    ingest([tmp_path / "s"], tmp_path / "in", requests=[tmp_path / "s" / REQUESTS_PATH],
           progress=False)
    report = dedup([tmp_path / "in" / "records"], tmp_path / "dd", progress=False)
    removed = _removed(tmp_path / "dd")
    assert len(removed) == report["removed"]
    assert all(e["reason"] in ("exact", "near") for e in removed.values())

    def root(rid: str) -> str:
        while rid in removed:
            rid = removed[rid]["dup_of"]
        return rid

    truth = [orjson.loads(line) for line in (tmp_path / "s" / TRUTH_PATH).read_bytes().splitlines()]
    together = sum(root(t["id"]) == root(t["of"]) for t in truth)
    assert together >= 0.95 * len(truth), (together, len(truth))

    # A base item is wrongly removed unless it went in favour of one of its own planted copies
    # (dedup keeps the first in input order, and a copy may come first, e.g. in another file).
    original = {t["id"]: t["of"] for t in truth}
    base = report["input"] - len(truth)
    wrong = [rid for rid, e in removed.items()
             if rid not in original and original.get(e["dup_of"]) != rid]
    assert len(wrong) <= 0.03 * base, (len(wrong), base)


def test_base_items_are_pairwise_below_the_dedup_threshold(tmp_path: Path) -> None:
    # Exact char-5 Jaccard over all pairs (the generator compares within templates only):
    # a 0/1 document-by-shingle matrix times its transpose counts the shared shingles.
    write_sample(tmp_path / "s", n_records=600, seed=3)
    ingest([tmp_path / "s"], tmp_path / "in", requests=[tmp_path / "s" / REQUESTS_PATH],
           progress=False)
    truth = [orjson.loads(line) for line in (tmp_path / "s" / TRUTH_PATH).read_bytes().splitlines()]
    planted = {t["id"] for t in truth}
    hasher = MinHasher()
    shingles = [np.unique(hasher.shingle_hashes(record_text(r)))
                for r in read_records(tmp_path / "in") if r["id"] not in planted]
    _, column = np.unique(np.concatenate(shingles), return_inverse=True)
    matrix = np.zeros((len(shingles), column.max() + 1), np.float32)
    matrix[np.repeat(np.arange(len(shingles)), [len(s) for s in shingles]), column] = 1
    shared = matrix @ matrix.T
    sizes = np.diag(shared)
    jaccard = shared / (sizes[:, None] + sizes[None, :] - shared)
    np.fill_diagonal(jaccard, 0)
    assert jaccard.max() < MAX_BASE_SIMILARITY


def test_planted_near_duplicates_stay_similar(tmp_path: Path) -> None:
    write_sample(tmp_path / "s", n_records=1000, seed=4)
    ingest([tmp_path / "s"], tmp_path / "in", requests=[tmp_path / "s" / REQUESTS_PATH],
           progress=False)
    records = {r["id"]: r for r in read_records(tmp_path / "in")}
    hasher = MinHasher()
    truth = [orjson.loads(line) for line in (tmp_path / "s" / TRUTH_PATH).read_bytes().splitlines()]
    for t in truth:
        if t["kind"] == "near":
            a, b = (frozenset(hasher.shingle_hashes(record_text(records[i])).tolist())
                    for i in (t["id"], t["of"]))
            assert len(a & b) / len(a | b) >= 0.6, t
