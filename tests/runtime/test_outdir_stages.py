"""Every stage claims its output directory (runtime.outdir), through the command line: a second
run is refused at once while the first finishes correctly (two real processes, with worker
processes), a finished result of other options is never replaced without --overwrite, and a
user's folder or another stage's output is never written into."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from boostpack.deduplication.pipeline import dedup
from boostpack.ingestion.pipeline import ingest
from boostpack.packing.pipeline import pack
from boostpack.runtime.outdir import RECORD_NAME

# Runs the command with the stage's body (what runs once the directory is claimed) held until
# the test says go, so the second run certainly meets a run in progress.
HOLDER = str(Path(__file__).with_name("hold_stage.py"))

# stage -> (module and function of its body once claimed, options, other options, options
# that make it start worker processes)
STAGES = {
    "ingest": ("boostpack.ingestion.pipeline", "_ingest_files", [], ["--format", "qa"], []),
    "dedup": ("boostpack.deduplication.pipeline", "_run", [], ["--threshold", "0.7"],
              ["--workers", "2"]),
    # A field mapping keeps pack's lines off the in-process fast lane, and small tasks make
    # several: the tasks run on worker processes.
    "pack": ("boostpack.packing.pipeline", "prepare_output", ["--seq-len", "256"],
             ["--seq-len", "512"], ["--workers", "2", "--map", "question=question",
                                    "--task-bytes", "4K"]),
}


def command(stage: str, inputs: list[str], out: Path, options: list[str],
            tokenizer: Path) -> list[str]:
    cmd = [stage, *inputs, "-o", str(out), *options]
    return [*cmd, "--tokenizer", str(tokenizer)] if stage == "pack" else cmd


def boostpack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "boostpack", *args], capture_output=True,
                          text=True, timeout=300)


def tree(out: Path) -> dict[str, bytes]:
    """The output's files; dedup's report without its timings, workers and execution."""
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file()}
    if "kept" in {p.name for p in out.iterdir()}:
        report = orjson.loads(files.pop("report.json"))
        report.pop("timings"), report.pop("mb_per_s"), report["params"].pop("workers")
        report.pop("execution", None)  # where the tasks ran
        files["report"] = orjson.dumps(report, option=orjson.OPT_SORT_KEYS)
    return files


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_second_run_is_refused_while_the_first_finishes(stage: str, qa_inputs: list[str],
                                                          tmp_path: Path,
                                                          small_tokenizer: Path) -> None:
    module, body, options, _, parallel = STAGES[stage]
    options = [*options, *parallel]
    out, ready, go = tmp_path / "out", tmp_path / "ready", tmp_path / "go"
    first = subprocess.Popen(
        [sys.executable, HOLDER, module, body, str(ready), str(go),
         *command(stage, qa_inputs, out, options, small_tokenizer)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.02)
        second = boostpack(*command(stage, qa_inputs, out, options, small_tokenizer))
        assert second.returncode == 1
        assert second.stderr == (f"boostpack {stage}: error: {out} is in use by another "
                                 f"boostpack run (pid {first.pid})\n")
        go.touch()
        # The first run's worker processes never wait for its lock.
        assert first.wait(timeout=300) == 0, first.communicate()[1]
    finally:
        first.kill()
    # The same command, run alone, writes the same output.
    alone_run = boostpack(*command(stage, qa_inputs, tmp_path / "alone", options,
                                   small_tokenizer))
    assert alone_run.returncode == 0, alone_run.stderr
    alone, shared = tree(tmp_path / "alone"), tree(out)
    assert orjson.loads(alone.pop(RECORD_NAME))["fingerprint"] == \
        orjson.loads(shared.pop(RECORD_NAME))["fingerprint"]
    assert shared == alone


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_finished_result_is_replaced_only_with_overwrite(stage: str, qa_inputs: list[str],
                                                           tmp_path: Path,
                                                           small_tokenizer: Path) -> None:
    _, _, options, other, _ = STAGES[stage]
    out = tmp_path / "out"
    assert boostpack(*command(stage, qa_inputs, out, options, small_tokenizer)).returncode == 0
    before = tree(out)
    refused = boostpack(*command(stage, qa_inputs, out, other, small_tokenizer))
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(f"boostpack {stage}: error: {out} holds a finished {stage} "
                                     "result made from other inputs or options (changed: ")
    assert tree(out) == before
    replaced = boostpack(*command(stage, qa_inputs, out, [*other, "--overwrite"], small_tokenizer))
    assert replaced.returncode == 0, replaced.stderr
    assert tree(out) != before


@pytest.fixture(scope="module")
def finished(qa_inputs: list[str], tmp_path_factory: pytest.TempPathFactory,
             small_tokenizer: Path) -> dict[str, Path]:
    """A finished output of each stage, and a user's folder."""
    tmp = tmp_path_factory.mktemp("finished")
    outs = {"user": tmp / "user"}
    outs["user"].mkdir()
    (outs["user"] / "thesis.tex").write_text("years of work")
    outs.update(ingest=tmp / "ingest", dedup=tmp / "dedup", pack=tmp / "pack")
    ingest(qa_inputs, outs["ingest"])
    dedup(qa_inputs, outs["dedup"], progress=False)
    pack(qa_inputs, outs["pack"], tokenizer=small_tokenizer, seq_len=256, progress=False)
    return outs


@pytest.mark.parametrize(("stage", "into"), [(stage, into) for stage in STAGES
                                             for into in ("user", *STAGES) if into != stage])
def test_never_writes_into_a_directory_that_is_not_its_own(stage: str, into: str,
                                                           qa_inputs: list[str],
                                                           finished: dict[str, Path],
                                                           small_tokenizer: Path) -> None:
    out = finished[into]
    before = tree(out)
    _, _, options, _, _ = STAGES[stage]
    refused = boostpack(*command(stage, qa_inputs, out, [*options, "--overwrite"],
                                 small_tokenizer))
    assert refused.returncode == 1
    why = "did not write (thesis.tex)" if into == "user" else f"holds a boostpack {into} output"
    assert refused.stderr.count("\n") == 1 and why in refused.stderr, refused.stderr
    assert tree(out) == before


def test_an_interrupted_ingest_restarts(qa_inputs: list[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from boostpack.ingestion import parts

    ingest(qa_inputs, tmp_path / "clean", shard_bytes=4096)
    real, written = parts.PartWriter.write, []

    def killed(self: parts.PartWriter, line: bytes) -> None:
        written.append(line)
        if len(written) == 200:  # after a few finished shards
            raise KeyboardInterrupt
        real(self, line)

    monkeypatch.setattr(parts.PartWriter, "write", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest(qa_inputs, tmp_path / "out", shard_bytes=4096)
    monkeypatch.undo()
    assert (tmp_path / "out" / "records" / "part-00000.jsonl.zst").exists()
    assert not (tmp_path / "out" / "report.json").exists()
    ingest(qa_inputs, tmp_path / "out", shard_bytes=4096)
    assert tree(tmp_path / "out") == tree(tmp_path / "clean")
