"""Build the compiled kernels: every ``src/boostpack/_*.pyx`` becomes an extension.

Each ``.pyx`` names the C files it needs in its header (``# distutils: sources = csrc/x.c``), so
adding a kernel never touches this file. Environment switches:
  BOOSTPACK_NATIVE=1     add -march=native (local builds only; wheels stay portable)
  BOOSTPACK_WERROR=1     turn C warnings into errors
  BOOSTPACK_SANITIZE=1   build with AddressSanitizer + UBSan, -O1 -g
  BOOSTPACK_EXTENSIONS   comma-separated module names to build (e.g. _minhash), for fast dev loops
"""

import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup


def _flags() -> tuple[list[str], list[str]]:
    cflags = ["-std=c11", "-O3", "-Wall", "-Wextra", "-Wno-unused-function", "-Wno-unused-parameter"]
    ldflags: list[str] = []
    if os.environ.get("BOOSTPACK_NATIVE") == "1":
        cflags.append("-march=native")
    if os.environ.get("BOOSTPACK_WERROR") == "1":
        cflags.append("-Werror")
    if os.environ.get("BOOSTPACK_SANITIZE") == "1":
        san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
        cflags += ["-O1", "-g", *san]
        ldflags += san
    return cflags, ldflags


def _extensions() -> list[Extension]:
    only = {m for m in os.environ.get("BOOSTPACK_EXTENSIONS", "").split(",") if m}
    cflags, ldflags = _flags()
    exts = []
    for pyx in sorted(Path("src/boostpack").glob("_*.pyx")):
        if only and pyx.stem not in only:
            continue
        exts.append(
            Extension(
                f"boostpack.{pyx.stem}",
                [str(pyx)],
                include_dirs=["csrc"],
                extra_compile_args=cflags,
                extra_link_args=ldflags,
            )
        )
    return exts


setup(
    ext_modules=cythonize(
        _extensions(),
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    )
)
