"""The demo pipeline: write the sample, then run each stage on the previous stage's output.

sample → ingest → dedup (scored against the sample's planted duplicates) → pack (QA, and the
sample's plain-text file as a "general corpus") → verify → load (a 70/30 mixture of the two
packed sets, read by two ranks, with an exact resume) → report (what is in the data and what
dedup did to it, as ``report.html`` + ``report.json`` in the work directory). ``STEPS`` is the ordered list; each step
takes the ``DemoRun`` (work directory, earlier outputs) and returns its summary dict, which
``run_demo`` yields for the caller to show (``boostpack demo`` prints it). Every step is a public
API call, so the demo doubles as a worked example. A rerun into the same directory writes a new
sample, so each stage replaces its earlier output (``overwrite=True``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from boostpack import Mixture, PackedDataset, collate, dedup, ingest, pack, read_records, verify
from boostpack.demo import sample
from boostpack.demo.tokenizer import train_byte_bpe
from boostpack.ingestion.readers import iter_json_lines
from boostpack.packing.render import renderer


@dataclass
class DemoRun:
    """State passed along the steps: where things are."""

    workdir: Path
    tokenizer: Path | None = None
    inputs: list[Path] = field(default_factory=list)


Step = Callable[[DemoRun], dict[str, Any]]


def _sample(demo: DemoRun) -> dict[str, Any]:
    demo.inputs = sample.write_sample(demo.workdir / "sample")
    return {"directory": str(demo.workdir / "sample"), "files": [str(p) for p in demo.inputs],
            "bytes": sum(p.stat().st_size for p in demo.inputs)}


def _ingest(demo: DemoRun) -> dict[str, Any]:
    return ingest(demo.inputs, demo.workdir / "ingested",
                  requests=[demo.workdir / "sample" / sample.REQUESTS_PATH], progress=False,
                  overwrite=True)


def _dedup(demo: DemoRun) -> dict[str, Any]:
    out = demo.workdir / "dedup"
    report = dedup([demo.workdir / "ingested" / "records"], out, progress=False, overwrite=True)
    # Score against the planted duplicates: a pair is found when both records end in one
    # cluster, i.e. follow dup_of to the same kept record.
    kept_as: dict[str, str] = {}
    for path in sorted((out / "removed").glob("*.jsonl.zst")):
        for entry in iter_json_lines(path):
            kept_as[entry["record"]["id"]] = entry["dup_of"]
    truth = [orjson.loads(line) for line in
             (demo.workdir / "sample" / sample.TRUTH_PATH).read_bytes().splitlines()]
    planted = {t["id"] for t in truth} | {t["of"] for t in truth}
    found = sum(kept_as.get(t["id"], t["id"]) == kept_as.get(t["of"], t["of"]) for t in truth)
    return {**report, "planted_pairs": len(truth), "planted_found": found,
            "unplanted_removed": sum(1 for rid in kept_as if rid not in planted)}


def _train_tokenizer(demo: DemoRun) -> Path:
    """A 4,096-id byte-level BPE trained on the ingested sample: no download needed, and
    deterministic (the same sample gives the same ids)."""
    render = renderer("qa")
    return train_byte_bpe((render(r) for r in read_records(demo.workdir / "ingested" / "records")),
                          demo.workdir / "tokenizer.json", 4096)


def _pack(demo: DemoRun) -> dict[str, Any]:
    trained = demo.tokenizer is None
    tokenizer = _train_tokenizer(demo) if trained else demo.tokenizer
    qa = pack([demo.workdir / "dedup" / "kept"], demo.workdir / "packed-qa", tokenizer=tokenizer,
              seq_len=1024, progress=False, overwrite=True)
    general = pack([demo.workdir / "sample" / "textbook.jsonl"], demo.workdir / "packed-general",
                   tokenizer=tokenizer, seq_len=1024, template="text", progress=False,
                   overwrite=True)
    verify(demo.workdir / "packed-qa")
    verify(demo.workdir / "packed-general")
    return {"tokenizer": str(tokenizer), "trained_tokenizer": trained, "qa": qa, "general": general}


def _load(demo: DemoRun) -> dict[str, Any]:
    qa = PackedDataset(demo.workdir / "packed-qa")
    general = PackedDataset(demo.workdir / "packed-general")
    sources = [(qa, 0.7), (general, 0.3)]
    steps, batch_size, world_size = 4, 4, 2
    ranks = [Mixture(sources, seed=0, num_samples=1000, rank=r, world_size=world_size)
             for r in range(world_size)]
    first: dict[str, Any] = {}
    for _ in range(steps):
        for rank, mixture in enumerate(ranks):
            it = iter(mixture)
            batch = collate([next(it) for _ in range(batch_size)])
            first.setdefault(f"rank{rank}", {k: list(v.shape) for k, v in batch.items()
                                             if isinstance(v, np.ndarray)})
    # Resume: a fresh mixture loaded from rank 0's state continues exactly where it stopped.
    state = ranks[0].state_dict()
    expected = next(iter(ranks[0]))["input_ids"]
    resumed = Mixture(sources, seed=0, num_samples=1000, rank=0, world_size=world_size)
    resumed.load_state_dict(state)
    counts = ranks[0].counts(1000)
    return {"sequences": [len(qa), len(general)], "batch_shapes": first,
            "samples_per_rank": steps * batch_size,
            "resume_identical": bool(np.array_equal(next(iter(resumed))["input_ids"], expected)),
            "realized_share": [c / 1000 for c in counts], "epochs_used": ranks[0].epochs_used(1000)}


def _report(demo: DemoRun) -> dict[str, Any]:
    from boostpack.reporting.build import demo_step

    return demo_step(demo.workdir, demo.tokenizer)


STEPS: list[tuple[str, Step]] = [
    ("sample", _sample),
    ("ingest", _ingest),
    ("dedup", _dedup),
    ("pack", _pack),
    ("load", _load),
    ("report", _report),
]


def run_demo(directory: str | os.PathLike[str],
             tokenizer: str | os.PathLike[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Run every step in ``directory``, yielding ``(step name, summary)`` as each finishes.
    ``tokenizer``: a ``tokenizer.json`` to pack with (default: one trained on the sample)."""
    demo = DemoRun(Path(directory), tokenizer=Path(tokenizer) if tokenizer else None)
    demo.workdir.mkdir(parents=True, exist_ok=True)
    for name, step in STEPS:
        yield name, step(demo)
