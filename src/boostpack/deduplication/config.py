"""``DedupConfig``: every setting of a dedup run, checked once, on construction.

The defaults and the limits it checks against are those of ``deduplication.settings``.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boostpack.deduplication.settings import (
    DEFAULT_DIGITS,
    DEFAULT_FIELDS,
    DEFAULT_FRAME_BYTES,
    DEFAULT_NGRAM,
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    DEFAULT_SHINGLE,
    DEFAULT_THRESHOLD,
    KEEP_POLICIES,
    check_choice,
    check_digits,
    check_int,
    check_ngram,
    check_num_perm,
    check_seed,
    check_shingle,
    check_threshold,
)
from boostpack.errors import InvalidInput

if TYPE_CHECKING:
    from boostpack.ingestion.readers import ReadOptions


def _default_read_options() -> ReadOptions:
    from boostpack.ingestion.readers import ReadOptions

    return ReadOptions()


@dataclass(frozen=True)
class DedupConfig:
    """Every setting that changes what ``dedup`` outputs (``workers``, ``memory``,
    ``split_bytes`` and ``batch_lines`` never do, so they are arguments of the run instead).

    Checked once, on construction. ``bands``/``rows`` left None become the datasketch-style
    optimum for ``threshold`` and ``num_perm``; ``fields`` may be given as ``"question,answer"``.
    ``read`` says how input files are read (format, field mapping, strictness, batch requests).
    See ``boostpack.deduplication.pipeline`` for what each setting means to the result.
    """

    threshold: float = DEFAULT_THRESHOLD
    num_perm: int = DEFAULT_NUM_PERM
    shingle: str = DEFAULT_SHINGLE
    ngram: int = DEFAULT_NGRAM
    seed: int = DEFAULT_SEED
    digits: str = DEFAULT_DIGITS
    bands: int | None = None
    rows: int | None = None
    fields: tuple[str, ...] = DEFAULT_FIELDS
    keep: str = "first"
    keep_max: str | None = None
    verify: bool = True
    decontam_ngram: int | None = None
    decontam_min_overlap: float | None = None
    read: ReadOptions = field(default_factory=_default_read_options)
    frame_bytes: int = DEFAULT_FRAME_BYTES

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalized values are stored once, here
        set_(self, "threshold", check_threshold(self.threshold))
        set_(self, "num_perm", check_num_perm(self.num_perm))
        set_(self, "shingle", check_shingle(self.shingle))
        set_(self, "ngram", check_ngram(self.ngram))
        set_(self, "seed", check_seed(self.seed))
        set_(self, "digits", check_digits(self.digits))
        bands, rows = self._bands_rows()
        set_(self, "bands", bands)
        set_(self, "rows", rows)
        set_(self, "fields", self._fields())
        check_choice("keep", self.keep, KEEP_POLICIES)
        if self.keep_max is not None and (not isinstance(self.keep_max, str) or not self.keep_max
                                          or self.keep != "first"):
            raise InvalidInput("keep_max needs a field name and replaces keep=longest")
        set_(self, "verify", bool(self.verify))
        if self.decontam_ngram is not None:
            set_(self, "decontam_ngram", check_int("decontam_ngram", self.decontam_ngram))
        if self.decontam_min_overlap is not None:
            if self.decontam_ngram is None:
                raise InvalidInput("decontam_min_overlap needs decontam_ngram")
            overlap = self.decontam_min_overlap
            if isinstance(overlap, bool) or not isinstance(overlap, numbers.Real) or not 0.0 < overlap <= 1.0:
                raise InvalidInput(f"decontam_min_overlap must be in (0, 1], got {overlap!r}")
            set_(self, "decontam_min_overlap", float(overlap))
        from boostpack.ingestion.readers import ReadOptions

        if not isinstance(self.read, ReadOptions):
            raise InvalidInput(f"read must be a ReadOptions, got {type(self.read).__name__}")
        set_(self, "frame_bytes", check_int("frame_bytes", self.frame_bytes))

    def _bands_rows(self) -> tuple[int, int]:
        if (self.bands is None) != (self.rows is None):
            raise InvalidInput("give both bands and rows, or neither")
        if self.bands is None or self.rows is None:
            from boostpack.deduplication.lsh import optimal_params

            return optimal_params(self.threshold, self.num_perm)
        bands, rows = check_int("bands", self.bands), check_int("rows", self.rows)
        if bands * rows > self.num_perm:
            raise InvalidInput(f"bands x rows ({bands} x {rows}) must fit in num_perm={self.num_perm}")
        return bands, rows

    def _fields(self) -> tuple[str, ...]:
        given: Any = self.fields
        if isinstance(given, str):
            given = [f.strip() for f in given.split(",")]
        names = tuple(given)
        if not names or not all(isinstance(f, str) and f for f in names):
            raise InvalidInput(f"fields must be non-empty field names, got {names!r}")
        return names

    @classmethod
    def from_settings(cls, **settings: Any) -> DedupConfig:
        """The config that ``dedup``'s keyword arguments describe: the fields of this class,
        with ``ReadOptions``' own (``fmt``, ``mapping``, ``strict``, ``requests``,
        ``max_record_bytes``) in place of ``read``. None for ``threshold``, ``shingle``,
        ``ngram`` or ``digits`` means the default (what the CLI passes for a flag not given)."""
        from boostpack.ingestion.readers import ReadOptions

        known = {f.name for f in dataclasses.fields(cls)} - {"read"}
        unknown = sorted(set(settings) - known - set(_READ_SETTINGS))
        if unknown:
            raise TypeError(f"dedup() got an unexpected keyword argument {unknown[0]!r}")
        read = {name: settings.pop(name) for name in _READ_SETTINGS if name in settings}
        if "requests" in read:
            read["requests"] = tuple(read["requests"])
        for name in ("threshold", "shingle", "ngram", "digits"):
            if name in settings and settings[name] is None:
                del settings[name]
        return cls(**settings, read=ReadOptions(**read))

    def params(self) -> dict[str, Any]:
        """The settings as ``report.json`` records them: one flat JSON-ready mapping, the read
        options beside the others."""
        read = self.read
        flat: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name != "read":
                flat[f.name] = getattr(self, f.name)
                continue
            flat.update(fmt=read.fmt, mapping=dict(read.mapping) if read.mapping else None,
                        strict=bool(read.strict), requests=[os.fspath(r) for r in read.requests],
                        max_record_bytes=read.max_record_bytes)
        return flat


_READ_SETTINGS = ("fmt", "mapping", "strict", "requests", "max_record_bytes")
