"""Atom feeds: arXiv API responses (export.arxiv.org/api/query) and arXiv's Atom daily feeds."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from reviewer.corpus.ids import normalize_doi, parse_arxiv_id
from reviewer.corpus.model import Paper, Source, month_of_arxiv_id
from reviewer.errors import InputError

from ._text import code_urls_in, looks_truncated, parse_date
from ._xml import ARXIV, ATOM, DC, parse_xml, split_announcement, split_creators, text_of

FORMAT = "arxiv-atom"
DESCRIPTION = "Atom feed: arXiv API response or arXiv Atom daily feed (rss.arxiv.org/atom/...)"


def sniff(text: str) -> bool:
    head = text[:2000]
    return "<feed" in head and "http://www.w3.org/2005/Atom" in head


def read(text: str, path: str) -> list[Paper]:
    root = parse_xml(text, path)
    if root.tag != f"{ATOM}feed":
        raise InputError(path, f"expected an Atom <feed>, found <{root.tag.split('}')[-1]}>")
    papers = []
    for index, entry in enumerate(root.findall(f"{ATOM}entry"), start=1):
        paper = _paper_from_entry(entry, path, index)
        if paper is not None:
            papers.append(paper)
    return papers


def _paper_from_entry(entry: Element, path: str, index: int) -> Paper | None:
    where = f"entry {index}"
    entry_id = text_of(entry.find(f"{ATOM}id"))
    title = text_of(entry.find(f"{ATOM}title"))
    summary = text_of(entry.find(f"{ATOM}summary"))
    if "arxiv.org/api/errors" in entry_id:
        # The arXiv API reports a bad query as a feed with one "Error" entry.
        raise InputError(path, f"the arXiv API returned an error: {summary or title}", where)
    if not title:
        raise InputError(path, "entry has no title", where)

    abstract, announce_type = split_announcement(summary)
    arxiv = parse_arxiv_id(entry_id)
    abs_url = None
    pdf_url = None
    for link in entry.findall(f"{ATOM}link"):
        href = link.get("href", "")
        if link.get("title") == "pdf" or link.get("type") == "application/pdf":
            pdf_url = href
        elif link.get("rel", "alternate") == "alternate":
            abs_url = href
            arxiv = arxiv or parse_arxiv_id(href)

    authors = [text_of(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")]
    if not any(authors):
        authors = [n for c in entry.findall(f"{DC}creator") for n in split_creators(text_of(c))]
    categories = [c.get("term", "") for c in entry.findall(f"{ATOM}category") if c.get("term")]
    primary = entry.find(f"{ARXIV}primary_category")
    doi_text = text_of(entry.find(f"{ARXIV}doi"))
    comment = text_of(entry.find(f"{ARXIV}comment")) or None
    journal_ref = text_of(entry.find(f"{ARXIV}journal_ref")) or None

    if arxiv:
        abs_url = f"https://arxiv.org/abs/{arxiv[0]}"
    published = parse_date(text_of(entry.find(f"{ATOM}published")))
    updated = parse_date(text_of(entry.find(f"{ATOM}updated")))
    replaced = bool(announce_type and announce_type.startswith("replace"))
    if replaced:
        # A daily feed's date for a replaced paper is that of the new version,
        # not of the first: it says when the paper was updated. The first
        # version's month is the id's (day unknown).
        published, updated = month_of_arxiv_id(arxiv[0] if arxiv else None), published
    return Paper(
        title=title,
        abstract=abstract,
        abstract_truncated=looks_truncated(abstract),
        authors=[a for a in authors if a],
        published=published,
        published_precision="month" if replaced and published else "day",
        updated=updated,
        arxiv_id=arxiv[0] if arxiv else None,
        arxiv_version=arxiv[1] if arxiv else None,
        categories=categories,
        primary_category=(primary.get("term") if primary is not None else None)
        or (categories[0] if categories else None),
        doi=normalize_doi(doi_text) if doi_text else None,
        comment=comment,
        journal_ref=journal_ref,
        abs_url=abs_url,
        pdf_url=pdf_url,
        code_urls=code_urls_in(f"{abstract} {comment or ''}"),
        sources=[
            Source(
                path=path,
                format=FORMAT,
                entry=where + (f" ({announce_type})" if announce_type else ""),
            )
        ],
    )
