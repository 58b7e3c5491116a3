"""Instructions per input byte in each stage of the signature kernel, counted by callgrind: the
per-byte budget in docs/signature-kernel.md.

    python tools/profile_signature_stages.py [--corpus qa_en|zh_poetry] [--docs 20000]

Signs the corpus's first ``--docs`` documents with char 5-grams and with word 5-grams, each under
``valgrind --tool=callgrind`` collecting inside ``bp_minhash_batch`` only (no Python), and sums
the instructions by kernel function. Valgrind does not emulate AVX-512, so the kernel takes its
AVX2 paths there: these are AVX2 instruction counts, stable from run to run where timings on a
shared machine are not (AVX-512 timings: ``benchmarks/compare_signatures.py``). With a build
carrying line tables (``CFLAGS=-g pip install -e .``) the shingle combine is split from the
permutations by source line; without, they are reported together.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import zstandard

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
CSRC = Path(__file__).resolve().parents[1] / "csrc"

# Kernel function (as callgrind names it, clone suffixes dropped) -> stage, in pipeline order.
STAGES = {
    "bp_ascii_avx2": "split, ASCII blocks: decode, fold, word edges",
    "bp_ascii_avx512": "split, ASCII blocks: decode, fold, word edges",
    "split_nonascii": "split, non-ASCII codepoints",
    "bp_classify_nonascii": "split, non-ASCII codepoints",
    "bp_hash_words_avx2": "word hashes (FNV-1a, fmix32)",
    "bp_hash_words_avx512": "word hashes (FNV-1a, fmix32)",
    "bp_hash_words_scalar": "word hashes (FNV-1a, fmix32)",
    "chars_scalar": "char units (decode, fold, unit hashes)",
    "bp_chars_avx512": "char units (decode, fold, unit hashes)",
    "signature_of_units": "shingle hashes + permutations",  # without line tables
    "combine_block": "shingle hashes (rotate-xor, fmix32 pre-mix)",
    "combine": "shingle hashes (rotate-xor, fmix32 pre-mix)",
    "combine_half": "shingle hashes (rotate-xor, fmix32 pre-mix)",
    "perm_block": "permutations",
    "perm_block_dedup": "permutations",
}
ORDER = list(dict.fromkeys([*STAGES.values(), "other"]))

CHILD = """
import sys, numpy as np
from boostpack.deduplication.minhash import MinHasher
data = np.fromfile(sys.argv[1], dtype=np.uint8)
offsets = np.load(sys.argv[2])
MinHasher(128, 5, 1, sys.argv[3]).signatures_packed(data, offsets)
"""


def documents(corpus: str, limit: int) -> list[bytes]:
    docs: list[bytes] = []
    with open(CORPORA / f"{corpus}.jsonl.zst", "rb") as fh:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        for line in reader:
            rec = json.loads(line)
            if corpus == "qa_en":
                docs.append(f"{rec['question']}\n{rec['answer']}".encode())
            else:
                docs.append(f"{rec.get('title') or ''}\n{rec['text']}".encode())
            if len(docs) == limit:
                break
    return docs


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def by_function(profile: Path) -> dict[str, int]:
    """Instructions per function, summed over the files (headers) inlined into it."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100",
                          str(profile)], capture_output=True, text=True, check=True).stdout
    totals: dict[str, int] = defaultdict(int)
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\([ \d.]+%\)\s+\S+?:(\S+)", line)
        if m:
            totals[re.sub(r"\.(isra|constprop|part|avx2|avx512f|default)(\.\d+)?", "",
                          m.group(2))] += _count(m.group(1))
    return totals


def minhash_lines(profile: Path) -> dict[str, int]:
    """Instructions per function of minhash.c by source line (inlined ones apart); empty
    without line tables."""
    out = subprocess.run(["callgrind_annotate", "--auto=yes", "--context=1000000",
                          "--show-percs=no", str(profile)],
                         capture_output=True, text=True, check=True).stdout
    sections = re.split(r"^-- Auto-annotated source: (.*)$", out, flags=re.M)
    found = [text for path, text in zip(sections[1::2], sections[2::2], strict=True)
             if path.strip().endswith("csrc/minhash.c")]
    if not found:
        return {}
    body = found[0].splitlines()
    first = next(i for i, line in enumerate(body) if re.match(r"^\s*([\d,]+|\.)\s\s", line))
    owner, current = {}, None
    for number, src in enumerate((CSRC / "minhash.c").read_text().splitlines(), 1):
        names = [n for n in re.findall(r"\b(\w+)\(", src) if not n.startswith("__")]
        if (names and re.match(r"^\S", src) and not src.rstrip().endswith(";")
                and not src.startswith(("/*", " *", "#"))):
            current = names[0]
        owner[number] = current
    totals: dict[str, int] = defaultdict(int)
    number = 1
    for line in body[first:]:
        if line.startswith("-----"):
            break
        m = re.match(r"^\s*([\d,]+|\.)\s+(=>)?", line)
        if not m or m.group(2):
            continue
        if m.group(1) != ".":
            totals[owner.get(number) or "?"] += _count(m.group(1))
        number += 1
    return totals


def profile(data_path: Path, offsets_path: Path, shingle: str, out: Path) -> None:
    subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=bp_minhash_batch",
                    f"--callgrind-out-file={out}", sys.executable, "-c", CHILD, str(data_path),
                    str(offsets_path), shingle], check=True, capture_output=True)


def stages(profile_path: Path) -> dict[str, int]:
    functions = by_function(profile_path)
    lines = minhash_lines(profile_path)
    result: dict[str, int] = defaultdict(int)
    for name, count in functions.items():
        if name == "signature_of_units" and lines:
            for inner, n in lines.items():
                inner_stage = STAGES.get(inner, "other") if inner != name else "other"
                result[inner_stage] += n
        else:
            result[STAGES.get(name, "other")] += count
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=["qa_en", "zh_poetry"], default="qa_en")
    parser.add_argument("--docs", type=int, default=20_000)
    args = parser.parse_args()
    docs = documents(args.corpus, args.docs)
    nbytes = sum(map(len, docs))
    with tempfile.TemporaryDirectory() as tmp:
        data_path, offsets_path = Path(tmp) / "data.bin", Path(tmp) / "offsets.npy"
        data_path.write_bytes(b"".join(docs))
        np.save(offsets_path, np.cumsum([0, *map(len, docs)]).astype(np.uint64))
        results = {}
        for shingle in ("char", "word"):
            out = Path(tmp) / f"{shingle}.callgrind"
            profile(data_path, offsets_path, shingle, out)
            results[shingle] = stages(out)
    print(f"{args.corpus}, first {len(docs):,} documents ({nbytes / 1e6:.1f} MB): callgrind "
          "instructions per input byte, AVX2 paths\n")
    print("| stage | char 5-grams | word 5-grams |\n|---|---|---|")
    for name in (n for n in ORDER if any(r.get(n) for r in results.values())):
        print(f"| {name} | " + " | ".join(f"{results[k].get(name, 0) / nbytes:.2f}"
                                         for k in ("char", "word")) + " |")
    print("| **total** | " + " | ".join(f"**{sum(results[k].values()) / nbytes:.2f}**"
                                       for k in ("char", "word")) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
