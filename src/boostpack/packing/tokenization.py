"""Tokenizer loading and batch encoding into flat numpy arrays.

Hugging Face ``tokenizers`` defines the correct ids. ``gigatoken`` loads the same
``tokenizer.json`` and is the fast engine (DESIGN §5: identical ids on 40k English and Chinese
documents at 33× / 2.7× the speed); ``engine="auto"`` uses it when its ids agree with
``tokenizers`` (``packing.engines`` decides, once per tokenizer file).

Both engines encode *without* the tokenizer's post-processor specials (BOS/EOS are added by
``boostpack.packing.packer`` as configured), and both split special-token strings that
occur in the text into their ids, exactly as ``tokenizers.Tokenizer.encode`` does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson

from boostpack.errors import InvalidInput
from boostpack.packing.config import check_choice
from boostpack.runtime.atomic import atomic_write

# Well-known special-token spellings, used only when neither tokenizer_config.json nor the
# post-processor names BOS/EOS (Llama-3's tokenizer.json has a ByteLevel post-processor).
_BOS_NAMES = ("<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>")
_EOS_NAMES = ("<|end_of_text|>", "</s>", "<eos>", "<|endoftext|>", "<|im_end|>")
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class TokenizerInfo:
    """Identity and special tokens of a ``tokenizer.json`` (recorded in the manifest).

    ``vocab_size`` is one more than the largest id (added tokens included); ``pad_id`` is the
    config's pad token when it has one (None otherwise); ``chat_template`` comes from
    ``tokenizer_config.json`` beside the file. ``added_tokens``: (content, whether it strips
    whitespace beside it) per added token.
    """

    path: Path
    sha256: str
    vocab_size: int
    bos_id: int | None
    eos_id: int | None
    pad_id: int | None
    bos_token: str | None
    eos_token: str | None
    chat_template: str | None
    added_tokens: tuple[tuple[str, bool], ...] = ()

    def manifest_entry(self) -> dict[str, Any]:
        return {"path": str(self.path), "sha256": self.sha256, "vocab_size": self.vocab_size,
                "bos_id": self.bos_id, "eos_id": self.eos_id}


def resolve_tokenizer_path(spec: str | os.PathLike[str]) -> Path:
    """``tokenizer.json`` given as a file, or a directory that holds one. Never downloads."""
    path = Path(spec)
    if path.is_dir():
        path = path / "tokenizer.json"
    if path.is_file():
        # absolute(), not resolve(): in a Hugging Face cache tokenizer.json is a symlink into
        # blobs/, and tokenizer_config.json must be looked up beside the link.
        return path.absolute()
    if _HUB_NAME.match(str(spec)) and not Path(spec).parent.exists():
        raise InvalidInput(f"tokenizer {spec!r} looks like a Hugging Face Hub name; boostpack "
                           "does not download (it must work offline): download its "
                           "tokenizer.json and pass that path")
    raise InvalidInput(f"tokenizer {spec}: no such file (expected a tokenizer.json path)")


def _token_content(value: Any) -> str | None:
    if isinstance(value, dict):  # {"content": "<s>", "__type": "AddedToken", ...}
        value = value.get("content")
    return value if isinstance(value, str) and value else None


def _template_specials(post: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(bos, eos) from a TemplateProcessing post-processor: the special tokens before and
    after ``$A`` in its single-sequence template."""
    if not post:
        return None, None
    if post.get("type") == "Sequence":
        for p in post.get("processors", []):
            found = _template_specials(p)
            if found != (None, None):
                return found
        return None, None
    if post.get("type") != "TemplateProcessing":
        return None, None
    bos = eos = None
    seen_a = False
    for piece in post.get("single", []):
        if "Sequence" in piece:
            seen_a = True
        elif "SpecialToken" in piece:
            if seen_a:
                eos = eos or piece["SpecialToken"]["id"]
            else:
                bos = piece["SpecialToken"]["id"]
    return bos, eos


def cache_dir() -> Path:
    """Where pack keeps what it worked out about a tokenizer file: ``$BOOSTPACK_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/boostpack``, else ``~/.cache/boostpack``."""
    explicit = os.environ.get("BOOSTPACK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "boostpack"


def load_tokenizer_info(spec: str | os.PathLike[str]) -> TokenizerInfo:
    """Read a ``tokenizer.json`` (and ``tokenizer_config.json`` beside it, if present).
    Cached on the files' sizes and mtimes, in this process and on disk (``cache_dir``):
    parsing a 9 MB Llama-3 file and hashing it takes ~0.2 s of every run."""
    path = resolve_tokenizer_path(spec)
    config = path.with_name("tokenizer_config.json")
    stamps = tuple((p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else None
                   for p in (path, config))
    return _load_tokenizer_info(path, stamps)


@functools.lru_cache(maxsize=8)
def _load_tokenizer_info(path: Path, stamps: tuple[Any, ...]) -> TokenizerInfo:
    key = hashlib.sha256(orjson.dumps([str(path), stamps])).hexdigest()[:32]
    stored = cache_dir() / "tokenizers" / f"{key}.json"
    try:
        fields = orjson.loads(stored.read_bytes())
        fields["added_tokens"] = tuple(tuple(t) for t in fields["added_tokens"])
        return TokenizerInfo(path=path, **fields)
    except (OSError, ValueError, TypeError):
        pass
    info = _read_tokenizer_info(path)
    with contextlib.suppress(OSError), atomic_write(stored, "wb") as f:
        f.write(orjson.dumps({k: v for k, v in dataclasses.asdict(info).items()
                              if k != "path"}))
    return info


def _read_tokenizer_info(path: Path) -> TokenizerInfo:
    data = path.read_bytes()
    try:
        tj = orjson.loads(data)
        model_vocab = tj["model"]["vocab"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"tokenizer {path}: not a tokenizer.json ({exc})") from None
    added_list = tj.get("added_tokens") or []
    added = {t["content"]: int(t["id"]) for t in added_list}
    if isinstance(model_vocab, dict):  # BPE / WordPiece: token -> id
        ids = model_vocab
    else:  # Unigram: [[piece, score], ...], the id is the position
        ids = {str(entry[0]): i for i, entry in enumerate(model_vocab or [])}
    ids = {**ids, **added}
    max_id = max(ids.values(), default=-1)
    config_path = path.with_name("tokenizer_config.json")
    config: dict[str, Any] = {}
    if config_path.is_file():
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InvalidInput(f"{config_path}: not valid JSON ({exc})") from None
    post_bos, post_eos = _template_specials(tj.get("post_processor"))

    def pick(key: str, post: str | None, names: tuple[str, ...]) -> str | None:
        for candidate in (_token_content(config.get(key)), post):
            if candidate is not None and candidate in ids:
                return candidate
        return next((n for n in names if n in added), None)

    bos = pick("bos_token", post_bos, _BOS_NAMES)
    eos = pick("eos_token", post_eos, _EOS_NAMES)
    pad = _token_content(config.get("pad_token"))
    template = config.get("chat_template")
    if isinstance(template, list):  # named templates: [{"name": "default", "template": ...}]
        template = next((t.get("template") for t in template if t.get("name") == "default"), None)
    return TokenizerInfo(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        vocab_size=max_id + 1,
        bos_id=ids.get(bos) if bos else None,
        eos_id=ids.get(eos) if eos else None,
        pad_id=ids.get(pad) if pad in ids else None,
        bos_token=bos,
        eos_token=eos,
        chat_template=template if isinstance(template, str) else None,
        added_tokens=tuple((str(t["content"]), bool(t.get("lstrip") or t.get("rstrip")))
                           for t in added_list),
    )


# Texts to encode: a list of strings, or (UTF-8 bytes ``uint8[B]``, ``int64[n + 1]`` offsets),
# text ``i`` being bytes ``offsets[i]:offsets[i+1]``: how the pack pipeline holds them, with no
# Python object per text.
Texts = list[str] | tuple[np.ndarray, np.ndarray]


class Encoder(Protocol):
    """Encodes a batch of texts to flat ``uint32[T]`` ids and ``int64[n + 1]`` offsets.
    ``parallel``: on the engine's thread pool (every core of ``RAYON_NUM_THREADS``), else on the
    calling thread; the ids are the same."""

    name: str

    def encode(self, texts: Texts, parallel: bool = True) -> tuple[np.ndarray, np.ndarray]: ...


def _as_strings(texts: Texts) -> list[str]:
    if isinstance(texts, list):
        return texts
    data, offsets = texts
    raw = data.tobytes()
    bounds = offsets.tolist()
    return [raw[a:b].decode("utf-8") for a, b in itertools.pairwise(bounds)]


class HFEncoder:
    """The reference: ``tokenizers.Tokenizer.encode_batch_fast`` (Rust threads, GIL released)."""

    name = "hf"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(path))

    def encode(self, texts: Texts, parallel: bool = True) -> tuple[np.ndarray, np.ndarray]:
        # tokenizers' pool follows TOKENIZERS_PARALLELISM; one call is a batch either way.
        encodings = self._tok.encode_batch_fast(_as_strings(texts), add_special_tokens=False)
        id_lists = [e.ids for e in encodings]
        offsets = np.zeros(len(id_lists) + 1, dtype=np.int64)
        np.cumsum([len(x) for x in id_lists], out=offsets[1:])
        ids = np.fromiter(itertools.chain.from_iterable(id_lists), dtype=np.uint32,
                          count=int(offsets[-1]))
        return ids, offsets


class GigaEncoder:
    """``gigatoken``: one flat id buffer plus offsets straight from Rust (no per-document
    Python objects); encodes on its rayon thread pool with the GIL released. A text buffer is
    handed over as an awkward string array that views it (no copy, no ``str`` per text)."""

    name = "giga"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import gigatoken

        self._tok = gigatoken.Tokenizer(str(path))

    def encode(self, texts: Texts, parallel: bool = True) -> tuple[np.ndarray, np.ndarray]:
        import awkward as ak

        if not isinstance(texts, list):
            data, offsets = texts
            chars = ak.contents.NumpyArray(np.asarray(data, dtype=np.uint8),
                                           parameters={"__array__": "char"})
            texts = ak.Array(ak.contents.ListOffsetArray(
                ak.index.Index64(np.asarray(offsets, dtype=np.int64)), chars,
                parameters={"__array__": "string"}))
        layout = ak.to_layout(self._tok.encode_batch(texts, parallel=parallel))
        if isinstance(layout, ak.contents.ListOffsetArray) and isinstance(
                layout.content, ak.contents.NumpyArray):
            offsets = np.asarray(layout.offsets.data, dtype=np.int64)
            ids = np.asarray(layout.content.data, dtype=np.uint32)
            return ids, offsets
        array = ak.Array(layout)
        offsets = np.zeros(len(array) + 1, dtype=np.int64)
        np.cumsum(ak.to_numpy(ak.num(array)), out=offsets[1:])
        return ak.to_numpy(ak.flatten(array)).astype(np.uint32), offsets


def same_ids(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether two encodings (flat ids, offsets) hold the same documents."""
    (ids_a, off_a), (ids_b, off_b) = a, b
    return (np.array_equal(np.diff(off_a), np.diff(off_b))
            and np.array_equal(ids_a[off_a[0]:off_a[-1]], ids_b[off_b[0]:off_b[-1]]))


def set_threads(workers: int | None) -> None:
    """Size both engines' Rust thread pools. Takes effect only before the first parallel encode
    in this process (rayon builds its global pool once); the output never depends on it."""
    if workers:
        os.environ.setdefault("RAYON_NUM_THREADS", str(workers))
        os.environ.setdefault("RAYON_RS_NUM_CPUS", str(workers))


def load_encoder(path: str | os.PathLike[str], name: str) -> Encoder:
    """The ``giga`` or ``hf`` encoder of a ``tokenizer.json``, cached per process: a
    128k-vocabulary tokenizer takes ~0.5-0.9 s to load, and a worker process packs many tasks
    (as Python API users call ``pack`` repeatedly). The key includes the file's size and mtime.
    InvalidInput when gigatoken is missing or cannot load the file."""
    check_choice("tokenizer engine", name, ("giga", "hf"))
    st = os.stat(path)
    return _load_encoder(os.fspath(path), name, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _load_encoder(path: str, name: str, _size: int, _mtime_ns: int) -> Encoder:
    if name == "hf":
        return HFEncoder(path)
    try:
        return GigaEncoder(path)
    except ImportError:
        raise InvalidInput("gigatoken is not installed (pip install gigatoken, or "
                           "--tokenizer-engine hf)") from None
    except Exception as exc:  # any load failure: the caller may fall back to the reference
        raise InvalidInput(f"gigatoken cannot load {path}: {exc}") from None
