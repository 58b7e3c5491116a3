"""Fixtures of the runtime tests: the real local Ray cluster (``ray_cluster.py``), started once
per session, only when a test asks for it."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator

import pytest
from ray_cluster import LocalRayCluster, start_cluster


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
