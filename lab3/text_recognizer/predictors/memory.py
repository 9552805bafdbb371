"""Give the memory that inference buffers used back to the system, where the C library allows it."""

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MAPPED_BLOCK_BYTES = 1 << 20


def _glibc():
    """The C library when it is glibc (it has `mallopt` and `malloc_trim`), else None (macOS, musl)."""
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return library if hasattr(library, "malloc_trim") else None


_GLIBC = _glibc()


def map_large_blocks() -> None:
    """Give every block of 1 MB or more its own memory mapping, handed back to the system when freed.

    glibc raises that threshold each time it frees a large mapped block (up to 32 MB), and keeps the
    blocks it then serves from its heaps: a server reading lines of every width grew from 400 to 650 MB
    after 2,000 handwriting requests. ONNX Runtime's arena asks for few, large blocks, so mapping each of
    them costs little. The setting is the process's, for every later allocation.
    """
    if _GLIBC is not None:
        _GLIBC.mallopt(M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES)


