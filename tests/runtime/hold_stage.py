"""``python hold_stage.py MODULE FUNCTION READY GO ARGS...``: run ``boostpack ARGS...`` with
``MODULE.FUNCTION`` held: its first call touches the file READY, then waits until the file GO
exists before running. Tests use it to meet a run of another process in a known state (its
output directory claimed, its worker processes started)."""

import importlib
import pathlib
import sys
import time


def hold(module: str, name: str, ready: str, go: str) -> None:
    mod = importlib.import_module(module)
    function = getattr(mod, name)

    def held(*args, **kwargs):
        pathlib.Path(ready).touch()
        while not pathlib.Path(go).exists():
            time.sleep(0.02)
        return function(*args, **kwargs)

    setattr(mod, name, held)


if __name__ == "__main__":  # worker processes import this file too (spawn) and must not run it
    hold(*sys.argv[1:5])
    from boostpack import cli

    sys.exit(cli.main(sys.argv[5:]))
