"""The engine verdict: gigatoken when its ids equal tokenizers', decided once per tokenizer file
and engine versions and stored; and whether the tokenizer cuts exactly (``segments``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boostpack.errors import InvalidInput
from boostpack.packing import engines

SAMPLE = ["What is 2+2?\n\n4", "床前明月光\n\n疑是地上霜", "x<|begin_of_text|>y"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOOSTPACK_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_gigatoken_is_chosen_once_and_remembered(llama3_tokenizer_path: Path, cache: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sampled = []

    def sample() -> list[str]:
        sampled.append(1)
        return SAMPLE

    verdict = engines.decide(llama3_tokenizer_path, "auto", sample)
    assert verdict == engines.Verdict("giga", exact_cuts=True) and sampled == [1]
    stored = list((cache / "engines").glob("*.json"))
    assert len(stored) == 1 and json.loads(stored[0].read_text())["engine"] == "giga"

    def no_reference(path: object, name: str) -> object:
        raise AssertionError(f"loaded {name}: the stored verdict should have been used")

    monkeypatch.setattr(engines, "load_encoder", no_reference)
    assert engines.decide(llama3_tokenizer_path, "auto", sample) == verdict
    assert sampled == [1]  # nor was the input read again


def test_disagreeing_ids_fall_back_to_tokenizers(llama3_tokenizer_path: Path, cache: Path,
                                                 giga_off_by_one: None) -> None:
    verdict = engines.decide(llama3_tokenizer_path, "auto", lambda: SAMPLE)
    assert verdict.engine == "hf" and "ids differ" in (verdict.warning or "")
    assert verdict.exact_cuts  # checked with the engine that will encode


def test_forced_engines_and_a_missing_gigatoken(llama3_tokenizer_path: Path, cache: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert engines.decide(llama3_tokenizer_path, "hf", lambda: []).engine == "hf"
    assert engines.decide(llama3_tokenizer_path, "giga", lambda: []).engine == "giga"
    real = engines.load_encoder

    def no_giga(path: object, name: str) -> object:
        if name == "giga":
            raise InvalidInput("gigatoken is not installed (pip install gigatoken, or "
                               "--tokenizer-engine hf)")
        return real(path, name)  # type: ignore[arg-type]

    monkeypatch.setattr(engines, "load_encoder", no_giga)
    verdict = engines.decide(llama3_tokenizer_path, "auto", lambda: SAMPLE)
    assert verdict.engine == "hf" and "not installed" in (verdict.warning or "")
    (cache / "engines").mkdir(parents=True, exist_ok=True)
    for p in (cache / "engines").iterdir():
        p.unlink()
    with pytest.raises(InvalidInput, match="not installed"):
        engines.decide(llama3_tokenizer_path, "giga", lambda: [])


def _bpe_tokenizer(path: Path, pre_tokenizer: object, added: list[object] | None = None) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([t * 3 for t in engines._PROBE_TEXTS], trainer)
    if added:
        tok.add_tokens(added)
    path.mkdir()
    tok.save(str(path / "tokenizer.json"))
    return path / "tokenizer.json"


def test_cuts_are_exact_only_where_the_probe_shows_it(tmp_path: Path, cache: Path) -> None:
    """GPT-2's pre-tokenizer splits "\\n\\n" before a word differently from "\\n\\n" at the end
    of a text, so cutting after a newline is not exact there; an added token holding a newline
    could straddle a cut."""
    from tokenizers import AddedToken, Regex, pre_tokenizers

    gpt2 = _bpe_tokenizer(tmp_path / "gpt2", pre_tokenizers.ByteLevel(add_prefix_space=False))
    assert not engines.decide(gpt2, "hf", lambda: []).exact_cuts
    llama_like = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(
            r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+"
            r"[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"), "isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    assert engines.decide(_bpe_tokenizer(tmp_path / "llama", llama_like), "hf",
                          lambda: []).exact_cuts
    newline_token = _bpe_tokenizer(tmp_path / "added", llama_like, [AddedToken("\nEND")])
    assert not engines.decide(newline_token, "hf", lambda: []).exact_cuts
