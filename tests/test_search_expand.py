"""`reviewer search` widened by the model (reviewer/tasks/expand.py): what it does without a
model and with --no-expand, what its JSON says was fused, the fusion itself, and the error
paths against the hand-written stand-in server (tests/fault_server.py): a model that runs
out of the time budget, answers nothing usable, or fails in transport. In every such case
the plain results come back with one note. The success path against a real model is
tests/test_search_expand_cassettes.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fault_server import FaultServer

from reviewer import Reviewer
from reviewer.progress import CollectingReporter

QUERY = "equitable model performance across patient sex, age and race subgroups"
# Hand-written answers of the stand-in: shaped like the schemas, but their words are
# meant only to be told apart, not to be good phrasings.
STANDIN_VARIANTS = json.dumps({"queries": ["fairness of medical imaging models across groups"]})
STANDIN_ABSTRACT = json.dumps(
    {
        "abstract": "Deep learning models for medical image classification can perform "
        "unequally across demographic subgroups of patients. We audit chest radiograph and "
        "dermatology classifiers for disparities in accuracy between groups defined by sex, "
        "age and race, analyse the sources of bias such as dataset imbalance and shortcut "
        "learning, and compare mitigation methods including reweighting, group-balanced "
        "training and adversarial debiasing with respect to fairness metrics and overall "
        "diagnostic performance."
    }
)
UNREADABLE = "this is not JSON at all"
WEAK_MATCH = "Nothing in the store matches this well"


def _ids(hits: list[Any]) -> list[str]:
    return [h["id"] if isinstance(h, dict) else getattr(h, "paper", h).id for h in hits]


# -- without a model -----------------------------------------------------------------------


def test_without_a_model_search_is_the_query_alone_and_says_nothing_of_expansion(
    seeded_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REVIEWER_MODEL", raising=False)
    plain = run_cli("search", QUERY, "-k", "5", "--json", check=True)
    skipped = run_cli("search", QUERY, "-k", "5", "--json", "--no-expand", check=True)
    hits = json.loads(plain.stdout)
    assert len(hits) == 5 and hits == json.loads(skipped.stdout)
    for hit in hits:
        # Nothing was fused but the query; its ranking is the hybrid ranking shown.
        assert hit["queries"] == [{"kind": "query", "text": QUERY, "rank": hit["rank"]}]
    for err in (plain.stderr, skipped.stderr):
        assert "expan" not in err.lower() and "also searching" not in err.lower()


def test_no_expand_asks_no_model(
    seeded_home: Path, monkeypatch: pytest.MonkeyPatch, fault: FaultServer
) -> None:
    hits, notes = _search(expand=False)
    assert len(hits) == 10 and fault.requests == []
    assert notes == []
    assert all([q.kind for q in h.queries] == ["query"] for h in hits)


# -- the fusion (library) ------------------------------------------------------------------


def test_variants_and_a_hypothetical_abstract_are_fused_and_each_rank_is_reported(
    seeded_home: Path,
) -> None:
    from reviewer.index.search import search

    store = Reviewer().store
    variants = ["fairness of deep learning models across demographic groups"]
    abstract = json.loads(STANDIN_ABSTRACT)["abstract"]
    plain = search(store, QUERY, k=20)
    widened = search(store, QUERY, k=20, variants=variants, hypothetical=abstract)
    # Each ranking on its own, from the same 100 candidates the widened search takes: the
    # query's (hybrid: two lists of 100 fused, up to 200 papers), the variant's BM25
    # ranking, the hypothetical abstract's vector ranking.
    alone = [
        search(store, QUERY, k=200, candidates=100),
        search(store, variants[0], k=200, mode="lexical", candidates=100),
        search(store, abstract, k=200, mode="dense", candidates=100),
    ]
    assert all(len(h.query_ranks) == 1 and h.query_ranks[0] == i for i, h in enumerate(plain, 1))
    assert _ids(widened) != _ids(plain)
    for hit in widened:
        expected = [
            next((i for i, h in enumerate(r, 1) if h.paper.id == hit.paper.id), None) for r in alone
        ]
        assert list(hit.query_ranks) == expected


def _nearest(store: Any, vector: Any, k: int) -> list[str]:
    """The ``k`` stored papers whose vectors are nearest ``vector``, by cosine, with numpy."""
    import numpy as np

    ids = store.collection.get(include=[])["ids"]
    matrix = store.vectors(ids)
    matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    order = np.argsort(-(matrix @ (vector / np.linalg.norm(vector))), kind="stable")
    return [ids[i] for i in order[:k]]


def test_dense_mode_blends_the_hypothetical_abstract_into_the_query_and_uses_no_variant(
    seeded_home: Path,
) -> None:
    """HyDE: the abstract's vector joins the query's (a fifth of the blend); the papers
    nearest that blend come first. Variants do not take part in dense mode."""
    import numpy as np

    from reviewer.index.search import search

    store = Reviewer().store
    abstract = json.loads(STANDIN_ABSTRACT)["abstract"]
    embedder = store.embedder()
    q, h = (np.asarray(embedder.embed_query(t)) for t in (QUERY, abstract))
    blend = 0.8 * q / np.linalg.norm(q) + 0.2 * h / np.linalg.norm(h)
    hits = search(
        store, QUERY, k=10, mode="dense", variants=["unrelated words"], hypothetical=abstract
    )
    assert _ids(hits) == _nearest(store, blend, 10)
    assert _ids(hits) != _ids(search(store, QUERY, k=10, mode="dense"))
    assert all(h.query_ranks[1] is None for h in hits)


def test_a_variant_that_finds_other_papers_than_the_query_changes_nothing(
    seeded_home: Path,
) -> None:
    """A drifting variant ("machine learning" for "reinforcement learning") is weighted by
    how many of its best papers the query itself ranks high: none, nothing."""
    from reviewer.index.search import search

    store = Reviewer().store
    drift = "machine learning"
    own = search(store, QUERY, k=20, mode="lexical")
    theirs = search(store, drift, k=10, mode="lexical")
    assert not set(_ids(own)) & set(_ids(theirs))  # the premise: other papers altogether
    widened = search(store, QUERY, k=20, mode="lexical", variants=[drift])
    assert [(h.paper.id, h.score) for h in widened] == [(h.paper.id, h.score) for h in own]


def test_lexical_mode_fuses_the_variants_but_not_the_hypothetical_abstract(
    seeded_home: Path,
) -> None:
    from reviewer.index.search import search

    store = Reviewer().store
    variants = ["fairness of deep learning models across demographic groups"]
    hits = search(store, QUERY, k=10, mode="lexical", variants=variants, hypothetical="ignored")
    assert hits and all(len(h.query_ranks) == 2 and h.dense_rank is None for h in hits)


# -- error paths, against the hand-written stand-in server ---------------------------------


@pytest.fixture
def fault(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    with FaultServer() as server:
        monkeypatch.setenv("REVIEWER_MODEL", "openai/standin")
        monkeypatch.setenv("REVIEWER_API_BASE", server.url)
        monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "5")
        monkeypatch.setenv("REVIEWER_LLM_RETRIES", "0")
        monkeypatch.setenv("REVIEWER_LLM_REASKS", "0")
        yield server


def _search(expand: bool = True, mode: str = "hybrid") -> tuple[list[Any], list[str]]:
    """The hits, and the notes but the one on how well the best hit matches the query."""
    reporter = CollectingReporter()
    hits = Reviewer(reporter=reporter).search(QUERY, k=10, mode=mode, expand=expand)
    return hits, [n for n in reporter.notes if not n.startswith(WEAK_MATCH)]


def test_standin_variants_and_abstract_widen_the_search(
    seeded_home: Path, fault: FaultServer
) -> None:
    """The plumbing with the stand-in's hand-written answers: two requests (the prompts
    expand_query and hypothetical_abstract), then both answers are fused; asked again,
    the cache answers."""
    fault.push(("answer", STANDIN_VARIANTS), ("answer", STANDIN_ABSTRACT))
    hits, notes = _search()
    assert len(fault.requests) == 2
    variants_asked, abstract_asked = (r.messages for r in fault.requests)
    assert (
        "search queries" in variants_asked[0]["content"] and QUERY in variants_asked[1]["content"]
    )
    assert "abstract" in abstract_asked[0]["content"]
    assert abstract_asked[1]["content"] == "Search: " + QUERY
    kinds = [q.kind for q in hits[0].queries]
    assert kinds == ["query", "variant", "hypothetical"]
    assert hits[0].queries[1].text == json.loads(STANDIN_VARIANTS)["queries"][0]
    assert notes == [
        "Also searching: fairness of medical imaging models across groups | a hypothetical abstract"
    ]
    again, _ = _search()
    assert len(fault.requests) == 2 and _ids(again) == _ids(hits)
    assert _ids(hits) != _ids(_search(expand=False)[0])


def test_standin_lexical_mode_asks_for_no_hypothetical_abstract(
    seeded_home: Path, fault: FaultServer
) -> None:
    fault.push(("answer", STANDIN_VARIANTS))
    hits, _ = _search(mode="lexical")
    assert len(fault.requests) == 1
    assert [q.kind for q in hits[0].queries] == ["query", "variant"]


def test_standin_dense_mode_asks_for_no_variants(seeded_home: Path, fault: FaultServer) -> None:
    fault.push(("answer", STANDIN_ABSTRACT))
    hits, _ = _search(mode="dense")
    assert len(fault.requests) == 1
    assert "abstract" in fault.requests[0].messages[0]["content"]
    assert [q.kind for q in hits[0].queries] == ["query", "hypothetical"]


def test_standin_silent_past_the_budget_gives_the_plain_results_and_one_note(
    seeded_home: Path, fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_EXPAND_BUDGET", "1")
    fault.push(("sleep", 3.0, STANDIN_VARIANTS))
    hits, notes = _search()
    assert _ids(hits) == _ids(_search(expand=False)[0])
    assert all([q.kind for q in h.queries] == ["query"] for h in hits)
    assert notes == [
        "Query variants skipped: the model took longer than 1 s; searched the query only."
    ]
    assert len(fault.requests) == 1  # the hypothetical abstract is not asked


def test_standin_unreadable_answers_give_the_plain_results_and_a_note_each(
    seeded_home: Path, fault: FaultServer
) -> None:
    fault.push(("answer", UNREADABLE), ("answer", UNREADABLE))
    hits, notes = _search()
    assert _ids(hits) == _ids(_search(expand=False)[0])
    assert notes == [
        "The model's query variants were unreadable; left out.",
        "The model's hypothetical abstract was unusable; left out.",
    ]


def test_standin_too_short_abstract_is_left_out_and_the_variants_kept(
    seeded_home: Path, fault: FaultServer
) -> None:
    fault.push(("answer", STANDIN_VARIANTS), ("answer", json.dumps({"abstract": "Fair models."})))
    hits, notes = _search()
    assert [q.kind for q in hits[0].queries] == ["query", "variant"]
    assert notes[-1] == "The model's hypothetical abstract was unusable; left out."


def test_standin_server_error_is_one_line_on_stderr_and_the_plain_results(
    seeded_home: Path, fault: FaultServer
) -> None:
    fault.default = ("status", 500)
    widened = run_cli("search", QUERY, "-k", "5", "--json")
    plain = run_cli("search", QUERY, "-k", "5", "--json", "--no-expand", check=True)
    assert widened.returncode == 0, widened.stderr
    assert json.loads(widened.stdout) == json.loads(plain.stdout)
    lines = [ln for ln in widened.stderr.splitlines() if not ln.startswith(WEAK_MATCH)]
    assert len(lines) == 1, widened.stderr
    assert lines[0].startswith("Query expansion failed: ") and "searched the query only" in lines[0]
    assert "Traceback" not in widened.stderr
    assert len(fault.requests) == 1  # one failed request, not retried, nothing more asked


def test_a_model_that_needs_a_missing_key_is_a_note_not_an_error(
    seeded_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_MODEL", "gpt-4o-mini")
    monkeypatch.delenv("REVIEWER_API_BASE", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    hits, notes = _search()
    assert len(hits) == 10
    assert len(notes) == 1 and notes[0].startswith("Query expansion failed: model gpt-4o-mini")
