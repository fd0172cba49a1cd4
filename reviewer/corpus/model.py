"""The paper record every reader produces and the store keeps."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
        """The year the source gave, else the year of first publication."""
        return self.year or (self.published.year if self.published else None)

    def embedding_text(self) -> str:
        """The text a dense embedder and BM25 see: title, then abstract."""
        return f"{self.title}\n\n{self.abstract}".strip()

    def content_hash(self) -> str:
        """Hash of every stored field: equal hashes mean nothing to write."""
        # A paper without an entry type hashes as before the field existed: no store
        # reports every paper as updated after an upgrade.
        payload = self.model_dump(
            mode="json", exclude={"entry_type"} if not self.entry_type else None
        )
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def text_hash(self) -> str:
        """Hash of the embedded text: equal hashes mean no new embedding."""
        return hashlib.sha256(self.embedding_text().encode("utf-8")).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
