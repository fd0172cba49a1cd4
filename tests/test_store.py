"""The store in-process: idempotent ingest, resumable writes, re-keying, a self-healing BM25."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from conftest import SEEDS

from reviewer.corpus.readers import read_file
from reviewer.errors import StoreError
from reviewer.index import store as store_module
from reviewer.index.embedder import MiniLMEmbedder
from reviewer.index.search import search
from reviewer.index.store import Store
from reviewer.settings import load_settings


class CountingEmbedder:
    """The real MiniLM embedder, counting what it embeds and able to fail on cue."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.inner = MiniLMEmbedder()
        self.name = self.inner.name
        self.documents = 0
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        self.calls += 1
        if self.fail_on_call is not None and self.calls == self.fail_on_call:
            raise KeyboardInterrupt  # what Ctrl-C (or a kill) does half-way through
        self.documents += len(texts)
        return self.inner.embed_documents(texts, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def open_store(embedder: CountingEmbedder | None = None) -> Store:
    store = Store.open(load_settings())
    if embedder is not None:
        store._embedder = embedder
    return store


def listing_entries() -> list:
    return read_file(SEEDS[0])[1]  # 200 entries of one arXiv listing, 195 distinct papers


DISTINCT = 195


def test_reingest_writes_nothing_and_embeds_nothing() -> None:
    embedder = CountingEmbedder()
    store = open_store(embedder)
    first = store.ingest(listing_entries())
    assert (first.entries, first.new, first.embedded, embedder.documents) == (200, 195, 195, 195)
    revision = store.revision
    second = open_store(embedder).ingest(listing_entries())
    assert (second.new, second.updated, second.unchanged, second.embedded) == (0, 0, DISTINCT, 0)
    assert embedder.documents == DISTINCT
    assert open_store().revision == revision  # not even the revision moved


def test_interrupted_ingest_is_completed_by_the_next_without_duplicates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_module, "WRITE_BATCH", 50)
    entries = listing_entries()
    with pytest.raises(KeyboardInterrupt):
        open_store(CountingEmbedder(fail_on_call=3)).ingest(entries)
    partial = open_store()
    assert partial.count() == 100  # two batches of 50 landed before the interruption

    embedder = CountingEmbedder()
    resumed = open_store(embedder)
    result = resumed.ingest(entries)
    assert (result.new, result.unchanged, result.embedded) == (DISTINCT - 100, 100, DISTINCT - 100)
    assert resumed.count() == DISTINCT
    ids = [s.paper.id for s in resumed.iter_all()]
    assert len(ids) == len(set(ids)) == DISTINCT
    # The BM25 index saw the revision change and covers the papers of both runs.
    last = entries[-1]
    hits = search(resumed, last.title, k=3, mode="lexical")
    assert hits[0].paper.id == last.id


def test_bm25_index_rebuilds_when_missing_or_stale() -> None:
    store = open_store()
    store.ingest(listing_entries()[:20])
    bm25 = store.settings.bm25_path
    shutil.rmtree(bm25)
    target = listing_entries()[5]
    fresh = open_store()
    assert search(fresh, target.title, k=1, mode="lexical")[0].paper.id == target.id
    state = bm25 / "papers" / f"state-{(bm25 / 'papers' / 'CURRENT').read_text()}"
    meta = json.loads((state / "meta.json").read_text())
    # Rebuilt by one pass over the store, having seen every logged change.
    assert meta["papers"] == 20 and not meta["pending"]
    assert str(len(meta["applied"])) == fresh.revision


def test_title_only_paper_is_rekeyed_when_its_arxiv_id_arrives(tmp_path) -> None:
    title = "MedGemma Technical Report"
    store = open_store()
    seed_entries = [p for f in SEEDS for p in read_file(f)[1]]
    medgemma = [p for p in seed_entries if p.title == title]
    assert medgemma and medgemma[0].id.startswith("title:")
    store.ingest(medgemma)
    assert store.get(medgemma[0].id) is not None

    record = {"title": title, "arxiv_id": "2507.05201v3", "authors": ["A. Author"]}
    path = tmp_path / "medgemma.json"
    path.write_text(json.dumps(record))
    result = open_store().ingest(read_file(path)[1])
    assert (result.updated, result.absorbed, result.embedded) == (1, 1, 0)
    after = open_store()
    assert after.count() == 1
    assert after.get(medgemma[0].id) is None
    merged = after.get("arxiv:2507.05201")
    assert merged is not None
    assert merged.paper.abstract == medgemma[0].abstract
    assert merged.paper.arxiv_version == 3
    assert {s.format for s in merged.paper.sources} == {"hf-page", "json"}


def test_a_store_refuses_another_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    open_store().ingest(listing_entries()[:3])
    monkeypatch.setenv("REVIEWER_EMBEDDER", "litellm:text-embedding-3-small")
    with pytest.raises(StoreError, match="minilm-l6-v2-int8"):
        open_store().embedder()


def test_resolve_finds_papers_by_arxiv_id_doi_and_title() -> None:
    store = open_store()
    store.ingest(listing_entries()[:5])
    first = listing_entries()[0]
    assert store.resolve(first.id).paper.id == first.id
    assert store.resolve(first.arxiv_id).paper.id == first.id
    assert store.resolve(f"{first.arxiv_id}v1").paper.id == first.id
    assert store.resolve(first.title.upper()).paper.id == first.id
    assert store.resolve("no such paper") is None


def test_key_lookup_through_the_index_finds_what_chroma_finds() -> None:
    """Ingest finds stored duplicates through the BM25 index's key map, not by scanning:
    it must find exactly what Chroma's own metadata query finds, fresh or from disk."""
    entries = listing_entries()
    store = open_store()
    store.ingest(entries[:60])
    keys = [k for p in entries[30:90] for k in store_module.identity_keys(p)]

    def by_chroma() -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 50):
            clauses = [{"keys": {"$contains": k}} for k in keys[start : start + 50]]
            found |= set(store.collection.get(where={"$or": clauses}, include=[])["ids"])
        return found

    expected = by_chroma()
    assert len(expected) == 30
    assert set(store._lookup_keys(keys)) == expected
    assert set(open_store()._lookup_keys(keys)) == expected  # the map read from disk
    removed = sorted(expected)[:5]
    store.remove(removed)
    assert set(open_store()._lookup_keys(keys)) == by_chroma() == expected - set(removed)
    stored = store.count()
    again = open_store().ingest(entries)  # the whole listing
    assert again.unchanged + again.updated == stored  # nothing stored was missed...
    assert again.embedded == again.new == DISTINCT - stored  # ...or embedded again
    assert store.count() == DISTINCT


def test_chroma_telemetry_is_off() -> None:
    store = open_store()
    assert store.client.get_settings().anonymized_telemetry is False


def test_cli_format_names_match_the_readers() -> None:
    from reviewer.cli.corpus import FORMAT_NAMES
    from reviewer.corpus.readers import FORMATS

    assert set(FORMAT_NAMES) == set(FORMATS)
