"""Make a large ``.jsonl.zst`` ingest input from the real corpora, for memory and throughput runs.

The lines of ``qa_en`` and ``zh_poetry`` are repeated until the decompressed size is reached;
copy k gets ids prefixed ``k<k>/`` so ids stay unique while the text repeats (as a generator's
re-runs do). Lines are written as they are produced (bounded memory), in zstd frames of ~64 MB.

Measure peak RSS and MB/s of decompressed input (numbers in the issue note come from this):

    python tools/make_large_input.py /tmp/large.jsonl.zst --mb 1024
    /usr/bin/time -v boostpack ingest /tmp/large.jsonl.zst -o /tmp/large-out --json \\
        | grep -E '"(lines|records|quarantined|input_bytes|seconds)"'
    # "Maximum resident set size" in the time -v output is the peak RSS.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import zstandard

from boostpack.runtime.atomic import atomic_write

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
_FRAME = 64 << 20


def _corpus_lines(corpora: Path) -> list[bytes]:
    """The corpus lines, interleaved 1:2 (QA : poetry) so batches mix record shapes."""
    qa, zh = ((corpora / name).read_bytes() for name in ("qa_en.jsonl.zst", "zh_poetry.jsonl.zst"))
    dctx = zstandard.ZstdDecompressor()
    qa_lines = dctx.decompressobj().decompress(qa).splitlines()
    zh_lines = dctx.decompressobj().decompress(zh).splitlines()
    mixed = []
    for i, line in enumerate(qa_lines):
        mixed.append(line)
        mixed.extend(zh_lines[2 * i:2 * i + 2])
    mixed.extend(zh_lines[2 * len(qa_lines):])
    return mixed


def make_large_input(path: Path, megabytes: int, corpora: Path = CORPORA) -> int:
    """Write at least ``megabytes`` MB (10^6 B) of decompressed JSONL to ``path``; return bytes."""
    lines = _corpus_lines(corpora)
    target = megabytes * 1_000_000
    written = 0
    cctx = zstandard.ZstdCompressor(level=3)
    with atomic_write(path, "wb") as f:
        frame: list[bytes] = []
        frame_bytes = 0
        for copy in itertools.count():
            prefix = b'"id": "k%d/' % copy
            for line in lines:
                out = line.replace(b'"id": "', prefix, 1) + b"\n"
                frame.append(out)
                frame_bytes += len(out)
                if frame_bytes >= min(_FRAME, target - written):
                    f.write(cctx.compress(b"".join(frame)))
                    written += frame_bytes
                    frame, frame_bytes = [], 0
                    if written >= target:
                        return written
    raise AssertionError("unreachable")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="output .jsonl.zst file")
    parser.add_argument("--mb", type=int, default=1024, help="decompressed size in MB (10^6 B)")
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="the shared corpora directory")
    args = parser.parse_args()
    n = make_large_input(args.output, args.mb, args.corpora)
    print(f"{args.output}: {n / 1e6:,.0f} MB decompressed, "
          f"{args.output.stat().st_size / 1e6:,.0f} MB on disk", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
