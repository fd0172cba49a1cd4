"""Themes without a model (reviewer.tasks.themes): the grouping, the names, and what
the names look like on two real corpora: the demo corpus (medical imaging) and 200 arXiv
papers of physics and mathematics (tests/data/real/PROVENANCE.md). Also ``--themes N``
with a model whose outline comes back with too few themes.

What a good name is gets checked here with rules of this file, not with the naming
code: a name is a phrase found in a title of its group (case aside), is no paper's whole
title, is no comma list, is not made of adjective-like words only, and no two themes
of one grouping share it. Run with ``-s`` to see the names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import REAL
from fault_server import FaultServer

from reviewer.api import Reviewer
from reviewer.tasks.themes import cluster, group_into_themes, name_groups, split_groups

PHYSICS = REAL / "arxiv_oai_snapshot_0704_first200.jsonl"


@dataclass
class P:
    id: str
    title: str


def _blobs(*sizes: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    rows = [
        np.eye(3)[i % 3] + 0.05 * rng.standard_normal((size, 3)) for i, size in enumerate(sizes)
    ]
    return np.vstack(rows).astype(np.float32)


# -- what a good name is (this file's own rules) ----------------------------------------

_SMALL = {"a", "an", "the", "of", "and", "or", "for", "in", "on", "to", "with", "by", "from"}
# Adjective-like words of the names the title-word naming gave before (issue 12):
# "Label, Noisy", "Uncertainty-aware, Semi-supervised, Regression", "Supervised,
# Semantic, limited", "Segmentation, Explainable, Detection", "Foundation",
# "Vision-Language, Generation, Multimodal", "random, Experimental", "smooth, groups,
# Spaces", "Quantum, phase, spin", and a few of their kind.
_ADJECTIVE_LIKE = {
    "noisy", "semi-supervised", "supervised", "self-supervised", "unsupervised", "semantic",
    "limited", "explainable", "multimodal", "multi-modal", "vision-language", "foundation",
    "medical", "robust", "efficient", "deep", "random", "experimental", "smooth", "quantum",
    "discrete", "modular", "automated", "large", "general", "novel", "clinical", "visual",
    "neural", "3d", "2d", "multi-scale", "uncertainty-aware", "label-efficient",
}  # fmt: skip
_ADJECTIVE_ENDINGS = (
    "ed", "ive", "al", "ous", "able", "ible", "ic", "ful", "less", "ary",
    "-aware", "-based", "-free", "-guided", "-driven", "-like", "-specific", "-agnostic",
)  # fmt: skip


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['-][^\W_]+)*", text.lower())


def only_adjectives(name: str) -> bool:
    words = [w for w in _words(name) if w not in _SMALL]
    return all(w in _ADJECTIVE_LIKE or w.endswith(_ADJECTIVE_ENDINGS) for w in words)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def occurs_in(name: str, title: str) -> bool:
    """``name`` as a run of whole words of ``title``, case and spacing aside."""
    return re.search(rf"(?<!\w){re.escape(_norm(name))}(?!\w)", _norm(title)) is not None


def bad_names(themes: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """What is wrong with the names of one grouping: (name, titles of its papers) each."""
    problems = []
    every_title = {_norm(t) for _, titles in themes for t in titles}
    for name, titles in themes:
        if _norm(name) in every_title or _norm(name).rstrip(".") in every_title:
            problems.append(f"{name!r} is a paper's title")
        if "," in name:
            problems.append(f"{name!r} is a list")
        if only_adjectives(name):
            problems.append(f"{name!r} is adjectives only")
        if not any(occurs_in(name, t) for t in titles):
            problems.append(f"{name!r} is in no title of its {len(titles)} papers")
    names = [_norm(n) for n, _ in themes]
    if len(set(names)) < len(names):
        problems.append(f"two themes share a name: {names}")
    return problems


def test_the_rules_of_this_file_catch_the_old_names() -> None:
    old = [
        ("Label, Noisy", ["Learning with Noisy Labels"]),
        ("Uncertainty-aware", ["Uncertainty-aware Regression"]),
        ("Semi-supervised", ["A semi-supervised segmentation"]),
        ("Foundation", ["Foundation Models for X"]),
        ("Rule-based Key-Point Extraction", ["Rule-based Key-Point Extraction"]),
        ("Noisy labels", ["Learning with noisy-labels"]),
    ]
    assert [bool(bad_names([theme])) for theme in old] == [True] * len(old)
    assert bad_names([("Noisy labels", ["Learning with Noisy Labels for X"])]) == []
    assert bad_names([("Segment Anything Model", ["SAM: the Segment Anything Model"])]) == []


# -- grouping ------------------------------------------------------------------------------


def test_cluster_separates_two_blobs_and_is_deterministic() -> None:
    vectors = _blobs(4, 4)
    groups = cluster(vectors, max_themes=4)
    assert sorted(map(sorted, groups)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert cluster(vectors, max_themes=4) == groups


def test_too_few_papers_make_one_theme() -> None:
    assert cluster(_blobs(1, 1), max_themes=4, min_size=2) == [[0, 1]]
    assert cluster(np.zeros((0, 3)), max_themes=4) == []


def test_no_group_is_smaller_than_min_size() -> None:
    vectors = np.vstack([_blobs(4, 4), [[0.0, 0.0, 1.0]]]).astype(np.float32)
    groups = cluster(vectors, max_themes=5, min_size=2)
    assert all(len(g) >= 2 for g in groups)
    assert sorted(i for g in groups for i in g) == list(range(9))


@pytest.mark.parametrize(
    ("sizes", "asked", "made"), [((4, 4), 3, 3), ((4, 4), 5, 4), ((3, 2), 4, 2)]
)
def test_exact_clustering_makes_the_themes_asked_when_there_are_two_papers_each(
    sizes: tuple[int, ...], asked: int, made: int
) -> None:
    vectors = _blobs(*sizes)
    groups = cluster(vectors, max_themes=asked, min_size=2, exact=True)
    assert len(groups) == made and all(len(g) >= 2 for g in groups)
    assert sorted(i for g in groups for i in g) == list(range(len(vectors)))
    assert cluster(vectors, max_themes=asked, min_size=2, exact=True) == groups


def test_splitting_takes_the_largest_group_apart_and_keeps_the_others() -> None:
    vectors = _blobs(3, 3, 2)  # rows 0-2, 3-5 and 6-7 are three blobs
    groups = split_groups(vectors, [[0, 1, 2, 3, 4, 5], [6, 7]], k=3)
    assert groups == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert split_groups(vectors, [[0, 1, 2], [3, 4, 5, 6, 7]], k=2) == [[0, 1, 2], [3, 4, 5, 6, 7]]
    # Nothing of four rows or more: no split is possible.
    assert split_groups(vectors, [[0, 1, 2], [3, 4, 5], [6, 7]], k=5) == [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7],
    ]


# -- names -------------------------------------------------------------------------------

NOISY = [
    "Learning with Noisy Labels for Skin Lesion Classification",
    "Noisy Labels in Chest Radiograph Datasets",
    "Sample selection under noisy labels",
]
SEMI = [
    "Semi-supervised Segmentation of Cardiac MRI",
    "Semi-Supervised Segmentation with Cross Pseudo Supervision",
    "Consistency regularization for semi-supervised segmentation",
]


def test_a_name_is_the_phrase_a_groups_titles_share() -> None:
    names = name_groups([NOISY, SEMI])
    # Each group's titles share exactly one run of words that the other lacks.
    assert names[0][0].lower() == "noisy labels"
    assert names[1][0].lower() == "semi-supervised segmentation"
    assert bad_names([(n[0], g) for n, g in zip(names, [NOISY, SEMI], strict=True)]) == []


def test_what_most_of_the_corpus_shares_names_nothing() -> None:
    # The same two groups in a corpus where every title says "medical image": the
    # phrase is in each group's titles but sets neither group apart in the corpus.
    noisy = [f"{t} in medical image analysis" for t in NOISY]
    semi = [f"{t} in medical image analysis" for t in SEMI]
    corpus = [*noisy, *semi] + [f"Medical image analysis, part {i}" for i in range(30)]
    names = name_groups([noisy, semi], corpus)
    assert all("medical" not in n.lower() and "image" not in n.lower() for g in names for n in g)
    # The same holds for a corpus of another field, with no list of its words.
    quantum = [f"Quantum field theory and {t}" for t in NOISY + SEMI]
    corpus = quantum + [f"Quantum field theory, lecture {i}" for i in range(30)]
    names = name_groups([quantum[:3], quantum[3:]], corpus)
    assert all("quantum" not in n.lower() for g in names for n in g)


def test_a_name_is_no_title_and_no_two_groups_share_one() -> None:
    titles = [
        ["Segment Anything", "Segment Anything for Microscopy"],
        ["Segment Anything in Medical Images", "Prompting Segment Anything"],
    ]
    names = name_groups(titles)
    assert bad_names([(n[0], g) for n, g in zip(names, titles, strict=True)]) == []


def test_group_into_themes_keeps_every_paper_once() -> None:
    papers = [
        P(f"p{i}", t)
        for i, t in enumerate(
            [*NOISY, "Noisy labels, again", *SEMI, "Semi-supervised segmentation of the prostate"]
        )
    ]
    themes = group_into_themes(papers, _blobs(4, 4), max_themes=3)
    assert sorted(pid for t in themes for pid in t.paper_ids) == sorted(p.id for p in papers)
    assert [t.title.lower() for t in themes] == ["noisy labels", "semi-supervised segmentation"]
    assert all(t.source == "clusters" for t in themes)


# -- names on real corpora -------------------------------------------------------------


@pytest.fixture(scope="module")
def physics_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the 200 physics and mathematics papers (built once for this module)."""
    home = tmp_path_factory.mktemp("physics") / "home"
    env = {**os.environ, "REVIEWER_HOME": str(home)}
    env.pop("REVIEWER_CHROMA_URL", None)
    subprocess.run(
        [sys.executable, "-m", "reviewer", "ingest", str(PHYSICS)],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return home


def _groupings(home: Path, topics: Sequence[str]) -> dict[str, list[tuple[str, list[str]]]]:
    """Every grouping without a model: the digest of the whole store and one outline per
    topic, each as (theme name, titles of its papers)."""
    out: dict[str, list[tuple[str, list[str]]]] = {}
    with Reviewer(home=home) as rv:
        digest = rv.digest(since="1990-01-01", until="2030-12-31", dry_run=True)
        out["digest of the whole store"] = [
            (t["title"], [p["title"] for p in t["papers"]]) for t in digest.themes or []
        ]
        for topic in topics:
            outline = rv.outline(topic, k=12, themes=4, extractive=True)
            out[f"outline {topic!r}"] = [
                (t["title"], [outline.titles[pid] for pid in t["paper_ids"]])
                for t in outline.themes
            ]
    return out


def _check_and_print(corpus: str, groupings: dict[str, list[tuple[str, list[str]]]]) -> None:
    problems = []
    for what, themes in groupings.items():
        print(f"\n{corpus}, {what}: {len(themes)} themes")
        for name, titles in themes:
            print(f"  [{len(titles):3}] {name}")
        assert len(themes) >= 2, f"{what}: one theme only"
        problems += [f"{what}: {p}" for p in bad_names(themes)]
    assert problems == []


def test_theme_names_on_the_demo_corpus(seeded_home: Path) -> None:
    topics = [
        "learning with noisy labels",
        "semi-supervised medical image segmentation",
        "segment anything model adaptation",
        "uncertainty estimation",
    ]
    groupings = _groupings(seeded_home, topics)
    _check_and_print("demo corpus (medical imaging)", groupings)
    # --themes 4 over 12 papers: four themes.
    assert all(len(themes) == 4 for what, themes in groupings.items() if what.startswith("outline"))


def test_theme_names_on_a_physics_and_mathematics_corpus(physics_home: Path) -> None:
    topics = ["dark matter", "quantum gravity", "superconductivity", "graph theory"]
    groupings = _groupings(physics_home, topics)
    _check_and_print("arXiv 0704.0001-0200 (physics, mathematics)", groupings)
    assert all(len(themes) == 4 for what, themes in groupings.items() if what.startswith("outline"))


# -- --themes N with a model -------------------------------------------------------------


class Notes:
    """A Reporter that keeps the notes."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        self.notes.append(message)

    def start(self, total: int, label: str) -> None: ...

    def advance(self, done: int = 1) -> None: ...

    def finish(self) -> None: ...


TOPIC = "semi-supervised medical image segmentation"


def _outline_papers(home: Path) -> list[tuple[str, str]]:
    """The citation key and title of the ten papers the outline will hold, read from
    what the model is sent (in a first run whose answers are all unusable)."""
    with FaultServer(default=("answer", "{}")) as model:
        with Reviewer(home=home, model="openai/fault-test", api_base=model.url) as rv:
            titles = rv.outline(TOPIC, k=10, themes=3, expand=False).titles.values()
        prompt = model.requests[0].messages[-1]["content"]
    papers = []
    for key, rest in re.findall(r"^- (\S+): (.*)$", prompt, flags=re.MULTILINE):
        rest = re.sub(r"</?paper_\w+[^>]*>", "", rest)  # the title is fenced
        papers.append((key, next(t for t in titles if rest.startswith(t))))
    assert len(papers) == 10
    return papers


def _theme(papers: list[tuple[str, str]]) -> dict[str, Any]:
    """A theme of these papers, titled by the longest word of the first one's title."""
    title = max(re.findall(r"[A-Za-z]{5,}", papers[0][1]), key=len)
    return {"title": title, "papers": [k for k, _ in papers]}


def test_a_short_outline_is_asked_again_then_split_by_similarity(seeded_home: Path) -> None:
    papers = _outline_papers(seeded_home)
    notes = Notes()
    # The model puts all ten papers into one theme, every time it is asked.
    one = json.dumps({"themes": [_theme(papers)]})
    with FaultServer(default=("answer", one)) as model:
        with Reviewer(
            home=seeded_home, model="openai/fault-test", api_base=model.url, reporter=notes
        ) as rv:
            outline = rv.outline(TOPIC, k=10, themes=3, expand=False, refresh=True)
        asked = [r.messages for r in model.requests]
    assert len(asked) == 3  # the question and two re-asks (REVIEWER_LLM_REASKS=2)
    assert "asked for 3 themes over 10 papers; got 1" in json.dumps(asked[1])
    assert len(outline.themes) == 3
    assert sorted(p for t in outline.themes for p in t["paper_ids"]) == sorted(outline.titles)
    assert all(t["source"] == "clusters" for t in outline.themes)
    assert any("split by similarity" in n and "into 3" in n for n in notes.notes)
    themes = [(t["title"], [outline.titles[p] for p in t["paper_ids"]]) for t in outline.themes]
    print("\nsplit outline:", [(name, len(titles)) for name, titles in themes])
    assert bad_names(themes) == []


def test_a_short_outline_fixed_on_the_re_ask_is_kept(seeded_home: Path) -> None:
    papers = _outline_papers(seeded_home)
    script: list[tuple[Any, ...]] = [
        ("answer", json.dumps({"themes": [_theme(papers)]})),
        ("answer", json.dumps({"themes": [_theme(papers[i::3]) for i in range(3)]})),
    ]
    notes = Notes()
    with FaultServer(script) as model:
        with Reviewer(
            home=seeded_home, model="openai/fault-test", api_base=model.url, reporter=notes
        ) as rv:
            outline = rv.outline(TOPIC, k=10, themes=3, expand=False, refresh=True)
        assert len(model.requests) == 2
    assert [t["source"] for t in outline.themes] == ["model"] * 3
    got = [sorted(outline.titles[p] for p in t["paper_ids"]) for t in outline.themes]
    assert got == [sorted(t for _, t in papers[i::3]) for i in range(3)]
    assert not any("split" in n for n in notes.notes)
