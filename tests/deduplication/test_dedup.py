"""dedup(): quality against brute-force Jaccard on real text, determinism, counts, keep rules."""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boostpack.deduplication import candidates, cluster
from boostpack.deduplication.minhash import MinHasher, normalize
from boostpack.deduplication.pipeline import dedup, removed_line

THRESHOLD = 0.5  # the measured default (boostpack.deduplication.lsh.DEFAULT_THRESHOLD), stated here on purpose


@functools.lru_cache(maxsize=4)
def corpus(path: Path) -> list[dict[str, Any]]:
    with open(path, "rb") as f:
        data = zstandard.ZstdDecompressor().stream_reader(f).read()
    return [orjson.loads(line) for line in data.split(b"\n") if line]


def qa(corpora_dir: Path) -> list[dict[str, Any]]:
    """qa_en items whose question and answer are strings (some answers are lists of spans)."""
    return [r for r in corpus(corpora_dir / "qa_en.jsonl.zst")
            if isinstance(r["question"], str) and isinstance(r.get("answer"), str)]


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_bytes(b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in records))
    return path


def read_zst_lines(path: Path) -> list[bytes]:
    with open(path, "rb") as f:
        data = zstandard.ZstdDecompressor().stream_reader(f).read()
    return data.split(b"\n")[:-1] if data else []


def outputs(out: Path) -> tuple[list[bytes], list[dict[str, Any]]]:
    kept = [line for p in sorted((out / "kept").iterdir()) for line in read_zst_lines(p)]
    removed = [{**orjson.loads(line), "original": removed_line(line)}
               for p in sorted((out / "removed").iterdir()) for line in read_zst_lines(p)]
    return kept, removed


def labels(out: Path) -> dict[str, str]:
    """id -> id of the kept document of its cluster (itself when kept)."""
    kept, removed = outputs(out)
    lab = {orjson.loads(line)["id"]: orjson.loads(line)["id"] for line in kept}
    for r in removed:
        lab[r["record"]["id"]] = r["dup_of"]
    return lab


def edit(text: str, rate: float, rng: random.Random) -> str:
    """Word-level edits at ``rate``: a third deletions, a third replacements, a third swaps."""
    words = text.split(" ")
    out = []
    i = 0
    while i < len(words):
        r = rng.random()
        if r < rate / 3:
            pass  # delete
        elif r < 2 * rate / 3:
            out.append(rng.choice(["alpha", "given", "thus", "value", "model", "zeta"]))
        elif r < rate and i + 1 < len(words):
            out += [words[i + 1], words[i]]
            i += 1
        else:
            out.append(words[i])
        i += 1
    return " ".join(out) or text  # never edit a field away (readers quarantine empty fields)


def shingle_sets(texts: list[str]) -> list[frozenset[int]]:
    hasher = MinHasher(ngram=5, shingle="char")
    return [frozenset(hasher.shingle_hashes(t).tolist()) for t in texts]


def true_pairs(sets: list[frozenset[int]], threshold: float) -> dict[tuple[int, int], float]:
    """Brute force: every pair with exact Jaccard >= threshold (size-ratio prefilter is exact)."""
    out = {}
    sizes = [len(s) for s in sets]
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            small, big = sorted((sizes[i], sizes[j]))
            if small < threshold * big:
                continue
            inter = len(sets[i] & sets[j])
            jac = inter / (sizes[i] + sizes[j] - inter) if sizes[i] + sizes[j] else 1.0
            if jac >= threshold:
                out[(i, j)] = jac
    return out


def text_of(r: dict[str, Any]) -> str:
    return "\n".join(r[f] for f in ("question", "answer") if f in r)


def test_recall_and_precision_against_brute_force_jaccard(corpora_dir: Path, tmp_path: Path) -> None:
    """Real benchmark QA with planted word edits at 2-20%: every pair above the threshold by more
    than the MinHash noise (0.1 = 2.3 sigma at 128 permutations) lands in one cluster, and every
    removed document really is similar to the one kept in its place. The text-level machinery
    (MinHash, LSH, verification, chains) against brute force: records compared as one text,
    every shingle counting (the edits change answers too, so item keys would rightly part many
    planted pairs; test_items.py tests those)."""
    rng = random.Random(7)
    base = qa(corpora_dir)[::100][:650]
    docs = [{"id": f"b{i}", "question": r["question"], "answer": r["answer"]} for i, r in enumerate(base)]
    planted = []
    for k, rate in enumerate((0.02, 0.05, 0.1, 0.2)):
        for i in range(k * 50, k * 50 + 50):
            src = docs[i]
            docs.append({"id": f"v{rate}-{i}", "question": edit(src["question"], rate, rng),
                         "answer": edit(src["answer"], rate, rng)})
            planted.append((rate, i, len(docs) - 1))
    rng.shuffle(docs)
    pos = {d["id"]: n for n, d in enumerate(docs)}
    report = dedup(write_jsonl(tmp_path / "in.jsonl", docs), tmp_path / "out", answer_check=False,
                   boilerplate_df=0, progress=False)
    lab = labels(tmp_path / "out")
    assert len(lab) == len(docs) == report["input"]
    assert report["reasons"]["near"] > 150

    sets = shingle_sets([text_of(d) for d in docs])
    truth = true_pairs(sets, THRESHOLD - 0.1)
    # Recall: a true pair is resolved unless both of its documents are kept.
    kept = {i for i, d in enumerate(docs) if lab[d["id"]] == d["id"]}
    clear = [p for p, jac in truth.items() if jac >= THRESHOLD + 0.1]
    recall = sum(not (i in kept and j in kept) for i, j in clear) / len(clear)
    assert len(clear) > 150 and recall >= 0.97, (len(clear), recall)

    def jac(a: str, b: str) -> float:
        sa, sb = sets[pos[a]], sets[pos[b]]
        return len(sa & sb) / len(sa | sb)

    _, removed = outputs(tmp_path / "out")
    removed_ids = [(r["record"]["id"], r["dup_of"]) for r in removed]
    precise = [jac(a, b) >= THRESHOLD - 0.1 for a, b in removed_ids]
    assert len(precise) > 150 and sum(precise) / len(precise) >= 0.97
    # Planted variants, per edit rate: found as often as LSH theory predicts for their Jaccard
    # (1 - (1 - J^r)^b), within 3 standard deviations.
    bands, rows = report["params"]["bands"], report["params"]["rows"]
    for rate in (0.02, 0.05, 0.1, 0.2):
        jacs = np.array([jac(f"b{i}", f"v{r}-{i}") for r, i, _ in planted if r == rate])
        found = np.array([lab[f"b{i}"] != f"b{i}" or lab[f"v{r}-{i}"] != f"v{r}-{i}"
                          for r, i, _ in planted if r == rate])
        p = 1 - (1 - jacs**rows) ** bands
        p[jacs < THRESHOLD - 0.1] = 0.0  # verification rejects these (estimate noise aside)
        expected, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
        print(f"edit rate {rate}: mean J {jacs.mean():.2f}, found {found.sum()}/{len(found)}, "
              f"LSH theory {expected:.1f}")
        assert found.sum() >= expected - 3 * sd - 1


def test_cjk_near_duplicates_across_tang_editions(corpora_dir: Path, tmp_path: Path) -> None:
    """The two Tang editions differ in variant characters, line breaks and titles: poems sharing
    their first 12 characters are near duplicates that word-splitting on spaces would never see."""
    recs = corpus(corpora_dir / "zh_poetry.jsonl.zst")
    a = [r for r in recs if r["collection"] == "quantangshi"][:4000]
    b_by_prefix = {normalize(r["text"])[:12]: r for r in recs if r["collection"] == "yudingquantangshi"}
    pairs = [(r, b_by_prefix[normalize(r["text"])[:12]]) for r in a
             if normalize(r["text"])[:12] in b_by_prefix][:250]
    others = [r for r in recs if r["collection"] == "songci"][:300]
    docs = [{"id": r["id"], "text": r["text"]} for pair in pairs for r in pair]
    docs += [{"id": r["id"], "text": r["text"]} for r in others]
    docs = list({d["id"]: d for d in docs}.values())
    dedup(write_jsonl(tmp_path / "zh.jsonl", docs), tmp_path / "out", progress=False)
    lab = labels(tmp_path / "out")
    sets = shingle_sets([d["text"] for d in docs])
    truth = true_pairs(sets, THRESHOLD + 0.1)
    assert len(truth) > 100
    found = sum(lab[docs[i]["id"]] == lab[docs[j]["id"]] for i, j in truth)
    assert found / len(truth) >= 0.97


def mixed_inputs(corpora_dir: Path, tmp_path: Path) -> list[Path]:
    """Three files: real QA, exact and edited copies across files, bad and blank lines."""
    rng = random.Random(3)
    base = qa(corpora_dir)[5::37][:900]
    files = []
    for f in range(3):
        lines: list[Any] = []
        for i, r in enumerate(base[f * 300 : (f + 1) * 300]):
            lines.append(r)
            if i % 7 == 0:  # a copy of something from any file, exact or edited
                src = base[rng.randrange(len(base))]
                lines.append({**src, "answer": edit(src["answer"], rng.choice([0, 0.05]), rng)})
            if i % 50 == 0:
                lines += [b"{not json", b"", b"[1, 2]"]
        files.append(write_jsonl(tmp_path / f"part{f}.jsonl", lines))
    return files


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    r = {k: v for k, v in report.items() if k not in ("timings", "mb_per_s", "execution")}
    r["params"] = {k: v for k, v in r["params"].items() if k not in ("workers", "memory")}
    return r


def tree_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "report.json"}


def test_output_is_byte_identical_across_workers_batches_and_spilling(
        corpora_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = mixed_inputs(corpora_dir, tmp_path)
    one = dedup(inputs, tmp_path / "w1", workers=1, progress=False)
    assert one["removed"] > 100 and one["quarantined"] == 36 and one["empty"] == 18
    two = dedup(inputs, tmp_path / "w2", workers=2, batch_lines=64, progress=False)
    # A tiny sort budget (in-process, where the patch applies): the exact and band sorts spill
    # to run files and merge them; 1024 entries per run means dozens of runs per band. And
    # band tasks verify their candidates 7 at a time, each batch its own gather.
    monkeypatch.setattr(candidates, "_BYTES_PER_ENTRY", 1 << 16)
    monkeypatch.setattr(cluster, "VERIFY_CHUNK", 7)
    monkeypatch.setattr(cluster, "_VERIFY_SHARE", 1 << 40)
    spilled = dedup(inputs, tmp_path / "sp", workers=1, batch_lines=1000, memory="64M", progress=False)
    assert spilled["pairs"]["spilled_runs"] > one["pairs"]["spilled_runs"] == 0
    for other in (two, spilled):
        other["pairs"]["spilled_runs"] = 0
        assert comparable(one) == comparable(other)
    assert tree_bytes(tmp_path / "w1") == tree_bytes(tmp_path / "w2") == tree_bytes(tmp_path / "sp")
    assert not (tmp_path / "w1" / ".work").exists()


def frames(path: Path) -> int:
    """The number of zstd frames in ``path``."""
    data, count = path.read_bytes(), 0
    while data:
        dobj = zstandard.ZstdDecompressor().decompressobj()
        dobj.decompress(data)
        assert dobj.eof
        data, count = dobj.unused_data, count + 1
    return count


def test_output_is_byte_identical_across_splits(corpora_dir: Path, tmp_path: Path) -> None:
    """Big plain files are read in splits of ``split_bytes``; with small splits (and frames) the
    outputs equal those of each file read whole, at 1 and 2 workers; quarantine line numbers
    and removed ``line_number`` values stay absolute (a BOM and CRLF lines included)."""
    inputs = mixed_inputs(corpora_dir, tmp_path)
    inputs[1].write_bytes(b"\xef\xbb\xbf" + inputs[1].read_bytes().replace(b"}\n", b"}\r\n", 40))
    # A compressed input is one task; its frames must not depend on batch_lines either.
    inputs.append(tmp_path / "part3.jsonl.zst")
    more = b"".join(orjson.dumps(r) + b"\n" for r in qa(corpora_dir)[7::41][:400])
    inputs[3].write_bytes(zstandard.ZstdCompressor().compress(more))
    frame = 16 << 10
    whole = dedup(inputs, tmp_path / "whole", frame_bytes=frame, progress=False)
    for split, workers in ((frame, 1), (3 * frame, 2), (frame, 2)):
        out = tmp_path / f"s{split}-w{workers}"
        report = dedup(inputs, out, frame_bytes=frame, split_bytes=split, workers=workers,
                       batch_lines=100, progress=False)
        assert comparable(report) == comparable(whole)
        assert tree_bytes(out) == tree_bytes(tmp_path / "whole")
    kept = sorted((tmp_path / "whole" / "kept").iterdir())
    assert all(frames(p) > 1 for p in kept)
    quarantine = [orjson.loads(line) for p in sorted((tmp_path / "whole" / "quarantine").iterdir())
                  for line in p.read_bytes().splitlines()]
    lines = {str(p): (more if p.suffix == ".zst" else p.read_bytes()).split(b"\n") for p in inputs}
    for q in quarantine:
        assert lines[q["file"]][q["line"] - 1].rstrip(b"\r") == q["raw"].encode()
    _, removed = outputs(tmp_path / "whole")
    assert {r["file"] for r in removed} == set(lines)
    for r in removed:
        line = lines[r["file"]][r["line_number"] - 1]
        assert line.rstrip(b"\r").removeprefix(b"\xef\xbb\xbf") == r["original"]


def test_removed_records_give_back_the_original_lines(corpora_dir: Path, tmp_path: Path) -> None:
    inputs = mixed_inputs(corpora_dir, tmp_path)
    dedup(inputs, tmp_path / "out", progress=False)
    kept, removed = outputs(tmp_path / "out")
    originals = [line for p in inputs for line in p.read_bytes().split(b"\n")]
    for r in removed:
        assert Path(r["file"]).read_bytes().split(b"\n")[r["line_number"] - 1] == r["original"]
    # kept lines appear in input order, each an original line
    positions = [originals.index(line) for line in kept]
    assert positions == sorted(positions)
    ids = {orjson.loads(line)["id"] for line in kept}
    copies: dict[str, int] = {}
    for line in originals:
        if line.startswith(b'{"id"'):
            key = normalize(text_of(orjson.loads(line)))
            copies[key] = copies.get(key, 0) + 1
    assert {r["reason"] for r in removed} == {"exact", "near"}
    for r in removed:
        assert r["dup_of"] in ids  # always the kept representative
        # "exact": an identical (normalized) copy exists; "near": similar to the kept one
        if r["reason"] == "exact":
            assert copies[normalize(text_of(r["record"]))] >= 2
        else:
            assert THRESHOLD <= r["similarity"] <= 1.0  # checked against the kept document


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_counts_add_up(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    """Random mixes of unique, duplicate, near-duplicate, empty-text, blank and bad lines: every
    input line is in exactly one of kept / removed / quarantine / the empty count, and reading
    the files in splits changes no output byte."""
    tmp = tmp_path_factory.mktemp("mix")
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "away", "東", "京", "42"]
    uniques = data.draw(st.lists(st.lists(st.sampled_from(words), min_size=0, max_size=30),
                                 min_size=1, max_size=25))
    kinds = data.draw(st.lists(st.sampled_from(["new", "dup", "near", "blank", "bad", "punct"]),
                               min_size=1, max_size=60))
    files: list[list[bytes]] = [[], []]
    made: list[str] = []
    for n, kind in enumerate(kinds):
        if kind == "new" or (not made and kind in ("dup", "near")):
            text = " ".join(uniques[n % len(uniques)]) + f" item {n}"
        elif kind == "dup":
            text = made[n % len(made)]
        elif kind == "near":
            text = made[n % len(made)] + " extra"
        elif kind == "punct":
            text = "?!"  # empty after normalization
        else:
            files[n % 2].append(b"" if kind == "blank" else b'{"question": ')
            continue
        made.append(text)
        files[n % 2].append(orjson.dumps({"id": f"r{n}", "question": text, "answer": "ok"}))
    paths = [write_jsonl(tmp / f"f{i}.jsonl", lines) for i, lines in enumerate(files) if lines]
    report = dedup(paths, tmp / "out", progress=False)
    kept, removed = outputs(tmp / "out")
    quarantined = sum(len(p.read_bytes().splitlines()) for p in (tmp / "out" / "quarantine").glob("*"))
    assert report["input"] == report["kept"] + report["removed"] + report["quarantined"]
    assert (report["kept"], report["removed"], report["quarantined"]) == (len(kept), len(removed), quarantined)
    assert report["input"] == kinds.count("new") + kinds.count("dup") + kinds.count("near") + \
        kinds.count("punct") + kinds.count("bad")
    assert report["empty"] == kinds.count("blank")
    assert sum(report["reasons"].values()) == report["removed"]
    hist = report["clusters"]["size_histogram"]
    assert sum(int(size) * count for size, count in hist.items()) == \
        report["kept"] + report["removed"] - report["reasons"]["contaminated"]
    # dups of a kept text never survive: kept normalized texts are distinct
    texts = [normalize(orjson.loads(line)["question"]) for line in kept]
    assert len(texts) == len(set(texts))
    # The files cut into splits of a few lines (and small output frames): the same bytes.
    frame = data.draw(st.sampled_from([64, 300, 1 << 20]))
    whole = dedup(paths, tmp / "whole", frame_bytes=frame, progress=False)
    split = dedup(paths, tmp / "split", frame_bytes=frame, split_bytes=frame * data.draw(st.integers(1, 3)),
                  batch_lines=data.draw(st.integers(1, 9)), progress=False)
    assert comparable(split) == comparable(whole)
    assert tree_bytes(tmp / "split") == tree_bytes(tmp / "whole")


def test_keep_policies(tmp_path: Path) -> None:
    q = "A farmer has seventeen sheep and all but nine run away; how many are left?"
    recs = [
        {"id": "short", "question": q, "answer": "Nine.", "score": 0.2},
        {"id": "longer", "question": q + " Explain.", "answer": "Nine", "score": 0.9},
        {"id": "longest", "question": q + " Explain briefly.", "answer": "nine", "score": "n/a"},
        {"id": "other", "question": "Unrelated text about rivers and mountains.", "answer": "Yes."},
    ]
    path = write_jsonl(tmp_path / "in.jsonl", recs)

    def kept_ids(**kw: Any) -> list[str]:
        out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
        dedup(path, out, progress=False, **kw)
        return [orjson.loads(line)["id"] for line in outputs(out)[0]]

    assert kept_ids() == ["short", "other"]
    assert kept_ids(keep="longest") == ["longest", "other"]
    assert kept_ids(keep_max="score") == ["longer", "other"]  # "n/a" ranks lowest


def test_verification_stops_chance_collisions(tmp_path: Path) -> None:
    """With 1 band of 1 row, any two documents sharing their first min-hash are candidates;
    verification keeps only the truly similar pair, the unverified mode glues everything."""
    rng = random.Random(5)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(400)]
    texts = [" ".join(rng.choices(vocab, k=12)) for _ in range(200)]
    texts.append(texts[0] + " ok")
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "question": t, "answer": "a"}
                                               for i, t in enumerate(texts)])
    verified = dedup(path, tmp_path / "v", bands=1, rows=1, progress=False)
    loose = dedup(path, tmp_path / "l", bands=1, rows=1, verify=False, progress=False)
    assert verified["pairs"]["rejected_pairs"] > 0
    assert loose["removed"] > verified["removed"] >= 1
    assert verified["clusters"]["largest"] <= 3


def test_rerun_into_finished_output_recomputes(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "question": "x y z", "answer": "1"}] * 3)
    first = dedup(path, tmp_path / "out", progress=False)
    second = dedup(path, tmp_path / "out", progress=False)
    assert comparable(first) == comparable(second) and first["removed"] == 2
    assert np.array_equal(sorted(p.name for p in (tmp_path / "out").iterdir()),
                          [".boostpack.json", "kept", "removed", "report.json"])


def test_compressed_parquet_and_empty_inputs(tmp_path: Path) -> None:
    """Anything the readers read: .zst and Parquet inputs, an empty file, a file of bad lines."""
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    recs = [{"id": f"r{i}", "question": q, "answer": a} for i, (q, a) in enumerate([
        ("Which planet is known as the red planet?", "Mars."),
        ("Who wrote the play Hamlet?", "William Shakespeare."),
        ("What gas do plants absorb from the air?", "Carbon dioxide."),
    ])]
    zst = tmp_path / "a.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(b"".join(orjson.dumps(r) + b"\n" for r in recs)))
    parquet = tmp_path / "b.parquet"
    pq.write_table(pa.Table.from_pylist(recs[:2]), parquet)
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "bad.jsonl").write_bytes(b"{\n[]\n")
    inputs = [zst, parquet, tmp_path / "empty.jsonl", tmp_path / "bad.jsonl"]
    report = dedup(inputs, tmp_path / "out", progress=False)
    assert (report["input"], report["kept"], report["removed"], report["quarantined"]) == (7, 3, 2, 2)
    kept, removed = outputs(tmp_path / "out")
    assert kept == [orjson.dumps(r) for r in recs]
    assert {r["reason"] for r in removed} == {"exact"} and all(r["file"] == str(parquet) for r in removed)
    assert [orjson.loads(r["original"]) for r in removed] == recs[:2]


def test_kept_set_does_not_depend_on_file_order(corpora_dir: Path, tmp_path: Path) -> None:
    """With a tie-free keep rule (a distinct score per record), permuting the input files
    changes where records are numbered but not which ones are kept."""
    rng = random.Random(3)
    base = qa(corpora_dir)[5::37][:900]
    files, n = [], 0
    for f in range(3):
        lines = []
        for i, r in enumerate(base[f * 300 : (f + 1) * 300]):
            copies = [r]
            if i % 3 == 0:  # plus a copy of any item, edited at 5-20%
                src = base[rng.randrange(len(base))]
                copies.append({**src, "answer": edit(src["answer"], rng.choice([0.05, 0.1, 0.2]), rng)})
            for c in copies:
                lines.append({**c, "id": f"x{n}", "score": rng.random()})
                n += 1
        files.append(write_jsonl(tmp_path / f"part{f}.jsonl", lines))
    kept_sets = []
    for k, order in enumerate([[0, 1, 2], [2, 0, 1], [1, 2, 0]]):
        report = dedup([files[i] for i in order], tmp_path / f"o{k}", keep_max="score", progress=False)
        assert report["reasons"]["near"] > 50
        kept_sets.append({orjson.loads(line)["id"] for line in outputs(tmp_path / f"o{k}")[0]})
    assert kept_sets[0] == kept_sets[1] == kept_sets[2]


def test_records_without_dedup_text_are_never_duplicates(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped --fields (or punctuation-only text) gives empty dedup text: such records are
    kept and counted, never collapsed into one 'exact duplicate' cluster."""
    lines = [orjson.dumps({"id": f"r{i}", "question": q, "answer": "?!"})
             for i, q in enumerate(["What is 2+2?", "What is 2+2?", "Name a prime.", "…", "!!"])]
    path = write_jsonl(tmp_path / "in.jsonl", lines)
    typo = dedup(path, tmp_path / "typo", fields=("questoin",), progress=False)
    assert (typo["kept"], typo["removed"], typo["empty_text"]) == (5, 0, 5)
    assert "no record has any text in fields questoin" in capsys.readouterr().err
    real = dedup(path, tmp_path / "real", fields=("question",), progress=False)
    # the two punctuation-only questions are empty texts, kept; the exact pair is still found
    assert (real["kept"], real["removed"], real["empty_text"]) == (4, 1, 2)
    assert real["reasons"]["exact"] == 1
