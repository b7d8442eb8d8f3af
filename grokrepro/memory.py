"""Keep freed CPU memory in the process instead of handing it back to the kernel (glibc ``mallopt``).

The batched trainers allocate and free tensors of a few MiB on every step. glibc serves blocks above its mmap
threshold (128 KiB, rising to at most 32 MiB) with fresh ``mmap`` calls and trims the heap top above its trim
threshold, so the same pages are returned to the kernel and faulted in again, zeroed, step after step: on the
full tensor-network model at d = 10 and 100 inits, ~0.5 million minor page faults per 300 init-epochs, ~15 % of
the run. :func:`keep_freed_memory` raises both thresholds once per process (32 MiB, the largest mmap threshold
glibc accepts; no trimming below 1 GiB of free heap top): blocks are then reused from the heap. Numbers do not
change (only where memory comes from); peak memory does not grow, freed memory is just not returned early.
Elsewhere (not glibc, or no ``mallopt``) it does nothing. Measured in bench/fullmodel_speed.py (bench/README.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 1 << 30

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (once); True where they were set."""
    global _done
    if _done is None:
        _done = False
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                _done = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) \
                    & bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            except (OSError, AttributeError):
                _done = False
    return _done
