"""The paper record every reader produces and the store keeps."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Source(BaseModel):
    """Where one entry of a paper was read from."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="File path or URL the entry came from.")
    format: str = Field(description="Reader that parsed it, e.g. 'arxiv-table', 'bibtex'.")
    entry: str = Field(default="", description="Position in the source: 'line 12', 'entry 3'.")


class Paper(BaseModel):
    """One paper, as merged from every source that mentions it.

    Readers fill what their format gives and leave the rest empty; merging
    (corpus.dedupe) combines several of these into one record per paper.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="", description="Canonical id: arxiv:<id>, doi:<doi> or title:<hash>.")
    title: str
    abstract: str = ""
    abstract_truncated: bool = Field(
        default=False, description="True when every known source gives a cut-off abstract."
    )
    authors: list[str] = Field(default_factory=list)
    published: date | None = Field(default=None, description="First public version.")
    published_precision: Literal["day", "month"] = Field(
        default="day",
        description="'month' when only the year and month of `published` are known "
        "(stored as the 1st of that month), e.g. taken from a new-style arXiv id.",
    )
    updated: date | None = Field(default=None, description="Latest version seen.")
    arxiv_id: str | None = Field(default=None, description="arXiv id without version.")
    arxiv_version: int | None = None
    categories: list[str] = Field(default_factory=list)
    primary_category: str | None = None
    doi: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    venue: str | None = None
    year: int | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    code_urls: list[str] = Field(default_factory=list)
    other_titles: list[str] = Field(
        default_factory=list, description="Titles other sources gave (revisions, variants)."
    )
    bibtex_key: str | None = None
    sources: list[Source] = Field(default_factory=list)
    entry_type: str | None = Field(
        default=None, description="BibTeX entry type a .bib file gave: 'article', 'inproceedings'."
    )

    @property
    def known_year(self) -> int | None:
        """The year of first publication, else the year a source gave.

        A paper is cited by its first version: a v4 listed in 2025 of a paper
        first submitted in February 2024 is a 2024 paper.
        """
        return self.published.year if self.published else self.year

    @property
    def published_label(self) -> str | None:
        """First publication for people and flat JSON: '2024-02-13', or '2024-02' (day unknown)."""
        if self.published is None:
            return None
        if self.published_precision == "month":
            return f"{self.published:%Y-%m}"
        return self.published.isoformat()

    def published_span(self) -> tuple[date, date] | None:
        """First and last day the first publication may fall on (a whole month when
        the day is unknown); date windows keep a paper whose span overlaps them."""
        if self.published is None:
            return None
        if self.published_precision == "month":
            first = self.published.replace(day=1)
            last_day = calendar.monthrange(first.year, first.month)[1]
            return first, first.replace(day=last_day)
        return self.published, self.published

    def embedding_text(self) -> str:
        """The text a dense embedder and BM25 see: title, then abstract."""
        return f"{self.title}\n\n{self.abstract}".strip()

    def content_hash(self) -> str:
        """Hash of every stored field: equal hashes mean nothing to write."""
        # Fields added later are left out at their defaults, so records stored before
        # they existed keep their hash (an upgrade does not report every paper updated).
        payload = self.model_dump(mode="json")
        if not payload.get("entry_type"):
            payload.pop("entry_type", None)
        if payload.get("published_precision") == "day":
            del payload["published_precision"]
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def text_hash(self) -> str:
        """Hash of the embedded text: equal hashes mean no new embedding."""
        return hashlib.sha256(self.embedding_text().encode("utf-8")).hexdigest()[:32]

    @model_validator(mode="after")
    def _month_on_the_first(self) -> Paper:
        if self.published_precision == "month" and self.published and self.published.day != 1:
            self.published = self.published.replace(day=1)
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


_NEW_STYLE_ID = re.compile(r"(\d{2})(\d{2})\.\d{4,5}")


def month_of_arxiv_id(arxiv_id: str | None) -> date | None:
    """The month of first submission a new-style arXiv id (YYMM.NNNNN) encodes, as
    the 1st of that month; None for old-style ids (hep-th/9901001) and non-ids."""
    match = _NEW_STYLE_ID.fullmatch(arxiv_id or "")
    if match is None:
        return None
    year, month = 2000 + int(match.group(1)), int(match.group(2))
    # New-style ids started in April 2007 (0704.0001).
    if not 1 <= month <= 12 or (year, month) < (2007, 4):
        return None
    return date(year, month, 1)


def listed_version_dates(
    listed: date | None, arxiv_id: str | None, version: int | None
) -> dict[str, Any]:
    """Paper date fields for a source that gives one date, that of the listed version.

    For v1 the listed date is the first-version date. For a later (or unknown)
    version it is when the paper was updated; first publication is then the month
    a new-style arXiv id encodes, day unknown, or unknown for other ids.
    """
    if listed is not None and version == 1:
        return {"published": listed, "published_precision": "day", "updated": None}
    month = month_of_arxiv_id(arxiv_id)
    if month is None:
        if listed is not None and version is None and arxiv_id is None:
            # Not an arXiv listing row: the date is all there is.
            return {"published": listed, "published_precision": "day", "updated": None}
        return {"published": None, "published_precision": "day", "updated": listed}
    return {"published": month, "published_precision": "month", "updated": listed}
