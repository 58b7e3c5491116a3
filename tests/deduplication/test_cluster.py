"""Phase 2's band tasks against a brute-force LSH join; its scratch files and memory budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

import boostpack.deduplication.cluster as cl
import boostpack.deduplication.pipeline as dd
from boostpack import InvalidInput
from boostpack.deduplication.itemkey import band_mix, same_item
from boostpack.deduplication.lsh import band_keys
from boostpack.deduplication.store import SignStore, layout
from boostpack.deduplication.unionfind import UnionFind
from boostpack.deduplication.workdir import CLUSTER_ONLY, read_array
from boostpack.demo.sample.stream import QAStream


def planted(tmp: Path) -> tuple[Path, Path]:
    """Realistic QA with exact and near copies as input; references: copies and edits of some
    inputs, half of them without their answer (matched through the question-key bands)."""
    lines = [line for line, _, _ in QAStream(1500, 3)]
    inputs = tmp / "in.jsonl"
    inputs.write_bytes(b"\n".join(lines) + b"\n")
    refs = []
    for i, line in enumerate(lines[::37]):
        r = orjson.loads(line)
        r["id"] = f"ref-{i}"
        if i % 2:
            r.pop("answer", None)
        if i % 3 == 0:
            words = r["question"].split()
            r["question"] = " ".join([*words[:-2], "maybe"])  # a near copy
        refs.append(orjson.dumps(r))
    against = tmp / "ref.jsonl"
    against.write_bytes(b"\n".join(refs) + b"\n")
    return inputs, against


def brute_force(store: SignStore, members: np.ndarray, config: Any, ref_count: int,
                mix: str | None, refs_only: bool) -> list[set[tuple[int, int]]]:
    """Per band: every pair of members sharing the band's key (references never paired with
    each other) whose item keys agree and signature Jaccard reaches the threshold."""
    docs = np.flatnonzero(members).astype(np.uint32)
    sigs = store.signatures(docs)
    keys = band_keys(sigs, config.bands, config.rows)
    items = store.keys(docs) if mix is not None else None
    if items is not None:
        keys ^= band_mix(items, answers=mix == "answers")[:, None]
    out = []
    for band in range(config.bands):
        found = set()
        buckets: dict[int, list[int]] = {}
        for i, k in enumerate(keys[:, band].tolist()):
            buckets.setdefault(k, []).append(i)
        for bucket in buckets.values():
            assert len(bucket) <= cl.BUCKET_CLIQUE  # stars would leave pairs out
            for x in range(len(bucket)):
                for y in range(x + 1, len(bucket)):
                    i, j = bucket[x], bucket[y]
                    a, b = int(docs[i]), int(docs[j])
                    if b < ref_count or (refs_only and a >= ref_count):
                        continue
                    if items is not None and not same_item(items[i : i + 1], items[j : j + 1],
                                                           config.answer_threshold,
                                                           open_a=a < ref_count)[0]:
                        continue
                    if (sigs[i] == sigs[j]).mean() >= config.threshold:
                        found.add((a, b))
        out.append(found)
    return out


@pytest.mark.parametrize("answer_check", [True, False])
def test_band_tasks_accept_the_pairs_of_a_brute_force_join(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         answer_check: bool) -> None:
    inputs, against = planted(tmp_path)
    checked: list[str] = []
    real = dd.cluster

    def compare(work, results, ref_count, config, memory, runner):  # type: ignore[no-untyped-def]
        stats = real(work, results, ref_count, config, memory, runner)
        store = SignStore(work, layout(results), config.num_perm, config.bands)
        sources = ["bands"] + (["qbands"] if work.members("qbands").exists() else [])
        for source in sources:
            members = read_array(work.members(source), bool, store.total)
            refs_only = source == "qbands"
            mix = None if not config.compares_answers else "question" if refs_only else "answers"
            expected = brute_force(store, members, config, ref_count, mix, refs_only)
            # Bands after the first round skip input pairs the earlier rounds joined.
            joined = UnionFind(store.total)
            for band in range(config.bands):
                if band in {r.start for r in cl.band_rounds(config.bands)}:
                    roots = joined.roots()
                got = np.concatenate(list(cl.read_accepted(work, band, store.total, source))
                                     or [np.zeros(0, cl.ACCEPTED)])
                pairs = set(zip(got["a"].tolist(), got["b"].tolist(), strict=True))
                assert len(pairs) == len(got)
                skipped = {(a, b) for a, b in expected[band]
                           if a >= ref_count and roots[a] == roots[b]}
                assert pairs == expected[band] - skipped, (source, band)
                inputs = got["a"] >= ref_count
                joined.union(got["a"][inputs], got["b"][inputs])
            checked.append(source)
        return stats

    monkeypatch.setattr(dd, "cluster", compare)
    report = dd.dedup(inputs, tmp_path / "out", against=[against], workers=1, progress=False,
                      answer_check=answer_check)
    assert report["reasons"]["near"] > 20 and report["reasons"]["contaminated"] > 10
    assert checked == (["bands", "qbands"] if answer_check else ["bands"])
    pairs = report["pairs"]
    assert pairs["candidate_pairs"] == (pairs["joined_pairs"] + pairs["verified_pairs"]
                                        + pairs["rejected_pairs"])
    assert pairs["joined_pairs"] > 0


def test_phase_two_files_are_gone_once_the_plan_is_written(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """What only clustering reads is deleted before phase 3 writes its parts; a run stopped
    there resumes to the same output as a clean run."""
    inputs, against = planted(tmp_path)
    clean = dd.dedup(inputs, tmp_path / "clean", against=[against], workers=1, progress=False)

    def stop(task):  # type: ignore[no-untyped-def]
        raise RuntimeError("stopped")

    with monkeypatch.context() as m:
        m.setattr(dd, "write_task", stop)
        with pytest.raises(RuntimeError, match="stopped"):
            dd.dedup(inputs, tmp_path / "out", against=[against], workers=1, progress=False)
    work = tmp_path / "out" / ".work"
    assert (work / "plan" / "done.json").exists()
    left = {p.relative_to(work).parts[0] for p in work.rglob("*")}
    assert not left & {"pairs", "spill", "ngram", "done-bands", "done-qbands"}
    assert not [p for p in work.glob("sign/*/*") if p.name in CLUSTER_ONLY]
    assert list(work.glob("sign/*/ids.bin")) and list(work.glob("sign/*/lines.bin"))
    resumed = dd.dedup(inputs, tmp_path / "out", against=[against], workers=1, progress=False)
    assert resumed["kept"] == clean["kept"] and resumed["removed"] == clean["removed"]
    for kind in ("kept", "removed"):
        for path in (tmp_path / "clean" / kind).iterdir():
            assert (tmp_path / "out" / kind / path.name).read_bytes() == path.read_bytes()


def test_keep_rule_takes_band_similarities_it_would_otherwise_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keep rule's similarity of a member to its cluster's kept document equals two
    signature reads (``closeness``) on every pair, and is mostly read from the bands' pairs."""
    inputs, against = planted(tmp_path)
    asked, read = [], []
    keep_closeness, closeness = cl.Clustering.keep_closeness, cl.closeness

    def counted(store, a, b, config):  # type: ignore[no-untyped-def]
        read.append(len(a))
        return closeness(store, a, b, config)

    def checked(self, a, b):  # type: ignore[no-untyped-def]
        got = keep_closeness(self, a, b)
        np.testing.assert_array_equal(got, closeness(self.store, a, b, self.config))
        asked.append(len(a))
        return got

    monkeypatch.setattr(cl, "closeness", counted)
    monkeypatch.setattr(cl.Clustering, "keep_closeness", checked)
    report = dd.dedup(inputs, tmp_path / "out", against=[against], workers=1, progress=False)
    assert report["reasons"]["near"] > 20
    assert sum(asked) >= report["reasons"]["near"] and sum(read) < sum(asked) / 4


def test_report_says_peak_scratch_and_memory(tmp_path: Path) -> None:
    inputs, _ = planted(tmp_path)
    report = dd.dedup(inputs, tmp_path / "out", workers=2, progress=False)
    run = report["execution"]
    # The signatures alone are 512 bytes a document.
    assert run["peak_scratch_bytes"] > 512 * report["input"]
    assert run["peak_rss_parent"] > 10 << 20 and run["peak_rss_worker"] > 10 << 20


def test_a_memory_budget_below_the_per_document_state_is_refused(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    inputs, _ = planted(tmp_path)
    # As if each document needed 64 KiB: 1,500 documents need 110 MiB with the sort.
    monkeypatch.setattr(cl, "_BYTES_PER_DOC", 1 << 16)
    monkeypatch.setattr(cl, "_GATHER_BYTES_PER_PAIR", 0)
    with pytest.raises(InvalidInput, match=r"too small for 1,500 documents.*--memory 110M or more"):
        dd.dedup(inputs, tmp_path / "out", workers=1, memory="64M", progress=False)
    dd.dedup(inputs, tmp_path / "out", workers=1, memory="110M", progress=False)


def test_check_memory_names_what_a_large_run_needs() -> None:
    cl.check_memory(10_000_000, 4 << 30)
    cl.check_memory(200_000_000, 18 << 30)
    with pytest.raises(InvalidInput, match=r"200,000,000 documents.*--memory"):
        cl.check_memory(200_000_000, 16 << 30)


@pytest.mark.parametrize("bands", [1, 2, 3, 7, 25, 128])
def test_band_rounds_cover_every_band_once_in_doubling_rounds(bands: int) -> None:
    rounds = cl.band_rounds(bands)
    assert [b for r in rounds for b in r] == list(range(bands))
    assert [len(r) for r in rounds[:-1]] == [2**i for i in range(len(rounds) - 1)]
    assert 1 <= len(rounds[-1]) <= 2 ** (len(rounds) - 1)
