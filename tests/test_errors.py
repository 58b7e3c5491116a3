import numpy as np
import pytest

import boostpack
from boostpack import _packing, _unionfind
from boostpack.errors import CorruptData, InvalidInput, KernelError


def _bad_union() -> None:  # BP_ERR_INVALID from the kernel: a document number past n
    _unionfind.union(np.zeros(2, np.uint32), np.array([5], np.uint32), np.array([0], np.uint32))


def _small_output() -> None:  # BP_ERR_CAPACITY: framing three ids into room for two
    _packing.frame_documents(np.arange(3, dtype=np.uint32), np.array([0, 3], np.int64), -1, -1,
                             np.zeros(2, np.uint32), np.zeros(2, np.int64))


def _bad_argument() -> None:  # the glue's own argument check
    _packing.pack_bound(np.ones(1, np.uint64), 0)


@pytest.mark.parametrize(
    ("call", "cls", "builtin", "match"),
    [(_bad_union, InvalidInput, ValueError, "UnionFind.union: a document number is out of range"),
     (_small_output, KernelError, RuntimeError, "frame_documents: output buffer too small"),
     (_bad_argument, InvalidInput, ValueError, "seq_len")],
)
def test_compiled_modules_raise_boostpack_errors(call, cls, builtin, match):
    """The glue raises boostpack's own classes (no wrapper translates), still catchable as the
    builtin they refine, with the operation named first."""
    with pytest.raises(cls, match=match) as info:
        call()
    assert isinstance(info.value, builtin)


def test_errors_are_catchable_as_builtins():
    assert issubclass(InvalidInput, ValueError) and issubclass(CorruptData, ValueError)
    assert issubclass(InvalidInput, boostpack.BoostpackError)


def test_lazy_api_names_resolve_or_fail_cleanly():
    with pytest.raises(AttributeError):
        boostpack.no_such_name  # noqa: B018
    assert "dedup" in dir(boostpack)


def test_public_functions_survive_submodule_imports():
    """``import boostpack.<module>`` binds the package attribute to the module, so no public
    function may share its name with the module that defines it."""
    import importlib
    import types

    for name, module in boostpack._LAZY.items():
        importlib.import_module(module)
        assert not isinstance(getattr(boostpack, name), types.ModuleType), name
