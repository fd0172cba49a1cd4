"""`reviewer digest --topic` keeps the papers that are about a topic (issue 14): scored on
the real papers of the demo corpus, in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer import Reviewer
from reviewer.index.store import Store
from reviewer.tasks.digest import DEFAULT_MIN_SCORE, topic_scores
from reviewer.tasks.topic_relevance import (
    Relevance,
    Words,
    acronyms,
    combine,
    expand_acronyms,
    paper_words,
    topic_units,
)


@pytest.fixture
def store(seeded_home: Path) -> Iterator[Store]:
    with Reviewer(home=seeded_home) as rv:
        yield rv.store


def scores(store: Store, topic: str, titles: list[str]) -> dict[str, Relevance]:
    """The relevance to ``topic`` of the demo papers whose titles start so."""
    ids = {}
    for stored in store.iter_all():
        for title in titles:
            if stored.paper.title.startswith(title):
                ids[title] = stored.paper.id
    assert sorted(ids) == sorted(titles), "a paper the test names is not in the demo corpus"
    found = topic_scores(store, topic, [ids[t] for t in titles])
    return dict(zip(titles, found, strict=True))


def test_the_issues_false_keeps_are_refused(store: Store) -> None:
    vlm = scores(
        store,
        "vision-language models",
        [
            # Uses general-purpose VLMs once, as a tool, in its fifth sentence.
            "From Explainable to Explained AI",
            # "vision transformers" and "large language models": the parts, apart.
            "A Systematic Review on the Generative AI Applications in Human Medical Genomics",
        ],
    )
    uncertainty = scores(store, "uncertainty", ["Jacobi Prior"])  # one sentence in passing
    for relevance in [*vlm.values(), *uncertainty.values()]:
        assert relevance.relevance < DEFAULT_MIN_SCORE, relevance
    genomics = vlm[
        "A Systematic Review on the Generative AI Applications in Human Medical Genomics"
    ]
    assert genomics.words.terms < 0.5  # "vision-language" itself is not there
    assert vlm["From Explainable to Explained AI"].words.in_title == 0


def test_papers_about_the_topic_with_its_words_in_the_title_are_kept(store: Store) -> None:
    kept = {
        **scores(store, "vision-language models", ["Taming Vision-Language Models"]),
        **scores(store, "uncertainty", ["CheXmask-U: Quantifying uncertainty"]),
        **scores(store, "diffusion models for image synthesis", ["Lung-DDPM"]),
    }
    for relevance in kept.values():
        assert relevance.relevance >= DEFAULT_MIN_SCORE, relevance
        assert relevance.words.in_title > 0.5 and relevance.words_counted


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
