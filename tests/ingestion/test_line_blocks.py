"""``streams.line_blocks`` (lines as spans of a reused buffer, for dedup's write phase) cuts
any chunk stream into the same lines and gaps as ``streams.line_runs``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from boostpack.ingestion.streams import Gap, line_blocks, line_runs

pieces = st.one_of(st.sampled_from([b"\n", b"\r\n", b"ab", b'{"q": 1}', b"\n\n", b"x" * 300]),
                   st.binary(min_size=1, max_size=8))
chunk = st.lists(pieces, min_size=1, max_size=6).map(b"".join)
stream = st.lists(st.one_of(chunk, st.just(None)), max_size=12)  # None: a gap


def _chunks(items: list[bytes | None]) -> list[bytes | Gap]:
    return [Gap("corrupt_stream", "test") if item is None else item for item in items]


def _from_runs(items: list[bytes | None]) -> list[bytes | tuple[str, bytes]]:
    out: list[bytes | tuple[str, bytes]] = []
    for run in line_runs(_chunks(items)):
        out += run if type(run) is list else [("gap", run.partial)]
    return out


def _from_blocks(items: list[bytes | None], size: int) -> list[bytes | tuple[str, bytes]]:
    out: list[bytes | tuple[str, bytes]] = []
    for block in line_blocks(_chunks(items), size):
        if isinstance(block, Gap):
            out.append(("gap", block.partial))
            continue
        data, ends = block
        starts = [0, *(ends[:-1] + 1).tolist()]
        out += [data[s:e].tobytes() for s, e in zip(starts, ends.tolist(), strict=True)]
    return out


@settings(max_examples=300, deadline=None)
@given(items=stream, size=st.integers(1, 700))
def test_blocks_cut_the_lines_runs_cut(items: list[bytes | None], size: int) -> None:
    assert _from_blocks(items, size) == _from_runs(items)
