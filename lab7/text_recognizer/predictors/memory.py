"""Give the memory a request's buffers used back to the system, where the C library allows it."""

import ctypes
import ctypes.util


def _glibc_malloc_trim():
    """glibc's `malloc_trim`, or None on other C libraries (macOS, musl)."""
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return getattr(library, "malloc_trim", None)


_MALLOC_TRIM = _glibc_malloc_trim()


def return_freed_memory() -> None:
    """Hand the memory that a request's buffers used back to the system.

    glibc keeps freed blocks for reuse, so a server process would otherwise stay at the size of the
    largest input it ever read (measured on pages: 330 MB a process, 220 MB with this).
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
