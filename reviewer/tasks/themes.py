"""Themes without a model: group papers by their stored vectors and name each group by
a phrase of its titles that sets it apart.

Used wherever papers are shown grouped and no model wrote the grouping (no model is
configured, its outline failed validation, or it came back with too few themes): the
extractive related-work draft and its outline, and the weekly digest. Deterministic: the
same papers in the same store always give the same themes.

- Grouping: spherical k-means on the unit vectors; a group smaller than ``min_size``
  joins the nearest other group. ``cluster`` chooses k from 2 to ``max_themes`` by the
  mean silhouette (cosine distance), or with ``exact=True`` makes ``max_themes`` groups
  whenever there are ``min_size`` papers for each (``split_groups`` splits the largest
  group in two while there are too few). Fewer than ``2 * min_size`` papers make one
  theme.
- Names (``name_groups``): a phrase of the titles, a run of up to four words inside one
  part of a title (between punctuation) that neither starts nor ends with a function word.
  Each phrase of a group scores

      share of the group's titles holding it
      x share of its holders that are in this group, among the papers being grouped
      x log(titles of the corpus / titles of the corpus holding it)

  where the corpus is every title in the store. What most of the store shares (its
  field: "protein folding" in one store, "quantum" in another) or every group shares (the
  topic of a draft) scores low, so no list of field words is kept. A name is shared by
  two titles of its group where it can be, and is a head, not a modifier: a phrase that
  in the corpus is mostly followed by another content word ("semi-supervised" in
  "semi-supervised segmentation", "noisy" in "noisy labels") is an adjective or a noun
  used as one, so the phrase it belongs to is taken instead; one mostly preceded by the
  same word is a fragment of a longer phrase; one word in more than a tenth of the
  corpus's titles is too common to name anything alone. No name is a whole title, and
  no two groups share a name or have one inside the other's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Words a name neither starts nor ends with: English function words and the connectors
# of research titles. Field words are not listed: the corpus weighs those.
_FUNCTION_WORDS = """
    a an the and or but nor of for to in on at by with without from into onto over under
    via vs versus through towards toward using based as is are be being been was were can
    could do does did how what when where why which who whom whose that this these those
    it its their our we you your i not no all any each every more most less than then
    there here beyond between across within among against after before during upon about
    along around whether while if so such both either neither very new novel one two three
    near like per out off up down above below since until despite unlike enough ii iii iv
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
MAX_PHRASE_WORDS = 4
# Titles of the corpus read for the weights at most: a larger store is sampled evenly
# (every n-th title), which keeps naming under a second or two; shares barely move.
CORPUS_SAMPLE = 20_000
_MATH = re.compile(r"\$[^$]*\$")
# A word (letters and digits, inner hyphens and apostrophes), or one other character,
# which ends a part of a title.
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*|[^\w\s]|_")


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


def attainable(asked: int, papers: int, min_size: int = 2) -> int:
    """How many themes of at least ``min_size`` papers there can be, up to ``asked``."""
    return max(1, min(asked, papers // max(1, min_size)))


# -- grouping ----------------------------------------------------------------------------


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


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def cluster(
    vectors: np.ndarray, max_themes: int = 5, min_size: int = 2, exact: bool = False
) -> list[list[int]]:
    """Row indices grouped; groups in order of their first row. ``exact``: exactly
    ``attainable(max_themes, rows, min_size)`` groups, else as many (up to
    ``max_themes``) as separate best."""
    n = len(vectors)
    if n == 0:
        return []
    if n < 2 * min_size or max_themes < 2:
        return [list(range(n))]
    unit = _unit(vectors)
    if exact:
        k = attainable(max_themes, n, min_size)
        labels = _absorb_small(unit, _kmeans(unit, k), min_size)
        return split_groups(unit, _groups(labels), k, min_size)
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
    return _groups(best[1])


def _groups(labels: np.ndarray) -> list[list[int]]:
    values = labels.tolist()
    return [[i for i, v in enumerate(values) if v == c] for c in range(int(labels.max()) + 1)]


def split_groups(
    vectors: np.ndarray, groups: Sequence[Sequence[int]], k: int, min_size: int = 2
) -> list[list[int]]:
    """``groups`` (row indices into ``vectors``), the largest split in two by 2-means on
    its rows until there are ``k`` groups or no group has ``2 * min_size`` rows; a part
    takes the place of the group it came from. Groups that are not split stay as given."""
    unit = _unit(vectors)
    result = [list(g) for g in groups if g]
    while len(result) < k:
        splittable = [g for g in result if len(g) >= 2 * min_size]
        if not splittable:
            break
        largest = max(splittable, key=len)  # the first of the largest
        labels = _absorb_small(unit[largest], _kmeans(unit[largest], 2), min_size)
        if len(set(labels.tolist())) == 2:
            parts = [
                [r for r, v in zip(largest, labels.tolist(), strict=True) if v == c] for c in (0, 1)
            ]
        else:  # identical vectors: halves in the given order
            half = len(largest) // 2
            parts = [largest[:half], largest[half:]]
        at = result.index(largest)
        result[at : at + 1] = parts
    return result


# -- names -------------------------------------------------------------------------------


def _runs(title: str) -> list[list[str]]:
    """A title's runs of words between punctuation (LaTeX math counts as punctuation)."""
    runs: list[list[str]] = [[]]
    for token in _TOKEN.findall(_MATH.sub(" | ", title)):
        if token[0].isalnum():
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _key(word: str) -> str:
    """A word lower-cased, a plural counted as its singular ("labels" ~ "label")."""
    low = word.lower().replace("’", "'")
    if len(low) > 4 and low.endswith("ies"):
        return low[:-3] + "y"
    if len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "us", "is", "'s")):
        return low[:-1]
    return low


@dataclass
class _Seen:
    """A phrase in one title: as written, whether every occurrence is followed by
    another content word (it modifies that word), and the content word before its
    first occurrence."""

    form: str
    modifies: bool
    after: str | None


def _phrases(title: str, starts: set[str] | None = None) -> dict[str, _Seen]:
    """Each phrase of a title, by key (``starts``: only those starting with these keys)."""
    found: dict[str, _Seen] = {}
    for run in _runs(title):
        low = [w.lower() for w in run]
        keys = [_key(w) for w in run]
        content = [w not in FUNCTION_WORDS and any(ch.isalpha() for ch in w) for w in low]
        for i in range(len(run)):
            if not content[i] or (starts is not None and keys[i] not in starts):
                continue
            after = keys[i - 1] if i and content[i - 1] else None
            for j in range(i, min(i + MAX_PHRASE_WORDS, len(run))):
                if not content[j] or _participle(low[j]):
                    continue
                key = " ".join(keys[i : j + 1])
                modifies = j + 1 < len(run) and low[j + 1] not in FUNCTION_WORDS
                seen = found.get(key)
                if seen is None:
                    found[key] = _Seen(" ".join(run[i : j + 1]), modifies, after)
                else:
                    seen.modifies = seen.modifies and modifies
    return found


def _participle(word: str) -> bool:
    """A past participle ("obtained", "guided"), which ends no name."""
    return len(word) > 4 and word.endswith("ed") and not word.endswith("eed")


def _whole(title: str) -> str:
    return " ".join(_key(w) for run in _runs(title) for w in run)


@dataclass
class _Corpus:
    """How the titles of the corpus use each phrase of the groups being named."""

    titles: int = 0
    holding: Counter[str] = field(default_factory=Counter)  # titles holding the phrase
    modifying: Counter[str] = field(default_factory=Counter)  # ... where it modifies
    after: dict[str, Counter[str]] = field(default_factory=dict)  # word before it

    def modifier(self, key: str) -> bool:
        """Mostly followed by another content word: an adjective, or a noun used as one."""
        return self.modifying[key] * 2 > self.holding[key]

    def fragment(self, key: str) -> bool:
        """Mostly preceded by one same word: part of a longer phrase ("anything model"
        of "segment anything model")."""
        before = self.after.get(key)
        return before is not None and max(before.values()) * 3 >= self.holding[key] * 2

    def too_common(self, key: str) -> bool:
        """One word in more than a tenth of the titles (five at least): it says what
        the corpus is about, not what sets a group apart."""
        held = self.holding[key]
        return " " not in key and held >= 5 and held * 10 > self.titles


def _corpus(titles: Iterable[str], wanted: set[str]) -> _Corpus:
    corpus = _Corpus()
    starts = {k.split(" ", 1)[0] for k in wanted}
    for title in titles:
        corpus.titles += 1
        for key, seen in _phrases(title, starts).items():
            if key in wanted:
                corpus.holding[key] += 1
                corpus.modifying[key] += seen.modifies
                if seen.after is not None:
                    corpus.after.setdefault(key, Counter())[seen.after] += 1
    return corpus


def name_groups(
    titles: Sequence[Sequence[str]],
    corpus_titles: Sequence[str] | None = None,
    terms_per_name: int = 3,
) -> list[list[str]]:
    """For each group of titles, its name first, then up to ``terms_per_name - 1`` more
    phrases that set it apart (each as a title writes it); empty for a group without a
    word. ``corpus_titles``: every title of the store (default: the titles given).

    The name is the best-scoring phrase of the first kind a group has: (0) held by two
    of its titles, a head, neither a fragment nor too common; (1) the same but held by
    one title; (2) held by two titles; (3) any phrase. See the module's docstring for
    the score; a phrase of several content words counts a quarter more per extra word."""
    per_title = [[_phrases(t) for t in group] for group in titles]
    total = sum(len(g) for g in titles)
    holding = Counter(k for group in per_title for found in group for k in found)
    whole = {_whole(t) for group in titles for t in group}
    given = [t for g in titles for t in g]
    if corpus_titles is None:
        corpus_titles = given
    step = -(-len(corpus_titles) // CORPUS_SAMPLE)
    sample = corpus_titles[::step] if step > 1 else corpus_titles
    known = set(sample)  # the titles given count once, sampled or not
    corpus = _corpus([*sample, *(t for t in given if t not in known)], set(holding))
    ranked: list[list[tuple[tuple[int, float], str]]] = []
    shown: list[dict[str, str]] = []
    for group in per_title:
        n = len(group)
        counts: Counter[str] = Counter()
        forms: dict[str, Counter[str]] = {}
        for found in group:
            for key, seen in found.items():
                counts[key] += 1
                forms.setdefault(key, Counter())[seen.form] += 1
        words = Counter(w for found in group for w in {w for k in found for w in k.split()})
        others = total - n
        scored = []
        for key, count in counts.items():
            if key in whole:
                continue
            share = count / n
            elsewhere = (holding[key] - count) / others if others else 0.0
            if elsewhere >= share:
                continue  # as common in the other groups: sets nothing apart
            in_corpus = max(corpus.holding[key], count)
            specific = math.log((max(corpus.titles, in_corpus) + 1) / in_corpus)
            content = [w for w in key.split() if w not in FUNCTION_WORDS]
            score = share * (share / (share + elsewhere)) * specific
            score *= 1 + 0.25 * (len(content) - 1)
            shared = count >= min(2, n)
            if not shared and len(content) > 3:
                continue  # a long phrase of one title is most of that title
            if not shared:  # a phrase of one title: the more of its words others share, the better
                score *= 1 + sum(words[w] - 1 for w in content) / (len(content) * max(1, n - 1))
            namable = not (corpus.modifier(key) or corpus.fragment(key) or corpus.too_common(key))
            tier = (0 if shared else 1) if namable else (2 if shared else 3)
            scored.append(((tier, -score), key))
        scored.sort()
        ranked.append(scored)
        # The form most titles of the group write (the first written, on a tie).
        shown.append({k: f.most_common(1)[0][0] for k, f in forms.items()})
    names = _assign(ranked)
    result: list[list[str]] = []
    for group_ranked, name, written in zip(ranked, names, shown, strict=True):
        if name is None:
            result.append([])
            continue
        picked = [name]
        for (tier, _), key in group_ranked:
            if len(picked) >= terms_per_name or tier > 0:
                break
            if not any(_within(key, p) or _within(p, key) for p in picked):
                picked.append(key)
        result.append([_display(written[k]) for k in picked])
    return result


def _assign(ranked: list[list[tuple[tuple[int, float], str]]]) -> list[str | None]:
    """Each group's best phrase; no two groups get the same phrase, or one within the
    other ("hypothesis testing" and "compressed hypothesis testing"): the group with the
    better claim (lower tier, higher score) keeps a contested one."""
    claims = sorted((rank, g, key) for g, scored in enumerate(ranked) for rank, key in scored)
    names: list[str | None] = [None] * len(ranked)
    taken: list[str] = []
    for _, g, key in claims:
        if names[g] is None and not any(_within(key, t) or _within(t, key) for t in taken):
            names[g] = key
            taken.append(key)
    for g, scored in enumerate(ranked):  # all a group has is within another's name
        if names[g] is None:
            found = next((k for _, k in scored if k not in taken), None)
            names[g] = found
            taken += [found] if found else []
    return names


def _within(part: str, phrase: str) -> bool:
    return f" {part} " in f" {phrase} "


def _display(form: str) -> str:
    return form[0].upper() + form[1:] if form[:1].islower() else form


def group_into_themes(
    papers: Sequence[Any],
    vectors: np.ndarray,
    max_themes: int = 5,
    min_size: int = 2,
    corpus_titles: Sequence[str] | None = None,
    exact: bool = False,
) -> list[Theme]:
    """Papers (with ``id`` and ``title``) grouped by their vectors (one row each), named
    by phrases of their titles weighed against ``corpus_titles`` (every title in the
    store; default: these papers' titles). One group is "All papers"."""
    groups = cluster(vectors, max_themes=max_themes, min_size=min_size, exact=exact)
    names = name_groups([[papers[i].title for i in g] for g in groups], corpus_titles)
    themes = []
    for group, terms in zip(groups, names, strict=True):
        title = "All papers" if len(groups) == 1 else terms[0] if terms else "Other papers"
        themes.append(Theme(title=title, paper_ids=[papers[i].id for i in group], terms=terms))
    return themes
