"""The BibTeX reader and LaTeX decoding, on exports in the styles real tools write."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reviewer.corpus.latex import decode_latex, split_names
from reviewer.corpus.model import Paper, Source
from reviewer.corpus.readers import bibtex, read_file
from reviewer.errors import InputError

DATA = Path(__file__).parent / "data" / "bibtex"


def _read(name: str) -> dict[str, Paper]:
    path = DATA / name
    return {p.bibtex_key or "": p for p in bibtex.read(path.read_text("utf-8"), str(path))}


# --- Zotero (biblatex export: date, abstract, url, urldate, note, accents) ---


def test_zotero_arxiv_preprint() -> None:
    paper = _read("zotero.bib")["muller_multimodal_2025"]
    assert paper.title == "Multi-Modal Foundation Models for Brain MRI: A Benchmark on Gliomas"
    assert paper.authors == ["Anna Müller", "María José García", "Søren Østergaard"]
    assert paper.published == date(2025, 9, 8)
    assert paper.year == 2025
    assert paper.doi == "10.48550/arxiv.2509.01234"
    assert paper.arxiv_id == "2509.01234"  # from the arXiv DOI and the url
    assert paper.abs_url == "https://arxiv.org/abs/2509.01234"
    assert paper.code_urls == ["https://github.com/example-lab/mm-bench"]
    assert paper.comment == "arXiv:2509.01234 [cs]. Code: https://github.com/example-lab/mm-bench"
    assert paper.venue is None
    assert paper.id == ""  # read_file assigns it


def test_zotero_abstract_is_decoded_and_complete() -> None:
    paper = _read("zotero.bib")["muller_multimodal_2025"]
    assert paper.abstract.startswith("Foundation models pre-trained on natural images")
    assert "brain MRI." in paper.abstract
    assert "in-domain pre-training improves the Dice score by 4.1% on average – at" in (
        paper.abstract
    )
    assert paper.abstract_truncated is False


def test_zotero_journal_article() -> None:
    paper = _read("zotero.bib")["nguyen_low-count_2024"]
    assert paper.authors == ["Van Minh Nguyễn", "Ingrid Bråthen", "Luka Šimunović"]
    assert paper.venue == "Medical Image Analysis"  # biblatex journaltitle
    assert paper.published == date(2024, 3, 1)  # date = {2024-03}: day unknown
    assert paper.doi == "10.1016/j.media.2024.103101"
    assert paper.arxiv_id is None
    assert paper.abs_url == "https://www.sciencedirect.com/science/article/pii/S1361841524000123"
    assert paper.comment == "Publisher: Elsevier"
    assert "ℓ_1-regularised" in paper.abstract
    assert "1 200 scans" in paper.abstract


def test_sources_name_file_format_and_line() -> None:
    papers = _read("zotero.bib")
    path = str(DATA / "zotero.bib")
    assert papers["muller_multimodal_2025"].sources == [
        Source(path=path, format="bibtex", entry="line 1")
    ]
    assert papers["nguyen_low-count_2024"].sources[0].entry == "line 16"


# --- DBLP (CoRR volume abs/..., eprinttype, timestamp, biburl, bibsource) ---


def test_dblp_corr_entry() -> None:
    paper = _read("dblp.bib")["DBLP:journals/corr/abs-2508-04321"]
    assert paper.title == "Sequential Fine-Tuning of 3D Segmentation Foundation Models"
    assert paper.authors == ["Wei Zhang", "Lukas Schröder", "Priya Raghunathan"]
    assert paper.arxiv_id == "2508.04321"
    assert paper.doi == "10.48550/arxiv.2508.04321"
    assert paper.venue is None  # CoRR is not a venue
    assert paper.published == date(2025, 1, 1)
    assert paper.abs_url == "https://doi.org/10.48550/arXiv.2508.04321"


def test_dblp_corr_volume_alone_gives_arxiv_id() -> None:
    paper = _read("dblp.bib")["DBLP:journals/corr/RonnebergerFB15"]
    assert paper.arxiv_id == "1505.04597"
    assert paper.venue is None
    assert paper.abs_url is None


def test_dblp_proceedings_entry() -> None:
    paper = _read("dblp.bib")["DBLP:conf/miccai/RonnebergerFB15"]
    assert paper.authors == ["Olaf Ronneberger", "Philipp Fischer", "Thomas Brox"]
    assert paper.doi == "10.1007/978-3-319-24574-4_28"  # DBLP escapes the underscore
    assert paper.abs_url == "https://doi.org/10.1007/978-3-319-24574-4_28"
    assert paper.venue == (
        "Medical Image Computing and Computer-Assisted Intervention - MICCAI 2015 - 18th "
        "International Conference Munich, Germany, October 5 - 9, 2015, Proceedings, Part III"
    )
    assert paper.arxiv_id is None
    assert paper.year == 2015


# --- ADS (adsurl, adsnote, archivePrefix, primaryClass, arXiv e-prints, month = sep) ---


def test_ads_eprint_entry() -> None:
    paper = _read("ads.bib")["2025arXiv250901234M"]
    assert paper.title == "Multi-Modal Foundation Models for Brain MRI: A Benchmark on Gliomas"
    assert paper.authors == ["Anna Müller", "María José García", "Søren Østergaard"]
    assert paper.arxiv_id == "2509.01234"
    assert paper.primary_category == "cs.CV"
    assert paper.categories == ["cs.CV"]
    assert paper.venue is None  # "arXiv e-prints"
    assert paper.published == date(2025, 9, 1)  # month = sep, a predefined macro
    assert paper.comment is None  # adsnote is not a comment
    assert paper.abs_url is None


def test_ads_journal_entry_with_consortium_author() -> None:
    paper = _read("ads.bib")["2023PMB....68a5001A"]
    assert paper.title == "Dose-aware denoising of low-count PET with diffusion models"
    assert paper.authors == ["Karin Ångström", "Van Minh Nguyễn", "Big Imaging Consortium"]
    assert paper.venue == "Physics in Medicine and Biology"
    assert paper.arxiv_id == "2207.01234"
    assert paper.primary_category == "physics.med-ph"
    assert paper.doi == "10.1088/1361-6560/aca123"
    assert paper.published == date(2023, 1, 1)


def test_ads_journal_macro_is_expanded() -> None:
    paper = _read("ads.bib")["2020ApJ...900...12K"]
    assert paper.venue == "ApJ"
    assert paper.authors == ["Jan Kowalski", "Ewa Wójcik"]
    assert paper.arxiv_id is None


# --- arXiv's own "Export BibTeX" ---


def test_arxiv_export() -> None:
    papers = _read("arxiv.bib")
    paper = papers["zhang2025sequentialfinetuning3dsegmentation"]
    assert paper.title == (
        "Sequential Fine-Tuning of 3D Segmentation Foundation Models with α-Blending"
    )
    assert paper.authors == ["Wei Zhang", "Lukas Schröder", "Priya Raghunathan"]
    assert paper.arxiv_id == "2508.04321"
    assert paper.arxiv_version is None
    assert paper.primary_category == "eess.IV"
    assert paper.abs_url == "https://arxiv.org/abs/2508.04321"
    assert paper.year == 2025
    assert papers["ronneberger2015unetconvolutionalnetworksbiomedical"].arxiv_id == "1505.04597"


# --- @string, @comment, @preamble, # concatenation, prose between entries ---


def test_mixed_file_keeps_only_real_entries() -> None:
    assert list(_read("mixed.bib")) == [
        "chen2024variants",
        "smith2023review",
        "li2025contrast",
        "okafor2025weights",
    ]


def test_string_macros_and_concatenation() -> None:
    paper = _read("mixed.bib")["chen2024variants"]
    assert paper.venue == (
        "Proceedings of Medical Image Computing and Computer Assisted Intervention"
    )
    assert paper.title == "U-Net Variants for 3D Segmentation: A Systematic Study"
    assert paper.authors == ["Li Chen", "Big Consortium"]  # "and others" dropped
    assert paper.published == date(2024, 10, 1)  # bare numbers for year and month
    assert paper.code_urls == ["https://gitlab.com/seg-lab/unet-variants"]
    assert paper.comment == "Code at https://gitlab.com/seg-lab/unet-variants."


def test_parenthesised_entry_with_macro_and_truncated_abstract() -> None:
    paper = _read("mixed.bib")["smith2023review"]
    assert paper.venue == "Medical Image Analysis"  # from @STRING( ... )
    assert paper.authors == ["John Smith Jr", "Ana de la Cruz"]
    assert paper.published == date(2023, 9, 1)  # month = {Sept.}
    assert paper.doi == "10.1016/j.media.2023.102999"  # from a doi.org URL
    assert paper.abstract_truncated is True


def test_google_scholar_journal_gives_arxiv_id() -> None:
    paper = _read("mixed.bib")["li2025contrast"]
    assert paper.arxiv_id == "2509.00808"
    assert paper.venue is None


def test_arxiv_pdf_url_with_version_and_hugging_face_code() -> None:
    paper = _read("mixed.bib")["okafor2025weights"]
    assert paper.title == "Ångström-scale features: weights for the U-Net baseline"
    assert paper.arxiv_id == "2507.11111"
    assert paper.arxiv_version == 3
    assert paper.abs_url == "https://arxiv.org/abs/2507.11111"
    assert paper.pdf_url == "https://arxiv.org/pdf/2507.11111v3"
    assert paper.code_urls == ["https://huggingface.co/seg-lab/unet-baseline"]  # once
    assert paper.comment == "12 pages; weights: https://huggingface.co/seg-lab/unet-baseline"
    assert paper.published == date(2025, 7, 15)


def test_read_file_detects_bibtex_and_assigns_ids() -> None:
    fmt, papers = read_file(DATA / "dblp.bib")
    assert fmt == "bibtex"
    assert [p.id for p in papers] == [
        "arxiv:2508.04321",
        "doi:10.1007/978-3-319-24574-4_28",
        "arxiv:1505.04597",
    ]


# --- LaTeX decoding ---


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"M{\"u}ller", "Müller"),
        (r"M\"{u}ller", "Müller"),
        (r"M\"uller", "Müller"),
        (r"Jos\'{e}", "José"),
        (r"Jos{\'e}", "José"),
        (r"{\AA}ngstr{\"o}m", "Ångström"),
        (r"{U}-{N}et", "U-Net"),
        (r"Fran\c{c}ois \c cedilla", "François çedilla"),
        (r"\^{e}\`a\~n\=a\.z\u{g}\v{s}\H{o}\k{a}\r{u}", "êàñāżğšőąů"),
        (r"Garc{\'\i}a and \"{\i}", "García and ï"),
        (r"Nguy{\~{\^e}}n", "Nguyễn"),
        (r"Stra{\ss}e \o{} \O\ae\AE\oe \aa\AA \l\L \i\j", "Straße ø ØæÆœåÅłŁıȷ"),
        (r"{\oe}uvre \ae ther", "œuvre æther"),  # TeX eats the space after \ae
        (r"R\&D costs 5\% \$ \#1 a\_b \{x\}", "R&D costs 5% $ #1 a_b {x}"),
        ("pages 1--10 --- or~so", "pages 1–10 — or so"),
        ("``quoted''", "“quoted”"),
        (r"\textit{a} \emph{b} \textbf{c} \mathrm{d} \texttt{e}", "a b c d e"),
        (r"$\alpha$ to $\Omega$, $3\times 3$, $\pm 1$", "α to Ω, 3× 3, ± 1"),
        (r"$x \leq y \geq z$ and $x^{2}_i$", "x ≤ y ≥ z and x^2_i"),
        ("{{Deep}   Learning}\n\tfor  {MRI}", "Deep Learning for MRI"),
        (r"{\it Italic} and {\bf bold}", "Italic and bold"),
    ],
)
def test_decode_latex(latex: str, text: str) -> None:
    assert decode_latex(latex) == text


def test_decode_latex_composes_to_nfc() -> None:
    assert decode_latex(r"\"o") == "\u00f6"  # one code point, not o + U+0308


def test_split_names() -> None:
    assert split_names(r"M{\"u}ller, Anna and {Big Consortium} and Jos\'{e} Ruiz") == [
        "Anna Müller",
        "Big Consortium",
        "José Ruiz",
    ]
    # "and" inside braces is part of a name; "AND" also separates.
    assert split_names("{Barnes and Noble Lab} AND Doe, Jane") == [
        "Barnes and Noble Lab",
        "Jane Doe",
    ]


# --- broken input ---


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        bibtex.read(text, "refs.bib")
    return info.value


def test_unbalanced_braces_name_file_and_entry_line() -> None:
    text = (
        "@article{good, title = {Fine}, author = {A}}\n"
        "\n"
        "@article{smith2020,\n"
        "  title = {Deep {Learning for MRI},\n"
        "  author = {Smith, John},\n"
        "  year = {2020}\n"
        "}\n"
        "\n"
        "@article{next, title = {Other}}\n"
    )
    error = _error(text)
    assert error.path == "refs.bib"
    assert error.where == "line 3"
    assert error.problem == (
        "unbalanced braces in entry 'smith2020' (opened at line 3, never closed)"
    )
    assert str(error).startswith("refs.bib, line 3: unbalanced braces")


def test_unbalanced_braces_running_to_the_end() -> None:
    error = _error("% refs\n@misc{late,\n  title = {Open {brace},\n  year = 2020,\n}\n")
    assert error.where == "line 2"
    assert "unbalanced braces in entry 'late' (opened at line 2" in error.problem


def test_missing_title() -> None:
    error = _error("@article{ok, title={A}}\n\n@article{notitle,\n  author = {Doe, Jane},\n}\n")
    assert error.problem == "entry 'notitle' has no title"
    assert error.where == "line 3"


def test_empty_title_is_missing() -> None:
    assert _error("@misc{blank, title = {{}}}").problem == "entry 'blank' has no title"


def test_missing_equals() -> None:
    error = _error("@article{x,\n  author = {A},\n  title {Foo}\n}\n")
    assert error.problem == "expected '=' after field name 'title' in entry 'x'"
    assert error.where == "line 3"


def test_truncated_file() -> None:
    error = _error("@article{trunc,\n  title = {Foo},\n  author = {Bar},\n")
    assert error.where == "line 1"
    assert error.problem.startswith("the file ends inside entry 'trunc' (opened at line 1")


def test_truncated_after_equals() -> None:
    error = _error("@article{cut,\n  title = ")
    assert error.problem.startswith("the file ends inside entry 'cut'")


def test_duplicate_key() -> None:
    error = _error("@misc{dup, title={A}}\n@misc{other, title={B}}\n@misc{Dup, title={C}}\n")
    assert error.problem == "duplicate key 'Dup' (first at line 1)"
    assert error.where == "line 3"


@pytest.mark.parametrize(
    ("text", "problem", "where"),
    [
        (
            "@misc{a, title={A} year={2020}}",
            "expected ',' or '}' after field 'title' in entry 'a' (missing comma?)",
            "line 1",
        ),
        (
            "@misc{a, title={A}, title={B}}",
            "duplicate field 'title' in entry 'a'",
            "line 1",
        ),
        (
            "@misc{a,\n title = foo,\n}",
            "undefined @string macro 'foo' in field 'title' of entry 'a'",
            "line 2",
        ),
        (
            '@misc{a,\n title = "open,\n}',
            "unterminated quoted value in field 'title' of entry 'a' (opened at line 2)",
            "line 1",
        ),
        (
            "@misc{a, title={A}}}\n  author = {Extra Brace},\n}",
            "field 'author' outside any entry: an extra '}' probably closed 'a' (line 1) early",
            "line 2",
        ),
        (
            "@misc{a, title={A}, eprint={2301.00001}, url={https://arxiv.org/abs/2301.00002}}",
            "two arXiv ids: 2301.00001 (eprint) and 2301.00002 (url) in entry 'a'",
            "line 1",
        ),
        ("@misc{, title={A}}", "@misc entry has no key", "line 1"),
        ("\n@article smith,\n title={A}}", "expected '@type{' at the start of an entry", "line 2"),
    ],
)
def test_malformed_entries(text: str, problem: str, where: str) -> None:
    error = _error(text)
    assert error.problem.startswith(problem)
    assert error.where == where


def test_bare_eprint_and_other_archives() -> None:
    text = (
        "@misc{bare, title={A}, eprint={2301.00001v2}}\n"
        "@misc{pubmed, title={B}, eprint={12345678}, eprinttype={pubmed}}\n"
        "@misc{cut, title={C}, abstract={We show that\\ldots}}\n"
    )
    papers = {p.bibtex_key: p for p in bibtex.read(text, "refs.bib")}
    assert (papers["bare"].arxiv_id, papers["bare"].arxiv_version) == ("2301.00001", 2)
    assert papers["pubmed"].arxiv_id is None
    assert papers["cut"].abstract == "We show that…"
    assert papers["cut"].abstract_truncated is True


def test_percent_comments_hide_entries_and_lines() -> None:
    text = (
        "% @article{old,\n"
        "%   title = {Commented out},\n"
        "% }\n"
        "@misc{a,\n"
        "  % title = {Not this one},\n"
        '  title = "M\\"uller\'s {\\"U}bersicht",\n'
        "}\n"
    )
    papers = bibtex.read(text, "refs.bib")
    assert [(p.bibtex_key, p.title) for p in papers] == [("a", "Müller's Übersicht")]


def test_at_sign_in_prose_between_entries_is_ignored() -> None:
    text = "Ask jane@example.org.\n@misc{a, title={A}}\nOr @someone on chat.\n"
    assert [p.bibtex_key for p in bibtex.read(text, "refs.bib")] == ["a"]


# --- format detection ---


@pytest.mark.parametrize("name", ["zotero.bib", "dblp.bib", "ads.bib", "arxiv.bib", "mixed.bib"])
def test_sniff_accepts_every_sample(name: str) -> None:
    assert bibtex.sniff((DATA / name).read_text("utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "| **Title** | **Date** |\n| --- | --- |\n| [A](http://arxiv.org/abs/2509.06617v1) | x |\n",
        '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>\n',
        '[{"title": "A", "email": "a@b.org", "note": "@misc{x, ...}"}]\n',
        "Please write to jane@example.org {any day} about the review.\n",
        "Notes first.\n@article{x, title={A}}\n",
    ],
    ids=["markdown-table", "xml-feed", "json", "prose-with-email", "prose-before-entry"],
)
def test_sniff_rejects_other_formats(text: str) -> None:
    assert not bibtex.sniff(text)


@pytest.mark.parametrize(
    "text",
    [
        "@misc{a, title={A}, eprint={not-an-id}, archivePrefix={arXiv}}",
        "@misc{a, title={A}, doi={not a doi}}",
        "@misc{a, title={A}, year={2020}, month={Smarch}}",
        "@misc{a, title={A}, date={2021-02-30}}",
        "@misc{a, title={A}, year={in press}}",
    ],
)
def test_one_unreadable_identifier_or_date_keeps_the_entry_without_it(text: str) -> None:
    """A library with one `year = {in press}` must still import: the field is dropped."""
    (paper,) = bibtex.read(text, "refs.bib")
    assert paper.title == "A"
    assert paper.published is None and paper.doi is None and paper.arxiv_id is None


def test_entry_types_are_kept_lower_case() -> None:
    assert _read("zotero.bib")["nguyen_low-count_2024"].entry_type == "article"
    assert _read("dblp.bib")["DBLP:conf/miccai/RonnebergerFB15"].entry_type == "inproceedings"
    assert _read("ads.bib")["2023PMB....68a5001A"].entry_type == "article"  # @ARTICLE
    mixed = _read("mixed.bib")
    assert mixed["smith2023review"].entry_type == "article"  # @article( ... )
    assert mixed["okafor2025weights"].entry_type == "online"
