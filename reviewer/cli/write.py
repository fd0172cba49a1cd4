"""Commands that write from the store: related-work and compare. Each parses its
options, calls ``reviewer.api.Reviewer`` and renders the result."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from reviewer.cli.output import (
    CONCURRENCY_OPT,
    EXTRACTIVE_OPT,
    MAX_COST_OPT,
    PROFILE_OPT,
    REFRESH_OPT,
    SINCE_OPT,
    UNTIL_OPT,
    VERIFY_OPT,
    choice,
    info,
    open_reviewer,
    raise_if_judge_stopped,
    reflow,
    write_output,
)

# Spelled out here (and checked against reviewer.api by a test) so that --help does
# not import the API.
DRAFT_FORMATS = ("markdown", "latex", "json")
TABLE_FORMATS = ("markdown", "csv", "json")
DEFAULT_COLUMNS = None  # the summary profile's compare_columns


def _write_out(path: Path | None, text: str) -> None:
    """stdout, or a file written whole (a temporary file renamed over it)."""
    if path is None:
        sys.stdout.write(text)
        return
    write_output(path, text)
    info(f"Wrote {path}")


def related_work(
    topic: str = typer.Argument(
        None,
        help="What the section is about, in your own words (put it before --include/--exclude). "
        "May be left out with --outline-file, which names it.",
        show_default=False,
    ),
    k: int = typer.Option(12, "-k", min=1, max=60, help="Papers to retrieve."),
    words: int = typer.Option(400, "--words", min=50, max=5000, help="Target length in words."),
    fmt: str = typer.Option("markdown", "--format", "-f", help="markdown, latex or json."),
    out: Path | None = typer.Option(
        None, "--output", "-o", help="Write the draft here instead of stdout.", show_default=False
    ),
    bib: Path | None = typer.Option(
        None,
        "--bib",
        help="Write BibTeX entries of exactly the cited papers here.",
        show_default=False,
    ),
    include: list[str] = typer.Option(
        None,
        "--include",
        help="Papers to consider besides the search results (ids).",
        show_default=False,
    ),
    exclude: list[str] = typer.Option(
        None, "--exclude", help="Papers never to consider (ids).", show_default=False
    ),
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
    themes: int = typer.Option(
        4,
        "--themes",
        min=1,
        max=8,
        help="This many themes (fewer when there are not two papers for each).",
    ),
    outline: bool = typer.Option(
        False, "--outline", help="Print the outline (themes and their papers) and stop."
    ),
    outline_file: Path | None = typer.Option(
        None,
        "--outline-file",
        help="Write from this outline (as --outline printed it, edited) instead of searching.",
        show_default=False,
    ),
    expand: bool = typer.Option(
        True,
        "--expand/--no-expand",
        help="Let the model add up to 3 other phrasings of the topic to the search.",
    ),
    summarize: bool = typer.Option(
        False, "--summarize", help="First summarize the papers that have no current summary."
    ),
    extractive: bool = EXTRACTIVE_OPT,
    concurrency: int | None = CONCURRENCY_OPT,
    max_cost: float | None = MAX_COST_OPT,
    refresh: bool = REFRESH_OPT,
    verify: bool | None = VERIFY_OPT,
) -> None:
    """Draft a related-work section on TOPIC from the papers in the store.

    Retrieves the papers (hybrid search, widened by model-written query variants),
    groups them into themes, and writes one paragraph per theme that compares the papers.
    Grounding is enforced in code: every citation is one of the retrieved papers, every
    sentence that states a finding cites one, every number occurs in a cited abstract.
    Sentences that still fail after the re-asks are dropped and listed on stderr. With
    --verify a judge model reads each sentence against each paper it cites; a sentence no
    cited abstract supports is dropped and listed the same way.

    Markdown has numbered references; LaTeX has \\cite{key} and --bib writes the entries
    (arXiv eprint, DOI, URL, authors, year from the store, never from the model); JSON
    has the paragraphs, each sentence's citations, the references and the footer.

    --outline prints the themes; edit them and pass the file back with --outline-file.
    Without a model, --extractive quotes one sentence per paper, grouped by theme (exit
    0); without either, the command names the settings to set (exit 3)."""
    from reviewer.render import draft as render

    choice(fmt, DRAFT_FORMATS, "--format")
    rv = open_reviewer()
    options = {
        "k": k,
        "include": list(include or []),
        "exclude": list(exclude or []),
        "since": since,
        "until": until,
        "themes": themes,
        "outline_file": outline_file,
        "expand": expand,
        "summarize": summarize,
        "extractive": extractive,
        "concurrency": concurrency,
        "max_cost": max_cost,
        "refresh": refresh,
    }
    if outline:
        _write_out(out, render.outline_text(rv.outline(topic, **options), fmt))
        return
    draft = rv.related_work(topic, words=words, verify=verify, **options)
    text = {"markdown": render.to_markdown, "latex": render.to_latex, "json": render.to_json}[fmt](
        draft
    )
    _write_out(out, text)
    if bib is not None:
        _write_out(bib, rv.bibtex(draft))
    elif fmt == "latex":
        info("The \\cite keys need their entries: add --bib refs.bib.")
    raise_if_judge_stopped(draft)


def compare(
    topic: str = typer.Argument(
        None,
        help="Compare the top hits of this search (or name papers with --ids).",
        show_default=False,
    ),
    ids: list[str] = typer.Option(
        None, "--ids", help="Papers to compare (ids); list after --ids.", show_default=False
    ),
    k: int = typer.Option(8, "-k", min=1, max=60, help="With TOPIC: how many hits."),
    columns: str | None = typer.Option(
        DEFAULT_COLUMNS,
        "--columns",
        help="Comma-separated columns; any name works with a model (e.g. method,limitations). "
        "Default: the summary profile's compare_columns (general: task, datasets, metrics, "
        "results, code).",
        show_default=False,
    ),
    profile: str | None = PROFILE_OPT,
    fmt: str = typer.Option("markdown", "--format", "-f", help="markdown, csv or json."),
    out: Path | None = typer.Option(
        None, "--output", "-o", help="Write the table here instead of stdout.", show_default=False
    ),
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
    extractive: bool = EXTRACTIVE_OPT,
    concurrency: int | None = CONCURRENCY_OPT,
    max_cost: float | None = MAX_COST_OPT,
    refresh: bool = REFRESH_OPT,
    verify: bool | None = VERIFY_OPT,
) -> None:
    """Compare papers in a table: one row per paper, one column per aspect.

    Each cell is filled from that paper's abstract with the words that state it as
    evidence, or says "not reported" where the abstract is silent. A cell whose evidence
    is not verbatim in the abstract, or whose numbers are not in its evidence, is sent
    back to the model; if it still fails it is shown as "unverified", never as fact. With
    --verify a judge model reads each reported cell against the abstract, and a cell it
    does not support is emptied and shown as "unverified" too.
    The code column comes from the paper's code links. CSV and JSON carry each cell's
    evidence; Markdown lists it under the table.

    Without a model, --extractive fills task, modality, datasets, metrics, results and
    code with the title's or abstract's own words found by cue words, only where the
    paper states the value ("not reported" otherwise); by default the profile's columns
    among those. Every format says which filled the table: the CSV's mode column, the
    JSON's "mode", a line under the Markdown table."""
    from reviewer.render.table import to_csv, to_json, to_markdown

    choice(fmt, TABLE_FORMATS, "--format")
    table = open_reviewer().compare(
        topic,
        ids=list(ids or []),
        k=k,
        columns=columns,
        profile=profile,
        since=since,
        until=until,
        extractive=extractive,
        concurrency=concurrency,
        max_cost=max_cost,
        refresh=refresh,
        verify=verify,
    )
    _write_out(out, {"markdown": to_markdown, "csv": to_csv, "json": to_json}[fmt](table))
    raise_if_judge_stopped(table)


def register(app: typer.Typer) -> None:
    app.command("related-work", help=reflow(related_work.__doc__))(related_work)
    app.command("compare", help=reflow(compare.__doc__))(compare)
