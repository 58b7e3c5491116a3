"""The packed dedup texts of a batch are ``records.record_text`` of each record, errors included,
whatever the records hold (the batch path skips the per-record call)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boostpack.deduplication.text import batch_texts, pack_texts
from boostpack.ingestion.records import record_text


class Sub(str):
    pass


NAMES = ["question", "answer", "text", "title"]
VALUES = st.one_of(st.text(max_size=8), st.none(), st.integers(), st.builds(Sub, st.text(max_size=4)),
                   st.just("\ud800 lone"), st.lists(st.text(max_size=2), max_size=2))
RECORDS = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=4)
FIELDS = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)


def expected(batch: list[dict[str, Any]], fields: list[str]) -> tuple[bytes, list[int]] | type:
    try:
        texts = [record_text(r, fields) for r in batch]
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    except (TypeError, AttributeError) as exc:
        return type(exc)
    return b"".join(encoded), [0, *np.cumsum([len(e) for e in encoded]).tolist()]


@given(st.lists(RECORDS, max_size=6), FIELDS)
def test_pack_texts_is_record_text_of_each_record(batch: list[dict[str, Any]], fields: list[str]) -> None:
    want = expected(batch, fields)
    if isinstance(want, type):
        with pytest.raises(want):
            pack_texts(batch, fields)
        return
    packed = pack_texts(batch, fields)
    assert (packed.data, packed.offsets.tolist()) == want
    assert packed.texts == [record_text(r, fields) for r in batch]


def test_a_non_string_field_names_itself_as_before() -> None:
    batch = [{"question": "q", "answer": "a"}, {"question": 3, "answer": "b"}]
    with pytest.raises(TypeError, match="expected str instance, int found"):
        batch_texts(batch, ("question",), answers=True)
    with pytest.raises(TypeError, match="expected str instance, int found"):
        batch_texts(batch, ("question", "answer"), answers=False)
