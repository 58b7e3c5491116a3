import pytest

import boostpack
from boostpack.errors import CorruptData, InvalidInput, KernelError, raise_for_status


@pytest.mark.parametrize(
    ("status", "cls", "builtin"),
    [(1, InvalidInput, ValueError), (2, MemoryError, MemoryError),
     (3, KernelError, RuntimeError), (4, KernelError, RuntimeError), (99, KernelError, RuntimeError)],
)
def test_status_codes_map_to_exceptions(status, cls, builtin):
    with pytest.raises(cls) as info:
        raise_for_status(status, "minhash")
    assert isinstance(info.value, builtin)
    assert str(info.value).startswith("minhash: ")


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
