"""Citation keys and BibTeX entries, made from the store's records (never from a model).

A key is the paper's own BibTeX key when it came from a .bib file, else
``<first author's surname><year><title word>`` (``ma2024segmentanything``), or
``<title word><year>`` when the authors are unknown (``mmdinov2-2025``: a hyphen when the
word ends in a digit). The title word is the name a title leads with (``SAM3D: ...``) or
its first two significant words. Keys are unique within one draft: a clash gets ``a``,
``b``, ... appended.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from reviewer.grounding import STOPWORDS

_KEY_SAFE = re.compile(r"[^a-z0-9]+")
_BIB_KEY = re.compile(r"^[A-Za-z0-9_:./+-]+$")
_TITLE_SKIP = STOPWORDS | {"a", "an", "in", "on", "to", "is", "of", "the", "towards", "toward"}


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _KEY_SAFE.sub("", folded.lower())


def _surname(author: str) -> str:
    author = author.strip()
    if "," in author:  # "Last, First"
        return author.split(",", 1)[0]
    parts = author.split()
    return parts[-1] if parts else ""


def _title_word(title: str) -> str:
    """The name a title leads with ("SAM3D: ..." gives sam3d), else its first two
    significant words run together ("Segment Anything Model for ..." gives
    segmentanything)."""
    head, colon, _ = title.partition(":")
    if colon and len(head.split()) == 1 and 2 <= len(_ascii(head)) <= 24:
        return _ascii(head)
    words = [
        w
        for w in (_ascii(x) for x in re.findall(r"[^\s:;,.!?()\[\]{}\"'/]+", title))
        if len(w) >= 3 and w not in _TITLE_SKIP
    ]
    return "".join(words[:2])[:24] or _ascii(title)[:12] or "paper"


def base_key(paper: Any) -> str:
    if paper.bibtex_key and _BIB_KEY.match(paper.bibtex_key):
        return str(paper.bibtex_key)
    year = str(paper.known_year or "")
    word = _title_word(paper.title)
    surname = _ascii(_surname(paper.authors[0])) if paper.authors else ""
    if surname:
        return f"{surname}{year}{word}"
    if not year:
        return word
    return f"{word}-{year}" if word[-1].isdigit() else f"{word}{year}"


def citation_keys(papers: Iterable[Any]) -> dict[str, str]:
    """A unique citation key for each paper id, stable for the same papers in the same order."""
    keys: dict[str, str] = {}
    used: set[str] = set()
    for paper in papers:
        if paper.id in keys:
            continue
        base = key = base_key(paper)
        n = 0
        while key.lower() in used:
            key = f"{base}{chr(ord('a') + n)}" if n < 26 else f"{base}-{n}"
            n += 1
        used.add(key.lower())
        keys[paper.id] = key
    return keys


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Plain text safe inside LaTeX (and inside BibTeX field braces)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def paper_url(paper: Any) -> str | None:
    if paper.abs_url:
        return str(paper.abs_url)
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    return None


def bib_entry(paper: Any, key: str) -> str:
    """One @misc entry: title, authors, year, arXiv eprint, DOI, URL, venue."""
    fields: list[tuple[str, str]] = [("title", "{" + latex_escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(latex_escape(a) for a in paper.authors)))
    year = paper.known_year
    if year:
        fields.append(("year", str(year)))
    if paper.published:
        fields.append(("date", paper.published.isoformat()))
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
    if paper.doi:
        fields.append(("doi", paper.doi))
    url = paper_url(paper)
    if url:
        fields.append(("url", url))
    venue = paper.journal_ref or paper.venue
    if venue:
        fields.append(("howpublished", latex_escape(venue)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def bib_file(papers: Sequence[Any], keys: dict[str, str]) -> str:
    """The .bib text for these papers, in the order given."""
    return "\n".join(bib_entry(p, keys[p.id]) for p in papers)
