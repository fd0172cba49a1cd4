"""The incremental BM25 index answers as a fresh build of the same papers would,
whatever mix of builds, upserts, removals and folds got it there."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from reviewer.index.lexical import IndexedPaper, LexicalIndex, build

DEMO = Path(__file__).resolve().parent.parent / "reviewer" / "demo"
QUERIES = [
    "segment anything medical image segmentation",
    "federated learning privacy",
    "chest x-ray",
    "vision-language models",
    "uncertainty",
    "whole-slide pathology multiple instance learning",
]


def corpus(n: int, seed: int) -> list[IndexedPaper]:
    """``n`` papers whose texts recombine sentences of the demo abstracts."""
    texts = [t for f in sorted(DEMO.glob("*.txt")) for t in f.read_text().split("\n\n")]
    sentences = [s for t in texts if len(t) > 200 for s in t.split(". ")]
    rnd = random.Random(seed)
    return [
        IndexedPaper(f"p{i}", ". ".join(rnd.sample(sentences, 6)), 20200101, i % 3 == 0, (f"k{i}",))
        for i in range(n)
    ]


def answers(index: LexicalIndex) -> list[list[tuple[str, float]]]:
    return [index.search(q, 25) for q in QUERIES]


def same(a: list[list[tuple[str, float]]], b: list[list[tuple[str, float]]]) -> None:
    for got, want in zip(a, b, strict=True):
        assert [pid for pid, _ in got] == [pid for pid, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-9)


def test_upserts_and_removals_answer_like_a_fresh_build() -> None:
    papers = corpus(900, seed=1)
    rewritten = corpus(900, seed=2)[500:650]  # the same ids, new texts
    index = build("s", papers[:600])
    index.upsert(papers[550:900])  # 50 of them again, unchanged
    index.upsert(rewritten)
    gone = {f"p{i}" for i in range(0, 900, 7)}
    index.remove(sorted(gone))
    final = {p.id: p for p in [*papers, *rewritten] if p.id not in gone}
    fresh = build("s", list(final.values()))
    assert sorted(index.ids[r] for r in range(len(index.ids)) if index.alive[r]) == sorted(final)
    same(answers(index), answers(fresh))
    index._fold()  # the same papers after the delta is folded into the base
    assert sorted(index.ids) == sorted(final)
    same(answers(index), answers(fresh))


def test_a_saved_index_loads_with_the_same_answers(tmp_path: Path) -> None:
    papers = corpus(300, seed=3)
    index = build("s", papers[:250])
    index.upsert(papers[250:])
    index.remove(["p3", "p260"])
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None
    same(answers(loaded), answers(index))
