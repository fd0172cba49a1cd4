"""TeX in titles and abstracts: readable text for readers, TeX kept for LaTeX and BibTeX.

The expected texts below are written by hand from the real titles and abstracts of the
demo corpus (reviewer/demo) and the recorded arXiv responses (tests/data/real); each
case first checks that the TeX really is in that file, so the table cannot drift from
the data."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from reviewer.corpus.model import Paper
from reviewer.corpus.readers import read_file
from reviewer.render import draft as draft_render
from reviewer.render.bibtex import bib_file, latex_escape, latex_keep_tex
from reviewer.render.email import render_html, render_text
from reviewer.render.table import to_csv
from reviewer.render.table import to_markdown as table_markdown
from reviewer.render.tex import tex_pieces, tex_to_text
from reviewer.render.wiki import json_schemas, wiki_paper
from reviewer.tasks import related_work as rw
from reviewer.tasks.compare import Cell, CompareTable, Row
from reviewer.tasks.digest import DigestContent, DigestPaper, DigestTheme, Window

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "reviewer" / "demo").glob("*.txt")) + sorted(
    (ROOT / "tests" / "data" / "real").glob("*.xml")
)


@cache
def real_papers() -> dict[str, Paper]:
    """Every paper of the demo corpus and the recorded arXiv responses, by id."""
    papers: dict[str, Paper] = {}
    for path in FILES:
        _, found = read_file(path)
        for paper in found:
            papers.setdefault(paper.id, paper)
    return papers


# (id, title as the file gives it, the title a reader should see)
TITLES = [
    (
        "arxiv:2508.04131",
        "DS$^2$Net: Detail-Semantic Deep Supervision Network for Medical Image Segmentation",
        "DS²Net: Detail-Semantic Deep Supervision Network for Medical Image Segmentation",
    ),
    (
        "arxiv:2503.05916",
        "SAS: Segment Anything Small for Ultrasound -- A Non-Generative Data Augmentation "
        "Technique for Robust Deep Learning in Ultrasound Imaging",
        "SAS: Segment Anything Small for Ultrasound – A Non-Generative Data Augmentation "
        "Technique for Robust Deep Learning in Ultrasound Imaging",
    ),
    (
        "title:8488455d31b7c925",
        r"xLSTM-UNet can be an Effective 2D \& 3D Medical Image Segmentation Backbone with "
        "Vision-LSTM (ViL) better than its Mamba Counterpart",
        "xLSTM-UNet can be an Effective 2D & 3D Medical Image Segmentation Backbone with "
        "Vision-LSTM (ViL) better than its Mamba Counterpart",
    ),
    (
        "title:aade23fb56c7aac4",
        "MedShapeNet -- A Large-Scale Dataset of 3D Medical Shapes for Computer Vision",
        "MedShapeNet – A Large-Scale Dataset of 3D Medical Shapes for Computer Vision",
    ),
    (
        "title:11e52a1cdb2919f3",
        "Segment as You Wish -- Free-Form Language-Based Segmentation for Medical Images",
        "Segment as You Wish – Free-Form Language-Based Segmentation for Medical Images",
    ),
    (
        "title:70f3277237890c0a",
        "M^{2}SNet: Multi-scale in Multi-scale Subtraction Network for Medical Image Segmentation",
        "M²SNet: Multi-scale in Multi-scale Subtraction Network for Medical Image Segmentation",
    ),
    (
        # arXiv's own record is mojibake ("ω" read as Latin-1); the math goes, the
        # characters stay as they are.
        "arxiv:2306.03845",
        "$\u00cf\u0089$Test: WebView-Oriented Testing for Android Applications",
        "\u00cf\u0089Test: WebView-Oriented Testing for Android Applications",
    ),
    (
        "arxiv:2109.07960",
        "Efficient and Effective Generation of Test Cases for Pedestrian Detection -- "
        "Search-based Software Testing of Baidu Apollo in SVL",
        "Efficient and Effective Generation of Test Cases for Pedestrian Detection – "
        "Search-based Software Testing of Baidu Apollo in SVL",
    ),
    (
        "arxiv:2504.04921",
        "Expectations vs Reality -- A Secondary Study on AI Adoption in Software Testing",
        "Expectations vs Reality – A Secondary Study on AI Adoption in Software Testing",
    ),
    (
        "arxiv:2012.06822",
        "Digital Twins Are Not Monozygotic -- Cross-Replicating ADAS Testing in Two "
        "Industry-Grade Automotive Simulators",
        "Digital Twins Are Not Monozygotic – Cross-Replicating ADAS Testing in Two "
        "Industry-Grade Automotive Simulators",
    ),
    (
        "arxiv:2401.15189",
        "SBFT Tool Competition 2024 -- Python Test Case Generation Track",
        "SBFT Tool Competition 2024 – Python Test Case Generation Track",
    ),
]

# (id, a stretch of its abstract as the file gives it, what a reader should see)
ABSTRACTS = [
    ("arxiv:2403.05433", "Model ($P^2SAM$). Without", "Model (P²SAM). Without"),
    ("arxiv:2508.04131", "Network (DS$^2$Net). DS$^2$Net", "Network (DS²Net). DS²Net"),
    ("arxiv:2505.23503", "estimated $CO_2$ emission", "estimated CO₂ emission"),
    ("arxiv:2502.15204", r"were 7.4$\times$, 3.1$\times$,", "were 7.4×, 3.1×,"),
    ("arxiv:2502.15204", r"a Fr\'echet inception distance", "a Fréchet inception distance"),
    ("arxiv:2503.05531", "whole-brain $256^3$ MRI", "whole-brain 256³ MRI"),
    ("arxiv:2503.10156", "propose FetMRQC$_{SR}$, a", "propose FetMRQC_SR, a"),
    ("arxiv:2503.10156", r"occur in $45\%$ of the", "occur in 45% of the"),
    ("arxiv:2506.18072", r"(M\textsuperscript{3}Bind), a", "(M³Bind), a"),
    (
        "arxiv:2508.04101",
        r"propose \textbf{NEARL-CLIP} (i\underline{N}teracted qu\underline{E}ry",
        "propose NEARL-CLIP (iNteracted quEry",
    ),
    (
        "arxiv:2508.02495",
        "such as ``maybe'' or ``not excluded''.",
        "such as “maybe” or “not excluded”.",
    ),
    ("arxiv:2504.04482", r"risk level $\alpha$. Utilizing", "risk level α. Utilizing"),
    ("arxiv:2502.14401", r"an $\omega_0$-schedule", "an ω₀-schedule"),
    ("title:238e6f8464dba421", "improvement in mAP_{50}. Code", "improvement in mAP₅₀. Code"),
    (
        "title:9c2ec6b724d750a5",
        "analyzing {Mammo-CLIP}, a vision--language",
        "analyzing Mammo-CLIP, a vision–language",
    ),
    ("title:271e40b264915392", "via P{-}ConvNet and", "via P-ConvNet and"),
    (
        # A link whose \href the source lost: kept whole rather than run together.
        "title:99ab361964d2ac74",
        "{https://github.com/ChengyinLee/MulModSeg_2024{link}}",
        "{https://github.com/ChengyinLee/MulModSeg_2024{link}}",
    ),
    (
        "arxiv:2007.09895",
        r"using $\tilde{O}(\varepsilon^{-2})$ queries",
        "using Õ(ε⁻²) queries",
    ),
    ("arxiv:2106.13414", r"over $\{1, \dots, n\}$, is", "over {1, …, n}, is"),
    ("arxiv:2106.13414", r"ratio $\varepsilon_1/\varepsilon_2^2$, and", "ratio ε₁/ε₂², and"),
    (
        "arxiv:2405.11454",
        r"smooth $f\colon\mathbb R^n\to\mathbb R$, $\mathbf{x}\in\mathbb R^n$",
        "smooth f:ℝⁿ→ℝ, x∈ℝⁿ",
    ),
    ("arxiv:2405.11454", r"using $O(n\log(1/\varepsilon))$ queries", "using O(n log(1/ε)) queries"),
    ("arxiv:1009.3186", r"$M = O(K^2\log{(N/K)}/p^3)$ tests", "M = O(K² log(N/K)/p³) tests"),
    ("arxiv:2403.16981", r"i.i.d.\ samples", "i.i.d. samples"),
    ("arxiv:1706.00679", "index set of~$X$ and", "index set of X and"),
    ("arxiv:1904.08007", r"the \emph{oracle problem}.", "the oracle problem."),
]


@pytest.mark.parametrize(("paper_id", "raw", "readable"), TITLES, ids=[t[0] for t in TITLES])
def test_real_titles_read_as_text(paper_id: str, raw: str, readable: str) -> None:
    paper = real_papers()[paper_id]
    assert paper.title == raw
    assert tex_to_text(paper.title) == readable


@pytest.mark.parametrize(("paper_id", "raw", "readable"), ABSTRACTS)
def test_real_abstracts_read_as_text(paper_id: str, raw: str, readable: str) -> None:
    abstract = real_papers()[paper_id].abstract
    assert raw in abstract
    shown = tex_to_text(abstract)
    assert readable in shown
    if raw != readable:
        assert raw not in shown


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        # the cases the issue names, written out
        ("DS$^2$Net", "DS²Net"),
        ("$P^2SAM$", "P²SAM"),
        ("H$_2$O", "H₂O"),
        (r"\textit{Deep} \textbf{U-Net} \emph{for} $\mathrm{MRI}$", "Deep U-Net for MRI"),
        ("{U-Net}", "U-Net"),
        (r"$\alpha$, $\beta$ and $\Omega$", "α, β and Ω"),
        (r"$3\times3$, $x \leq y$, $\sim$10\%", "3×3, x ≤ y, ~10%"),
        (r"$\mathcal{O}(n)$", "O(n)"),
        ("pages 1--10 --- or A -- B", "pages 1–10 — or A – B"),
        (r"50\% R\&D a\_b costs \$5 \#1", "50% R&D a_b costs $5 #1"),
        (r"M{\"u}ller, Jos\'{e}, Fran\c{c}ois, {\ss}", "Müller, José, François, ß"),
        (r"$x^{n+1}$ $10^{-3}$ $90^\circ$ $x_{ij}$ $x^{1.5}$", "xⁿ⁺¹ 10⁻³ 90° xᵢⱼ x^(1.5)"),
        (r"$\hat{y}$ $\frac{1}{2}$ $\sqrt{n+1}$", "ŷ 1/2 √(n+1)"),
        (r"\(x^2\) and \[y_1\]", "x² and y₁"),
        (r"Fig.~3", "Fig. 3"),
        (r"\cite{ronneberger} and \unknown{x}", r"\cite{ronneberger} and \unknown{x}"),
        (r"see \url{https://x.org/a_b}", "see https://x.org/a_b"),
    ],
)
def test_tex_reads_as_text(tex: str, text: str) -> None:
    assert tex_to_text(tex) == text


PLAIN = [
    "Costs of $5 and $10 per scan",
    "Budgets between $20,000 and $30,000",
    "From $5-$10 per image",
    "About ~5% of the cases (~10 ms)",
    "Files under ~/data and https://example.org/~user/a--b_c",
    "The set {1, 2, 3} and {a, b}",
    "Use --no-cache and <!-- comments -->",
    "R^2 of 0.91 and snake_case_names",
    "A path C:\\Users\\me and a lone \\",
    "it's the ''double'' and `single' quotes",
    "$HOME and $PATH",
    "Mean ± SD: 3.2 ± 0.4; 95% CI",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_unchanged(text: str) -> None:
    assert tex_to_text(text) == text


def test_every_other_real_title_is_unchanged() -> None:
    tex_ids = {paper_id for paper_id, _, _ in TITLES}
    others = [p.title for pid, p in real_papers().items() if pid not in tex_ids]
    assert len(others) > 500  # the demo corpus and the recorded responses
    changed = [t for t in others if tex_to_text(t) != t]
    assert changed == []


def test_pieces_cover_the_input_exactly() -> None:
    """LaTeX output is built from the pieces' sources, so they must add up to the input."""
    for paper in real_papers().values():
        for text in (paper.title, paper.abstract):
            assert "".join(p.source for p in tex_pieces(text)) == text


HOSTILE = [
    "{" * 5000,
    "}" * 5000,
    "$" * 5000,
    "\\" * 5001,
    "$$$",
    "{{{",
    "\\\\",
    "\\",
    "$\\frac{$",
    "\\textit{" * 3000,
    "\\(" * 3000,
    "``" * 3000,
    "^{" * 3000,
    "$x^$ $_$ $\\sqrt$ $\\frac{1}$ \\\"{} \\'",
    "{" * 2000 + "a" + "}" * 2000,
    "\x00\ud800 $\x00$ {\x00}",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_odd_input_never_raises(text: str) -> None:
    # The scanner itself copes (the fallback to the input is for bugs, not for this).
    assert "".join(p.source for p in tex_pieces(text)) == text
    assert isinstance(tex_to_text(text), str)
    assert isinstance(latex_keep_tex(text), str)


def test_unbalanced_input_stays_as_it_is() -> None:
    for text in ("{{{", "}}}", "$$$", "\\", "{" * 5000, "$" * 5000):
        assert tex_to_text(text) == text


def test_long_input_converts_like_its_parts() -> None:
    """200k characters of a real TeX-bearing abstract, repeated: the output is the
    converted abstract repeated (no state leaks from one copy into the next). How long it
    takes is not asserted here (timings belong to benchmarks)."""
    abstract = real_papers()["arxiv:2405.11454"].abstract
    copies = 200_000 // len(abstract) + 1
    one = tex_to_text(abstract)
    assert one != abstract  # it does hold TeX
    assert tex_to_text(" ".join([abstract] * copies)) == " ".join([one] * copies)
    assert latex_keep_tex(" ".join([abstract] * copies)).count("$") >= copies
    for hostile in HOSTILE:
        assert isinstance(tex_to_text(hostile * 20), str)


# -- LaTeX and BibTeX keep the TeX --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("DS$^2$Net: Detail-Semantic", "DS$^2$Net: Detail-Semantic"),
        (
            r"2D \& 3D and {U-Net} -- a $\mathcal{O}(n)$",
            r"2D \& 3D and {U-Net} -- a $\mathcal{O}(n)$",
        ),
        (r"M{\"u}ller \textit{et al.}", r"M{\"u}ller \textit{et al.}"),
        ("M^{2}SNet", r"M\textsuperscript{2}SNet"),
        # plain text is escaped as before
        ("costs $5 and 50% of a_b ~5 #1", r"costs \$5 and 50\% of a\_b \textasciitilde{}5 \#1"),
        # what is not known is escaped, so it prints rather than runs
        (
            r"\input{/etc/passwd} $\input{x}$",
            r"\textbackslash{}input\{/etc/passwd\} \$\textbackslash{}input\{x\}\$",
        ),
        ("$50%$ {{", r"\$50\%\$ \{\{"),
        (r"\url{http://x.org/a_b}", r"\textbackslash{}url\{http://x.org/a\_b\}"),
    ],
)
def test_latex_keeps_tex_and_escapes_the_rest(text: str, latex: str) -> None:
    assert latex_keep_tex(text) == latex


def test_plain_text_escapes_as_latex_escape_does() -> None:
    for text in PLAIN:
        if "--" not in text:  # dashes between spaces are TeX's, kept as written either way
            assert latex_keep_tex(text) == latex_escape(text)


def _ds2net() -> Paper:
    return real_papers()["arxiv:2508.04131"]


def test_the_bib_keeps_the_titles_tex() -> None:
    import bibtexparser

    paper = _ds2net()
    text = bib_file([paper], {paper.id: "ds2net2025"})
    assert "title = {{DS$^2$Net: Detail-Semantic Deep Supervision Network" in text
    assert "DS²Net" not in text
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    assert library.entries[0]["title"].strip("{}").startswith("DS$^2$Net:")


# -- every reader-facing renderer shows the readable form -----------------------------


def _digest(paper: Paper, tldr: str) -> DigestContent:
    item = DigestPaper(paper, tldr, "abstract", [])
    return DigestContent(
        window=Window(date(2025, 8, 4), date(2025, 8, 10)),
        topics=[],
        min_score=0.4,
        themes=[DigestTheme("Deep supervision", "clusters", [item])],
        in_window=1,
        left_out_sent=[],
        left_out_topics=0,
    )


def test_the_email_shows_readable_titles_and_still_escapes() -> None:
    paper = _ds2net()
    tldr = "We propose a Detail-Semantic Deep Supervision Network (DS$^2$Net)."
    content = _digest(paper, tldr)
    for part in (render_text(content), render_html(content)):
        assert "DS²Net: Detail-Semantic Deep Supervision Network" in part
        assert "Supervision Network (DS²Net)." in part
        assert "$^2$" not in part
    hostile = paper.model_copy(update={"title": r"\textless{}b\textgreater{} $x<y$ {<i>} \& done"})
    html = render_html(_digest(hostile, "A."))
    assert "&lt;b&gt; x&lt;y &lt;i&gt; &amp; done" in html
    assert "<b>" not in html and "<i>" not in html
    assert "<b> x<y <i> & done" in render_text(_digest(hostile, "A."))


def _draft() -> tuple[rw.RelatedWorkDraft, dict[str, Paper]]:
    """A draft quoting the real P2SAM abstract and citing the real DS2Net paper."""
    p2sam, ds2net = real_papers()["arxiv:2403.05433"], _ds2net()
    candidates = rw.make_candidates([(p2sam, "retrieved"), (ds2net, "retrieved")], {})
    keys = {c.paper.id: c.key for c in candidates}
    quote = next(
        s for s in re.split(r"(?<=\.) ", p2sam.abstract) if s.startswith("Without any model")
    )
    assert "$P^2SAM$ enables" in quote
    section = rw.Section(
        theme="Prompting",
        theme_source="clusters",
        paper_ids=[p2sam.id, ds2net.id],
        written_by="extractive",
        sentences=[
            rw.CitedSentence(text=quote, citations=[keys[p2sam.id]], quote=True),
            rw.CitedSentence(
                text="DS$^2$Net supervises details and semantics.",
                citations=[keys[ds2net.id]],
            ),
        ],
    )
    draft = rw.assemble("prompts", "extractive", [], candidates, [section], [], [], "m", None)
    return draft, {p2sam.id: p2sam, ds2net.id: ds2net}


def test_markdown_drafts_read_as_text_and_latex_keeps_tex() -> None:
    draft, papers = _draft()
    markdown = draft_render.to_markdown(draft)
    assert "“Without any model fine-tuning, P²SAM enables" in markdown
    assert "DS²Net supervises details and semantics" in markdown
    assert "DS²Net: Detail-Semantic Deep Supervision Network" in markdown  # the reference
    assert "$" not in markdown
    latex = draft_render.to_latex(draft)
    assert "``Without any model fine-tuning, $P^2SAM$ enables" in latex
    assert "DS$^2$Net supervises" in latex
    bib = draft_render.cited_bib(draft, papers)
    assert "{{DS$^2$Net: Detail-Semantic" in bib
    # JSON is data: the text as stored
    assert "$P^2SAM$ enables" in draft_render.to_json(draft)


def test_outlines_show_readable_titles() -> None:
    from reviewer.results import Outline
    from reviewer.tasks.themes import Theme

    paper = _ds2net()
    text = draft_render.outline_markdown(
        "t", [Theme("Supervision", [paper.id])], {paper.id: paper.title}
    )
    assert f"- {paper.id}  DS²Net: Detail-Semantic" in text
    outline = Outline(
        topic="t",
        themes=[{"title": "Supervision", "paper_ids": [paper.id]}],
        titles={paper.id: paper.title},
    )
    assert f"- {paper.id}  DS²Net: Detail-Semantic" in draft_render.outline_text(
        outline, "markdown"
    )


def test_compare_markdown_reads_as_text_csv_keeps_the_source() -> None:
    paper = _ds2net()
    evidence = "by proposing a Detail-Semantic Deep Supervision Network (DS$^2$Net)"
    assert evidence in paper.abstract
    table = CompareTable(
        topic="supervision",
        columns=["method"],
        mode="extractive",
        rows=[
            Row(
                id=paper.id,
                title=paper.title,
                year=2025,
                url=paper.abs_url,
                cells={"method": Cell(value="DS$^2$Net", evidence=evidence, status="reported")},
                validation="extractive",
            )
        ],
        footer={},
    )
    markdown = table_markdown(table)
    assert "[DS²Net: Detail-Semantic Deep Supervision Network" in markdown
    assert "| DS²Net |" in markdown and "Network (DS²Net)”" in markdown
    assert "$" not in markdown
    assert "DS$^2$Net" in to_csv(table)


def test_wiki_records_carry_both_forms_and_the_schema_says_which() -> None:
    paper = real_papers()["arxiv:2403.05433"]
    record = wiki_paper(paper, None)
    assert record.title == paper.title
    assert record.abstract == paper.abstract and "($P^2SAM$)" in record.abstract
    assert "(P²SAM). Without any model fine-tuning, P²SAM enables" in record.abstract_text
    plain = wiki_paper(real_papers()["arxiv:2509.06617"], None)  # MM-DINOv2: no TeX
    assert plain.title_text == plain.title and plain.abstract_text == plain.abstract
    schemas = json_schemas()
    props = schemas["paper.schema.json"]["properties"]
    assert "TeX included" in props["title"]["description"]
    assert "readers" in props["title_text"]["description"]
    assert "readers" in props["abstract_text"]["description"]
    index_props = schemas["index.schema.json"]["$defs"]["WikiIndexEntry"]["properties"]
    assert "readers" in index_props["title_text"]["description"]
