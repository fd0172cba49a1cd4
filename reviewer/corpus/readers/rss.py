"""RSS 2.0 feeds, as arXiv serves them at rss.arxiv.org/rss/<category>."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from reviewer.corpus.ids import parse_arxiv_id
from reviewer.corpus.model import Paper, Source, month_of_arxiv_id
from reviewer.errors import InputError

from ._text import clean_html, code_urls_in, looks_truncated, parse_date
from ._xml import DC, parse_xml, split_announcement, split_creators, text_of

FORMAT = "rss"
DESCRIPTION = "RSS 2.0 feed, e.g. arXiv's rss.arxiv.org/rss/<category>"


def sniff(text: str) -> bool:
    return "<rss" in text[:2000]


def read(text: str, path: str) -> list[Paper]:
    root = parse_xml(text, path)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise InputError(path, "expected <rss><channel>")
    return [_paper_from_item(item, path, i) for i, item in enumerate(channel.findall("item"), 1)]


def _paper_from_item(item: Element, path: str, index: int) -> Paper:
    where = f"item {index}"
    title = text_of(item.find("title"))
    if not title:
        raise InputError(path, "item has no title", where)
    link = text_of(item.find("link"))
    guid = text_of(item.find("guid"))
    arxiv = parse_arxiv_id(guid) if guid else None
    arxiv = arxiv or (parse_arxiv_id(link) if link else None)
    abstract, announce_type = split_announcement(clean_html(text_of(item.find("description"))))
    authors = [n for c in item.findall(f"{DC}creator") for n in split_creators(text_of(c))]
    categories = [text_of(c) for c in item.findall("category") if text_of(c)]
    announced = parse_date(text_of(item.find("pubDate")))
    # A replaced paper's announcement date is that of its new version (see atom.py).
    replaced = bool(announce_type and announce_type.startswith("replace"))
    return Paper(
        title=title,
        abstract=abstract,
        abstract_truncated=looks_truncated(abstract),
        authors=authors,
        # The first version's month is the id's, its day unknown.
        published=month_of_arxiv_id(arxiv[0] if arxiv else None) if replaced else announced,
        published_precision="month" if replaced else "day",
        updated=announced if replaced else None,
        arxiv_id=arxiv[0] if arxiv else None,
        arxiv_version=arxiv[1] if arxiv else None,
        categories=categories,
        primary_category=categories[0] if categories else None,
        abs_url=f"https://arxiv.org/abs/{arxiv[0]}" if arxiv else (link or None),
        code_urls=code_urls_in(abstract),
        sources=[
            Source(
                path=path,
                format=FORMAT,
                entry=where + (f" ({announce_type})" if announce_type else ""),
            )
        ],
    )
