"""Readers turn one input file into Paper records; the format is detected or named.

Each reader module exposes ``FORMAT`` (its name), ``DESCRIPTION``,
``sniff(text) -> bool`` and ``read(text, path) -> list[Paper]``. A reader raises
``InputError(path, problem, where)`` for anything it cannot read: no reader
guesses past a broken entry, so an ingest can refuse the whole file.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from reviewer.corpus.ids import canonical_id
from reviewer.corpus.model import Paper
from reviewer.errors import InputError

from . import arxiv_table, atom, bibtex, hf_page, jsonrec, rss

# Detection order matters: the more specific sniffers go first.
READERS: dict[str, ModuleType] = {
    module.FORMAT: module for module in (atom, rss, arxiv_table, bibtex, jsonrec, hf_page)
}
FORMATS = ("auto", *READERS)

# Control characters that never occur in text files (NUL and friends), used to
# tell a binary file from text before trying to parse it.
_BINARY_BYTES = set(range(0, 9)) | {11} | set(range(14, 32)) - {27}


def decode_text(data: bytes, path: str) -> str:
    """Bytes of a text file as str, or an InputError saying why it is not text."""
    if not data.strip():
        raise InputError(path, "the file is empty")
    sample = data[:8192]
    if b"\x00" in sample or sum(b in _BINARY_BYTES for b in sample) > len(sample) // 100 + 1:
        raise InputError(path, "this is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            path,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            where=f"line {line}",
            hint="Convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8`.",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_format(text: str, path: str) -> str:
    for name, module in READERS.items():
        if module.sniff(text):
            return name
    raise InputError(
        path,
        "unrecognized format",
        hint=f"Name it with --format ({', '.join(READERS)}).",
    )


def read_file(path: Path | str, fmt: str = "auto") -> tuple[str, list[Paper]]:
    """Read one file: (format used, papers). Raises InputError on anything unreadable."""
    path_str = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path_str, "no such file") from None
    except IsADirectoryError:
        raise InputError(path_str, "is a directory") from None
    except OSError as exc:
        raise InputError(path_str, f"cannot be read ({exc.strerror})") from None
    text = decode_text(data, path_str)
    if fmt == "auto":
        fmt = detect_format(text, path_str)
    elif fmt not in READERS:
        raise InputError(
            path_str, f"unknown format {fmt!r}", hint=f"Use one of {', '.join(FORMATS)}."
        )
    papers = READERS[fmt].read(text, path_str)
    if not papers:
        raise InputError(path_str, f"no papers found (read as {fmt})")
    # Sources record the absolute path, so that the same file named another way
    # (relative, via a symlink) is recognized as the same source on re-ingest.
    resolved = str(Path(path).resolve())
    for paper in papers:
        paper.id = canonical_id(paper.arxiv_id, paper.doi, paper.title)
        paper.sources = [s.model_copy(update={"path": resolved}) for s in paper.sources]
    return fmt, papers
