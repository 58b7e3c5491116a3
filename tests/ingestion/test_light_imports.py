"""The CLI builds its parser from the reading options (``options.FORMATS``) before any file is
read, so the modules it imports for that must not load numpy or any compiled extension."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import importlib.machinery, sys, sysconfig
import boostpack.commands._reading, boostpack.commands.ingest, boostpack.commands.inspect
import boostpack.ingestion.options
def third_party(path):
    installed = ("site-packages" in path or "dist-packages" in path)
    return installed or not path.startswith(sysconfig.get_paths()["stdlib"])
compiled = sorted(
    name for name, module in list(sys.modules.items())
    if (getattr(module, "__file__", None) or "").endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    and third_party(module.__file__))
print(" ".join(compiled))
"""


def test_command_modules_and_read_options_load_no_compiled_module() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
