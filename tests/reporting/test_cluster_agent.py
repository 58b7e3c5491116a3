"""The LLM cluster-agent against a local OpenAI-compatible server on 127.0.0.1 that answers
with recorded responses (some malformed, one failing once): requests made, caching, budget,
the API key, and the score."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from boostpack.reporting.cluster_agent import ClusterAgentConfig, run_cluster_agent
from boostpack.reporting.sampling import Reservoir

CRITERIA_ANSWERS = [
    '{"metadata": "topic of the item", "metric": "same topic"}',
    'Sure! ```json\n{"metadata": "subject and skill", "metric": "same subject"}\n```',
    "The metadata is the topic and the metric is equality.",  # malformed: no JSON
    '{"metadata": "", "metric": "same topic"}',  # malformed: empty field
    '{"metadata": "topic", "metric": "same topic"}',
]
SUMMARY = '{"metadata": "the topic of each item", "metric": "two items share a topic"}'


class Recorded(BaseHTTPRequestHandler):
    """Answers chat completions from the recorded responses above; clustering answers group
    the numbered samples by their ``topic N`` tag."""

    log: ClassVar[list[dict]] = []
    fail_first = True
    criteria_served = 0
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            Recorded.log.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                 "body": body})
            fail = Recorded.fail_first
            Recorded.fail_first = False
        if fail:
            self.send_response(503)
            self.end_headers()
            return
        prompt = body["messages"][-1]["content"]
        content = self.answer(prompt)
        raw = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}],
                          "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 20}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(raw.encode())

    def answer(self, prompt: str) -> str:
        if "Propose how samples" in prompt:  # the recorded answers, in arrival order
            with self.lock:
                Recorded.criteria_served += 1
                return CRITERIA_ANSWERS[(Recorded.criteria_served - 1) % len(CRITERIA_ANSWERS)]
        if "Several analysts" in prompt:
            return SUMMARY
        samples = dict(re.findall(r"\[(\d+)\]\n(topic \d+)", prompt))
        if "Proposed clustering" not in prompt and "MALFORMED" in prompt:
            return '{"clusters": [{"members": [1, 2]}]}'  # does not cover every sample
        if "Proposed clustering" in prompt and "BADVERIFY" in prompt:
            return "I agree with the clustering."
        groups: dict[str, list[int]] = {}
        for i, topic in samples.items():
            groups.setdefault(topic, []).append(int(i))
        return json.dumps({"clusters": [{"label": t, "members": m} for t, m in groups.items()]})


@pytest.fixture
def server() -> Iterator[str]:
    Recorded.log = []
    Recorded.fail_first = True
    Recorded.criteria_served = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorded)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _sample(topics: int, n: int = 60, marker_every: int = 0) -> Reservoir:
    r = Reservoir(1000, 0)
    for i in range(n):
        tag = " MALFORMED" if marker_every and i % marker_every == 0 else ""
        r.offer(f"topic {i % topics} item {i}{tag}", key=str(i))
    return r


def _config(endpoint: str, cache: Path, **kw: object) -> ClusterAgentConfig:
    args: dict = {"preset": "quick", "n": 12, "m": 5, "concurrency": 3, "backoff": 0.01, **kw}
    return ClusterAgentConfig(endpoint=endpoint, model="test-model", cache_dir=str(cache), **args)


def _expected(log: list[dict], k: int) -> dict[str, float]:
    """Score per column from the requests the server saw: clusters = distinct topics."""
    out = {}
    for entry in log:
        prompt = entry["body"]["messages"][-1]["content"]
        if "Cluster these" in prompt and "MALFORMED" not in prompt:
            topics = set(re.findall(r"\[\d+\]\n(topic \d+)", prompt))
            out[prompt] = len(topics) ** 2 / k
    return out


def test_score_requests_cache_and_malformed(server: str, tmp_path: Path) -> None:
    samples = [_sample(3), _sample(10, marker_every=9)]
    cfg = _config(server, tmp_path / "cache")
    logs: list[str] = []
    result = run_cluster_agent(cfg, ["narrow", "broad"], samples, logs.append)
    est = result["estimate"]
    assert logs[0].startswith("report: LLM cluster-agent") and "calls" in logs[0]
    # every planned call went out once (a round whose clustering is malformed has nothing to
    # verify), plus one retry of the 503
    made = est["calls"] - result["malformed"]["cluster"]
    assert len(Recorded.log) == made + 1 and result["usage"]["calls"] == made
    assert result["usage"]["retries"] == 1 and result["usage"]["failed"] == 0
    assert all(e["path"] == "/v1/chat/completions" for e in Recorded.log)
    assert all(e["body"]["model"] == "test-model" for e in Recorded.log)
    assert result["criteria"]["metadata"] == "the topic of each item"
    assert result["malformed"]["criteria"] == 2
    narrow, broad = result["columns"]
    assert narrow["completed"] == 12 and narrow["malformed"] == 0
    assert narrow["mean_clusters"] == pytest.approx(3.0)  # 10 samples of 3 topics
    assert narrow["score"] == pytest.approx(0.9)  # 3^2 / 10
    assert broad["malformed"] == result["malformed"]["cluster"] > 0
    assert broad["completed"] + broad["malformed"] == 12
    # the score is the mean of C^2/K over the rounds the server clustered
    per_round = _expected(Recorded.log, 10)
    broad_rounds = [v for p, v in per_round.items() if re.search(r"topic [3-9]", p)]
    assert broad["score"] == pytest.approx(sum(broad_rounds) / len(broad_rounds))
    assert broad["score"] > narrow["score"]
    # raw responses are kept in the cache; a rerun makes no call and gives the same result
    assert len(list((tmp_path / "cache").rglob("*.json"))) == made
    seen = len(Recorded.log)
    again = run_cluster_agent(cfg, ["narrow", "broad"], samples, logs.append)
    assert len(Recorded.log) == seen
    assert again["usage"]["calls"] == 0 and again["usage"]["cached"] > 0
    assert again["columns"] == result["columns"]


def test_verify_failure_keeps_the_first_clustering(server: str, tmp_path: Path) -> None:
    r = Reservoir(100, 0)
    for i in range(30):
        r.offer(f"topic {i % 2} item {i} BADVERIFY", key=str(i))
    result = run_cluster_agent(_config(server, tmp_path / "c"), ["x"], [r], lambda _: None)
    (col,) = result["columns"]
    assert col["completed"] == 12 and col["mean_clusters"] == pytest.approx(2.0)
    assert result["malformed"]["verify"] == 12


def test_budget_stops_without_failing(server: str, tmp_path: Path) -> None:
    cfg = _config(server, tmp_path / "c", budget_calls=9)
    result = run_cluster_agent(cfg, ["a"], [_sample(4)], lambda _: None)
    assert result["stopped"] == "budget"
    assert result["usage"]["calls"] <= 9
    (col,) = result["columns"]
    assert col["skipped"] > 0 and col["completed"] + col["skipped"] + col["malformed"] == 12


def test_estimate_only_and_api_key(server: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _config(server, tmp_path / "c", estimate_only=True)
    result = run_cluster_agent(cfg, ["a"], [_sample(4)], lambda _: None)
    assert Recorded.log == [] and result["stopped"] == "estimate only"
    assert result["estimate"]["calls"] == 5 + 1 + 2 * 12
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-123")
    cfg = _config(server, tmp_path / "c2", api_key_env="TEST_LLM_KEY", n=2)
    run_cluster_agent(cfg, ["a"], [_sample(4)], lambda _: None)
    assert {e["auth"] for e in Recorded.log} == {"Bearer sk-test-123"}
    stored = "".join(p.read_text() for p in (tmp_path / "c2").rglob("*.json"))
    assert "sk-test-123" not in stored


def test_unreachable_endpoint_is_counted_not_fatal(tmp_path: Path) -> None:
    cfg = ClusterAgentConfig(endpoint="http://127.0.0.1:9/v1", model="m", cache_dir=str(tmp_path),
                             n=2, m=1, retries=1, backoff=0.01, timeout=2)
    result = run_cluster_agent(cfg, ["a"], [_sample(4)], lambda _: None)
    assert result["usage"]["failed"] == result["usage"]["calls"] > 0
    assert result["criteria"]["fallback"] is True
    assert result["columns"][0]["completed"] == 0


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        ClusterAgentConfig(endpoint="localhost:8000", model="m", cache_dir="c")
    with pytest.raises(ValueError):
        ClusterAgentConfig(endpoint="http://x/v1", model="m", cache_dir="c", preset="huge")
    assert ClusterAgentConfig(endpoint="http://x/v1", model="m", cache_dir="c",
                              preset="paper").sizes == (10, 5000, 5, 100)


def test_report_and_page_with_the_cluster_agent(server: str, pipeline, tmp_path: Path) -> None:
    from boostpack.reporting.build import build_report
    from boostpack.reporting.diversity import DiversityOptions

    cfg = _config(server, tmp_path / "cache", n=3, m=2)
    report = build_report([pipeline.dedup_dir], tmp_path / "r.html", llm=cfg,
                          diversity=DiversityOptions(sizes=(20,), thresholds=(0.5,)))
    agent = report["cluster_agent"]
    assert [c["name"] for c in agent["columns"]] == ["dedup (before dedup)", "dedup (after dedup)"]
    assert all(c["completed"] + c["malformed"] == 3 for c in agent["columns"])
    html = (tmp_path / "r.html").read_text()
    assert 'id="agent"' in html and "test-model" in html
