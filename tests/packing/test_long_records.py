"""Memory bounded whatever one line holds: lines over ``--max-record-bytes`` are quarantined as
``too_large`` as they stream by; long documents are encoded in segments that give exactly the
whole document's ids."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import zstandard

from boostpack.errors import InvalidInput
from boostpack.format.verify import verify
from boostpack.packing.pipeline import pack

BOS, EOS = 128000, 128001


def _quarantine(out: Path) -> list[dict]:
    return [json.loads(line) for p in sorted((out / "quarantine").glob("*.jsonl"))
            for line in p.read_text().splitlines()]


@pytest.mark.parametrize("suffix", ["jsonl", "jsonl.zst"])
def test_lines_over_the_limit_are_quarantined_unread(suffix: str, tmp_path: Path,
                                                     llama3_tokenizer_path: Path) -> None:
    small = orjson.dumps({"question": "What is 2+2?", "answer": "4"})
    big = orjson.dumps({"question": "long " * 3000, "answer": "yes"})  # 15 KB
    lines = [small, big, small, b"  ", big, small, big]  # the last one unterminated
    data = b"\n".join(lines)
    path = tmp_path / f"in.{suffix}"
    path.write_bytes(zstandard.ZstdCompressor().compress(data) if suffix.endswith("zst")
                     else data)
    summary = pack(path, tmp_path / "out", tokenizer=llama3_tokenizer_path, seq_len=64,
                   max_record_bytes=8192, tokenizer_engine="giga", progress=False)
    assert (summary["records"], summary["quarantined_records"]) == (3, 3)
    assert summary["quarantined_by_reason"] == {"too_large": 3}
    assert summary["input_bytes"] == len(data) + 1  # the final line counts a terminator
    entries = _quarantine(tmp_path / "out")
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    assert [(e["line"], e["offset"], e["reason"]) for e in entries] == [
        (2, offsets[1], "too_large"), (5, offsets[4], "too_large"), (7, offsets[6], "too_large")]
    assert entries[0]["raw"] == big[:4096].decode() and "15,0" in entries[0]["detail"]
    verify(tmp_path / "out")
    with pytest.raises(InvalidInput, match=r"in\.jsonl.*:2: too_large"):
        pack(path, tmp_path / "strict", tokenizer=llama3_tokenizer_path, strict=True,
             max_record_bytes=8192, tokenizer_engine="giga", progress=False)


def test_long_documents_are_encoded_in_exact_segments(tmp_path: Path, llama3_tokenizer_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      reference, dataset_documents) -> None:
    """With segments of at most 64 bytes, every multi-line document is cut many times; the
    packed ids still equal the reference's encoding of the whole text."""
    for name in ("documents", "fastlane"):
        monkeypatch.setattr(importlib.import_module(f"boostpack.packing.{name}"),
                            "SEGMENT_BYTES", 64)
    texts = ["Step 1: add.\n2 + 2 = 4\n\nStep 2: check.\n  indented line\n#### 4\n" * 5,
             "床前明月光，\n疑是地上霜。\n举头望明月，\n低头思故乡。\n" * 6,
             "def f(x):\n    return x\n\n\nprint(f(3))\r\n" * 4]
    records = [{"id": f"t{i}", "text": t} for i, t in enumerate(texts)]
    records.append({"id": "qa", "question": "Why?\n" * 30, "answer": "Because.\n" * 30})
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"\n".join(map(orjson.dumps, records)) + b"\n")
    for loss_on in ("all", "answer"):
        out = tmp_path / loss_on
        pack(path, out, tokenizer=llama3_tokenizer_path, seq_len=4096, loss_on=loss_on,
             tokenizer_engine="giga", progress=False)
        got, _ = dataset_documents(out)
        wanted = [t for t in texts] + ["Why?\n" * 30 + "\n\n" + "Because.\n" * 30]
        assert got == [(r["id"], [BOS, *reference.encode(t, add_special_tokens=False).ids, EOS])
                       for r, t in zip(records, wanted, strict=True)]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_50_mb_record_stays_within_a_gigabyte(tmp_path: Path, llama3_tokenizer_path: Path
                                                 ) -> None:
    """One 50 MB line (default limit), in a file cut into 16 MB tasks (its format found past
    it): quarantined without ever being held whole; the peak RSS of the whole run stays under
    1 GB. (benchmarks/compare_pack_memory.py measures more.)"""
    line = orjson.dumps({"question": "q", "answer": "Lorem ipsum dolor sit amet. " * 1_800_000})
    path = tmp_path / "huge.jsonl"
    path.write_bytes(line + b"\n" + orjson.dumps({"question": "small", "answer": "ok"}) + b"\n")
    # The run's own high-water mark (VmHWM of its address space). Not ru_maxrss: Linux carries
    # the parent's peak across fork and exec into the child's, so a big pytest process (torch,
    # Ray, ...) would be counted as the child's.
    script = (
        "import json, re, sys\n"
        "from boostpack.packing.pipeline import pack\n"
        "s = pack(sys.argv[1], sys.argv[2], tokenizer=sys.argv[3], tokenizer_engine='giga',"
        " task_bytes='16M', progress=False)\n"
        "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read())[1])\n"
        "print(json.dumps({'peak_kb': peak, 'workers': s['workers'],"
        " 'reasons': s['quarantined_by_reason'], 'records': s['records']}))\n")
    run = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "out"),
                          str(llama3_tokenizer_path)], capture_output=True, text=True,
                         check=True)
    result = json.loads(run.stdout)
    assert result["reasons"] == {"too_large": 1} and result["records"] == 1
    assert result["workers"] == 1  # the whole run in the measured process (the fast lane)
    assert result["peak_kb"] < 1 << 20, result
