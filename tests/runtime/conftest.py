"""Fixtures of the runtime tests: the real local Ray cluster (``ray_cluster.py``), started once
per session, only when a test asks for it; small inputs and a tiny tokenizer for the tests that
run whole stages in other processes."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from ray_cluster import LocalRayCluster, start_cluster

from boostpack.demo.tokenizer import train_byte_bpe


def _reload_auth_settings() -> None:
    """Make an already imported Ray read the authentication variables again, as Ray itself does
    when it turns token authentication on (private calls; absent before Ray 2.52)."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config
    except ImportError:
        return
    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalRayCluster]:
    """The session's two-node cluster, with its token in this process's environment for the
    session (tests drive runs from here as well as from subprocesses). Ray reads the
    authentication settings when it is first imported, so they are set before that (or read
    again, if a test imported Ray earlier)."""
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_ADDRESS")}
    token = secrets.token_hex(16)
    imported = "ray" in sys.modules
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    os.environ.pop("RAY_ADDRESS", None)
    try:
        pytest.importorskip("ray")
        if imported:
            _reload_auth_settings()
        cluster = start_cluster(token)
        try:
            yield cluster
        finally:
            cluster.stop()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def qa_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Two small QA files, many of the items near duplicates of each other."""
    tmp = tmp_path_factory.mktemp("inputs")
    paths = []
    for f in range(2):
        lines = [orjson.dumps({"id": f"{f}-{i}", "question": f"What is {i % 150} plus {i % 7}?",
                               "answer": f"It is {i % 150 + i % 7}."}) for i in range(300)]
        paths.append(tmp / f"qa{f}.jsonl")
        paths[-1].write_bytes(b"\n".join(lines) + b"\n")
    return [str(p) for p in paths]


@pytest.fixture(scope="session")
def small_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-id byte-level BPE with BOS/EOS: loads in milliseconds where a real vocabulary
    takes seconds in every process."""
    texts = (f"What is {i} plus {i % 7}? It is {i + i % 7}." for i in range(500))
    return train_byte_bpe(texts, tmp_path_factory.mktemp("tokenizer") / "tokenizer.json", 300)
