"""``boostpack inspect PATH``: what is in record files, an ingest or dedup output, or a packed
dataset."""

from __future__ import annotations

import argparse
import os
from typing import Any

from boostpack.runtime.console import emit_json


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "inspect", help="summarize record files, an ingest or dedup output, or a packed dataset",
        description="Counts, field coverage, discipline/difficulty/source/language breakdowns "
        "and example records; a dedup output directory also says what was removed and why; a "
        "directory with manifest.json is described as a packed dataset.")
    p.add_argument("path", nargs="+", metavar="PATH", help="files or directories")
    p.add_argument("-n", "--examples", type=int, default=3, metavar="N",
                   help="example records to show (default 3)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=run)


def _short(value: Any, width: int = 100) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_records(s: dict[str, Any]) -> None:
    print(f"{len(s['files'])} file(s), {s['lines']:,} lines: {s['records']:,} records "
          f"({s['qa']:,} QA, {s['text']:,} text), {s['quarantined']:,} unreadable, "
          f"{s['empty']:,} empty")
    for reason, n in s["by_reason"].items():
        print(f"  unreadable {reason}: {n:,}")
    if "ingest_report" in s:
        r = s["ingest_report"]
        print(f"ingest report: {r['lines']:,} input lines -> {r['records']:,} records, "
              f"{r['quarantined']:,} quarantined, {r['empty']:,} empty")
    print("field coverage:")
    for name, share in s["field_coverage"].items():
        print(f"  {name:<16} {share:7.1%}")
    if s["chars_mean"]:
        print("mean length (chars): " + ", ".join(f"{k} {v:,.0f}" for k, v in s["chars_mean"].items()))
    for name, top in s["breakdowns"].items():
        print(f"{name}:")
        for value, n in top.items():
            print(f"  {n:>9,}  {_short(value, 70)}")
    for i, record in enumerate(s["examples"], 1):
        print(f"example {i}:")
        for key, value in record.items():
            print(f"  {key}: {_short(value)}")


def _print_dataset(d: dict[str, Any]) -> None:
    t, tok = d["totals"], d["tokenizer"]
    print(f"{d['path']}: {d['format']}, {d['shards']} shard(s), {d['bytes'] / 1e6:,.1f} MB")
    print(f"  {t['sequences']:,} sequences x {d['seq_len']} ({d['dtype']}), {t['tokens']:,} tokens, "
          f"{t['documents']:,} documents ({d['documents_per_sequence']:.1f} pieces/sequence)")
    print(f"  strategy {d['strategy']}, template {d['template']}: efficiency "
          f"{d['packing_efficiency']:.2%}, {t['padding_tokens']:,} padding tokens, "
          f"{t['split_documents']:,} documents split")
    print(f"  tokenizer {os.path.basename(str(tok.get('path', '?')))} "
          f"(sha256 {str(tok.get('sha256', '?'))[:12]}…, vocab {tok.get('vocab_size', '?')}, "
          f"bos {tok.get('bos_id')}, eos {tok.get('eos_id')}, pad {tok.get('pad_id')})")
    for ex in d["examples"]:
        print(f"sequence {ex['sequence']}: {len(ex['pieces'])} document piece(s), "
              f"{ex['padding']} padding")
        for piece in ex["pieces"]:
            content = piece.get("text", piece.get("ids"))
            print(f"  [{piece['start']:>5}+{piece['length']:<5}] doc {piece['document']} "
                  f"({piece['record_id']}): {_short(content, 90)}")


def _print_dedup(d: dict[str, Any]) -> None:
    r, params, gone = d["report"], d["params"], d["removed"]
    reasons = ", ".join(f"{k} {v:,}" for k, v in (r["reasons"] or {}).items())
    print(f"{d['path']}: dedup output: {r['input']:,} input records -> {r['kept']:,} kept, "
          f"{r['removed']:,} removed ({reasons}), {r['quarantined']:,} quarantined, "
          f"{r['empty']:,} blank lines")
    if params:
        print(f"  fields {', '.join(params.get('fields') or [])}: {params.get('shingle')} "
              f"{params.get('ngram')}-grams at threshold {params.get('threshold')}, "
              f"{params.get('num_perm')} permutations ({params.get('bands')} bands x "
              f"{params.get('rows')} rows), keep {params.get('keep')}")
    clusters, pairs = r.get("clusters") or {}, r.get("pairs") or {}
    if clusters:
        print(f"  {clusters.get('duplicate_clusters', 0):,} clusters with duplicates, largest "
              f"{clusters.get('largest', 0):,}; {pairs.get('candidate_pairs', 0):,} candidate pairs, "
              f"{pairs.get('verified_pairs', 0):,} verified")
    print(f"removed: {gone['records']:,} records")
    print("  similarity to the kept record: " + ", ".join(
        f"{k} {v:,}" for k, v in gone["similarity"].items() if v))
    for name, key in (("by input file", "by_file"), ("most removed copies of", "most_removed_copies_of")):
        print(f"  {name}:")
        for value, n in list(gone[key].items())[:5]:
            print(f"    {n:>9,}  {_short(value, 70)}")
    for i, line in enumerate(gone["examples"], 1):
        record = line.get("record")
        text = record.get("question", record.get("text")) if isinstance(record, dict) else record
        print(f"  example {i}: {line.get('reason')} copy (similarity {line.get('similarity')}) of "
              f"{line.get('dup_of')!r}, {line.get('file')}:{line.get('line_number')}: {_short(text, 70)}")
    print("kept records:")
    _print_records(d["kept"])


def run(args: argparse.Namespace) -> int:
    if len(args.path) == 1 and os.path.isfile(os.path.join(args.path[0], "manifest.json")):
        from boostpack.format.describe import (
            describe,  # the packed-dataset side; imported only here
        )

        summary = describe(args.path[0], examples=args.examples)
        if args.json:
            emit_json(summary)
        else:
            _print_dataset(summary)
        return 0
    from boostpack.ingestion.inspection import (
        inspect_dedup_output,
        inspect_records,
        is_dedup_output,
    )

    if len(args.path) == 1 and is_dedup_output(args.path[0]):
        summary = inspect_dedup_output(args.path[0], examples=args.examples)
        show = _print_dedup
    else:
        summary = inspect_records(args.path, examples=args.examples)
        show = _print_records
    if args.json:
        emit_json(summary)
    else:
        show(summary)
    return 0
