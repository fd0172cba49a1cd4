"""Safe XML parsing (no entity expansion) with errors that name the line."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from reviewer.errors import InputError

from ._text import squash

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"

# arXiv's RSS summaries start "arXiv:2508.13426v1 Announce Type: new \nAbstract: ..."
_ANNOUNCE_RE = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)


def parse_xml(text: str, path: str) -> Element:
    try:
        return fromstring(text.encode("utf-8"))
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        message = str(exc).split(":")[0]
        where = f"line {line}, column {column}" if line else None
        raise InputError(path, f"malformed XML ({message})", where) from None
    except DefusedXmlException as exc:
        raise InputError(path, f"refused unsafe XML ({type(exc).__name__})") from None


def text_of(element: Element | None) -> str:
    if element is None:
        return ""
    return squash("".join(element.itertext()))


def split_announcement(summary: str) -> tuple[str, str | None]:
    """(abstract, announce type) from an arXiv RSS summary; plain summaries pass through."""
    match = _ANNOUNCE_RE.match(summary)
    if not match:
        return squash(summary), None
    return squash(summary[match.end() :]), match.group("type")


def split_creators(text: str) -> list[str]:
    """dc:creator holds 'A, B, C and D' in arXiv's feeds."""
    text = squash(text)
    if not text:
        return []
    from reviewer.corpus.latex import decode_latex

    parts = re.split(r",\s*|\s+and\s+", text)
    # arXiv writes accents in TeX here ("Andr\\'e"); decode so names match other sources.
    return [decode_latex(p.strip()) for p in parts if p.strip()]
