"""Files written whole: a reader sees the old content or the new, never a part."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a new temporary file beside ``path``, then rename it over
    ``path``; on any failure the temporary file is removed and ``path`` is untouched."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_output(path: Path, data: str | bytes) -> None:
    """Write an output file whole (UTF-8 for text); a failure is one line naming the file."""
    from reviewer.errors import ReviewerError

    try:
        write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise ReviewerError(f"cannot write {path}: {exc.strerror or exc}") from None
