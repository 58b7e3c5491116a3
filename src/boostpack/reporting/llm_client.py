"""A small client for any OpenAI-compatible chat-completions endpoint, with a response cache,
retries and a budget, on the standard library alone (``urllib``; thread-safe, so a thread pool
gives concurrency).

- Cache: one JSON file per distinct request (model, messages, temperature, max_tokens; not the
  endpoint or the key) under ``cache_dir/ab/<sha256>.json``, holding the request and the raw
  response body. A rerun or a resumed run answers from it and makes no repeated call; the
  files are also the record of every raw response.
- Retries: connection errors, timeouts, HTTP 408/409/429/5xx and unparsable bodies are
  retried with exponential backoff (``backoff * 2**attempt`` seconds); other HTTP errors fail
  the call at once. A failed call returns None: the caller counts it, never crashes on it.
- Budget: a cap on calls and/or tokens (prompt + completion, as the endpoint reports them);
  a call that would start past it raises ``BudgetExhausted``. Cached answers cost nothing.
- The API key is read from an environment variable, sent as a bearer token, and never
  written to the cache or the report.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boostpack.runtime.atomic import atomic_write

_RETRY_STATUS = frozenset((408, 409, 429, 500, 502, 503, 504))


class BudgetExhausted(Exception):
    """The next call would exceed the call or token budget."""


@dataclass
class Usage:
    calls: int = 0  # requests sent (successful or not, retries not counted twice)
    cached: int = 0  # answers taken from the cache
    failed: int = 0  # calls that gave no usable response after retries
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def request_key(body: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of the request body (the cache key)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ResponseCache:
    """Raw responses on disk, one file per request key (written atomically)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(key).read_bytes())
        except (FileNotFoundError, ValueError):
            return None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        with atomic_write(self._path(key)) as f:
            f.write(json.dumps(entry, ensure_ascii=False, indent=1).encode("utf-8"))


class ChatClient:
    """``complete(messages)`` -> the assistant's text, or None when the call failed."""

    def __init__(self, endpoint: str, model: str, cache_dir: str | os.PathLike[str], *,
                 api_key: str | None = None, temperature: float = 0.0, max_tokens: int = 1024,
                 timeout: float = 120.0, retries: int = 4, backoff: float = 1.0,
                 budget_calls: int | None = None, budget_tokens: int | None = None) -> None:
        self.url = endpoint.rstrip("/") + "/chat/completions"
        self.model, self.temperature, self.max_tokens = model, temperature, max_tokens
        self.cache = ResponseCache(cache_dir)
        self._api_key = api_key
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.budget_calls, self.budget_tokens = budget_calls, budget_tokens
        self.usage = Usage()
        self._started = 0
        self._lock = threading.Lock()

    def body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "temperature": self.temperature,
                "max_tokens": self.max_tokens}

    def complete(self, messages: list[dict[str, str]], tag: str = "") -> str | None:
        body = self.body(messages)
        key = request_key(body)
        hit = self.cache.get(key)
        if hit is not None and isinstance(hit.get("content"), str):
            with self._lock:
                self.usage.cached += 1
            return hit["content"]
        self._reserve()
        raw = self._post(body)
        content, usage = _parse(raw)
        with self._lock:
            self.usage.calls += 1
            if content is None:
                self.usage.failed += 1
            self.usage.prompt_tokens += usage.get("prompt_tokens", 0)
            self.usage.completion_tokens += usage.get("completion_tokens", 0)
        if content is not None:
            self.cache.put(key, {"tag": tag, "request": body, "response": raw, "content": content})
        return content

    def _reserve(self) -> None:
        with self._lock:
            spent = self.usage.prompt_tokens + self.usage.completion_tokens
            if ((self.budget_calls is not None and self._started >= self.budget_calls)
                    or (self.budget_tokens is not None and spent >= self.budget_tokens)):
                raise BudgetExhausted
            self._started += 1

    def _post(self, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        for attempt in range(self.retries + 1):
            if attempt:
                with self._lock:
                    self.usage.retries += 1
                time.sleep(self.backoff * 2 ** (attempt - 1))
            req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                if exc.code not in _RETRY_STATUS:
                    return None
            except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError):
                pass
        return None


def _parse(raw: Any) -> tuple[str | None, dict[str, int]]:
    """(assistant text, usage) of a chat-completions response body; (None, ...) if unusable."""
    if not isinstance(raw, dict):
        return None, {}
    usage = raw.get("usage") if isinstance(raw.get("usage"), dict) else {}
    clean = {k: int(v) for k, v in usage.items()
             if k in ("prompt_tokens", "completion_tokens") and isinstance(v, (int, float))}
    try:
        content = raw["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None, clean
    return (content if isinstance(content, str) else None), clean
