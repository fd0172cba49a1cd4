"""Small text helpers shared by the readers."""

from __future__ import annotations

import html
import re
from datetime import date, datetime

# A tag starts with a letter (or /letter): "error < 5% and latency > 2 ms" is text.
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_CODE_HOST_RE = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|huggingface\.co|codeberg\.org)"
    r"/[^\s<>()\[\]{}\"',;]+",
    re.IGNORECASE,
)


def clean_html(text: str) -> str:
    """Plain text from a snippet of HTML: tags dropped, entities decoded, spaces collapsed."""
    text = _TAG_RE.sub(" ", text)
    text = html.unescape(text)
    return " ".join(text.split())


def squash(text: str) -> str:
    return " ".join(text.split())


def looks_truncated(abstract: str) -> bool:
    """An abstract cut off by its source: ends in an ellipsis or mid-sentence."""
    text = abstract.rstrip()
    if not text:
        return False
    if text.endswith(("...", "…")):
        return True
    # A complete abstract ends with sentence punctuation, possibly followed by a
    # closing bracket or quote, or with a URL (code links often end abstracts).
    if re.search(r"[.!?)\]\"'”’]$", text):
        return False
    return not re.search(r"https?://\S+$", text)


def code_urls_in(text: str) -> list[str]:
    urls = []
    for match in _CODE_HOST_RE.finditer(text):
        url = match.group(0).rstrip(".").rstrip("/")
        if url not in urls:
            urls.append(url)
    return urls


def parse_date(text: str) -> date | None:
    """A date from ISO 8601 (date or date-time, any offset) or RFC 822 as feeds write it."""
    text = text.strip()
    if not text:
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    for fmt in ("%a, %d %b %Y %H:%M:%S %z", "%a, %d %b %Y %H:%M:%S %Z", "%d %b %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
