"""Decontamination: word n-gram hashing and index, and dedup(against=...) on real benchmark items."""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from boostpack.deduplication.decontam import NgramIndex, ngram_hashes
from boostpack.deduplication.minhash import normalize
from boostpack.deduplication.pipeline import dedup

# The word rule written independently of the C kernel: CJK ideographs, kana and hangul
# syllables are one word per character; other words are runs of non-space characters of the
# normalized text.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
WORD = re.compile(f"[{CJK}]|[^\\s{CJK}]+")


def words(text: str, digits: str = "keep") -> list[str]:
    return WORD.findall(normalize(text, digits))


def reference_ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    """The n-grams as word tuples, the plain way; a short text is one n-gram of all its words."""
    w = words(text)
    if not w:
        return set()
    if len(w) < n:
        return {tuple(w)}
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def test_cjk_characters_are_words() -> None:
    assert words("Hello, WORLD! 你好世界 3.5kg") == ["hello", "world", "你", "好", "世", "界", "3", "5kg"]
    h, _ = ngram_hashes(["你好世界", "你 好 世 界", "你好 世界!"], 2)
    assert len(set(h.tolist())) == 3  # the same three bigrams in each text
    assert len(ngram_hashes(["3.5kg"], 1, digits="class")[0]) == 2


TEXT = st.lists(st.sampled_from(["a", "b", "c", "the", "東", "京", "x1", "!"]), max_size=30).map(" ".join)


@given(texts=st.lists(TEXT, min_size=1, max_size=6), n=st.integers(1, 5))
def test_ngram_hashes_match_word_tuples(texts: list[str], n: int) -> None:
    """Equal n-grams hash equal, different ones differ (no collisions at this size), per text."""
    h, doc = ngram_hashes(texts, n)
    assert np.all(np.diff(doc.astype(np.int64)) >= 0)
    tuples_of = [reference_ngrams(t, n) for t in texts]
    hashes_of = [set(h[doc == i].tolist()) for i in range(len(texts))]
    for i in range(len(texts)):
        assert len(hashes_of[i]) == len(tuples_of[i])
        for j in range(len(texts)):
            assert bool(hashes_of[i] & hashes_of[j]) == bool(tuples_of[i] & tuples_of[j])


def test_index_match_any_overlap_and_min_fraction() -> None:
    refs = ["one two three four five six", "seven eight nine ten eleven twelve"]
    h, doc = ngram_hashes(refs, 3)
    index = NgramIndex.build(h, doc.astype(np.uint32) + np.uint32(10))  # reference numbers 10, 11
    texts = [
        "zero one two three zz yy xx ww vv uu",  # 1 of 8 trigrams from ref 10
        "seven eight nine ten eleven one two three",  # 3 of 6 trigrams from 11, 1 from 10
        "nothing in common here at all",
        "",
    ]
    ref, overlap = index.match(texts, 3, None)
    assert ref.tolist() == [10, 11, -1, -1]
    assert overlap[0] == np.float32(1 / 8) and overlap[1] == np.float32(4 / 6)
    ref, _ = index.match(texts, 3, 0.5)
    assert ref.tolist() == [-1, 11, -1, -1]


def test_scaffolding_is_left_out_of_the_index() -> None:
    """An instruction every reference carries (ubiquitous n-grams) and the n-grams mostly made
    of it leave the index; each item's own n-grams stay."""
    rng = random.Random(2)
    scaffold = "pick the one correct letter and say nothing else"  # 9 words
    items = [" ".join(f"w{rng.randrange(10**6)}" for _ in range(8)) for _ in range(30)]
    refs = [f"{item} {scaffold} the {rng.choice(['a', 'b'])}" for item in items]
    h, doc = ngram_hashes(refs, 4)
    index = NgramIndex.build(h, doc.astype(np.uint32), 4)
    kept = set(index.hashes.tolist())
    scaffold_grams, _ = ngram_hashes([f"{scaffold} the a", f"{scaffold} the b"], 4)
    assert not kept & set(scaffold_grams.tolist())
    for i, item in enumerate(items):
        own, _ = ngram_hashes([item], 4)
        assert set(own.tolist()) <= kept
        ref, _ = index.match([f"train on {item} now"], 4, None)
        assert ref.tolist() == [i]
    assert index.match([f"another {scaffold} the a"], 4, None)[0].tolist() == [-1]


@functools.lru_cache(maxsize=1)
def qa(path: Path) -> list[dict[str, Any]]:
    with open(path, "rb") as f:
        data = zstandard.ZstdDecompressor().stream_reader(f).read()
    recs = [orjson.loads(line) for line in data.split(b"\n") if line]
    return [r for r in recs if isinstance(r["question"], str) and isinstance(r.get("answer"), str)]


def test_decontaminate_against_gsm8k_and_math(corpora_dir: Path, tmp_path: Path) -> None:
    """GSM8K and MATH items as the reference set: verbatim copies (exact), lightly edited copies
    (near) and questions quoted inside longer text (13-gram overlap) are removed with the right
    reference id; unrelated QA is kept; references never appear in the output."""
    recs = qa(corpora_dir / "qa_en.jsonl.zst")
    # MATH-500 is a subset of MATH: leave it out so each item has one reference id.
    bench = [r for r in recs if r["task"] == "gsm8k" or
             (r["task"].startswith("minerva_math") and r["task"] != "minerva_math_500")]
    other = [r for r in recs if r["task"] in ("sciq", "arc_easy", "squad")][:300]
    ref_path = tmp_path / "bench.jsonl"
    ref_path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in bench))
    rng = random.Random(1)
    picks = rng.sample(bench, 40)
    # Quoted questions need 13 words of their own: a shorter one shares no 13-gram with its
    # reference (whose n-grams run on into the answer).
    picks += rng.sample([r for r in bench if len(r["question"].split()) >= 20 and r not in picks], 20)
    inputs: list[dict[str, Any]] = []
    expect: dict[str, str] = {}
    for k, r in enumerate(picks[:20]):  # verbatim, under a new id
        inputs.append({**r, "id": f"copy{k}"})
        expect[f"copy{k}"] = r["id"]
    for k, r in enumerate(picks[20:40]):  # one word dropped from the answer
        w = r["answer"].split(" ")
        del w[len(w) // 2]
        inputs.append({"id": f"edit{k}", "question": r["question"], "answer": " ".join(w)})
        expect[f"edit{k}"] = r["id"]
    quoted = {}
    for k, r in enumerate(picks[40:]):  # the question quoted inside an unrelated long answer
        host = other[k]
        inputs.append({"id": f"quote{k}", "question": host["question"],
                       "answer": f"{host['answer']} As a worked example consider: {r['question']} "
                       + " ".join(o["question"] for o in other[100 + 5 * k : 105 + 5 * k])})
        quoted[f"quote{k}"] = r["id"]
    inputs += [{**o, "id": f"clean{k}"} for k, o in enumerate(other[20:100])]
    in_path = tmp_path / "in.jsonl"
    in_path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in inputs))

    def removed(out: Path) -> dict[str, dict[str, Any]]:
        lines = b"".join(zstandard.ZstdDecompressor().decompressobj().decompress(p.read_bytes())
                         for p in sorted((out / "removed").iterdir())).splitlines()
        return {r["record"]["id"]: r for r in map(orjson.loads, lines)}

    report = dedup(in_path, tmp_path / "mh", against=[ref_path], progress=False)
    got = removed(tmp_path / "mh")
    for doc, ref in expect.items():
        assert got[doc]["reason"] == "contaminated" and got[doc]["dup_of"] == ref, doc
    assert all(got[k]["similarity"] == 1.0 for k in expect if k.startswith("copy"))
    assert not any(k.startswith("clean") for k in got)
    assert report["against"]["documents"] == len(bench)
    assert report["kept"] + report["removed"] == len(inputs)  # references are never emitted

    report = dedup(in_path, tmp_path / "ng", against=[ref_path], decontam_ngram=13, progress=False)
    got = removed(tmp_path / "ng")
    for doc, ref in {**expect, **quoted}.items():
        assert got[doc]["reason"] == "contaminated" and got[doc]["dup_of"] == ref, doc
    assert report["contaminated_by_ngram"] >= 20
    assert not any(k.startswith("clean") for k in got)

    # References and inputs read in many splits, on 2 workers: the same bytes.
    frame = 1 << 16

    def tree(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file() and p.name != "report.json"}

    dedup(in_path, tmp_path / "whole", against=[ref_path], decontam_ngram=13, frame_bytes=frame,
          progress=False)
    dedup(in_path, tmp_path / "split", against=[ref_path], decontam_ngram=13, frame_bytes=frame,
          split_bytes=frame, workers=2, progress=False)
    assert ref_path.stat().st_size > 10 * frame
    assert tree(tmp_path / "split") == tree(tmp_path / "whole")
