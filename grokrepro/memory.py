"""Keep freed CPU memory in the process instead of handing it back to the kernel (glibc ``mallopt``).

The batched trainers allocate and free tensors of megabytes on every step (activations, gradients and context
stacks with a leading model axis). By default glibc serves each block above its mmap threshold (128 KiB, rising to
at most 32 MiB) with a fresh ``mmap``, trims the heap top above its trim threshold, and gives every thread its own
arena, so the same pages go back to the kernel and are faulted in again, zeroed, step after step. Measured
(2 threads, bench/README.md): the full tensor-network model at d = 10 and 100 inits, 486,000 minor page faults in
900 init-epochs and 20-25 % of the time; the transformer at 16 models, 2.6 million faults in 30 steps.

:func:`keep_freed_memory` sets, once per process: no ``mmap`` for allocations (``M_MMAP_MAX`` 0: every block comes
from the heap and returns to it when freed), no trimming below 1 GiB of free heap top (``M_TRIM_THRESHOLD``) and one
arena for all threads (``M_ARENA_MAX`` 1: the trainers compute in one thread; a second arena would be a second heap
that large blocks do not fit). Numbers do not change (only where memory comes from); peak memory is the heap's
peak, and memory freed below the top stays with the process. Call it before the threads that compute are made.
Elsewhere (not Linux with glibc) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
M_ARENA_MAX = -8
SETTINGS = ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 1 << 30), (M_ARENA_MAX, 1))

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Apply :data:`SETTINGS` with glibc's ``mallopt`` (once per process); True where every one was accepted."""
    global _done
    if _done is None:
        _done = False
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                _done = all([bool(libc.mallopt(param, value)) for param, value in SETTINGS])
            except (OSError, AttributeError):
                _done = False
    return _done
