"""The demo pipeline: write the sample, then run each stage on the previous stage's output.

``STEPS`` is the ordered list of stages; each step takes the ``DemoRun`` (work directory, the
outputs of earlier steps) and returns its summary dict, and has a function turning that summary
into readable lines. Later stages (dedup → pack → load) are added as further steps calling the
public API (``boostpack.dedup``, ``boostpack.pack``, ``boostpack.PackedDataset``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boostpack import sample


@dataclass
class DemoRun:
    """State passed along the steps: where things are and what each step returned."""

    workdir: Path
    inputs: list[Path] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[DemoRun], dict[str, Any]]
    describe: Callable[[dict[str, Any]], list[str]]


def _sample(demo: DemoRun) -> dict[str, Any]:
    demo.inputs = sample.write_sample(demo.workdir / "sample")
    return {"directory": str(demo.workdir / "sample"), "files": [str(p) for p in demo.inputs],
            "bytes": sum(p.stat().st_size for p in demo.inputs)}


def _describe_sample(s: dict[str, Any]) -> list[str]:
    names = ", ".join(Path(p).name for p in s["files"])
    return [f"sample: {len(s['files'])} files ({names}), {s['bytes'] / 1e6:.2f} MB -> {s['directory']}"]


def _ingest(demo: DemoRun) -> dict[str, Any]:
    from boostpack.ingestion import ingest

    return ingest(demo.inputs, demo.workdir / "ingested",
                  requests=[demo.workdir / "sample" / sample.REQUESTS_PATH], progress=False)


def _describe_ingest(report: dict[str, Any]) -> list[str]:
    from boostpack.commands.ingest import summary_lines

    return summary_lines(report)


STEPS: list[Step] = [
    Step("sample", _sample, _describe_sample),
    Step("ingest", _ingest, _describe_ingest),
]


def run_demo(directory: str | os.PathLike[str],
             on_step: Callable[[Step, dict[str, Any]], None] | None = None) -> dict[str, dict[str, Any]]:
    """Run every step in ``directory``; ``on_step`` sees each step's summary as it finishes."""
    demo = DemoRun(Path(directory))
    demo.workdir.mkdir(parents=True, exist_ok=True)
    for step in STEPS:
        demo.results[step.name] = step.run(demo)
        if on_step is not None:
            on_step(step, demo.results[step.name])
    return demo.results
