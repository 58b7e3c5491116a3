"""The LLM cluster-agent diversity score (Chen et al. 2024, arXiv 2410.15226) against any
OpenAI-compatible chat endpoint.

1. Criteria: M rounds, each showing the LLM J random samples (pooled over every column, so
   all columns are judged by the same criteria) and asking for metadata + metric; one more
   call merges the valid proposals.
2. Clustering: per column, N rounds; each shows K random samples of the column and asks for
   a clustering by the criteria, then asks the LLM to verify (and correct) that clustering.
   The verified clustering counts when it partitions the K samples; otherwise the first one
   does when it does; otherwise the round is malformed (counted, never fatal).
3. Score per column: mean over clustered rounds of C² / K (C: clusters in the round; the
   definition in this project's issue), with the mean C and C / K beside it.

Before any call the cost is estimated (calls, prompt tokens from the samples actually drawn
at ~4 characters a token, completion tokens at most ``max_tokens`` each) and logged;
``estimate_only`` stops there. Calls run on ``concurrency`` threads through ``ChatClient``
(cache, retries, budget): a rerun makes no repeated call, and a run stopped by its budget
reports the rounds it finished. Sampling is seeded, so a rerun asks the same questions.
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from boostpack.errors import InvalidInput
from boostpack.reporting import agent_prompts as prompts
from boostpack.reporting.llm_client import BudgetExhausted, ChatClient
from boostpack.reporting.sampling import Reservoir

# (K, N, J, M): the paper's defaults, and cheaper presets with the same K and J.
PRESETS = {"paper": (10, 5000, 5, 100), "standard": (10, 500, 5, 20), "quick": (10, 50, 5, 5)}
CHARS_PER_TOKEN = 4
_TEMPLATE_TOKENS = 200  # instructions around the samples in each prompt
_CRITERIA_TOKENS = 150  # one proposal, as shown in the summary prompt


@dataclass(frozen=True)
class ClusterAgentConfig:
    """Endpoint, model and protocol sizes. ``preset`` fills k/n/j/m left as None."""

    endpoint: str
    model: str
    cache_dir: str
    preset: str = "quick"
    k: int | None = None
    n: int | None = None
    j: int | None = None
    m: int | None = None
    concurrency: int = 4
    budget_calls: int | None = None
    budget_tokens: int | None = None
    max_tokens: int = 1024
    temperature: float = 0.0
    timeout: float = 120.0
    retries: int = 4
    backoff: float = 1.0
    api_key_env: str = "OPENAI_API_KEY"
    estimate_only: bool = False
    seed: int = 0
    sizes: tuple[int, int, int, int] = field(init=False)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise InvalidInput(f"report: unknown LLM preset {self.preset!r} "
                               f"(one of {', '.join(PRESETS)})")
        k, n, j, m = (v if v is not None else d for v, d in
                      zip((self.k, self.n, self.j, self.m), PRESETS[self.preset], strict=True))
        if k < 2 or n < 1 or j < 1 or m < 1 or self.concurrency < 1:
            raise InvalidInput("report: LLM K >= 2, N, J, M and concurrency >= 1")
        if not self.endpoint.startswith(("http://", "https://")):
            raise InvalidInput(f"report: LLM endpoint must be an http(s) URL, got {self.endpoint!r}")
        object.__setattr__(self, "sizes", (k, n, j, m))


class _Malformed:
    """Malformed answers per stage, counted from the worker threads."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, stage: str, n: int = 1) -> None:
        if n:
            with self._lock:
                self.counts[stage] += n


def _draws(rng: random.Random, pool: Sequence[str], rounds: int, size: int) -> list[list[str]]:
    if len(pool) < size:
        return []
    return [rng.sample(list(pool), size) for _ in range(rounds)]


def _tokens(texts: Sequence[str]) -> int:
    return _TEMPLATE_TOKENS + sum(min(len(t), prompts.SAMPLE_CHARS) for t in texts) // CHARS_PER_TOKEN


def estimate(cfg: ClusterAgentConfig, criteria_draws: list[list[str]],
             column_draws: list[list[list[str]]]) -> dict[str, int]:
    """Calls and tokens the run would make with an empty cache."""
    k, _, _, m = cfg.sizes
    rounds = sum(len(d) for d in column_draws)
    cluster_tokens = sum(_tokens(t) for draws in column_draws for t in draws)
    # The verify prompt repeats the samples and adds the proposed clustering (~4 tokens/sample).
    prompt = (sum(_tokens(t) for t in criteria_draws) + _TEMPLATE_TOKENS + m * _CRITERIA_TOKENS
              + 2 * cluster_tokens + rounds * 4 * k)
    calls = len(criteria_draws) + 1 + 2 * rounds
    return {"calls": calls, "prompt_tokens": prompt, "completion_tokens_max": calls * cfg.max_tokens}


def _criteria(client: ChatClient, pool: ThreadPoolExecutor, draws: list[list[str]],
              malformed: _Malformed) -> dict[str, Any]:
    answers = list(pool.map(lambda t: client.complete(prompts.criteria_prompt(t), "criteria"), draws))
    proposals = [p for p in map(prompts.parse_criteria, answers) if p is not None]
    malformed.add("criteria", len(answers) - len(proposals))
    merged = None
    if proposals:
        merged = prompts.parse_criteria(client.complete(prompts.summary_prompt(proposals), "summary"))
        if merged is None:
            malformed.add("summary")
            merged = proposals[0]
    fallback = merged is None
    if merged is None:  # nothing usable came back: cluster by a generic rule, and say so
        merged = {"metadata": "the subject, skill and type of problem of each sample",
                  "metric": "two samples belong together when they test the same skill on the "
                            "same kind of problem"}
    return {**merged, "proposals": len(proposals), "fallback": fallback}


def _round(client: ChatClient, criteria: dict[str, str], texts: list[str],
           malformed: _Malformed) -> int | None:
    """Clusters in one round (None: malformed; BudgetExhausted propagates)."""
    k = len(texts)
    first = prompts.parse_clusters(client.complete(prompts.cluster_prompt(criteria, texts),
                                                   "cluster"), k)
    if first is None:
        malformed.add("cluster")
        return None
    verified = prompts.parse_clusters(
        client.complete(prompts.verify_prompt(criteria, texts, first), "verify"), k)
    if verified is None:
        malformed.add("verify")
        return len(first)
    return len(verified)


def _column(client: ChatClient, pool: ThreadPoolExecutor, criteria: dict[str, str],
            name: str, draws: list[list[str]], k: int, malformed: _Malformed) -> dict[str, Any]:
    def one(texts: list[str]) -> int | str | None:
        try:
            return _round(client, criteria, texts, malformed)
        except BudgetExhausted:
            return "budget"

    results = list(pool.map(one, draws))
    counts = [r for r in results if isinstance(r, int)]
    skipped = sum(1 for r in results if r == "budget")
    mean = sum(counts) / len(counts) if counts else None
    return {"name": name, "rounds": len(draws), "completed": len(counts), "skipped": skipped,
            "malformed": len(results) - len(counts) - skipped,
            "score": sum(c * c / k for c in counts) / len(counts) if counts else None,
            "mean_clusters": mean, "clusters_per_sample": mean / k if mean is not None else None,
            "cluster_counts": {str(c): n for c, n in sorted(Counter(counts).items())}}


def run_cluster_agent(cfg: ClusterAgentConfig, names: Sequence[str],
                      samples: Sequence[Reservoir], log: Callable[[str], None]) -> dict[str, Any]:
    """Run the protocol over the columns' samples; return the report's ``cluster_agent``."""
    k, n, j, m = cfg.sizes
    rng = random.Random(cfg.seed)
    pooled = [t for s in samples for t in s.items]
    criteria_draws = _draws(rng, pooled, m, j)
    column_draws = [_draws(rng, s.items, n, k) for s in samples]
    est = estimate(cfg, criteria_draws, column_draws)
    log(f"report: LLM cluster-agent ({cfg.model}, K={k} N={n} J={j} M={m}): up to "
        f"{est['calls']:,} calls, ~{est['prompt_tokens']:,} prompt tokens, at most "
        f"{est['completion_tokens_max']:,} completion tokens (cached answers cost nothing)")
    out: dict[str, Any] = {"config": {**{x: y for x, y in asdict(cfg).items()
                                         if x not in ("sizes", "api_key_env")},
                                      "k": k, "n": n, "j": j, "m": m},
                           "estimate": est, "cache_dir": cfg.cache_dir}
    client = ChatClient(cfg.endpoint, cfg.model, cfg.cache_dir,
                        api_key=os.environ.get(cfg.api_key_env), temperature=cfg.temperature,
                        max_tokens=cfg.max_tokens, timeout=cfg.timeout, retries=cfg.retries,
                        backoff=cfg.backoff, budget_calls=cfg.budget_calls,
                        budget_tokens=cfg.budget_tokens)
    malformed = _Malformed()
    if cfg.estimate_only:
        return {**out, "criteria": {}, "columns": [], "usage": client.usage.to_dict(),
                "malformed": {}, "stopped": "estimate only"}
    stopped = None
    with ThreadPoolExecutor(cfg.concurrency) as pool:
        try:
            criteria = _criteria(client, pool, criteria_draws, malformed)
        except BudgetExhausted:
            criteria, stopped = {"metadata": None, "metric": None, "proposals": 0,
                                 "fallback": True}, "budget"
        columns = []
        for name, draws in zip(names, column_draws, strict=True):
            if stopped:
                columns.append({"name": name, "rounds": len(draws), "completed": 0,
                                "skipped": len(draws), "malformed": 0, "score": None,
                                "mean_clusters": None, "clusters_per_sample": None,
                                "cluster_counts": {}})
                continue
            columns.append(_column(client, pool, criteria, name, draws, k, malformed))
            if columns[-1]["skipped"]:
                stopped = "budget"
    log(f"report: LLM cluster-agent made {client.usage.calls:,} calls "
        f"({client.usage.cached:,} answered from the cache)")
    return {**out, "criteria": criteria, "columns": columns, "usage": client.usage.to_dict(),
            "malformed": dict(malformed.counts), "stopped": stopped}
