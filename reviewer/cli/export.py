"""Commands that write the store out as files: export wiki."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from reviewer.cli.llm import CONCURRENCY_OPT, MAX_COST_OPT, stored_summaries
from reviewer.cli.output import JSON_OPT, emit_json, info, reflow

if TYPE_CHECKING:
    from reviewer.corpus.model import Paper


def wiki(
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Folder to write: new, empty, or a previous export's.",
        show_default=False,
    ),
    summarize: bool = typer.Option(
        False,
        "--summarize",
        help="First summarize every paper without a current summary (needs REVIEWER_MODEL).",
    ),
    concurrency: int | None = CONCURRENCY_OPT,
    max_cost: float | None = MAX_COST_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Write every paper in the store as JSON files for a static wiki or site generator.

    Layout of DIR: index.json lists every paper (id, title, year, published, file,
    has_summary); papers/<name>.json holds one paper's metadata, abstract, sources
    (input file names, never local paths) and its grounded summary; schema/ holds the
    JSON Schemas (draft 2020-12) of both. <name> is the canonical id made file-safe:
    arxiv:2509.06617 gives papers/arxiv-2509.06617.json, doi:10.1000/ABC.x gives
    papers/doi-10.1000_abc.x.json.

    Running it again rewrites only the files whose content changed, and removes the
    files of papers no longer in the store when the previous index.json lists them;
    nothing else in DIR is touched, and a non-empty DIR without such an index.json is
    refused. A summary is exported only while it matches the paper's current title
    and abstract (stale ones are counted, not exported).

    Without --summarize no model is needed. With it, papers lacking a current summary
    are summarized first (cached; --max-cost caps the spend)."""
    from reviewer.cli.corpus import _open_store
    from reviewer.render.wiki import export_wiki, previous_export
    from reviewer.settings import load_settings
    from reviewer.tasks.summary_model import lacking_summary

    settings = load_settings()
    previous = previous_export(out)  # refuse an unrelated folder before any work
    if summarize:
        from reviewer.llm.client import require_model

        require_model(settings)
    store = _open_store()
    papers: list[Paper] = sorted((s.paper for s in store.iter_all()), key=lambda p: p.id)
    summaries = stored_summaries(settings)

    stopped = None
    if summarize:
        todo = lacking_summary(papers, summaries)
        if todo:
            from reviewer.cli.llm import run_summaries

            report = run_summaries(todo, concurrency, max_cost, settings)
            stopped = report.stopped
            summaries = stored_summaries(settings)
        else:
            info("Every paper with an abstract has a current summary; nothing to summarize.")

    counts = export_wiki(out, papers, summaries, previous)
    stale = f", {counts.stale_summaries} stale left out" if counts.stale_summaries else ""
    info(
        f"{counts.papers} papers: {counts.written} written, {counts.unchanged} unchanged, "
        f"{counts.removed} removed; {counts.with_summary} with a summary{stale}. "
        f"Index: {out / 'index.json'}"
    )
    if as_json:
        emit_json({**counts.to_json(), "out": str(out)})
    if stopped is not None:
        raise stopped


def register(app: typer.Typer) -> None:
    export = typer.Typer(help="Write the store out as files.", no_args_is_help=True)
    export.command("wiki", help=reflow(wiki.__doc__))(wiki)
    app.add_typer(export, name="export")
