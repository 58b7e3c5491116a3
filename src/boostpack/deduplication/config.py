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
    DEFAULT_ANSWER_CHECK,
    DEFAULT_ANSWER_THRESHOLD,
    DEFAULT_BOILERPLATE_DF,
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


def _default_reference_options() -> ReadOptions:
    from boostpack.ingestion.readers import ReadOptions

    return ReadOptions(answer_optional=True)


@dataclass(frozen=True)
class DedupConfig:
    """Every setting that changes what ``dedup`` outputs (``workers``, ``memory``,
    ``split_bytes`` and ``batch_lines`` never do, so they are arguments of the run instead).

    Checked once, on construction. ``bands``/``rows`` left None become the datasketch-style
    optimum for ``threshold`` and ``num_perm``; ``fields`` may be given as ``"question,answer"``.
    ``read`` says how input files are read (format, field mapping, strictness, batch requests),
    ``against_read`` how reference files are (their own mapping and format detection; a
    question without an answer is a record there). ``answer_check``: QA near pairs must be one
    item (``deduplication.itemkey``; ``answer_threshold`` for long answers); off, the joined
    ``fields`` are compared as one text, as web-corpus dedup does. ``boilerplate_df``: the
    document share past which a shingle is boilerplate (``deduplication.boilerplate``), None
    for none. See ``boostpack.deduplication.pipeline`` for what each setting means to the
    result.
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
    answer_check: bool = DEFAULT_ANSWER_CHECK
    answer_threshold: float = DEFAULT_ANSWER_THRESHOLD
    boilerplate_df: float | None = DEFAULT_BOILERPLATE_DF
    read: ReadOptions = field(default_factory=_default_read_options)
    against_read: ReadOptions = field(default_factory=_default_reference_options)
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
        set_(self, "answer_check", bool(self.answer_check))
        set_(self, "answer_threshold", check_threshold(self.answer_threshold, "answer_threshold"))
        if self.boilerplate_df is not None:
            set_(self, "boilerplate_df", check_threshold(self.boilerplate_df, "boilerplate_df"))
        from boostpack.ingestion.readers import ReadOptions

        for name in ("read", "against_read"):
            if not isinstance(getattr(self, name), ReadOptions):
                raise InvalidInput(f"{name} must be a ReadOptions, got {type(getattr(self, name)).__name__}")
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

    @property
    def signed_fields(self) -> tuple[str, ...]:
        """The fields whose joined text goes into the MinHash signature: ``fields``, but for
        the answer when the answer is compared by its item key (``compares_answers``)."""
        if not self.compares_answers:
            return self.fields
        return tuple(f for f in self.fields if f != "answer") or ("question",)

    @property
    def compares_answers(self) -> bool:
        """Whether near pairs must be one item (``answer_check``, with ``answer`` among the
        compared fields: ``fields="question"`` says the answer does not matter)."""
        return self.answer_check and "answer" in self.fields

    @classmethod
    def from_settings(cls, **settings: Any) -> DedupConfig:
        """The config that ``dedup``'s keyword arguments describe: the fields of this class,
        with ``ReadOptions``' own (``fmt``, ``mapping``, ``strict``, ``requests``,
        ``max_record_bytes``) in place of ``read`` and ``against_map`` (the references' field mapping) in place of
        ``against_read``. None for ``threshold``, ``shingle``, ``ngram``, ``digits`` or
        ``boilerplate_df`` means the default (what the CLI passes for a flag not given); turn
        the boilerplate filter off with ``boilerplate_df=0``."""
        from boostpack.ingestion.readers import ReadOptions

        known = {f.name for f in dataclasses.fields(cls)} - {"read", "against_read"}
        unknown = sorted(set(settings) - known - set(_READ_SETTINGS) - {"against_map"})
        if unknown:
            raise TypeError(f"dedup() got an unexpected keyword argument {unknown[0]!r}")
        read = {name: settings.pop(name) for name in _READ_SETTINGS if name in settings}
        if "requests" in read:
            read["requests"] = tuple(read["requests"])
        against = ReadOptions(mapping=settings.pop("against_map", None), answer_optional=True)
        for name in ("threshold", "shingle", "ngram", "digits", "boilerplate_df"):
            if name in settings and settings[name] is None:
                del settings[name]
        if settings.get("boilerplate_df") == 0:
            settings["boilerplate_df"] = None
        return cls(**settings, read=ReadOptions(**read), against_read=against)

    def params(self) -> dict[str, Any]:
        """The settings as ``report.json`` records them: one flat JSON-ready mapping, the read
        options beside the others."""
        read = self.read
        flat: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "against_read":
                mapping = self.against_read.mapping
                flat["against_map"] = dict(mapping) if mapping else None
            elif f.name == "read":
                flat.update(fmt=read.fmt, mapping=dict(read.mapping) if read.mapping else None,
                            strict=bool(read.strict), requests=[os.fspath(r) for r in read.requests],
                            max_record_bytes=read.max_record_bytes)
            else:
                flat[f.name] = getattr(self, f.name)
        return flat


_READ_SETTINGS = ("fmt", "mapping", "strict", "requests", "max_record_bytes")
