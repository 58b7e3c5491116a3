"""Hugging Face ``datasets`` directories written by ``save_to_disk``, read without ``datasets``.

A saved ``Dataset`` is a directory holding ``state.json`` (its Arrow files, in order, under
``_data_files``), ``dataset_info.json`` and ``data-NNNNN-of-NNNNN.arrow`` files in the Arrow IPC
stream format, whatever ``select``/``shuffle`` did before (``save_to_disk`` writes the rows in
the dataset's order). A saved ``DatasetDict`` holds ``dataset_dict.json`` (``{"splits": [...]}``)
and a saved ``Dataset`` per split in the subdirectory of that name. The Arrow files are read by
``tables``; this module only lists them in the dataset's order.
"""

from __future__ import annotations

import os
from typing import Any

import orjson

from boostpack.errors import InvalidInput

__all__ = ["saved_dataset_files"]

_STATE, _DICT = "state.json", "dataset_dict.json"


def _json(path: str) -> Any:
    try:
        with open(path, "rb") as f:
            return orjson.loads(f.read())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: unreadable ({exc})") from None


def _dataset_files(directory: str) -> list[str]:
    state_path = os.path.join(directory, _STATE)
    state = _json(state_path)
    entries = state.get("_data_files") if isinstance(state, dict) else None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("filename"), str) for e in entries):
        raise InvalidInput(f"{state_path}: no _data_files list: not a saved dataset")
    files = []
    for entry in entries:
        name = entry["filename"]
        path = os.path.join(directory, name)
        if os.path.dirname(os.path.normpath(name)) or not os.path.isfile(path):
            raise InvalidInput(f"{path}: listed in {state_path} but not a file in {directory}")
        files.append(path)
    return files


def saved_dataset_files(directory: str) -> list[str] | None:
    """The Arrow files of a saved ``Dataset`` or ``DatasetDict`` directory, in the dataset's
    order (a dict's splits in its own order); None when ``directory`` is neither."""
    if os.path.isfile(os.path.join(directory, _STATE)):
        return _dataset_files(directory)
    dict_path = os.path.join(directory, _DICT)
    if not os.path.isfile(dict_path):
        return None
    splits = _json(dict_path)
    splits = splits.get("splits") if isinstance(splits, dict) else None
    if not isinstance(splits, list) or not all(isinstance(s, str) for s in splits):
        raise InvalidInput(f"{dict_path}: no splits list: not a saved DatasetDict")
    files: list[str] = []
    for split in splits:
        sub = os.path.join(directory, split)
        if os.path.dirname(os.path.normpath(split)) or not os.path.isfile(os.path.join(sub, _STATE)):
            raise InvalidInput(f"{sub}: split listed in {dict_path} but not a saved dataset")
        files += _dataset_files(sub)
    return files
