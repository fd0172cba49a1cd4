"""Merging duplicates: one record per paper across the seed files and sources."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import SEEDS

from reviewer.corpus.dedupe import group_duplicates, identity_keys, merge_duplicates
from reviewer.corpus.ids import canonical_id, title_hash
from reviewer.corpus.model import Paper, Source
from reviewer.corpus.readers import read_file

REVISED = {
    "2505.17457": (
        "Hypergraph Mamba for Efficient Whole Slide Image Understanding",
        "Graph Mamba for Efficient Whole Slide Image Understanding",
    ),
    "2504.08584": (
        "Boosting multi-demographic federated learning for chest radiograph analysis using "
        "general-purpose self-supervised representations",
        "Boosting multi-demographic federated learning for chest x-ray analysis using "
        "general-purpose self-supervised representations",
    ),
    "2504.04482": (
        "Statistical Management of the False Discovery Rate in Medical Instance "
        "Segmentation Based on Conformal Risk Control",
        "Statistical Guarantees Of False Discovery Rate In Medical Instance Segmentation "
        "Tasks Based on Conformal Risk Control",
    ),
}


@pytest.fixture(scope="module")
def seed_entries() -> list[Paper]:
    entries: list[Paper] = []
    for seed in SEEDS:
        entries.extend(read_file(seed)[1])
    return entries


@pytest.fixture(scope="module")
def merged(seed_entries: list[Paper]) -> list[Paper]:
    return merge_duplicates(seed_entries)


def _paper(title: str, n: int = 1, **fields: object) -> Paper:
    paper = Paper.model_validate(
        {
            "title": title,
            "sources": [Source(path=f"/data/f{n}.json", format="json", entry=f"record {n}")],
            **fields,
        }
    )
    paper.id = canonical_id(paper.arxiv_id, paper.doi, paper.title)
    return paper


def test_seed_entries_merge_to_423_papers(seed_entries: list[Paper], merged: list[Paper]) -> None:
    assert len(seed_entries) == 200 + 108 + 19 + 119
    assert len(merged) == 423
    ids = [p.id for p in merged]
    assert len(set(ids)) == 423
    assert all(p.id == canonical_id(p.arxiv_id, p.doi, p.title) for p in merged)
    # every entry ends up in exactly one merged record
    sources = [s for p in merged for s in p.sources]
    assert len(sources) == len(set(sources)) == len(seed_entries)


@pytest.mark.parametrize("arxiv_id", sorted(REVISED))
def test_revised_titles_merge_under_the_newest_title(merged: list[Paper], arxiv_id: str) -> None:
    newest, older = REVISED[arxiv_id]
    (paper,) = [p for p in merged if p.arxiv_id == arxiv_id]
    assert paper.id == f"arxiv:{arxiv_id}"
    assert paper.arxiv_version == 2
    assert paper.title == newest
    assert paper.other_titles == [older]
    assert len(paper.sources) == 2
    assert not [p for p in merged if p.title == older]


def test_technical_reports_with_similar_titles_stay_apart(merged: list[Paper]) -> None:
    reports = [p for p in merged if p.title.endswith("Technical Report")]
    by_title = {p.title: p for p in reports}
    assert set(by_title) >= {"iMedImage Technical Report", "MedGemma Technical Report"}
    imed, medgemma = by_title["iMedImage Technical Report"], by_title["MedGemma Technical Report"]
    assert imed.id == "arxiv:2503.21836"
    assert medgemma.id == f"title:{title_hash('MedGemma Technical Report')}"
    assert imed.other_titles == [] and medgemma.other_titles == []
    assert [s.format for s in imed.sources] == ["arxiv-table"]
    assert [s.format for s in medgemma.sources] == ["hf-page"]


def test_cross_file_duplicates_union_their_sources(merged: list[Paper]) -> None:
    formats = [{s.format for s in p.sources} for p in merged]
    both = [p for p, f in zip(merged, formats, strict=True) if f == {"arxiv-table", "hf-page"}]
    assert both
    for paper in both:
        # The arXiv entry gives the id and date; the HF entry adds a source only.
        assert paper.id.startswith("arxiv:")
        assert paper.published is not None
        paths = {s.path for s in paper.sources}
        assert len(paths) >= 2


def test_longest_complete_abstract_wins() -> None:
    short = _paper("Same Paper", 1, abstract="Short but complete.")
    longer = _paper("Same Paper", 2, abstract="A longer abstract that is also complete.")
    cut = _paper(
        "Same Paper",
        3,
        abstract="The longest abstract of all, but the source cut it off in the mid",
        abstract_truncated=True,
    )
    for order in ([short, longer, cut], [cut, longer, short], [longer, cut, short]):
        (paper,) = merge_duplicates(order)
        assert paper.abstract == "A longer abstract that is also complete."
        assert paper.abstract_truncated is False
    # Only cut-off abstracts: the longest of them, still flagged truncated.
    cut_short = _paper("Same Paper", 4, abstract="Cut off e", abstract_truncated=True)
    (paper,) = merge_duplicates([cut_short, cut])
    assert paper.abstract == cut.abstract
    assert paper.abstract_truncated is True
    # An empty abstract never wins.
    (paper,) = merge_duplicates([_paper("Same Paper", 5), cut_short])
    assert paper.abstract == "Cut off e"


def test_sources_links_and_categories_are_unioned() -> None:
    a = _paper(
        "Union Paper",
        1,
        arxiv_id="2501.00001",
        arxiv_version=1,
        categories=["cs.CV"],
        code_urls=["https://github.com/a/one"],
        comment="8 pages",
    )
    b = _paper(
        "Union Paper",
        2,
        arxiv_id="2501.00001",
        arxiv_version=2,
        categories=["cs.CV", "eess.IV"],
        code_urls=["https://github.com/a/two", "https://github.com/a/one"],
        comment="8 pages, accepted at MICCAI",
        pdf_url="https://arxiv.org/pdf/2501.00001v2",
    )
    (paper,) = merge_duplicates([a, b, a])
    assert paper.sources == [*a.sources, *b.sources]
    assert paper.categories == ["cs.CV", "eess.IV"]
    assert paper.code_urls == ["https://github.com/a/one", "https://github.com/a/two"]
    assert paper.comment == "8 pages, accepted at MICCAI"
    assert paper.pdf_url == "https://arxiv.org/pdf/2501.00001v2"
    assert paper.arxiv_version == 2


def test_earliest_published_kept_and_latest_date_is_updated() -> None:
    records = [
        _paper("Dated Paper", 1, arxiv_id="2501.00009", published=date(2025, 3, 1)),
        _paper("Dated Paper", 2, arxiv_id="2501.00009", published=date(2025, 1, 15)),
        _paper("Dated Paper", 3, arxiv_id="2501.00009", updated=date(2025, 6, 30)),
    ]
    (paper,) = merge_duplicates(records)
    assert paper.published == date(2025, 1, 15)
    assert paper.updated == date(2025, 6, 30)
    assert paper.year == 2025
    (single,) = merge_duplicates(records[:1])
    assert (single.published, single.updated) == (date(2025, 3, 1), None)


def test_same_title_different_arxiv_ids_stay_apart() -> None:
    one = _paper("A Common Title", 1, arxiv_id="2501.00001")
    two = _paper("A Common Title", 2, arxiv_id="2501.00002")
    merged = merge_duplicates([one, two])
    assert [p.id for p in merged] == ["arxiv:2501.00001", "arxiv:2501.00002"]
    assert [p.sources for p in merged] == [one.sources, two.sources]


def test_same_title_different_dois_stay_apart_without_an_arxiv_id() -> None:
    one = _paper("A Common Title", 1, doi="10.1000/one")
    two = _paper("A Common Title", 2, doi="10.1000/two")
    assert [p.id for p in merge_duplicates([one, two])] == ["doi:10.1000/one", "doi:10.1000/two"]
    # An arXiv id ties a preprint DOI to a journal DOI of the same paper.
    three = _paper("A Common Title", 3, arxiv_id="2501.00003", doi="10.1000/one")
    four = _paper("A Common Title", 4, arxiv_id="2501.00003", doi="10.1000/two")
    (paper,) = merge_duplicates([three, four])
    assert (paper.id, paper.doi) == ("arxiv:2501.00003", "10.1000/one")


def test_title_only_entry_joins_the_arxiv_entry_and_takes_its_id() -> None:
    hf = _paper("A Shared Title: With Punctuation", 1, abstract="From the HF page.")
    arxiv = _paper(
        "A shared title -- with punctuation",
        2,
        arxiv_id="2501.00077",
        arxiv_version=1,
        abstract="From arXiv, longer and complete.",
    )
    for order in ([hf, arxiv], [arxiv, hf]):
        (paper,) = merge_duplicates(order)
        assert paper.id == "arxiv:2501.00077"
        assert paper.arxiv_id == "2501.00077"
        assert paper.title == "A shared title -- with punctuation"  # the versioned record
        assert paper.other_titles == []  # same normalized title
        assert paper.abstract == "From arXiv, longer and complete."
        assert paper.sources == [*order[0].sources, *order[1].sources]


def test_merge_is_idempotent_on_the_seeds(seed_entries: list[Paper], merged: list[Paper]) -> None:
    again = merge_duplicates([*merged, *seed_entries])
    assert [p.content_hash() for p in again] == [p.content_hash() for p in merged]
    assert [p.content_hash() for p in merge_duplicates(merged)] == [
        p.content_hash() for p in merged
    ]


def test_merge_is_idempotent_with_two_dois_and_an_arxiv_id() -> None:
    records = [
        _paper("Deep Testing of Neural Networks", 1, doi="10.1000/conference", abstract="A."),
        _paper("Deep Testing of Neural Networks", 2, doi="10.1000/journal", abstract="B."),
        _paper("Deep Testing of Neural Networks", 3, arxiv_id="2401.00001", abstract="C."),
    ]
    first = merge_duplicates(records)
    again = merge_duplicates([*first, *records])
    assert [p.content_hash() for p in again] == [p.content_hash() for p in first]


def test_order_of_first_appearance_is_kept(seed_entries: list[Paper], merged: list[Paper]) -> None:
    position = {entry.sources[0]: i for i, entry in enumerate(seed_entries)}
    firsts = [min(position[s] for s in p.sources) for p in merged]
    assert firsts == sorted(firsts)
    assert firsts[0] == 0
    assert merged[0].title == seed_entries[0].title

    a, b, c = _paper("Alpha", 1), _paper("Beta", 2), _paper("Gamma", 3)
    a2 = _paper("alpha.", 4)
    assert [p.title for p in merge_duplicates([b, a, c, a2])] == ["Beta", "Alpha", "Gamma"]
    assert [p.title for p in merge_duplicates([c, a2, b, a])] == ["Gamma", "alpha.", "Beta"]


def test_group_duplicates_and_identity_keys() -> None:
    paper = _paper(
        "New Title",
        1,
        arxiv_id="2501.00005",
        doi="10.1000/x",
        other_titles=["Old Title", "new title!"],
    )
    assert identity_keys(paper) == [
        "arxiv:2501.00005",
        "doi:10.1000/x",
        "title:new title",
        "title:old title",
    ]
    papers = [
        _paper("Old Title", 2),
        _paper("Unrelated", 3),
        paper,
        _paper("Other", 4, doi="10.1000/x"),
    ]
    assert group_duplicates(papers) == [[0, 2, 3], [1]]


def test_entry_type_follows_the_entry_that_gave_the_venue() -> None:
    preprint = _paper("Typed Paper", 1, entry_type="misc")
    article = _paper("Typed Paper", 2, entry_type="article", venue="Medical Image Analysis")
    for order in ([preprint, article], [article, preprint]):
        (paper,) = merge_duplicates(order)
        assert (paper.entry_type, paper.venue) == ("article", "Medical Image Analysis")
    (paper,) = merge_duplicates([_paper("Typed Paper", 3), preprint])
    assert paper.entry_type == "misc"


def test_fields_at_their_defaults_hash_as_before_the_fields_existed() -> None:
    import hashlib
    import json

    paper = _paper("Hashed Paper", 1)
    old_fields = paper.model_dump(mode="json", exclude={"entry_type", "published_precision"})
    blob = json.dumps(old_fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
    assert paper.content_hash() == hashlib.sha256(blob).hexdigest()[:32]
    typed = paper.model_copy(update={"entry_type": "article"})
    assert typed.content_hash() != paper.content_hash()
    by_month = paper.model_copy(update={"published_precision": "month"})
    assert by_month.content_hash() != paper.content_hash()
