# Included by every compiled module: the one place where a C status becomes an exception, and
# the exceptions the glue raises for bad arguments. They are boostpack's own (boostpack.errors),
# so the Python API passes them through untouched.

from boostpack._csrc cimport (BP_ERR_CAPACITY, BP_ERR_INVALID, BP_ERR_NOMEM, BP_ERR_OVERFLOW,
                              BP_OK, bp_status)

from boostpack.errors import CorruptData, InvalidInput, KernelError


cdef inline int check_status(bp_status status, str what, type invalid=InvalidInput,
                             str reason="invalid argument") except -1:
    """Raise for a non-zero status; ``what`` names the operation and leads the message.

    For BP_ERR_INVALID: ``invalid`` is InvalidInput for arguments, CorruptData where the kernel
    checks stored data (a shard's document index); ``reason`` says what the kernel refused."""
    if status == BP_OK:
        return 0
    if status == BP_ERR_INVALID:
        raise invalid(f"{what}: {reason}")
    if status == BP_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    if status == BP_ERR_OVERFLOW:
        raise KernelError(f"{what}: size overflow")
    if status == BP_ERR_CAPACITY:
        raise KernelError(f"{what}: output buffer too small")
    raise KernelError(f"{what}: unknown status {<int>status}")
