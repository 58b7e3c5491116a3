"""How input files are read: the format names and ``ReadOptions``.

Light on purpose (no converter, no compiled module): the CLI builds its ``--format`` choices
from ``FORMATS`` when it starts, before any file is read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from boostpack.errors import InvalidInput

# The formats ``formats.converter`` reads (``text`` is an alias of ``qa``), and ``auto``: detect
# each file's format from its first recognizable line.
FORMATS = ("auto", "qa", "chat", "openai_batch", "alpaca", "text")


# A line longer than this is quarantined as ``too_large``, never parsed: parsing, normalizing and
# hashing hold several copies of a record, and one 200 MB line took dedup to 2.4 GB. Real QA
# items are under 100 KB, long reasoning traces under 1 MB. (pack applies its own
# ``--max-record-bytes``, with this default, as lines stream by.)
MAX_RECORD_BYTES = 4 << 20
# Of a too-large line, the bytes its quarantine entry keeps.
TOO_LARGE_HEAD = 4096


@dataclass(frozen=True)
class ReadOptions:
    """How to read input files.

    ``mapping``: canonical name -> input field (dotted paths reach into nested objects), e.g.
    ``{"question": "prompt", "answer": "response"}``. ``requests``: OpenAI batch *input* files,
    joined on ``custom_id`` to give batch output lines their question. ``max_record_bytes``:
    longer JSONL lines are quarantined as ``too_large`` unparsed (None: no limit).
    ``answer_optional``: a QA line without a usable answer is a question-only record instead of
    a quarantined line (benchmark test sets often ship questions alone; dedup reads its
    references this way).
    """

    fmt: str = "auto"
    mapping: Mapping[str, str] | None = None
    strict: bool = False
    requests: tuple[str | os.PathLike[str], ...] = ()
    max_record_bytes: int | None = MAX_RECORD_BYTES
    answer_optional: bool = False

    def __post_init__(self) -> None:
        # Imported here, not at the top, to keep this module light (see the module docstring).
        from boostpack.ingestion.fields import check_mapping

        if self.fmt not in FORMATS:
            raise InvalidInput(f"unknown format {self.fmt!r} (one of {', '.join(FORMATS)})")
        check_mapping(self.mapping)
        limit = self.max_record_bytes
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 1):
            raise InvalidInput(f"max_record_bytes must be a positive number of bytes or None, "
                               f"got {limit!r}")
        for path in self.requests:
            if not os.path.isfile(path):
                what = "is not a regular file" if os.path.exists(path) else "not found"
                raise InvalidInput(f"{os.fspath(path)}: batch requests file {what}")
