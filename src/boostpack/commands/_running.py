"""Where a command's tasks run (dedup, pack): ``--backend`` and ``--ray-address``."""

from __future__ import annotations

import argparse
from typing import Any

# The names of runtime.executor.BACKENDS, repeated so that building the parser imports nothing.
BACKENDS = ("local", "ray")


def add_backend_options(p: argparse.ArgumentParser) -> None:
    """``--backend local|ray`` and ``--ray-address``: run settings, never output-changing."""
    g = p.add_argument_group("where tasks run (the output is the same)")
    g.add_argument("--backend", choices=BACKENDS, default="local",
                   help="local: worker processes on this machine (default); ray: Ray tasks on a "
                   "cluster, with inputs and OUTDIR on storage every node sees "
                   "(pip install 'boostpack[ray]')")
    g.add_argument("--ray-address", metavar="HOST:PORT",
                   help="with --backend ray: the cluster to use (default: $RAY_ADDRESS, else a "
                   "Ray started on this machine for the run)")


def backend_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The API keyword arguments those options map to."""
    return {"backend": args.backend, "ray_address": args.ray_address}
