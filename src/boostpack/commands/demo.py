"""``boostpack demo [-o DIR]``: the whole pipeline on a generated sample, with a readable summary."""

from __future__ import annotations

import argparse
import tempfile
from typing import Any

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


def run(args: argparse.Namespace) -> int:
    from boostpack.demo.runner import Step, run_demo

    # The summary is this command's output: stdout, unless --json claims stdout for the data.
    say = log if args.json else print

    def show(step: Step, summary: dict[str, Any]) -> None:
        for line in step.describe(summary):
            say(line)

    if args.output:
        results = run_demo(args.output, show, tokenizer=args.tokenizer)
    else:
        with tempfile.TemporaryDirectory(prefix="boostpack-demo-") as tmp:
            results = run_demo(tmp, show, tokenizer=args.tokenizer)
    if args.json:
        emit_json(results)
    return 0
