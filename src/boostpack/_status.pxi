# Included by every compiled module: the single place where a C status becomes an exception.

cdef extern from "status.h":
    ctypedef enum bp_status:
        BP_OK
        BP_ERR_INVALID
        BP_ERR_NOMEM
        BP_ERR_OVERFLOW
        BP_ERR_CAPACITY


cdef inline int check_status(int status, str what) except -1:
    if status == BP_OK:
        return 0
    from boostpack.errors import raise_for_status
    raise_for_status(status, what)
    return -1
