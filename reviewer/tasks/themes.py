"""Themes without a model: group papers by their stored vectors and name each group by
the title words that set it apart.

Used wherever papers are shown grouped and no model is configured (or the model's own
grouping failed validation): the extractive related-work draft, its outline, and the
weekly digest. The grouping is deterministic, so the same papers always give the same
themes.

- Grouping: spherical k-means on the unit vectors, k from 2 to ``max_themes`` chosen by
  the mean silhouette (cosine distance); a group smaller than ``min_size`` joins the
  nearest other group. Fewer than ``2 * min_size`` papers make one theme.
- Names: class-based TF-IDF over title words and word pairs: a term scores by the
  share of the group's titles holding it times log(papers / papers holding it), so a
  word most candidates share (the topic itself) names no group.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reviewer.grounding import STOPWORDS

_TITLE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*|\d+D\b")
# Words that say nothing about what sets a group apart in this field's titles.
_NAME_STOPWORDS = STOPWORDS | {
    "a",
    "in",
    "is",
    "or",
    "towards",
    "toward",
    "via",
    "vs",
    "novel",
    "framework",
    "learning",
    "deep",
    "network",
    "networks",
    "image",
    "images",
    "imaging",
    "medical",
    "analysis",
    "task",
    "tasks",
    "data",
    "efficient",
    "enhanced",
    "improved",
    "improving",
    "large",
    "scale",
    "robust",
    "effective",
    "general",
    "generalizable",
    "one",
    "two",
    "all",
    "your",
    "you",
    "need",
    "beyond",
    "without",
    "multi",
    "end",
}


@dataclass
class Theme:
    """A named group of papers; ``source`` says who grouped them."""

    title: str
    paper_ids: list[str]
    terms: list[str] = field(default_factory=list)
    source: str = "clusters"  # clusters | model | user

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "paper_ids": list(self.paper_ids),
            "terms": list(self.terms),
            "source": self.source,
        }


def _kmeans(vectors: np.ndarray, k: int, iterations: int = 50) -> np.ndarray:
    """Spherical k-means with a deterministic farthest-point start."""
    n = len(vectors)
    centre = vectors.mean(axis=0)
    first = int(np.argmax(vectors @ centre))
    chosen = [first]
    closest = vectors @ vectors[first]
    while len(chosen) < k:
        nxt = int(np.argmin(closest))
        chosen.append(nxt)
        closest = np.maximum(closest, vectors @ vectors[nxt])
    centroids = vectors[chosen].copy()
    labels = np.full(n, -1)
    for _ in range(iterations):
        new = np.argmax(vectors @ centroids.T, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            members = vectors[labels == c]
            if len(members):
                mean = members.mean(axis=0)
                norm = np.linalg.norm(mean)
                centroids[c] = mean / norm if norm else mean
    return labels


def _absorb_small(vectors: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Move the members of groups under ``min_size`` to the nearest remaining group."""
    labels = labels.copy()
    while True:
        counts = Counter(labels.tolist())
        small = [c for c, n in counts.items() if n < min_size]
        if not small or len(counts) == 1:
            break
        victim = min(small, key=lambda c: (counts[c], c))
        others = [c for c in counts if c != victim]
        centroids = np.stack([vectors[labels == c].mean(axis=0) for c in others])
        for i in np.flatnonzero(labels == victim):
            labels[i] = others[int(np.argmax(centroids @ vectors[i]))]
    # Renumber 0..k-1 in order of first appearance.
    order = {c: n for n, c in enumerate(dict.fromkeys(labels.tolist()))}
    return np.array([order[c] for c in labels.tolist()])


def _silhouette(vectors: np.ndarray, labels: np.ndarray) -> float:
    distance = 1.0 - vectors @ vectors.T
    scores = []
    for i in range(len(vectors)):
        same = labels == labels[i]
        same[i] = False
        if not same.any():
            scores.append(0.0)
            continue
        a = distance[i, same].mean()
        b = min(distance[i, labels == c].mean() for c in set(labels.tolist()) if c != labels[i])
        scores.append((b - a) / max(a, b) if max(a, b) > 0 else 0.0)
    return float(np.mean(scores))


def cluster(vectors: np.ndarray, max_themes: int = 5, min_size: int = 2) -> list[list[int]]:
    """Row indices grouped; groups in order of their first row."""
    n = len(vectors)
    if n == 0:
        return []
    if n < 2 * min_size or max_themes < 2:
        return [list(range(n))]
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, min(max_themes, n // min_size) + 1):
        labels = _absorb_small(unit, _kmeans(unit, k), min_size)
        if len(set(labels.tolist())) < 2:
            continue
        score = _silhouette(unit, labels)
        if best is None or score > best[0] + 1e-9:
            best = (score, labels)
    if best is None:
        return [list(range(n))]
    labels = best[1]
    return [[i for i in range(n) if labels[i] == c] for c in range(int(labels.max()) + 1)]


def _title_terms(title: str) -> tuple[set[str], dict[str, str]]:
    """Lower-cased words and adjacent word pairs of a title (stopwords dropped), and
    each term's display form as the title writes it."""
    words = _TITLE_WORD.findall(title)
    terms: set[str] = set()
    shown: dict[str, str] = {}
    kept: list[str | None] = []
    for word in words:
        low = word.lower()
        if low in _NAME_STOPWORDS or (len(low) < 3 and not low[0].isdigit()):
            kept.append(None)
            continue
        kept.append(word)
        terms.add(low)
        shown.setdefault(low, word)
    for a, b in itertools.pairwise(kept):
        if a and b:
            pair = f"{a.lower()} {b.lower()}"
            terms.add(pair)
            shown.setdefault(pair, f"{a} {b}")
    return terms, shown


def name_groups(titles: Sequence[Sequence[str]], terms_per_name: int = 3) -> list[list[str]]:
    """The most distinctive terms of each group of titles (display forms)."""
    per_paper = [[_title_terms(t) for t in group] for group in titles]
    total = sum(len(g) for g in per_paper)
    df: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for group in per_paper:
        for terms, forms in group:
            df.update(terms)
            for term, form in forms.items():
                shown.setdefault(term, form)
    names: list[list[str]] = []
    for group in per_paper:
        counts: Counter[str] = Counter()
        for terms, _ in group:
            counts.update(terms)
        scored = sorted(
            (
                (counts[t] / len(group)) * math.log(total / df[t]) * (1.2 if " " in t else 1.0),
                t,
            )
            for t in counts
            if counts[t] >= min(2, len(group)) and df[t] <= total / 2
        )
        picked: list[str] = []
        for _, term in reversed(scored):
            if any(term in p or p in term for p in picked):
                continue
            picked.append(term)
            if len(picked) == terms_per_name:
                break
        names.append([shown[t] for t in picked])
    return names


def group_into_themes(
    papers: Sequence[Any], vectors: np.ndarray, max_themes: int = 5, min_size: int = 2
) -> list[Theme]:
    """Papers (with ``id`` and ``title``) grouped by their vectors (one row each), named
    by their titles. A group with no distinctive term is named by its first title."""
    groups = cluster(vectors, max_themes=max_themes, min_size=min_size)
    names = name_groups([[papers[i].title for i in g] for g in groups])
    themes = []
    for group, terms in zip(groups, names, strict=True):
        if len(groups) == 1:
            title = "All papers"
        elif terms:
            title = ", ".join(terms)
        else:
            title = papers[group[0]].title
        themes.append(Theme(title=title, paper_ids=[papers[i].id for i in group], terms=terms))
    return themes
