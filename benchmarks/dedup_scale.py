"""How ``boostpack dedup`` grows with the corpus: CPU, pairs, memory and scratch per record.

    python benchmarks/dedup_scale.py --sizes 500000 1000000 2000000 4000000 --workers 2 \
        --json scale.json
    python benchmarks/dedup_scale.py --simulate 100000000 --sim-bands 1   # clustering only

Inputs come from ``boostpack.demo.sample.stream`` (realistic synthetic QA, ~2 KB and ~500
Llama-3 tokens a record, 3% exact and 7% near copies, no data files needed): generated once per
size into ``--data-dir`` (a temporary directory, removed at the end, unless given; a given one
keeps the inputs, and a later run with the same sizes and seed reuses them) as ``.jsonl.zst`` in
16 MB frames, which dedup splits into tasks. ``--dedup-args`` go to every ``dedup`` run as they
are (e.g. ``--dedup-args=--no-answer-check`` for text dedup). Each run is the real CLI in a
subprocess. The CPU of each phase is ``report.json``'s ``execution.phase_cpu`` (the process
tree's CPU time read by dedup itself at the phase boundaries); where it is missing, the CPU time
of the process tree sampled every ``--poll`` seconds is cut at the phases' wall-clock
``timings``, which misplaces up to ~0.5 s of CPU per boundary. Sampled too: the peak RSS of the
parent and of the largest worker, and the size of ``OUTDIR/.work`` (peak scratch). Total CPU is
exact (``getrusage`` of the children). Reported per size: CPU-s per million records by phase,
candidate pairs, the peaks; across sizes, the fitted growth exponent (log-log slope) of total
CPU, clustering CPU and pairs: 1.0 is linear.

``--simulate N`` runs clustering alone on N documents of synthetic band keys, in a subprocess:
per band, ``PairFinder`` (the sort of (key, doc) entries, spilled to sorted runs past
``--memory``) and the star pairs into ``UnionFind``, with ``--dup-share`` of the documents
sharing a band key with an earlier one. It reports seconds and bytes per document and the peak
RSS; bands are independent, so ``--sim-bands 1`` times one and the report scales to 25.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from boostpack.demo.sample.stream import write_qa

PHASES = ("read_sign", "cluster", "write")
TARGET_RECORDS = 200_000_000  # ~100B tokens of synthesized QA, the size dedup must reach


def _proc_stat(pid: int) -> tuple[float, float, int] | None:
    """(own CPU s, reaped children's CPU s, RSS bytes) of ``pid`` from /proc, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    tick, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    # fields[0] is the state (field 3); utime, stime, cutime, cstime are fields 14-17, rss 24.
    own = (int(fields[11]) + int(fields[12])) / tick
    reaped = (int(fields[13]) + int(fields[14])) / tick
    return own, reaped, int(fields[21]) * page


def _children(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(c) for c in f.read().split()]
                out += kids
                stack += kids
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def _dir_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                continue
    return total


class _Sampler(threading.Thread):
    """Polls a process tree: timeline of (time, tree CPU s), peak RSS of the root and of its
    largest descendant, peak bytes under ``scratch``."""

    def __init__(self, proc: subprocess.Popen, scratch: Path, poll: float) -> None:
        super().__init__(daemon=True)
        self.proc, self.scratch, self.poll = proc, scratch, poll
        self.timeline: list[tuple[float, float]] = []
        self.rss_parent = self.rss_worker = self.scratch_peak = 0

    def run(self) -> None:
        while self.proc.poll() is None:
            root = _proc_stat(self.proc.pid)
            if root is None:
                break
            cpu = root[0] + root[1]
            self.rss_parent = max(self.rss_parent, root[2])
            for child in _children(self.proc.pid):
                stat = _proc_stat(child)
                if stat is not None:
                    cpu += stat[0]  # a child's reaped children are in its cutime only once reaped
                    self.rss_worker = max(self.rss_worker, stat[2])
            self.timeline.append((time.monotonic(), cpu))
            self.scratch_peak = max(self.scratch_peak, _dir_bytes(self.scratch))
            time.sleep(self.poll)


def _cpu_at(timeline: list[tuple[float, float]], t: float) -> float:
    """Tree CPU seconds at time ``t``, interpolated between samples."""
    times = [s[0] for s in timeline]
    return float(np.interp(t, times, [s[1] for s in timeline]))


def run_dedup(path: Path, out: Path, workers: int, memory: str, poll: float,
              extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """One ``boostpack dedup`` run of ``path`` into ``out`` (``extra``: more CLI options): its
    report and what was sampled."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "boostpack", "dedup", str(path), "-o", str(out),
           "--workers", str(workers), "--memory", memory, "--json", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sampler = _Sampler(proc, out / ".work", poll)
    sampler.start()
    stdout, _ = proc.communicate()
    end = time.monotonic()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"dedup failed with exit code {proc.returncode}: {' '.join(cmd)}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    timeline = [*sampler.timeline, (end, cpu)]
    phase_cpu = report.get("execution", {}).get("phase_cpu")
    if not phase_cpu:
        # Without the report's own figures (no /proc): the phases run back to back and end just
        # before the process exits, so the sampled timeline is cut at their wall times.
        t = end - report["timings"]["total"] - 0.05
        phase_cpu, last = {}, _cpu_at(timeline, t)
        for name in PHASES:
            t += report["timings"].get(name, 0.0)
            now = _cpu_at(timeline, t)
            phase_cpu[name], last = now - last, now
    phase_cpu["other"] = cpu - sum(phase_cpu.values())  # start-up, imports, joining outputs
    return {"records": report["input"], "input_bytes": report["input_bytes"],
            "removed": report["removed"], "reasons": report.get("reasons", {}),
            "pairs": report.get("pairs", {}), "cpu": cpu, "phase_cpu": phase_cpu,
            "wall": report["timings"]["total"], "rss_parent": sampler.rss_parent,
            "rss_worker": sampler.rss_worker, "scratch_peak": sampler.scratch_peak,
            "timings": report["timings"], "samples": len(timeline),
            "execution": report.get("execution", {})}


def slope(xs: list[float], ys: list[float]) -> float | None:
    """The log-log slope of ys over xs (the growth exponent), None with fewer than 2 points."""
    pts = [(x, y) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    return float(np.polyfit(np.log([p[0] for p in pts]), np.log([p[1] for p in pts]), 1)[0])


def _input(data_dir: Path, n: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The generated input of ``n`` records in ``data_dir`` (made unless an earlier run left
    it, with its counts beside it) and its counts, with the CPU seconds generating it took."""
    path = data_dir / f"qa-{n}-{seed}.jsonl.zst"
    counts = path.with_name(path.name + ".json")
    if path.exists() and counts.exists():
        return path, json.loads(counts.read_text())
    start = time.process_time()
    made = {**write_qa(path, n, seed), "generate_cpu": time.process_time() - start}
    counts.write_text(json.dumps(made))
    return path, made


def scale(sizes: list[int], data_dir: Path, workers: int, memory: str, poll: float,
          seed: int, extra: tuple[str, ...] = (), keep_inputs: bool = False) -> dict[str, Any]:
    rows = []
    for n in sizes:
        path, made = _input(data_dir, n, seed)
        row = run_dedup(path, data_dir / "out", workers, memory, poll, extra)
        row["generate_cpu"] = made["generate_cpu"]
        row["kinds"] = {k: made[k] for k in ("base", "exact", "near")}
        row["file_bytes"] = path.stat().st_size
        if not keep_inputs:
            path.unlink()
        shutil.rmtree(data_dir / "out", ignore_errors=True)
        rows.append(row)
        _print_row(row)
    ns = [r["records"] for r in rows]
    growth = {"total_cpu": slope(ns, [r["cpu"] for r in rows]),
              "cluster_cpu": slope(ns, [r["phase_cpu"]["cluster"] for r in rows]),
              "candidate_pairs": slope(ns, [r["pairs"].get("candidate_pairs", 0) for r in rows]),
              "scratch_peak": slope(ns, [r["scratch_peak"] for r in rows])}
    return {"rows": rows, "growth_exponent": growth, "extrapolated": extrapolate(rows, growth)}


def extrapolate(rows: list[dict[str, Any]], growth: dict[str, float | None],
                target: int = TARGET_RECORDS) -> dict[str, float]:
    """The largest run's figures carried to ``target`` records along the fitted power laws
    (scratch and CPU per record grow as N^(exponent - 1))."""
    last = rows[-1]
    ratio = target / last["records"]
    values = {"total_cpu": last["cpu"], "cluster_cpu": last["phase_cpu"]["cluster"],
              "candidate_pairs": last["pairs"].get("candidate_pairs", 0),
              "scratch_peak": last["scratch_peak"]}
    return {k: v * ratio ** growth[k] for k, v in values.items() if growth.get(k) is not None}


def _print_row(r: dict[str, Any]) -> None:
    m = r["records"] / 1e6
    per = "  ".join(f"{r['phase_cpu'][p] / m:7.1f}" for p in (*PHASES, "other"))
    print(f"{r['records']:>10,} {r['input_bytes'] / 1e9:6.2f} {r['cpu'] / m:8.1f}  {per} "
          f"{r['pairs'].get('candidate_pairs', 0):>12,} {r['pairs'].get('verified_pairs', 0):>10,} "
          f"{r['rss_parent'] / 2**20:7,.0f} {r['rss_worker'] / 2**20:7,.0f} "
          f"{r['scratch_peak'] / r['records']:8,.0f} {r['input_bytes'] / 1e6 / r['cpu']:7.1f}",
          flush=True)


HEADER = ("   records     GB  CPU-s/M   sign/M  clust/M  write/M  other/M   cand pairs   verified "
          "RSS par  RSS wkr  scratch B/rec  MB/CPU-s")


# ---- clustering-only simulation ------------------------------------------------------------

def _simulate_child(n: int, bands: int, dup_share: float, memory: int, spill: str) -> dict[str, Any]:
    """Runs in its own process: ``bands`` bands of ``PairFinder`` + ``UnionFind`` over n docs."""
    from boostpack.deduplication.candidates import PairFinder
    from boostpack.deduplication.unionfind import UnionFind

    step = 1 << 20
    start = time.process_time()
    uf = UnionFind(n)
    pairs = 0
    band_cpu = []
    for band in range(bands):
        t = time.process_time()

        def chunks(band: int = band):
            for s in range(0, n, step):
                e = min(s + step, n)
                docs = np.arange(s, e, dtype=np.uint32)
                rng = np.random.default_rng((band, s))
                keys = rng.integers(0, 2**63, e - s, dtype=np.uint64)
                dup = np.flatnonzero(rng.random(e - s) < dup_share)
                dup = dup[dup > 0]
                keys[dup] = keys[rng.integers(0, dup)]  # share the key of an earlier document
                yield keys, docs

        finder = PairFinder(0, memory, spill)
        for a, b in finder.pairs(chunks(), size_hint=n):
            uf.union(a, b)
            pairs += len(a)
        band_cpu.append(time.process_time() - t)
    roots = uf.roots()
    clustered = int((roots != np.arange(n, dtype=np.uint32)).sum())
    return {"n": n, "bands": bands, "pairs": pairs, "clustered": clustered,
            "band_cpu": band_cpu, "cpu": time.process_time() - start,
            "spilled_runs": finder.runs_spilled,
            "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def simulate(n: int, bands: int, dup_share: float, memory: int, spill: Path) -> dict[str, Any]:
    """``_simulate_child`` in a fresh process (its peak RSS is the simulation's alone), with the
    peak size of its spill directory."""
    spill.mkdir(parents=True, exist_ok=True)
    here = str(Path(__file__).parent)
    code = (f"import json, sys; sys.path.insert(0, {here!r}); import dedup_scale as d; "
            f"print(json.dumps(d._simulate_child({n}, {bands}, {dup_share!r}, {memory}, {str(spill)!r})))")
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _dir_bytes(spill))
        time.sleep(0.5)
    out = json.loads(proc.communicate()[0])
    if proc.returncode:
        raise SystemExit("simulation failed")
    out.update(wall=time.monotonic() - start, spill_peak=peak,
               cpu_per_doc_25_bands=sum(out["band_cpu"]) / bands * 25 / n,
               rss_per_doc=out["rss_peak"] / n)
    print(f"simulate {n:,} docs, {bands} band(s), memory {memory / 2**20:,.0f} MiB: "
          f"{out['cpu']:.1f} CPU-s ({1e9 * out['cpu'] / n / bands:.0f} ns/doc/band incl. union-find; "
          f"{1e6 * out['cpu_per_doc_25_bands']:.2f} µs/doc at 25 bands), {out['pairs']:,} pairs, "
          f"peak RSS {out['rss_peak'] / 2**20:,.0f} MiB ({out['rss_per_doc']:.1f} B/doc), "
          f"spill peak {peak / 2**20:,.0f} MiB, {out['spilled_runs']} runs", flush=True)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[500_000, 1_000_000, 2_000_000, 4_000_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory", default="4G", help="dedup --memory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--poll", type=float, default=0.25, help="sampling period, seconds")
    ap.add_argument("--data-dir", type=Path, help="inputs and outputs (default: a temp dir, removed)")
    ap.add_argument("--simulate", type=int, nargs="*", default=[], help="clustering-only sizes")
    ap.add_argument("--sim-bands", type=int, default=1)
    ap.add_argument("--sim-memory", type=int, default=1 << 30, help="pair finder budget, bytes")
    ap.add_argument("--dup-share", type=float, default=0.1)
    ap.add_argument("--dedup-args", default="", help="more dedup options, space-separated")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    tmp = None if args.data_dir else tempfile.mkdtemp(prefix="boostpack-scale-")
    data_dir = args.data_dir or Path(tmp)
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"{args.workers} workers, --memory {args.memory}")
        result: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()},
                                  "load_average": os.getloadavg()}
        if args.sizes:
            print(HEADER)
            result["scale"] = scale(args.sizes, data_dir, args.workers, args.memory, args.poll,
                                    args.seed, tuple(args.dedup_args.split()),
                                    keep_inputs=tmp is None)
            g = result["scale"]["growth_exponent"]
            print("growth exponents (1.0 = linear): " + ", ".join(
                f"{k} {v:.2f}" if v is not None else f"{k} -" for k, v in g.items()))
            print(f"at {TARGET_RECORDS:,} records along those laws: " + ", ".join(
                f"{k} {v:.3g}" for k, v in result["scale"]["extrapolated"].items()))
        result["simulation"] = [simulate(n, args.sim_bands, args.dup_share, args.sim_memory,
                                         data_dir / "spill") for n in args.simulate]
        if args.json:
            args.json.write_text(json.dumps(result, indent=1))
        return result
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
