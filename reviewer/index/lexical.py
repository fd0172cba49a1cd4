"""The lexical half of hybrid search: a BM25 index (bm25s) kept beside Chroma.

Embedded Chroma has no sparse index, so BM25 lives in a folder under
REVIEWER_HOME. It is derived data: it records the store revision it was built
from and is rebuilt from the store's records whenever the two differ, so a
crash between writing Chroma and writing BM25 heals itself on the next use.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


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


def tokenize(text: str) -> list[str]:
    """Lower-case, split, drop stopwords, stem; hyphenated words also count as parts."""
    words: list[str] = []
    stop = _stopwords()
    for match in _TOKEN_RE.finditer(text.lower()):
        word = match.group(0)
        parts = re.split(r"[-']", word)
        candidates = [word.replace("'", "")] + (parts if len(parts) > 1 else [])
        words.extend(w for w in candidates if len(w) > 1 and w not in stop)
    return list(_stemmer().stemWords(words))


def lexical_text(title: str, abstract: str) -> str:
    # The title twice: its words say what the paper is about more reliably than
    # any single sentence of the abstract.
    return f"{title}\n{title}\n{abstract}"


@dataclass
class LexicalIndex:
    revision: str
    ids: list[str]
    published: np.ndarray  # int32 YYYYMMDD, 0 when unknown
    has_code: np.ndarray  # bool
    retriever: object | None  # bm25s.BM25, None for an empty store

    @classmethod
    def build(
        cls,
        revision: str,
        ids: Sequence[str],
        texts: Sequence[str],
        published: Sequence[int],
        has_code: Sequence[bool],
    ) -> LexicalIndex:
        retriever = None
        if ids:
            import bm25s

            retriever = bm25s.BM25()
            retriever.index([tokenize(t) or ["\x00empty"] for t in texts], show_progress=False)
        return cls(
            revision=revision,
            ids=list(ids),
            published=np.asarray(published, dtype=np.int32),
            has_code=np.asarray(has_code, dtype=bool),
            retriever=retriever,
        )

    def save(self, path: Path) -> None:
        """Write to a temporary folder, then swap it in: a crash never leaves half an index."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=path.parent))
        try:
            if self.retriever is not None:
                self.retriever.save(str(tmp / "bm25"))  # type: ignore[attr-defined]
            np.save(tmp / "published.npy", self.published)
            np.save(tmp / "has_code.npy", self.has_code)
            (tmp / "meta.json").write_text(
                json.dumps({"revision": self.revision, "ids": self.ids}), encoding="utf-8"
            )
            old = path.with_name(path.name + ".old")
            if path.exists():
                shutil.rmtree(old, ignore_errors=True)
                path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex | None:
        meta_path = path / "meta.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            retriever = None
            if meta["ids"]:
                import bm25s

                retriever = bm25s.BM25.load(str(path / "bm25"))
            return cls(
                revision=meta["revision"],
                ids=meta["ids"],
                published=np.load(path / "published.npy"),
                has_code=np.load(path / "has_code.npy"),
                retriever=retriever,
            )
        except (OSError, ValueError, KeyError):
            return None  # unreadable: the caller rebuilds it from the store

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        if self.retriever is None or k <= 0:
            return []
        vocab = self.retriever.vocab_dict  # type: ignore[attr-defined]
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return []
        allowed = len(self.ids) if mask is None else int(mask.sum())
        k = min(k, allowed)
        if k <= 0:
            return []
        weight_mask = None if mask is None else mask.astype(np.float32)
        docs, scores = self.retriever.retrieve(  # type: ignore[attr-defined]
            [tokens], k=k, show_progress=False, weight_mask=weight_mask, n_threads=1
        )
        return [
            (self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]
