"""Record ids go to ``ids.bin`` exactly as ``orjson.dumps`` writes them, whatever they hold
(the sign phase quotes plain ASCII ids itself)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack.deduplication.sign import json_ids

IDS = st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=127)), st.integers(),
                st.floats(allow_nan=False), st.none(), st.booleans())


@given(st.lists(IDS, max_size=8))
def test_json_ids_are_orjson_dumps(ids: list[Any]) -> None:
    try:
        encoded = [orjson.dumps(i) for i in ids]
    except (TypeError, orjson.JSONEncodeError) as exc:  # huge integers, lone surrogates
        with pytest.raises(type(exc)):
            json_ids(ids)
        return
    data, lengths = json_ids(ids)
    assert data == b"".join(encoded)
    assert lengths.tolist() == [len(e) for e in encoded]


@pytest.mark.parametrize("value", ["a\ud800b", "\udfff"])
def test_a_lone_surrogate_id_fails_as_orjson_does(value: str) -> None:
    with pytest.raises(orjson.JSONEncodeError):
        json_ids(["ok", value])


@pytest.mark.parametrize("code", range(128))
def test_every_ascii_character(code: int) -> None:
    ids = ["plain", f"a{chr(code)}b", chr(code)]
    assert json_ids(ids)[0] == b"".join(map(orjson.dumps, ids))


def test_plain_ids() -> None:
    plain = ["abc", "a/b#1", "x y~\x7f"]
    assert json_ids(plain)[0] == b"".join(map(orjson.dumps, plain))
