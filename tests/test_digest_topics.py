"""`reviewer digest --topic` keeps the papers that are about a topic (issue 14): digests of
the real papers of the demo corpus (through the Python API), and the parts of the
relevance on small texts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewer import Reviewer
from reviewer.index.store import Store
from reviewer.tasks.digest import DEFAULT_MIN_SCORE
from reviewer.tasks.topic_relevance import (
    Words,
    acronyms,
    combine,
    expand_acronyms,
    paper_words,
    topic_units,
)


@pytest.fixture
def rv(seeded_home: Path) -> Iterator[Reviewer]:
    with Reviewer(home=seeded_home) as reviewer:
        yield reviewer


@pytest.fixture
def store(rv: Reviewer) -> Store:
    return rv.store


def kept(rv: Reviewer, topic: str) -> dict[str, dict[str, Any]]:
    """The demo papers a dry-run digest of the whole corpus (all of it is new: nothing was
    sent yet) keeps for ``topic``: title -> why it was kept (its ``kept_for`` entry)."""
    run = rv.digest(new=True, topics=[topic], dry_run=True)
    assert run.min_score == DEFAULT_MIN_SCORE and run.papers_in_window == 423
    return {
        paper["title"]: paper["kept_for"][0]
        for theme in run.themes or []
        for paper in theme["papers"]
    }


def test_the_issues_false_keeps_are_refused_and_papers_about_the_topic_kept(rv: Reviewer) -> None:
    vlm = kept(rv, "vision-language models")
    refused = [
        # Uses general-purpose VLMs once, as a tool, in its fifth sentence.
        "From Explainable to Explained AI: Ideas for Falsifying and Quantifying Explanations",
        # "vision transformers" and "large language models": the parts, apart.
        "A Systematic Review on the Generative AI Applications in Human Medical Genomics",
    ]
    assert not set(refused) & set(vlm)
    about = "Taming Vision-Language Models for Medical Image Analysis: A Comprehensive Review"
    assert vlm[about]["in_title"] == 1.0 and vlm[about]["together"] == 1.0
    uncertainty = kept(rv, "uncertainty")
    # One sentence in passing, at similarity 0.10.
    assert "Jacobi Prior: An Alternative Bayesian Method for Supervised Learning" not in uncertainty
    assert any(t.startswith("CheXmask-U: Quantifying uncertainty") for t in uncertainty)
    diffusion = kept(rv, "diffusion models for image synthesis")
    lung = "Lung-DDPM: Semantic Layout-guided Diffusion Models for Thoracic CT Image Synthesis"
    assert diffusion[lung]["in_title"] == 1.0
    # kept_for says what the relevance is made of.
    for why in [*vlm.values(), *uncertainty.values(), *diffusion.values()]:
        assert why["relevance"] >= DEFAULT_MIN_SCORE and why["words_counted"]
        assert why["similarity_z"] >= 0 and 0 < why["words"] <= 1
        assert {"typical_similarity", "topic_terms", "in_title", "mentions"} <= set(why)


def test_a_hyphenated_topic_matches_its_phrase_not_its_parts_apart(store: Store) -> None:
    units, pairs = topic_units("vision-language models", store.lexical())
    assert [u.text for u in units] == ["vision-language", "models"]
    title = "Adapting foundation models to radiology"

    def words(abstract: str) -> Words:
        return paper_words(units, pairs, title, abstract)

    phrase = words("We study vision-language models. Vision-language models help.")
    spaced = words("We study vision language models. Vision language models help.")
    small_word = words("We study vision-and-language models. They help.")
    apart = words("We study a vision transformer. Large language models help.")
    assert phrase.terms == spaced.terms == small_word.terms == 1.0
    assert phrase.together == 1.0 and apart.together == 0.0
    assert apart.terms < 0.2  # only "models": the compound is not found
    assert apart.score < phrase.score / 2
    # "pre-training" and "pretraining" are the same word; "self-supervised" a phrase.
    units, pairs = topic_units("self-supervised pretraining", store.lexical())
    for text in ("Self-supervised pre-training for CT", "Self supervised pretraining for CT"):
        assert paper_words(units, pairs, text, "").in_title == 1.0


def test_words_together_and_early_count_more_than_scattered_and_in_passing(store: Store) -> None:
    units, pairs = topic_units("active learning", store.lexical())
    together = paper_words(units, pairs, "Active learning for CT", "")
    apart = paper_words(units, pairs, "Active contours for CT", "We train a deep learning model.")
    assert together.together == 1.0 and apart.together == 0.0
    assert together.score > apart.score
    lead = "An uncertainty map. Two. Three. Four. Five."
    late = "One. Two. Three. Four. An uncertainty map."
    units, pairs = topic_units("uncertainty", store.lexical())
    early = paper_words(units, pairs, "A method", lead)
    passing = paper_words(units, pairs, "A method", late)
    assert early.terms == passing.terms == 1.0
    assert passing.score < early.score / 2


def test_a_defined_acronym_counts_as_its_long_form() -> None:
    text = "Vision-language models (VLMs) are used. We adapt VLMs and a VLM."
    defined = acronyms(text)
    assert defined == {"VLM": "Vision-language model"}
    assert expand_acronyms(text, defined).count("Vision-language model") == 3
    assert acronyms("a graphics card (GPU) and the (CT) scan") == {}


def test_words_alone_never_keep_a_paper_below_the_stores_typical_similarity() -> None:
    every_word = Words(score=1.0, terms=1.0, in_title=1.0, together=1.0, mentions=5)
    below = combine(similarity=0.18, typical=0.2, spread=0.08, words=every_word)
    above = combine(similarity=0.3, typical=0.2, spread=0.08, words=every_word)
    assert not below.words_counted and below.relevance < DEFAULT_MIN_SCORE
    assert above.words_counted and above.relevance >= DEFAULT_MIN_SCORE
    assert 0 <= below.relevance < above.relevance <= 1
