"""What the QA safeguards of dedup cost: the defaults against each safeguard off and plain text
dedup, end to end on the same input, in one run.

    python benchmarks/compare_qa_safeguards.py --mb 150 --workers 2 --repeat 5

The input is ``compare_dedup_e2e.py``'s (real QA plus verbatim and one-word-edited copies, one
file here). Each round runs every configuration once, in turn (the machine may be shared:
compare within one invocation); reported per configuration: best and median wall time, best CPU
seconds of the process tree, and the ratio of the best CPU time to plain text dedup's. The
configurations: ``default`` (answer check and boilerplate filter), ``--boilerplate-df 0``,
``--no-answer-check``, and both off (text dedup, what dedup did before the QA rules).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from compare_dedup_e2e import build, run

CONFIGS = {
    "default": (),
    "no boilerplate filter": ("--boilerplate-df", "0"),
    "no answer check": ("--no-answer-check",),
    "text dedup": ("--no-answer-check", "--boilerplate-df", "0"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=150)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/boostpack-bench-dedup-1file"))
    args = ap.parse_args()
    inputs = build(args.data_dir / "data", args.mb, 1)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
    for _ in range(args.repeat):
        for name, extra in CONFIGS.items():
            runs[name].append(run(inputs, args.data_dir / "out", args.workers, extra))
    text_cpu = min(r["cpu"] for r in runs["text dedup"])
    first = runs["default"][0]
    print(f"{first['mb']:.0f} MB, {first['docs']:,} records; {args.workers} workers; best of {args.repeat}")
    print("config                  best wall s  median wall s  best CPU s  CPU vs text dedup  removed")
    for name, rs in runs.items():
        cpu = min(r["cpu"] for r in rs)
        print(f"{name:22s} {min(r['wall'] for r in rs):12.2f} {statistics.median(r['wall'] for r in rs):14.2f} "
              f"{cpu:11.2f} {cpu / text_cpu:17.3f} {int(rs[0]['removed']):8,}")


if __name__ == "__main__":
    main()
