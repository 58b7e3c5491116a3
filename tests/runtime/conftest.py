"""Fixtures of the runtime tests: the real local Ray cluster (``ray_cluster.py``), started once
per session, only when a test asks for it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from ray_cluster import LocalRayCluster, start_cluster


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalRayCluster]:
    """The session's two-node cluster, with its token in this process's environment for the
    session (tests drive runs from here as well as from subprocesses). Ray reads the
    authentication settings when it is first imported, so they are set before that."""
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_ADDRESS")}
    token = secrets.token_hex(16)
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    os.environ.pop("RAY_ADDRESS", None)
    try:
        pytest.importorskip("ray")
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
