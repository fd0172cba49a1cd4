"""The lexical half of hybrid search: a BM25 index kept beside Chroma, updated paper by
paper.

Embedded Chroma has no sparse index, so BM25 lives in a folder under REVIEWER_HOME.
It is derived data. It keeps, per paper, the counts of its (stemmed) terms, its
length, its identity keys and the two fields filters need, and it knows which of the
store's changes (``changes.ChangeLog``) it has applied: catching up with the store
costs what changed, not what is stored, and a second machine sharing a Chroma server
catches up the same way.

Layout: an immutable *base* (postings by term: for each term the rows holding it and
how often) and a *delta* of the rows added since, whose postings are gathered at load.
A paper updated or removed leaves a dead row behind. When the delta and the dead rows
outgrow a tenth of the base, the next save folds them into a new base (vectorized, a
second or two at 100k papers). Scores are BM25 (Lucene's IDF, k1 = 1.5, b = 0.75)
computed at query time from the postings of the query's terms, so IDF and the mean
length are always those of the live papers.

On disk, every save writes a new state folder and then points ``CURRENT`` at it
(``os.replace``, atomic), so a reader never sees half an index and two processes
saving at once both leave a valid one (the later wins; the other's work is redone from
the change log by the next reader).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import IO

import numpy as np

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
K1, B = 1.5, 0.75
FORMAT = 2
# Fold the delta into the base when it (plus the dead rows) exceeds this share of it.
FOLD_SHARE = 0.1
FOLD_MIN_ROWS = 2000
# Superseded state folders are removed this long after they stopped being current, so
# that a process that has just read CURRENT can still open the one it names.
KEEP_OLD_SECONDS = 120.0


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def has_content_words(text: str) -> bool:
    """Whether ``text`` holds any word (in any script) that is not an English stopword:
    a query without one can only return arbitrary papers."""
    stop = _stopwords()
    return any(w not in stop for w in re.findall(r"\w+", text.lower()))


def stem_words(words: Sequence[str]) -> list[str]:
    """The stems BM25 uses for these (lower-case) words, stopwords included."""
    return list(_stemmer().stemWords(list(words)))


def stopwords() -> frozenset[str]:
    """The (lower-case) words BM25 ignores."""
    return _stopwords()


# What each distinct word becomes (its tokens, stemmed): a word is stemmed once, not at
# every occurrence (a full build of 20k abstracts: 30.8 s -> 5.3 s).
_WORD_TOKENS: dict[str, tuple[str, ...]] = {}
_WORD_TOKENS_MAX = 500_000


def _word_tokens(word: str) -> tuple[str, ...]:
    stop = _stopwords()
    parts = re.split(r"[-']", word)
    candidates = [word.replace("'", "")] + (parts if len(parts) > 1 else [])
    tokens = tuple(_stemmer().stemWords([w for w in candidates if len(w) > 1 and w not in stop]))
    if len(_WORD_TOKENS) >= _WORD_TOKENS_MAX:
        _WORD_TOKENS.clear()
    _WORD_TOKENS[word] = tokens
    return tokens


def tokenize(text: str) -> list[str]:
    """Lower-case, split, drop stopwords, stem; hyphenated words also count as parts."""
    words: list[str] = []
    known = _WORD_TOKENS.get
    for word in _TOKEN_RE.findall(text.lower()):
        tokens = known(word)
        words += _word_tokens(word) if tokens is None else tokens
    return words


def lexical_text(title: str, abstract: str) -> str:
    # The title twice: its words say what the paper is about more reliably than
    # any single sentence of the abstract.
    return f"{title}\n{title}\n{abstract}"


@dataclass(frozen=True)
class IndexedPaper:
    """What the index keeps of one paper."""

    id: str
    text: str  # lexical_text(title, abstract)
    published: int
    has_code: bool
    keys: tuple[str, ...]


@dataclass
class _Base:
    """Postings by term of the first ``n_rows`` rows: rows[indptr[t]:indptr[t+1]] hold
    term t, tfs how often."""

    token: str
    n_rows: int
    indptr: np.ndarray  # int64, one more than the base's terms
    rows: np.ndarray  # int32
    tfs: np.ndarray  # uint16

    @classmethod
    def empty(cls) -> _Base:
        return cls(
            "",
            0,
            np.zeros(1, dtype=np.int64),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.uint16),
        )

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        if tid + 1 >= len(self.indptr):
            return self.rows[:0], self.tfs[:0]
        a, b = int(self.indptr[tid]), int(self.indptr[tid + 1])
        return self.rows[a:b], self.tfs[a:b]


@dataclass
class LexicalIndex:
    """BM25 over the store's papers; see the module docstring."""

    store_id: str = ""  # the Chroma collection's id: another store's index is not ours
    applied: set[str] = field(default_factory=set)  # change ids applied when done
    pending: set[str] = field(default_factory=set)  # applied while still being written
    ids: list[str] = field(default_factory=list)  # row -> paper id
    _keys: list[list[str]] | None = field(default_factory=list)  # row -> identity keys
    # Opened at load and read when first needed: the open file outlives a sweep of its
    # folder by a process that saved a newer state.
    _keys_file: IO[bytes] | None = None
    published: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    has_code: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    length: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    vocab: dict[str, int] = field(default_factory=dict)
    base: _Base = field(default_factory=_Base.empty)
    # Rows after the base: row -> {term id: count}, and their postings by term id.
    delta: dict[int, dict[int, int]] = field(default_factory=dict)
    _delta_postings: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    row_of: dict[str, int] = field(default_factory=dict)  # live paper id -> row
    _key_map: dict[str, set[str]] | None = None

    # -- reading ---------------------------------------------------------------------

    @property
    def keys(self) -> list[list[str]]:
        """Each row's identity keys, read from disk the first time they are needed
        (search never needs them; at 100k papers they are a third of the load time)."""
        if self._keys is None:
            assert self._keys_file is not None
            with self._keys_file as handle:
                self._keys = json.loads(handle.read().decode("utf-8"))
            self._keys_file = None
        return self._keys

    @property
    def size(self) -> int:
        """How many papers the index holds."""
        return len(self.row_of)

    def __contains__(self, paper_id: str) -> bool:
        return paper_id in self.row_of

    def paper_ids(self) -> list[str]:
        return list(self.row_of)

    def holders(self, keys: Iterable[str]) -> set[str]:
        """Ids of the papers holding any of these identity keys."""
        if self._key_map is None:
            key_map: dict[str, set[str]] = {}
            for pid, row in self.row_of.items():
                for key in self.keys[row]:
                    key_map.setdefault(key, set()).add(pid)
            self._key_map = key_map
        found: set[str] = set()
        for key in keys:
            found |= self._key_map.get(key, set())
        return found

    def term_rows(self, term: str) -> np.ndarray:
        """Live rows holding the (stemmed) term, with their term counts."""
        return self._postings(term)[0]

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        tid = self.vocab.get(term)
        if tid is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows, tfs = self.base.postings(tid)
        extra = self._delta_postings.get(tid)
        if extra:
            more = np.asarray(extra, dtype=np.int64).reshape(-1, 2)
            rows = np.concatenate([rows.astype(np.int64), more[:, 0]])
            tfs = np.concatenate([tfs.astype(np.float32), more[:, 1].astype(np.float32)])
        rows = rows.astype(np.int64, copy=False)
        keep = self.alive[rows]
        return rows[keep], tfs[keep].astype(np.float32, copy=False)

    def idf(self, df: int) -> float:
        """BM25's (Lucene) inverse document frequency of a term in ``df`` papers."""
        n = self.size
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``k`` best papers for ``query`` (positive BM25 scores only); ``mask``
        marks the rows (aligned with ``published``) a filter allows."""
        if self.size == 0 or k <= 0:
            return []
        terms = [t for t in dict.fromkeys(tokenize(query)) if t in self.vocab]
        if not terms:
            return []
        lengths = self.length.astype(np.float32)
        mean_length = float(lengths[self.alive].mean()) if self.size else 1.0
        norm = K1 * (1 - B + B * lengths / max(mean_length, 1e-9))
        scores = np.zeros(len(self.ids), dtype=np.float32)
        query_counts = Counter(tokenize(query))
        for term in terms:
            rows, tfs = self._postings(term)
            if not len(rows):
                continue
            weight = self.idf(len(rows)) * query_counts[term]
            scores[rows] += weight * tfs * (K1 + 1) / (tfs + norm[rows])
        allowed = self.alive if mask is None else self.alive & mask
        scores[~allowed] = 0
        hits = np.flatnonzero(scores > 0)
        if not len(hits):
            return []
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        # Best first; ties by id, so a ranking never depends on row order.
        order = sorted(hits.tolist(), key=lambda r: (-float(scores[r]), self.ids[r]))
        return [(self.ids[r], float(scores[r])) for r in order]

    # -- changing --------------------------------------------------------------------

    def upsert(self, papers: Iterable[IndexedPaper]) -> None:
        """Index these papers, replacing what the index held under their ids."""
        self._add(papers, postings=True)

    def _add(self, papers: Iterable[IndexedPaper], postings: bool) -> None:
        """``upsert``; without ``postings`` the delta is not searchable until folded
        (``build`` folds at once, so it skips them)."""
        papers = list({p.id: p for p in papers}.values())  # the last of an id counts
        if not papers:
            return
        self.remove(p.id for p in papers)
        start = len(self.ids)
        vocab, delta_postings = self.vocab, self._delta_postings
        for paper in papers:
            row = len(self.ids)
            self.ids.append(paper.id)
            self.keys.append(list(paper.keys))
            self.row_of[paper.id] = row
            terms: dict[int, int] = {}
            for term, count in Counter(tokenize(paper.text)).items():
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(vocab)
                terms[tid] = count if count < 65535 else 65535
            self.delta[row] = terms
            if postings:
                for tid, count in terms.items():
                    found = delta_postings.get(tid)
                    if found is None:
                        delta_postings[tid] = [(row, count)]
                    else:
                        found.append((row, count))
            if self._key_map is not None:
                for key in paper.keys:
                    self._key_map.setdefault(key, set()).add(paper.id)
        added = len(self.ids) - start
        self.published = np.concatenate(
            [self.published, np.asarray([p.published for p in papers], dtype=np.int32)]
        )
        self.has_code = np.concatenate(
            [self.has_code, np.asarray([p.has_code for p in papers], dtype=bool)]
        )
        self.length = np.concatenate(
            [
                self.length,
                np.asarray([sum(self.delta[r].values()) for r in range(start, start + added)]),
            ]
        ).astype(np.int32)
        self.alive = np.concatenate([self.alive, np.ones(added, dtype=bool)])

    def remove(self, paper_ids: Iterable[str]) -> None:
        """Forget these papers (unknown ids are skipped)."""
        for pid in paper_ids:
            row = self.row_of.pop(pid, None)
            if row is None:
                continue
            self.alive[row] = False
            if self._key_map is not None:
                for key in self.keys[row]:
                    holders = self._key_map.get(key)
                    if holders is not None:
                        holders.discard(pid)

    def _fold(self) -> None:
        """A new base holding every live row, renumbered; no delta, no dead rows."""
        base = self.base
        term_of = np.repeat(
            np.arange(len(base.indptr) - 1, dtype=np.int64), np.diff(base.indptr).astype(np.int64)
        )
        rows = [base.rows.astype(np.int64)]
        tids = [term_of]
        tfs = [base.tfs.astype(np.uint16)]
        if self.delta:
            held = self.delta.values()
            rows.append(
                np.repeat(
                    np.fromiter(self.delta.keys(), dtype=np.int64, count=len(self.delta)),
                    np.fromiter(map(len, held), dtype=np.int64, count=len(self.delta)),
                )
            )
            tids.append(np.fromiter(chain.from_iterable(held), dtype=np.int64))
            tfs.append(np.fromiter(chain.from_iterable(t.values() for t in held), dtype=np.uint16))
        all_rows, all_tids, all_tfs = (
            np.concatenate(rows),
            np.concatenate(tids),
            np.concatenate(tfs),
        )
        live = self.alive[all_rows]
        all_rows, all_tids, all_tfs = all_rows[live], all_tids[live], all_tfs[live]
        new_row = np.cumsum(self.alive) - 1  # old row -> new row, for live rows
        all_rows = new_row[all_rows]
        order = np.lexsort((all_rows, all_tids))
        counts = np.bincount(all_tids[order], minlength=len(self.vocab))
        indptr = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        keep = np.flatnonzero(self.alive)
        self.ids = [self.ids[r] for r in keep]
        self._keys = [self.keys[r] for r in keep]
        self.published = self.published[keep]
        self.has_code = self.has_code[keep]
        self.length = self.length[keep]
        self.alive = np.ones(len(keep), dtype=bool)
        self.row_of = {pid: row for row, pid in enumerate(self.ids)}
        self.base = _Base(
            uuid.uuid4().hex,
            len(self.ids),
            indptr,
            all_rows[order].astype(np.int32),
            all_tfs[order],
        )
        self.delta, self._delta_postings = {}, {}

    # -- disk ------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write a new state under ``folder`` and make it current (see module doc)."""
        dead = len(self.ids) - self.size
        if len(self.delta) + dead > max(FOLD_MIN_ROWS, FOLD_SHARE * self.base.n_rows) or (
            self.base.n_rows == 0 and self.delta
        ):
            self._fold()
        folder.mkdir(parents=True, exist_ok=True)
        base_dir = folder / f"base-{self.base.token}"
        if self.base.token and not base_dir.is_dir():
            tmp = folder / f".tmp-{uuid.uuid4().hex}"
            tmp.mkdir()
            np.save(tmp / "indptr.npy", self.base.indptr)
            np.save(tmp / "rows.npy", self.base.rows)
            np.save(tmp / "tfs.npy", self.base.tfs)
            (tmp / "meta.json").write_text(json.dumps({"rows": self.base.n_rows}))
            with contextlib.suppress(OSError):  # another process wrote the same base
                tmp.rename(base_dir)
            shutil.rmtree(tmp, ignore_errors=True)
        token = uuid.uuid4().hex
        tmp = folder / f".tmp-{token}"
        tmp.mkdir()
        delta = np.asarray(
            [(r, t, c) for r, terms in self.delta.items() for t, c in terms.items()],
            dtype=np.int64,
        ).reshape(-1, 3)
        np.savez(
            tmp / "rows.npz",
            published=self.published,
            has_code=self.has_code,
            length=self.length,
            alive=self.alive,
            delta=delta,
        )
        (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        (tmp / "keys.json").write_text(json.dumps(self.keys, ensure_ascii=False), "utf-8")
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        (tmp / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")
        (tmp / "meta.json").write_text(
            json.dumps(
                {
                    "format": FORMAT,
                    "store_id": self.store_id,
                    "base": self.base.token,
                    "applied": sorted(self.applied),
                    "pending": sorted(self.pending),
                    "papers": self.size,
                }
            ),
            encoding="utf-8",
        )
        tmp.rename(folder / f"state-{token}")
        pointer = folder / f".CURRENT-{token}"
        pointer.write_text(token, encoding="utf-8")
        os.replace(pointer, folder / "CURRENT")
        _sweep(folder, keep={f"state-{token}", f"base-{self.base.token}"})

    @classmethod
    def load(cls, folder: Path, load_keys: bool = True) -> LexicalIndex | None:
        """The current state under ``folder``; None when there is none or it cannot be
        read (the caller rebuilds it from the store)."""
        for _ in range(3):  # a state swept away while we read it: read CURRENT again
            try:
                token = (folder / "CURRENT").read_text(encoding="utf-8").strip()
            except OSError:
                return None
            try:
                return cls._load_state(folder, folder / f"state-{token}")
            except FileNotFoundError:
                continue
            except (OSError, ValueError, KeyError, IndexError):
                return None
        return None

    @classmethod
    def _load_state(cls, folder: Path, state: Path) -> LexicalIndex:
        meta = json.loads((state / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError("an index of another format")
        base = _Base.empty()
        if meta["base"]:
            base_dir = folder / f"base-{meta['base']}"
            base = _Base(
                meta["base"],
                int(json.loads((base_dir / "meta.json").read_text())["rows"]),
                np.load(base_dir / "indptr.npy", mmap_mode="r"),
                np.load(base_dir / "rows.npy", mmap_mode="r"),
                np.load(base_dir / "tfs.npy", mmap_mode="r"),
            )
        with np.load(state / "rows.npz") as arrays:
            published, has_code = arrays["published"], arrays["has_code"]
            length, alive, delta = arrays["length"], arrays["alive"], arrays["delta"]
        ids = json.loads((state / "ids.json").read_text(encoding="utf-8"))
        vocab_list = json.loads((state / "vocab.json").read_text(encoding="utf-8"))
        index = cls(
            store_id=meta["store_id"],
            applied=set(meta["applied"]),
            pending=set(meta["pending"]),
            ids=ids,
            _keys=None,
            _keys_file=open(state / "keys.json", "rb"),  # noqa: SIM115 (closed on first read)
            published=published,
            has_code=has_code,
            length=length,
            alive=alive.copy(),
            vocab={term: tid for tid, term in enumerate(vocab_list)},
            base=base,
        )
        for r, t, c in delta.tolist():
            index.delta.setdefault(r, {})[t] = c
            index._delta_postings.setdefault(t, []).append((r, c))
        index.row_of = {pid: row for row, pid in enumerate(ids) if alive[row]}
        return index


def _sweep(folder: Path, keep: set[str]) -> None:
    """Remove state and base folders that stopped being current a while ago, and
    temporary folders of saves that died."""
    now = time.time()
    for path in folder.iterdir():
        if path.name in keep or path.name == "CURRENT":
            continue
        if not path.name.startswith(("state-", "base-", ".tmp-", ".CURRENT-")):
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > KEEP_OLD_SECONDS:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()


def build(store_id: str, papers: Sequence[IndexedPaper]) -> LexicalIndex:
    """A fresh index of these papers."""
    index = LexicalIndex(store_id=store_id)
    index._add(papers, postings=False)
    index._fold()
    return index
