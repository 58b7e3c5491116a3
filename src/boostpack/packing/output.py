"""Where a pack run's output goes: the output directory (started, resumed or refused), each
task's own files in the work directory, and the summary ``pack`` returns.

Layout while a run is unfinished::

    OUT/.work/run.json            what a resumed run must share with the interrupted one
    OUT/.work/done/               task completion markers (``runtime.executor``)
    OUT/.work/tasks/NNNNNN/       one task's shards (document numbers from 0 within the task),
                                  document table and quarantine part

``join`` turns them into the dataset and writes ``manifest.json`` last, so a killed run never
leaves a directory that loads as a dataset; rerunning with the same inputs and options resumes
(finished tasks are skipped), anything else starts over. The directory is claimed first
(``runtime.outdir``): one run at a time, and a finished dataset of other inputs or options is
replaced only with ``overwrite``.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from boostpack.format.manifest import DOC_IDS, DOC_OFFSETS, MANIFEST
from boostpack.format.writer import ShardWriter
from boostpack.ingestion.quarantine import QUARANTINE_DIR, QuarantineWriter
from boostpack.packing.job import PackJob
from boostpack.packing.packer import Packer
from boostpack.runtime.atomic import atomic_write, sweep_temp_files
from boostpack.runtime.outdir import StageOutput

WORK_DIR = ".work"
# What a pack run writes into its output directory (``runtime.outdir``); an unfinished run of
# the same inputs and options resumes from its work directory.
OUTPUT = StageOutput("pack", finished=MANIFEST,
                     names=(MANIFEST, DOC_OFFSETS, DOC_IDS, "shard-*.tokens", "shard-*.index",
                            QUARANTINE_DIR, WORK_DIR), resumes=True)


def task_dir(out: Path, index: int) -> Path:
    return out / WORK_DIR / "tasks" / f"{index:06d}"


def markers_dir(out: Path) -> Path:
    return out / WORK_DIR / "done"


def prepare_output(directory: Path, run: bytes, resuming: bool) -> bool:
    """Ready the work directory of the run described by ``run`` (its fingerprint), inside
    ``runtime.outdir.claim`` (which refused a directory that is not pack's and cleared it unless
    ``resuming``): resume an unfinished run with the same fingerprint (True), else clear what an
    earlier run left and start over (False)."""
    run_file = directory / WORK_DIR / "run.json"
    if resuming:
        try:
            if run_file.read_bytes() == run:
                sweep_temp_files(directory)
                return True
        except FileNotFoundError:
            pass
        for p in directory.iterdir():
            if not OUTPUT.owns(p.name):
                continue  # the claim's lock and record
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
    with atomic_write(run_file, "wb") as f:
        f.write(run)
    return False


class TaskSink:
    """One task's packer, shard writer and quarantine, in the task's directory, fed documents in
    order (document numbers from 0 within the task; ``join`` adds the task's first number)."""

    def __init__(self, directory: Path, job: PackJob) -> None:
        shutil.rmtree(directory, ignore_errors=True)  # a retried task starts clean
        directory.mkdir(parents=True)
        self.directory = directory
        cfg = job.config
        # Each block is written before the next is packed: the packer may reuse its rows.
        self.packer = Packer(cfg.seq_len, cfg.strategy, pad_id=job.pad, dtype=job.dtype,
                             window=cfg.window, bos=job.bos, eos=job.eos, reuse_rows=True)
        self.writer = ShardWriter(directory, seq_len=cfg.seq_len, dtype=job.dtype,
                                  sequences_per_shard=job.per_shard)
        self.quarantine = QuarantineWriter(directory)
        self.reasons: Counter[str] = Counter()
        self.split_documents = 0

    def add_quarantined(self, lines: list[bytes]) -> None:
        for line in lines:
            self.reasons[orjson.loads(line)["reason"]] += 1
            self.quarantine.write(line)

    def add(self, flat: np.ndarray, offsets: np.ndarray, no_loss: np.ndarray, ids: np.ndarray,
            id_lengths: np.ndarray) -> None:
        """Pack documents ``flat[offsets[d]:offsets[d+1]]`` (BOS/EOS added by the packer)
        with their record ids."""
        self.writer.add_encoded_documents(ids, id_lengths)
        self._write(self.packer.add(flat, offsets, no_loss))

    def _write(self, blocks: Any) -> None:
        for b in blocks:
            self.writer.write(b.tokens, b.seq_ptr, b.start, b.length, b.doc, b.loss)
            self.split_documents += b.split_documents

    def finish(self) -> dict[str, Any]:
        """Flush the packer, close every file; return what ``join`` needs of them."""
        self._write(self.packer.finish())
        self.quarantine.close()
        shards, documents = self.writer.close()
        return {"shards": shards, "documents": documents,
                "split_documents": self.split_documents,
                "quarantine": [s["path"] for s in self.quarantine.shards],
                "quarantine_reasons": dict(self.reasons)}

    def abort(self) -> None:
        """Drop the open temp files after an error."""
        self.writer.abort()
        self.quarantine.abort()


def summary(out: Path, manifest: dict[str, Any], input_bytes: int, seconds: float,
            extra: dict[str, Any]) -> dict[str, Any]:
    """What ``pack`` returns: the manifest's totals, packing efficiency and throughput."""
    totals = manifest["totals"]
    slots = totals["sequences"] * manifest["seq_len"]
    return {
        "output": str(out),
        "engine": manifest["tokenizer"].get("engine"),
        "strategy": manifest["strategy"],
        "seq_len": manifest["seq_len"],
        "loss_on": manifest["loss_on"],
        "records": totals["records"],
        "empty_records": totals["empty_records"],
        "quarantined_records": totals["quarantined_records"],
        "quarantined_by_reason": manifest.get("quarantined_by_reason", {}),
        "documents": totals["documents"],
        "tokens": totals["tokens"],
        "sequences": totals["sequences"],
        "padding_tokens": totals["padding_tokens"],
        "packing_efficiency": totals["tokens"] / slots if slots else 0.0,
        "split_documents": totals["split_documents"],
        "shards": len(manifest["shards"]),
        "input_bytes": input_bytes,
        "seconds": seconds,
        "mb_per_s": input_bytes / 1e6 / seconds if seconds else 0.0,
        "tokens_per_s": totals["tokens"] / seconds if seconds else 0.0,
        **extra,
    }
