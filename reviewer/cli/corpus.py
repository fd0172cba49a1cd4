"""Commands over the corpus and the store: ingest, search, list, show, stats, remove,
demo. Each parses its options, calls ``reviewer.api.Reviewer`` and renders the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from reviewer.cli.output import (
    CSV_OPT,
    JSON_OPT,
    JSONL_OPT,
    SINCE_OPT,
    UNTIL_OPT,
    Column,
    choice,
    emit_json,
    emit_rows,
    info,
    open_reviewer,
    pick_format,
)
from reviewer.render.safe import strip_controls
from reviewer.render.tex import tex_to_text

# Kept in step with reviewer.corpus.readers.FORMATS (a test checks); spelled out
# here so that --help does not import the readers.
FORMAT_NAMES = ("auto", "arxiv-atom", "rss", "arxiv-table", "bibtex", "json", "hf-page")
MODE_NAMES = ("hybrid", "dense", "lexical")
SORT_NAMES = ("date", "title", "added")


def ingest(
    paths: list[Path] = typer.Argument(
        None,
        help="Files or folders to read: arXiv listings, Hugging Face pages, Atom/RSS feeds, "
        "BibTeX, JSON/JSON Lines. Folders are searched for such files.",
        show_default=False,
    ),
    fmt: str = typer.Option(
        "auto", "--format", "-f", help=f"Input format: {', '.join(FORMAT_NAMES)}."
    ),
    skip_bad: bool = typer.Option(
        False,
        "--skip-bad",
        help="Ingest the readable files and list the bad ones, instead of refusing the whole call.",
    ),
    arxiv: str | None = typer.Option(
        None,
        "--arxiv",
        help="Also fetch papers from the arXiv API with this query, "
        "e.g. 'cat:eess.IV AND abs:segmentation' (needs a network).",
        show_default=False,
    ),
    max_results: int = typer.Option(
        100, "--max", min=1, help="At most this many papers from --arxiv."
    ),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Also ingest the bundled demo corpus (423 arXiv papers; see `reviewer demo`).",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Read papers into the store, merging duplicates within and across sources.

    All input is read and checked before anything is written: a bad file stops
    the call with the store unchanged (unless --skip-bad). Unchanged papers are
    neither rewritten nor re-embedded, so ingesting the same files again is free,
    and an interrupted ingest is completed by running it again.
    """
    report = open_reviewer().ingest(
        list(paths or []),
        fmt=fmt,
        skip_bad=skip_bad,
        arxiv=arxiv,
        max_results=max_results,
        demo=demo,
    )
    if as_json:
        emit_json(report.model_dump(mode="json"))
    _ingest_line(report)


def _ingest_line(report: Any) -> None:
    merged = f", {report.merged_away} merged into others" if report.merged_away else ""
    info(
        f"Read {report.entries} entries from {len(report.files)} source(s): "
        f"{report.papers_in_input} papers; {report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged{merged}; {report.embedded} embedded. "
        f"The store holds {report.store.papers} papers."
    )


def search(
    query: str = typer.Argument(..., help="What to look for, in your own words."),
    k: int = typer.Option(10, "-k", "--limit", min=1, help="Number of results."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid (default), dense or lexical."),
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
    has_code: bool = typer.Option(False, "--has-code", help="Only papers with a code repository."),
    expand: bool = typer.Option(
        True,
        "--expand/--no-expand",
        help="With a model configured (REVIEWER_MODEL): also search up to 3 other phrasings "
        "the model writes and, except with --mode lexical, the abstract it writes for a paper "
        "on the query. Without a model there is nothing to expand.",
    ),
    as_json: bool = JSON_OPT,
    as_jsonl: bool = JSONL_OPT,
    as_csv: bool = CSV_OPT,
) -> None:
    """Search the store: dense (MiniLM) and BM25 rankings fused by reciprocal rank.

    With a model configured, the model's other phrasings of the query and a hypothetical
    abstract are searched too and fused in (cached; REVIEWER_EXPAND_BUDGET seconds at most,
    else a note and the plain results); --json shows what was fused in each hit's
    "queries".
    """
    out = pick_format(as_json, as_jsonl, as_csv)
    choice(mode, MODE_NAMES, "--mode")
    hits = open_reviewer().search(
        query, k=k, mode=mode, since=since, until=until, has_code=has_code, expand=expand
    )
    _hits(hits, out, f"{mode} search: {query}")


_ID = Column("id", "id", block="head")
_DATE = Column("published", "date", block="head")
_TITLE = Column(
    "title", "title", kind="text", max_lines=2, min_width=30, ratio=3, readable=True, block="line"
)


def _hits(hits: list[Any], out: str, title: str) -> None:
    rows = [h.model_dump(mode="json") for h in hits]
    columns = [Column("rank", "#", justify="right", block="head"), _ID, _DATE, _TITLE]
    if out == "table":
        # Absolute scores a reader can judge: similarity, and the share of query terms.
        for row in rows:
            row["match"] = f"{row['similarity']:.2f} {row['query_terms']:.0%}"
        columns.append(Column("match", "sim terms"))
    else:
        columns += [Column(name, name) for name in ("similarity", "query_terms", "score")]
    emit_rows(rows, out, columns, title=title)


def list_papers(
    limit: int = typer.Option(0, "--limit", "-n", min=0, help="Show at most this many (0 = all)."),
    sort: str = typer.Option("date", "--sort", help="date (newest first), title or added."),
    full: bool = typer.Option(False, "--full", help="With --json/--jsonl: every stored field."),
    no_pager: bool = typer.Option(
        False,
        "--no-pager",
        help="Print the table straight to the terminal. By default a table longer than the "
        "terminal goes through PAGER (else less); never when stdout is not a terminal.",
    ),
    as_json: bool = JSON_OPT,
    as_jsonl: bool = JSONL_OPT,
    as_csv: bool = CSV_OPT,
) -> None:
    """List the papers in the store."""
    from reviewer.results import PaperRow

    out = pick_format(as_json, as_jsonl, as_csv)
    choice(sort, SORT_NAMES, "--sort")
    records = open_reviewer().list_papers(sort=sort, limit=limit)
    rows = [(r if full else PaperRow.of(r)).model_dump(mode="json") for r in records]
    code = Column("code_urls", "code", kind="text", max_lines=None, min_width=20)
    emit_rows(rows, out, [_ID, _DATE, _TITLE, code], pager=not no_pager)


def show(
    ref: str = typer.Argument(
        ..., help="Canonical id (arxiv:2509.06617), bare arXiv id, DOI or exact title."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Show one paper with every stored field."""
    paper = open_reviewer().show(ref)
    record = paper.model_dump(mode="json")
    if as_json:
        emit_json(record)
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()

    def shown(text: str) -> str:  # paper text: no rich markup, no control sequence
        return escape(strip_controls(text))

    console.print(f"[bold]{shown(tex_to_text(paper.title))}[/bold]  ({shown(paper.id)})")
    for name in (
        "authors",
        "published",
        "updated",
        "arxiv_version",
        "categories",
        "doi",
        "venue",
        "journal_ref",
        "comment",
        "abs_url",
        "pdf_url",
        "code_urls",
        "other_titles",
    ):
        value = record.get(name)
        if name == "published" and paper.published_precision == "month":
            value = f"{paper.published_label} (day unknown)"
        if name == "other_titles" and value:
            value = [tex_to_text(t) for t in value]
        if value:
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            console.print(f"[dim]{name}:[/dim] {shown(text)}")
    truncated = " [yellow](truncated in every source)[/yellow]" if paper.abstract_truncated else ""
    console.print(f"\n{shown(tex_to_text(paper.abstract))}{truncated}\n")
    console.print(
        "[dim]sources:[/dim] "
        + shown("; ".join(f"{s.path} ({s.format}, {s.entry})" for s in paper.sources))
    )


def stats(as_json: bool = JSON_OPT) -> None:
    """Counts of what the store holds."""
    data = open_reviewer().stats().model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        typer.echo(f"{key.ljust(width)}  {value}")


def remove(
    refs: list[str] = typer.Argument(
        ..., help="Papers to remove: canonical ids, bare arXiv ids, DOIs or exact titles."
    ),
    missing_ok: bool = typer.Option(
        False,
        "--missing-ok",
        help="Skip ids that are not in the store (to finish a removal that was stopped "
        "half-way) instead of refusing the whole call.",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Remove papers from the store, with their search index entries and stored summaries
    (the next `export wiki` drops their files). All or nothing: if any id is unknown,
    nothing is removed (exit 5)."""
    report = open_reviewer().remove(refs, missing_ok=missing_ok)
    if as_json:
        emit_json(report.model_dump(mode="json"))
    for paper in report.removed:
        info(f"Removed {paper.id}: {tex_to_text(paper.title)}")
    for ref in report.not_found:
        info(f"Not in the store (skipped): {ref}")
    info(
        f"Removed {len(report.removed)} paper(s) and {report.summaries_deleted} stored "
        f"summar{'y' if report.summaries_deleted == 1 else 'ies'}. "
        f"The store holds {report.remaining} papers."
    )


def demo(
    query: str | None = typer.Option(
        None,
        "--query",
        "-q",
        help="The search to run on the demo corpus (default: the topic it was gathered on).",
        show_default=False,
    ),
    k: int = typer.Option(5, "-k", min=1, help="Number of results."),
) -> None:
    """Ingest the bundled demo corpus (423 arXiv papers of one field), run a search, and
    draft a related-work section on it from quotes of the abstracts (no model needed)."""
    from reviewer.api import DEMO_TOPIC, demo_corpus
    from reviewer.render.draft import to_markdown

    query = query or DEMO_TOPIC
    rv = open_reviewer()
    info(f"Ingesting the demo corpus from {demo_corpus()} …")
    _ingest_line(rv.ingest(demo=True))
    info("")
    _hits(rv.search(query, k=k), "table", f"hybrid search: {query}")
    info("\nA related-work draft on the same topic, quoted from the abstracts (no model used):\n")
    draft = rv.related_work(query, k=k, themes=3, expand=False, extractive=True)
    typer.echo(to_markdown(draft), nl=False)
    info(
        '\nNext: reviewer search "your topic" · reviewer show ID · reviewer stats'
        " · reviewer ingest FILE...\n"
        'With a model (REVIEWER_MODEL, see `reviewer config show`): reviewer related-work "topic"'
        ' -o related.md --bib refs.bib · reviewer compare "topic" -f csv'
    )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("search")(search)
    app.command("list")(list_papers)
    app.command("show")(show)
    app.command("stats")(stats)
    app.command("remove")(remove)
    app.command("demo")(demo)
