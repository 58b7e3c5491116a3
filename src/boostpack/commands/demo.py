"""``boostpack demo [-o DIR]``: the whole pipeline on a generated sample, with a readable summary.

The demo runner (``boostpack.demo.runner``) yields each step's summary dict; the lines a person
reads are written here, as for every other command.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boostpack.commands.ingest import summary_lines as _ingest_lines
from boostpack.commands.report import summary_lines as _report_lines
from boostpack.runtime.console import emit_json, log


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo", help="run the pipeline on a generated sample of synthesized QA",
        description="Write a deterministic sample (QA, chat, OpenAI-batch and text files with "
        "planted duplicates and malformed lines) and run each pipeline stage on it.")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="keep everything in DIR (default: a temporary directory, removed after)")
    p.add_argument("--tokenizer", metavar="PATH",
                   help="tokenizer.json to pack with (default: a small BPE trained on the sample)")
    p.add_argument("--json", action="store_true",
                   help="print every step's summary as JSON on stdout (the text goes to stderr)")
    p.set_defaults(func=run)


def _sample_lines(s: dict[str, Any]) -> list[str]:
    names = ", ".join(Path(p).name for p in s["files"])
    return [f"sample: {len(s['files'])} files ({names}), {s['bytes'] / 1e6:.2f} MB -> {s['directory']}"]


def _dedup_lines(r: dict[str, Any]) -> list[str]:
    reasons = ", ".join(f"{n:,} {reason}" for reason, n in r["reasons"].items() if n)
    return [f"dedup: {r['input']:,} records -> {r['kept']:,} kept, {r['removed']:,} removed "
            f"({reasons or 'none'}), {r['quarantined']:,} quarantined",
            f"  planted duplicate pairs found: {r['planted_found']}/{r['planted_pairs']}; "
            f"records removed that were not planted: {r['unplanted_removed']}",
            f"  {r['params']['shingle']} {r['params']['ngram']}-grams, threshold "
            f"{r['params']['threshold']}, {r['params']['bands']} bands x {r['params']['rows']} "
            f"rows; largest cluster {r['clusters']['largest']}"]


def _pack_lines(r: dict[str, Any]) -> list[str]:
    what = "a 4,096-id BPE trained on the sample" if r["trained_tokenizer"] else r["tokenizer"]
    lines = [f"pack: tokenizer {what}; both datasets verified (checksums, index invariants)"]
    for name in ("qa", "general"):
        s = r[name]
        lines.append(
            f"  {name}: {s['documents']:,} documents -> {s['sequences']:,} sequences of "
            f"{s['seq_len']}, {s['tokens']:,} tokens, efficiency "
            f"{s['packing_efficiency']:.2%}, {s['split_documents']:,} split -> {s['output']}")
    return lines


def _load_lines(r: dict[str, Any]) -> list[str]:
    shapes = ", ".join(f"{k} {v}" for k, v in r["batch_shapes"]["rank0"].items())
    share = " / ".join(f"{s:.1%}" for s in r["realized_share"])
    epochs = " / ".join(f"{e:.2f}" for e in r["epochs_used"].values())
    return [f"load: mixture of qa ({r['sequences'][0]:,} sequences) and general "
            f"({r['sequences'][1]:,}) at 70/30 -> realized {share} over 1,000 samples "
            f"({epochs} epochs of each)",
            f"  2 ranks read {r['samples_per_rank']} samples each; batch: {shapes}",
            f"  resume from state_dict gives the identical next sample: {r['resume_identical']}"]


# Step name (as the runner yields it) -> the readable lines of its summary.
_SUMMARY_LINES: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "sample": _sample_lines,
    "ingest": _ingest_lines,
    "dedup": _dedup_lines,
    "pack": _pack_lines,
    "load": _load_lines,
    "report": _report_lines,
}


def run(args: argparse.Namespace) -> int:
    if args.output:
        results = _run_and_show(args.output, args)
    else:
        with tempfile.TemporaryDirectory(prefix="boostpack-demo-") as tmp:
            results = _run_and_show(tmp, args)
    if args.json:
        emit_json(results)
    return 0


def _run_and_show(directory: str, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Every step's summary, each shown as it finishes: on stdout, as this command's output,
    unless ``--json`` claims stdout for the data (then on stderr)."""
    from boostpack.demo.runner import run_demo

    say = log if args.json else print
    results: dict[str, dict[str, Any]] = {}
    for name, summary in run_demo(directory, tokenizer=args.tokenizer):
        results[name] = summary
        for line in _SUMMARY_LINES[name](summary):
            say(line)
    return results
