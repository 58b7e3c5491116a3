"""``boostpack report``: what is in the data and what dedup did to it, as one HTML page and JSON
(``boostpack.reporting.build_report``)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from boostpack.commands._reading import add_read_options, read_kwargs


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}") from None


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="report the mix, lengths, dedup effects and diversity of datasets",
        description="Records and tokens by discipline, difficulty, grade, synth_type, source and "
        "language; length distributions; what dedup removed; lexical, MinHash and (optional) "
        "embedding and LLM cluster-agent diversity. INPUTs are record files or an ingest "
        "output, dedup outputs (shown before and after dedup) or packed datasets, side by "
        "side. Writes one self-contained HTML page and the same numbers as JSON.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or directories")
    p.add_argument("-o", "--output", metavar="HTML", help="the HTML page to write "
                   "(the JSON goes beside it, same name with .json)")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    p.add_argument("--label", action="append", metavar="NAME",
                   help="name of each input's column(s), in input order (repeat per input)")
    p.add_argument("--tokenizer", metavar="PATH", help="tokenizer.json to count tokens of record "
                   "inputs with, as pack would (packed datasets always have token counts)")
    p.add_argument("--template", default="qa", choices=("qa", "qa+reasoning", "text"),
                   help="pack template the token counts assume (default qa)")
    p.add_argument("--fields", default="question,answer",
                   help="record fields whose text diversity is measured (default question,answer)")
    g = p.add_argument_group("diversity")
    g.add_argument("--sample-sizes", type=_ints, default=(200, 1000), metavar="N,N",
                   help="sample sizes the diversity metrics are computed at (default 200,1000)")
    g.add_argument("--thresholds", type=_floats, default=(0.5, 0.7, 0.9), metavar="T,T",
                   help="MinHash similarity thresholds (default 0.5,0.7,0.9)")
    g.add_argument("--by", default="discipline", metavar="FIELD",
                   help="metadata field of the per-category diversity (default discipline)")
    g.add_argument("--embed", action="store_true", help="embedding metrics (Vendi, DCScore, "
                   "cluster surrogate) with the local encoder: pip install 'boostpack[embed]'")
    g.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    _add_llm_options(p)
    add_read_options(p)
    p.set_defaults(func=run)


def _add_llm_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("LLM cluster-agent (arXiv 2410.15226)")
    g.add_argument("--llm-endpoint", metavar="URL",
                   help="OpenAI-compatible API base, e.g. http://localhost:8000/v1")
    g.add_argument("--llm-model", metavar="NAME", help="model name sent to the endpoint")
    g.add_argument("--llm-preset", default="quick", choices=("quick", "standard", "paper"),
                   help="K,N,J,M: quick 10,50,5,5; standard 10,500,5,20; paper 10,5000,5,100")
    for name in ("k", "n", "j", "m"):
        g.add_argument(f"--llm-{name}", type=int, metavar=name.upper(),
                       help=f"override the preset's {name.upper()}")
    g.add_argument("--llm-concurrency", type=int, default=4, help="parallel requests (default 4)")
    g.add_argument("--llm-budget-calls", type=int, metavar="N", help="stop before call N+1")
    g.add_argument("--llm-budget-tokens", type=int, metavar="N",
                   help="stop once N prompt+completion tokens are spent")
    g.add_argument("--llm-cache", metavar="DIR",
                   help="response cache (default: beside the output, NAME.llm-cache)")
    g.add_argument("--llm-api-key-env", default="OPENAI_API_KEY", metavar="VAR",
                   help="environment variable holding the API key (default OPENAI_API_KEY)")
    g.add_argument("--llm-estimate-only", action="store_true",
                   help="print the cost estimate and make no call")


def _llm_config(args: argparse.Namespace) -> Any:
    if not args.llm_endpoint and not args.llm_model:
        return None
    if not (args.llm_endpoint and args.llm_model):
        raise ValueError("--llm-endpoint and --llm-model go together")
    from boostpack.reporting.cluster_agent import ClusterAgentConfig

    base = os.path.splitext(args.output)[0] if args.output else "report"
    return ClusterAgentConfig(
        endpoint=args.llm_endpoint, model=args.llm_model,
        cache_dir=args.llm_cache or f"{base}.llm-cache", preset=args.llm_preset,
        k=args.llm_k, n=args.llm_n, j=args.llm_j, m=args.llm_m, concurrency=args.llm_concurrency,
        budget_calls=args.llm_budget_calls, budget_tokens=args.llm_budget_tokens,
        api_key_env=args.llm_api_key_env, estimate_only=args.llm_estimate_only, seed=args.seed)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """What a person reads after a report: where it is and each column's headline numbers
    (``summary``: ``{"html", "json", "columns": build.column_summary(...)}``)."""
    lines = [f"report: {len(summary['columns'])} column(s) -> {summary['html'] or '(no HTML)'}"
             + (f" and {summary['json']}" if summary["json"] else "")]
    for c in summary["columns"]:
        tokens = f", {c['tokens']:,} tokens" if c["tokens"] is not None else ""
        diversity = ""
        if c["sample_size"]:
            diversity = (f"; samples of {c['sample_size']:,}: distinct-2 {c['distinct_2']:.3f}, "
                         f"near-dup rate {c['near_dup_rate']:.1%} at {c['threshold']}")
        lines.append(f"  {c['name']}: {c['records']:,} records{tokens}{diversity}")
    return lines


def run(args: argparse.Namespace) -> int:
    from boostpack.reporting.build import build_report, column_summary
    from boostpack.reporting.diversity import DiversityOptions
    from boostpack.runtime.console import emit_json, log

    if not args.output and not args.json:
        raise ValueError("nothing to write: give -o report.html and/or --json")
    fields = tuple(f.strip() for f in args.fields.split(",") if f.strip())
    diversity = DiversityOptions(sizes=args.sample_sizes, thresholds=args.thresholds, by=args.by,
                                 embed=args.embed, seed=args.seed)
    json_output = os.path.splitext(args.output)[0] + ".json" if args.output else None
    report = build_report(args.inputs, args.output, json_output=json_output, labels=args.label,
                          tokenizer=args.tokenizer, template=args.template, fields=fields,
                          diversity=diversity, llm=_llm_config(args), log=log, **read_kwargs(args))
    lines = summary_lines({"html": args.output, "json": json_output,
                           "columns": column_summary(report)})
    for line in lines:  # the summary is stdout's, unless --json claims it for the data
        (log if args.json else print)(line)
    if args.json:
        emit_json(report)
    return 0
