"""The .bib a draft writes: entry types from what the store knows, keys that do not
depend on the draft, and output an independent parser (bibtexparser) accepts."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from reviewer.corpus.model import Paper
from reviewer.corpus.readers import bibtex as bib_reader
from reviewer.render.bibtex import (
    base_key,
    bib_file,
    citation_keys,
    comment_venue,
    entry_type,
    journal_ref_parts,
    venue_kind,
)

DATA = Path(__file__).parent / "data" / "bibtex"

# Required fields of each type, as BibTeX's standard styles list them (misc needs none:
# an entry here gives it a title and a way to find the paper).
REQUIRED = {
    "article": {"author", "title", "journal", "year"},
    "inproceedings": {"author", "title", "booktitle", "year"},
    "misc": {"title"},
}


def _paper(pid: str, title: str, **fields: Any) -> Paper:
    return Paper(id=pid, title=title, authors=["Ada Lovelace"], year=2025, **fields)


# -- classification, on comments of the demo corpus -------------------------------------


@pytest.mark.parametrize(
    ("comment", "kind", "venue"),
    [
        ("Accepted by IEEE Transactions on Biomedical Engineering (TBME)", "article",
         "IEEE Transactions on Biomedical Engineering (TBME)"),
        ("Accepted to IEEE Transactions on Medical Imaging, 2025", "article",
         "IEEE Transactions on Medical Imaging"),
        ("Accepted by Medical Image Analysis", "article", "Medical Image Analysis"),
        ("Accepted to Engineering Applications of Artificial Intelligence", "article",
         "Engineering Applications of Artificial Intelligence"),
        ("Published in European Journal of Radiology Artificial Intelligence", "article",
         "European Journal of Radiology Artificial Intelligence"),
        ("Accepted for publication at the Journal of Machine Learning for Biomedical Imaging "
         "(MELBA)", "article", "Journal of Machine Learning for Biomedical Imaging (MELBA)"),
        ("Accepted at MICCAI 2025", "inproceedings", "MICCAI 2025"),
        ("Provisionally accepted at MICCAI-2025", "inproceedings", "MICCAI-2025"),
        ("Accepted by ICCV 2025; Project Page: https://haoningwu3639.github.io/MRGen/",
         "inproceedings", "ICCV 2025"),
        ("Accepted by ACM Multimedia 2025. Code: https://github.com/FengheTan9/Mobile-U-ViT",
         "inproceedings", "ACM Multimedia 2025"),
        ("5 pages, 4 figures, Accepted by International Symposium on Biomedical Imaging (ISBI) "
         "2025", "inproceedings", "International Symposium on Biomedical Imaging (ISBI) 2025"),
        ("Accepted for publication in the 28th International Conference on Medical Image "
         "Computing and Computer Assisted Intervention (MICCAI), 2nd Deep Breast Workshop on AI "
         "and Imaging for Diagnostic and Treatment Challenges in Breast Care (DeepBreath), 2025",
         "inproceedings", "28th International Conference on Medical Image Computing and "
         "Computer Assisted Intervention (MICCAI)"),
        ("17 pages, 4 figures, 10 tables, accepted to MIDL'25", "inproceedings", "MIDL'25"),
        ("This paper is accepted by IPMI 2025 for Oral Presentation", "inproceedings",
         "IPMI 2025"),
        ("IPMI 2025. Code: https://github.com/jusiro/FCA", "inproceedings", "IPMI 2025"),
        ("NeurIPS 2024 Spotlight", "inproceedings", "NeurIPS 2024"),
        ("Accepted CVPR2025", "inproceedings", "CVPR2025"),
    ],
)  # fmt: skip
def test_an_accepting_comment_names_the_venue(comment: str, kind: str, venue: str) -> None:
    assert comment_venue(comment) == (kind, venue)


@pytest.mark.parametrize(
    "comment",
    [
        "10 pages, 2 figures, 2 tables, submitted at MICCAI IMIMIC workshop",
        "6 pages, submitted to EMBC 2025",
        "10 pages, 2 figures, 5 tables, submitted to The 28th International Conference on "
        "Medical Image Computing and Computer Assisted Intervention (MICCAI 2025)",
        "6 pages, 3 figures, preprint of paper submitted to MICCAI conference",
        "8 pages, 3 figures, MICCAI",  # no year, no "accepted": maybe only submitted
        "Accepted to MedAGI 2025 (Oral)",  # a venue we do not know
        "Published at Smart Health",
        "TMLR 2025",  # a bare acronym counts only for a conference
        "The first two authors contributed equally",
    ],
)
def test_a_comment_naming_no_accepting_venue_gives_none(comment: str) -> None:
    assert comment_venue(comment) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Medical Image Analysis 95 (2024) 103182", "article"),
        ("IEEE Journal of Biomedical and Health Informatics", "article"),
        ("Nature Communications 16, 1234 (2025)", "article"),
        ("Proceedings of the IEEE", "article"),
        ("Proceedings of the National Academy of Sciences 122 (2025)", "article"),
        ("Transactions of the ACL", "article"),
        ("Pattern Recognition Letters", "article"),
        ("Proceedings of Medical Image Computing and Computer Assisted Intervention",
         "inproceedings"),
        ("Medical Image Computing and Computer-Assisted Intervention - MICCAI 2015",
         "inproceedings"),
        ("MICCAI 2024, LNCS 15001, pp. 1-10", "inproceedings"),
        ("CVPR", "inproceedings"),
        ("NeurIPS 2024 Workshop on Medical Imaging", "inproceedings"),
        ("Smart Health", None),
        ("Machine Learning for Healthcare", None),
    ],
)  # fmt: skip
def test_venue_kind(text: str, kind: str | None) -> None:
    assert venue_kind(text) == kind


@pytest.mark.parametrize(
    ("ref", "parts"),
    [
        ("Medical Image Analysis 95 (2024) 103182", ("Medical Image Analysis", "95", "103182")),
        ("IEEE Transactions on Medical Imaging, vol. 43, no. 2, pp. 100-110, 2024",
         ("IEEE Transactions on Medical Imaging", "43", "100--110")),
        ("Nat. Commun. 16, 1234 (2025)", ("Nat. Commun.", "16", "1234")),
        ("IEEE Trans. Med. Imaging 43(1), 1-10 (2024)",
         ("IEEE Trans. Med. Imaging", "43", "1--10")),
        ("Phys. Med. Biol. 68 (2023) 015001", ("Phys. Med. Biol.", "68", "015001")),
        ("Smart Health, in press", ("Smart Health, in press", None, None)),
        ("3D Research 5 (2014) 1", ("3D Research 5 (2014) 1", None, None)),
    ],
)  # fmt: skip
def test_journal_ref_parts(ref: str, parts: tuple[str, str | None, str | None]) -> None:
    assert journal_ref_parts(ref) == parts


# -- entry types of papers read from the .bib samples -----------------------------------


def _read(name: str) -> dict[str, Paper]:
    path = DATA / name
    return {p.bibtex_key or "": p for p in bib_reader.read(path.read_text("utf-8"), str(path))}


@pytest.mark.parametrize(
    ("name", "key", "kind", "venue"),
    [
        ("zotero.bib", "nguyen_low-count_2024", "article", "Medical Image Analysis"),
        ("zotero.bib", "muller_multimodal_2025", "misc", None),
        ("dblp.bib", "DBLP:conf/miccai/RonnebergerFB15", "inproceedings",
         "Medical Image Computing and Computer-Assisted Intervention - MICCAI 2015 - 18th "
         "International Conference Munich, Germany, October 5 - 9, 2015, Proceedings, Part III"),
        ("dblp.bib", "DBLP:journals/corr/RonnebergerFB15", "misc", None),  # CoRR: a preprint
        ("ads.bib", "2023PMB....68a5001A", "article", "Physics in Medicine and Biology"),
        ("ads.bib", "2025arXiv250901234M", "misc", None),  # "arXiv e-prints"
        ("mixed.bib", "chen2024variants", "inproceedings",
         "Proceedings of Medical Image Computing and Computer Assisted Intervention"),
        ("mixed.bib", "smith2023review", "article", "Medical Image Analysis"),
        ("mixed.bib", "li2025contrast", "misc", None),  # Google Scholar "arXiv preprint"
        ("mixed.bib", "okafor2025weights", "misc", None),  # @online
        ("arxiv.bib", "zhang2025sequentialfinetuning3dsegmentation", "misc", None),
    ],
)  # fmt: skip
def test_entry_types_of_the_bib_samples(name: str, key: str, kind: str, venue: str | None) -> None:
    assert entry_type(_read(name)[key]) == (kind, venue)


def test_entry_type_without_a_bib_entry_follows_the_journal_ref_venue_or_comment() -> None:
    ref = _paper("a", "A", journal_ref="Medical Image Analysis 95 (2024) 103182")
    assert entry_type(ref) == ("article", "Medical Image Analysis 95 (2024) 103182")
    proc = _paper("b", "B", journal_ref="MICCAI 2024, LNCS 15001")
    assert entry_type(proc) == ("inproceedings", "MICCAI 2024, LNCS 15001")
    unknown_ref = _paper("c", "C", journal_ref="Smart Health 31 (2025) 100500")
    assert entry_type(unknown_ref)[0] == "article"  # arXiv: the published version's reference
    assert entry_type(_paper("d", "D", venue="NeurIPS 2024")) == ("inproceedings", "NeurIPS 2024")
    assert entry_type(_paper("e", "E", venue="Smart Health")) == ("misc", None)
    assert entry_type(_paper("f", "F", comment="Accepted at MICCAI 2025")) == (
        "inproceedings",
        "MICCAI 2025",
    )
    assert entry_type(_paper("g", "G", comment="Submitted to MICCAI 2025")) == ("misc", None)


# -- the written entries ----------------------------------------------------------------


def _typed_papers() -> list[Paper]:
    papers = [
        _paper("arxiv:2501.00001", "Journal Paper", arxiv_id="2501.00001",
               primary_category="eess.IV", comment="Accepted by Medical Image Analysis",
               doi="10.1016/j.media.2025.1"),
        _paper("arxiv:2501.00002", "Conference Paper", arxiv_id="2501.00002",
               comment="Accepted at MICCAI 2025", published=date(2025, 1, 2)),
        _paper("arxiv:2501.00003", "Preprint & Paper", arxiv_id="2501.00003",
               primary_category="cs.CV", venue="Smart Health"),
        _paper("arxiv:2501.00004", "Published Paper", arxiv_id="2501.00004",
               journal_ref="Medical Image Analysis 95 (2024) 103182"),
        Paper(id="title:x", title="No Authors, No Ids"),
    ]  # fmt: skip
    papers += list(_read("mixed.bib").values()) + list(_read("dblp.bib").values())
    return papers


def test_the_bib_parses_and_each_type_has_its_required_fields() -> None:
    papers = [p.model_copy(update={"id": p.id or f"bib:{p.bibtex_key}"}) for p in _typed_papers()]
    text = bib_file(papers, citation_keys(papers))
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    assert len(library.entries) == len(papers)
    kinds = set()
    for entry in library.entries:
        kinds.add(entry.entry_type)
        names = {f.key.lower() for f in entry.fields}
        assert REQUIRED[entry.entry_type] <= names, entry.key
        if entry.entry_type == "misc" and entry["title"] != "{No Authors, No Ids}":
            assert names & {"eprint", "url"}, entry.key
        if "eprint" in names:
            assert entry["archivePrefix"] == "arXiv"
    assert kinds == {"article", "inproceedings", "misc"}
    by_title = {e["title"].strip("{}"): e for e in library.entries}
    journal = by_title["Journal Paper"]
    assert journal.entry_type == "article" and journal["journal"] == "Medical Image Analysis"
    assert journal["eprint"] == "2501.00001" and journal["doi"] == "10.1016/j.media.2025.1"
    assert by_title["Conference Paper"]["booktitle"] == "MICCAI 2025"
    published = by_title["Published Paper"]
    assert published.entry_type == "article" and published["journal"] == "Medical Image Analysis"
    assert (published["volume"], published["pages"]) == ("95", "103182")
    preprint = by_title[r"Preprint \& Paper"]
    assert preprint.entry_type == "misc" and preprint["primaryClass"] == "cs.CV"
    assert preprint["howpublished"] == "Smart Health"


def test_a_second_independent_bibtex_processor_formats_every_entry() -> None:
    """pybtex (a BibTeX processor, standing in for `biber --tool`, which is not on these
    machines) parses the file strictly and formats every entry with its plain style,
    which fails on an entry that lacks a field its type requires."""
    from pybtex.database import parse_string
    from pybtex.style.formatting.plain import Style

    papers = [p.model_copy(update={"id": p.id or f"bib:{p.bibtex_key}"}) for p in _typed_papers()]
    keys = citation_keys(papers)
    data = parse_string(bib_file(papers, keys), "bibtex")
    assert sorted(data.entries) == sorted(keys.values())
    assert {e.type for e in data.entries.values()} == {"article", "inproceedings", "misc"}
    formatted = list(Style().format_bibliography(data).entries)
    assert len(formatted) == len(papers)
    for entry in formatted:
        assert entry.text.render_as("text").strip()


# -- keys -------------------------------------------------------------------------------


def test_keys_do_not_depend_on_the_draft() -> None:
    twin_a = _paper("arxiv:2502.00001", "Deep Learning for Knees")
    twin_b = _paper("arxiv:2502.00002", "Deep Learning for Elbows")
    alone = _paper("arxiv:2502.00003", "Segment Anything in Knees")
    bib = Paper(id="doi:10.1/x", title="T", bibtex_key="Smith:2020")
    store = [twin_a, twin_b, alone, bib]
    assert base_key(twin_a) == base_key(twin_b) == "lovelace2025deeplearning"
    draft_1 = citation_keys([twin_a, alone, bib], store)
    draft_2 = citation_keys([bib, twin_b, twin_a], store)
    draft_3 = citation_keys([twin_a], store)
    assert draft_1[twin_a.id] == draft_2[twin_a.id] == draft_3[twin_a.id]
    assert draft_1[twin_a.id] != draft_2[twin_b.id]
    # Both twins carry a suffix (neither owns the bare key), from their own id.
    assert re.fullmatch(r"lovelace2025deeplearning-[0-9a-f]{4}", draft_1[twin_a.id])
    assert re.fullmatch(r"lovelace2025deeplearning-[0-9a-f]{4}", draft_2[twin_b.id])
    assert draft_1[alone.id] == "lovelace2025segmentanything"
    assert draft_1[bib.id] == draft_2[bib.id] == "Smith:2020"


def test_two_drafts_of_one_store_give_a_paper_one_key(seeded_home: Path) -> None:
    from reviewer.api import Reviewer

    rv = Reviewer()
    # Two papers of the seed corpus share the base key medicalimage2025.
    twins = ["arxiv:2507.00511", "arxiv:2502.11440"]
    topic = "medical image segmentation"
    first = rv.related_work(topic, k=3, include=twins[:1], extractive=True, themes=1)
    second = rv.related_work(topic, k=6, include=twins, extractive=True, themes=2)
    keys_1 = {r.id: r.key for r in first.references}
    keys_2 = {r.id: r.key for r in second.references}
    common = keys_1.keys() & keys_2.keys()
    assert common and twins[0] in common
    assert {i: keys_1[i] for i in common} == {i: keys_2[i] for i in common}
    assert re.fullmatch(r"medicalimage2025-[0-9a-f]{4}", keys_1[twins[0]])
    for draft in (first, second):
        library = bibtexparser.parse_string(rv.bibtex(draft))
        assert not library.failed_blocks
        assert {e.key for e in library.entries} == {r.key for r in draft.references}
    # check_sentences knows a draft's key; the shared base key names no single paper.
    paper = rv.resolve([twins[0]])[0]
    quote = paper.abstract.split(". ")[0].rstrip(".") + "."
    check = rv.check_sentences(
        [
            {"text": quote, "citations": [keys_1[twins[0]]]},
            {"text": quote + " Again.", "citations": ["medicalimage2025"]},
        ]
    )
    assert check.sentences[0].cited_ids == [twins[0]]
    assert check.unknown_citations == ["medicalimage2025"]
