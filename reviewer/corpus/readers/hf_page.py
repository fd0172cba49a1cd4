"""Hugging Face paper pages saved as text: a title line, then its abstract.

Two layouts occur: blocks separated by blank lines (the "Daily Papers" page),
and consecutive lines with no blank line between them (search results, where
the first title is glued to the page's "Subscribe" button text). Page chrome
(subscribe prompts, "Daily Papers", date headers such as "Aug 20") is dropped;
what remains must alternate title, abstract.
"""

from __future__ import annotations

import re

from reviewer.corpus.model import Paper, Source
from reviewer.errors import InputError

from ._text import code_urls_in, looks_truncated, squash

FORMAT = "hf-page"
DESCRIPTION = "Hugging Face paper page saved as text (title line, abstract line)"

_CHROME = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"new",
        r"get trending papers in your email inbox.*",
        r"subscribe",
        r"daily papers",
        r"by\s*ak and the research community",
        r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(?:, \d{4})?",
        r"(?:papers?|search results?)",
    )
]
# The page's "Subscribe" button text glued to the first title: "SubscribeSaliency-Guided ...".
_SUBSCRIBE_PREFIX = re.compile(r"^Subscribe(?=[A-Z0-9])")
_MARKERS = ("get trending papers", "daily papers", "byak and the research community")

# Longest plausible title; anything longer where a title should be is an abstract
# out of step, i.e. a broken page.
_MAX_TITLE = 400


def sniff(text: str) -> bool:
    head = text[:4000].lower()
    return any(marker in head for marker in _MARKERS)


def _looks_like_abstract(line: str) -> bool:
    return bool(re.search(r"[.!?)]$", line)) and len(line) > 30


def _check_pairing(lines: list[tuple[int, str]], path: str) -> None:
    """Find the title that has no abstract after it, and name its line."""
    for index in range(0, len(lines), 2):
        number, title = lines[index]
        following = lines[index + 1][1] if index + 1 < len(lines) else None
        # A title followed by another title (and then the abstract of that one).
        if following is None or (
            not _looks_like_abstract(following)
            and index + 2 < len(lines)
            and _looks_like_abstract(lines[index + 2][1])
        ):
            raise InputError(path, f"title without an abstract ({title[:60]!r})", f"line {number}")


def _is_chrome(line: str) -> bool:
    return any(p.fullmatch(line) for p in _CHROME)


def read(text: str, path: str) -> list[Paper]:
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = squash(raw)
        if not line:
            continue
        if not lines:
            line = _SUBSCRIBE_PREFIX.sub("", line)
        if _is_chrome(line):
            continue
        lines.append((number, line))
    _check_pairing(lines, path)
    papers = []
    for (title_line, title), (_, abstract) in zip(lines[::2], lines[1::2], strict=True):
        if len(title) > _MAX_TITLE or len(abstract) < len(title):
            raise InputError(
                path, "expected a title line followed by its abstract", f"line {title_line}"
            )
        papers.append(
            Paper(
                title=title,
                abstract=abstract,
                abstract_truncated=looks_truncated(abstract),
                code_urls=code_urls_in(abstract),
                sources=[Source(path=path, format=FORMAT, entry=f"line {title_line}")],
            )
        )
    return papers
