"""Giving freed memory back to the operating system between the big steps of a run.

glibc's allocator keeps the pages of freed small objects for reuse; after a
corpus of a million segments is parsed, or one system's hypotheses are let
go, those pages stay in the process's resident set although Python holds
nothing in them. ``malloc_trim`` returns them, so the peak resident size is
what the run holds at once, not the sum of what its steps once held.
"""

from __future__ import annotations


def release_freed_memory() -> None:
    """Return freed heap pages to the OS where the C library can (glibc); elsewhere nothing happens."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):  # not glibc (musl, macOS, Windows): nothing to trim
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
