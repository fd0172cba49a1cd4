"""The paper store: one Chroma collection holds each paper's vector, text and full record.

Chroma is the single source of truth, so a store on a Chroma server is
complete by itself; the BM25 index under REVIEWER_HOME is derived from it (see
``lexical``). Each record's metadata carries the full Paper as JSON plus the
fields that filters and lookups need: ``keys`` (every identity key: arXiv id,
DOI, normalized titles), ``published`` (first publication as YYYYMMDD;
YYYYMM00 when only its month is known), ``has_code``, and hashes of
the embedded text and of the whole record, so that an unchanged paper is
neither re-embedded nor rewritten.

The collection's metadata holds the embedder's name (vectors from another
embedder are never mixed in). Every write is announced in the store's change log
(``changes``) before it starts and marked done after it ends; the BM25 index applies
the changes it has not seen, so it catches up with what changed, whatever process or
machine changed it. Identity keys live in each record's own metadata; the BM25 index
keeps a key -> paper map of them, which is how an ingest finds the stored papers its
entries may duplicate without scanning the collection.

Two machines writing one Chroma server hold no common lock, so both may store the
same paper under different ids (one knew its arXiv id, the other only its title).
After its writes, an ingest catches up with the log and merges any paper its entries
share a key with: the merge is deterministic (records ordered by id), so two machines
doing it at once write the same record.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from reviewer.corpus.dedupe import group_duplicates, identity_keys, merge_records
from reviewer.corpus.ids import normalize_doi, normalize_title, parse_arxiv_id
from reviewer.corpus.model import Paper
from reviewer.errors import NotFoundError, ReviewerError, StoreError
from reviewer.index.changes import ChangeLog
from reviewer.index.embedder import Embedder
from reviewer.index.lexical import IndexedPaper, LexicalIndex, build, lexical_text
from reviewer.locks import exclusive_lock
from reviewer.settings import Settings

WRITE_BATCH = 256
# Ids per delete call (Chroma's own limit may be lower): one call is all or nothing.
DELETE_BATCH = 5000
PAGE = 2000


@dataclass
class StoredPaper:
    paper: Paper
    metadata: dict[str, Any]
    embedding: np.ndarray | None = None

    @property
    def added_at(self) -> str:
        return str(self.metadata.get("added_at", ""))


@dataclass
class IngestResult:
    entries: int = 0
    papers: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    absorbed: int = 0
    embedded: int = 0
    new_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "papers_in_input": self.papers,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged_away": self.absorbed,
            "embedded": self.embedded,
            "new_ids": self.new_ids,
            "updated_ids": self.updated_ids,
        }


def date_int(d: date | None) -> int:
    """A date as YYYYMMDD, the form Chroma filters compare; 0 when unknown."""
    return d.year * 10000 + d.month * 100 + d.day if d else 0


def published_int(paper: Paper) -> int:
    """First publication as YYYYMMDD, YYYYMM00 when the day is unknown, 0 when unknown."""
    if paper.published and paper.published_precision == "month":
        return date_int(paper.published) - 1  # the 1st of the month, day 00
    return date_int(paper.published)


def record_metadata(paper: Paper, added_at: str, embedder: str) -> dict[str, Any]:
    return {
        "record": json.dumps(paper.to_json(), ensure_ascii=False, sort_keys=True),
        "keys": identity_keys(paper),
        "title": paper.title,
        "arxiv_id": paper.arxiv_id or "",
        "published": published_int(paper),
        "has_code": bool(paper.code_urls),
        "text_hash": paper.text_hash(),
        "content_hash": paper.content_hash(),
        "added_at": added_at,
        "embedder": embedder,
    }


def ref_keys(ref: str) -> list[str]:
    """The identity keys a user's reference to a paper may mean, most specific first:
    its arXiv id (bare, versioned, ``arxiv:`` or URL), its DOI, its normalized title."""
    keys = []
    arxiv = parse_arxiv_id(ref.removeprefix("arxiv:"))
    if arxiv:
        keys.append(f"arxiv:{arxiv[0]}")
    doi = normalize_doi(ref.removeprefix("doi:"))
    if doi:
        keys.append(f"doi:{doi}")
    title = normalize_title(ref)
    if title:
        keys.append(f"title:{title}")
    return keys


def _unpack(result: Any) -> list[StoredPaper]:
    """StoredPapers from a Chroma get() result (with vectors when it includes them)."""
    vectors = result.get("embeddings")
    return [
        StoredPaper(
            paper=Paper.model_validate_json(metadata["record"]),
            metadata=metadata,
            embedding=None if vectors is None else np.asarray(vectors[row], dtype=np.float32),
        )
        for row, metadata in enumerate(result["metadatas"])
    ]


class Store:
    """Open with ``Store.open(settings)``; the embedder is created only when needed."""

    def __init__(self, settings: Settings, client: Any, collection: Any, location: str):
        self.settings = settings
        self.client = client
        self.collection = collection
        self.location = location
        self.changes = ChangeLog(client, settings.collection)
        self._embedder: Embedder | None = None
        self._lexical: LexicalIndex | None = None

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings) -> Store:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise StoreError(
                    f"REVIEWER_CHROMA_URL={settings.chroma_url!r} is not an http(s)://host:port URL"
                )
            try:
                client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 80),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                client.heartbeat()
            except Exception as exc:  # chromadb wraps httpx errors in several types
                raise StoreError(
                    f"cannot reach the Chroma server at {settings.chroma_url} "
                    f"({type(exc).__name__})",
                    hint="Start it with `chroma run --path DIR --port N`, "
                    "or unset REVIEWER_CHROMA_URL.",
                ) from None
            location = settings.chroma_url
        else:
            settings.chroma_path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(
                path=str(settings.chroma_path), settings=chroma_settings
            )
            location = str(settings.chroma_path)
        collection = client.get_or_create_collection(
            settings.collection,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )
        return cls(settings, client, collection, location)

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.collection.metadata or {})

    @property
    def revision(self) -> str:
        """Where the store's history stands, read fresh from the server: the number of
        changes logged, and how many of them are still being written."""
        pending = len(self.changes.pending())
        return f"{self.changes.count()}" + (f"+{pending}" if pending else "")

    def new_upto(self, now: datetime) -> str:
        """Where the next ``digest --new`` window must start, for a digest built at
        ``now``: ``now``, or the start of a write still under way (its papers carry
        that start as ``added_at`` but are not visible yet), so that they are in the
        next digest. Papers the recipients already had are left out then."""
        upto = now.isoformat(timespec="seconds")
        pending = self.changes.pending_since(now)
        return min(upto, pending) if pending else upto

    @property
    def embedder_name(self) -> str | None:
        name = self.meta.get("embedder")
        return str(name) if name else None

    def embedder(self) -> Embedder:
        if self._embedder is None:
            from reviewer.index.embedder import make_embedder

            embedder = make_embedder(self.settings.embedder)
            stored = self.embedder_name
            if stored and stored != embedder.name and self.count():
                raise StoreError(
                    f"the store holds vectors from the embedder {stored!r}, "
                    f"but REVIEWER_EMBEDDER selects {embedder.name!r}",
                    hint="Set REVIEWER_EMBEDDER back, or use a new REVIEWER_HOME "
                    "(or REVIEWER_COLLECTION) for the other embedder.",
                )
            self._embedder = embedder
        return self._embedder

    def _set_meta(self, **updates: Any) -> None:
        meta = self.meta
        meta.update(updates)
        self.collection.modify(metadata=meta)

    # -- reading ---------------------------------------------------------------

    def count(self) -> int:
        return int(self.collection.count())

    def get(self, paper_id: str) -> StoredPaper | None:
        found = self.get_many([paper_id])
        return found[0] if found else None

    def get_many(self, ids: Sequence[str]) -> list[StoredPaper]:
        """Papers by id, in the order given; unknown ids are skipped."""
        if not ids:
            return []
        found = _unpack(self.collection.get(ids=list(ids), include=["metadatas"]))
        by_id = {s.paper.id: s for s in found}
        return [by_id[i] for i in ids if i in by_id]

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of these papers, one row each in the order given (papers
        not in the store are skipped)."""
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        result = self.collection.get(ids=list(ids), include=["embeddings"])
        by_id = dict(zip(result["ids"], result["embeddings"], strict=True))
        rows = [np.asarray(by_id[i], dtype=np.float32) for i in ids if i in by_id]
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    def resolve(self, ref: str) -> StoredPaper | None:
        """A paper by canonical id, bare arXiv id, DOI or exact title (see ``resolve_many``)."""
        matches = self.resolve_many([ref])[ref]
        return matches[0] if matches else None

    def resolve_many(self, refs: Sequence[str]) -> dict[str, list[StoredPaper]]:
        """The papers each distinct ref names, in one pass for all of them.

        A ref names the paper with that canonical id; failing that, the papers holding
        its most specific identity key (``ref_keys``: arXiv id, then DOI, then
        normalized title). Several papers only when distinct papers share that DOI or
        title (see ``dedupe``); then sorted by id. An unknown ref maps to ``[]``.
        """
        unique = list(dict.fromkeys(refs))
        by_id = {s.paper.id: s for s in self.get_many(unique)}
        keys = {ref: ref_keys(ref) for ref in unique if ref not in by_id}
        holders: dict[str, list[StoredPaper]] = {}
        if keys:
            found = self._lookup_keys([k for ks in keys.values() for k in ks])
            for pid in sorted(found):
                for key in found[pid].metadata.get("keys") or ():
                    holders.setdefault(key, []).append(found[pid])
        out: dict[str, list[StoredPaper]] = {}
        for ref in unique:
            if ref in by_id:
                out[ref] = [by_id[ref]]
            else:
                out[ref] = next((holders[k] for k in keys[ref] if k in holders), [])
        return out

    def _pages(self, include: list[str]) -> Iterator[Any]:
        """The whole collection as Chroma get() results of up to PAGE records."""
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def titles(self) -> list[str]:
        """Every paper's title (read from the metadata, no record parsed): the corpus
        that theme names are weighed against."""
        return [
            str(m.get("title") or "")
            for page in self._pages(["metadatas"])
            for m in page["metadatas"]
        ]

    def iter_all(self, include_embeddings: bool = False) -> Iterator[StoredPaper]:
        include = ["metadatas", "embeddings"] if include_embeddings else ["metadatas"]
        for page in self._pages(include):
            yield from _unpack(page)

    def _lookup_keys(self, keys: Sequence[str], embeddings: bool = False) -> dict[str, StoredPaper]:
        """Stored papers having any of these identity keys, by id (found through the
        BM25 index's key map, caught up with the store first)."""
        if not keys or not self.count():
            return {}
        ids = sorted(self.lexical().holders(keys))
        include = ["metadatas", "embeddings"] if embeddings else ["metadatas"]
        found: dict[str, StoredPaper] = {}
        for start in range(0, len(ids), PAGE):
            result = self.collection.get(ids=ids[start : start + PAGE], include=include)
            found.update((s.paper.id, s) for s in _unpack(result))
        wanted = set(keys)
        # A record whose keys changed since the index saw it is not a holder any more.
        return {
            pid: s
            for pid, s in found.items()
            if not wanted.isdisjoint(s.metadata.get("keys") or ())
        }

    # -- writing ---------------------------------------------------------------

    def write_lock(self) -> contextlib.AbstractContextManager[None]:
        """One writer at a time per REVIEWER_HOME."""
        return exclusive_lock(
            self.settings.home / ".write.lock",
            StoreError(
                "another reviewer command is writing to this store",
                hint="Wait for it to finish (or stop it) and run this again.",
            ),
        )

    def ingest(
        self,
        entries: Sequence[Paper],
        on_plan: Callable[[int], None] | None = None,
        on_embedded: Callable[[int], None] | None = None,
    ) -> IngestResult:
        """Merge ``entries`` with each other and with the store, then write what changed.

        Writes go in batches (each upsert is idempotent by canonical id), so an
        ingest stopped half-way is completed by running it again, without
        duplicates. ``on_plan(n)`` is told how many papers will be embedded,
        ``on_embedded(k)`` how many more just were.
        """
        result = IngestResult(entries=len(entries))
        if not entries:
            return result
        with self.write_lock():
            embedder = self.embedder()
            existing: dict[str, StoredPaper] = {}
            if self.count():
                keys = [k for p in entries for k in identity_keys(p)]
                existing = self._lookup_keys(keys, embeddings=True)
            stored_list = list(existing.values())
            pool: list[Paper] = [s.paper for s in stored_list] + list(entries)
            n_stored = len(stored_list)

            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            writes: list[tuple[Paper, str, np.ndarray | None]] = []
            deletes: list[str] = []
            for group in group_duplicates(pool):
                old = [stored_list[i] for i in group if i < n_stored]
                if len(old) == len(group):
                    continue  # stored papers no entry touched
                result.papers += 1
                merged = merge_records([pool[i] for i in group])
                if (
                    len(old) == 1
                    and old[0].paper.id == merged.id
                    and old[0].metadata.get("content_hash") == merged.content_hash()
                    and old[0].metadata.get("embedder") == embedder.name
                ):
                    result.unchanged += 1
                    continue
                text_hash = merged.text_hash()
                vector = next(
                    (
                        s.embedding
                        for s in old
                        if s.metadata.get("text_hash") == text_hash
                        and s.metadata.get("embedder") == embedder.name
                        and s.embedding is not None
                    ),
                    None,
                )
                added_at = min((s.added_at for s in old if s.added_at), default=now)
                writes.append((merged, added_at, vector))
                deletes.extend(s.paper.id for s in old if s.paper.id != merged.id)
                if old:
                    result.updated += 1
                    result.updated_ids.append(merged.id)
                else:
                    result.new += 1
                    result.new_ids.append(merged.id)
            result.absorbed = len(set(deletes))
            to_embed = sum(1 for _, _, v in writes if v is None)
            if on_plan:
                on_plan(to_embed)
            if not writes and not deletes:
                return result

            if self.embedder_name != embedder.name:
                self._set_meta(embedder=embedder.name)
            # One change spans the whole ingest: its papers carry its start as their
            # `added_at`, and a digest that runs meanwhile must know they are coming.
            session = self.changes.begin([], started_at=now)
            for start in range(0, len(writes), WRITE_BATCH):
                batch = writes[start : start + WRITE_BATCH]
                missing = [i for i, (_, _, v) in enumerate(batch) if v is None]
                fresh = embedder.embed_documents(
                    [batch[i][0].embedding_text() for i in missing], progress=on_embedded
                )
                result.embedded += len(missing)
                vectors: list[np.ndarray] = [v for _, _, v in batch]  # type: ignore[misc]
                for row, i in enumerate(missing):
                    vectors[i] = fresh[row]
                self._upsert([(p, a, v) for (p, a, _), v in zip(batch, vectors, strict=True)])
            if deletes:
                self._delete(sorted(set(deletes)))
            result.absorbed += self._merge_duplicates([p for p, _, _ in writes])
            self.changes.done(session)
            self.lexical()
        return result

    def _upsert(self, records: Sequence[tuple[Paper, str, np.ndarray]]) -> None:
        """Write these records (paper, added_at, vector), announced in the change log."""
        change = self.changes.begin([p.id for p, _, _ in records])
        # No `documents=`: nothing reads them back (the record in the metadata has
        # the text), and Chroma's full-text index of them doubled upsert time and disk
        # use (10k papers: 21 s/219 MB with, 11 s/109 MB without; evals/bench_store.py).
        self.collection.upsert(
            ids=[p.id for p, _, _ in records],
            embeddings=np.stack([v for _, _, v in records]),
            metadatas=[record_metadata(p, a, self.embedder().name) for p, a, _ in records],
        )
        self.changes.done(change)

    def _delete(self, ids: Sequence[str]) -> None:
        batch = min(DELETE_BATCH, int(self.client.get_max_batch_size()))
        for start in range(0, len(ids), batch):
            chunk = list(ids[start : start + batch])
            change = self.changes.begin(chunk)
            self.collection.delete(ids=chunk)
            self.changes.done(change)

    def _merge_duplicates(self, written: Sequence[Paper]) -> int:
        """Merge the records that now hold a key of a paper just written (another
        machine may have stored the same paper meanwhile, under another id); returns
        how many records were merged away. Deterministic: the records are merged in
        order of id, so two machines doing it at once write the same record."""
        index = self.lexical()
        suspects: set[str] = set()
        for paper in written:
            holders = index.holders(identity_keys(paper))
            if len(holders) > 1:
                suspects |= holders
        if not suspects:
            return 0
        stored = sorted(
            _unpack(self.collection.get(ids=sorted(suspects), include=["metadatas", "embeddings"])),
            key=lambda s: s.paper.id,
        )
        embedder = self.embedder()
        merged_away = 0
        for group in group_duplicates([s.paper for s in stored]):
            if len(group) < 2:
                continue
            old = [stored[i] for i in group]
            merged = merge_records([s.paper for s in old])
            vector = next(
                (
                    s.embedding
                    for s in old
                    if s.metadata.get("text_hash") == merged.text_hash()
                    and s.metadata.get("embedder") == embedder.name
                    and s.embedding is not None
                ),
                None,
            )
            if vector is None:
                vector = embedder.embed_documents([merged.embedding_text()])[0]
            added_at = min((s.added_at for s in old if s.added_at), default="")
            self._upsert([(merged, added_at, vector)])
            gone = sorted({s.paper.id for s in old} - {merged.id})
            self._delete(gone)
            merged_away += len(gone)
        return merged_away

    def remove(
        self,
        refs: Sequence[str],
        *,
        missing_ok: bool = False,
        before_delete: Callable[[list[Paper]], None] | None = None,
    ) -> list[Paper]:
        """Remove the papers ``refs`` name (as ``resolve`` reads them: canonical id, bare
        arXiv id, DOI or exact title); returns them, one per paper, in the order named.

        All or nothing: if a ref names no paper, ``NotFoundError`` lists every such
        ref, and if one names several (a title or DOI that distinct papers share) a
        ``ReviewerError`` lists their ids; either way nothing changes. With
        ``missing_ok`` unknown refs are skipped instead, which is how a removal that
        was stopped half-way (or one run twice) is finished: the refs already gone
        are skipped and the rest removed. A paper merged from several sources is one
        record, and goes whole; ingesting any of its sources again brings it back.

        ``before_delete(papers)`` runs under the write lock once every ref is
        resolved and before anything is deleted (the place to drop data kept
        elsewhere about these papers, so that a stop after it is finished by running
        the same removal again).

        The revision changes before the first delete, so a stop at any point leaves
        a BM25 index that no longer matches the store and is rebuilt by its next
        reader; it never serves a removed paper.
        """
        unique = list(dict.fromkeys(refs))
        if not unique:
            return []
        with self.write_lock():
            matches = self.resolve_many(unique)
            unknown = [ref for ref in unique if not matches[ref]]
            if unknown and not missing_ok:
                names = ", ".join(repr(ref) for ref in unknown)
                raise NotFoundError(
                    f"no paper {names} in the store"
                    if len(unknown) == 1
                    else f"no papers {names} in the store",
                    hint="Nothing was removed. `reviewer list` or `reviewer search` shows the ids.",
                )
            ambiguous = {ref: m for ref, m in matches.items() if len(m) > 1}
            if ambiguous:
                raise ReviewerError(
                    "; ".join(
                        f"{ref!r} names {len(m)} papers ({', '.join(s.paper.id for s in m)})"
                        for ref, m in ambiguous.items()
                    ),
                    hint="Nothing was removed. Name each paper by its id.",
                )
            papers = list({m[0].paper.id: m[0].paper for m in matches.values() if m}.values())
            if not papers:
                return []
            if before_delete:
                before_delete(papers)
            self._delete([p.id for p in papers])
            self.lexical()
        return papers

    # -- lexical index ---------------------------------------------------------

    def lexical(self) -> LexicalIndex:
        """The BM25 index, caught up with every change logged in the store.

        Loaded from disk the first time in a process (or built by one pass over the
        store when there is none, or it is another store's); then each call asks the
        change log what is new (one request when nothing is) and applies only that."""
        index = self._lexical
        folder: Path = self.settings.bm25_path / self.settings.collection
        store_id = str(self.collection.id)
        if index is None or index.store_id != store_id:
            index = LexicalIndex.load(folder)
            if index is None or index.store_id != store_id:
                index = self._build_lexical(store_id)
                self._save_lexical(index, folder)
                self._lexical = index
                return index
        if self._catch_up(index):
            self._save_lexical(index, folder)
        self._lexical = index
        return index

    def _build_lexical(self, store_id: str) -> LexicalIndex:
        # The log first: a change done before the pass is in it; one still pending
        # is applied again by a later catch-up.
        changes = self.changes.get(self.changes.change_ids())
        papers = [_indexed(s) for s in self.iter_all()]
        index = build(store_id, papers)
        index.applied = {c.id for c in changes if c.done}
        index.pending = {c.id for c in changes if not c.done}
        return index

    def _catch_up(self, index: LexicalIndex) -> bool:
        """Apply the changes the index has not seen, and again those it saw pending;
        True when anything was applied."""
        known = len(index.applied) + len(index.pending)
        if self.changes.count() == known and not index.pending:
            return False
        new = set(index.pending)
        if self.changes.count() != known:
            new |= set(self.changes.change_ids()) - index.applied - index.pending
        changes = self.changes.get(sorted(new))
        touched = sorted({pid for c in changes for pid in c.ids})
        present: dict[str, StoredPaper] = {}
        for start in range(0, len(touched), PAGE):
            result = self.collection.get(ids=touched[start : start + PAGE], include=["metadatas"])
            present.update((s.paper.id, s) for s in _unpack(result))
        index.remove(pid for pid in touched if pid not in present)
        index.upsert(_indexed(present[pid]) for pid in touched if pid in present)
        for change in changes:
            index.pending.discard(change.id)
            (index.applied if change.done else index.pending).add(change.id)
        return True

    def _save_lexical(self, index: LexicalIndex, folder: Path) -> None:
        """Save if the disk allows; an index that cannot be saved is rebuilt or caught
        up again by the next process, and this one goes on with it in memory."""
        with contextlib.suppress(OSError):
            index.save(folder)


def _indexed(stored: StoredPaper) -> IndexedPaper:
    paper = stored.paper
    return IndexedPaper(
        id=paper.id,
        text=lexical_text(paper.title, paper.abstract),
        published=int(stored.metadata.get("published", 0)),
        has_code=bool(stored.metadata.get("has_code", False)),
        keys=tuple(stored.metadata.get("keys") or ()),
    )
