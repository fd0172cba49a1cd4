"""The readers on the seed files, the real arXiv samples and small inline inputs.

Every failure a user can cause must come out as an InputError naming the file
and, where it can, the line or entry; never as a traceback.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from conftest import DATA, REAL, SEEDS

from reviewer.corpus.ids import canonical_id
from reviewer.corpus.model import Paper, Source
from reviewer.corpus.readers import (
    FORMATS,
    READERS,
    arxiv_table,
    atom,
    decode_text,
    detect_format,
    hf_page,
    jsonrec,
    read_file,
    rss,
)
from reviewer.errors import InputError

TABLE_200, HF_BLANK, TABLE_19, HF_GLUED = SEEDS
API_100 = REAL / "arxiv_api_query_testing_100.xml"
API_ID_LIST = REAL / "arxiv_api_id_list_2.xml"
DAILY_ATOM = REAL / "arxiv_rss_cs.AI_2025-08-20.xml"
RSS2 = DATA / "rss" / "arxiv_cs_AI_rss2_sample.xml"

HEADER = (
    "| **Title** | **Date** | **Abstract** | **Comment** | **CodeRepository** |\n"
    "| --- | --- | --- | --- | --- |\n"
)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _by_arxiv(papers: list[Paper]) -> dict[str, Paper]:
    return {p.arxiv_id: p for p in papers if p.arxiv_id}


def _row(title: str, url: str, day: str, abstract: str, comment: str, code: str) -> str:
    return f"| **[{title}]({url})** | {day} | {abstract} | {comment} | {code} |\n"


# ================================================================================
# arXiv Markdown-table listings
# ================================================================================


def test_seed_listings_read_200_and_19_entries() -> None:
    fmt, papers = read_file(TABLE_200)
    assert fmt == "arxiv-table"
    assert len(papers) == 200
    assert papers[0].title == (
        "MM-DINOv2: Adapting Foundation Models for Multi-Modal Medical Image Analysis"
    )
    assert papers[0].sources[0].entry == "line 5"
    assert papers[-1].title.startswith("RURANET++: An Unsupervised Learning Method")
    assert all(p.arxiv_id and "v" not in p.arxiv_id for p in papers)
    assert all(p.arxiv_version and p.arxiv_version >= 1 for p in papers)
    assert all(p.published for p in papers)

    fmt, papers = read_file(TABLE_19)
    assert fmt == "arxiv-table"
    assert len(papers) == 19
    assert papers[0].title == (
        "Vision Foundation Models in Medical Image Analysis: Advances and Challenges"
    )
    last = papers[-1]
    assert last.title == "Extending SEEDS to a Supervoxel Algorithm for Medical Image Analysis"
    assert last.comment == "Tech report"
    assert last.code_urls == ["https://github.com/Zch0414/3d_seeds"]
    assert last.abstract.endswith("The code is available at https://github.com/Zch0414/3d_seeds")


def test_table_row_every_field() -> None:
    # Line 14 of the first seed: a <details> comment whose <summary> is cut
    # ("Accep...") and a "[Code Link](...)" cell.
    papers = _by_arxiv(read_file(TABLE_200)[1])
    paper = papers["2508.17007"]
    assert paper.title == (
        "An Efficient Dual-Line Decoder Network with Multi-Scale Convolutional "
        "Attention for Multi-organ Segmentation"
    )
    assert paper.abstract.startswith(
        "Proper segmentation of organs-at-risk is important for radiation therapy, "
        "surgical planning, and diagnostic decision-making in medical image analysis."
    )
    assert paper.abstract.endswith(
        "The source code, pre-processed data, and pre-trained weights will be available at "
        "https://github.com/riadhassan/EDLDNet ."
    )
    assert "<" not in paper.abstract and "Show" not in paper.abstract[:10]
    assert paper.abstract_truncated is False
    assert paper.published == date(2025, 8, 23)
    assert paper.arxiv_id == "2508.17007"
    assert paper.arxiv_version == 1
    assert paper.abs_url == "https://arxiv.org/abs/2508.17007"
    assert paper.comment == (
        "Accepted for publication in Biomedical Signal Processing and Control journal"
    )
    assert paper.code_urls == ["https://github.com/riadhassan/EDLDNet"]
    assert paper.authors == []
    assert paper.doi is None and paper.pdf_url is None
    assert paper.id == "arxiv:2508.17007"
    assert paper.sources == [
        Source(path=str(TABLE_200.resolve()), format="arxiv-table", entry="line 14")
    ]


def test_table_comment_comes_from_the_paragraph_not_the_summary() -> None:
    listing = read_file(TABLE_200)[1]
    papers = _by_arxiv(listing)
    # Last row: <summary>10 pa...</summary><p>10 pages, 2 figures, ...</p>
    last = listing[-1]
    assert last.comment is not None
    assert last.comment.startswith("10 pages, 2 figures, 5 tables, submitted to The 28th")
    assert last.comment.endswith("(MICCAI 2025)")
    assert "..." not in last.comment
    # Versions other than 1 are read from the link; an empty comment cell is None.
    jacobi = papers["2404.11345"]
    assert jacobi.arxiv_version == 3
    assert jacobi.comment == "29 pages, 10 figures"
    assert sum(p.comment is None for p in listing) == 95


def test_table_code_urls_do_not_repeat_a_repository_with_a_trailing_slash() -> None:
    papers = _by_arxiv(read_file(TABLE_200)[1])
    assert papers["2404.11345"].code_urls == ["https://github.com/sourish-cmi/Jacobi-Prior"]


def test_table_columns_in_another_order_and_without_comment_or_code() -> None:
    reordered = (
        "| **Abstract** | **CodeRepository** | **Date** | **Comment** | **Title** |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| <details><summary>We stu...</summary><p>We study reordered columns.</p></details> "
        "| [Code Link](https://github.com/org/reordered) | 2025-03-04 | 8 pages "
        "| **[Reordered Columns](http://arxiv.org/abs/2503.01234v2)** |\n"
    )
    (paper,) = arxiv_table.read(reordered, "reordered.md")
    assert paper.title == "Reordered Columns"
    assert paper.abstract == "We study reordered columns."
    # v2 is listed: its date is the update; the id gives the month of v1.
    assert (paper.published, paper.published_precision) == (date(2025, 3, 1), "month")
    assert paper.updated == date(2025, 3, 4)
    assert (paper.arxiv_id, paper.arxiv_version) == ("2503.01234", 2)
    assert paper.comment == "8 pages"
    assert paper.code_urls == ["https://github.com/org/reordered"]

    minimal = (
        "| Title | Date | Abstract |\n"
        "|---|---|---|\n"
        "| [Plain Listing](https://arxiv.org/abs/2501.00042v1) | 2025-01-05 "
        "| We read tables without a comment column. Code: https://github.com/org/plain |\n"
        "| No Link Title | 2025-01-06 | A row whose title has no link. |\n"
    )
    first, second = arxiv_table.read(minimal, "minimal.md")
    assert first.title == "Plain Listing"
    assert first.arxiv_id == "2501.00042"
    assert first.comment is None
    assert first.code_urls == ["https://github.com/org/plain"]  # found in the abstract
    assert first.abstract.endswith("Code: https://github.com/org/plain")
    assert second.title == "No Link Title"
    assert second.arxiv_id is None and second.abs_url is None
    assert second.published == date(2025, 1, 6)
    assert second.sources[0].entry == "line 4"


def test_table_with_title_not_first_is_detected(tmp_path: Path) -> None:
    text = (
        "| **Date** | **Title** | **Abstract** |\n"
        "| --- | --- | --- |\n"
        "| 2025-01-02 | **[Date First](http://arxiv.org/abs/2501.00007v1)** | Abstract. |\n"
    )
    fmt, papers = read_file(_write(tmp_path, "date_first.md", text))
    assert fmt == "arxiv-table"
    assert papers[0].arxiv_id == "2501.00007"


def test_table_escaped_pipe_in_title_and_abstract() -> None:
    text = HEADER + _row(
        "Pipes \\| Filters: A Study",
        "http://arxiv.org/abs/2501.00001v2",
        "2025-01-02",
        "<details><summary>Show</summary><p>We compare x \\| y and a | b.</p></details>",
        "5 pages",
        "None",
    )
    (paper,) = arxiv_table.read(text, "pipes.md")
    assert paper.title == "Pipes | Filters: A Study"
    # A bare '|' inside a <details> block does not split the row either.
    assert paper.abstract == "We compare x | y and a | b."
    assert paper.comment == "5 pages"
    assert paper.code_urls == []
    assert (paper.arxiv_id, paper.arxiv_version) == ("2501.00001", 2)


GOOD_ROW = _row("Good Row", "http://arxiv.org/abs/2501.00001v1", "2025-01-02", "Fine.", "", "None")


@pytest.mark.parametrize(
    ("bad_row", "problem"),
    [
        (
            "| **[Short](http://arxiv.org/abs/2501.00002v1)** | 2025-01-02 | Abstract. | x |\n",
            "table row has 4 cells, the header has 5",
        ),
        (
            "| **[Long](http://arxiv.org/abs/2501.00002v1)** | 2025-01-02 | A. | x | None | y |\n",
            "table row has 6 cells, the header has 5",
        ),
        (
            "| **[Cut](http://arxiv.org/abs/2501.00002v1)** | 2025-01-02 | <details><summary>"
            "Show</summary><p>An abstract cut off in the mid\n",
            "table row does not end with '|' (cut off?)",
        ),
        (
            "| **[Cut](http://arxiv.org/abs/2501.00002v1)** | 2025-01-02 | A. | x | None\n",
            "table row does not end with '|' (cut off?)",
        ),
        (
            "| **[Bad Date](http://arxiv.org/abs/2501.00002v1)** | yesterday | A. | x | None |\n",
            "unreadable date 'yesterday'",
        ),
        (
            "| **[Bad Date](http://arxiv.org/abs/2501.00002v1)** | 2025-02-30 | A. | x | None |\n",
            "unreadable date '2025-02-30'",
        ),
        ("|  | 2025-01-02 | A. | x | None |\n", "row has no title"),
        ("| **** | 2025-01-02 | A. | x | None |\n", "row has no title"),
    ],
)
def test_bad_table_rows_name_their_line(tmp_path: Path, bad_row: str, problem: str) -> None:
    text = "## Section\n\n" + HEADER + GOOD_ROW + GOOD_ROW + bad_row + GOOD_ROW
    path = _write(tmp_path, "bad.md", text)
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.where == "line 7"
    assert caught.value.problem == problem
    assert caught.value.path == str(path)
    assert caught.value.message == f"{path}, line 7: {problem}"


def test_table_without_header_or_rows() -> None:
    with pytest.raises(InputError) as caught:
        arxiv_table.read("| a | b |\n| --- | --- |\n| 1 | 2 |\n", "x.md")
    assert caught.value.problem == "table row before the header row"
    assert caught.value.where == "line 1"
    with pytest.raises(InputError) as caught:
        arxiv_table.read("just text\n", "x.md")
    assert caught.value.problem == "no table header with a Title column"


# ================================================================================
# Hugging Face page dumps
# ================================================================================


def test_hf_page_blank_line_layout() -> None:
    fmt, papers = read_file(HF_BLANK)
    assert fmt == "hf-page"
    assert len(papers) == 108
    first, last = papers[0], papers[-1]
    assert first.title == (
        "NestedMorph: Enhancing Deformable Medical Image Registration with Nested "
        "Attention Mechanisms"
    )
    assert first.abstract.startswith("Deformable image registration is crucial for aligning")
    assert first.sources[0].entry == "line 13"
    assert last.title == (
        "Structural Entities Extraction and Patient Indications Incorporation for Chest "
        "X-ray Report Generation"
    )
    assert last.sources[0].entry == "line 441"
    assert last.abstract.endswith(
        "on both natural language generation and clinical efficacy metrics."
    )
    # Page chrome is never taken for a paper.
    titles = {p.title for p in papers}
    assert not titles & {"new", "Subscribe", "Daily Papers", "Aug 20"}
    assert all(p.arxiv_id is None and p.published is None for p in papers)
    assert all(p.id.startswith("title:") for p in papers)


def test_hf_page_glued_layout_drops_the_subscribe_prefix() -> None:
    fmt, papers = read_file(HF_GLUED)
    assert fmt == "hf-page"
    assert len(papers) == 119
    first, last = papers[0], papers[-1]
    assert first.title == (
        "Saliency-Guided Deep Learning Network for Automatic Tumor Bed Volume Delineation "
        "in Post-operative Breast Irradiation"
    )
    assert not first.title.lower().startswith("subscribe")
    assert first.sources[0].entry == "line 3"
    assert first.abstract.startswith("Efficient, reliable and reproducible target volume")
    assert papers[1].title == (
        "A multi-reconstruction study of breast density estimation using Deep Learning"
    )
    assert last.title == (
        "Dimensionality Reduction and Nearest Neighbors for Improving Out-of-Distribution "
        "Detection in Medical Image Segmentation"
    )
    assert last.sources[0].entry == "line 239"
    assert last.abstract.endswith(
        "when both were applied to raw and average-pooled bottleneck features."
    )


@pytest.mark.parametrize("seed", [HF_BLANK, HF_GLUED], ids=["blank-lines", "glued"])
def test_hf_abstracts_ending_in_a_sentence_are_not_truncated(seed: Path) -> None:
    papers = read_file(seed)[1]
    sentences = [p for p in papers if p.abstract.rstrip().endswith(".")]
    assert len(sentences) >= 98
    assert not any(p.abstract_truncated for p in sentences)
    # The others end in a link (code or project page), which is complete too.
    assert not any(p.abstract_truncated for p in papers)


def test_hf_code_urls_come_from_the_abstract() -> None:
    papers = {p.title: p for p in read_file(HF_GLUED)[1]}
    medal = next(p for t, p in papers.items() if t.startswith("Medal S:"))
    assert medal.code_urls == ["https://github.com/yinghemedical/Medal-S"]
    assert sum(bool(p.code_urls) for p in papers.values()) == 36
    # Project pages and data links on other hosts are not code repositories.
    hosts = {u.split("/")[2] for p in papers.values() for u in p.code_urls}
    assert hosts == {"github.com", "www.github.com"}


def test_hf_inline_page_with_chrome() -> None:
    text = (
        "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
        "byAK and the research community\n\nSep 3\n\n"
        "First Paper Title\n\nThe first abstract, complete.\n\n"
        "Second Paper Title\n\nThe second abstract is cut off mid\n"
    )
    first, second = hf_page.read(text, "page.txt")
    assert (first.title, first.abstract) == ("First Paper Title", "The first abstract, complete.")
    assert first.abstract_truncated is False
    assert first.sources == [Source(path="page.txt", format="hf-page", entry="line 13")]
    assert second.title == "Second Paper Title"
    assert second.abstract_truncated is True


def test_hf_title_without_abstract_names_its_line(tmp_path: Path) -> None:
    text = HF_BLANK.read_text("utf-8").rstrip("\n") + "\n\nA Title Left Without Its Abstract\n"
    line = text.rstrip("\n").count("\n") + 1
    path = _write(tmp_path, "page.txt", text)
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.where == f"line {line}"
    assert "title without an abstract" in caught.value.problem
    assert "A Title Left Without Its Abstract" in caught.value.problem


def test_hf_title_without_abstract_mid_page_names_its_line() -> None:
    text = (
        "Daily Papers\n"
        "Paper One Title\n"
        "Abstract one is a long sentence here.\n"
        "Paper Two Title Missing Its Abstract\n"
        "Paper Three Title\n"
        "Abstract three is a long sentence here too.\n"
    )
    with pytest.raises(InputError) as caught:
        hf_page.read(text, "page.txt")
    assert caught.value.where == "line 4"


def test_hf_title_starting_with_subscribe_word_is_kept() -> None:
    text = (
        "Daily Papers\n"
        "Paper One Title\n"
        "Abstract one is a long sentence here.\n"
        "Subscriber Churn Prediction with Graph Neural Networks\n"
        "We predict subscriber churn with graph neural networks on telecom data.\n"
    )
    papers = hf_page.read(text, "page.txt")
    assert papers[1].title == "Subscriber Churn Prediction with Graph Neural Networks"


def test_hf_abstract_shorter_than_title_is_refused() -> None:
    text = "Daily Papers\nA Long Enough Paper Title Here\nShort.\n"
    with pytest.raises(InputError) as caught:
        hf_page.read(text, "page.txt")
    assert caught.value.where == "line 2"
    assert caught.value.problem == "expected a title line followed by its abstract"


# ================================================================================
# Atom: arXiv API responses and arXiv's Atom daily feed
# ================================================================================

A = "{http://www.w3.org/2005/Atom}"
AX = "{http://arxiv.org/schemas/atom}"


def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


def test_api_sample_first_entry_exact_values() -> None:
    fmt, papers = read_file(API_100)
    assert fmt == "arxiv-atom"
    assert len(papers) == 100
    first = papers[0]
    assert first.title == (
        "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    )
    assert first.abstract.startswith(
        "Deep Learning (DL) has revolutionized the capabilities of vision-based systems (VBS)"
    )
    assert first.abstract.endswith(
        "We also provide a first experimental comparative study on a classical benchmark "
        "used in VBS and discuss its results."
    )
    assert first.abstract_truncated is False
    assert first.authors == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert first.published == date(2022, 2, 24)
    assert first.updated == date(2022, 2, 24)
    assert (first.arxiv_id, first.arxiv_version) == ("2202.12139", 1)
    assert first.categories == ["cs.SE", "cs.LG"]
    assert first.primary_category == "cs.SE"
    assert first.comment == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert first.journal_ref == (
        "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference "
        "on Software Testing, Verification and Validation Workshops (ICSTW)"
    )
    assert first.doi == "10.1109/icstw55395.2022.00035"
    assert first.abs_url == "https://arxiv.org/abs/2202.12139"
    assert first.pdf_url == "https://arxiv.org/pdf/2202.12139v1"
    assert first.id == "arxiv:2202.12139"
    assert first.sources == [
        Source(path=str(API_100.resolve()), format="arxiv-atom", entry="entry 1")
    ]


def test_api_sample_every_entry_matches_the_xml() -> None:
    papers = read_file(API_100)[1]
    entries = ET.parse(API_100).getroot().findall(f"{A}entry")
    assert len(entries) == len(papers) == 100
    for entry, paper in zip(entries, papers, strict=True):
        raw_id = entry.findtext(f"{A}id", "").rsplit("/abs/", 1)[1]
        assert paper.arxiv_id is not None and paper.arxiv_version is not None
        assert f"{paper.arxiv_id}v{paper.arxiv_version}" == raw_id
        assert not paper.arxiv_id.endswith(f"v{paper.arxiv_version}")
        assert paper.title == _squash(entry.findtext(f"{A}title"))
        assert paper.abstract == _squash(entry.findtext(f"{A}summary"))
        assert paper.authors == [a.findtext(f"{A}name") for a in entry.findall(f"{A}author")]
        assert paper.authors
        assert paper.published is not None and paper.updated is not None
        assert paper.published.isoformat() == entry.findtext(f"{A}published", "")[:10]
        assert paper.updated.isoformat() == entry.findtext(f"{A}updated", "")[:10]
        assert paper.categories == [c.get("term") for c in entry.findall(f"{A}category")]
        primary = entry.find(f"{AX}primary_category")
        assert primary is not None and paper.primary_category == primary.get("term")
        pdf = [link.get("href") for link in entry.findall(f"{A}link") if link.get("title") == "pdf"]
        assert paper.pdf_url == pdf[0]
        assert paper.pdf_url.endswith(raw_id)
        assert paper.abs_url == f"https://arxiv.org/abs/{paper.arxiv_id}"
        assert paper.comment == (_squash(entry.findtext(f"{AX}comment")) or None)
        assert paper.journal_ref == (_squash(entry.findtext(f"{AX}journal_ref")) or None)
        doi = entry.findtext(f"{AX}doi")
        assert paper.doi == (doi.strip().lower() if doi else None)
        assert paper.id == f"arxiv:{paper.arxiv_id}"
    assert sum(p.doi is not None for p in papers) == 32
    assert sum(p.comment is not None for p in papers) == 97
    assert sum(p.journal_ref is not None for p in papers) == 18


def test_api_sample_optional_fields_and_old_style_ids() -> None:
    papers = _by_arxiv(read_file(API_100)[1])
    # comment and journal_ref without a DOI; '&amp;' decoded
    ijsea = papers["1202.4527"]
    assert ijsea.comment == "GUI Testing, Test case generation"
    assert ijsea.journal_ref == (
        "International Journal of Software Engineering & Applications (IJSEA), "
        "Vol.3, No.1, January 2012"
    )
    assert ijsea.doi is None
    # DOI without a journal_ref
    assert papers["1205.1866"].doi == "10.5121/vlsic.2012.3205"
    assert papers["1205.1866"].journal_ref is None
    # journal_ref and DOI without a comment
    hybrid = papers["2205.09552"]
    assert hybrid.comment is None
    assert hybrid.doi == "10.1109/aitest55621.2022.00013"
    assert hybrid.categories == ["cs.AR", "cs.AI", "cs.LG", "cs.SE"]
    assert hybrid.primary_category == "cs.AR"
    # a ninth version: published is v1's date, updated the latest
    evalues = papers["2409.05654"]
    assert evalues.arxiv_version == 9
    assert (evalues.published, evalues.updated) == (date(2024, 9, 9), date(2025, 5, 8))
    assert evalues.pdf_url == "https://arxiv.org/pdf/2409.05654v9"
    # old-style id
    old = papers["cs/0503050"]
    assert old.title == "Systematic Method for Path-Complete White Box Testing"
    assert old.arxiv_version == 1
    assert old.abs_url == "https://arxiv.org/abs/cs/0503050"
    assert old.pdf_url == "https://arxiv.org/pdf/cs/0503050v1"
    assert old.id == "arxiv:cs/0503050"
    # a code link in the abstract
    assert papers["1706.00679"].code_urls == [
        "https://github.com/ydecastro/super-resolution-testing"
    ]


def test_api_id_list_sample() -> None:
    fmt, papers = read_file(API_ID_LIST)
    assert fmt == "arxiv-atom"
    (paper,) = papers
    assert paper.title == (
        "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    )
    assert (paper.arxiv_id, paper.arxiv_version) == ("1707.08567", 1)
    assert paper.comment == (
        "44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck"
    )
    assert paper.journal_ref is None and paper.doi is None
    assert len(paper.authors) == 34
    assert paper.authors[0] == "Kees A. Schouhamer Immink"
    assert paper.authors[-1] == "Hirosuke Yamamoto"
    assert paper.published == paper.updated == date(2017, 7, 27)
    assert paper.categories == ["cs.IT"] and paper.primary_category == "cs.IT"
    assert paper.pdf_url == "https://arxiv.org/pdf/1707.08567v1"
    assert paper.abstract.startswith('The 10th Asia-Europe workshop in "Concepts in Information')


def test_atom_daily_feed() -> None:
    fmt, papers = read_file(DAILY_ATOM)
    assert fmt == "arxiv-atom"
    assert len(papers) == 7
    assert [p.arxiv_id for p in papers] == [
        "2508.13426",
        "2508.13428",
        "2508.13429",
        "2508.13434",
        "2508.13435",
        "2508.14001",
        "2508.14002",
    ]
    assert all(p.arxiv_version == 1 for p in papers)
    first = papers[0]
    assert first.title == (
        "ALIGN: Word Association Learning for Cross-Cultural Generalization in Large "
        "Language Models"
    )
    # 'arXiv:2508.13426v1 Announce Type: cross \nAbstract: ' is stripped.
    assert first.abstract.startswith("As large language models (LLMs) increasingly mediate")
    assert first.abstract.endswith("in improving cultural alignment in AI models.")
    for paper in papers:
        assert "Announce Type" not in paper.abstract
        assert not paper.abstract.startswith(("arXiv:", "Abstract:"))
    assert first.authors == ["Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang"]
    assert papers[3].authors == [
        "Yunfeng Ge",
        "Ming Jin",
        "Yiji Zhao",
        "Hongyan Li",
        "Bo Du",
        "Chang Xu",
        "Shirui Pan",
    ]
    assert papers[1].categories == ["cs.CV", "cs.AI", "cs.MM"]
    assert papers[1].primary_category == "cs.CV"
    assert papers[2].categories == ["q-fin.CP", "cs.AI"]
    assert all(p.published == date(2025, 8, 20) for p in papers)
    assert first.abs_url == "https://arxiv.org/abs/2508.13426"
    assert first.pdf_url is None
    assert [p.sources[0].entry for p in papers] == [
        *(f"entry {i} (cross)" for i in range(1, 6)),
        "entry 6 (new)",
        "entry 7 (new)",
    ]
    assert papers[5].abstract == (
        "We propose a neural architecture search method for efficient transformers."
    )


def test_dc_creator_tex_accents_are_decoded() -> None:
    assert read_file(DAILY_ATOM)[1][2].authors == ["Paulo André Lima de Castro"]
    assert read_file(RSS2)[1][2].authors == ["Paulo André Lima de Castro"]


API_ERROR_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link
    href="http://arxiv.org/api/query?search_query=&amp;id_list=1234.12345&amp;max_results=10"
    rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=&amp;id_list=1234.12345&amp;max_results=10</title>
  <id>http://arxiv.org/api/kvuntZ8c9a4Eq5CF7KY03nMug+Q</id>
  <updated>2007-10-12T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345</summary>
    <updated>2007-10-12T00:00:00-04:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345"
      rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""


def test_api_error_feed_is_an_input_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "error.xml", API_ERROR_FEED)
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.problem == (
        "the arXiv API returned an error: incorrect id format for 1234.12345"
    )
    assert caught.value.where == "entry 1"


@pytest.mark.parametrize("cut", [5000, 60000, -20])
def test_truncated_xml_names_a_line(tmp_path: Path, cut: int) -> None:
    text = API_100.read_text("utf-8")[:cut]
    path = _write(tmp_path, "cut.xml", text)
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.problem.startswith("malformed XML (")
    assert caught.value.where is not None
    assert caught.value.where.startswith(f"line {text.count(chr(10)) + 1}, column ")


def test_atom_entry_without_title_and_empty_feed(tmp_path: Path) -> None:
    head = '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
    no_title = head + "<entry><id>http://arxiv.org/abs/2501.00001v1</id></entry>\n</feed>\n"
    with pytest.raises(InputError) as caught:
        atom.read(no_title, "x.xml")
    assert (caught.value.problem, caught.value.where) == ("entry has no title", "entry 1")
    empty = _write(tmp_path, "empty.xml", head + "<title>nothing</title>\n</feed>\n")
    with pytest.raises(InputError) as caught:
        read_file(empty)
    assert caught.value.problem == "no papers found (read as arxiv-atom)"


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&a;</title></entry></feed>\n'
    )
    with pytest.raises(InputError) as caught:
        read_file(_write(tmp_path, "bomb.xml", bomb))
    assert caught.value.problem.startswith("refused unsafe XML")


# ================================================================================
# RSS 2.0 (arXiv's rss.arxiv.org/rss/<category> layout)
# ================================================================================


def test_rss2_sample() -> None:
    fmt, papers = read_file(RSS2)
    assert fmt == "rss"
    assert [(p.arxiv_id, p.arxiv_version) for p in papers] == [
        ("2508.13426", 1),
        ("2508.13428", 1),
        ("2508.13429", 1),
    ]
    assert [p.id for p in papers] == [
        "arxiv:2508.13426",
        "arxiv:2508.13428",
        "arxiv:2508.13429",
    ]
    first, second, third = papers
    assert first.title == (
        "ALIGN: Word Association Learning for Cross-Cultural Generalization in Large "
        "Language Models"
    )
    assert first.authors == ["Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang"]
    assert second.authors == ["Hao Zhang", "Chen Li", "Basura Fernando"]
    assert all(p.published == date(2025, 8, 20) for p in papers)
    assert first.categories == ["cs.CL", "cs.AI"]
    assert second.categories == ["cs.CV", "cs.AI", "cs.MM"]
    assert third.categories == ["q-fin.CP", "cs.AI"]
    assert [p.primary_category for p in papers] == ["cs.CL", "cs.CV", "q-fin.CP"]
    assert first.abstract.startswith("As large language models (LLMs) increasingly mediate")
    assert first.abstract.endswith("in improving cultural alignment in AI models.")
    assert third.abstract.endswith("comprehensive AI-based Value Investing framework in the future")
    assert all("Announce Type" not in p.abstract for p in papers)
    assert first.abs_url == "https://arxiv.org/abs/2508.13426"
    assert [p.sources[0].entry for p in papers] == [
        "item 1 (cross)",
        "item 2 (cross)",
        "item 3 (cross)",
    ]
    # The same three papers as the Atom daily feed, field for field.
    atom_papers = read_file(DAILY_ATOM)[1][:3]
    for from_rss, from_atom in zip(papers, atom_papers, strict=True):
        for field in ("title", "abstract", "authors", "arxiv_id", "published", "categories"):
            assert getattr(from_rss, field) == getattr(from_atom, field), field


RSS_ITEM = """<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
<item>
  <title>{title}</title>
  <link>https://arxiv.org/abs/2508.20001</link>
  <description>{description}</description>
  <guid isPermaLink="false">oai:arXiv.org:2508.20001v{version}</guid>
  <category>cs.LG</category>
  <pubDate>Wed, 20 Aug 2025 00:00:00 -0400</pubDate>
  <dc:creator>Ann Lee, Bo Chen and Cy Diaz</dc:creator>
</item>
</channel></rss>
"""


def test_rss_item_fields_and_plain_feed() -> None:
    text = RSS_ITEM.format(
        title="An Item",
        description="arXiv:2508.20001v1 Announce Type: new \nAbstract: A short abstract.",
        version=1,
    )
    (paper,) = rss.read(text, "feed.xml")
    assert paper.authors == ["Ann Lee", "Bo Chen", "Cy Diaz"]
    assert paper.abstract == "A short abstract."
    assert (paper.arxiv_id, paper.arxiv_version) == ("2508.20001", 1)
    assert paper.sources[0].entry == "item 1 (new)"
    # A non-arXiv RSS feed: link kept, plain description kept.
    plain = (
        '<rss version="2.0"><channel><item><title>Blog Post</title>'
        "<link>https://example.org/post</link><description>Plain text.</description>"
        "<pubDate>Mon, 01 Sep 2025 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    (post,) = rss.read(plain, "blog.xml")
    assert post.arxiv_id is None
    assert post.abs_url == "https://example.org/post"
    assert post.abstract == "Plain text."
    assert post.published == date(2025, 9, 1)
    assert post.sources[0].entry == "item 1"
    with pytest.raises(InputError) as caught:
        rss.read('<rss version="2.0"><channel><item><link>x</link></item></channel></rss>', "f")
    assert (caught.value.problem, caught.value.where) == ("item has no title", "item 1")
    with pytest.raises(InputError) as caught:
        rss.read("<rss/>", "f")
    assert caught.value.problem == "expected <rss><channel>"


def test_rss_abstract_with_less_than_and_greater_than_signs() -> None:
    text = RSS_ITEM.format(
        title="Comparisons",
        description="arXiv:2508.20001v1 Announce Type: new \nAbstract: "
        "We keep error &lt; 5% and latency &gt; 2 ms.",
        version=1,
    )
    (paper,) = rss.read(text, "feed.xml")
    assert paper.abstract == "We keep error < 5% and latency > 2 ms."


def test_rss_replaced_paper_does_not_claim_the_announcement_as_first_version() -> None:
    text = RSS_ITEM.format(
        title="Revised",
        description="arXiv:2508.20001v3 Announce Type: replace \nAbstract: Revised.",
        version=3,
    )
    (paper,) = rss.read(text, "feed.xml")
    assert paper.arxiv_version == 3
    assert paper.published != date(2025, 8, 20)
    assert (paper.published, paper.published_precision) == (date(2025, 8, 1), "month")
    assert paper.updated == date(2025, 8, 20)


# ================================================================================
# JSON and JSON Lines
# ================================================================================

RECORD_A = {"title": "Paper A", "abstract": "About A.", "authors": ["Ann", "Bo"]}
RECORD_B = {"title": "Paper B", "abstract": "About B.", "arxiv_id": "2501.00002v2"}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps([RECORD_A, RECORD_B]),
        json.dumps({"papers": [RECORD_A, RECORD_B]}, indent=2),
        json.dumps(RECORD_A) + "\n\n" + json.dumps(RECORD_B) + "\n",
    ],
    ids=["list", "papers-object", "json-lines"],
)
def test_json_shapes(tmp_path: Path, text: str) -> None:
    fmt, papers = read_file(_write(tmp_path, "papers.json", text))
    assert fmt == "json"
    assert [p.title for p in papers] == ["Paper A", "Paper B"]
    assert papers[0].authors == ["Ann", "Bo"]
    assert papers[0].id.startswith("title:")
    assert (papers[1].arxiv_id, papers[1].arxiv_version) == ("2501.00002", 2)
    assert papers[1].abs_url == "https://arxiv.org/abs/2501.00002"
    assert papers[1].id == "arxiv:2501.00002"


def test_json_entries_name_records_or_lines() -> None:
    listed = jsonrec.read(json.dumps([RECORD_A, RECORD_B]), "f.json")
    assert [p.sources[0].entry for p in listed] == ["record 1", "record 2"]
    lines = jsonrec.read(json.dumps(RECORD_A) + "\n\n" + json.dumps(RECORD_B) + "\n", "f.jsonl")
    assert [p.sources[0].entry for p in lines] == ["line 1", "line 3"]
    (single,) = jsonrec.read(json.dumps(RECORD_A, indent=2), "f.json")
    assert single.title == "Paper A"
    assert single.sources[0].entry == "record 1"


def test_json_aliases() -> None:
    record = {
        "Title": "  Aliased   Paper ",
        "summary": "An abstract given as summary. Code at https://github.com/org/in-abstract",
        "link": "http://arxiv.org/abs/2509.06617v3",
        "date": "2025-09-08",
        "code": "https://github.com/org/aliased",
        "keywords": ["ignored"],
        "unknown_field": 1,
    }
    (paper,) = jsonrec.read(json.dumps(record), "f.json")
    assert paper.title == "Aliased Paper"
    assert paper.abstract.startswith("An abstract given as summary.")
    assert (paper.arxiv_id, paper.arxiv_version) == ("2509.06617", 3)
    assert paper.abs_url == "http://arxiv.org/abs/2509.06617v3"
    assert paper.published == date(2025, 9, 8)
    assert paper.code_urls == ["https://github.com/org/aliased"]

    (by_url,) = jsonrec.read('{"title": "T", "url": "https://arxiv.org/pdf/2202.12139v1"}', "f")
    assert (by_url.arxiv_id, by_url.arxiv_version) == ("2202.12139", 1)
    (eprint,) = jsonrec.read('{"title": "T", "eprint": "arXiv:hep-th/9901001"}', "f")
    assert eprint.arxiv_id == "hep-th/9901001"
    assert eprint.abs_url == "https://arxiv.org/abs/hep-th/9901001"
    (by_doi,) = jsonrec.read(
        '{"title": "T", "doi": "https://doi.org/10.48550/arXiv.2509.06617"}', "f"
    )
    assert by_doi.doi == "10.48550/arxiv.2509.06617"
    assert by_doi.arxiv_id == "2509.06617"
    (year_only,) = jsonrec.read('{"title": "T", "date": "2024"}', "f")
    assert (year_only.published, year_only.year) == (None, 2024)
    (code_list,) = jsonrec.read(
        '{"title": "T", "code_repository": ["https://github.com/a/b", "https://gitlab.com/c/d"]}',
        "f",
    )
    assert code_list.code_urls == ["https://github.com/a/b", "https://gitlab.com/c/d"]
    (from_abstract,) = jsonrec.read(
        '{"title": "T", "abstract": "See https://github.com/x/y."}', "f"
    )
    assert from_abstract.code_urls == ["https://github.com/x/y"]


@pytest.mark.parametrize(
    "authors",
    [
        ["Ann Lee", "Bo Chen", "Cy Diaz"],
        [{"name": "Ann Lee"}, {"name": "Bo Chen"}, {"name": "Cy Diaz"}],
        "Ann Lee, Bo Chen and Cy Diaz",
        "Ann Lee and Bo Chen and Cy Diaz",
    ],
    ids=["strings", "objects", "comma-and", "and"],
)
def test_json_author_shapes(authors: object) -> None:
    (paper,) = jsonrec.read(json.dumps({"title": "T", "authors": authors}), "f.json")
    assert paper.authors == ["Ann Lee", "Bo Chen", "Cy Diaz"]


def test_json_round_trip_of_paper_to_json(tmp_path: Path) -> None:
    originals = [
        *read_file(TABLE_200)[1][:40],
        *read_file(HF_BLANK)[1][:20],
        *read_file(API_100)[1][:40],
    ]
    exported = {"papers": [p.to_json() for p in originals]}
    lines = "\n".join(json.dumps(p.to_json()) for p in originals) + "\n"
    for name, text in (("export.json", json.dumps(exported, indent=2)), ("export.jsonl", lines)):
        fmt, again = read_file(_write(tmp_path, name, text))
        assert fmt == "json"
        assert len(again) == len(originals)
        for before, after in zip(originals, again, strict=True):
            for field in (
                "title",
                "abstract",
                "abstract_truncated",
                "authors",
                "arxiv_id",
                "arxiv_version",
                "published",
                "updated",
                "doi",
                "comment",
                "code_urls",
                "categories",
                "id",
            ):
                assert getattr(after, field) == getattr(before, field), (name, field)
            assert after.sources[0].format == "json"


def test_malformed_json_gives_line_and_column(tmp_path: Path) -> None:
    text = '[\n  {"title": "a"},\n  {"title": "b",}\n]\n'
    with pytest.raises(InputError) as caught:
        read_file(_write(tmp_path, "bad.json", text))
    assert caught.value.where == "line 3, column 17"
    assert caught.value.problem.startswith("malformed JSON (")


def test_malformed_pretty_printed_object_gives_its_line() -> None:
    text = '{\n  "title": "x",\n  "abstract": "y"\n  "authors": []\n}\n'
    with pytest.raises(InputError) as caught:
        jsonrec.read(text, "bad.json")
    assert caught.value.where == "line 4, column 3"


def test_malformed_json_lines_record_gives_its_line() -> None:
    text = '{"title": "a"}\n{"title": "b"\n{"title": "c"}\n'
    with pytest.raises(InputError) as caught:
        jsonrec.read(text, "bad.jsonl")
    assert caught.value.where == "line 2"
    assert caught.value.problem.startswith("malformed JSON Lines record (")


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ('[{"title": "a"}, {"abstract": "no title"}]', "record 2", "record has no title"),
        ('[{"title": "a"}, {"title": "   "}]', "record 2", "record has no title"),
        ('[{"title": "a"}, "b"]', "record 2", "a paper record must be a JSON object"),
        ('[{"title": "a"}, [1]]', "record 2", "a paper record must be a JSON object"),
        ('{"title": "a"}\n{"title": "b"}\n[]\n', "line 3", "a paper record must be a JSON object"),
        ('{"papers": "x"}', "record 1", "record has no title"),
    ],
)
def test_json_bad_records(text: str, where: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        jsonrec.read(text, "f.json")
    assert (caught.value.where, caught.value.problem) == (where, problem)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"title": "a", "published": 5}, "published"),
        ({"title": "a", "published": ["2020"]}, "published"),
        ({"title": "a", "abstract": 5}, "abstract"),
        ({"title": "a", "arxiv_version": "abc"}, "arxiv_version"),
        ({"title": "a", "year": "abc"}, "year"),
        ({"title": "a", "abs_url": 5}, "abs_url"),
        ({"title": "a", "categories": 5}, "categories.0"),
        ({"title": "a", "code": {"a": 1}}, "code_urls.0"),
    ],
)
def test_json_wrong_field_types_are_input_errors(record: dict, field: str) -> None:
    with pytest.raises(InputError) as caught:
        jsonrec.read(json.dumps(record), "f.json")
    assert caught.value.where == "record 1"
    assert caught.value.problem.startswith(f"field {field!r}: ")


@pytest.mark.parametrize("authors", [3, [1, None]])
def test_json_wrong_author_types_are_input_errors(authors: object) -> None:
    with pytest.raises(InputError) as caught:
        jsonrec.read(json.dumps({"title": "a", "authors": authors}), "f.json")
    assert caught.value.where == "record 1"


def test_json_scalar_document() -> None:
    with pytest.raises(InputError) as caught:
        jsonrec.read("[1", "f.json")
    assert caught.value.where == "line 1, column 3"
    with pytest.raises(InputError) as caught:
        jsonrec.read('"a string"', "f.json")
    assert caught.value.problem == "expected a JSON object or list of paper records"


# ================================================================================
# Detection, decoding and read_file
# ================================================================================


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        (API_ID_LIST, "api.txt", "arxiv-atom"),
        (DAILY_ATOM, "daily.json", "arxiv-atom"),
        (RSS2, "feed.md", "rss"),
        (TABLE_19, "listing.xml", "arxiv-table"),
        (HF_GLUED, "page.bib", "hf-page"),
        (HF_BLANK, "page.json", "hf-page"),
        (DATA / "bibtex" / "arxiv.bib", "refs.txt", "bibtex"),
    ],
)
def test_format_detected_from_content_not_extension(
    tmp_path: Path, source: Path, name: str, expected: str
) -> None:
    target = tmp_path / name
    shutil.copyfile(source, target)
    fmt, papers = read_file(target)
    assert fmt == expected
    assert papers
    assert detect_format(source.read_text("utf-8"), str(source)) == expected


def test_json_detected_whatever_the_extension(tmp_path: Path) -> None:
    fmt, papers = read_file(_write(tmp_path, "papers.xml", json.dumps([RECORD_A])))
    assert fmt == "json"
    assert papers[0].title == "Paper A"
    fmt, _ = read_file(_write(tmp_path, "papers.md", "\n  " + json.dumps(RECORD_A)))
    assert fmt == "json"


def test_unrecognized_format(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.txt", "Some notes\nabout nothing in particular.\n")
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.problem == "unrecognized format"
    assert caught.value.hint is not None and "--format" in caught.value.hint


def test_format_override() -> None:
    with pytest.raises(InputError) as caught:
        read_file(HF_BLANK, fmt="arxiv-table")
    assert caught.value.problem == "no table header with a Title column"
    with pytest.raises(InputError) as caught:
        read_file(TABLE_19, fmt="json")
    assert caught.value.problem.startswith("malformed JSON")
    with pytest.raises(InputError) as caught:
        read_file(TABLE_19, fmt="csv")
    assert caught.value.problem == "unknown format 'csv'"
    fmt, papers = read_file(TABLE_19, fmt="arxiv-table")
    assert (fmt, len(papers)) == ("arxiv-table", 19)
    assert FORMATS[0] == "auto" and set(FORMATS[1:]) == set(READERS)


def test_hf_page_without_chrome_reads_with_format_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "bare.txt", "A Bare Title\nA bare abstract, complete.\n")
    with pytest.raises(InputError):
        read_file(path)
    fmt, (paper,) = read_file(path, fmt="hf-page")
    assert (fmt, paper.title) == ("hf-page", "A Bare Title")


@pytest.mark.parametrize("content", [b"", b"   \n\t\n  \r\n"], ids=["empty", "whitespace"])
def test_empty_files(tmp_path: Path, content: bytes) -> None:
    path = _write(tmp_path, "empty.json", content)
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.problem == "the file is empty"
    assert caught.value.path == str(path)


def test_binary_file(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    with pytest.raises(InputError) as caught:
        read_file(_write(tmp_path, "figure.txt", png))
    assert caught.value.problem == "this is a binary file, not text"
    with pytest.raises(InputError) as caught:
        decode_text(bytes([1, 2, 3, 4, 5, 6, 7, 8]) * 100, "x")
    assert caught.value.problem == "this is a binary file, not text"


def test_latin1_file_names_the_line(tmp_path: Path) -> None:
    text = '[\n  {"title": "Caf\u00e9 Study"}\n]\n'.replace("[\n", "[\n\n")
    path = _write(tmp_path, "latin1.json", text.encode("latin-1"))
    offset = text.encode("latin-1").index(b"\xe9")
    with pytest.raises(InputError) as caught:
        read_file(path)
    assert caught.value.problem == f"not valid UTF-8 (byte 0xe9 at offset {offset})"
    assert caught.value.where == "line 3"
    assert caught.value.hint is not None and "iconv" in caught.value.hint


def test_bom_is_accepted(tmp_path: Path) -> None:
    fmt, papers = read_file(
        _write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps([RECORD_A]).encode())
    )
    assert (fmt, papers[0].title) == ("json", "Paper A")
    fmt, papers = read_file(_write(tmp_path, "bom.md", b"\xef\xbb\xbf" + TABLE_19.read_bytes()))
    assert (fmt, len(papers)) == ("arxiv-table", 19)


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_crlf_seed_reads_the_same(tmp_path: Path, newline: bytes) -> None:
    data = TABLE_200.read_bytes().replace(b"\n", newline)
    fmt, papers = read_file(_write(tmp_path, "crlf.md", data))
    _, expected = read_file(TABLE_200)
    assert fmt == "arxiv-table"
    assert len(papers) == 200
    for got, want in zip(papers, expected, strict=True):
        assert got.model_dump(exclude={"sources"}) == want.model_dump(exclude={"sources"})
        assert got.sources[0].entry == want.sources[0].entry
    assert "\r" not in "".join(p.abstract + p.title + (p.comment or "") for p in papers)


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_file(tmp_path)
    assert (caught.value.path, caught.value.problem) == (str(tmp_path), "is a directory")
    missing = tmp_path / "nope.json"
    with pytest.raises(InputError) as caught:
        read_file(missing)
    assert (caught.value.path, caught.value.problem) == (str(missing), "no such file")


def test_sources_hold_the_absolute_resolved_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "data" / "listing.md"
    real.parent.mkdir()
    shutil.copyfile(TABLE_19, real)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    monkeypatch.chdir(tmp_path)
    for named in ("data/listing.md", "./data/../data/listing.md", "link.md", str(link)):
        _, papers = read_file(named)
        assert {s.path for p in papers for s in p.sources} == {str(real.resolve())}, named


@pytest.mark.parametrize("seed", [*SEEDS, API_100, DAILY_ATOM, RSS2], ids=lambda p: p.name)
def test_every_paper_gets_its_canonical_id(seed: Path) -> None:
    _, papers = read_file(seed)
    for paper in papers:
        assert paper.id == canonical_id(paper.arxiv_id, paper.doi, paper.title)
        assert paper.id.startswith(("arxiv:", "doi:", "title:"))
        assert Path(paper.sources[0].path).is_absolute()
