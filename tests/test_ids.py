"""Paper identity: arXiv ids, DOIs, normalized titles and the canonical id."""

from __future__ import annotations

import pytest

from reviewer.corpus.ids import (
    arxiv_id_from_doi,
    canonical_id,
    normalize_doi,
    normalize_title,
    parse_arxiv_id,
    title_hash,
)

# --- parse_arxiv_id -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # new-style ids, 4- and 5-digit sequence numbers, with and without version
        ("0704.0001", ("0704.0001", None)),
        ("1707.08567", ("1707.08567", None)),
        ("2509.06617", ("2509.06617", None)),
        ("2509.06617v1", ("2509.06617", 1)),
        ("2404.11345v3", ("2404.11345", 3)),
        ("2202.12139v12", ("2202.12139", 12)),
        ("  2509.06617v2\n", ("2509.06617", 2)),
        # old-style archive ids
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("cs/0503050v1", ("cs/0503050", 1)),
        ("gr-qc/0103067", ("gr-qc/0103067", None)),
        # 'arXiv:' prefix, any case, with or without a space
        ("arXiv:2509.06617", ("2509.06617", None)),
        ("arXiv:2509.06617v4", ("2509.06617", 4)),
        ("ARXIV:2509.06617v4", ("2509.06617", 4)),
        ("arXiv: 2509.06617", ("2509.06617", None)),
        ("arXiv:hep-th/9901001v1", ("hep-th/9901001", 1)),
        # OAI identifiers (arXiv's RSS/Atom daily feeds)
        ("oai:arXiv.org:2508.13426v1", ("2508.13426", 1)),
        ("oai:arxiv.org:2508.13426", ("2508.13426", None)),
        ("oai:arXiv.org:cs/0503050v1", ("cs/0503050", 1)),
        # abs / pdf / html URLs, http and https, export mirror
        ("http://arxiv.org/abs/2509.06617v1", ("2509.06617", 1)),
        ("https://arxiv.org/abs/2509.06617", ("2509.06617", None)),
        ("https://arxiv.org/pdf/2202.12139v1", ("2202.12139", 1)),
        ("https://arxiv.org/pdf/2202.12139v2.pdf", ("2202.12139", 2)),
        ("https://arxiv.org/html/2508.13426v1", ("2508.13426", 1)),
        ("http://export.arxiv.org/abs/1707.08567v1", ("1707.08567", 1)),
        ("https://arxiv.org/abs/hep-th/9901001v3", ("hep-th/9901001", 3)),
        ("http://arxiv.org/abs/cs/0503050v1", ("cs/0503050", 1)),
    ],
)
def test_parse_arxiv_id_accepts_ids_prefixes_and_urls(
    text: str, expected: tuple[str, int | None]
) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello world",
        "Testing Deep Learning Models",
        "2509.066",  # too few digits
        "25090.06617",  # five-digit prefix
        "2509-06617",
        "2509.06617 is the id",  # not the whole string and not a URL
        "10.1109/ICSTW55395.2022.00035",  # a DOI
        "10.48550/arXiv.2509.06617",  # arXiv's DOI is not itself an id
        "https://github.com/riadhassan/EDLDNet",
        "http://arxiv.org/api/errors#incorrect_id_format_for_1234.1234v1",
        "oai:arXiv.org:",
        "arXiv:",
    ],
)
def test_parse_arxiv_id_rejects_junk(text: str) -> None:
    assert parse_arxiv_id(text) is None


# --- normalize_doi ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1109/ICSTW55395.2022.00035", "10.1109/icstw55395.2022.00035"),
        ("https://doi.org/10.1109/ICSTW55395.2022.00035", "10.1109/icstw55395.2022.00035"),
        ("http://doi.org/10.1145/3395363.3397376", "10.1145/3395363.3397376"),
        ("https://dx.doi.org/10.1002/STVR.1804", "10.1002/stvr.1804"),
        ("doi:10.1002/stvr.1804", "10.1002/stvr.1804"),
        ("DOI: 10.1002/stvr.1804", "10.1002/stvr.1804"),
        ("doi:10.1002/stvr.1804.", "10.1002/stvr.1804"),
        ("10.1002/stvr.1804,", "10.1002/stvr.1804"),
        ("10.1002/stvr.1804;", "10.1002/stvr.1804"),
        ("  10.5121/VLSIC.2012.3205  ", "10.5121/vlsic.2012.3205"),
        ("10.48550/arXiv.2509.06617", "10.48550/arxiv.2509.06617"),
    ],
)
def test_normalize_doi(text: str, expected: str) -> None:
    assert normalize_doi(text) == expected


@pytest.mark.parametrize("text", ["", "not a doi", "11.1000/abc", "10.1/abc", "doi:"])
def test_normalize_doi_rejects_non_dois(text: str) -> None:
    assert normalize_doi(text) is None


def test_normalize_doi_is_idempotent_and_case_insensitive() -> None:
    forms = [
        "10.1145/3533767.3534401",
        "10.1145/3533767.3534401.",
        "https://doi.org/10.1145/3533767.3534401",
        "DOI:10.1145/3533767.3534401",
    ]
    assert {normalize_doi(f) for f in forms} == {"10.1145/3533767.3534401"}
    assert normalize_doi(normalize_doi(forms[2]) or "") == "10.1145/3533767.3534401"


# --- arxiv_id_from_doi ------------------------------------------------------------


@pytest.mark.parametrize(
    ("doi", "expected"),
    [
        ("10.48550/arXiv.2509.06617", "2509.06617"),
        ("10.48550/arxiv.2509.06617", "2509.06617"),
        ("10.48550/ARXIV.1707.08567", "1707.08567"),
        ("10.48550/arXiv.2404.11345v3", "2404.11345"),
        ("10.48550/arXiv.hep-th/9901001", "hep-th/9901001"),
        ("  10.48550/arXiv.2509.06617  ", "2509.06617"),
        ("10.1109/ICSTW55395.2022.00035", None),
        ("10.48550/arXiv.notanid", None),
        ("10.48551/arXiv.2509.06617", None),
    ],
)
def test_arxiv_id_from_doi(doi: str, expected: str | None) -> None:
    assert arxiv_id_from_doi(doi) == expected


# --- normalize_title --------------------------------------------------------------


def test_normalize_title_drops_case_punctuation_and_spacing() -> None:
    assert (
        normalize_title(
            "MM-DINOv2: Adapting Foundation Models for Multi-Modal Medical Image Analysis"
        )
        == "mm dinov2 adapting foundation models for multi modal medical image analysis"
    )
    assert normalize_title("  Hello,   World!  ") == "hello world"
    assert normalize_title("HELLO world") == normalize_title("hello WORLD")
    assert (
        normalize_title("{RURANET++}: An   Unsupervised\tMethod")
        == "ruranet an unsupervised method"
    )


def test_normalize_title_removes_accents() -> None:
    assert normalize_title("Fréchet Distance für Bilder") == "frechet distance fur bilder"
    assert normalize_title("Café Naïve Résumé") == normalize_title("Cafe Naive Resume")
    # composed and decomposed forms of the same accent are the same title
    assert normalize_title("Caf\u00e9") == normalize_title("Cafe\u0301") == "cafe"


def test_normalize_title_keeps_words_and_their_order() -> None:
    assert normalize_title("iMedImage Technical Report") == "imedimage technical report"
    assert normalize_title("MedGemma Technical Report") == "medgemma technical report"
    assert normalize_title("iMedImage Technical Report") != normalize_title(
        "MedGemma Technical Report"
    )
    assert title_hash("iMedImage Technical Report") != title_hash("MedGemma Technical Report")
    assert normalize_title("Graph Mamba for Efficient Whole Slide Image Understanding") != (
        normalize_title("Hypergraph Mamba for Efficient Whole Slide Image Understanding")
    )
    assert normalize_title("A B C") != normalize_title("C B A")


def test_title_hash_matches_across_spelling_variants() -> None:
    assert title_hash("Deep Learning: A Survey.") == title_hash("deep learning -- a survey")
    assert len(title_hash("anything")) == 16


def test_normalize_title_keeps_non_latin_letters() -> None:
    assert canonical_id(None, None, "深度学习") != canonical_id(None, None, "机器翻译")
    assert normalize_title("β-VAE: Learning Basic Visual Concepts") != normalize_title(
        "α-VAE: Learning Basic Visual Concepts"
    )


# --- canonical_id -----------------------------------------------------------------


def test_canonical_id_prefers_arxiv_then_doi_then_title() -> None:
    title = "Testing Deep Learning Models"
    doi = "10.1109/icstw55395.2022.00035"
    assert canonical_id("2202.12139", doi, title) == "arxiv:2202.12139"
    assert canonical_id("2202.12139", None, title) == "arxiv:2202.12139"
    assert canonical_id(None, doi, title) == "doi:10.1109/icstw55395.2022.00035"
    assert canonical_id(None, None, title) == f"title:{title_hash(title)}"
    assert canonical_id("", "", title) == f"title:{title_hash(title)}"
    assert canonical_id("hep-th/9901001", None, "x") == "arxiv:hep-th/9901001"


def test_canonical_title_id_ignores_spelling_variants() -> None:
    assert canonical_id(None, None, "MedGemma Technical Report") == canonical_id(
        None, None, "  medgemma technical report. "
    )
    assert canonical_id(None, None, "MedGemma Technical Report") != canonical_id(
        None, None, "iMedImage Technical Report"
    )
