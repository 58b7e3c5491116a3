"""``boostpack dedup``: exact + near-duplicate removal and decontamination (``boostpack.dedup``)."""

from __future__ import annotations

import argparse
from typing import Any

from boostpack.commands._output import add_overwrite_option
from boostpack.commands._reading import (
    add_read_options,
    add_record_limit_option,
    parse_mapping,
    read_kwargs,
)
from boostpack.commands._running import add_backend_options, backend_kwargs
from boostpack.deduplication.settings import (
    DEFAULT_ANSWER_THRESHOLD,
    DEFAULT_BOILERPLATE_DF,
    DEFAULT_FIELDS,
    DEFAULT_NGRAM,
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    DEFAULT_SHINGLE,
    DEFAULT_THRESHOLD,
    DIGIT_MODES,
    KEEP_POLICIES,
    SHINGLES,
)
from boostpack.runtime.console import emit_json, log


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "dedup",
        help="remove exact and near duplicates, and benchmark contamination",
        description="Remove exact duplicates (normalized text), near duplicates (MinHash LSH, "
        "verified by signature Jaccard) and records close to reference sets. Writes "
        "OUTDIR/kept/*.jsonl.zst (original lines), removed/*.jsonl.zst (reason, dup_of, "
        "similarity, original line), quarantine/*.jsonl and report.json (last). Rerunning an "
        "interrupted run into the same OUTDIR resumes it.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or directories to dedup")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    p.add_argument("--threshold", type=float, help="Jaccard similarity of a near duplicate "
                   f"(default {DEFAULT_THRESHOLD}, measured on real QA)")
    p.add_argument("--num-perm", type=int, default=DEFAULT_NUM_PERM,
                   help=f"MinHash permutations (default {DEFAULT_NUM_PERM})")
    p.add_argument("--shingle", choices=SHINGLES, help=f"shingle unit (default {DEFAULT_SHINGLE})")
    p.add_argument("--ngram", type=int, help=f"shingle length in units (default {DEFAULT_NGRAM})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"MinHash seed (default {DEFAULT_SEED})")
    p.add_argument("--digits", choices=DIGIT_MODES,
                   help="digits in normalized text: kept (default) or all mapped to 0")
    p.add_argument("--bands", type=int, help="LSH bands (default: optimal for threshold)")
    p.add_argument("--rows", type=int, help="LSH rows per band (with --bands)")
    p.add_argument("--fields", default=",".join(DEFAULT_FIELDS),
                   help=f"record fields whose text is compared (default {','.join(DEFAULT_FIELDS)})")
    p.add_argument("--against", nargs="+", action="extend", default=[], metavar="REF",
                   help="reference files (e.g. benchmark test sets): inputs near them are removed; "
                   "questions without answers are fine")
    p.add_argument("--against-map", type=parse_mapping, metavar="NAME=FIELD,...",
                   help="the reference files' own field mapping, e.g. question=prompt,answer=target "
                   "(their format is detected on its own; --map and --format are the inputs')")
    p.add_argument("--decontam-ngram", type=int, metavar="N",
                   help="also remove inputs sharing a word N-gram with a reference (e.g. 13)")
    p.add_argument("--decontam-min-overlap", type=float, metavar="FRACTION",
                   help="with --decontam-ngram: need this share of the input's n-grams, not one")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument("--keep", choices=KEEP_POLICIES,
                      help="which duplicate to keep (default first in input order)")
    keep.add_argument("--keep-max", metavar="FIELD",
                      help="keep the duplicate with the largest numeric FIELD (ties: first)")
    p.add_argument("--no-verify", action="store_true",
                   help="union every LSH candidate pair without checking its signature Jaccard")
    p.add_argument("--no-answer-check", dest="answer_check", action="store_false",
                   help="compare question and answer as one text, as web-corpus dedup does: "
                   "records with different answers may be duplicates (by default a near pair must "
                   "have the same question numbers and agreeing answers)")
    p.add_argument("--answer-threshold", type=float, default=DEFAULT_ANSWER_THRESHOLD, metavar="SIMILARITY",
                   help="sketch similarity at which two long answers agree "
                   f"(default {DEFAULT_ANSWER_THRESHOLD})")
    p.add_argument("--boilerplate-df", type=float, metavar="FRACTION",
                   help="shingles in more than this share of the documents (sampled) do not count; "
                   f"0 turns it off (default {DEFAULT_BOILERPLATE_DF})")
    p.add_argument("--workers", type=int,
                   help="worker processes (default: all cores; the output is the same)")
    p.add_argument("--memory", default="4G", help="memory budget of the clustering phase (4G)")
    add_read_options(p)
    add_record_limit_option(p)
    add_backend_options(p)
    add_overwrite_option(p)
    p.add_argument("--json", action="store_true", help="print report.json to stdout")
    p.set_defaults(func=run)


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The human summary of a dedup report: the counts, then a line per reference file."""
    reasons = ", ".join(f"{k} {v:,}" for k, v in report["reasons"].items())
    lines = [f"dedup: {report['input']:,} records -> kept {report['kept']:,}, removed "
             f"{report['removed']:,} ({reasons}), quarantined {report['quarantined']:,} in "
             f"{report['timings']['total']:.1f}s"]
    run = report.get("execution")
    if run and run["backend"] != "local":
        retried = "?" if run["retried"] is None else f"{run['retried']:,}"
        lines.append(f"  {run['backend']}: {run['tasks']:,} tasks on {run['nodes']} node(s), "
                     f"{retried} retried, {run['resumed']:,} found done")
    for ref in report.get("against", {}).get("per_file", []):
        lines.append(f"dedup: against {ref['file']}: {ref['indexed']:,} of {ref['records']:,} "
                     f"records indexed, {ref['removed']:,} inputs removed")
    return lines


def run(args: argparse.Namespace) -> int:
    from boostpack.deduplication.settings import WORKER_MODULES
    from boostpack.runtime.backends import workers_started_early
    from boostpack.runtime.executor import resolve_workers

    local = resolve_workers(args.workers) if args.backend == "local" else 1
    # The workers import the stage while this process does (see workers_started_early).
    with workers_started_early(local, WORKER_MODULES):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from boostpack.deduplication.pipeline import dedup

    report = dedup(
        args.inputs, args.output, threshold=args.threshold, num_perm=args.num_perm,
        shingle=args.shingle, ngram=args.ngram, seed=args.seed, digits=args.digits, bands=args.bands, rows=args.rows,
        fields=args.fields, against=args.against, keep=args.keep or "first", keep_max=args.keep_max,
        verify=not args.no_verify, decontam_ngram=args.decontam_ngram,
        decontam_min_overlap=args.decontam_min_overlap, answer_check=args.answer_check,
        answer_threshold=args.answer_threshold, boilerplate_df=args.boilerplate_df,
        against_map=args.against_map, workers=args.workers,
        memory=args.memory, overwrite=args.overwrite, max_record_bytes=args.max_record_bytes,
        **read_kwargs(args), **backend_kwargs(args),
    )
    for line in summary_lines(report):
        log(line)
    if args.json:
        emit_json(report)
    return 0
