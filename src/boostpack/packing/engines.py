"""Which engine encodes a run, and whether documents may be cut into segments: decided once per
tokenizer file and engine versions, and remembered.

``tokenizers`` defines the ids; ``gigatoken`` is ~30x faster and used when its ids equal
``tokenizers``' on built-in probe texts (English prose and code, numbers, Chinese, Japanese,
emoji, whitespace runs, special-token strings) and on the first documents of the input the
check first ran on. Loading ``tokenizers`` for that check costs ~0.5 s of CPU and ~250 MB per
process, so the verdict is stored (``$BOOSTPACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/boostpack``,
else ``~/.cache/boostpack``) under the tokenizer file's sha256 and both engines' versions: a
later run with the same tokenizer loads gigatoken alone. A changed file or an upgraded engine
is a new key, so the check runs again; deleting the cache directory forces it.

The same verdict says whether the cut rule of ``segments`` gives exactly the whole text's ids
with this tokenizer (checked on every allowed cut of the probe texts with the chosen engine,
and only for tokenizers whose added tokens cannot straddle a cut).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import orjson

from boostpack.errors import InvalidInput
from boostpack.packing.config import Engine
from boostpack.packing.segments import cut_points, split_at
from boostpack.packing.tokenization import (
    Encoder,
    TokenizerInfo,
    cache_dir,
    load_encoder,
    load_tokenizer_info,
    same_ids,
)
from boostpack.runtime.atomic import atomic_write

# Bumped when the probe or the rules change, so verdicts stored by older code are not used.
_VERDICT_VERSION = 1

_PROBE_TEXTS = (
    "Question: Juan and LaKeisha roll a few objects down a ramp. They want to see which object "
    "rolls the farthest. What should they do so they can repeat their investigation?\nAnswer:\n\n"
    "Record the details of the investigation. It's what they'd do; we're sure they'll agree.\n",
    "def f(x):\n    return x ** 2  \n\n\n  # trailing spaces above\n\tindented = {'a': [1, 2]}\n"
    "if x == 12345678901:\n    print(\"done\")\r\nelse:\r\n    pass\n",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in "
    "May.\n<<48/2=24>>\n#### 72\n1,234.5678e-9 + 3.14159 = ?\n42\n\n1000000\n",
    "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n静夜思\u3000李白\n"
    "日本語の文章です。\nカタカナ\n🙂 emoji 👍🏽\n\n😀\n",
    "Special tokens in text: <|begin_of_text|>\n<|end_of_text|> and <s>\n</s><|im_end|>\n"
    "café naïve résumé Ångström\nÅ\u0301\nZ\u0308\n\u00a0nbsp\n\u2028line sep\n",
    "   leading spaces\n\n\n\nmany newlines\n \n \nspace lines\n.\n!\n?\n'\n's\n'll\nA\nz\n",
)


@dataclass(frozen=True)
class Verdict:
    """``engine``: the encoder to use (``giga`` or ``hf``). ``exact_cuts``: documents may be
    encoded in segments (``segments``). ``warning``: why the run is slower, or None."""

    engine: str
    exact_cuts: bool
    warning: str | None = None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def _cache_file(info: TokenizerInfo, engine: Engine) -> Path:
    versions = f"giga{_version('gigatoken')}-hf{_version('tokenizers')}"
    return cache_dir() / "engines" / f"{info.sha256[:32]}-{engine}-{versions}-v{_VERDICT_VERSION}.json"


def _stored(path: Path) -> Verdict | None:
    try:
        return Verdict(**orjson.loads(path.read_bytes()))
    except (OSError, ValueError, TypeError):
        return None


def _store(path: Path, verdict: Verdict) -> None:
    """Remember ``verdict``; a cache that cannot be written (read-only home) only costs the
    check again next time."""
    with contextlib.suppress(OSError), atomic_write(path, "wb") as f:
        f.write(orjson.dumps(asdict(verdict)))


def _cuts_are_exact(encoder: Encoder, info: TokenizerInfo) -> bool:
    """Whether every allowed cut of the probe texts encodes to the whole text's ids."""
    if any("\n" in token or strip for token, strip in info.added_tokens):
        return False  # an added token could straddle a cut, or swallow the newline before it
    wholes: list[str] = []
    halves: list[str] = []
    for text in _PROBE_TEXTS:
        data = text.encode()
        for cut in cut_points(data, 1):
            left, right = split_at(data, [cut])
            wholes.append(text)
            halves += [left.decode(), right.decode()]
    ids, offsets = encoder.encode(wholes + halves, parallel=False)
    n = len(wholes)
    for i in range(n):
        whole = ids[offsets[i]:offsets[i + 1]]
        a, b = n + 2 * i, n + 2 * i + 1
        joined = (ids[offsets[a]:offsets[a + 1]], ids[offsets[b]:offsets[b + 1]])
        if whole.tolist() != joined[0].tolist() + joined[1].tolist():
            return False
    return True


def decide(tokenizer: str | os.PathLike[str], engine: Engine,
           sample: Callable[[], list[str]]) -> Verdict:
    """The verdict for ``tokenizer`` under ``--tokenizer-engine engine``: stored, else checked
    (``auto``: gigatoken against tokenizers on the probe texts and ``sample()``, the input's
    first documents) and stored. Raises InvalidInput when a forced engine cannot be loaded."""
    info = load_tokenizer_info(tokenizer)
    path = _cache_file(info, engine)
    stored = _stored(path)
    if stored is not None:
        return stored
    verdict = _check(info, engine, sample)
    _store(path, verdict)
    return verdict


def _check(info: TokenizerInfo, engine: Engine, sample: Callable[[], list[str]]) -> Verdict:
    if engine != "auto":
        chosen = load_encoder(info.path, engine)
        return Verdict(chosen.name, _cuts_are_exact(chosen, info))
    reference = load_encoder(info.path, "hf")
    try:
        giga = load_encoder(info.path, "giga")
    except InvalidInput as exc:  # missing, or cannot load this file: the reference it is
        return Verdict("hf", _cuts_are_exact(reference, info),
                       f"{exc}; tokenizing with tokenizers (slower)")
    texts = [*_PROBE_TEXTS, *sample()]
    if not same_ids(giga.encode(texts, parallel=False), reference.encode(texts, parallel=False)):
        return Verdict("hf", _cuts_are_exact(reference, info),
                       f"gigatoken's ids differ from tokenizers' on probe texts or a sample of "
                       f"{len(texts) - len(_PROBE_TEXTS)} input documents; tokenizing with "
                       "tokenizers (slower)")
    return Verdict("giga", _cuts_are_exact(giga, info))
