"""One process at a time: an exclusive, non-blocking lock on a file under REVIEWER_HOME.

The lock is the kernel's (``flock``), so a process that dies releases it; the file
itself stays and means nothing."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from reviewer.errors import ReviewerError


@contextlib.contextmanager
def exclusive_lock(path: Path, busy: ReviewerError) -> Iterator[None]:
    """Hold ``path`` locked for the block; raise ``busy`` at once if another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
