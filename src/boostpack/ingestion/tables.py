"""Columnar inputs: Parquet and Arrow IPC files (the file and the stream format, as Hugging Face
``datasets`` writes with ``save_to_disk``), each row a parsed object classified like a JSONL line.

A file is read by unit, a Parquet row group or an Arrow record batch, listed from the metadata
without reading any column: ``Unit(offset=index, length=rows, size=bytes, kind)``. Units are
what ``splits`` gives tasks, as frames are for compressed JSONL. A unit that cannot be read is
one ``corrupt_stream`` quarantine entry; the next unit is read regardless.

Row numbers count from 1 within what is read (``Batch.lines``); a row has no byte offset (-1).
``Batch.raw`` is the row as compact JSON (``orjson``, ``default=str`` for values JSON has no
type for, e.g. decimals). pyarrow is an optional dependency (``boostpack[arrow]``), imported
when a table is read.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from boostpack.errors import InvalidInput
from boostpack.ingestion.classify import Batch, Classifier
from boostpack.ingestion.frames import Unit
from boostpack.ingestion.options import ReadOptions

__all__ = ["TABLE_SUFFIXES", "is_table", "read_table", "table_lines", "table_rows", "table_units"]

TABLE_SUFFIXES = (".parquet", ".arrow")
_ARROW_FILE_MAGIC = b"ARROW1"  # the IPC file format; a stream starts with a message instead
# Rows decoded at a time, whatever the caller's batch size: where a damaged row group stops
# being readable then depends on the file alone, so the rows before it are the same rows.
_READ_ROWS = 1024


def is_table(path: str) -> bool:
    return path.lower().endswith(TABLE_SUFFIXES)


def _pyarrow(path: str) -> Any:
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet  # type: ignore[import-untyped]
    except ImportError as exc:
        raise InvalidInput(f"{path}: reading Parquet and Arrow needs pyarrow: "
                           "pip install 'boostpack[arrow]'") from exc
    return pa


class _Table:
    """An open Parquet or Arrow IPC file: its units and their record batches."""

    def __init__(self, path: str) -> None:
        pa = self.pa = _pyarrow(path)
        self.path = path
        self.parquet = path.lower().endswith(".parquet")
        self._stream: Any = None
        if self.parquet:
            self.file = pa.parquet.ParquetFile(path)
            meta = self.file.metadata
            self.units = [Unit(i, meta.row_group(i).num_rows, meta.row_group(i).total_byte_size,
                               "row_group") for i in range(meta.num_row_groups)]
            return
        self.source = pa.memory_map(path)  # batches are views of the mapped file: no copies
        self.units = []
        if self.source.read(len(_ARROW_FILE_MAGIC)) == _ARROW_FILE_MAGIC:
            self.source.seek(0)
            self.file = pa.ipc.open_file(self.source)
            for i in range(self.file.num_record_batches):  # the footer locates every batch
                try:
                    batch = self.file.get_batch(i)
                    self.units.append(Unit(i, batch.num_rows, batch.nbytes, "record_batch"))
                except (pa.ArrowException, OSError):
                    self.units.append(Unit(i, 0, 0, "unreadable"))
            return
        self.source.seek(0)
        self.file = None
        stream = pa.ipc.open_stream(self.source)
        while True:  # a stream is read in order: nothing after a bad message can be found
            try:
                batch = stream.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowException, OSError):
                self.units.append(Unit(len(self.units), 0, 0, "unreadable"))
                return
            self.units.append(Unit(len(self.units), batch.num_rows, batch.nbytes, "record_batch"))

    def close(self) -> None:
        if not self.parquet:
            self.source.close()

    def batches(self, unit: Unit) -> Iterator[Any]:
        """The record batches of ``unit``, of up to ``_READ_ROWS`` rows."""
        if unit.kind == "unreadable":
            raise OSError("record batch cannot be read")
        if self.parquet:
            yield from self.file.iter_batches(batch_size=_READ_ROWS, row_groups=[unit.offset])
            return
        if self.file is not None:
            batch = self.file.get_batch(unit.offset)
        else:
            if self._stream is None or self._stream[0] > unit.offset:  # a fresh pass
                self._stream = [0, self.pa.ipc.open_stream(self.pa.memory_map(self.path))]
            while self._stream[0] <= unit.offset:  # skipping a batch copies nothing
                batch = self._stream[1].read_next_batch()
                self._stream[0] += 1
        for at in range(0, batch.num_rows, _READ_ROWS):
            yield batch.slice(at, _READ_ROWS)

    def rows(self, units: Sequence[Unit]) -> Iterator[tuple[Unit, list[Any] | str]]:
        """(unit, the objects of up to ``_READ_ROWS`` of its rows) in order, or (unit, why)
        where a unit stops being readable: one row number in every reading of the file."""
        for unit in units:
            try:
                for batch in self.batches(unit):
                    yield unit, _objects(batch)
            except (self.pa.ArrowException, OSError) as exc:
                yield unit, str(exc)


class BadRow:
    """A row whose values cannot be read: corrupt (found by Arrow's full validation, which
    reading alone skips: a bad offset, a string that is not UTF-8) or no Python value (a date
    past year 9999)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail


def _objects(batch: Any) -> list[Any]:
    """The rows of a record batch as objects; a BadRow for each row that cannot be one."""
    try:
        # Checked before conversion: a corrupt offset would otherwise read past its buffer.
        batch.validate(full=True)
        return batch.to_pylist()
    except Exception:  # corrupt data raises ArrowInvalid, SystemError, ValueError...: any
        return [_row(batch.slice(i, 1)) for i in range(batch.num_rows)]


def _row(batch: Any) -> Any:
    """The one row of ``batch`` as an object, or a BadRow."""
    try:
        batch.validate(full=True)
        return batch.to_pylist()[0]
    except Exception as exc:  # as in _objects
        return BadRow(f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def _opened(path: str) -> Iterator[_Table]:
    pa = _pyarrow(path)
    try:
        table = _Table(path)
    except (pa.ArrowException, OSError) as exc:
        raise _Unreadable(str(exc)) from None
    try:
        yield table
    finally:
        table.close()


class _Unreadable(Exception):
    """A file whose metadata cannot be read."""


def table_units(path: str) -> list[Unit]:
    """The row groups (Parquet) or record batches (Arrow) of a file; [] when its metadata is
    unreadable (reading it then gives one ``corrupt_stream`` entry)."""
    try:
        with _opened(path) as table:
            return table.units
    except _Unreadable:
        return []


def _marks(units: Sequence[Unit], before: int, cell_bytes: int) -> set[int]:
    """Units after the first that start an output frame: the first unit (with rows) at or
    after each multiple of ``cell_bytes`` of the units' sizes; ``before``: the bytes of the
    units before ``units``, whose last unit with rows ends there."""
    marks, pos, last = set(), before, before - 1
    for i, unit in enumerate(units):
        if unit.length and i and pos // cell_bytes > last // cell_bytes:
            marks.add(unit.offset)
        if unit.length:
            last = pos
        pos += unit.size
    return marks


def read_table(path: str, options: ReadOptions, batch_lines: int,
               units: Sequence[Unit] | None = None, *, before: int = 0, cell_bytes: int = 0,
               cuts: list[int] | None = None) -> Iterator[Batch]:
    """``units`` of a table (None: all) as Batches of up to ``batch_lines`` rows.

    With ``cell_bytes``, ``cuts`` gets the record numbers (from 0) that start an output frame:
    the first record of each unit that is the first at or after a multiple of ``cell_bytes``
    of unit sizes (``before``: the unit bytes ahead of ``units``), and the first record at or
    after every ``cell_bytes`` of row JSON counted from there. Like the frame cuts of a byte
    range (``classify``), they do not depend on how the units are split into tasks.
    """
    cls = Classifier(path, options)
    cuts = [] if cuts is None else cuts
    row = done = 0
    try:
        with _opened(path) as table:
            chosen = table.units if units is None else units
            marks = _marks(chosen, before, cell_bytes) if cell_bytes else set()
            since, unit_seen = 0, None  # row JSON bytes since the last frame start
            for unit, objects in table.rows(chosen):
                if unit is not unit_seen and unit.offset in marks:
                    since = -1  # cut at the unit's first record
                unit_seen = unit
                if isinstance(objects, str):
                    yield _broken(cls, row, objects)
                    row += 1
                    continue
                for at in range(0, len(objects), batch_lines):
                    batch = Batch(path, format=cls.fmt)
                    for obj in objects[at:at + batch_lines]:
                        row += 1
                        if type(obj) is BadRow:
                            cls.quarantine(batch, row, -1, "invalid_value", b"", obj.detail)
                            batch.lines_read += 1
                            continue
                        raw = orjson.dumps(obj, default=str)
                        n = len(batch.records)
                        cls.add(batch, row, -1, obj, raw)
                        if cell_bytes and len(batch.records) > n:
                            if since < 0 or since >= cell_bytes:
                                cuts.append(done + n)
                                since = 0
                            since += len(raw) + 1
                        batch.lines_read += 1
                        batch.bytes_read += len(raw) + 1
                    batch.format = cls.fmt
                    done += len(batch.records)
                    yield batch
    except _Unreadable as exc:
        yield _broken(cls, row, str(exc))


def _broken(cls: Classifier, row: int, detail: str) -> Batch:
    batch = Batch(cls.file, format=cls.fmt)
    cls.quarantine(batch, row + 1, -1, "corrupt_stream", b"", detail)
    batch.lines_read = 1
    return batch


def table_rows(path: str, units: Sequence[Unit], numbers: Sequence[int]) -> Iterator[list[bytes]]:
    """The rows numbered ``numbers`` (from 1 over ``units``, ascending; an unreadable rest of
    a unit counts as one row, as in ``read_table``) as ``Batch.raw`` holds them, a list per
    read of rows."""
    i = row = 0
    with contextlib.suppress(_Unreadable), _opened(path) as table:  # unreadable: no records
        for _, objects in table.rows(units):
            if i == len(numbers):
                return
            if isinstance(objects, str):
                row += 1
                continue
            hi = bisect.bisect_right(numbers, row + len(objects), lo=i)
            if hi > i:
                yield [orjson.dumps(objects[n - row - 1], default=str) for n in numbers[i:hi]]
                i = hi
            row += len(objects)


def table_lines(path: str, units: Sequence[Unit]) -> int:
    """The lines ``read_table`` counts for ``units``: rows, and one per unit's unreadable rest
    (it reads them: only a damaged unit's rows say how far it could be read)."""
    with contextlib.suppress(_Unreadable), _opened(path) as table:
        return sum(len(objects) if isinstance(objects, list) else 1
                   for _, objects in table.rows(units))
    return 0
