"""`reviewer check FILE`: every sentence of a Markdown or LaTeX text checked against the
store. Parses the options, calls ``Reviewer.check_file`` and renders the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from reviewer.cli.output import (
    JSON_OPT,
    MAX_COST_OPT,
    REFRESH_OPT,
    VERIFY_OPT,
    Column,
    choice,
    emit_json,
    info,
    open_reviewer,
    print_records,
    raise_if_judge_stopped,
    reflow,
)

# Spelled out here (and checked against reviewer.api by a test) so that --help does
# not import the API.
CHECK_FORMATS = ("markdown", "latex")
SENTENCE_WIDTH = 90  # characters of a sentence the table shows


def check(
    file: Path = typer.Argument(
        ..., help="The Markdown or LaTeX file to check.", show_default=False
    ),
    bib: Path | None = typer.Option(
        None,
        "--bib",
        help="A .bib file whose keys the text cites; each key names the stored paper with "
        "its eprint (arXiv id), else its DOI, else its title.",
        show_default=False,
    ),
    fmt: str | None = typer.Option(
        None,
        "--format",
        "-f",
        help="markdown or latex (default: from the suffix: .md, .markdown, .txt, .tex).",
        show_default=False,
    ),
    context: str = typer.Option(
        "",
        "--context",
        help="The topic or section title: words a sentence may use without a citation.",
        show_default=False,
    ),
    as_json: bool = JSON_OPT,
    only_problems: bool = typer.Option(
        False, "--only-problems", help="Show only the sentences with a problem."
    ),
    verify: bool | None = VERIFY_OPT,
    max_cost: float | None = MAX_COST_OPT,
    refresh: bool = REFRESH_OPT,
) -> None:
    """Check every sentence of a text you wrote against the papers in the store.

    Reads Markdown or LaTeX, finds each sentence's citations and reports, per sentence,
    each problem with its kind: a citation that names no stored paper, a finding stated
    without a citation, numbers not in the cited abstracts or credited to the wrong
    cited paper, another cited paper's method named without citing it, a negation or a
    direction word (higher/lower, outperforms) that turns a cited finding round, a
    comparison no cited abstract makes, a citation that adds nothing, a sentence about
    the text itself, and 15 or more words copied without quotation marks. Needs no
    model. Headings, code, tables, comments, figures and display math are skipped.

    With --verify (on by default when REVIEWER_JUDGE_MODEL is set) a judge model also
    reads each sentence against each paper it cites, one call per sentence and cited
    paper: judge-unsupported when no cited abstract supports it, judge-citation when one
    citation does not while another does.

    Markdown citations (pandoc's; a page locator is dropped):

        SAM was adapted to CT [@ma2024segment].
        Both report Dice [@ma2024segment; @wu2023medsam, p. 3].
        MedSAM is one [arxiv:2304.12306]. So is [2304.12306] or [doi:10.1038/x].

    A link, \\[text](url), is not a citation. LaTeX, with --bib refs.bib to name the
    papers (\\cite, \\citep, \\citet, \\citealp, \\parencite, \\textcite, \\autocite):

        SAM was adapted to CT~\\cite{ma2024,wu2023}.
        MedSAM \\citep[see][p.~3]{ma2024} reaches ...

    A citation is a store id, arXiv id, DOI, exact title, a citation key reviewer gave
    the paper, or a --bib key. Exit code 0 when every sentence passes, 1 when a sentence
    has a problem or a citation names no stored paper (for CI), 2 when the file cannot be
    read."""
    if fmt is not None:
        choice(fmt, CHECK_FORMATS, "--format")
    result = open_reviewer().check_file(
        file,
        fmt=fmt,
        bib=bib,
        context=context,
        verify=verify,
        max_cost=max_cost,
        refresh=refresh,
    )
    shown = [s for s in result.sentences if not (only_problems and s.ok)]
    if as_json:
        data = result.model_dump(mode="json")
        data["sentences"] = [s.model_dump(mode="json") for s in shown]
        emit_json(data)
    else:
        _table(shown)
    unknown = result.unknown_citations
    info(
        f"{len(result.sentences)} sentence{'' if len(result.sentences) == 1 else 's'}, "
        f"{result.failed} with problems"
        + (f"; citations that name no stored paper: {', '.join(unknown)}" if unknown else "")
    )
    raise_if_judge_stopped(result)
    if result.failed or unknown:
        raise typer.Exit(1)


def _table(sentences: list[Any]) -> None:
    rows = []
    for s in sentences:
        text = s.text if len(s.text) <= SENTENCE_WIDTH else s.text[: SENTENCE_WIDTH - 1] + "…"
        kinds = s.kinds if len(s.kinds) == len(s.problems) else [""] * len(s.problems)
        problems = [
            f"{kind}: {p}" if kind else p for kind, p in zip(kinds, s.problems, strict=True)
        ]
        rows.append(
            {
                "line": str(s.line or s.index + 1),
                "sentence": text,
                "cites": "\n".join(s.citations),
                "problems": "\n".join(problems) if problems else "ok",
            }
        )
    columns = [
        Column("line", "line", justify="right", block="head", head_label=True),
        Column("sentence", "sentence", kind="text", max_lines=None, ratio=3, block="line"),
        Column("cites", "cites"),  # ids whole, one a line
        Column("problems", "problems", kind="text", max_lines=None, ratio=2),
    ]
    print_records(rows, columns, show_lines=True)


def register(app: typer.Typer) -> None:
    app.command("check", help=reflow(check.__doc__))(check)
