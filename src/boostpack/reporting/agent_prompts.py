"""Prompts of the LLM cluster-agent and the parsing of its answers.

The protocol follows Chen et al. 2024, "On the Diversity of Synthetic Data and its Impact on
Training Large Language Models" (arXiv 2410.15226): the LLM first proposes clustering
criteria (a *metadata* description of what characterizes a sample, and a *metric* saying when
two samples belong together) from small random samples, the proposals are summarized into one
set, and then random groups of K samples are clustered by those criteria, each clustering
checked by the LLM itself. The prompts below are this project's own wording.

Every answer is asked for as one JSON object; ``parse_json`` takes the first ``{`` to the last
``}`` (tolerating code fences and chatter around it), and the validators return None for
anything malformed, which the caller counts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

SAMPLE_CHARS = 1500  # characters of each sample shown to the LLM
SYSTEM = ("You analyze datasets of question-answer pairs written to train language models. "
          "You answer with a single JSON object and nothing else.")


def _samples(texts: Sequence[str]) -> str:
    return "\n\n".join(f"[{i}]\n{t[:SAMPLE_CHARS]}" for i, t in enumerate(texts, 1))


def criteria_prompt(texts: Sequence[str]) -> list[dict[str, str]]:
    """Ask for clustering criteria from a few samples."""
    user = (
        "Here are some samples from a training dataset:\n\n" + _samples(texts) + "\n\n"
        "Propose how samples of this dataset should be grouped so that each group holds "
        "samples that are essentially the same kind of item. Describe (1) the metadata: the "
        "attributes that characterize a sample (for example subject, skill tested, problem "
        "type, format, difficulty), and (2) the metric: the rule that decides whether two "
        "samples belong to the same group. Reply as "
        '{"metadata": "...", "metric": "..."}')
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def summary_prompt(proposals: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Ask to merge the proposals into one set of criteria."""
    listed = "\n".join(f"{i}. metadata: {p['metadata']}\n   metric: {p['metric']}"
                       for i, p in enumerate(proposals, 1))
    user = ("Several analysts proposed criteria for grouping the samples of one dataset:\n\n"
            f"{listed}\n\nMerge them into one set of criteria that keeps what recurs and is "
            "precise enough to apply consistently. Reply as "
            '{"metadata": "...", "metric": "..."}')
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def cluster_prompt(criteria: dict[str, str], texts: Sequence[str]) -> list[dict[str, str]]:
    """Ask to cluster the numbered samples by the criteria."""
    user = (f"Grouping criteria.\nMetadata: {criteria['metadata']}\nMetric: {criteria['metric']}"
            f"\n\nCluster these {len(texts)} samples by the criteria:\n\n{_samples(texts)}\n\n"
            f"Every sample number from 1 to {len(texts)} must appear in exactly one cluster; a "
            "sample unlike all others is a cluster of its own. Reply as "
            '{"clusters": [{"label": "...", "members": [1, 2]}, ...]}')
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def verify_prompt(criteria: dict[str, str], texts: Sequence[str],
                  clusters: list[list[int]]) -> list[dict[str, str]]:
    """Ask the LLM to check (and correct) its own clustering."""
    proposed = json.dumps({"clusters": [{"members": m} for m in clusters]})
    user = (f"Grouping criteria.\nMetadata: {criteria['metadata']}\nMetric: {criteria['metric']}"
            f"\n\nSamples:\n\n{_samples(texts)}\n\nProposed clustering: {proposed}\n\n"
            "Check it: every sample number appears exactly once, samples in one cluster match "
            "by the metric, samples in different clusters do not. Reply with the corrected "
            'clustering (the same one if it is right) as {"clusters": [{"label": "...", '
            '"members": [1, 2]}, ...]}')
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_json(text: str | None) -> Any:
    """The JSON object in an answer, or None."""
    if not text:
        return None
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start:end + 1])
    except ValueError:
        return None


def parse_criteria(text: str | None) -> dict[str, str] | None:
    """``{"metadata", "metric"}`` (non-empty strings) or None."""
    obj = parse_json(text)
    if not isinstance(obj, dict):
        return None
    metadata, metric = obj.get("metadata"), obj.get("metric")
    if not isinstance(metadata, str) or not isinstance(metric, str):
        return None
    if not metadata.strip() or not metric.strip():
        return None
    return {"metadata": metadata.strip(), "metric": metric.strip()}


def parse_clusters(text: str | None, k: int) -> list[list[int]] | None:
    """The clusters (lists of sample numbers) when they partition 1..k exactly, else None."""
    obj = parse_json(text)
    clusters = obj.get("clusters") if isinstance(obj, dict) else None
    if not isinstance(clusters, list) or not clusters:
        return None
    out: list[list[int]] = []
    for c in clusters:
        members = c.get("members") if isinstance(c, dict) else None
        if not isinstance(members, list) or not members:
            return None
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in members):
            return None
        out.append(sorted(members))
    flat = sorted(m for c in out for m in c)
    return out if flat == list(range(1, k + 1)) else None
