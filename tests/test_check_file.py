"""`reviewer check FILE`: Markdown and LaTeX read as sentences with their citations and
lines, --bib keys resolved to stored papers, and the command's exit codes and JSON.

The store is three papers whose abstracts are written here, so every expected verdict
can be read off them by hand: a sentence copied from its cited abstract passes, a
citation of no stored paper or a finding without a citation fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ingested_home, run_cli

from reviewer.citing import parse_latex, parse_markdown, read_bib

PAPERS = [
    {
        "title": "Gland Segmentation with Boundary Attention",
        "arxiv_id": "2401.00001",
        "authors": ["Ada Lovelace"],
        "published": "2024-01-02",
        "abstract": "We propose a boundary attention network for gland segmentation in "
        "histology images. On the GlaS benchmark it reaches a Dice score of 0.91, "
        "improving over the previous best by 2.3 points.",
    },
    {
        "title": "Polyp Detection from Colonoscopy Video",
        "doi": "10.1234/polyp.2023",
        "authors": ["Alan Turing"],
        "published": "2023-05-01",
        "abstract": "We present a real-time polyp detector for colonoscopy video. It runs at "
        "45 frames per second and detects 96% of polyps on the Kvasir dataset.",
    },
    {
        "title": "Retinal Vessel Segmentation with Tiny Transformers",
        "authors": ["Grace Hopper"],
        "published": "2022-03-01",
        "abstract": "A tiny transformer segments retinal vessels in fundus photographs. It "
        "uses 1.2 million parameters and matches larger networks on DRIVE.",
    },
]
GLAND_ID = "arxiv:2401.00001"
POLYP_ID = "doi:10.1234/polyp.2023"

BIB = r"""
@article{lovelace24, title={Gland Segmentation with {Boundary} Attention},
  eprint={2401.00001v2}, archivePrefix={arXiv}}
@article{turing23, title={A title this store does not know}, doi={10.1234/POLYP.2023}}
@misc{hopper22, title={Retinal vessel segmentation with tiny {T}ransformers}}
@misc{scholar24, title={Some other title},
  journal={arXiv preprint arXiv:2401.00001}}
@misc{nobody, title={A Paper Nobody Stored}}
"""


# -- Markdown ------------------------------------------------------------------------

MARKDOWN = """\
---
title: Front matter [@front1] is skipped.
---
# Related work [@heading1]

SAM was adapted to CT [@ma2024; @wu2023, p. 3]. MedSAM reaches 0.89, e.g. on CT
and MRI. Smith et al. [arxiv:2401.00001] show that Fig. 2 holds in [see @kim2022, pp. 4-5].
The [guide](https://example.org/x) and [the docs][docs] are links. [@late2021]
Pandoc puts the marker before the stop [2401.00002; doi:10.1/x].

```
code [@code1]. Not a sentence.
```

    indented code [@code2].

<!-- a comment [@comment1]
over two lines -->
- A list item cites [smith2020]
- [x] Values lie in [0, 1] [sic].

| a | b |
|---|---|
| 1 [@table1] | 2 |

> A quoted claim [-@quote1].

[docs]: https://example.org/docs
"""


def test_markdown_sentences_citations_and_lines() -> None:
    got = [(s.line, s.text, s.citations) for s in parse_markdown(MARKDOWN)]
    assert got == [
        (6, "SAM was adapted to CT.", ["ma2024", "wu2023"]),
        (6, "MedSAM reaches 0.89, e.g. on CT and MRI.", []),
        (7, "Smith et al. show that Fig. 2 holds in.", ["arxiv:2401.00001", "kim2022"]),
        (8, "The guide and the docs are links.", ["late2021"]),
        (9, "Pandoc puts the marker before the stop.", ["2401.00002", "doi:10.1/x"]),
        (19, "A list item cites.", ["smith2020"]),
        (20, "Values lie in [0, 1] [sic].", []),
        (26, "A quoted claim.", ["quote1"]),
    ]


def test_markdown_skips_what_is_not_prose() -> None:
    cited = {c for s in parse_markdown(MARKDOWN) for c in s.citations}
    for skipped in ("front1", "heading1", "code1", "code2", "comment1", "table1"):
        assert skipped not in cited
    assert not any("Not a sentence" in s.text for s in parse_markdown(MARKDOWN))


def test_a_setext_heading_is_not_a_sentence() -> None:
    text = "Related work\n============\n\nSAM was adapted [@a1].\n"
    assert [(s.line, s.text) for s in parse_markdown(text)] == [(4, "SAM was adapted.")]


# -- LaTeX ---------------------------------------------------------------------------

LATEX = r"""\documentclass{article}
\usepackage{natbib}
\begin{document}
\section{Related Work}\label{sec:rw}
SAM was adapted to medical images~\cite{ma2024, wu2023}. % dropped \cite{comment1}
MedSAM gains 50\% on \emph{CT} scans \citep[see][p.~3]{kim2022}.
As Fig.~\ref{fig:a} shows, \citet{smith2020} report $\alpha=0.5$ with
\textbf{bold} claims \parencite{a2020} and \textcite[p. 2]{b2021}.
Others agree \citealp{c2021} \autocite{d2021}.
\begin{figure}
\caption{A caption \cite{figure1}.}
\end{figure}
\begin{equation}
x = 1 \cite{math1}
\end{equation}
\paragraph{Run-in.} Text after a run-in heading \cite{e2022}.

\begin{itemize}
\item A list item \cite{f2023}
\item Another item.
\end{itemize}
\end{document}
"""


def test_latex_sentences_citations_and_lines() -> None:
    got = [(s.line, s.text, s.citations) for s in parse_latex(LATEX)]
    assert got == [
        (5, "SAM was adapted to medical images.", ["ma2024", "wu2023"]),
        (6, "MedSAM gains 50% on CT scans.", ["kim2022"]),
        (7, "As Fig. ? shows, report α=0.5 with bold claims and.", ["smith2020", "a2020", "b2021"]),
        (9, "Others agree.", ["c2021", "d2021"]),
        (16, "Text after a run-in heading.", ["e2022"]),
        (19, "A list item.", ["f2023"]),
        (20, "Another item.", []),
    ]


def test_latex_skips_comments_floats_math_and_headings() -> None:
    sentences = parse_latex(LATEX)
    cited = {c for s in sentences for c in s.citations}
    assert not cited & {"comment1", "figure1", "math1"}
    assert not any("Related Work" in s.text or "Run-in" in s.text for s in sentences)


# -- --bib ---------------------------------------------------------------------------


def test_read_bib_takes_the_identifiers_from_every_place(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB + "@misc{mendeley, title={T}, arxivId={2402.00002}}\n", encoding="utf-8")
    entries = {e.key: e for e in read_bib(bib)}
    assert entries["lovelace24"].arxiv_id == "2401.00001"
    assert entries["turing23"].doi == "10.1234/polyp.2023"
    assert entries["scholar24"].arxiv_id == "2401.00001"
    assert entries["mendeley"].arxiv_id == "2402.00002"
    assert entries["hopper22"].arxiv_id is None and entries["hopper22"].doi is None


@pytest.fixture(scope="module")
def small_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory, "small", PAPERS)


@pytest.fixture
def small_home(small_home_template: Path, _isolated_home: Path) -> Path:
    shutil.copytree(small_home_template, _isolated_home)
    return _isolated_home


def test_bib_keys_resolve_by_eprint_doi_and_title(small_home: Path, tmp_path: Path) -> None:
    from reviewer import Reviewer

    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "draft.tex").write_text(
        "A boundary attention network segments glands in histology "
        "images~\\cite{lovelace24}.\n"
        "We present a real-time polyp detector for colonoscopy video \\citep{turing23}.\n"
        "A tiny transformer segments retinal vessels in fundus photographs "
        "\\citep{hopper22}.\n"
        "On the GlaS benchmark it reaches a Dice score of 0.91 \\cite{scholar24}.\n"
        "We propose a boundary attention network for histology \\cite{nobody}.\n",
        encoding="utf-8",
    )
    with Reviewer() as rv:
        titles = {p.title: p.id for p in rv.list_papers()}
        check = rv.check_file(tmp_path / "draft.tex", bib=tmp_path / "refs.bib")
    hopper = titles["Retinal Vessel Segmentation with Tiny Transformers"]
    assert [s.cited_ids for s in check.sentences] == [
        [GLAND_ID],
        [POLYP_ID],
        [hopper],
        [GLAND_ID],
        [],
    ]
    assert [s.line for s in check.sentences] == [1, 2, 3, 4, 5]
    assert [s.ok for s in check.sentences] == [True, True, True, True, False]
    assert check.unknown_citations == ["nobody"]
    assert check.sentences[4].unknown_citations == ["nobody"]


# -- the command ---------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_clean_file_exits_0(small_home: Path, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "ok.md",
        "# Related work\n\nWe present a real-time polyp detector for colonoscopy video "
        "[doi:10.1234/polyp.2023]. It runs at 45 frames per second [@doi:10.1234/polyp.2023].\n",
    )
    result = run_cli("check", path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "2 sentences, 0 with problems" in result.stderr
    assert "polyp detector" in result.stdout and "error" not in result.stderr


def test_an_unknown_citation_exits_1_without_an_error_line(
    small_home: Path, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "unknown.md",
        "We propose a boundary attention network for gland segmentation [@nosuchkey2020].\n",
    )
    result = run_cli("check", path)
    assert result.returncode == 1, result.stderr
    assert "error:" not in result.stderr and "Traceback" not in result.stderr
    assert "nosuchkey2020" in result.stderr  # the footer names it
    assert "1 sentence, 1 with problems" in result.stderr


def test_an_uncited_finding_exits_1(small_home: Path, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "uncited.tex",
        "We propose a boundary attention network~\\cite{arxiv:2401.00001}.\n"
        "Transformers outperform convolutional networks on every benchmark by 12 points.\n",
    )
    result = run_cli("check", path, "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"sentences", "passed", "failed", "unknown_citations", "verification"}
    assert data["verification"] is None  # no judge model: --verify is off
    assert (data["passed"], data["failed"], data["unknown_citations"]) == (1, 1, [])
    first, second = data["sentences"]
    assert set(first) >= {
        "index",
        "text",
        "citations",
        "cited_ids",
        "ok",
        "problems",
        "kinds",
        "line",
    }
    assert (first["line"], first["ok"], first["cited_ids"]) == (1, True, [GLAND_ID])
    assert (second["line"], second["ok"], second["citations"]) == (2, False, [])
    assert any("cites no paper" in p for p in second["problems"])


def test_only_problems_leaves_out_the_sentences_that_pass(small_home: Path, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "mixed.md",
        "We propose a boundary attention network [arxiv:2401.00001].\n\n"
        "It detects 96% of polyps [@nosuchkey2020].\n",
    )
    result = run_cli("check", path, "--json", "--only-problems")
    data = json.loads(result.stdout)
    assert result.returncode == 1
    assert [s["line"] for s in data["sentences"]] == [3]
    assert (data["passed"], data["failed"]) == (1, 1)


def test_a_number_not_in_the_cited_abstract_exits_1(small_home: Path, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "number.md",
        "On the GlaS benchmark it reaches a Dice score of 0.97 [arxiv:2401.00001].\n",
    )
    result = run_cli("check", path, "--json")
    assert result.returncode == 1
    (sentence,) = json.loads(result.stdout)["sentences"]
    assert any("0.97" in p for p in sentence["problems"])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("check", "missing.md"), "no such file"),
        (("check", "notes.docx"), ".docx"),
        (("check", "notes.md", "--format", "docx"), "docx"),
    ],
)
def test_a_file_that_cannot_be_checked_exits_2(
    args: tuple[str, ...], fragment: str, tmp_path: Path
) -> None:
    result = run_cli(*[str(tmp_path / a) if "." in a and a != "--format" else a for a in args])
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error:") and fragment in lines[0]


def test_a_file_without_sentences_is_a_usage_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.md", "# Only a heading\n\n```\ncode\n```\n")
    result = run_cli("check", path)
    assert result.returncode == 2
    assert "no sentences to check" in result.stderr


def test_the_cli_formats_are_the_api_formats() -> None:
    from reviewer import api
    from reviewer.cli import check

    assert (
        check.CHECK_FORMATS
        == api.CHECK_FORMATS
        == tuple(dict.fromkeys(api.CHECK_SUFFIXES.values()))
    )


def test_a_numbered_reference_list_names_the_papers_of_its_numbers(
    small_home: Path, tmp_path: Path
) -> None:
    # The shape of reviewer's own Markdown drafts: [n] in the text, a References list.
    path = _write(
        tmp_path,
        "numbered.md",
        "## Related work\n\n"
        "A boundary attention network segments glands in histology images [1].\n\n"
        "It reaches a Dice score of 0.91 on GlaS, and a detector finds polyps [1, 2].\n\n"
        "A third method is cited here [3].\n\n"
        "## References\n\n"
        "[1] Gland Segmentation with Boundary Attention. arXiv:2401.00001. 2024.\n"
        "[2] Polyp Detection from Colonoscopy Video. 2023. <https://doi.org/10.1234/polyp.2023>\n"
        "[3] A Paper Nobody Stored. 2020.\n",
    )
    result = run_cli("check", path, "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 1, result.stderr
    # The reference list is not prose; its numbers are citations.
    assert [s["line"] for s in data["sentences"]] == [3, 5, 7]
    first, second, third = data["sentences"]
    assert first["citations"] == ["[1]"] and first["cited_ids"] == [GLAND_ID]
    assert second["cited_ids"] == [GLAND_ID, POLYP_ID]
    assert third["unknown_citations"] == ["[3]"] and data["unknown_citations"] == ["[3]"]
