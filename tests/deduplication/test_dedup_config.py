"""DedupConfig: each limit defined once and checked the same everywhere; dedup() takes a config
or its keyword arguments, with the same result; the CLI reads the defaults without numpy."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from boostpack.deduplication.config import DedupConfig
from boostpack.deduplication.lsh import optimal_params
from boostpack.deduplication.minhash import MinHasher
from boostpack.deduplication.pipeline import dedup
from boostpack.deduplication.settings import MAX_NUM_PERM, SEED_LIMIT
from boostpack.errors import InvalidInput
from boostpack.ingestion.readers import ReadOptions


@pytest.mark.parametrize(("name", "value"), [
    ("num_perm", 0), ("num_perm", MAX_NUM_PERM + 1), ("num_perm", True), ("num_perm", 8.0),
    ("seed", -1), ("seed", SEED_LIMIT), ("ngram", 0), ("ngram", 33), ("shingle", "token"),
    ("digits", "drop"), ("digits", None),
])
def test_a_limit_is_the_same_for_the_config_and_the_hasher(name: str, value: Any) -> None:
    with pytest.raises(InvalidInput, match=name) as from_config:
        DedupConfig(**{name: value})
    with pytest.raises(InvalidInput) as from_hasher:
        MinHasher(**{name: value})
    assert str(from_config.value) == str(from_hasher.value)


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.5, 1.5, True, "0.5"])
def test_the_threshold_limit_is_the_same_for_the_config_and_optimal_params(threshold: Any) -> None:
    with pytest.raises(InvalidInput, match="threshold") as from_config:
        DedupConfig(threshold=threshold)
    with pytest.raises(InvalidInput) as from_lsh:
        optimal_params(threshold, 128)
    assert str(from_config.value) == str(from_lsh.value)
    with pytest.raises(InvalidInput, match="num_perm"):
        optimal_params(0.5, MAX_NUM_PERM + 1)


def test_the_edges_of_each_limit_are_accepted() -> None:
    edge = {"num_perm": MAX_NUM_PERM, "seed": SEED_LIMIT - 1, "ngram": 32, "shingle": "word"}
    config = DedupConfig(**edge, threshold=0.999, bands=1, rows=MAX_NUM_PERM)
    assert MinHasher(**edge).num_perm == config.num_perm == MAX_NUM_PERM


def test_the_config_is_normalized_once_and_frozen() -> None:
    config = DedupConfig(fields="question, answer", threshold=0.7, decontam_ngram=13,
                         decontam_min_overlap=1)
    assert config.fields == ("question", "answer")
    assert (config.bands, config.rows) == optimal_params(0.7, 128)
    assert isinstance(config.decontam_min_overlap, float)
    assert config.read == ReadOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.threshold = 0.5  # type: ignore[misc]
    with pytest.raises(InvalidInput, match="ReadOptions"):
        DedupConfig(read={"fmt": "qa"})  # type: ignore[arg-type]


def test_params_keep_the_report_layout() -> None:
    """report.json's ``params`` (besides workers and memory) are flat, read options included."""
    params = DedupConfig(read=ReadOptions(mapping={"question": "prompt"})).params()
    assert list(params) == [
        "threshold", "num_perm", "shingle", "ngram", "seed", "digits", "bands", "rows", "fields",
        "keep", "keep_max", "verify", "decontam_ngram", "decontam_min_overlap", "answer_check",
        "answer_threshold", "boilerplate_df", "fmt", "mapping", "strict", "requests", "max_record_bytes", "against_map",
        "frame_bytes"]
    assert (params["mapping"], params["requests"]) == ({"question": "prompt"}, [])
    orjson.dumps(params)  # JSON-ready


def tree(out: Path) -> dict[str, Any]:
    files: dict[str, Any] = {str(p.relative_to(out)): p.read_bytes()
                             for p in sorted(out.rglob("*")) if p.is_file()}
    report = orjson.loads(files.pop("report.json"))
    report.pop("timings"), report.pop("mb_per_s"), report.pop("execution")
    files["report"] = report
    return files


def test_dedup_takes_a_config_or_its_keywords_alike(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    records = [{"id": str(i), "prompt": f"What is {i % 7} plus {i % 7}?", "answer": str(i)}
               for i in range(40)]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    by_keywords = dedup(path, tmp_path / "kw", threshold=0.6, fields="question", keep="longest",
                        mapping={"question": "prompt"}, fmt="qa", progress=False)
    config = DedupConfig(threshold=0.6, fields=("question",), keep="longest",
                         read=ReadOptions(fmt="qa", mapping={"question": "prompt"}))
    by_config = dedup(path, tmp_path / "cfg", config=config, progress=False)
    assert by_keywords["removed"] == by_config["removed"] == 33
    assert tree(tmp_path / "kw") == tree(tmp_path / "cfg")
    with pytest.raises(TypeError, match="not both"):
        dedup(path, tmp_path / "x", config=config, threshold=0.6)
    with pytest.raises(TypeError, match="thresold"):
        dedup(path, tmp_path / "x", thresold=0.6)


def test_the_cli_reads_the_defaults_without_numpy_or_compiled_modules() -> None:
    code = (
        "import argparse, sys\n"
        "import boostpack.commands.dedup as command\n"
        "command.register(argparse.ArgumentParser().add_subparsers())\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] == 'numpy'\n"
        "         or (m.startswith('boostpack._') and m != 'boostpack._version')]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
