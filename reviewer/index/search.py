"""Hybrid search: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank.

On the demo corpus's graded queries BM25 and MiniLM each reach about 0.70
nDCG@10 and their fusion more than either (ARCHITECTURE.md, "Embeddings"), with
the lexical half carrying exact terms (model names, acronyms) and the dense half
paraphrases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np

from reviewer.corpus.model import Paper
from reviewer.index.store import Store, date_int

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")
Ranking = list[tuple[str, float]]  # (paper id, score), best first

# Reciprocal rank fusion constant (Cormack et al. 2009 use 60): larger values
# flatten the difference between the first ranks of each list.
RRF_K = 60
# How the model's additions widen a search (``search``). A query variant's BM25 ranking
# joins the query's with weight VARIANT_WEIGHT (against QUERY_WEIGHT) times its agreement:
# the share of the variant's AGREE_TOP best papers among the query's own AGREE_POOL best.
# The hypothetical abstract's vector is blended into the query's, HYPOTHETICAL_SHARE of it.
QUERY_WEIGHT = 2.0
VARIANT_WEIGHT = 0.25
AGREE_TOP = 10
AGREE_POOL = 20
HYPOTHETICAL_SHARE = 0.2
# How many of BM25's best papers are looked at to weigh its ranking (``lexical_weight``).
COVERAGE_HITS = 5


def _month_only(day: date) -> int:
    """The stored form (YYYYMM00) of a first publication known to the month only."""
    return day.year * 10000 + day.month * 100


@dataclass(frozen=True)
class Filters:
    """Filters on first publication (``published``) and code links.

    A paper whose first-publication day is unknown (month precision, stored as
    YYYYMM00) counts as published in the whole month: it is inside a window
    that overlaps its month. Papers with no date are outside any window.
    """

    since: date | None = None
    until: date | None = None
    has_code: bool = False

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append(
                {
                    "$or": [
                        {"published": {"$gte": date_int(self.since)}},
                        {"published": {"$eq": _month_only(self.since)}},
                    ]
                }
            )
        if self.until:
            clauses.append({"published": {"$lte": date_int(self.until)}})
            clauses.append({"published": {"$gt": 0}})
        if self.has_code:
            clauses.append({"has_code": True})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def mask(self, published: np.ndarray, has_code: np.ndarray) -> np.ndarray | None:
        if not (self.since or self.until or self.has_code):
            return None
        keep = np.ones(len(published), dtype=bool)
        if self.since:
            keep &= (published >= date_int(self.since)) | (published == _month_only(self.since))
        if self.until:
            keep &= (published <= date_int(self.until)) & (published > 0)
        if self.has_code:
            keep &= has_code
        return keep


@dataclass
class Hit:
    paper: Paper
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    # Where each fused ranking put the paper, in the order of ``search``'s ``fused_queries``
    # (the query, then the model's variants, then the hypothetical abstract); None: not in
    # that ranking's candidates.
    query_ranks: tuple[int | None, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.paper.id,
            "score": round(self.score, 6),
            "dense_rank": self.dense_rank,
            "lexical_rank": self.lexical_rank,
            "title": self.paper.title,
            "published": self.paper.published_label,
            "authors": self.paper.authors,
            "abs_url": self.paper.abs_url,
            "code_urls": self.paper.code_urls,
            "abstract": self.paper.abstract,
        }


def dense_ranking(
    store: Store, query: str, n: int, filters: Filters, vector: np.ndarray | None = None
) -> list[tuple[str, float]]:
    """The ``n`` papers whose vectors are nearest the query's (or ``vector``, when given)."""
    total = store.count()
    if total == 0 or n <= 0:
        return []
    if vector is None:
        vector = store.embedder().embed_query(query)
    result = store.collection.query(
        query_embeddings=[vector],
        n_results=min(n, total),
        where=filters.chroma_where(),
        include=["distances"],
    )
    return [
        (pid, 1.0 - float(dist))
        for pid, dist in zip(result["ids"][0], result["distances"][0], strict=True)
    ]


def lexical_ranking(store: Store, query: str, n: int, filters: Filters) -> list[tuple[str, float]]:
    index = store.lexical()
    return index.search(query, n, filters.mask(index.published, index.has_code))


def fuse(
    rankings: list[list[tuple[str, float]]],
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each paper scores the sum of weight / (k + rank) over the
    rankings that hold it (every weight 1 unless ``weights`` says otherwise)."""
    scores: dict[str, float] = {}
    for i, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else float(weights[i])
        for rank, (pid, _) in enumerate(ranking, start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def lexical_weight(store: Store, query: str, lexical: list[tuple[str, float]]) -> float:
    """How far BM25 can be trusted on this query, 0 to 1: the largest IDF-weighted share of
    the query's terms that one of BM25's top ``COVERAGE_HITS`` papers holds. A query in
    the store's own words has papers holding all its terms (1: the fusion is as plain
    RRF); one in other words than the papers use (a paraphrase) matches only some of
    them, and its BM25 ranking, led by those few words, counts for less than the dense
    one."""
    ids = [pid for pid, _ in lexical[:COVERAGE_HITS]]
    if not ids:
        return 1.0
    shares = term_shares(store, query, ids)
    return float(shares.max()) if len(shares) else 1.0


def search(
    store: Store,
    query: str,
    k: int = 10,
    mode: Mode = "hybrid",
    filters: Filters | None = None,
    candidates: int | None = None,
    variants: Sequence[str] = (),
    hypothetical: str | None = None,
) -> list[Hit]:
    """The ``k`` best papers for ``query``; each hit says where each ranking put it.

    ``variants`` (other phrasings of the query) and ``hypothetical`` (an abstract a paper
    on the query would have; HyDE, Gao et al. 2022) widen the search, each where it helps:

    - a variant widens the lexical ranking (lexical mode, and the lexical half of hybrid):
      its BM25 ranking is fused by reciprocal rank with the query's, weighted
      ``VARIANT_WEIGHT`` against ``QUERY_WEIGHT`` and scaled by how far its best papers
      are the query's own (``agreement``), so a variant that drifts to another topic
      ("machine learning" for "reinforcement learning") counts for little or nothing.
      Dense mode does not use variants: the query's vector already stands for its
      paraphrases.
    - the hypothetical abstract widens the dense ranking (dense mode, and the dense half
      of hybrid): its vector is blended into the query's (``HYPOTHETICAL_SHARE``), as HyDE
      averages the vectors of the query and the abstracts written for it.

    Measured with Qwen2.5-Coder-1.5B's expansions (ARCHITECTURE.md, `reviewer/index`), fusing
    every addition's ranking by reciprocal rank instead lost up to 0.04 nDCG@10.

    ``Hit.query_ranks`` holds where the query's own ranking put the paper, then each
    variant's ranking (its BM25 ranking; None in dense mode), then the hypothetical
    abstract's dense ranking alone (not in lexical mode), whatever their share of the
    fused score."""
    filters = filters or Filters()
    n = candidates or max(100, 5 * k)
    use_dense, use_lexical = mode in ("hybrid", "dense"), mode in ("hybrid", "lexical")
    query_vector = store.embedder().embed_query(query) if use_dense and store.count() else None
    dense = dense_ranking(store, query, n, filters, vector=query_vector) if use_dense else []
    lexical = lexical_ranking(store, query, n, filters) if use_lexical else []
    lexical_share = lexical_weight(store, query, lexical) if mode == "hybrid" else 1.0

    def combine(dense: Ranking, lexical: Ranking) -> Ranking:
        if mode == "dense":
            return dense
        if mode == "lexical":
            return lexical
        return fuse([dense, lexical], weights=[1.0, lexical_share])

    own = combine(dense, lexical)
    rankings = [own]
    wide_dense, wide_lexical = dense, lexical
    if variants and use_lexical:
        ranked_variants = [lexical_ranking(store, v, n, filters) for v in variants]
        # A variant of agreement 0 is left out altogether: fused with weight 0, its papers
        # would still trail the query's and fill the ranking past them.
        used = [(r, VARIANT_WEIGHT * agreement(r, lexical)) for r in ranked_variants]
        used = [(r, w) for r, w in used if w > 0]
        if used:
            wide_lexical = fuse(
                [lexical, *(r for r, _ in used)], weights=[QUERY_WEIGHT, *(w for _, w in used)]
            )
        rankings += ranked_variants
    else:
        rankings += [[] for _ in variants]
    if hypothetical and use_dense and query_vector is not None:
        abstract_vector = _unit(store.embedder().embed_query(hypothetical))
        blended = _unit(
            (1 - HYPOTHETICAL_SHARE) * _unit(query_vector) + HYPOTHETICAL_SHARE * abstract_vector
        )
        wide_dense = dense_ranking(store, query, n, filters, vector=blended)
        rankings.append(dense_ranking(store, hypothetical, n, filters, vector=abstract_vector))
    ranked = combine(wide_dense, wide_lexical) if len(rankings) > 1 else own
    dense_ranks = {pid: r for r, (pid, _) in enumerate(dense, start=1)}
    lexical_ranks = {pid: r for r, (pid, _) in enumerate(lexical, start=1)}
    query_ranks = [{pid: r for r, (pid, _) in enumerate(ranking, start=1)} for ranking in rankings]
    # A ranked id the store lacks (a BM25 index a little behind a removal made by
    # another process) is skipped and the next one takes its place.
    top: list[tuple[str, float]] = []
    papers: dict[str, Paper] = {}
    start = 0
    while len(top) < k and start < len(ranked):
        chunk = ranked[start : start + k - len(top)]
        start += len(chunk)
        papers.update((s.paper.id, s.paper) for s in store.get_many([pid for pid, _ in chunk]))
        top.extend((pid, score) for pid, score in chunk if pid in papers)
    return [
        Hit(
            paper=papers[pid],
            score=score,
            dense_rank=dense_ranks.get(pid),
            lexical_rank=lexical_ranks.get(pid),
            query_ranks=tuple(ranks.get(pid) for ranks in query_ranks),
        )
        for pid, score in top
    ]


def agreement(ranking: Ranking, own: Ranking) -> float:
    """The share of ``ranking``'s ``AGREE_TOP`` best papers that are among ``own``'s
    ``AGREE_POOL`` best: 1 for a phrasing that finds what the query finds (reordered
    perhaps), 0 for one that finds other papers altogether."""
    best = [pid for pid, _ in ranking[:AGREE_TOP]]
    if not best:
        return 0.0
    pool = {pid for pid, _ in own[:AGREE_POOL]}
    return sum(pid in pool for pid in best) / len(best)


def _unit(vector: Any) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    return v / max(float(np.linalg.norm(v)), 1e-12)


# A match is strong when its dense similarity is high, or fair with most of the query's
# terms in the paper. Set on 16 hand-labelled queries on the demo corpus and checked on 4
# more (evals/search_weak_match.py: 20 of 20 right): the best of the top 5 hits of every
# covered topic passes (similarity 0.40 to 0.67), of every lacked topic none does (0.11
# to 0.41, terms at most 59%).
STRONG_SIMILARITY = 0.45
FAIR_SIMILARITY = 0.35
FAIR_TERMS = 0.75


def is_strong_match(similarity: float, terms: float) -> bool:
    return similarity >= STRONG_SIMILARITY or (
        similarity >= FAIR_SIMILARITY and terms >= FAIR_TERMS
    )


def absolute_scores(store: Store, query: str, ids: Sequence[str]) -> list[tuple[float, float]]:
    """(similarity, terms) of each paper for ``query``, in the order of ``ids``: scores
    that mean the same in every store and every week, unlike fused ranks.

    similarity: the cosine of the query's and the paper's stored vectors. terms: the
    IDF-weighted share of the query's (stemmed) terms found in the paper's title or
    abstract (``term_shares``)."""
    if not ids:
        return []
    vectors = store.vectors(ids)
    q = np.asarray(store.embedder().embed_query(query), dtype=np.float32)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = vectors @ (q / max(float(np.linalg.norm(q)), 1e-12))
    shares = term_shares(store, query, ids)
    return [(float(sim), float(cov)) for sim, cov in zip(similarity, shares, strict=True)]


def term_shares(store: Store, query: str, ids: Sequence[str]) -> np.ndarray:
    """The IDF-weighted share of the query's (stemmed) terms found in each paper's title
    or abstract, in the order of ``ids``, with document frequencies from the store's BM25
    index (0 for a query with no term BM25 knows, e.g. in a script it does not split;
    0 for a paper the index lacks)."""
    from reviewer.index.lexical import tokenize

    terms = list(dict.fromkeys(tokenize(query)))
    if not terms or not ids:
        return np.zeros(len(ids))
    index = store.lexical()
    rows = np.array([index.row_of.get(pid, -1) for pid in ids])
    weight = np.zeros(len(terms))
    present = np.zeros((len(ids), len(terms)), dtype=bool)
    for j, term in enumerate(terms):
        holding = index.term_rows(term)  # a word no paper uses: df 0, it weighs most
        holds = np.zeros(len(index.ids), dtype=bool)
        holds[holding] = True
        present[:, j] = np.where(rows >= 0, holds[np.maximum(rows, 0)], False)
        weight[j] = index.idf(len(holding))
    return np.asarray((present * weight).sum(axis=1) / max(float(weight.sum()), 1e-12))
