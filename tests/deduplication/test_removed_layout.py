"""Every ``removed/`` line has exactly the documented layout (``write`` module docstring): each
value as orjson writes it, the original line verbatim, whatever the ids hold, the line ending,
the number of digits of the line number, or the task the kept duplicate is in."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import zstandard

from boostpack.deduplication.pipeline import dedup

IDS = ['q"uote', "back\\slash", "tab\there", "é ü 中文", "ctl\x01", "plain", "x" * 40]


def _lines(path: Path) -> list[bytes]:
    data = b"".join(zstandard.ZstdDecompressor().stream_reader(p.read_bytes()).read()
                    for p in sorted(path.iterdir()))
    return data.split(b"\n")[:-1]


def test_removed_lines_have_the_layout(tmp_path: Path) -> None:
    rng = random.Random(3)
    base = [f"how many {rng.random()} apples does worker {i} pick on day {i * 7}?" for i in range(40)]
    lines = []
    for n in range(400):
        text = base[n % len(base)]
        if n >= len(base) and n % 3 == 0:  # a near copy: one word changed
            words = text.split(" ")
            words[rng.randrange(len(words))] = "pears"
            text = " ".join(words)
        rec = {"id": f"{IDS[n % len(IDS)]}-{n}", "question": text, "answer": f"answer {n % len(base)}"}
        lines.append(orjson.dumps(rec) + (b"\r\n" if n % 5 == 0 else b"\n"))
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(lines))
    originals = [line.rstrip(b"\n").removesuffix(b"\r") for line in lines]
    out = tmp_path / "out"
    dedup([str(path)], out, workers=1, split_bytes=8 << 10, progress=False)

    removed = _lines(out / "removed")
    assert len(removed) > 300 and len(_lines(out / "kept")) + len(removed) == len(lines)
    ids = {orjson.loads(line)["id"] for line in originals}
    reasons = set()
    for line in removed:
        row = orjson.loads(line)
        assert row["dup_of"] in ids and row["file"] == str(path)
        reasons.add(row["reason"])
        expected = (b'{"reason":"%s","dup_of":%s,"similarity":%s,"file":%s,"line_number":%d,'
                    b'"record":%s}' % (row["reason"].encode(), orjson.dumps(row["dup_of"]),
                                       orjson.dumps(row["similarity"]), orjson.dumps(str(path)),
                                       row["line_number"], originals[row["line_number"] - 1]))
        assert line == expected
    assert reasons == {"exact", "near"}
