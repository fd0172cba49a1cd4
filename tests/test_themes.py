"""Grouping papers into named themes without a model (reviewer.tasks.themes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reviewer.tasks.themes import cluster, group_into_themes, name_groups


@dataclass
class P:
    id: str
    title: str


def _two_blobs(n_each: int = 4) -> np.ndarray:
    rng = np.random.default_rng(0)
    a = np.array([1.0, 0.0, 0.0]) + 0.05 * rng.standard_normal((n_each, 3))
    b = np.array([0.0, 1.0, 0.0]) + 0.05 * rng.standard_normal((n_each, 3))
    return np.vstack([a, b]).astype(np.float32)


def test_cluster_separates_two_blobs_and_is_deterministic() -> None:
    vectors = _two_blobs()
    groups = cluster(vectors, max_themes=4)
    assert sorted(map(sorted, groups)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert cluster(vectors, max_themes=4) == groups


def test_too_few_papers_make_one_theme() -> None:
    assert cluster(_two_blobs(1), max_themes=4, min_size=2) == [[0, 1]]
    assert cluster(np.zeros((0, 3)), max_themes=4) == []


def test_no_group_is_smaller_than_min_size() -> None:
    vectors = np.vstack([_two_blobs(4), [[0.0, 0.0, 1.0]]]).astype(np.float32)
    groups = cluster(vectors, max_themes=5, min_size=2)
    assert all(len(g) >= 2 for g in groups)
    assert sorted(i for g in groups for i in g) == list(range(9))


def test_names_come_from_distinctive_title_words() -> None:
    titles = [
        ["Federated learning for chest X-ray", "Privacy in federated learning for MRI"],
        ["Segment Anything for ultrasound", "Adapting Segment Anything to CT"],
    ]
    names = name_groups(titles)
    assert "federated" in [n.lower() for n in names[0]]
    assert "Segment Anything" in names[1]
    # A word both groups share says nothing about either.
    assert all("for" not in n.lower().split() for group in names for n in group)


def test_group_into_themes_keeps_every_paper_once() -> None:
    papers = [P(f"p{i}", t) for i, t in enumerate(["Federated learning A"] * 4 + ["SAM B"] * 4)]
    themes = group_into_themes(papers, _two_blobs(), max_themes=3)
    assert sorted(pid for t in themes for pid in t.paper_ids) == sorted(p.id for p in papers)
    assert len(themes) == 2
    assert all(t.source == "clusters" and t.title for t in themes)
