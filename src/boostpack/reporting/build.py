"""``build_report()``: what is in the data, and what dedup did to it, as JSON and one HTML page.

Each input becomes one or more *columns* (``profile.Profile``): record files or an ingest
output one, a dedup output two (``before`` = kept + removed, ``after`` = kept), a packed
dataset one with its exact token counts. Columns are streamed once; what the report keeps in
memory is counters, fixed-size histograms and fixed-size text samples. The JSON layout is
documented in ``docs/report.md``; the HTML (``page``) shows the same numbers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from boostpack._version import __version__
from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import ReadOptions, read_records
from boostpack.reporting.dedup_effects import DedupEffects
from boostpack.reporting.diversity import DiversityOptions, EmbeddingCache, column_diversity
from boostpack.reporting.inputs import RemovedReader, ReportInput, classify, read_json
from boostpack.reporting.packed import PackedInput
from boostpack.reporting.profile import DEFAULT_TEXT_FIELDS, Profile
from boostpack.reporting.sampling import Sampler
from boostpack.runtime.atomic import atomic_write

REPORT_FORMAT = "boostpack.report"
REPORT_VERSION = 1
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


class _Context:
    """What every input's reader needs: options, the token counter, a new-column factory."""

    def __init__(self, read: ReadOptions, opts: DiversityOptions, fields: Sequence[str],
                 counter: Any, log: Log) -> None:
        self.read, self.opts, self.fields, self.counter, self.log = read, opts, fields, counter, log

    def profile(self, name: str, kind: str, with_tokens: bool) -> Profile:
        category_capacity = self.opts.capacity
        return Profile(name, kind, Sampler(self.opts.capacity, category_capacity, self.opts.seed),
                       with_tokens=with_tokens, diversity_by=self.opts.by,
                       text_fields=tuple(self.fields))

    def counted(self, records: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], int]]:
        if self.counter is None:
            return ((r, 0) for r in records)
        return self.counter.counted(records)


def _records_input(inp: ReportInput, ctx: _Context) -> tuple[list[Profile], dict[str, Any]]:
    col = ctx.profile(inp.label, "records", ctx.counter is not None)
    root = Path(inp.path)
    source = root / "records" if (root / "records").is_dir() else root
    for record, tokens in ctx.counted(read_records(source, ctx.read)):
        col.add(record, tokens)
    info: dict[str, Any] = {}
    if root.is_dir() and (root / "report.json").is_file():
        ingest = read_json(root / "report.json")
        info["ingest"] = {k: ingest.get(k) for k in ("lines", "records", "quarantined", "empty",
                                                       "by_reason")}
    return [col], info


def _dedup_input(inp: ReportInput, ctx: _Context) -> tuple[list[Profile], dict[str, Any]]:
    with_tokens = ctx.counter is not None
    before = ctx.profile(f"{inp.label} (before dedup)", "dedup_before", with_tokens)
    after = ctx.profile(f"{inp.label} (after dedup)", "dedup_after", with_tokens)
    effects = DedupEffects(read_json(Path(inp.path) / "report.json"))
    removed = RemovedReader(ctx.read)
    for batch in _batches(removed.entries(inp.path), 4096):
        counted = iter(ctx.counted([r for _, r in batch if r is not None]))
        for entry, record in batch:
            before.add(record, next(counted)[1] if record is not None else 0)
            effects.add_removed(entry, record)
    for entry, record in removed.entries(inp.path, dup_of=effects.largest()):
        effects.add_member(entry, record)
    for record, n in ctx.counted(read_records(Path(inp.path) / "kept", ctx.read)):
        before.add(record, n)
        after.add(record, n)
        effects.add_kept(record)
    info = {"dedup": effects.to_dict(ctx.read), "removed_unreadable": removed.unreadable}
    return [before, after], info


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _packed_input(inp: ReportInput, ctx: _Context) -> tuple[list[Profile], dict[str, Any]]:
    col = ctx.profile(inp.label, "packed", True)
    packed = PackedInput(inp.path)
    for record, tokens in packed.documents(ctx.read):
        col.add(record, tokens)
    if col.tokens != packed.total_tokens or col.records != int(packed.manifest["totals"]["documents"]):
        raise AssertionError(f"report: {inp.path}: documents or tokens do not add up "
                             "to the manifest totals")  # a bug, never a user error
    info = {"packed": packed.describe()}
    if packed.stats.unmatched:
        ctx.log(f"report: {inp.path}: {packed.stats.unmatched:,} of {col.records:,} documents "
                "have no source record (missing or changed source files); counted as unknown")
    return [col], info


_READERS = {"records": _records_input, "dedup": _dedup_input, "packed": _packed_input}


def build_report(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str] | None = None,
    *,
    json_output: str | os.PathLike[str] | None = None,
    labels: Sequence[str] | None = None,
    tokenizer: str | os.PathLike[str] | None = None,
    template: str = "qa",
    fields: Sequence[str] = DEFAULT_TEXT_FIELDS,
    diversity: DiversityOptions | None = None,
    llm: Any = None,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    requests: Sequence[str | os.PathLike[str]] = (),
    strict: bool = False,
    log: Log | None = None,
) -> dict[str, Any]:
    """Report on ``inputs`` (record files/ingest outputs, dedup outputs, packed datasets), side
    by side; write the HTML page to ``output`` and the JSON to ``json_output`` when given;
    return the JSON as a dict.

    ``labels``: column names (default: the input's file name). ``tokenizer``: a
    ``tokenizer.json`` to count tokens of record inputs with (rendered with ``template``, as
    ``pack`` would); packed datasets always have tokens. ``fields``: the record fields whose
    text diversity is measured. ``diversity``: sample sizes, thresholds, the category field,
    embeddings (``DiversityOptions``). ``llm``: a ``ClusterAgentConfig`` to run the LLM
    cluster-agent. ``fmt``/``mapping``/``requests``/``strict``: how records are read (as for
    ``ingest``; for a packed dataset, how its source files are read again).
    """
    log = log or _quiet
    if not inputs:
        raise InvalidInput("report: no inputs")
    if labels is not None and len(labels) != len(inputs):
        raise InvalidInput(f"report: {len(labels)} labels for {len(inputs)} inputs")
    opts = diversity or DiversityOptions()
    read = ReadOptions(fmt=fmt, mapping=mapping, strict=strict, requests=tuple(requests))
    counter = None
    if tokenizer is not None:
        from boostpack.reporting.tokens import TokenCounter

        counter = TokenCounter(tokenizer, template)
    ctx = _Context(read, opts, fields, counter, log)
    cache = None
    if opts.embed:
        from boostpack.reporting.encoder import Encoder

        cache = EmbeddingCache(Encoder())
    described, columns, samplers = _columns(inputs, labels, ctx, cache)
    report: dict[str, Any] = {
        "format": REPORT_FORMAT, "version": REPORT_VERSION, "boostpack_version": __version__,
        "params": {"sizes": list(opts.sizes), "thresholds": list(opts.thresholds),
                   "diversity_by": opts.by, "text_fields": list(fields), "seed": opts.seed,
                   "tokenizer": counter.path if counter else None,
                   "template": template if counter else None,
                   "embedding": _embedding_params(opts, cache)},
        "inputs": described,
        "columns": columns,
    }
    if llm is not None:
        from boostpack.reporting.cluster_agent import run_cluster_agent

        report["cluster_agent"] = run_cluster_agent(llm, [c["name"] for c in columns],
                                                    [s.all for s in samplers], log)
    _write(report, output, json_output)
    return report


def _columns(inputs: Sequence[str | os.PathLike[str]], labels: Sequence[str] | None,
             ctx: _Context, cache: EmbeddingCache | None
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Sampler]]:
    """Read every input once: its description, its columns (with diversity), their samplers."""
    columns: list[dict[str, Any]] = []
    described: list[dict[str, Any]] = []
    samplers: list[Sampler] = []
    for i, path in enumerate(inputs):
        if not os.path.exists(path):
            raise InvalidInput(f"report: {os.fspath(path)}: no such file or directory")
        inp = classify(path, labels[i] if labels else None)
        ctx.log(f"report: reading {inp.path} ({inp.kind})")
        profiles, info = _READERS[inp.kind](inp, ctx)
        described.append({"path": inp.path, "kind": inp.kind, "label": inp.label,
                          "columns": list(range(len(columns), len(columns) + len(profiles))),
                          **info})
        for p in profiles:
            ctx.log(f"report: measuring diversity of {p.name}")
            columns.append({**p.summary(), "input": i,
                            "diversity": column_diversity(p.sampler, ctx.opts, cache)})
            samplers.append(p.sampler)
    return described, columns, samplers


# ``boostpack.report`` (the public API's name for it).
report = build_report


def _embedding_params(opts: DiversityOptions, cache: EmbeddingCache | None) -> dict[str, Any] | None:
    if cache is None:
        return None
    return {"encoder": cache.encoder.name, "texts_encoded": cache.encoded, "tau": opts.tau,
            "cluster_threshold": opts.cluster_threshold, "draws": opts.draws}


def _write(report: dict[str, Any], output: str | os.PathLike[str] | None,
           json_output: str | os.PathLike[str] | None) -> None:
    if json_output is not None:
        with atomic_write(Path(json_output)) as f:
            f.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    if output is not None:
        from boostpack.reporting.page import render_page

        with atomic_write(Path(output)) as f:
            f.write(render_page(report).encode("utf-8"))


def column_summary(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per column: records, tokens and the headline diversity numbers (distinct-2, near-dup
    rate at the first threshold) at the largest sample size every column reached."""
    sizes = report["params"]["sizes"]
    reached = [s for s in sizes if all(str(s) in c["diversity"]["overall"]
                                       for c in report["columns"])]
    size = str(reached[-1]) if reached else None
    threshold = f"t={report['params']['thresholds'][0]:g}"
    out = []
    for c in report["columns"]:
        sample = c["diversity"]["overall"].get(size) if size else None
        out.append({"name": c["name"], "records": c["records"], "tokens": c["tokens"],
                    "sample_size": int(size) if size else None,
                    "distinct_2": sample["lexical"]["distinct_2"] if sample else None,
                    "threshold": threshold,
                    "near_dup_rate": sample["neardup"][threshold]["duplicate_rate"] if sample else None})
    return out


def demo_step(workdir: str | os.PathLike[str],
              tokenizer: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The report at the end of ``boostpack demo``: the ingested records, the dedup output
    (before and after) and the packed QA set, side by side, written to ``workdir/report.html``
    and ``report.json``. Tokens of the record inputs are counted with ``tokenizer`` (default:
    the demo's ``workdir/tokenizer.json`` when there is one). Returns where it wrote and
    ``column_summary``."""
    root = Path(workdir)
    if tokenizer is None and (root / "tokenizer.json").is_file():
        tokenizer = root / "tokenizer.json"
    html, json_path = root / "report.html", root / "report.json"
    report = build_report([root / "ingested", root / "dedup", root / "packed-qa"], html,
                          json_output=json_path, labels=["ingested", "dedup", "packed"],
                          tokenizer=tokenizer)
    return {"html": str(html), "json": str(json_path), "columns": column_summary(report)}
