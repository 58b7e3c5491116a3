/* Status codes shared by every boostpack C kernel. Kernels are pure C11 functions over caller-owned
 * buffers: they return one of these and never allocate Python objects or touch the GIL. The
 * Cython layer turns a non-zero status into an exception in one place (_status.pxi). */
#ifndef BOOSTPACK_STATUS_H
#define BOOSTPACK_STATUS_H

typedef enum {
    BP_OK = 0,
    BP_ERR_INVALID = 1,   /* bad argument: sizes, offsets, parameters out of range */
    BP_ERR_NOMEM = 2,     /* an allocation failed */
    BP_ERR_OVERFLOW = 3,  /* a count or size would not fit its type */
    BP_ERR_CAPACITY = 4,  /* caller-provided output buffer is too small */
} bp_status;

#endif
