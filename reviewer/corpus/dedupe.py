"""Merging duplicates: one record per paper across files and sources.

Two entries are the same paper when they share an arXiv id, a DOI, or a
normalized title, unless that would join two different arXiv ids (or two
different DOIs where neither has an arXiv id): a shared title alone never
merges papers that their identifiers say are distinct. A merged record keeps
the longest complete abstract, the title of the newest version (the others go
to ``other_titles``), the earliest publication date, and every source and link.

Merging is order-stable and idempotent: merging a record with the entries it
was built from gives the same record, which is what lets a re-ingest of
unchanged input write nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from reviewer.corpus.ids import canonical_id, normalize_title
from reviewer.corpus.model import Paper


def identity_keys(paper: Paper) -> list[str]:
    """Every key under which this paper may be found again: ids and all its titles."""
    keys = []
    if paper.arxiv_id:
        keys.append(f"arxiv:{paper.arxiv_id}")
    if paper.doi:
        keys.append(f"doi:{paper.doi}")
    for title in (paper.title, *paper.other_titles):
        key = f"title:{normalize_title(title)}"
        if key != "title:" and key not in keys:
            keys.append(key)
    return keys


class _Group:
    __slots__ = ("arxiv_ids", "dois", "members")

    def __init__(self, index: int, paper: Paper) -> None:
        self.members = [index]
        self.arxiv_ids = {paper.arxiv_id} if paper.arxiv_id else set()
        self.dois = {paper.doi} if paper.doi else set()

    def compatible(self, other: _Group) -> bool:
        if len(self.arxiv_ids | other.arxiv_ids) > 1:
            return False
        # Different DOIs mean different papers, unless an arXiv id ties them
        # (a preprint DOI and a journal DOI of one paper).
        return len(self.dois | other.dois) <= 1 or bool(self.arxiv_ids | other.arxiv_ids)


def group_duplicates(papers: Sequence[Paper]) -> list[list[int]]:
    """Indices of ``papers`` grouped by paper, groups in order of first appearance."""
    parent = list(range(len(papers)))
    groups = {i: _Group(i, p) for i, p in enumerate(papers)}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> bool:
        ra, rb = find(a), find(b)
        if ra == rb or not groups[ra].compatible(groups[rb]):
            return False
        keep, drop = min(ra, rb), max(ra, rb)
        parent[drop] = keep
        g, d = groups[keep], groups.pop(drop)
        g.members.extend(d.members)
        g.arxiv_ids |= d.arxiv_ids
        g.dois |= d.dois
        return True

    holders: dict[str, list[int]] = {}
    for index, paper in enumerate(papers):
        for key in identity_keys(paper):
            holders.setdefault(key, []).append(index)
    # Strong keys first, so that titles only join what the ids allow. A join can
    # make an earlier refusal possible (or not), so every holder of a key is
    # tried and the passes repeat until nothing joins: the grouping then does
    # not depend on which entry was seen first, and re-merging is idempotent.
    changed = True
    while changed:
        changed = False
        for prefix in ("arxiv:", "doi:", "title:"):
            for key, indices in holders.items():
                if not key.startswith(prefix) or len(indices) < 2:
                    continue
                for position, index in enumerate(indices[1:], start=1):
                    for earlier in indices[:position]:
                        if union(earlier, index):
                            changed = True
                            break
    return [sorted(g.members) for _, g in sorted(groups.items())]


def merge_duplicates(papers: Sequence[Paper]) -> list[Paper]:
    """One merged Paper per distinct paper, in order of first appearance."""
    return [merge_records([papers[i] for i in group]) for group in group_duplicates(papers)]


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _union(lists: Iterable[list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for values in lists:
        for value in values:
            seen.setdefault(value, None)
    return list(seen)


def merge_records(records: Sequence[Paper]) -> Paper:
    """Combine records of one paper; earlier records win ties."""
    # The newest arXiv version names the paper (titles get revised); records
    # without a version rank below any versioned one. max() keeps the first of
    # equals, so the stored record wins ties on re-ingest.
    titled = max(records, key=lambda p: p.arxiv_version or 0)
    title = titled.title
    title_key = normalize_title(title)
    other_titles: list[str] = []
    seen_keys = {title_key}
    for paper in records:
        for candidate in (paper.title, *paper.other_titles):
            key = normalize_title(candidate)
            if key not in seen_keys:
                seen_keys.add(key)
                other_titles.append(candidate)

    complete = [p for p in records if p.abstract and not p.abstract_truncated]
    pool = complete or [p for p in records if p.abstract] or list(records)
    with_abstract = max(pool, key=lambda p: len(p.abstract))

    authors = max((p.authors for p in records), key=len)
    # The earliest first-version date; of a day and a month-only date in the same
    # month, the day (it says more). The latest date of any version is `updated`.
    firsts = [p for p in records if p.published]
    first = (
        min(firsts, key=lambda p: (_month(p), p.published_precision != "day", p.published))
        if firsts
        else None
    )
    published: date | None = first.published if first else None
    precision = first.published_precision if first else "day"
    updated_dates = [p.updated for p in records if p.updated] + [
        p.published for p in records if p.published and p.published_precision == "day"
    ]
    updated: date | None = max(updated_dates) if updated_dates else None
    versions = [p.arxiv_version for p in records if p.arxiv_version]
    arxiv_id = _first(p.arxiv_id for p in records)
    doi = _first(p.doi for p in records)
    comments = [p.comment for p in records if p.comment]

    merged = Paper(
        title=title,
        abstract=with_abstract.abstract,
        abstract_truncated=with_abstract.abstract_truncated,
        authors=authors,
        published=published,
        published_precision=precision,
        updated=updated if (updated, precision) != (published, "day") else None,
        arxiv_id=arxiv_id,
        arxiv_version=max(versions) if versions else None,
        categories=_union(p.categories for p in records),
        primary_category=_first(p.primary_category for p in records),
        doi=doi,
        comment=max(comments, key=len) if comments else None,
        journal_ref=_first(p.journal_ref for p in records),
        venue=_first(p.venue for p in records),
        # The first-version year; a year a source gave only when no date is known
        # (a record stored before listing dates were read as revisions carries
        # the year of the listed version).
        year=published.year if published else next((p.year for p in records if p.year), None),
        abs_url=_first(p.abs_url for p in records),
        pdf_url=_first(p.pdf_url for p in records),
        code_urls=_union(p.code_urls for p in records),
        other_titles=other_titles,
        bibtex_key=_first(p.bibtex_key for p in records),
        sources=list(dict.fromkeys(s for p in records for s in p.sources)),
        # The type of the entry that gave the venue, so @article stays with its journal.
        entry_type=next(
            (p.entry_type for p in records if p.venue and p.entry_type),
            _first(p.entry_type for p in records),
        ),
    )
    merged.id = canonical_id(merged.arxiv_id, merged.doi, merged.title)
    return merged


def _month(p: Paper) -> tuple[int, int]:
    assert p.published is not None
    return p.published.year, p.published.month
