"""Commands that write the store out as files: export wiki."""

from __future__ import annotations

from pathlib import Path

import typer

from reviewer.cli.output import (
    CONCURRENCY_OPT,
    JSON_OPT,
    MAX_COST_OPT,
    PROFILE_OPT,
    REFRESH_OPT,
    emit_json,
    open_reviewer,
    reflow,
)


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
    profile: str | None = PROFILE_OPT,
    concurrency: int | None = CONCURRENCY_OPT,
    max_cost: float | None = MAX_COST_OPT,
    refresh: bool = REFRESH_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Write every paper in the store as JSON files for a static wiki or site generator.

    Layout of DIR: index.json lists every paper (id, title, title_text, year,
    published, file, has_summary); papers/<name>.json holds one paper's metadata,
    abstract, sources (input file names, never local paths) and its grounded summary;
    title and abstract are as the sources gave them (arXiv's TeX included), title_text
    and abstract_text the same for readers (DS$^2$Net as DS²Net); schema/ holds the
    JSON Schemas (draft 2020-12) of both. <name> is the canonical id made file-safe:
    arxiv:2509.06617 gives papers/arxiv-2509.06617.json, doi:10.1000/ABC.x gives
    papers/doi-10.1000_abc.x.json.

    Running it again rewrites only the files whose content changed, and removes the
    files of papers no longer in the store when the previous index.json lists them;
    nothing else in DIR is touched, and a non-empty DIR without such an index.json is
    refused. A summary is exported only while it is current: made from the paper's
    current title and abstract, with the summary profile (--profile) and, when one is
    set, the configured model (others are counted as stale, not exported). The paper
    schema describes that profile's fields; index.json names it (summary_profile).

    Without --summarize no model is needed. With it, papers lacking a current summary
    are summarized first (cached; --max-cost caps the spend)."""
    report = open_reviewer().export_wiki(
        out,
        summarize=summarize,
        profile=profile,
        concurrency=concurrency,
        max_cost=max_cost,
        refresh=refresh,
    )
    if as_json:
        emit_json(report.model_dump(mode="json"))
    report.raise_if_stopped()


def register(app: typer.Typer) -> None:
    export = typer.Typer(help="Write the store out as files.", no_args_is_help=True)
    export.command("wiki", help=reflow(wiki.__doc__))(wiki)
    app.add_typer(export, name="export")
