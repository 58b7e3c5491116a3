"""The ``boostpack`` command: a thin argparse layer over the Python API.

Each subcommand lives in ``boostpack.commands.<name>`` and exposes ``register(subparsers)``, which
adds its parser and sets ``func`` (``args -> int`` exit code). Commands import the library inside
``func``, so building the parser loads no numpy and no compiled module and ``--help`` or a usage
error answers at once. Errors become one line on stderr; ``BOOSTPACK_DEBUG=1`` shows the
traceback. Exit codes: 0 ok, 1 failure, 2 usage, 130 interrupted. Every command takes
``-q/--quiet``: no progress output (``runtime.console.set_progress``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from collections.abc import Sequence

from boostpack import commands
from boostpack._version import __version__
from boostpack.errors import BoostpackError
from boostpack.runtime.allocator import keep_freed_memory
from boostpack.runtime.console import set_progress

# Usage errors exit 2 from argparse itself.
EXIT_OK, EXIT_FAILURE, EXIT_INTERRUPTED = 0, 1, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="boostpack",
        description="Turn synthesized QA into training-ready token shards: "
        "ingest -> dedup -> pack -> load.",
    )
    parser.add_argument("--version", action="version", version=f"boostpack {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        importlib.import_module(f"boostpack.commands.{info.name}").register(sub)
    for command in sub.choices.values():  # every command, present and future
        command.add_argument("-q", "--quiet", action="store_true",
                             help="no progress on stderr (errors and warnings still show)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    if args.quiet:
        set_progress(False)
    keep_freed_memory()  # this process is boostpack's own: see runtime.allocator
    try:
        return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("boostpack: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (BoostpackError, OSError, ValueError) as exc:
        if os.environ.get("BOOSTPACK_DEBUG") == "1":
            traceback.print_exc()
        print(f"boostpack {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        set_progress(None)


if __name__ == "__main__":
    sys.exit(main())
