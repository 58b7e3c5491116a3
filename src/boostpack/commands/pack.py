"""``boostpack pack``: tokenize and pack records into fixed-length shards (``boostpack.pack``)."""

from __future__ import annotations

import argparse
from typing import Any

from boostpack.commands._output import add_overwrite_option
from boostpack.commands._reading import add_read_options, read_kwargs
from boostpack.commands._running import add_backend_options, backend_kwargs
from boostpack.packing.config import (
    DEFAULT_MAX_RECORD_BYTES,
    DEFAULT_SEQ_LEN,
    DEFAULT_SHARD_SIZE,
    DEFAULT_TASK_BYTES,
    DEFAULT_WINDOW,
    ENGINES,
    LOSS_ON,
    STRATEGIES,
    TEMPLATES,
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "pack",
        help="tokenize and pack records into fixed-length token shards",
        description="Render each record with a template, tokenize it (gigatoken when its ids "
        "match Hugging Face tokenizers on a sample of the input, else tokenizers), pack the "
        "documents into sequences of --seq-len tokens and write OUTDIR/manifest.json (last), "
        "shard-*.tokens, shard-*.index and the document table (format: docs/format.md). "
        "Rerunning into an unfinished OUTDIR with the same inputs and options resumes it.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or directories to pack")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    p.add_argument("--tokenizer", required=True, metavar="PATH",
                   help="tokenizer.json (or a directory holding one); never downloaded")
    p.add_argument("--seq-len", type=int, default=DEFAULT_SEQ_LEN,
                   help=f"tokens per sequence ({DEFAULT_SEQ_LEN})")
    p.add_argument("--strategy", choices=STRATEGIES, default="bestfit",
                   help="bestfit (default: never split a document that fits), concat, pad")
    p.add_argument("--template", choices=TEMPLATES, default="qa",
                   help="how a record becomes text (default qa: question, blank line, answer)")
    p.add_argument("--no-bos", dest="add_bos", action="store_false",
                   help="do not start each document with the tokenizer's BOS")
    p.add_argument("--no-eos", dest="add_eos", action="store_false",
                   help="do not end each document with the tokenizer's EOS")
    p.add_argument("--pad-id", type=int, help="padding token id (default: the tokenizer's "
                   "pad token, else EOS, else 0)")
    p.add_argument("--workers", type=int, help="cores to use (default: all); the output does "
                   "not depend on it")
    p.add_argument("--shard-size", default=DEFAULT_SHARD_SIZE,
                   help=f"bytes of tokens per shard ({DEFAULT_SHARD_SIZE})")
    p.add_argument("--tokenizer-engine", choices=ENGINES, default="auto",
                   help="auto (default), hf (Hugging Face tokenizers) or giga (gigatoken)")
    p.add_argument("--window", type=int, default=DEFAULT_WINDOW,
                   help=f"documents per best-fit window ({DEFAULT_WINDOW})")
    p.add_argument("--loss-on", choices=LOSS_ON, default="all",
                   help="all (default): every token carries loss; answer: the index marks each "
                   "document's prompt (question, or chat turns before the answer) as loss-free")
    p.add_argument("--max-record-bytes", default=DEFAULT_MAX_RECORD_BYTES,
                   help="quarantine input lines longer than this as too_large "
                   f"({DEFAULT_MAX_RECORD_BYTES})")
    p.add_argument("--task-bytes", default=DEFAULT_TASK_BYTES,
                   help="input bytes per task: inputs are cut into tasks of about this size, "
                   f"each packed on its own and resumable ({DEFAULT_TASK_BYTES})")
    add_read_options(p)
    add_backend_options(p)
    add_overwrite_option(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON to stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from boostpack.packing.pipeline import pack
    from boostpack.runtime.console import emit_json, log

    summary = pack(
        args.inputs, args.output, tokenizer=args.tokenizer, seq_len=args.seq_len,
        strategy=args.strategy, template=args.template, add_bos=args.add_bos,
        add_eos=args.add_eos, pad_id=args.pad_id, workers=args.workers,
        shard_size=args.shard_size, tokenizer_engine=args.tokenizer_engine, window=args.window,
        loss_on=args.loss_on, max_record_bytes=args.max_record_bytes,
        task_bytes=args.task_bytes, overwrite=args.overwrite, **read_kwargs(args),
        **backend_kwargs(args),
    )
    if args.json:
        emit_json(summary)
    else:
        s = summary
        log(f"packed {s['documents']:,} documents ({s['records']:,} records, "
            f"{s['empty_records']:,} empty, {s['quarantined_records']:,} quarantined) into "
            f"{s['sequences']:,} sequences of {s['seq_len']} in {s['shards']} shard(s): "
            f"{s['tokens']:,} tokens, efficiency {s['packing_efficiency']:.2%}, "
            f"{s['split_documents']:,} documents split; {s['mb_per_s']:.1f} MB/s, "
            f"{s['tokens_per_s'] / 1e6:.2f}M tokens/s ({s['engine']}, {s['tasks']} task(s)) "
            f"-> {s['output']}")
    return 0
