"""Building the CLI's parser stays light: no numpy and no compiled ``boostpack._*`` module.

``boostpack --help``, a usage error or a typo should answer at once, so each command imports
the library inside its run function, never at module level or in ``register``. Each check runs
in a fresh interpreter (this test process has long since imported everything), and each command
module is also checked on its own, so a failure names the module that pulls the import in.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import boostpack.commands

# Prints the heavy modules loaded after building the parser (``boostpack.cli``) or importing one
# command module and registering its subparser. Compiled modules are found by their file's
# suffix, so a pure-Python ``boostpack._version`` does not count.
_PROBE = """
import argparse, importlib, importlib.machinery, json, sys
name = sys.argv[1]
module = importlib.import_module(name)
if name == "boostpack.cli":
    module.build_parser()
elif hasattr(module, "register"):
    module.register(argparse.ArgumentParser().add_subparsers())
compiled = tuple(importlib.machinery.EXTENSION_SUFFIXES)
print(json.dumps(sorted(
    n for n, m in list(sys.modules.items())
    if n == "numpy" or (n.startswith("boostpack.")
                        and str(getattr(getattr(m, "__spec__", None), "origin", "")).endswith(compiled)))))
"""

_COMMAND_MODULES = sorted(f"boostpack.commands.{m.name}"
                          for m in pkgutil.iter_modules(boostpack.commands.__path__))


def _heavy_modules_after(name: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, name], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def test_probe_sees_numpy_and_compiled_modules() -> None:
    # The probe itself must be able to fail: the library proper does import both.
    heavy = _heavy_modules_after("boostpack.deduplication.minhash")
    assert "numpy" in heavy and "boostpack._minhash" in heavy


@pytest.mark.parametrize("name", ["boostpack.cli", *_COMMAND_MODULES])
def test_building_the_parser_imports_no_numpy_or_compiled_module(name: str) -> None:
    heavy = _heavy_modules_after(name)
    assert heavy == [], f"{name} loads {', '.join(heavy)} before any command runs"
