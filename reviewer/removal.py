"""Removing papers: the store's records and vectors, its BM25 index, and their summaries.

``remove_papers`` is what ``reviewer remove ID...`` does; its ``RemovalReport`` is
what ``--json`` prints. The order makes a stopped removal finishable by running
it again: every ref is resolved first (all or nothing), then the papers'
summaries go, then their records (``Store.remove``). A re-run after a stop finds
the papers still in the store, or, when the stop came after their records went,
finds them gone: strict (the default) then says they are not in the store;
``missing_ok`` reports them under ``not_found`` and finishes the rest.

The LLM layer's response cache is left alone: it is keyed by prompt content,
not by paper, and a removed paper's entries are never read unless the same
prompt is sent again.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from reviewer.corpus.dedupe import identity_keys
from reviewer.corpus.model import Paper
from reviewer.index.store import Store, ref_keys
from reviewer.settings import Settings


class RemovedPaper(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Canonical id the paper had.")
    title: str


class RemovalReport(BaseModel):
    """What a removal did (``reviewer remove --json``)."""

    model_config = ConfigDict(extra="forbid")

    removed: list[RemovedPaper] = Field(description="One per paper, in the order named.")
    not_found: list[str] = Field(
        default_factory=list,
        description="Refs that named no paper; only ever non-empty with missing_ok "
        "(e.g. papers an earlier, stopped run already removed).",
    )
    summaries_deleted: int = Field(ge=0, description="Stored summaries dropped with them.")
    remaining: int = Field(ge=0, description="Papers left in the store.")


def names(ref: str, paper: Paper) -> bool:
    """True when ``ref`` would resolve to ``paper`` (its id or one of its identity keys)."""
    return ref == paper.id or not set(ref_keys(ref)).isdisjoint(identity_keys(paper))


def delete_summaries(settings: Settings, paper_ids: Sequence[str]) -> int:
    """Drop these papers' stored summaries; 0 without creating the LLM database when
    there is none."""
    if not paper_ids or not settings.llm_db_path.exists():
        return 0
    from reviewer.llm.db import LLMDatabase

    db = LLMDatabase(settings.llm_db_path)
    try:
        return db.delete_summaries(paper_ids)
    finally:
        db.close()


def remove_papers(store: Store, refs: Sequence[str], *, missing_ok: bool = False) -> RemovalReport:
    """Remove the papers ``refs`` name from ``store``, with their stored summaries.

    Raises ``NotFoundError`` (naming every unknown ref) unless ``missing_ok``, and
    ``ReviewerError`` for a ref that names several papers; then nothing changes.
    """
    deleted = 0

    def drop_summaries(papers: list[Paper]) -> None:
        nonlocal deleted
        deleted = delete_summaries(store.settings, [p.id for p in papers])

    removed = store.remove(refs, missing_ok=missing_ok, before_delete=drop_summaries)
    return RemovalReport(
        removed=[RemovedPaper(id=p.id, title=p.title) for p in removed],
        not_found=[ref for ref in dict.fromkeys(refs) if not any(names(ref, p) for p in removed)],
        summaries_deleted=deleted,
        remaining=store.count(),
    )
