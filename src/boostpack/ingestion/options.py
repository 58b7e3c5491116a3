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


@dataclass(frozen=True)
class ReadOptions:
    """How to read input files.

    ``mapping``: canonical name -> input field (dotted paths reach into nested objects), e.g.
    ``{"question": "prompt", "answer": "response"}``. ``requests``: OpenAI batch *input* files,
    joined on ``custom_id`` to give batch output lines their question. ``answer_optional``: a
    QA line without a usable answer is a question-only record instead of a quarantined line
    (benchmark test sets often ship questions alone; dedup reads its references this way).
    """

    fmt: str = "auto"
    mapping: Mapping[str, str] | None = None
    strict: bool = False
    requests: tuple[str | os.PathLike[str], ...] = ()
    answer_optional: bool = False

    def __post_init__(self) -> None:
        # Imported here, not at the top, to keep this module light (see the module docstring).
        from boostpack.ingestion.fields import check_mapping

        if self.fmt not in FORMATS:
            raise InvalidInput(f"unknown format {self.fmt!r} (one of {', '.join(FORMATS)})")
        check_mapping(self.mapping)
        for path in self.requests:
            if not os.path.isfile(path):
                raise InvalidInput(f"{os.fspath(path)}: batch requests file not found")
