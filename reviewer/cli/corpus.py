"""Commands over the corpus and the store: ingest, search, list, show, stats, demo."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from reviewer.cli.output import (
    CSV_OPT,
    JSON_OPT,
    JSONL_OPT,
    SINCE_OPT,
    UNTIL_OPT,
    emit_json,
    emit_rows,
    info,
    pick_format,
)

if TYPE_CHECKING:
    from reviewer.corpus.model import Paper
    from reviewer.index.store import Store

# Kept in step with reviewer.corpus.readers.FORMATS (a test checks); spelled out
# here so that --help does not import the readers.
FORMAT_NAMES = ("auto", "arxiv-atom", "rss", "arxiv-table", "bibtex", "json", "hf-page")
INPUT_SUFFIXES = {".txt", ".md", ".xml", ".atom", ".rss", ".bib", ".json", ".jsonl"}
MODE_NAMES = ("hybrid", "dense", "lexical")


def _open_store() -> Store:
    from reviewer.index.store import Store
    from reviewer.settings import load_settings

    return Store.open(load_settings())


def _expand(paths: list[Path]) -> list[Path]:
    """Files named, and the input files inside folders named (hidden ones skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in INPUT_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            files.append(path)
    return files


def _progress_bar(total: int, label: str) -> tuple[Any, Any]:
    """A rich progress bar on stderr when it is a terminal; (bar, advance) or (None, None)."""
    if total <= 0 or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(label, total=total)
    bar.start()
    return bar, lambda n: bar.advance(task, n)


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
    max_results: int = typer.Option(100, "--max", help="At most this many papers from --arxiv."),
    as_json: bool = JSON_OPT,
) -> None:
    """Read papers into the store, merging duplicates within and across sources.

    All input is read and checked before anything is written: a bad file stops
    the call with the store unchanged (unless --skip-bad). Unchanged papers are
    neither rewritten nor re-embedded, so ingesting the same files again is free,
    and an interrupted ingest is completed by running it again.
    """
    from reviewer.corpus.readers import FORMATS, read_file
    from reviewer.errors import InputError, ReviewerError

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    files = _expand(list(paths or []))
    if not files and not arxiv:
        raise ReviewerError(
            "nothing to ingest", hint="Name files or folders, or use --arxiv QUERY."
        )

    entries: list[Paper] = []
    read_report: list[dict[str, Any]] = []
    bad: list[InputError] = []
    for file in files:
        try:
            used, papers = read_file(file, fmt)
        except InputError as exc:
            bad.append(exc)
            continue
        entries.extend(papers)
        read_report.append({"path": str(file), "format": used, "entries": len(papers)})
    if bad and not skip_bad:
        for problem in bad[:-1]:
            info(f"error: {problem.message}")
        last = bad[-1]
        raise InputError(
            last.path,
            last.problem,
            last.where,
            hint=(f"{last.hint} " if last.hint else "")
            + (f"{len(bad)} bad files; n" if len(bad) > 1 else "N")
            + "othing was written. Fix the file, or pass --skip-bad to ingest the rest.",
        )
    for problem in bad:
        info(f"skipped: {problem.message}")

    if arxiv:
        from reviewer.corpus import arxiv_api

        info(f"Fetching up to {max_results} papers from the arXiv API (one request per 3 s)…")
        fetched = arxiv_api.fetch(arxiv, max_results)
        entries.extend(fetched)
        read_report.append(
            {"path": f"arxiv:{arxiv}", "format": "arxiv-api", "entries": len(fetched)}
        )

    store = _open_store()
    bar: Any = None
    advance: Any = None

    def on_plan(total: int) -> None:
        nonlocal bar, advance
        if total:
            info(f"Embedding {total} papers…")
        bar, advance = _progress_bar(total, "embedding")

    try:
        result = store.ingest(
            entries, on_plan=on_plan, on_embedded=lambda n: advance and advance(n)
        )
    finally:
        if bar is not None:
            bar.stop()
    total = store.count()
    summary = result.to_json()
    if as_json:
        emit_json(
            {
                "files": read_report,
                "bad": [e.message for e in bad],
                **summary,
                "store": {"papers": total},
            }
        )
    info(
        f"Read {result.entries} entries from {len(read_report)} source(s): {result.papers} papers; "
        f"{result.new} new, {result.updated} updated, {result.unchanged} unchanged"
        + (f", {result.absorbed} merged into others" if result.absorbed else "")
        + f"; {result.embedded} embedded. The store holds {total} papers."
    )


def _parse_date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2025-09-01", param_hint=name
        ) from None


def search(
    query: str = typer.Argument(..., help="What to look for, in your own words."),
    k: int = typer.Option(10, "-k", "--limit", min=1, help="Number of results."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid (default), dense or lexical."),
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
    has_code: bool = typer.Option(False, "--has-code", help="Only papers with a code repository."),
    as_json: bool = JSON_OPT,
    as_jsonl: bool = JSONL_OPT,
    as_csv: bool = CSV_OPT,
) -> None:
    """Search the store: dense (MiniLM) and BM25 rankings fused by reciprocal rank."""
    if mode not in MODE_NAMES:
        raise typer.BadParameter(
            f"{mode!r} is not one of {', '.join(MODE_NAMES)}", param_hint="--mode"
        )
    out = pick_format(as_json, as_jsonl, as_csv)
    from reviewer.index.search import Filters
    from reviewer.index.search import search as run_search

    filters = Filters(_parse_date(since, "--since"), _parse_date(until, "--until"), has_code)
    store = _open_store()
    if store.count() == 0:
        info("The store is empty: ingest papers first (reviewer ingest FILE..., or reviewer demo).")
    hits = run_search(store, query, k=k, mode=mode, filters=filters)  # type: ignore[arg-type]
    rows = [{"rank": i, **h.to_json()} for i, h in enumerate(hits, start=1)]
    emit_rows(
        rows,
        out,
        [
            ("rank", "#"),
            ("id", "id"),
            ("published", "date"),
            ("title", "title"),
            ("score", "score"),
        ],
        title=f"{mode} search: {query}",
    )


def _summary_row(paper: Paper, added_at: str = "") -> dict[str, Any]:
    return {
        "id": paper.id,
        "title": paper.title,
        "published": paper.published.isoformat() if paper.published else None,
        "authors": paper.authors,
        "arxiv_id": paper.arxiv_id,
        "doi": paper.doi,
        "abs_url": paper.abs_url,
        "code_urls": paper.code_urls,
        "sources": len(paper.sources),
        "added_at": added_at,
    }


def list_papers(
    limit: int = typer.Option(0, "--limit", "-n", min=0, help="Show at most this many (0 = all)."),
    sort: str = typer.Option("date", "--sort", help="date (newest first), title or added."),
    full: bool = typer.Option(False, "--full", help="With --json/--jsonl: every stored field."),
    as_json: bool = JSON_OPT,
    as_jsonl: bool = JSONL_OPT,
    as_csv: bool = CSV_OPT,
) -> None:
    """List the papers in the store."""
    out = pick_format(as_json, as_jsonl, as_csv)
    keys = {
        "date": lambda s: (s.paper.published or date.min, s.paper.id),
        "title": lambda s: s.paper.title.casefold(),
        "added": lambda s: (s.added_at, s.paper.id),
    }
    if sort not in keys:
        raise typer.BadParameter(f"{sort!r} is not one of {', '.join(keys)}", param_hint="--sort")
    stored = sorted(_open_store().iter_all(), key=keys[sort], reverse=sort != "title")
    if limit:
        stored = stored[:limit]
    rows = [
        s.paper.to_json() | {"added_at": s.added_at} if full else _summary_row(s.paper, s.added_at)
        for s in stored
    ]
    emit_rows(
        rows, out, [("id", "id"), ("published", "date"), ("title", "title"), ("code_urls", "code")]
    )


def show(
    ref: str = typer.Argument(
        ..., help="Canonical id (arxiv:2509.06617), bare arXiv id, DOI or exact title."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Show one paper with every stored field."""
    from reviewer.errors import NotFoundError

    stored = _open_store().resolve(ref)
    if stored is None:
        raise NotFoundError(
            f"no paper {ref!r} in the store",
            hint="Find ids with `reviewer search` or `reviewer list`.",
        )
    record = stored.paper.to_json() | {"added_at": stored.added_at}
    if as_json:
        emit_json(record)
        return
    from rich.console import Console

    console = Console()
    paper = stored.paper
    console.print(f"[bold]{paper.title}[/bold]  ({paper.id})")
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
        if value:
            console.print(
                f"[dim]{name}:[/dim] "
                + (", ".join(map(str, value)) if isinstance(value, list) else str(value))
            )
    truncated = " [yellow](truncated in every source)[/yellow]" if paper.abstract_truncated else ""
    console.print(f"\n{paper.abstract}{truncated}\n")
    console.print(
        "[dim]sources:[/dim] "
        + "; ".join(f"{s.path} ({s.format}, {s.entry})" for s in paper.sources)
    )


def stats(as_json: bool = JSON_OPT) -> None:
    """Counts of what the store holds."""
    from collections import Counter

    store = _open_store()
    papers = [s.paper for s in store.iter_all()]
    dates = sorted(p.published for p in papers if p.published)
    formats = Counter(s.format for p in papers for s in {x.format: x for x in p.sources}.values())
    data = {
        "papers": len(papers),
        "with_abstract": sum(1 for p in papers if p.abstract),
        "truncated_abstracts": sum(1 for p in papers if p.abstract_truncated),
        "with_arxiv_id": sum(1 for p in papers if p.arxiv_id),
        "with_code": sum(1 for p in papers if p.code_urls),
        "multi_source": sum(1 for p in papers if len(p.sources) > 1),
        "earliest": dates[0].isoformat() if dates else None,
        "latest": dates[-1].isoformat() if dates else None,
        "papers_by_source_format": dict(sorted(formats.items())),
        "embedder": store.embedder_name,
        "backend": "chroma-server" if store.settings.chroma_url else "chroma-embedded",
        "location": store.location,
    }
    if as_json:
        emit_json(data)
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        typer.echo(f"{key.ljust(width)}  {value}")


def demo(
    query: str = typer.Option(
        "adapting the Segment Anything Model to medical image segmentation",
        "--query",
        "-q",
        help="The search to run on the demo corpus.",
    ),
    k: int = typer.Option(5, "-k", help="Number of results."),
) -> None:
    """Ingest the bundled demo corpus (423 medical-imaging papers), run a search, and draft
    a related-work section on it from quotes of the abstracts (no model needed)."""
    from importlib.resources import files

    demo_dir = Path(str(files("reviewer") / "demo"))
    info(f"Ingesting the demo corpus from {demo_dir} …")
    ingest(paths=[demo_dir], fmt="auto", skip_bad=False, arxiv=None, max_results=0, as_json=False)
    info("")
    search(
        query=query,
        k=k,
        mode="hybrid",
        since=None,
        until=None,
        has_code=False,
        as_json=False,
        as_jsonl=False,
        as_csv=False,
    )
    from reviewer.cli.write import related_work

    info("\nA related-work draft on the same topic, quoted from the abstracts (no model used):\n")
    related_work(
        topic=query,
        k=k,
        words=400,
        fmt="markdown",
        out=None,
        bib=None,
        include=[],
        exclude=[],
        since=None,
        until=None,
        themes=3,
        outline=False,
        outline_file=None,
        expand=False,
        summarize=False,
        extractive=True,
        concurrency=None,
        max_cost=None,
    )
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
    app.command("demo")(demo)
