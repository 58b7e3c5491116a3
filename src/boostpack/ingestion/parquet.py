"""Parquet input: each row a parsed object, classified like a JSONL line (``classify``).

pyarrow is an optional dependency (``boostpack[parquet]``), imported when a Parquet file is read.
A file is read in row batches of ``batch_lines``; row groups would be the unit to split a file
into tasks, as byte ranges are for plain JSONL (``splits``).
"""

from __future__ import annotations

from collections.abc import Iterator

from boostpack.errors import InvalidInput
from boostpack.ingestion.classify import Batch, Classifier, object_batch
from boostpack.ingestion.options import ReadOptions


def read_parquet(path: str, options: ReadOptions, batch_lines: int) -> Iterator[Batch]:
    """A Parquet file as Batches of up to ``batch_lines`` rows (``Batch.lines``: row numbers).

    An unreadable file or row group keeps what was read; the rest is one ``corrupt_stream``
    quarantine entry.
    """
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as exc:
        raise InvalidInput(f"{path}: reading Parquet needs pyarrow: "
                           "pip install 'boostpack[parquet]'") from exc
    import pyarrow as pa  # type: ignore[import-untyped]

    cls = Classifier(path, options)
    rows = 0
    try:
        for table in pq.ParquetFile(path).iter_batches(batch_size=batch_lines):
            batch = object_batch(cls, table.to_pylist(), rows)
            rows += batch.lines_read
            if batch.lines_read:
                yield batch
    except (pa.ArrowException, OSError) as exc:
        batch = Batch(path, format=cls.fmt)
        cls.quarantine(batch, rows + 1, -1, "corrupt_stream", b"", str(exc))
        batch.lines_read = 1
        yield batch
